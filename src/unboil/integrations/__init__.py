"""Thin adapters over the record API for crawl tools: Dask, datatrove, Hugging Face datasets, Scrapy.

Each module imports its tool lazily, so ``import unboil.integrations.dask`` works without Dask
and the first call that needs it says which extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import an optional dependency, or fail with the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{what} needs the {module.split('.')[0]!r} package: install unboil[{extra}]"
        ) from exc
