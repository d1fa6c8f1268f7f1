"""The compiled speed-ups: built where CI demands them, and switchable off for the pure-Python twin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from unboil._compiled import compiled

SRC = Path(__file__).resolve().parent.parent / "src"
MODULES = sorted(
    ".".join(p.relative_to(SRC / "unboil").with_suffix("").parts) for p in (SRC / "unboil").rglob("*.pyx")
)


@pytest.mark.parametrize("name", MODULES)
def test_every_speedup_is_built_when_required(name: str) -> None:
    """CI sets UNBOIL_REQUIRE_EXTENSIONS: there a .pyx that did not compile must fail the run."""
    module = compiled(name)
    if module is None and not os.environ.get("UNBOIL_REQUIRE_EXTENSIONS"):
        pytest.skip(f"unboil.{name} is not compiled here (no C compiler or not rebuilt: `make ext`)")
    assert module is not None, f"unboil.{name} was required but is not importable"
    assert Path(module.__file__).suffix in (".so", ".pyd"), module.__file__


def test_pure_python_switch_turns_speedups_off() -> None:
    """UNBOIL_PURE_PYTHON=1 makes every speed-up report as missing, so the twin runs."""
    code = (
        "from unboil._compiled import compiled\n"
        f"print(sum(compiled(n) is not None for n in {MODULES!r}))"
    )
    env = {**os.environ, "UNBOIL_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_missing_module_is_none_not_an_error() -> None:
    assert compiled("no_such_speedup") is None
