"""Progress on stderr, never on stdout (which may carry JSON lines): a tqdm bar on a terminal, and
elsewhere (a log file, a CI job) one plain line every few seconds, with a total and an ETA when
the size of the input is known."""

from __future__ import annotations

import importlib
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

LOG_INTERVAL = 5.0  # seconds between two progress lines when stderr is not a terminal
_BAR_REFRESH = 0.2  # seconds between two byte-position reads for a bar


def progress(
    iterable: Iterable[T],
    total: int | None = None,
    desc: str = "",
    enabled: bool | None = None,
    *,
    size: int | None = None,
    done: Callable[[], int] | None = None,
    interval: float = LOG_INTERVAL,
) -> Iterable[T]:
    """Show how far a loop over ``iterable`` has got, on stderr; hand the items on unchanged.

    ``total`` is the number of items expected; or give ``size`` (bytes of input) and ``done`` (a
    function returning the bytes consumed so far) when the input's size is known but not its item
    count. Either gives a percentage and an ETA. ``enabled=None`` shows progress only when stderr
    is a terminal, ``True`` always (a tqdm bar on a terminal when ``tqdm`` is installed, else a line
    every ``interval`` seconds and one at the end), ``False`` never (``iterable`` itself comes back).
    """
    stderr = sys.stderr
    isatty = getattr(stderr, "isatty", None)
    terminal = bool(isatty and isatty())
    if enabled is None:
        enabled = terminal
    if not enabled:
        return iterable
    if size is not None and done is None:
        size = None  # a size without a position cannot say how far reading got
    if terminal:
        try:
            tqdm = importlib.import_module("tqdm").tqdm
        except ImportError:
            logger.debug("no progress bar: tqdm is not installed (pip install 'unboil[progress]')")
        else:
            if size is None:
                return tqdm(iterable, total=total, desc=desc or None, file=stderr, unit="rec", dynamic_ncols=True)
            return _bar_by_bytes(iterable, tqdm, size, done, desc, stderr)  # type: ignore[arg-type]
    return _lines(iterable, stderr, desc, total, size, done, interval)


def _bar_by_bytes(
    iterable: Iterable[T], tqdm: Any, size: int, done: Callable[[], int], desc: str, stream: IO[str]
) -> Iterator[T]:
    """A bar over the input's bytes, with the record count beside it."""
    bar = tqdm(total=size, desc=desc or None, file=stream, unit="B", unit_scale=True, dynamic_ncols=True)
    count, last, start = 0, 0.0, time.monotonic()

    def show() -> None:
        bar.update(min(done(), size) - bar.n)
        elapsed = time.monotonic() - start
        rate = f", {count / elapsed:,.0f} rec/s" if elapsed > 0 else ""
        bar.set_postfix_str(f"{count:,} rec{rate}", refresh=False)

    try:
        for item in iterable:
            yield item
            count += 1
            now = time.monotonic()
            if now - last >= _BAR_REFRESH:
                last = now
                show()
        show()
    finally:
        bar.close()


def _lines(
    iterable: Iterable[T],
    stream: IO[str],
    desc: str,
    total: int | None,
    size: int | None,
    done: Callable[[], int] | None,
    interval: float,
) -> Iterator[T]:
    """A line every ``interval`` seconds and one at the end, for stderr that is not a terminal."""
    start = time.monotonic()
    next_line = start + interval
    count = 0
    for item in iterable:
        yield item
        count += 1
        now = time.monotonic()
        if now >= next_line:
            next_line = now + interval
            _write(stream, status_line(desc, count, now - start, total=total, size=size,
                                       done=done() if done else None))
    elapsed = time.monotonic() - start
    _write(stream, status_line(desc, count, elapsed, total=total, size=size, done=done() if done else None,
                               final=True))


def _write(stream: IO[str], line: str) -> None:
    stream.write(line + "\n")
    stream.flush()


def status_line(
    desc: str,
    count: int,
    elapsed: float,
    *,
    total: int | None = None,
    size: int | None = None,
    done: int | None = None,
    final: bool = False,
) -> str:
    """One progress line: "clean: 12,000 records, 45.1 MB of 120.0 MB (38%), 850 rec/s, ETA 1m30s"."""
    parts = []
    rate = count / elapsed if elapsed > 0 else 0.0
    fraction: float | None = None
    if total:
        parts.append(f"{count:,} of {total:,} records ({100 * count / total:.0f}%)")
        fraction = count / total
    else:
        parts.append(f"{count:,} records")
    if size is not None and done is not None:
        done = min(done, size)
        share = f" ({100 * done / size:.0f}%)" if size else ""
        parts.append(f"{human_bytes(done)} of {human_bytes(size)}{share}")
        if not total and size:
            fraction = done / size
    if elapsed > 0:
        parts.append(f"{rate:,.0f} rec/s")
    if final:
        parts.append(f"done in {human_duration(elapsed)}")
    elif fraction and fraction < 1:
        parts.append(f"ETA {human_duration(elapsed * (1 - fraction) / fraction)}")
    return (f"{desc}: " if desc else "") + ", ".join(parts)


def human_bytes(n: float) -> str:
    """A byte count with a decimal unit: 512 B, 45.1 MB, 1.2 GB."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    """A duration for people: 4s, 1m30s, 2h05m."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"
