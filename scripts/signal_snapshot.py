"""Save, then compare, every block's structure, signals and decision over the benchmark pages.

A guard for speed work: a faster segmenter or detector must leave what rules see unchanged.

    .venv/bin/python scripts/signal_snapshot.py save .cache/signals.jsonl.gz
    .venv/bin/python scripts/signal_snapshot.py compare .cache/signals.jsonl.gz [--limit N]

``compare`` prints, per field, how many blocks differ and the first few differences, and exits
1 when any block's decision differs (or the pages' block lists do), 0 otherwise. Floats are
compared to 6 decimals.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "fixtures"


def _pages(limit: int | None) -> list[tuple[str, Path]]:
    out: list[tuple[str, Path]] = []
    for bench in ("aeb", "wcxb-dev"):
        paths = sorted((SHARED / bench / "html").glob("*.html.gz"))
        out.extend((f"{bench}/{p.name[:-8]}", p) for p in paths[:limit])
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    return value


def snapshot_page(page_id: str, data: bytes) -> dict[str, Any]:
    """Everything rules and users see of one page, as plain JSON."""
    from unboil.cleaner import default_cleaner

    result = default_cleaner().clean_html(data)
    blocks = []
    for block, decision in zip(result.blocks, result.decisions):
        blocks.append({
            "text": block.text,
            "bullet": block.bullet,
            "tag": block.tag,
            "path": block.path,
            "class_tokens": list(block.class_tokens),
            "links": [[link.text, link.href] for link in block.links],
            "link_density": round(block.link_density, 6),
            "signals": _plain(block.signals),
            "decision": [decision.action, decision.rule, list(decision.matched)],
        })
    return {"id": page_id, "title": result.title, "blocks": blocks}


def save(out: Path, limit: int | None) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        for page_id, path in _pages(limit):
            with gzip.open(path, "rb") as src:
                fh.write(json.dumps(snapshot_page(page_id, src.read()), ensure_ascii=False) + "\n")
    print(f"saved {out}")
    return 0


def compare(ref: Path, limit: int | None, show: int) -> int:
    with gzip.open(ref, "rt", encoding="utf-8") as fh:
        expected = {rec["id"]: rec for rec in map(json.loads, fh)}
    diffs: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    blocks_seen = pages_seen = 0
    decision_flips = 0

    def note(field: str, message: str) -> None:
        diffs[field] += 1
        if len(examples.setdefault(field, [])) < show:
            examples[field].append(message)

    for page_id, path in _pages(limit):
        if page_id not in expected:
            continue
        pages_seen += 1
        with gzip.open(path, "rb") as src:
            got = json.loads(json.dumps(snapshot_page(page_id, src.read()), ensure_ascii=False))
        want = expected[page_id]
        if got["title"] != want["title"]:
            note("title", f"{page_id}: {want['title']!r} -> {got['title']!r}")
        if [b["text"] for b in got["blocks"]] != [b["text"] for b in want["blocks"]]:
            note("block texts", f"{page_id}: {len(want['blocks'])} -> {len(got['blocks'])} blocks")
            decision_flips += 1
            continue
        for i, (g, w) in enumerate(zip(got["blocks"], want["blocks"])):
            blocks_seen += 1
            for field in w:
                if field == "signals":
                    for name in set(w["signals"]) | set(g["signals"]):
                        if w["signals"].get(name) != g["signals"].get(name):
                            note(f"signals.{name}", f"{page_id}#{i}: {w['signals'].get(name)!r} -> "
                                 f"{g['signals'].get(name)!r}")
                elif g[field] != w[field]:
                    note(field, f"{page_id}#{i}: {w[field]!r} -> {g[field]!r}"[:300])
                    if field == "decision" and g[field][0] != w[field][0]:
                        decision_flips += 1
    print(f"{pages_seen} pages, {blocks_seen} blocks compared")
    for field, count in diffs.most_common():
        print(f"  {field}: {count}")
        for example in examples[field]:
            print(f"      {example}")
    print(f"keep/drop flips: {decision_flips}")
    return 1 if decision_flips else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("save", "compare"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="pages per benchmark")
    parser.add_argument("--show", type=int, default=3, help="examples printed per field")
    args = parser.parse_args(argv)
    if args.mode == "save":
        return save(args.path, args.limit)
    return compare(args.path, args.limit, args.show)


if __name__ == "__main__":
    sys.exit(main())
