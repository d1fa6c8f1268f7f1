"""Dedup of synthetic crawls built from the real fixture texts, at several sizes, on one core:
documents/s, peak RSS, and a plot of time against size.

Each distinct page splices 3-8 paragraphs drawn from the AEB and WCXB texts (so pages are
real prose, ~300 words on average, and unrelated pages share no more than real pages do);
then 10% of the crawl are exact copies (some re-wrapped) and 12% near copies (template
header/footer, a few words changed, or the end cut) of earlier pages.

    .venv/bin/python benchmarks/dedup_crawl.py --sizes 10000,100000,1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dedup_common import RESULTS, one_core, real_texts  # noqa: E402

from unboil.dedup import DedupConfig  # noqa: E402
from unboil.dedup.run import dedup_stream  # noqa: E402

EXACT_RATE, NEAR_RATE = 0.10, 0.12


def paragraphs() -> list[str]:
    """Paragraphs of 20-150 words from the real texts."""
    out = []
    for text in real_texts():
        for para in text.split("\n"):
            if 20 <= len(para.split()) <= 150:
                out.append(para.strip())
    return out


def crawl(size: int, seed: int = 0) -> Iterator[str]:
    """``size`` pages: fresh splices, exact copies and near copies of recent pages."""
    rng = random.Random(seed)
    pool = paragraphs()
    recent: list[str] = []
    for _ in range(size):
        r = rng.random()
        if recent and r < EXACT_RATE:
            page = rng.choice(recent)
            yield page if rng.random() < 0.5 else page.replace(" ", "\n", 2)
        elif recent and r < EXACT_RATE + NEAR_RATE:
            page = rng.choice(recent)
            words = page.split()
            kind = rng.random()
            if kind < 0.4:
                yield "Home | News | Contact\n" + page + "\nCopyright 2024. All rights reserved."
            elif kind < 0.7:
                for _ in range(max(1, len(words) // 60)):
                    words[rng.randrange(len(words))] = "update"
                yield " ".join(words)
            else:
                yield " ".join(words[: int(len(words) * 0.95)])
        else:
            page = "\n".join(rng.sample(pool, rng.randint(3, 8)))
            recent.append(page)
            if len(recent) > 5000:
                recent[rng.randrange(5000)] = recent.pop()
            yield page


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Run each size once and write benchmarks/results/dedup_crawl.json and .png."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated crawl sizes")
    ap.add_argument("--threshold", type=float, default=0.8)
    args = ap.parse_args(argv)
    pinned = one_core()
    sizes = [int(s) for s in args.sizes.split(",")]
    config = DedupConfig(threshold=args.threshold)
    rows = []
    for size in sizes:
        gc.collect()
        start = time.perf_counter()
        groups = dedup_stream(crawl(size), config)
        seconds = time.perf_counter() - start
        dropped = sum(len(g.dropped) for g in groups)
        row = {"documents": size, "seconds": round(seconds, 2), "docs_per_s": round(size / seconds),
               "groups": len(groups), "dropped": dropped, "dropped_share": round(dropped / size, 4),
               "peak_rss_mib": round(peak_rss_mib())}
        rows.append(row)
        print(json.dumps(row), flush=True)
    report = {"cpu": pinned, "threshold": args.threshold, "bands": config.lsh.bands, "rows": config.lsh.rows,
              "exact_rate": EXACT_RATE, "near_rate": NEAR_RATE, "note": "time includes generating the crawl",
              "results": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dedup_crawl.json").write_text(json.dumps(report, indent=2) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot([r["documents"] for r in rows], [r["seconds"] for r in rows], "o-")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("documents")
        ax.set_ylabel("seconds (one core)")
        ax.set_title("unboil batch dedup of synthetic crawls")
        for r in rows:
            ax.annotate(f"{r['docs_per_s']}/s, {r['peak_rss_mib']} MiB", (r["documents"], r["seconds"]), fontsize=8)
        fig.tight_layout()
        fig.savefig(RESULTS / "dedup_crawl.png", dpi=120)
    except ImportError as err:
        print(f"plot skipped: {err}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
