"""``unboil dedup``: drop exact and near-duplicate records from JSONL/WARC inputs, writing the kept
records, error records for inputs that could not be used, and (when asked) a report of what was
dropped and why.

Everything that can be checked is checked before an output is opened: the options, that no output
is an input, and the index (loaded under its lock, or the Redis server reached). Outputs get their
final names only when the run finishes; the index file is saved after that, so a crash in between
costs a repeat of this run's records, never their loss.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from unboil.commands.common import add_input_options, read_items, worker_count

_CHUNK = 5000  # texts per signature chunk in batch mode
_INDEX_BATCH = 1000  # records per index round trip with --index/--redis (also what a lost server costs)

EXIT_OK, EXIT_NOTHING_USABLE, EXIT_BAD_INPUT, EXIT_STOPPED = 0, 1, 2, 3


def add_parser(sub: Any) -> None:
    p = sub.add_parser("dedup", help="drop exact and near-duplicate records",
                       description="Find exact and near-duplicate records (MinHash LSH) and keep one of each group.")
    add_input_options(p)
    p.add_argument("-o", "--output", required=True, help="kept records (.jsonl, .jsonl.gz, .jsonl.zst) or - for stdout")
    p.add_argument("--report", default=None, metavar="PATH",
                   help="what was dropped and why, as JSONL (kept id, dropped ids, similarity, kind); none by default")
    p.add_argument("--errors", default=None, metavar="PATH", help="write error records here instead of the output")
    p.add_argument("--threshold", type=float, default=0.8, help="estimated Jaccard for near duplicates (0.8)")
    p.add_argument("--num-perm", type=int, default=128, help="MinHash permutations (128)")
    p.add_argument("--keep", choices=("first", "longest"), default="first", help="which member of a group to keep")
    p.add_argument("--containment", type=float, default=None,
                   help="also drop a record whose text lies at least this much inside a longer one (batch mode)")
    p.add_argument("--index", default=None, metavar="PATH",
                   help="dedup against an index file of earlier runs and add this run to it")
    p.add_argument("--lock-wait", type=float, default=600.0, metavar="SECONDS",
                   help="with --index: how long to wait while another run uses the same index file (600)")
    p.add_argument("--redis", default=None, metavar="URL", help="share the index through Redis (redis://host:port/db)")
    p.add_argument("--namespace", default="unboil", help="key prefix of the Redis index")
    p.add_argument("-j", "--workers", type=worker_count, default=1, metavar="N",
                   help="clean HTML records on N processes (0: one per core); same output for any N (default 1)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    p.set_defaults(func=run)


class RunStopped(Exception):
    """The run could not go on; what was decided before is in the partial outputs."""


@dataclass(slots=True)
class Counts:
    """Input items read, and how each decided one ended; at the end every item read is decided."""

    read: int = 0
    kept: int = 0
    dropped: int = 0
    errors: int = 0
    reused: int = 0  # ids the index held with other content

    @property
    def decided(self) -> int:
        return self.kept + self.dropped + self.errors

    def line(self) -> str:
        return f"{self.decided} in, {self.kept} kept, {self.dropped} dropped, {self.errors} errors"


def _say(message: object) -> None:
    print(f"unboil dedup: {message}", file=sys.stderr)


def _own_text(record: dict[str, Any], text_key: str) -> str:
    """The record's own text when it has some (a record is judged on it; its HTML only without it)."""
    text = record.get(text_key)
    return text if isinstance(text, str) and text.strip() else ""


def _html_to_clean(record: dict[str, Any], text_key: str, html_key: str) -> str | bytes | None:
    """The HTML to clean when the record has no text of its own (WARC payloads arrive as bytes)."""
    if _own_text(record, text_key):
        return None
    html = record.get(html_key)
    return html if isinstance(html, (str, bytes)) and html.strip() else None


def _clean_html(html: str | bytes) -> tuple[str, str]:
    """(cleaned text, "") or ("", why not), in this process or a worker."""
    from unboil import clean_html

    try:
        return clean_html(html).text, ""
    except (ValueError, TypeError) as exc:
        return "", f"cannot read the html: {exc}"


def _texts(args: argparse.Namespace, counts: Counts) -> Iterator[tuple[Any, str, str, str]]:
    """Every input item in order as (item, id, text, reason): a record with the text it is judged
    on, or an error (empty text and the reason). HTML is cleaned on ``args.workers`` processes."""
    from unboil.io.progress import progress
    from unboil.io.readers import RecordItem
    from unboil.parallel import map_ordered

    pending: deque[Any] = deque()

    def feed() -> Iterator[str | bytes | None]:
        for item in progress(read_items(args), desc="dedup", enabled=args.progress):
            counts.read += 1
            pending.append(item)
            yield _html_to_clean(item.record, args.text_key, args.html_key) if isinstance(item, RecordItem) else None

    for cleaned in map_ordered(_clean_payload, feed(), args.workers):
        item = pending.popleft()
        if not isinstance(item, RecordItem):
            yield item, item.id, "", item.reason
            continue
        rid = str(item.record.get(args.id_key) or f"{item.source}:{item.position}")
        text, why = cleaned if cleaned is not None else (_own_text(item.record, args.text_key), "")
        if not text.strip():
            text, why = "", why or "empty text: nothing to deduplicate"
        yield item, rid, text, why


