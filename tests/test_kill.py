"""Killing a run is normal in a crawl pipeline: a file under its final name is always complete.

Real processes, real signals: ``unboil clean`` is started on a generated crawl and killed at a
random moment (SIGKILL: nothing can run; SIGTERM: the run stops cleanly and keeps ``.partial``).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RECORDS = 3000
TRIES = 5

# --- clean -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gzipped JSONL crawl of RECORDS short pages (about a second of cleaning)."""
    rng = random.Random(10)
    words = "river bridge council budget repairs engineers traffic stone arch village weather market".split()
    path = tmp_path_factory.mktemp("kill") / "crawl.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(RECORDS):
            body = "\n".join(" ".join(rng.choice(words) for _ in range(20)) + "." for _ in range(3))
            fh.write(json.dumps({"id": f"r{i}", "text": f"Headline number {i}\nShare on Facebook\n{body}"}) + "\n")
    return path


def _start(src: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen([sys.executable, "-m", "unboil", "clean", str(src), "-o", str(out), "--no-progress"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _decompressed(path: Path) -> str:
    """The whole text of an output file; raises if the file is cut short or corrupt."""
    data = path.read_bytes()
    name = path.name.removesuffix(".partial")
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    elif name.endswith(".zst"):
        import zstandard

        parts, rest = [], data
        while rest:  # frame by frame; a frame without its end is a cut file
            frame = zstandard.ZstdDecompressor().decompressobj()
            parts.append(frame.decompress(rest))
            assert frame.eof, f"{path.name}: zstandard stream cut short"
            rest = frame.unused_data
        data = b"".join(parts)
    return data.decode("utf-8")


def _units(path: Path) -> int:
    """How many records a complete output holds: JSON lines (each must parse) or text documents."""
    text = _decompressed(path)
    if path.name.endswith((".txt", ".txt.partial")):
        return text.count("\n\f\n") + 1 if text else 0
    lines = text.splitlines()
    for line in lines:
        json.loads(line)
    return len(lines)


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst", ".txt"])
def test_sigkill_at_any_moment_leaves_no_incomplete_file_under_the_final_name(crawl, tmp_path, suffix):
    if suffix == ".jsonl.zst":
        pytest.importorskip("zstandard", reason="zstandard (unboil[zstd]) not installed")
    rng = random.Random(f"sigkill{suffix}")
    cut_short = 0
    for attempt in range(TRIES):
        out = tmp_path / str(attempt) / f"out{suffix}"
        out.parent.mkdir()
        proc = _start(crawl, out)
        time.sleep(rng.uniform(0.05, 1.0))
        proc.kill()
        proc.communicate(timeout=60)
        if out.exists():  # the run had finished: then the file is whole
            assert _units(out) == RECORDS, f"attempt {attempt}: incomplete {out.name} under its final name"
        else:
            cut_short += 1
        assert not out.with_name(out.name + ".partial").exists()  # SIGKILL runs no clean-up at all
    assert cut_short, "every run finished before it was killed; the test proved nothing"


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".txt"])
def test_sigterm_stops_the_run_cleanly_keeping_what_was_written_as_partial(crawl, tmp_path, suffix):
    rng = random.Random(f"sigterm{suffix}")
    stopped = 0
    for attempt in range(TRIES):
        out = tmp_path / str(attempt) / f"out{suffix}"
        out.parent.mkdir()
        proc = _start(crawl, out)
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(f".{out.name}.") for p in out.parent.iterdir()):  # writing began
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr and proc.stderr.read()
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is not None:
            continue  # finished before the signal: nothing to check here
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        stopped += 1
        assert proc.returncode == 128 + signal.SIGTERM, err
        assert not out.exists(), f"attempt {attempt}: {out.name} exists after SIGTERM"
        match = re.search(r"stopped by SIGTERM after (\d+) records in \((\d+) cleaned, (\d+) errors\)", err)
        assert match, err
        seen, cleaned, _ = (int(g) for g in match.groups())
        partial = out.with_name(out.name + ".partial")
        if seen == 0:
            assert not partial.exists()
            continue
        assert f"partial output kept as {partial}" in err
        # what was written is whole: the stream is finished and no record is torn
        assert _units(partial) == (seen if suffix != ".txt" else cleaned)
        assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary left
    assert stopped, "every run finished before SIGTERM; the test proved nothing"
