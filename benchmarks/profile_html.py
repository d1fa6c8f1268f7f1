"""Where one core's time goes in ``clean_html``, stage by stage, over the AEB pages.

Run: taskset -c 1 .venv/bin/python benchmarks/profile_html.py [--pages N] [--repeat K] [--cpu]
Prints ms/page per stage (segmentation includes the parse; "free" is releasing the page) and pages/s for the whole pipeline;
the best of K passes counts, as the machine is shared and noisy. ``--cpu`` counts this process's
CPU time instead of wall time, which other processes on the same core cannot inflate as much.
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

from unboil.cleaner import default_cleaner
from unboil.detect.content import annotate_content
from unboil.detect.density import annotate_density
from unboil.detect.repeats import annotate_repeats
from unboil.detect.widgets import annotate_widgets
from unboil.segment.html import segment_html

AEB_HTML = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "aeb" / "html"
STAGES = ("segment", "density", "widgets", "repeats", "content", "rules", "free")


def one_pass(pages: list[bytes], clock=time.perf_counter) -> tuple[dict[str, float], int]:
    """Seconds spent in each stage over all pages, and the number of blocks."""
    cleaner = default_cleaner()
    lexicon, rules, repeats = cleaner.lexicon, cleaner.rules, cleaner.config.repeats
    spent = dict.fromkeys(STAGES, 0.0)
    blocks = 0
    for data in pages:
        t0 = clock()
        doc = segment_html(data, "")
        t1 = clock()
        annotate_density(doc)
        t2 = clock()
        annotate_widgets(doc, lexicon)
        t3 = clock()
        annotate_repeats(doc, repeats)
        t4 = clock()
        annotate_content(doc)
        t5 = clock()
        rules.decide(doc)
        t6 = clock()
        blocks += len(doc.blocks)
        del doc  # freeing the tree, blocks and signals is part of a page's cost: its own line
        t7 = clock()
        for stage, seconds in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6)):
            spent[stage] += seconds
    return spent, blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=None, help="first N AEB pages (default all)")
    parser.add_argument("--repeat", type=int, default=3, help="passes; the fastest counts")
    parser.add_argument("--cpu", action="store_true", help="process CPU time instead of wall time")
    args = parser.parse_args()
    paths = sorted(AEB_HTML.glob("*.html.gz"))[: args.pages]
    if not paths:
        raise SystemExit(f"no AEB pages at {AEB_HTML}")
    pages = [gzip.open(p, "rb").read() for p in paths]
    one_pass(pages[:5])  # warm caches and lazy loads
    clock = time.process_time if args.cpu else time.perf_counter
    best = min((one_pass(pages, clock) for _ in range(args.repeat)), key=lambda r: sum(r[0].values()))
    spent, blocks = best
    total = sum(spent.values())
    n = len(pages)
    kind = "CPU" if args.cpu else "wall"
    print(f"{n} pages, {blocks / n:.0f} blocks/page: {n / total:.1f} pages/s, {total / n * 1e3:.2f} ms/page ({kind} time)")
    for stage in STAGES:
        print(f"  {stage:<8} {spent[stage] / n * 1e3:6.2f} ms/page  {spent[stage] / total:6.1%}")


if __name__ == "__main__":
    main()
