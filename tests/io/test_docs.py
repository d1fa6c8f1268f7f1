"""The examples in docs/io.md run, and print what the page says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "io.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_examples_run_and_print_what_the_doc_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    outputs = []
    for code in _blocks("python"):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, str(DOC), "exec"), namespace)
        outputs.append(buffer.getvalue())
    shown = _blocks("text")
    assert outputs[0] == shown[0]
    assert "prints `WriteCounts(written=3, errors=1)`" in DOC.read_text(encoding="utf-8")
    assert outputs[2].strip() == "WriteCounts(written=3, errors=1)"
