"""Output paths the verbs can trust: refuse, before anything is opened, outputs that would
overwrite or feed back into the inputs; write files through a temporary name renamed when done."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path


def refuse_unsafe_outputs(verb: str, inputs: Iterable[str | None], outputs: Iterable[str | None]) -> bool:
    """True, after one line on stderr, when an output would overwrite or feed back into what the
    run reads (an input, a file inside an input directory) or cannot be created; the verb then
    exits 2 before anything is opened."""
    from unboil.io.safety import OutputError, check_outputs

    try:
        check_outputs([p for p in inputs if p], outputs)
    except OutputError as exc:
        print(f"unboil {verb}: {exc}", file=sys.stderr)
        return True
    return False


def is_special_file(path: str | os.PathLike[str] | None) -> bool:
    """True for an existing path that is not a regular file: a device (``/dev/null``), a pipe."""
    if path is None or os.fspath(path) == "-":
        return False
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def refuse_special_record_outputs(verb: str, outputs: Iterable[str | None]) -> bool:
    """True, after one line on stderr, when a JSONL output is a device or pipe: the record writer
    renames a finished temporary file over its output, which would replace the device itself."""
    for path in outputs:
        if is_special_file(path):
            print(f"unboil {verb}: output {path} is not a regular file (a device or pipe); JSON lines are "
                  "written to a temporary file and renamed over the output, which would replace it: "
                  "give a regular file, or - for stdout and redirect that", file=sys.stderr)
            return True
    return False


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """The path to write ``path`` through: a hidden temporary file renamed when complete (see
    ``atomic_path``), except for a device or pipe (``/dev/null``, ``/dev/stdout``, a FIFO), which is
    written in place because renaming over it would replace it with a plain file."""
    from unboil.io.safety import atomic_path

    if is_special_file(path):
        yield Path(path)
        return
    with atomic_path(path) as tmp:
        yield tmp


def write_error_reason(exc: OSError) -> str:
    """A short reason for a failed write ("File too large", "No space left on device")."""
    return exc.strerror or str(exc) or type(exc).__name__
