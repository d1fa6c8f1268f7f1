"""``unboil dedup``: drop exact and near-duplicate records from JSONL/WARC inputs, writing the kept
records, a report of duplicate groups, and error records for inputs that could not be used."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from unboil.commands.common import add_input_options, read_items

_CHUNK = 5000


def add_parser(sub: Any) -> None:
    p = sub.add_parser("dedup", help="drop exact and near-duplicate records",
                       description="Find exact and near-duplicate records (MinHash LSH) and keep one of each group.")
    add_input_options(p)
    p.add_argument("-o", "--output", required=True, help="kept records (.jsonl, .jsonl.gz, .jsonl.zst) or - for stdout")
    p.add_argument("--report", default=None, metavar="PATH",
                   help="duplicate groups as JSONL (kept id, dropped ids, similarity); default OUTPUT.dedup.jsonl")
    p.add_argument("--errors", default=None, metavar="PATH", help="write error records here instead of the output")
    p.add_argument("--threshold", type=float, default=0.8, help="estimated Jaccard for near duplicates (0.8)")
    p.add_argument("--num-perm", type=int, default=128, help="MinHash permutations (128)")
    p.add_argument("--keep", choices=("first", "longest"), default="first", help="which member of a group to keep")
    p.add_argument("--containment", type=float, default=None,
                   help="also drop a record whose text lies at least this much inside a longer one (batch mode)")
    p.add_argument("--index", default=None, metavar="PATH",
                   help="dedup against an index file of earlier runs and add this run to it")
    p.add_argument("--redis", default=None, metavar="URL", help="share the index through Redis (redis://host:port/db)")
    p.add_argument("--namespace", default="unboil", help="key prefix of the Redis index")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    p.set_defaults(func=run)


def record_text(record: dict[str, Any], args: argparse.Namespace) -> str:
    """The text a record is deduplicated on: its text, else the cleaned text of its HTML."""
    text = record.get(args.text_key)
    if isinstance(text, str) and text.strip():
        return text
    html = record.get(args.html_key)
    if isinstance(html, (str, bytes)) and html.strip():  # WARC payloads arrive as bytes
        from unboil import clean_html

        return clean_html(html).text
    return ""


def _records(args: argparse.Namespace, sink: Any, stats: dict[str, int]) -> Iterator[tuple[str, dict, str]]:
    """(id, record, text) of every usable record; error items and empty texts go to ``sink``."""
    from unboil.io.progress import progress
    from unboil.io.readers import ErrorItem, RecordItem

    for item in progress(read_items(args), desc="dedup", enabled=args.progress):
        stats["in"] += 1
        if not isinstance(item, RecordItem):
            stats["errors"] += 1
            if sink is not None:
                sink.write_error(item)
            continue
        rid = str(item.record.get(args.id_key) or f"{item.source}:{item.position}")
        try:
            text = record_text(item.record, args)
        except (ValueError, TypeError) as exc:
            text, why = "", f"cannot read the html: {exc}"
        else:
            why = "empty text: nothing to deduplicate"
        if not text.strip():
            stats["errors"] += 1
            if sink is not None:
                sink.write_error(ErrorItem(item.source, item.position, why, rid))
            continue
        yield rid, item.record, text


def run(args: argparse.Namespace) -> int:
    """Run the verb; 0 on success, 1 when no record could be used, 2 on bad options."""
    from unboil.io.writers import RecordWriter

    if args.index and args.redis:
        print("unboil dedup: give --index or --redis, not both", file=sys.stderr)
        return 2
    incremental = bool(args.index or args.redis)
    if incremental and (args.keep != "first" or args.containment is not None):
        print("unboil dedup: --index/--redis keep the first copy and do not do --containment", file=sys.stderr)
        return 2
    report_path = args.report or (None if args.output == "-" else args.output + ".dedup.jsonl")
    stats = {"in": 0, "kept": 0, "dropped": 0, "errors": 0}
    try:
        with RecordWriter(args.output, errors_path=args.errors) as out, \
                RecordWriter(report_path or "-") as report:
            if incremental:
                _run_incremental(args, out, report, stats)
            else:
                _run_batch(args, out, report, stats)
    except (OSError, ValueError, ConnectionError) as exc:
        print(f"unboil dedup: {exc}", file=sys.stderr)
        return 2
    print(f"unboil dedup: {stats['in']} in, {stats['kept']} kept, {stats['dropped']} dropped, "
          f"{stats['errors']} errors" + (f"; groups in {report_path}" if report_path else ""), file=sys.stderr)
    return 1 if stats["errors"] and not stats["kept"] else 0


def _config(args: argparse.Namespace):
    from unboil.dedup import DedupConfig

    return DedupConfig(threshold=args.threshold, num_perm=args.num_perm, containment=args.containment)


def _run_batch(args: argparse.Namespace, out: Any, report: Any, stats: dict[str, int]) -> None:
    """Two passes: signatures of every record, then write the records that were not dropped."""
    from unboil.dedup import dedup_batch
    from unboil.dedup.run import StreamingDedup

    cfg = _config(args)
    ids: list[str] = []
    held: list[tuple[dict, str]] = []  # records are held only for stdin or containment
    hold = "-" in args.inputs or cfg.containment is not None
    chunk: list[str] = []
    streaming = None if cfg.containment is not None else StreamingDedup(cfg)
    for rid, record, text in _records(args, out, stats):
        ids.append(rid)
        if hold:
            held.append((record, text))
        if streaming is not None:
            chunk.append(text)
            if len(chunk) >= _CHUNK:
                streaming.add(chunk)
                chunk = []
    if streaming is not None:
        if chunk:
            streaming.add(chunk)
        groups = streaming.finish(args.keep)
    else:
        groups = dedup_batch([t for _, t in held], cfg, keep=args.keep)
    dropped = {i for g in groups for i in g.dropped}
    for g in groups:
        report.write({"kept": ids[g.kept], "dropped": [ids[i] for i in g.dropped],
                      "similarity": [round(s, 4) for s in g.similarity], "kind": g.kind})
    records = (r for r, _ in held) if hold else (r for _, r, _ in _records(args, None, {"in": 0, "errors": 0}))
    for i, record in enumerate(records):
        if i in dropped:
            stats["dropped"] += 1
        else:
            out.write(record)
            stats["kept"] += 1


def _run_incremental(args: argparse.Namespace, out: Any, report: Any, stats: dict[str, int]) -> None:
    """One pass against a persistent index: each record is kept unless an earlier one matches."""
    from unboil.dedup import NearDupIndex

    index = NearDupIndex(threshold=args.threshold, num_perm=args.num_perm, storage=args.redis or args.index,
                         namespace=args.namespace)
    batch: list[tuple[str, dict, str]] = []

    def flush() -> None:
        fresh: list[tuple[str, dict, str]] = []
        for rid, record, text in batch:
            if rid in index or any(rid == f[0] for f in fresh):
                stats["dropped"] += 1
                report.write({"kept": rid, "dropped": [rid], "similarity": [1.0], "kind": "same id"})
            else:
                fresh.append((rid, record, text))
        found = index.add_many([f[0] for f in fresh], [f[2] for f in fresh])
        for (rid, record, _), (earlier, sim) in zip(fresh, found):
            if earlier is None:
                out.write(record)
                stats["kept"] += 1
            else:
                stats["dropped"] += 1
                report.write({"kept": earlier, "dropped": [rid], "similarity": [round(sim, 4)],
                              "kind": "exact" if sim == 1.0 else "near"})
        batch.clear()

    for item in _records(args, out, stats):
        batch.append(item)
        if len(batch) >= _CHUNK:
            flush()
    flush()
    if args.index:
        index.save()
