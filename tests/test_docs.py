"""Every ```python example in README.md and docs/*.md runs (blocks starting with `# not run` excepted)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks(page: Path) -> list[str]:
    codes = [m.group(1) for m in BLOCK.finditer(page.read_text("utf-8"))]
    return [c for c in codes if not c.lstrip().startswith("# not run")]


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p)], ids=lambda p: str(p.relative_to(REPO)))
def test_doc_examples_run(page, monkeypatch, capsys, tmp_path):
    """A page's examples run in order in one namespace, as a reader would type them.

    They run in a scratch folder (files they write land there) that links to the repo's examples/.
    """
    (tmp_path / "examples").symlink_to(REPO / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__doc_example__"}
    for n, code in enumerate(_blocks(page), 1):
        try:
            exec(compile(code, f"{page.name} example {n}", "exec"), namespace)
        except Exception as exc:  # name the example that broke
            raise AssertionError(f"{page.name} example {n} failed: {exc!r}") from exc
