"""Read records from files, directories and stdin, turning every bad input into an error item.

Every CLI verb reads through :func:`read_records`. It streams: JSONL is read line by line,
compressed streams chunk by chunk, WARC record by record; only single-document files
(``.txt``, ``.html``) are read whole, because they are one record.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from unboil.errors import MissingExtraError, require
from unboil.keys import RecordKeys

logger = logging.getLogger(__name__)

STDIN = "-"
_CHUNK = 1 << 16
_UTF8_BOM = b"\xef\xbb\xbf"

# Longest suffixes first so ".jsonl.gz" wins over ".gz".
FORMATS: dict[str, str] = {
    ".jsonl.gz": "jsonl",
    ".jsonl.zst": "jsonl",
    ".jsonl": "jsonl",
    ".warc.gz": "warc",
    ".warc": "warc",
    ".html.gz": "html",
    ".htm.gz": "html",
    ".html": "html",
    ".htm": "html",
    ".txt.gz": "text",
    ".txt": "text",
}
KNOWN_EXTENSIONS: tuple[str, ...] = tuple(FORMATS)




@dataclass(frozen=True, slots=True)
class RecordItem:
    """A record read from ``source`` at ``position`` ("line 12", "record 3 @ offset 512", "")."""

    record: dict[str, Any]
    source: str
    position: str


@dataclass(frozen=True, slots=True)
class ErrorItem:
    """An input that could not become a record, with where it was and why."""

    source: str
    position: str
    reason: str
    id: str = ""


Item = RecordItem | ErrorItem


@dataclass(slots=True)
class ReadStats:
    """Counts for one read, owned by the caller: files opened, records, errors, skipped inputs, and
    how far into the input files reading has got (``bytes_read``, for progress and ETAs)."""

    files: int = 0
    records: int = 0
    errors: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    bytes_done: int = 0  # sizes of the files read to the end
    _current: IO[bytes] | None = field(default=None, repr=False, compare=False)

    def count(self, item: Item) -> Item:
        """Tally ``item`` and hand it back, so counting can sit inside a ``yield``."""
        if isinstance(item, RecordItem):
            self.records += 1
        else:
            self.errors += 1
        return item

    @property
    def bytes_read(self) -> int:
        """Bytes of the input files consumed so far, as stored (compressed files by their
        compressed position); stdin is not counted. Asked only when progress is shown."""
        handle = self._current
        if handle is None:
            return self.bytes_done
        try:
            return self.bytes_done + handle.tell()
        except (OSError, ValueError):
            return self.bytes_done


@dataclass(frozen=True, slots=True)
class InputSize:
    """What a list of inputs holds before it is read: files with a known extension, their total
    size in bytes, how many of them are single-document files, and whether stdin is among them."""

    files: int = 0
    bytes: int = 0
    documents: int = 0
    stdin: bool = False


def measure_inputs(inputs: Iterable[str | Path] | str | Path, *, recursive: bool = True) -> InputSize:
    """Count and size the files :func:`read_records` would read (same walk, nothing opened), so
    progress can show a total and an ETA; missing paths count as nothing (reading reports them)."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    files = size = documents = 0
    stdin = False
    for entry in inputs:
        name = os.fspath(entry)
        if name == STDIN:
            stdin = True
            continue
        path = Path(name)
        found = _walk(path, recursive, ReadStats()) if path.is_dir() else iter([path])
        for item in found:
            if isinstance(item, ErrorItem) or format_of(item) is None:
                continue
            try:
                size += item.stat().st_size
            except OSError:
                continue
            files += 1
            documents += format_of(item) in ("html", "text")
    return InputSize(files=files, bytes=size, documents=documents, stdin=stdin)


class StreamError(Exception):
    """A compressed or container stream is broken; reading that file cannot go on."""


def read_records(
    inputs: Iterable[str | Path] | str | Path,
    *,
    text_key: str = "text",
    html_key: str = "html",
    id_key: str = "id",
    url_key: str = "url",
    recursive: bool = True,
    stats: ReadStats | None = None,
) -> Iterator[RecordItem | ErrorItem]:
    """Yield a record or an error item for everything in ``inputs``; bad input never stops the run.

    ``inputs`` holds file paths, directories (walked in sorted order, hidden entries and unknown
    extensions skipped) and ``"-"`` for stdin. Pass a :class:`ReadStats` to get counts back.
    """
    keys = RecordKeys(text=text_key, html=html_key, id=id_key, url=url_key)
    stats = stats if stats is not None else ReadStats()
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    for entry in inputs:
        name = os.fspath(entry)
        if name == STDIN:
            stats.files += 1
            for item in _read_stdin(keys):
                yield stats.count(item)
            continue
        path = Path(name)
        if path.is_dir():
            for found in _walk(path, recursive, stats):
                if isinstance(found, ErrorItem):
                    yield stats.count(found)
                else:
                    yield from _read_file(found, str(found), keys, stats)
        else:
            yield from _read_file(path, name, keys, stats)


