"""``unboil learn``: learn a site model (block frequencies per host) over a crawl."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from unboil.commands.common import add_input_options, read_items


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
    from unboil.detect.site import SiteModel
    from unboil.errors import InputError
    from unboil.io.progress import progress

    try:
        model = SiteModel(min_pages=args.min_pages)
        for path in args.merge:
            model.merge(SiteModel.load(path))
    except (InputError, ValueError) as exc:
        print(f"unboil learn: {exc}", file=sys.stderr)
        return 2
    seen = used = errors = 0
    for item in progress(read_items(args), desc="learn"):
        seen += 1
        if not hasattr(item, "record"):
            errors += 1
            print(f"unboil learn: error: {item.source}:{item.position}: {item.reason}", file=sys.stderr)
            continue
        used += model.learn([item.record], text_key=args.text_key, html_key=args.html_key, url_key=args.url_key)
    tmp = f"{args.output}.tmp"
    model.save(tmp)
    os.replace(tmp, args.output)
    print(f"unboil learn: {seen} in, {used} pages learned, {seen - used - errors} without url or content, "
          f"{errors} errors; {len(model.hosts)} hosts -> {args.output}", file=sys.stderr)
    return 0 if used or not seen else 1
