"""The Python example in docs/rules.md runs and prints what the page says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_docs_example_prints_what_it_says() -> None:
    if not DOC.exists():
        pytest.skip(f"{DOC} not found")
    text = DOC.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    shown = re.search(r"\nprints\n\n```\n(.*?)```", text, re.S)
    assert code and shown, "docs/rules.md lost its example or its printed output"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), str(DOC), "exec"), {})
    printed = out.getvalue().splitlines()
    assert printed[:-1] == shown.group(1).splitlines()
    assert re.fullmatch(r"[0-9a-f]{16}", printed[-1])
