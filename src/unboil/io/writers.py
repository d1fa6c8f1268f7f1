"""Write records and error records as JSON lines to a file (plain, .gz, .zst) or stdout.

Bytes values (raw HTML read from ``.html`` files or WARC payloads) are written as text decoded
from UTF-8 with U+FFFD replacing invalid bytes: JSON has no bytes type, and a JSONL line must
stay one record. Pages in other charsets lose their non-ASCII characters that way, so write
the cleaned text (or decode first) when that matters.

Files are written under a hidden temporary name and renamed when the writer closes without an
error, so a file under its final name is always complete. When the run fails part-way, what was
written is finished off and kept as ``<name>.partial`` (a name no reader takes for done).
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from unboil.io.readers import STDIN, ErrorItem, require
from unboil.io.safety import _fsync, is_special_file, temporary_name

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class WriteCounts:
    """How many records and error records a writer has written."""

    written: int = 0
    errors: int = 0


class RecordWriter:
    """Write dict records as JSON lines; compression follows the extension, "-" is stdout.

    Error items go to the same stream as ``{"id", "error": {"source", "position", "reason"}}``
    lines, or to ``errors_path`` when one is given. Use it as a context manager so compressed
    streams are finished properly.
    """

    def __init__(self, path: str | Path, *, errors_path: str | Path | None = None) -> None:
        self.path = os.fspath(path)
        self.errors_path = os.fspath(errors_path) if errors_path is not None else None
        self.counts = WriteCounts()
        self._out = _open_sink(self.path)
        self._err = self._out
        if self.errors_path is not None and self.errors_path != self.path:
            try:
                self._err = _open_sink(self.errors_path)
            except BaseException:
                self._out.close(ok=False)
                raise

    def write(self, record: dict[str, Any]) -> None:
        """Write one record as a JSON line; TypeError (naming the record) if JSON cannot hold it."""
        self._out.write(_encode(record))
        self.counts.written += 1

    def write_error(self, item: ErrorItem) -> None:
        """Write one error record saying which input, where, and why it could not be used."""
        record = {
            "id": item.id,
            "error": {"source": item.source, "position": item.position, "reason": item.reason},
        }
        self._err.write(_encode(record))
        self.counts.errors += 1

    def close(self, ok: bool = True) -> None:
        """Finish and close the output streams (stdout is flushed, not closed); files get their
        final names when ``ok``, else they are kept as ``<name>.partial``."""
        for sink in {id(self._out): self._out, id(self._err): self._err}.values():
            sink.close(ok)

    @property
    def partial_paths(self) -> list[str]:
        """The ``.partial`` files a failed run left (empty after a successful close)."""
        return [s.partial for s in {id(self._out): self._out, id(self._err): self._err}.values() if s.partial]

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(ok=exc_type is None)


class _Sink:
    """One byte stream to write lines to, knowing whether it owns (and must close) the stream,
    and, for files, the temporary name it writes under and the final name it renames to."""

    def __init__(self, stream: IO[bytes], owned: list[IO[bytes]], tmp: Path | None = None,
                 final: str | None = None) -> None:
        self._stream = stream
        self._owned = owned  # innermost first: e.g. the zstd writer, then the file
        self._closed = False
        self._tmp = tmp
        self._final = final
        self.partial = ""
        self._wrote = False

    def write(self, data: bytes) -> None:
        if self._closed:
            raise ValueError("write to a closed RecordWriter")
        self._stream.write(data)
        self._wrote = True

    def close(self, ok: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._stream.flush()
            for stream in self._owned:
                stream.close()
        except BaseException:
            ok = False
            raise
        finally:
            self._finish(ok)

    def _finish(self, ok: bool) -> None:
        if self._tmp is None or self._final is None:
            return
        if ok:
            _fsync(self._tmp)
            os.replace(self._tmp, self._final)
            return
        if not self._wrote:  # nothing was written: leave no file behind
            self._tmp.unlink(missing_ok=True)
            return
        self.partial = self._final + ".partial"
        try:
            os.replace(self._tmp, self.partial)
        except OSError:
            self.partial = ""


def _open_sink(path: str, compressed: bool = True) -> _Sink:
    """Open ``path`` for writing lines, compressed by its extension (unless ``compressed`` is
    false); "-" is stdout."""
    if path == STDIN:
        stdout = sys.stdout
        buffer = getattr(stdout, "buffer", None)
        if buffer is None:
            stdout.flush()
            return _Sink(_TextAdapter(stdout), [])
        stdout.flush()
        return _Sink(buffer, [])
    lowered = path.lower()
    zstd = require("zstandard", "zstd", f"writing {path}") if compressed and lowered.endswith(".zst") else None
    in_place = is_special_file(path)  # /dev/null, a FIFO: renaming over it would replace it
    tmp = Path(path) if in_place else temporary_name(path)
    renamed: tuple[Path | None, str | None] = (None, None) if in_place else (tmp, path)
    raw = open(tmp, "wb")
    try:
        if zstd is not None:
            writer = zstd.ZstdCompressor().stream_writer(raw, closefd=False)
            return _Sink(writer, [writer, raw], *renamed)
        if compressed and lowered.endswith(".gz"):
            gz = gzip.GzipFile(fileobj=raw, mode="wb")
            return _Sink(gz, [gz, raw], *renamed)
    except BaseException:
        raw.close()
        if not in_place:
            tmp.unlink(missing_ok=True)
        raise
    return _Sink(raw, [raw], *renamed)


class _TextAdapter:
    """A bytes-writing face for a text-only stdout (e.g. one replaced in tests)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, data: bytes) -> int:
        return self._stream.write(data.decode("utf-8"))

    def flush(self) -> None:
        self._stream.flush()


def _encode(record: dict[str, Any]) -> bytes:
    """One JSON line (UTF-8, no ASCII escaping), bytes values decoded as documented above."""
    try:
        line = json.dumps(record, ensure_ascii=False, default=_default, allow_nan=False)
    except (TypeError, ValueError) as exc:
        ident = record.get("id", "") if isinstance(record, dict) else ""
        raise TypeError(f"cannot write record {ident!r} as JSON: {exc}") from exc
    try:
        return line.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # lone surrogates: \u escapes keep them and keep the line UTF-8
        return json.dumps(record, ensure_ascii=True, default=_default).encode("ascii") + b"\n"


def _default(value: Any) -> Any:
    """JSON fallback: bytes and bytearrays become text, anything else is refused by type."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
