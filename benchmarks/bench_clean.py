"""Throughput of unboil.clean on the seed and on the AEB article texts (pytest-benchmark).

Run: .venv/bin/python -m pytest benchmarks/bench_clean.py --benchmark-only
Reports docs/s and blocks/s in `extra_info` (and on stdout with -s).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import unboil

ROOT = Path(__file__).resolve().parent.parent
AEB = ROOT.parent / "shared" / "fixtures" / "aeb" / "ground-truth.json"
SEED = ROOT / "tests" / "fixtures" / "seed" / "input.txt"


def _report(benchmark, docs: int, blocks: int) -> None:
    mean = benchmark.stats.stats.mean
    benchmark.extra_info.update(docs=docs, blocks=blocks, docs_per_s=docs / mean, blocks_per_s=blocks / mean)
    print(f"\n{benchmark.name}: {docs / mean:,.0f} docs/s, {blocks / mean:,.0f} blocks/s")


def test_clean_seed(benchmark):
    text = SEED.read_text("utf-8")
    cleaner = unboil.Cleaner()
    blocks = len(cleaner.clean(text).blocks)
    benchmark(cleaner.clean, text)
    _report(benchmark, 1, blocks)


def test_clean_aeb_texts(benchmark):
    if not AEB.exists():
        pytest.skip(f"AEB fixtures not found at {AEB}")
    truth = json.loads(AEB.read_text("utf-8"))
    texts = [v["articleBody"] for v in truth.values()]
    cleaner = unboil.Cleaner()
    blocks = sum(len(cleaner.clean(t).blocks) for t in texts)

    def run() -> None:
        for t in texts:
            cleaner.clean(t)

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    _report(benchmark, len(texts), blocks)
