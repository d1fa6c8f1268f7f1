"""An ordered, memory-bounded parallel map over a stream, for the CLI's ``--workers``.

``multiprocessing.Pool.imap`` reads its whole input ahead of the workers; a crawl does not fit in
memory, so here at most ``window`` chunks are in flight and results come back in input order.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _run_chunk(fn: Callable[[Any], Any], chunk: list[Any]) -> list[Any]:
    return [fn(item) for item in chunk]


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
    forked, so they start clean). With ``workers <= 1`` everything runs here, in this process.
    """
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(fn, items)
        return
    window = window or 2 * workers
    context = multiprocessing.get_context("spawn")
    it = iter(items)
    with context.Pool(workers, initializer=initializer, initargs=initargs) as pool:
        pending: deque[Any] = deque()
        while True:
            while len(pending) < window:
                chunk = list(islice(it, chunk_size))
                if not chunk:
                    break
                pending.append(pool.apply_async(_run_chunk, (fn, chunk)))
            if not pending:
                return
            yield from pending.popleft().get()
