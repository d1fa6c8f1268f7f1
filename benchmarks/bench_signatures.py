"""Text -> MinHash signature throughput, end to end (tokenizing and shingling included), on one
core: unboil (default and datasketch-compatible schemes) against datasketch ``MinHash.bulk`` and
rensa ``RMinHash`` (shingles built in Python), all in one run.

    .venv/bin/python benchmarks/bench_signatures.py [--copies 3] [--num-perm 128]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import xxhash  # noqa: E402
from _dedup_common import RESULTS, one_core, real_texts, timed  # noqa: E402

from unboil.dedup import signatures  # noqa: E402
from unboil.fingerprint.shingles import tokenize, word_shingles  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run every peer on the same texts and write benchmarks/results/dedup_signatures.json."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=3, help="how many times the real corpus is repeated")
    ap.add_argument("--num-perm", type=int, default=128)
    args = ap.parse_args(argv)
    pinned = one_core()
    texts = real_texts() * args.copies
    shingles = sum(len(word_shingles(tokenize(t))) for t in texts)
    signatures(texts[:10])  # build the code point tables once, outside the timing
    rows: dict[str, float | str] = {}

    rows["unboil"] = timed(lambda: signatures(texts, num_perm=args.num_perm), repeat=2)
    rows["unboil compat=datasketch"] = timed(lambda: signatures(texts, num_perm=args.num_perm, compat="datasketch"))

    from datasketch import MinHash

    def datasketch_bulk() -> None:
        batches = ([s.encode() for s in word_shingles(tokenize(t))] for t in texts)
        MinHash.bulk(batches, num_perm=args.num_perm, hashfunc=xxhash.xxh32_intdigest)

    rows["datasketch MinHash.bulk"] = timed(datasketch_bulk)
    try:
        from rensa import RMinHash

        def rensa_run() -> None:
            for t in texts:
                m = RMinHash(num_perm=args.num_perm, seed=1)
                m.update(word_shingles(tokenize(t)))
                m.digest()

        rows["rensa RMinHash"] = timed(rensa_run)
    except ImportError as err:
        print(f"rensa skipped: {err} (pip install rensa)")
        rows["rensa RMinHash"] = "not installed"

    report = {"texts": len(texts), "shingles": shingles, "num_perm": args.num_perm, "cpu": pinned,
              "python": platform.python_version(), "numpy": np.__version__, "results": {}}
    print(f"{len(texts)} texts, {shingles} shingles, num_perm={args.num_perm}, {pinned}")
    for name, seconds in rows.items():
        if isinstance(seconds, str):
            print(f"{name:28s} {seconds}")
            continue
        rate = shingles / seconds
        report["results"][name] = {"seconds": round(seconds, 3), "shingles_per_s": round(rate)}
        print(f"{name:28s} {seconds:7.2f} s  {rate / 1e6:6.2f} M shingles/s  {len(texts) / seconds:9.0f} texts/s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dedup_signatures.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
