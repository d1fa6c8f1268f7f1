"""SIGKILL at random moments never leaves a truncated file under a final name, and the index file
always loads with either its old or its new content."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from unboil.dedup import NearDupIndex

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


def _entries(path: Path) -> list[tuple[object, bytes]]:
    idx = NearDupIndex.load(path)
    return list(zip(idx.store.keys, idx.store.digests))


def _run(argv: list[str], kill_after: float | None) -> int | None:
    """Run ``argv``; SIGKILL it after ``kill_after`` seconds (None: let it finish). Its return code,
    or None when it was killed before finishing."""
    proc = subprocess.Popen(argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is None:
        return proc.wait(timeout=120)
    try:
        return proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        return None


def test_sigkill_during_dedup_with_an_index_leaves_old_or_new_never_garbage(tmp_path, real_texts):
    rng = random.Random(20261208)
    day1 = tmp_path / "day1.jsonl"
    day2 = tmp_path / "day2.jsonl"
    day1.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(real_texts[:300])))
    day2.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(real_texts[300:900])))
    index, out = tmp_path / "idx.npz", tmp_path / "out.jsonl"
    base = [sys.executable, "-m", "unboil", "dedup", "--no-progress", "--index", str(index)]
    assert _run([*base, str(day1), "-o", str(tmp_path / "day1.out.jsonl")], None) == 0
    old = _entries(index)
    ref = tmp_path / "ref"
    ref.mkdir()
    (ref / "idx.npz").write_bytes(index.read_bytes())
    started = time.monotonic()
    assert _run([sys.executable, "-m", "unboil", "dedup", "--no-progress", "--index", str(ref / "idx.npz"),
                 str(day2), "-o", str(ref / "out.jsonl")], None) == 0
    took = time.monotonic() - started
    new, expected = _entries(ref / "idx.npz"), (ref / "out.jsonl").read_bytes()
    assert len(new) > len(old)
    snapshot = index.read_bytes()
    for _ in range(5):
        index.write_bytes(snapshot)
        out.unlink(missing_ok=True)
        code = _run([*base, str(day2), "-o", str(out)], rng.uniform(0.3 * took, 1.1 * took))
        assert code in (None, 0)
        assert _entries(index) in (old, new)  # loads, and is one of the two versions
        if out.exists():
            assert out.read_bytes() == expected  # a file under its final name is complete
        if _entries(index) == new:
            assert out.exists()  # the index never remembers records whose output was not kept
        leftovers = {p.name for p in tmp_path.iterdir()} - {"day1.jsonl", "day2.jsonl", "day1.out.jsonl", "idx.npz",
                                                            "idx.npz.lock", "out.jsonl", "ref"}
        assert all(name.startswith(".") or name.endswith(".partial") for name in leftovers), leftovers


_SAVER = """
import sys
from unboil.dedup import NearDupIndex
path, texts = sys.argv[1], open(sys.argv[2], encoding="utf-8").read().split("\\x00")
idx = NearDupIndex(storage=path)
n = len(idx)
while True:
    idx.add_many([f"k{n + i}" for i in range(len(texts))], texts)
    n += len(texts)
    idx.save()
    print(n, flush=True)
"""


def test_sigkill_during_save_always_leaves_a_loadable_index(tmp_path, real_texts):
    rng = random.Random(7)
    texts = tmp_path / "texts.bin"
    texts.write_text("\x00".join(real_texts[:400]), encoding="utf-8")
    path = tmp_path / "idx.npz"
    for _ in range(5):
        before = len(NearDupIndex.load(path)) if path.exists() else 0
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(path), str(texts)], env=_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip()  # one save done: the loop is now adding and saving
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        after = len(NearDupIndex.load(path))  # never a half-written file
        assert after > before and after % 400 == 0
