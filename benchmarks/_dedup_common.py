"""Shared bits of the dedup benchmarks: the real texts, one core, one timed-run helper."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"
RESULTS = Path(__file__).resolve().parent / "results"


def real_texts() -> list[str]:
    """AEB article bodies and WCXB dev main contents; exits with a reason when absent."""
    if not FIXTURES.exists():
        raise SystemExit(f"shared fixtures not found at {FIXTURES}")
    aeb = json.loads((FIXTURES / "aeb" / "ground-truth.json").read_text("utf-8"))
    texts = [aeb[k]["articleBody"] for k in sorted(aeb)]
    for path in sorted((FIXTURES / "wcxb-dev" / "ground-truth").glob("*.json")):
        main = json.loads(path.read_text("utf-8"))["ground_truth"].get("main_content")
        if main:
            texts.append(main)
    return texts


def one_core() -> str:
    """Pin this process to one CPU so peers are compared on equal terms."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned"


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