def _clean_payload(html: str | bytes | None) -> tuple[str, str] | None:
    return None if html is None else _clean_html(html)


class _Sinks:
    """The outputs of one run: kept records (and error records unless --errors) and the optional
    report. Closed together: final names on success, ``.partial`` files on failure."""

    def __init__(self, args: argparse.Namespace) -> None:
        from unboil.io.writers import RecordWriter

        self.out = RecordWriter(args.output, errors_path=args.errors)
        try:
            self.report = RecordWriter(args.report) if args.report else None
        except BaseException:
            self.out.close(ok=False)
            raise

    def error(self, item: Any, rid: str, reason: str) -> None:
        from unboil.io.readers import ErrorItem

        self.out.write_error(ErrorItem(item.source, item.position, reason, rid))

    def note(self, line: dict[str, Any]) -> None:
        if self.report is not None:
            self.report.write(line)

    @property
    def partial_paths(self) -> list[str]:
        return self.out.partial_paths + (self.report.partial_paths if self.report is not None else [])

    def __enter__(self) -> _Sinks:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.out.close(ok=exc_type is None)
        finally:
            if self.report is not None:
                self.report.close(ok=exc_type is None)


def _option_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, in one line, or None."""
    from unboil.dedup.redis_store import is_redis_url, suggest_redis_url

    if args.index and args.redis:
        return "give --index or --redis, not both"
    if args.redis and not is_redis_url(args.redis):
        return f"--redis {args.redis} is not a Redis URL: try --redis {suggest_redis_url(args.redis)}"
    if args.index and is_redis_url(args.index):
        return f"--index takes a file path; for the Redis server {args.index} use --redis"
    if (args.index or args.redis) and (args.keep != "first" or args.containment is not None):
        return "--index/--redis keep the first copy and do not do --containment"
    return None


def _open_index(args: argparse.Namespace, held: contextlib.ExitStack) -> Any:
    """The incremental index, loaded (and locked until the run ends) or connected; None in batch mode."""
    from unboil.dedup import NearDupIndex

    params = {"threshold": args.threshold, "num_perm": args.num_perm}
    if args.index:
        return held.enter_context(NearDupIndex.locked(args.index, wait=args.lock_wait, on_wait=_say, **params))
    if args.redis:
        index = NearDupIndex(storage=args.redis, namespace=args.namespace, **params)
        len(index)  # connect now and check the parameters, before any output is opened
        return index
    return None


def run(args: argparse.Namespace) -> int:
    """Run the verb: 0 on success, 1 when no record could be used, 2 on bad options or inputs (nothing
    written), 3 when the run stopped part-way (what was decided is kept as ``.partial`` files)."""
    from unboil.dedup.lockfile import IndexLockTimeout
    from unboil.dedup.redis_store import IndexUnavailable
    from unboil.errors import InputError
    from unboil.io.safety import check_outputs

    problem = _option_problem(args)
    if problem:
        _say(problem)
        return EXIT_BAD_INPUT
    counts = Counts()
    with contextlib.ExitStack() as held:
        try:
            check_outputs(args.inputs, [args.output, args.errors, args.report, args.index])
            index = _open_index(args, held)
            sinks = _Sinks(args)
        except (InputError, ValueError, OSError, IndexLockTimeout, IndexUnavailable) as exc:
            _say(exc)
            return EXIT_BAD_INPUT
        try:
            with sinks:
                if index is None:
                    _run_batch(args, sinks, counts)
                else:
                    _run_incremental(args, index, sinks, counts)
        except (RunStopped, OSError, ValueError, TypeError) as exc:
            partial = sinks.partial_paths
            _say(f"{exc}; {counts.line()} before it" +
                 (f"; partial output kept in {', '.join(partial)}" if partial else ""))
            return EXIT_STOPPED
        if args.index:
            try:
                index.save()
            except OSError as exc:
                _say(f"the output is complete, but the index {args.index} could not be saved ({exc}): "
                     "the next run will not know this run's records")
                return EXIT_STOPPED
    if counts.read != counts.decided:  # pragma: no cover - a bug guard: every record read must be accounted for
        _say(f"internal error: {counts.read} records read but {counts.line()}")
        return EXIT_STOPPED
    _summary(args, counts)
    return EXIT_NOTHING_USABLE if counts.errors and not counts.kept else EXIT_OK


def _summary(args: argparse.Namespace, counts: Counts) -> None:
    line = counts.line()
    if counts.reused:
        line += f"; {counts.reused} ids reused with different content, each judged by its content"
    if args.report:
        line += f"; report in {args.report}"
    _say(line)


def _config(args: argparse.Namespace) -> Any:
    from unboil.dedup import DedupConfig

    return DedupConfig(threshold=args.threshold, num_perm=args.num_perm, containment=args.containment)


def _run_batch(args: argparse.Namespace, sinks: _Sinks, counts: Counts) -> None:
    """Two passes: signatures of every record, then write the records that were not dropped (checking
    the second reading finds the same records where the first did)."""
    from unboil.dedup import dedup_batch
    from unboil.dedup.run import StreamingDedup

    cfg = _config(args)
    ids: list[str] = []
    places: list[int] = []  # item number of each usable record
    held: list[dict] = []  # records are held only for stdin or containment
    hold = "-" in args.inputs or cfg.containment is not None
    texts_held: list[str] = []
    chunk: list[str] = []
    streaming = None if cfg.containment is not None else StreamingDedup(cfg)
    for n, (item, rid, text, why) in enumerate(_texts(args, counts)):
        if not text:
            sinks.error(item, rid, why)
            counts.errors += 1
            continue
        ids.append(rid)
        places.append(n)
        if hold:
            held.append(item.record)
        if streaming is not None:
            chunk.append(text)
            if len(chunk) >= _CHUNK:
                streaming.add(chunk)
                chunk = []
        else:
            texts_held.append(text)
    if streaming is not None:
        if chunk:
            streaming.add(chunk)
        groups = streaming.finish(args.keep)
    else:
        groups = dedup_batch(texts_held, cfg, keep=args.keep)
    dropped = {i for g in groups for i in g.dropped}
    for g in groups:
        sinks.note({"kept": ids[g.kept], "dropped": [ids[i] for i in g.dropped],
                    "similarity": [round(s, 4) for s in g.similarity], "kind": g.kind})
    for i, record in enumerate(held if hold else _reread(args, ids, places)):
        if i in dropped:
            counts.dropped += 1
        else:
            sinks.out.write(record)
            counts.kept += 1


def _reread(args: argparse.Namespace, ids: list[str], places: list[int]) -> Iterator[dict]:
    """The usable records again, from a second reading of the inputs; RunStopped if they changed."""
    from unboil.io.readers import RecordItem

    k = 0
    for n, item in enumerate(read_items(args)):
        if k < len(places) and n == places[k]:
            rid = str(item.record.get(args.id_key) or f"{item.source}:{item.position}") \
                if isinstance(item, RecordItem) else None
            if rid != ids[k]:
                raise RunStopped(f"the inputs changed while they were read: record {n + 1} was {ids[k]!r}, now "
                                 f"{rid!r}")
            yield item.record
            k += 1
    if k != len(places):
        raise RunStopped(f"the inputs changed while they were read: {len(places) - k} records are gone")


def _run_incremental(args: argparse.Namespace, index: Any, sinks: _Sinks, counts: Counts) -> None:
    """One pass against a persistent index, in batches: each record is kept unless an earlier one
    (of this run or of an earlier one) has the same or nearly the same text."""
    from unboil.dedup.redis_store import IndexUnavailable

    batch: list[tuple[Any, str, str, str]] = []

    def flush() -> None:
        usable = [(rid, text) for _, rid, text, _ in batch if text]
        try:
            found = iter(index.add_batch([r for r, _ in usable], [t for _, t in usable]))
        except IndexUnavailable as exc:
            raise RunStopped(f"lost the Redis connection at record {counts.decided + 1} ({exc})") from exc
        for item, rid, text, why in batch:
            if not text:
                sinks.error(item, rid, why)
                counts.errors += 1
                continue
            _decided(item.record, rid, next(found), sinks, counts)
        batch.clear()

    for entry in _texts(args, counts):
        batch.append(entry)
        if len(batch) >= _INDEX_BATCH:
            flush()
    flush()


def _decided(record: dict, rid: str, found: Any, sinks: _Sinks, counts: Counts) -> None:
    """Write or drop one record by what the index found, with a report line saying why."""
    counts.reused += found.key_reused
    note = "id reused with different content" if found.key_reused else ""
    if found.duplicate_of is None:
        sinks.out.write(record)
        counts.kept += 1
        if note:
            sinks.note({"kept": rid, "dropped": [], "similarity": [], "kind": "id reused",
                        "note": note + ": kept as a new document"})
        return
    counts.dropped += 1
    if found.duplicate_of == rid and found.kind == "exact":
        note = "same id and content as a record already in the index"
    line = {"kept": found.duplicate_of, "dropped": [rid], "similarity": [round(found.similarity, 4)],
            "kind": found.kind}
    sinks.note({**line, "note": note} if note else line)