def format_of(path: str | Path) -> str | None:
    """The format name ("jsonl", "warc", "html", "text") for a file name, or None if unknown."""
    lowered = os.fspath(path).lower()
    for suffix, kind in FORMATS.items():
        if lowered.endswith(suffix):
            return kind
    return None


def _walk(
    root: Path, recursive: bool, stats: ReadStats, seen: set[tuple[int, int]] | None = None
) -> Iterator[Path | ErrorItem]:
    """Files under ``root`` with known extensions, in sorted order, hidden entries skipped.

    ``seen`` holds the (device, inode) of directories already walked, so symlink loops end.
    """
    seen = set() if seen is None else seen
    try:
        info = root.stat()
        if (info.st_dev, info.st_ino) in seen:
            stats.skipped["directory already walked"] += 1
            return
        seen.add((info.st_dev, info.st_ino))
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        yield ErrorItem(str(root), "", f"cannot list directory: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_dir():
            if recursive:
                yield from _walk(path, recursive, stats, seen)
        elif format_of(entry.name) is None:
            stats.skipped["unknown extension"] += 1
            logger.debug("skipping %s: unknown extension", path)
        else:
            yield path


def _read_file(path: Path, source: str, keys: RecordKeys, stats: ReadStats) -> Iterator[Item]:
    """Dispatch one file on its extension; open failures become a single error item."""
    kind = format_of(path)
    if kind is None:
        expected = ", ".join(KNOWN_EXTENSIONS)
        yield stats.count(ErrorItem(source, "", f"unknown format (expected one of {expected})"))
        return
    try:
        handle = open(path, "rb")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, FileNotFoundError):
            reason = "no such file or directory"
        yield stats.count(ErrorItem(source, "", f"cannot open: {reason}"))
        return
    stats.files += 1
    with handle:
        stats._current = handle
        try:
            if kind == "jsonl":
                items = _read_jsonl(handle, path, source, keys)
            elif kind == "warc":
                from unboil.io.warc import read_warc

                items = read_warc(handle, source, keys, stats)
            else:
                items = _read_whole(handle, path, source, kind, keys)
            for item in items:
                yield stats.count(item)
        finally:
            stats._current = None
            stats.bytes_done += _size(handle)


def _size(handle: IO[bytes]) -> int:
    """The size of an open file, 0 when it cannot be known."""
    try:
        return os.fstat(handle.fileno()).st_size
    except (OSError, ValueError):
        return 0


def _read_whole(
    handle: IO[bytes], path: Path, source: str, kind: str, keys: RecordKeys
) -> Iterator[Item]:
    """A ``.txt`` or ``.html`` file (optionally gzipped) as one record whose id is the path."""
    try:
        data = handle.read()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        yield ErrorItem(source, "", f"cannot read: {_describe(exc)}", id=source)
        return
    if kind == "html":
        yield RecordItem({keys.id: source, keys.html: data}, source, "")
        return
    text = _decode_text(data, source)
    if isinstance(text, ErrorItem):
        yield text
    else:
        yield RecordItem({keys.id: source, keys.text: text}, source, "")


