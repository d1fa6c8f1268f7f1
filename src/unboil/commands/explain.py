"""``unboil explain``: show every block of a document with keep/drop and the deciding rule."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from typing import Any, TextIO

from unboil.commands.common import (
    add_input_options,
    add_rule_options,
    make_cleaner,
    read_items,
    record_keys,
    rule_inputs,
    skipped_note,
)
from unboil.commands.outputs import refuse_unsafe_outputs, write_error_reason
from unboil.io.safety import atomic_path
from unboil.commands.signals import record_step
from unboil.document import CleanResult
from unboil.report import matched_note
from unboil.errors import InputError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("explain", help="show each block with keep/drop and the rule that decided",
                       description="Explain, block by block, what clean would keep and drop and why.")
    add_input_options(p)
    add_rule_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output, one JSON object per document")
    p.add_argument("--limit", type=int, default=0, help="explain at most this many documents (0 = all)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("--html", metavar="REPORT", default=None,
                   help="also write an HTML report: kept blocks plain, dropped ones struck through with their rule")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Explain each document; 1 when none could be, or the report could not be written; 2 on bad
    options or an unsafe --html path."""
    from unboil.io.readers import ReadStats
    from unboil.records import clean_result_for_record

    if refuse_unsafe_outputs("explain", rule_inputs(args), [args.html]):
        return 2
    cleaner = make_cleaner(args)
    stats = ReadStats()
    keys = record_keys(args)
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    shown = errors = 0
    explained: list[tuple[str, CleanResult]] = []
    for item in read_items(args, stats):
        with record_step():  # a stop signal lands between documents
            if args.limit and shown >= args.limit:
                break
            shown += 1
            if not hasattr(item, "record"):
                errors += 1
                print(f"unboil explain: error: {_where(item.source, item.position)}: {item.reason}", file=sys.stderr)
                continue
            try:
                result = clean_result_for_record(item.record, cleaner, keys)
            except (InputError, ValueError) as exc:
                errors += 1
                print(f"unboil explain: error: {_where(item.source, item.position)}: {exc}", file=sys.stderr)
                continue
            rid = str(item.record.get(keys.id, item.source))
            if args.html:
                explained.append((rid, result))
            if args.json:
                print(json.dumps({"id": rid, **result.to_dict()}, ensure_ascii=False))
            else:
                render_explanation(result, rid, sys.stdout, color=color)
    if stats.skipped:
        print(f"unboil explain: {shown - errors} explained, {errors} errors{skipped_note(stats.skipped)}",
              file=sys.stderr)
    if args.html:
        from unboil.report import render_report

        try:
            with atomic_path(args.html) as tmp, open(tmp, "w", encoding="utf-8") as fh:
                fh.write(render_report(explained))
        except OSError as exc:
            print(f"unboil explain: cannot write {args.html}: {write_error_reason(exc)}", file=sys.stderr)
            return 1
        print(f"unboil explain: HTML report written to {args.html}", file=sys.stderr)
    return 1 if errors and shown == errors else 0


def _where(source: str, position: str) -> str:
    return f"{source}:{position}" if position else source


_RESET, _DIM, _RED, _BOLD, _GREEN = "\x1b[0m", "\x1b[2m", "\x1b[31m", "\x1b[1m", "\x1b[32m"


def render_explanation(result: CleanResult, name: str, out: TextIO, *, color: bool = False, width: int | None = None) -> None:
    """Write a terminal-friendly table: index, KEEP/DROP, deciding rule, the block's text."""
    width = width or max(60, min(shutil.get_terminal_size((100, 20)).columns, 160))
    rule_w = max([len(d.rule) for d in result.decisions] + [4])
    paint = (lambda code, s: f"{code}{s}{_RESET}") if color else (lambda code, s: s)
    out.write(paint(_BOLD, f"== {name}") + (f"  (title: {result.title})" if result.title else "") + "\n")
    for d in result.decisions:
        block = result.blocks[d.index]
        text = " ".join(block.text.split())
        room = max(20, width - rule_w - 14)
        if len(text) > room:
            text = text[: room - 1] + "…"
        verdict = "DROP" if d.dropped else "keep"
        line = f"{d.index:4d}  {verdict}  {d.rule:<{rule_w}}  {text}"
        out.write((paint(_RED, line) if d.dropped else line) + "\n")
        note = matched_note(result, d)
        if note:
            out.write(paint(_DIM, f"{'':12}{note}") + "\n")
    removed = result.removed_by_rule()
    summary = ", ".join(f"{rule} {n}" for rule, n in sorted(removed.items(), key=lambda kv: -kv[1]))
    kept = len(result.blocks) - sum(removed.values())
    out.write(paint(_GREEN, f"   kept {kept} of {len(result.blocks)} blocks") + (f"; dropped: {summary}" if summary else "") + "\n\n")
