"""``unboil clean --workers``: the same output as one process, in input order, with bounded read-ahead."""

from __future__ import annotations

import gzip
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.cli import main
from unboil.parallel import map_ordered


def _crawl(tmp_path: Path, shared_fixtures: Path, pages: int = 40) -> Path:
    """A JSONL crawl of real AEB pages with a broken line and a binary record among them."""
    paths = sorted((shared_fixtures / "aeb" / "html").glob("*.html.gz"))[:pages]
    lines = []
    for i, path in enumerate(paths):
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        lines.append(json.dumps({"id": f"p{i}", "url": f"https://example.com/{i}", "html": html}))
        if i == 5:
            lines.append('{"id": "broken", "html": ')  # cut short
        if i == 9:
            lines.append(json.dumps({"id": "binary", "text": "\x00\x01\x02\x03" * 200}))
    src = tmp_path / "crawl.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return src


def test_two_workers_write_exactly_what_one_process_writes(tmp_path, shared_fixtures, capsys):
    src = _crawl(tmp_path, shared_fixtures)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["clean", str(src), "-o", str(one), "--stats"]) == 0
    err_one = capsys.readouterr().err
    assert main(["clean", str(src), "-o", str(two), "--stats", "--workers", "2"]) == 0
    err_two = capsys.readouterr().err
    assert one.read_bytes() == two.read_bytes()
    assert err_one == err_two  # the same counts and per-rule totals
    assert "42 in, 40 cleaned, 2 errors" in err_two
    records = [json.loads(line) for line in two.read_text("utf-8").splitlines()]
    assert [r["id"] for r in records if "error" not in r] == [f"p{i}" for i in range(40)]
    # error records stand where their inputs stood: after p5 and after p9
    assert "error" in records[6] and records[6]["error"]["position"]
    assert records[11]["id"] == "binary" and "binary" in records[11]["error"]["reason"]


def test_bad_worker_count_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["clean", "x.jsonl", "--workers", "-1"])
    assert "must be 0 (one per core) or more" in capsys.readouterr().err


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-10**6, 10**6), max_size=300), st.integers(1, 9))
def test_map_ordered_in_process_is_map(values, chunk):
    assert list(map_ordered(abs, values, 1, chunk_size=chunk)) == [abs(v) for v in values]


def test_map_ordered_on_processes_keeps_order_and_reads_ahead_a_bounded_amount():
    consumed = 0

    def stream():
        nonlocal consumed
        for v in range(-2000, 2000):
            consumed += 1
            yield v

    results = map_ordered(abs, stream(), 2, chunk_size=10, window=3)
    first = next(results)
    assert first == 2000
    assert consumed <= 3 * 10 + 1  # a crawl never has to fit in memory
    assert [first, *results] == [abs(v) for v in range(-2000, 2000)]


# ---------------------------------------------------------------- warnings from workers

_log = logging.getLogger("unboil.test_workers")


def _warn_each(value: int) -> int:
    """Log about one item the way the cleaner does (module level: spawned workers import it)."""
    _log.info("details of item %d", value)
    _log.warning("item %d looked odd", value)
    if value % 7 == 0:
        try:
            raise ValueError(f"bad item {value}")
        except ValueError:
            _log.exception("item %d failed", value)
    return -value


def test_map_ordered_replays_the_workers_log_records_in_order(caplog):
    caplog.set_level(logging.WARNING)
    values = list(range(50))
    assert list(map_ordered(_warn_each, values, 2, chunk_size=4)) == [-v for v in values]
    odd = [r.getMessage() for r in caplog.records if "looked odd" in r.getMessage()]
    assert odd == [f"item {v} looked odd" for v in values]  # each item's records, in input order
    assert not any("details of" in r.getMessage() for r in caplog.records)  # the parent's level holds
    failed = [r for r in caplog.records if "failed" in r.getMessage()]
    assert [r.getMessage() for r in failed] == [f"item {v} failed" for v in values if v % 7 == 0]
    assert all(r.name == "unboil.test_workers" and "ValueError: bad item" in r.exc_text for r in failed)


SRC = Path(__file__).resolve().parents[1] / "src"
EVIL_RULES = """
[[rule]]
id = "evil"
description = "a user's pattern with catastrophic backtracking"
action = "drop"
[rule.match]
text_regex = '(a+)+$'
"""


def _unboil(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "unboil", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_warnings_from_two_workers_reach_stderr_as_from_one_process(tmp_path):
    rules = tmp_path / "evil.toml"
    rules.write_text(EVIL_RULES, encoding="utf-8")
    hostile = "a" * 5000 + "b"
    records = []
    for i in range(70):  # three chunks of 32: the hostile records land in different chunks
        lines = [f"Headline number {i} about the harbour", "The story of the harbour, told in full."]
        if i in (3, 40, 69):
            lines[1:1] = [hostile] * 3
        records.append(json.dumps({"id": f"r{i}", "url": f"https://example.com/{i}", "text": "\n".join(lines)}))
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(records) + "\n", encoding="utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    run_one = _unboil("clean", str(src), "-r", str(rules), "-o", str(one), "--regex-budget", "0.05")
    run_two = _unboil("clean", str(src), "-r", str(rules), "-o", str(two), "--regex-budget", "0.05", "-j", "2")
    assert run_one.returncode == run_two.returncode == 0, run_two.stderr
    assert one.read_bytes() == two.read_bytes()
    warnings = [line for line in run_two.stderr.splitlines() if line.startswith("unboil: WARNING:")]
    assert [w.split(" (https")[0] for w in warnings] == [
        f"unboil: WARNING: text_regex cut short on record 'r{i}'" for i in (3, 40, 69)
    ]
    assert all("rule 'evil' on 4 blocks (1, 2, 3, 4)" in w for w in warnings)
    assert run_two.stderr == run_one.stderr
