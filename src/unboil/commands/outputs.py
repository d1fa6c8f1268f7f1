"""Output paths the verbs can trust: refuse, before anything is opened, outputs that would
overwrite or feed back into the inputs, and say why a write failed."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable


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


def write_error_reason(exc: OSError) -> str:
    """A short reason for a failed write ("File too large", "No space left on device")."""
    return exc.strerror or str(exc) or type(exc).__name__
