"""An ordered, memory-bounded parallel map over a stream, for the CLI's ``--workers``.

``multiprocessing.Pool.imap`` reads its whole input ahead of the workers; a crawl does not fit in
memory, so here at most ``window`` chunks are in flight and results come back in input order.

Workers are spawned, so their logging starts unconfigured and their warnings would vanish. Each
worker instead keeps the log records of every item and sends them back with its result; this
process hands them to its own loggers just before it yields that result, so they reach the same
handlers (stderr, a file...), at the same levels and in the same order as when one process runs.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Keep(logging.Handler):
    """A worker's handler: holds its log records, made ready to cross to the parent."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # what QueueHandler.prepare does, without formatting: the parent's handlers format it
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        """The records held since the last call."""
        records, self.records = self.records, []
        return records


_KEEP: _Keep | None = None  # in a worker process: where its log records wait


def _levels() -> dict[str, int]:
    """The levels set on this process's loggers ("" is the root), for the workers to copy."""
    levels = {"": logging.getLogger().level}
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and logger.level:
            levels[name] = logger.level
    return levels


def _start_worker(levels: dict[str, int], initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    """Route the worker's logging into ``_KEEP`` at the parent's levels, then run ``initializer``."""
    global _KEEP
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    _KEEP = _Keep()
    root.addHandler(_KEEP)
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
    if initializer is not None:
        initializer(*initargs)


def _run_chunk(fn: Callable[[Any], Any], chunk: list[Any]) -> list[tuple[Any, list[logging.LogRecord]]]:
    out = []
    for item in chunk:
        result = fn(item)
        out.append((result, _KEEP.take() if _KEEP is not None else []))
    return out


def _replay(records: list[logging.LogRecord]) -> None:
    """Hand a worker's log records to this process's loggers of the same names."""
    for record in records:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


def map_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    *,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    chunk_size: int = 32,
    window: int | None = None,
) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` processes, in order, reading ahead at most ``window`` chunks.

    ``fn`` and ``initializer`` must be importable module-level functions (workers are spawned, not
    forked, so they start clean); what they log is replayed here, item by item (see above). With
    ``workers <= 1`` everything runs here, in this process.
    """
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(fn, items)
        return
    window = window or 2 * workers
    context = multiprocessing.get_context("spawn")
    it = iter(items)
    with context.Pool(workers, initializer=_start_worker, initargs=(_levels(), initializer, initargs)) as pool:
        pending: deque[Any] = deque()
        while True:
            while len(pending) < window:
                chunk = list(islice(it, chunk_size))
                if not chunk:
                    break
                pending.append(pool.apply_async(_run_chunk, (fn, chunk)))
            if not pending:
                return
            for result, records in pending.popleft().get():
                _replay(records)
                yield result
