"""Every ```python example in README.md and docs/*.md runs, and shows what it says it shows.

Blocks starting with `# not run` are skipped. Two kinds of comment are claims the suite checks,
so a page cannot drift from what the code does:

- ``EXPR  # -> SHOWN``: the value's repr (or, for ``print(EXPR)``, the printed text) is SHOWN;
  ``...`` in SHOWN stands for anything (``{'navigation': 125, ...}``).
- a ``# prints:`` comment line, then ``# `` lines: what the statements since the last check
  printed, line by line (``...`` allowed the same way).

Any other comment is prose, and a comment that shows a value without ``->`` is refused.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
CLAIM = re.compile(r"\s#\s->\s(?P<shown>.+)$")
PRINTS = "# prints:"
# a trailing comment that looks like a value someone would trust: a literal, a dict, a list...
VALUE_LIKE = re.compile(r"#\s*(\{['\"]|\[\[|\[['\"]|\(['\"]|True\b|False\b|None\b|-?\d+(\.\d+)?\s*$|e\.g\.\s*[\[\{(])")


def _blocks(page: Path) -> list[str]:
    codes = [m.group(1) for m in BLOCK.finditer(page.read_text("utf-8"))]
    return [c for c in codes if not c.lstrip().startswith("# not run")]


def _pattern(shown: str) -> re.Pattern[str]:
    """SHOWN as a full-match pattern in which ``...`` stands for anything."""
    return re.compile(".*".join(re.escape(part) for part in shown.strip().split("...")), re.S)


def _trailing_comment(source_line: str) -> str:
    """The ``#`` comment at the end of one line of code ('' if none), ignoring '#' inside strings."""
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source_line + "\n").readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return ""
    comments = [t.string for t in tokens if t.type == tokenize.COMMENT]
    return comments[-1] if comments else ""


def _is_print(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "print"
    )


class _Runner:
    """Runs one page's examples statement by statement, checking each claim as it comes."""

    def __init__(self, page: Path) -> None:
        self.page = page
        self.namespace: dict = {"__name__": "__doc_example__"}
        self.printed = io.StringIO()

    def run_block(self, n: int, code: str) -> None:
        lines = code.splitlines()
        tree = ast.parse(code, f"{self.page.name} example {n}")
        for i, stmt in enumerate(tree.body):
            where = f"{self.page.name} example {n}, line {stmt.lineno}"
            last = lines[stmt.end_lineno - 1]
            claim = CLAIM.search(last) if _trailing_comment(last).startswith("# ->") else None
            value = self._execute(stmt, where, want_value=claim is not None)
            if claim is not None:
                self._check_claim(stmt, value, claim.group("shown"), where)
                self.printed = io.StringIO()  # what a checked print printed is checked
            following = lines[stmt.end_lineno: tree.body[i + 1].lineno - 1 if i + 1 < len(tree.body) else len(lines)]
            self._check_prints(following, where)
        self._refuse_unchecked_values(lines, n)

    def _execute(self, stmt: ast.stmt, where: str, want_value: bool) -> object:
        """Run one statement once; with a claim, return the value it shows (an expression's value,
        print's argument, or what an assignment assigned)."""
        try:
            with contextlib.redirect_stdout(self.printed):
                if want_value and isinstance(stmt, ast.Expr):
                    expr = stmt.value
                    if _is_print(stmt) and len(expr.args) == 1:  # type: ignore[attr-defined]
                        value = self._eval(expr.args[0], where)  # type: ignore[attr-defined]
                        print(value)
                        return value
                    return self._eval(expr, where)
                exec(compile(ast.Module(body=[stmt], type_ignores=[]), where, "exec"), self.namespace)
                if want_value and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    return self._eval(ast.parse(ast.unparse(stmt.targets[0]), mode="eval").body, where)
        except Exception as exc:  # name the example that broke
            raise AssertionError(f"{where} failed: {exc!r}") from exc
        return None

    def _eval(self, expr: ast.expr, where: str) -> object:
        return eval(compile(ast.Expression(expr), where, "eval"), self.namespace)

    def _check_claim(self, stmt: ast.stmt, value: object, shown: str, where: str) -> None:
        actual = str(value) if _is_print(stmt) else repr(value)
        assert _pattern(shown).fullmatch(actual), f"{where}: the page shows {shown.strip()!r}, the code gives {actual!r}"

    def _check_prints(self, following: list[str], where: str) -> None:
        stripped = [line.strip() for line in following]
        if PRINTS not in stripped:
            return
        start = stripped.index(PRINTS) + 1
        expected = []
        for line in stripped[start:]:
            if not line.startswith("#"):
                break
            expected.append(line[1:].removeprefix(" "))
        actual = [line.rstrip() for line in self.printed.getvalue().rstrip("\n").split("\n")]
        self.printed = io.StringIO()
        assert len(actual) == len(expected) and all(
            _pattern(e).fullmatch(a) for e, a in zip(expected, actual)
        ), f"{where}: the page says it prints\n" + "\n".join(expected) + "\nbut it prints\n" + "\n".join(actual)

    def _refuse_unchecked_values(self, lines: list[str], n: int) -> None:
        for number, line in enumerate(lines, 1):
            comment = _trailing_comment(line)
            if comment and not comment.startswith("# ->") and VALUE_LIKE.search(comment) and line.strip() != comment:
                raise AssertionError(
                    f"{self.page.name} example {n}, line {number}: the comment {comment!r} shows a value "
                    "nobody checks; write it as '# -> VALUE' (checked) or as prose"
                )


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p)], ids=lambda p: str(p.relative_to(REPO)))
def test_doc_examples_run_and_show_what_they_say(page, monkeypatch, tmp_path):
    """A page's examples run in order in one namespace, as a reader would type them, and every
    value they show is the value the code gives.

    They run in a scratch folder (files they write land there) that links to the repo's examples/.
    """
    (tmp_path / "examples").symlink_to(REPO / "examples")
    monkeypatch.chdir(tmp_path)
    runner = _Runner(page)
    for n, code in enumerate(_blocks(page), 1):
        runner.run_block(n, code)


def test_a_wrong_claim_fails(tmp_path):
    """The checker itself: a claim that does not hold is reported, with what the code gives."""
    page = tmp_path / "page.md"
    runner = _Runner(page)
    runner.run_block(1, "x = [1, 2]\nx  # -> [1, 2]\nlen(x)  # -> 2\nprint('a b')  # -> a ...\n")
    with pytest.raises(AssertionError, match="the code gives '\\[\\]'"):
        runner.run_block(2, "[]  # -> [[0, 1]]\n")
    with pytest.raises(AssertionError, match="but it prints"):
        runner.run_block(3, "for i in range(2):\n    print(i)\n# prints:\n# 0\n# 2\n")
    with pytest.raises(AssertionError, match="nobody checks"):
        runner.run_block(4, "y = 1  # e.g. [[0, 1]]\n")
