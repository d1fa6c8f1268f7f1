"""Options and helpers shared by the verbs: inputs, rules, error lines, the summary, progress."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable
from typing import Any

from unboil.records import RecordKeys

SHOWN_ERRORS = 5  # error reasons printed on stderr before "... and N more"


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


def read_items(args: argparse.Namespace, stats: Any = None) -> Any:
    """Records and error items from the inputs, in order; ``stats`` (a ReadStats) gets the counts."""
    from unboil.io.readers import read_records

    return read_records(args.inputs, text_key=args.text_key, html_key=args.html_key,
                        id_key=args.id_key, url_key=args.url_key, stats=stats)


def rule_inputs(args: argparse.Namespace) -> list[str]:
    """Every path a verb with rule options reads: the inputs, rule files and the site model."""
    return [*args.inputs, *args.rules, *([args.site_model] if args.site_model else [])]


class ErrorLines:
    """The first few error reasons of a run, shown on stderr with their source and position, and
    how many more there were (all of them are in the error records)."""

    def __init__(self, verb: str, limit: int = SHOWN_ERRORS) -> None:
        self.verb = verb
        self.limit = limit
        self.count = 0
        self._shown: list[str] = []

    def add(self, source: str, position: str, reason: str) -> None:
        """Note one error; only the first ``limit`` are kept for display."""
        self.count += 1
        if len(self._shown) < self.limit:
            where = f"{source}:{position}" if position else source
            self._shown.append(f"unboil {self.verb}: error: {where}: {reason}")

    def print(self, where: str) -> None:
        """Print the kept reasons, then "... and N more errors, <where>" when some were left out."""
        for line in self._shown:
            print(line, file=sys.stderr)
        if self.count > len(self._shown):
            print(f"unboil {self.verb}: ... and {self.count - len(self._shown)} more errors, {where}",
                  file=sys.stderr)


def skipped_note(skipped: Counter[str]) -> str:
    """"; skipped: 30 warc request record, 1 unknown extension" for the summary line, or ""."""
    if not skipped:
        return ""
    parts = sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
    return "; skipped: " + ", ".join(f"{n} {kind}" for kind, n in parts)


def show_progress(args: argparse.Namespace) -> bool:
    """--progress / --no-progress when given, else on when stderr is a terminal or with -v."""
    wanted = getattr(args, "progress", None)
    if wanted is not None:
        return bool(wanted)
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty()) or bool(getattr(args, "verbose", False))


def with_progress(items: Iterable[Any], args: argparse.Namespace, stats: Any, desc: str) -> Iterable[Any]:
    """``items`` with progress on stderr when wanted: against the number of documents when every
    input is a single-document file, else against the input's bytes (read as far as ``stats`` says)."""
    from unboil.io.progress import progress
    from unboil.io.readers import measure_inputs

    if not show_progress(args):
        return items
    size = measure_inputs(args.inputs)
    if size.stdin:
        return progress(items, desc=desc, enabled=True)
    if size.files and size.files == size.documents:
        return progress(items, total=size.files, desc=desc, enabled=True)
    return progress(items, desc=desc, enabled=True, size=size.bytes, done=lambda: stats.bytes_read)


def worker_count(value: str) -> int:
    """The argparse type of ``-j/--workers``: a whole number, 0 meaning one per core."""
    import os

    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (one per core) or more, got {n}")
    return n or os.cpu_count() or 1
