"""Output safety shared by every writer: never write where the run reads, and never leave a file
that looks finished when it is not (write to a hidden temporary name, rename when done)."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from unboil.errors import InputError

__all__ = ["OutputError", "atomic_path", "check_outputs", "is_special_file", "temporary_name"]

STDIO = "-"


class OutputError(InputError):
    """An output path that cannot be used: it is an input, lies inside one, or has no directory."""


def _resolved(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(os.fspath(path)))


def check_outputs(
    inputs: Iterable[str | os.PathLike[str]],
    outputs: Iterable[str | os.PathLike[str] | None],
) -> None:
    """Refuse, before anything is opened, outputs that would overwrite or feed back into the inputs.

    An output is refused when it is an input file (or the same file by another name), when it lies
    inside an input directory (the run would read its own output), when its directory does not
    exist, or when two outputs name the same file. ``-`` and ``None`` are ignored.
    """
    sources = [_resolved(p) for p in inputs if os.fspath(p) != STDIO]
    seen: dict[Path, str] = {}
    for out in outputs:
        if out is None or os.fspath(out) == STDIO:
            continue
        name = os.fspath(out)
        target = _resolved(name)
        for src in sources:
            if target == src or (target.exists() and src.exists() and os.path.samefile(target, src)):
                raise OutputError(f"output {name} is also an input: refusing to overwrite what this run reads")
            if src.is_dir() and target.is_relative_to(src):
                raise OutputError(
                    f"output {name} is inside the input directory {src}: the run would read its own "
                    "output; write it somewhere else"
                )
        if target in seen:
            raise OutputError(f"output {name} is given twice (also as {seen[target]})")
        seen[target] = name
        parent = target.parent
        if not parent.is_dir():
            raise OutputError(f"output directory {Path(name).parent} does not exist (for {name})")
        if target.is_dir():
            raise OutputError(f"output {name} is a directory, expected a file name")


def temporary_name(path: str | os.PathLike[str]) -> Path:
    """The hidden name a file is written under until it is complete (same directory, so the final
    rename is atomic; hidden, so directory walks skip it)."""
    final = Path(path)
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


def is_special_file(path: str | os.PathLike[str]) -> bool:
    """True for an existing path that is not a regular file (``/dev/null``, a FIFO, a socket): it is
    written in place, since renaming a temporary file over it would replace the device itself."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is flushed to disk and renamed to ``path``,
    on error it is removed, so ``path`` only ever holds a complete file (or its old content).
    A device or pipe is yielded as itself (see :func:`is_special_file`)."""
    if is_special_file(path):
        yield Path(path)
        return
    tmp = temporary_name(path)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _fsync(path: Path) -> None:
    """Push a finished file's bytes to disk before it gets its final name."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
