"""Tests for unboil.io.progress: a bar on stderr only when wanted, never anything on stdout."""

from __future__ import annotations

import gzip
import io
import json
import random
import re
import sys
from pathlib import Path

import pytest

from unboil.io import ReadStats, progress, read_records
from unboil.io.progress import human_bytes, human_duration, status_line


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


def test_without_tqdm_a_terminal_gets_progress_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    err = _Terminal()
    out = _streams(monkeypatch, err)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if not installed
    assert list(progress([1, 2], enabled=True, desc="clean")) == [1, 2]
    assert re.fullmatch(r"clean: 2 records, [\d,]+ rec/s, done in \d+s\n", err.getvalue())
    assert out.getvalue() == ""


# --- lines when stderr is not a terminal -----------------------------------------------------


def _read_jsonl_gz(path: Path, records: int) -> None:
    """Records of random hex words: they compress poorly, so the file is read in many chunks."""
    rng = random.Random(7)
    rows = "".join(json.dumps({"id": str(i), "text": " ".join(f"{rng.getrandbits(32):08x}" for _ in range(70))})
                   + "\n" for i in range(records))
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as fh:
        fh.write(rows)


def test_lines_follow_the_bytes_read_to_an_eta_and_end_at_100_percent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Progress over a compressed file follows its compressed position: each line says how far
    (bytes of the total), and the last one says 100% with the record count."""
    err = io.StringIO()
    out = _streams(monkeypatch, err)
    path = tmp_path / "crawl.jsonl.gz"
    _read_jsonl_gz(path, 3000)
    size = path.stat().st_size
    stats = ReadStats()
    items = progress(read_records([path], stats=stats), desc="clean", enabled=True, size=size,
                     done=lambda: stats.bytes_read, interval=0)
    assert sum(1 for _ in items) == 3000
    lines = err.getvalue().splitlines()
    assert out.getvalue() == ""
    assert len(lines) == 3001  # interval=0: a line per record, then the final one
    pattern = re.compile(r"clean: ([\d,]+) records, ([\d.]+) (k?B|MB) of ([\d.]+) (kB|MB) \((\d+)%\), "
                         r"[\d,]+ rec/s(, ETA \w+|, done in \w+)?")
    shares = []
    for n, line in enumerate(lines[:-1], 1):
        match = pattern.fullmatch(line)
        assert match, line
        assert int(match.group(1).replace(",", "")) == n
        shares.append(int(match.group(6)))
    assert shares == sorted(shares) and shares[0] < 50 and len(set(shares)) > 5  # it moves as reading goes on
    assert re.fullmatch(r"clean: 3,000 records, .* \(100%\), [\d,]+ rec/s, done in \w+", lines[-1])


def test_a_record_total_gives_counts_and_percentages(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    _streams(monkeypatch, err)
    assert list(progress(range(4), total=4, desc="learn", enabled=True, interval=0)) == [0, 1, 2, 3]
    lines = err.getvalue().splitlines()
    assert [line.split(", ")[0] for line in lines] == [
        "learn: 1 of 4 records (25%)", "learn: 2 of 4 records (50%)", "learn: 3 of 4 records (75%)",
        "learn: 4 of 4 records (100%)", "learn: 4 of 4 records (100%)"]
    assert "ETA" in lines[0] and "done in" in lines[-1]


def test_a_forced_bar_on_a_terminal_follows_bytes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("tqdm", reason="tqdm (unboil[progress]) not installed")
    err = _Terminal()
    out = _streams(monkeypatch, err)
    path = tmp_path / "crawl.jsonl.gz"
    _read_jsonl_gz(path, 50)
    stats = ReadStats()
    items = progress(read_records([path], stats=stats), desc="clean", size=path.stat().st_size,
                     done=lambda: stats.bytes_read)
    assert sum(1 for _ in items) == 50
    final = err.getvalue().split("\r")[-1]
    assert "100%" in final and "50 rec" in final and out.getvalue() == ""


@pytest.mark.parametrize(
    ("kwargs", "line"),
    [
        ({"total": 200}, "clean: 50 of 200 records (25%), 5 rec/s, ETA 30s"),
        ({"size": 120_000_000, "done": 45_100_000},
         "clean: 50 records, 45.1 MB of 120.0 MB (38%), 5 rec/s, ETA 17s"),
        ({}, "clean: 50 records, 5 rec/s"),
        ({"size": 2048, "done": 2048, "final": True},
         "clean: 50 records, 2.0 kB of 2.0 kB (100%), 5 rec/s, done in 10s"),
    ],
)
def test_status_line(kwargs: dict, line: str) -> None:
    assert status_line("clean", 50, 10.0, **kwargs) == line


def test_durations_and_sizes_read_like_a_person_wrote_them() -> None:
    assert [human_duration(s) for s in (4, 90, 3599, 7500)] == ["4s", "1m30s", "59m59s", "2h05m"]
    assert [human_bytes(n) for n in (512, 45_100_000, 1_200_000_000)] == ["512 B", "45.1 MB", "1.2 GB"]