def _decode_text(data: bytes, source: str) -> str | ErrorItem:
    """UTF-8 text of a plain-text document (BOM removed), or an error for binary or bad bytes."""
    nul = data.find(b"\x00")
    if nul >= 0:
        return ErrorItem(source, "", f"binary data, not text (NUL byte at offset {nul})", id=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ErrorItem(source, "", f"invalid UTF-8 at byte {exc.start}", id=source)


def _read_jsonl(handle: IO[bytes], path: Path, source: str, keys: RecordKeys) -> Iterator[Item]:
    """JSON lines from a plain, gzip or zstandard file; a broken stream ends the file."""
    lowered = path.name.lower()
    if lowered.endswith(".gz"):
        lines: Iterator[bytes] = iter(gzip.GzipFile(fileobj=handle, mode="rb"))
    elif lowered.endswith(".zst"):
        try:
            lines = zstd_lines(handle)
        except MissingExtraError as exc:
            yield ErrorItem(source, "", str(exc))
            return
    else:
        lines = iter(handle)
    yield from parse_jsonl(lines, source, keys)


def parse_jsonl(lines: Iterator[bytes], source: str, keys: RecordKeys) -> Iterator[Item]:
    """Turn raw lines into items; stops with an error item when the underlying stream breaks."""
    number = 0
    while True:
        try:
            raw = next(lines)
        except StopIteration:
            return
        except (OSError, EOFError, zlib.error, StreamError) as exc:
            where = f"after line {number}" if number else "before line 1"
            yield ErrorItem(
                source,
                where,
                f"{_describe(exc)}; last good line {number}, rest of file skipped",
            )
            return
        number += 1
        if number == 1 and raw.startswith(_UTF8_BOM):
            raw = raw[len(_UTF8_BOM) :]
        if not raw.strip():
            continue
        yield parse_line(raw, source, f"line {number}", f"{source}:{number}", keys)


def parse_line(raw: bytes, source: str, position: str, fallback_id: str, keys: RecordKeys) -> Item:
    """One JSONL line as a record, or an error item saying what is wrong with it."""
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return ErrorItem(source, position, f"invalid UTF-8 at byte {exc.start}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return ErrorItem(source, position, f"invalid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return ErrorItem(source, position, "invalid JSON: nested too deeply")
    if not isinstance(value, dict):
        return ErrorItem(source, position, f"expected a JSON object, got {_json_type(value)}")
    return complete_record(value, source, position, fallback_id, keys)


def complete_record(
    record: dict[str, Any], source: str, position: str, fallback_id: str, keys: RecordKeys
) -> Item:
    """Fill the id and url fallbacks and check the record carries text or HTML."""
    if record.get(keys.id) is None:
        record[keys.id] = fallback_id
    if keys.url not in record:
        metadata = record.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("url"), str):
            record[keys.url] = metadata["url"]
    if isinstance(record.get(keys.text), str) or isinstance(record.get(keys.html), str):
        return RecordItem(record, source, position)
    found = ", ".join(
        f"{key!r} is {_json_type(record[key])}" for key in (keys.text, keys.html) if key in record
    )
    reason = f"expected a string under {keys.text!r} or {keys.html!r}"
    reason += (
        f" ({found})" if found else f" (keys present: {', '.join(map(repr, record)) or 'none'})"
    )
    return ErrorItem(source, position, reason, id=str(record[keys.id]))


def zstd_lines(handle: IO[bytes]) -> Iterator[bytes]:
    """Lines of a zstandard stream (multi-frame aware); raises StreamError when it is cut short."""
    zstd = require("zstandard", "zstd", "reading .zst files")
    return _zstd_lines(handle, zstd)


def _zstd_lines(handle: IO[bytes], zstd: ModuleType) -> Iterator[bytes]:
    dctx = zstd.ZstdDecompressor()
    obj = dctx.decompressobj()
    fed = False
    pending = bytearray()
    while True:
        chunk = handle.read(_CHUNK)
        if not chunk:
            break
        while chunk:
            fed = True
            try:
                out = obj.decompress(chunk)
            except zstd.ZstdError as exc:
                raise StreamError(f"corrupt zstandard stream ({exc})") from exc
            chunk = b""
            if obj.eof:  # a frame ended; the rest of the chunk starts the next one
                chunk = obj.unused_data
                obj = dctx.decompressobj()
                fed = False
            if b"\n" in out:
                pending.extend(out)
                *complete, rest = bytes(pending).split(b"\n")
                for line in complete:
                    yield line + b"\n"
                pending = bytearray(rest)
            else:
                pending.extend(out)
    if fed:
        raise StreamError("zstandard stream ended early (truncated file?)")
    if pending:
        yield bytes(pending)


def _read_stdin(keys: RecordKeys) -> Iterator[Item]:
    """Stdin as JSONL when its first non-blank character is "{", else as one text record."""
    stream = sys.stdin
    binary: IO[bytes] | None = getattr(stream, "buffer", None)
    lines: Iterator[bytes] = (
        iter(binary) if binary is not None else (s.encode("utf-8") for s in stream)
    )
    peeked: list[bytes] = []
    for line in lines:
        peeked.append(line)
        stripped = (line.removeprefix(_UTF8_BOM) if len(peeked) == 1 else line).strip()
        if stripped:
            break
    else:
        return  # empty stdin: no records
    if stripped.startswith(b"{"):
        yield from parse_jsonl(_chain(peeked, lines), STDIN, keys)
        return
    data = b"".join(_chain(peeked, lines))
    text = _decode_text(data, STDIN)
    if isinstance(text, ErrorItem):
        yield text
    else:
        yield RecordItem({keys.id: STDIN, keys.text: text}, STDIN, "")


def _chain(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


def _describe(exc: BaseException) -> str:
    """A short human reason for a stream failure."""
    if isinstance(exc, EOFError):
        return "compressed stream ended early (truncated file?)"
    if isinstance(exc, gzip.BadGzipFile):
        return f"not a gzip file ({exc})"
    if isinstance(exc, zlib.error):
        return f"corrupt compressed data ({exc})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
