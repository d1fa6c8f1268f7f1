"""Stopping a run on a signal without leaving torn output: SIGTERM/SIGHUP/SIGINT become exceptions
in the main thread, so every ``with`` block closes its writer as failed (what was written is kept
as ``<name>.partial``), and the verb can say how far it got before it exits 128 + the signal."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterable, Iterator
from typing import Any


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread so ``with`` blocks close their writers as failed
    (a BaseException, like KeyboardInterrupt, so no ``except Exception`` swallows it)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(f"stopped by {self.name}")

    @property
    def status(self) -> int:
        """The exit status a shell gives a process killed by this signal: 128 + its number."""
        return 128 + self.signum


class _SignalGate:
    """Turns SIGINT/SIGTERM/SIGHUP into exceptions, held back while a record is being written so a
    stopped run's ``.partial`` file never ends in a torn record. A stop, once asked for, is raised
    again at every record boundary: Python drops exceptions raised inside ``__del__`` and other
    finalizers, so the handler's own raise may never arrive. Installed only by the CLI."""

    def __init__(self) -> None:
        self.depth = 0
        self.requested: int | None = None

    def handler(self, signum: int, frame: object) -> None:
        if self.requested is not None:
            return  # already stopping: let the clean-up finish
        self.requested = signum
        if not self.depth:
            self._raise()

    def _raise(self) -> None:
        if self.requested == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(self.requested or signal.SIGTERM)

    def __enter__(self) -> None:
        if self.requested is not None and not self.depth:
            self._raise()
        self.depth += 1

    def __exit__(self, *exc: object) -> None:
        self.depth -= 1
        if self.requested is not None and not self.depth:
            self._raise()


_GATE = _SignalGate()


def record_step() -> _SignalGate:
    """A context in which signals wait: ``with record_step(): count and write one record``."""
    return _GATE


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While active, SIGTERM and SIGHUP raise :class:`Terminated` and SIGINT KeyboardInterrupt in
    the main thread (held back inside :func:`record_step`); the previous handlers come back after."""
    saved: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        _GATE.depth, _GATE.requested = 0, None
        for name in ("SIGTERM", "SIGHUP", "SIGINT"):
            signum = getattr(signal, name, None)
            if signum is not None:
                saved[signum] = signal.signal(signum, _GATE.handler)
    try:
        yield
    finally:
        for signum, previous in saved.items():
            signal.signal(signum, previous)
        _GATE.depth, _GATE.requested = 0, None


def stopped_note(verb: str, exc: BaseException, done: str, partial: Iterable[str]) -> str:
    """One line saying what stopped the run, how far it got, and where its partial output is."""
    why = str(exc) if isinstance(exc, Terminated) else "interrupted"
    kept = [p for p in partial if p]
    where = f"; partial output kept as {', '.join(kept)}" if kept else ""
    return f"unboil {verb}: {why} after {done}{where}"


def exit_status(exc: BaseException) -> int:
    """128 + the signal number for a stopped run (130 for Ctrl-C)."""
    return exc.status if isinstance(exc, Terminated) else 130
