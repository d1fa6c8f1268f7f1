"""Redis goes away in the middle of ``unboil dedup --redis``: the run says what happened and how far it
got, keeps what it wrote as OUTPUT.partial, and exits non-zero."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.redis

REPO = Path(__file__).resolve().parents[2]


def test_losing_redis_mid_run_is_reported_with_the_counts_so_far(fresh_redis, tmp_path, real_texts):
    import redis

    src = tmp_path / "crawl.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for n in range(5_000):
            fh.write(json.dumps({"id": f"r{n}", "text": f"{real_texts[n % 1000]}\n\nEdition {n // 1000}"}) + "\n")
    out = tmp_path / "kept.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "unboil", "dedup", str(src), "-o", str(out), "--redis",
                             fresh_redis.url, "--no-progress"], env={**os.environ, "PYTHONPATH": str(REPO / "src")},
                            stderr=subprocess.PIPE, text=True)
    client = redis.Redis(host="127.0.0.1", port=fresh_redis.port)
    deadline = time.monotonic() + 120
    while not client.hlen("unboil:sig"):  # wait until the first batch is in the index
        assert proc.poll() is None and time.monotonic() < deadline, "dedup ended before it wrote to Redis"
        time.sleep(0.01)
    fresh_redis.process.terminate()  # the server goes away mid-run
    fresh_redis.process.wait(timeout=15)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode not in (0, None), err
    assert "Traceback" not in err and "expired" not in err, err
    found = re.search(r"lost the Redis connection at record (\d+)", err)
    assert found, err
    at = int(found.group(1))
    assert 1 < at <= 5_000
    counts = re.search(r"(\d+) in, (\d+) kept, (\d+) dropped, (\d+) errors", err)
    n_in, kept, dropped, errors = map(int, counts.groups())
    assert n_in == kept + dropped + errors == at - 1
    partial = Path(str(out) + ".partial")
    assert str(partial) in err
    assert not out.exists()
    assert partial.read_bytes().count(b"\n") == kept > 0
