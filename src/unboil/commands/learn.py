"""``unboil learn``: learn a site model (block frequencies per host) over a crawl."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from unboil.commands.common import add_input_options, read_items, skipped_note, with_progress
from unboil.commands.outputs import refuse_unsafe_outputs, write_error_reason
from unboil.commands.signals import record_step


def add_parser(sub: Any) -> None:
    p = sub.add_parser("learn", help="learn which blocks recur across the pages of each site",
                       description="Learn a site model from records with a URL; use it with "
                                   "`unboil clean --site-model MODEL`.")
    add_input_options(p)
    p.add_argument("-o", "--output", required=True, help="where to write the model (.npz)")
    p.add_argument("--merge", action="append", default=[], metavar="MODEL",
                   help="start from an existing model (repeatable); its counts are added")
    p.add_argument("--min-pages", type=int, default=3,
                   help="pages a host needs before its frequencies are used (default 3)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Learn the model and save it; 1 when no page could be learned or the model could not be
    written, 2 on bad options, an unsafe -o or a bad --merge model."""
    from unboil.detect.site import SiteModel
    from unboil.errors import InputError
    from unboil.io.readers import ReadStats

    # -o may name a --merge model: it is read whole before anything is written, then replaced whole.
    if refuse_unsafe_outputs("learn", args.inputs, [args.output]):
        return 2
    try:
        model = SiteModel(min_pages=args.min_pages)
        for path in args.merge:
            model.merge(SiteModel.load(path))
    except (InputError, ValueError) as exc:
        print(f"unboil learn: {exc}", file=sys.stderr)
        return 2
    stats = ReadStats()
    seen = used = errors = 0
    for item in with_progress(read_items(args, stats), args, stats, "learn"):
        with record_step():  # a stop signal lands between pages; nothing is saved then
            seen += 1
            if not hasattr(item, "record"):
                errors += 1
                where = f"{item.source}:{item.position}" if item.position else item.source
                print(f"unboil learn: error: {where}: {item.reason}", file=sys.stderr)
                continue
            used += model.learn([item.record], text_key=args.text_key, html_key=args.html_key,
                                url_key=args.url_key)
    try:
        model.save(args.output)
    except OSError as exc:
        print(f"unboil learn: cannot write {args.output}: {write_error_reason(exc)}", file=sys.stderr)
        return 1
    print(f"unboil learn: {seen} in, {used} pages learned, {seen - used - errors} without url or content, "
          f"{errors} errors{skipped_note(stats.skipped)}; {len(model.hosts)} hosts -> {args.output}",
          file=sys.stderr)
    return 0 if used or not seen else 1
