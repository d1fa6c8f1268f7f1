"""The compiled speed-ups in use: each has a pure-Python twin that runs when it is missing.

``UNBOIL_PURE_PYTHON=1`` turns every speed-up off (for comparing both paths, or debugging).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

#: Every compiled module unboil knows, by its name under the ``unboil`` package.
SPEEDUPS = (
    "segment._walk",
    "segment._utf8",
    "detect._widgets",
    "detect._repeats",
    "detect._content",
    "rules._engine",
)


def compiled(name: str) -> ModuleType | None:
    """The extension module ``unboil.<name>``, or None when it is not built or switched off."""
    if os.environ.get("UNBOIL_PURE_PYTHON"):
        return None
    try:
        return importlib.import_module(f"unboil.{name}")
    except ImportError:
        return None


def speedups() -> dict[str, bool]:
    """Which compiled speed-ups this installation uses (False: the pure-Python twin runs)."""
    return {name: compiled(name) is not None for name in SPEEDUPS}
