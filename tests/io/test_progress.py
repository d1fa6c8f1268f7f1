"""Tests for unboil.io.progress: a bar on stderr only when wanted, never anything on stdout."""

from __future__ import annotations

import io
import sys

import pytest

from unboil.io import progress


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _streams(monkeypatch: pytest.MonkeyPatch, err: io.StringIO) -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    return out


def test_disabled_returns_the_iterable_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    _streams(monkeypatch, _Terminal())
    items = [1, 2, 3]
    assert progress(items, enabled=False) is items


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    _streams(monkeypatch, io.StringIO())
    items = [1, 2, 3]
    assert progress(items) is items


def test_bar_on_a_terminal_writes_to_stderr_only(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm", reason="tqdm (unboil[progress]) not installed")
    err = _Terminal()
    out = _streams(monkeypatch, err)
    assert list(progress(iter(range(5)), total=5, desc="reading")) == [0, 1, 2, 3, 4]
    assert "reading" in err.getvalue() and "5/5" in err.getvalue()
    assert out.getvalue() == ""


def test_forced_bar_works_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm", reason="tqdm (unboil[progress]) not installed")
    err = io.StringIO()
    out = _streams(monkeypatch, err)
    assert list(progress("abc", enabled=True)) == ["a", "b", "c"]
    assert err.getvalue() and out.getvalue() == ""


def test_without_tqdm_the_iterable_passes_through(monkeypatch: pytest.MonkeyPatch) -> None:
    _streams(monkeypatch, _Terminal())
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if not installed
    items = [1, 2]
    assert progress(items, enabled=True) is items
