"""An exclusive lock on a sidecar ``<index>.lock`` file (``fcntl.flock``), so two processes that
update one index file take turns instead of overwriting each other's additions.

The lock file is created next to the index and never deleted (deleting a lock file lets a third
process lock a new file while the second still holds the old one). The kernel frees the lock when
its holder exits, even on SIGKILL, so a crashed run never leaves the index locked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["IndexLockTimeout", "LOCK_WAIT", "index_lock", "lock_path"]

log = logging.getLogger(__name__)

#: How long a process waits for another one to finish with the index before giving up (seconds).
LOCK_WAIT = 600.0
_POLL = 0.05


class IndexLockTimeout(TimeoutError):
    """Another process held the index file's lock for longer than we were willing to wait."""


def lock_path(index: str | os.PathLike[str]) -> Path:
    """The sidecar lock file of an index file."""
    path = Path(index)
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def index_lock(
    index: str | os.PathLike[str], wait: float = LOCK_WAIT, on_wait: Callable[[str], None] | None = None
) -> Iterator[Path]:
    """Hold the exclusive lock of ``index`` for the body; wait up to ``wait`` seconds for it.

    ``on_wait`` is called once, with a message naming the index, if the lock is busy at first.
    Raises :class:`IndexLockTimeout` when it stays busy. Where ``fcntl`` is missing (Windows),
    the body runs unlocked and a warning is logged.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        log.warning("no file locking on this platform: do not update %s from two processes at once", index)
        yield lock_path(index)
        return
    target = lock_path(index)
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockTimeout(
                        f"index {index} is locked by another process ({target} held for over {wait:g} s); "
                        "try again when it has finished"
                    ) from None
                if not told and on_wait is not None:
                    on_wait(f"waiting for the index {index}: another process holds {target} (up to {wait:g} s)")
                told = True
                time.sleep(_POLL)
        try:
            yield target
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
