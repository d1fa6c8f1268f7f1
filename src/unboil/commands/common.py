"""Options and helpers shared by the verbs that read records (clean, explain)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from unboil.records import RecordKeys


def add_input_options(p: argparse.ArgumentParser) -> None:
    """INPUT paths and the record-key options."""
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="files (.txt .html .jsonl .jsonl.gz .jsonl.zst .warc.gz), directories, or - for stdin")
    p.add_argument("--text-key", default="text", help="record key holding the text (default: text)")
    p.add_argument("--html-key", default="html", help="record key holding raw HTML (default: html)")
    p.add_argument("--id-key", default="id", help="record key holding the id (default: id)")
    p.add_argument("--url-key", default="url", help="record key holding the URL (default: url; falls back to metadata.url)")


def add_rule_options(p: argparse.ArgumentParser) -> None:
    """Rule files, the default set switch, the site model and the cleaner's limits."""
    from unboil.commands.limits import add_limit_options

    p.add_argument("-r", "--rules", action="append", default=[], metavar="FILE",
                   help="an extra rule file (TOML); repeatable")
    p.add_argument("--no-default-rules", action="store_true", help="use only the rule files given")
    p.add_argument("--title", default=None, help="the page title (text input; default: the first line)")
    p.add_argument("--split", choices=("lines", "paragraphs"), default="lines",
                   help="text blocks: every line (default) or paragraphs separated by blank lines")
    p.add_argument("--site-model", default=None, metavar="MODEL",
                   help="a site model from `unboil learn`: drop blocks that recur across a host's pages")
    add_limit_options(p)


def record_keys(args: argparse.Namespace) -> RecordKeys:
    return RecordKeys(text=args.text_key, html=args.html_key, id=args.id_key, url=args.url_key)


def make_cleaner(args: argparse.Namespace) -> Any:
    """A Cleaner from the rule and limit options; a bad rule file exits with its error message."""
    from unboil.cleaner import Cleaner, CleanerConfig
    from unboil.commands.limits import limit_values
    from unboil.detect.site import SiteModel
    from unboil.errors import InputError
    from unboil.rules import RuleError

    try:
        site_model = SiteModel.load(args.site_model) if args.site_model else None
        config = CleanerConfig(split=args.split, **limit_values(args))
        return Cleaner(rules=args.rules, include_default_rules=not args.no_default_rules,
                       config=config, site_model=site_model)
    except (RuleError, OSError, InputError) as exc:
        print(f"unboil: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def read_items(args: argparse.Namespace) -> Any:
    """Records and error items from the inputs, in order."""
    from unboil.io.readers import read_records

    return read_records(args.inputs, text_key=args.text_key, html_key=args.html_key,
                        id_key=args.id_key, url_key=args.url_key)
