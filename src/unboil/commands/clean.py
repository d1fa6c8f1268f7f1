"""``unboil clean``: clean documents and records, writing text or JSONL plus a per-rule summary."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from unboil.commands.common import add_input_options, add_rule_options, make_cleaner, read_items, record_keys
from unboil.errors import InputError

_WHOLE_DOCUMENT = (".txt", ".text", ".html", ".htm", ".xhtml", ".txt.gz", ".html.gz", ".htm.gz")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("clean", help="remove boilerplate from documents or JSONL/WARC records",
                       description="Clean text or HTML documents and JSONL/WARC records.")
    add_input_options(p)
    add_rule_options(p)
    p.add_argument("-o", "--output", default="-",
                   help="output path (.jsonl, .jsonl.gz, .jsonl.zst, or .txt), - for stdout (default)")
    p.add_argument("--format", choices=("auto", "text", "jsonl"), default="auto",
                   help="text prints cleaned documents; jsonl writes records (auto: text for a single "
                        ".txt/.html input, else jsonl)")
    p.add_argument("--errors", default=None, metavar="PATH",
                   help="write error records here instead of into the output")
    p.add_argument("--keep-html", action="store_true", help="keep the raw html key in output records")
    p.add_argument("--stats", action="store_true", help="print how many blocks each rule removed (stderr)")
    p.add_argument("-j", "--workers", type=_workers, default=1, metavar="N",
                   help="clean on N processes (0: one per core); output keeps the input order (default 1)")
    p.set_defaults(func=run)


def _workers(value: str) -> int:
    import os

    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (one per core) or more, got {n}")
    return n or os.cpu_count() or 1


def _output_format(args: argparse.Namespace) -> str:
    if args.format != "auto":
        return args.format
    out = args.output.lower()
    if out != "-":
        return "text" if out.endswith((".txt", ".text")) else "jsonl"
    single_doc = len(args.inputs) == 1 and args.inputs[0].lower().endswith(_WHOLE_DOCUMENT)
    return "text" if single_doc else "jsonl"


# The cleaner and keys of this process: set once, here or in each worker, by _start.
_STATE: dict[str, Any] = {}


def _start(args: argparse.Namespace, cleaner: Any = None) -> None:
    _STATE["cleaner"] = cleaner if cleaner is not None else make_cleaner(args)
    _STATE["keys"] = record_keys(args)
    _STATE["keep_html"] = args.keep_html


def _clean_item(item: Any) -> tuple[dict[str, Any] | None, tuple[str, str, str, str] | None]:
    """(cleaned record, None) or (None, (id, reason, source, position)) for one input, in any
    process; only the output crosses back from a worker, not the input record with its HTML."""
    from unboil.records import clean_record

    if not hasattr(item, "record"):  # an ErrorItem from the reader
        return None, (item.id, item.reason, item.source, item.position)
    keys = _STATE["keys"]
    try:
        out = clean_record(item.record, cleaner=_STATE["cleaner"], keys=keys)
    except (InputError, ValueError) as exc:
        return None, (str(item.record.get(keys.id, "")), str(exc), item.source, item.position)
    if not _STATE["keep_html"]:
        out.pop(keys.html, None)
    return out, None


def run(args: argparse.Namespace) -> int:
    from unboil.parallel import map_ordered

    cleaner = make_cleaner(args)  # a bad rule file or site model stops here, before any worker starts
    keys = record_keys(args)
    fmt = _output_format(args)
    removed: Counter[str] = Counter()
    seen = cleaned = errors = cut_short = over_budget = 0

    with _open_sink(args, fmt) as sink:
        start_args = (args,) if args.workers > 1 else (args, cleaner)
        results = map_ordered(_clean_item, read_items(args), args.workers, initializer=_start,
                              initargs=start_args)
        for out, failure in _progress(results):
            seen += 1
            if out is None:
                errors += 1
                rid, reason, source, position = failure
                sink.error(rid, reason, source=source, position=position)
                continue
            cleaned += 1
            done = out[keys.metadata]["unboil"]
            removed.update(done["removed"])
            if done.get("regex_cut_short"):  # see unboil.rules.limits
                cut_short += 1
                over_budget += bool(done.get("regex_budget_spent"))
            sink.write(out, keys)

    print(f"unboil clean: {seen} in, {cleaned} cleaned, {errors} errors", file=sys.stderr)
    if cut_short:
        print(f"unboil clean: regex limits cut text_regex checks short in {cut_short} "
              f"document{'s' if cut_short != 1 else ''} ({over_budget} over the regex budget); "
              "those blocks were kept", file=sys.stderr)
    if args.stats:
        total = sum(removed.values())
        print(f"blocks removed: {total}", file=sys.stderr)
        for rule, count in removed.most_common():
            print(f"  {count:6d}  {rule}", file=sys.stderr)
    return 1 if errors and not cleaned else 0


def _progress(items: Any) -> Any:
    try:
        from unboil.io.progress import progress
    except ImportError:
        return items
    return progress(items, desc="clean")


class _TextSink:
    """Writes cleaned documents as plain text, separated by a form feed line when several."""

    def __init__(self, path: str) -> None:
        self.fh = sys.stdout if path == "-" else open(path, "w", encoding="utf-8")
        self.count = 0

    def write(self, record: dict[str, Any], keys: Any) -> None:
        if self.count:
            self.fh.write("\n\f\n")
        self.fh.write(record[keys.text].rstrip("\n") + "\n")
        self.count += 1

    def error(self, rid: str, reason: str, *, source: str, position: str) -> None:
        where = f"{source}:{position}" if position else source
        print(f"unboil: error: {where}: {reason}", file=sys.stderr)

    def __enter__(self) -> _TextSink:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh is not sys.stdout:
            self.fh.close()
        else:
            self.fh.flush()


class _JsonlSink:
    """Writes output and error records as JSONL through the io writer."""

    def __init__(self, path: str, errors_path: str | None) -> None:
        from unboil.io.writers import RecordWriter

        self.writer = RecordWriter(path, errors_path=errors_path)

    def write(self, record: dict[str, Any], keys: Any) -> None:
        self.writer.write(record)

    def error(self, rid: str, reason: str, *, source: str, position: str) -> None:
        from unboil.io.readers import ErrorItem

        self.writer.write_error(ErrorItem(source=source, position=position, reason=reason, id=rid))

    def __enter__(self) -> _JsonlSink:
        self.writer.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.writer.__exit__(*exc)


def _open_sink(args: argparse.Namespace, fmt: str) -> Any:
    if fmt == "text":
        return _TextSink(args.output)
    return _JsonlSink(args.output, args.errors)
