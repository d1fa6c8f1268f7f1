"""``unboil clean``: clean documents and records, writing text or JSONL plus a per-rule summary."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from unboil.commands.common import (
    ErrorLines,
    add_input_options,
    add_rule_options,
    make_cleaner,
    read_items,
    record_keys,
    rule_inputs,
    skipped_note,
    with_progress,
    worker_count,
)
from unboil.commands.outputs import refuse_unsafe_outputs, write_error_reason
from unboil.commands.signals import Terminated, exit_status, record_step, stopped_note
from unboil.errors import InputError, MissingExtraError

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
    p.add_argument("-j", "--workers", type=worker_count, default=1, metavar="N",
                   help="clean on N processes (0: one per core); output keeps the input order (default 1)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress on stderr: a bar on a terminal, else a line every few seconds "
                        "(default: on a terminal, or with -v)")
    p.set_defaults(func=run)


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
    """Clean every input record; 0 when any was cleaned, 1 when none could be or writing failed,
    2 on bad options or unsafe output paths, 128 + N when stopped by signal N."""
    from unboil.io.readers import ReadStats
    from unboil.parallel import map_ordered

    fmt = _output_format(args)
    if refuse_unsafe_outputs("clean", rule_inputs(args), [args.output, args.errors]):
        return 2
    cleaner = make_cleaner(args)  # a bad rule file or site model stops here, before any worker starts
    keys = record_keys(args)
    removed: Counter[str] = Counter()
    stats = ReadStats()
    shown = ErrorLines("clean")
    seen = cleaned = errors = cut_short = over_budget = 0
    sink: Any = None
    try:
        sink = _open_sink(args, fmt)
        with sink:
            start_args = (args,) if args.workers > 1 else (args, cleaner)
            results = map_ordered(_clean_item, read_items(args, stats), args.workers, initializer=_start,
                                  initargs=start_args)
            for out, failure in with_progress(results, args, stats, "clean"):
                with record_step():  # a signal waits until this record is written whole
                    seen += 1
                    if out is None:
                        errors += 1
                        rid, reason, source, position = failure
                        sink.error(rid, reason, source=source, position=position)
                        shown.add(source, position, reason)
                        continue
                    cleaned += 1
                    done = out[keys.metadata]["unboil"]
                    removed.update(done["removed"])
                    if done.get("regex_cut_short"):  # see unboil.rules.limits
                        cut_short += 1
                        over_budget += bool(done.get("regex_budget_spent"))
                    sink.write(out, keys)
    except MissingExtraError as exc:
        print(f"unboil clean: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Terminated) as exc:
        done = f"{seen} records in ({cleaned} cleaned, {errors} errors)"
        print(stopped_note("clean", exc, done, sink.partial_paths if sink else []), file=sys.stderr)
        return exit_status(exc)
    except OSError as exc:
        kept = sink.partial_paths if sink else []
        note = f"; partial output kept as {', '.join(kept)}" if kept else ""
        names = " / ".join(p for p in (args.output, args.errors) if p and p != "-") or "the output"
        print(f"unboil clean: cannot write {names}: {write_error_reason(exc)} (stopped after {seen} records "
              f"in){note}", file=sys.stderr)
        return 1

    if sink.reports_errors:
        shown.print(sink.errors_where)
    print(f"unboil clean: {seen} in, {cleaned} cleaned, {errors} errors{skipped_note(stats.skipped)}",
          file=sys.stderr)
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


class _TextSink:
    """Writes cleaned documents as plain text, separated by a form feed line when several, through
    the record writer's sink (a file is written under a hidden temporary name, renamed when
    complete, kept as ``.partial`` when the run fails). Error records go to ``--errors`` when
    given, else each is printed on stderr."""

    def __init__(self, path: str, errors_path: str | None) -> None:
        from unboil.io.writers import RecordWriter, _open_sink

        self.count = 0
        self._errors: Any = None
        self.reports_errors = errors_path is not None  # else every error is printed as it comes
        self.errors_where = f"all in {errors_path}"
        self._out = _open_sink(path, compressed=False)
        if errors_path is not None:
            try:
                self._errors = RecordWriter(errors_path)
            except BaseException:
                self._out.close(ok=False)
                raise

    def write(self, record: dict[str, Any], keys: Any) -> None:
        text = record[keys.text].rstrip("\n") + "\n"
        self._out.write((("\n\f\n" if self.count else "") + text).encode("utf-8"))
        self.count += 1

    def error(self, rid: str, reason: str, *, source: str, position: str) -> None:
        if self._errors is not None:
            from unboil.io.readers import ErrorItem

            self._errors.write_error(ErrorItem(source=source, position=position, reason=reason, id=rid))
            return
        where = f"{source}:{position}" if position else source
        print(f"unboil clean: error: {where}: {reason}", file=sys.stderr)

    @property
    def partial_paths(self) -> list[str]:
        """The ``.partial`` files a failed run left."""
        errors = self._errors.partial_paths if self._errors is not None else []
        return [p for p in (self._out.partial, *errors) if p]

    def __enter__(self) -> _TextSink:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self._out.close(ok=exc_type is None)
        finally:
            if self._errors is not None:
                self._errors.__exit__(exc_type, exc, tb)


class _JsonlSink:
    """Writes output and error records as JSONL through the io writer."""

    reports_errors = True

    def __init__(self, path: str, errors_path: str | None) -> None:
        from unboil.io.writers import RecordWriter

        self.writer = RecordWriter(path, errors_path=errors_path)
        target = errors_path or path
        self.errors_where = "all in the output" if target == "-" else f"all in {target}"

    def write(self, record: dict[str, Any], keys: Any) -> None:
        self.writer.write(record)

    def error(self, rid: str, reason: str, *, source: str, position: str) -> None:
        from unboil.io.readers import ErrorItem

        self.writer.write_error(ErrorItem(source=source, position=position, reason=reason, id=rid))

    @property
    def partial_paths(self) -> list[str]:
        """The ``.partial`` files a failed run left."""
        return self.writer.partial_paths

    def __enter__(self) -> _JsonlSink:
        self.writer.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.writer.__exit__(*exc)


def _open_sink(args: argparse.Namespace, fmt: str) -> Any:
    if fmt == "text":
        return _TextSink(args.output, args.errors)
    return _JsonlSink(args.output, args.errors)
