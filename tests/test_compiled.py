"""The compiled speed-ups: registered, built where CI demands them, and switchable off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import unboil
from unboil._compiled import SPEEDUPS, compiled
from unboil.cli import main

SRC = Path(__file__).resolve().parent.parent / "src" / "unboil"
PYX = sorted(".".join(p.relative_to(SRC).with_suffix("").parts) for p in SRC.rglob("*.pyx"))


def test_every_pyx_is_registered() -> None:
    """A new .pyx must be listed in SPEEDUPS, or `unboil --version` and speedups() would hide it."""
    assert sorted(SPEEDUPS) == PYX


@pytest.mark.parametrize("name", PYX)
def test_every_speedup_is_built_when_required(name: str) -> None:
    """CI sets UNBOIL_REQUIRE_EXTENSIONS: there a .pyx that did not compile must fail the run."""
    module = compiled(name)
    if module is None and not os.environ.get("UNBOIL_REQUIRE_EXTENSIONS"):
        pytest.skip(f"unboil.{name} is not compiled here (no C compiler or not rebuilt: `make ext`)")
    assert module is not None, f"unboil.{name} was required but is not importable"
    assert Path(module.__file__).suffix in (".so", ".pyd"), module.__file__


def test_speedups_reports_what_is_in_use() -> None:
    report = unboil.speedups()
    assert list(report) == list(SPEEDUPS)
    assert report == {name: compiled(name) is not None for name in SPEEDUPS}


def test_pure_python_switch_turns_speedups_off() -> None:
    """UNBOIL_PURE_PYTHON=1 makes every speed-up report as missing, so the twin runs."""
    env = {**os.environ, "UNBOIL_PURE_PYTHON": "1"}
    code = "import unboil; print(sum(unboil.speedups().values()))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
    cli = [sys.executable, "-m", "unboil.cli", "--version"]
    out = subprocess.run(cli, env=env, capture_output=True, text=True)
    assert f"0 of {len(SPEEDUPS)}" in out.stdout and "pure Python for segment._walk" in out.stdout


def test_version_names_the_speedups(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    built = sum(unboil.speedups().values())
    assert out.startswith(f"unboil {unboil.__version__} (compiled speed-ups: {built} of {len(SPEEDUPS)}")


def test_missing_module_is_none_not_an_error() -> None:
    assert compiled("no_such_speedup") is None
