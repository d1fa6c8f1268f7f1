"""Read HTML pages out of WARC files (plain or gzipped) through the optional ``warcio`` library.

Only ``response`` records whose payload is HTML become records; everything else a crawler
stores (requests, metadata, revisits, warcinfo, images, redirects) is skipped and counted in
``ReadStats.skipped`` so the numbers still add up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import IO, Any

from unboil.io.readers import (
    ErrorItem,
    MissingExtraError,
    ReadStats,
    RecordItem,
    RecordKeys,
    require,
)

logger = logging.getLogger(__name__)

_CHUNK = 1 << 16
HTML_TYPES: frozenset[str] = frozenset({"text/html", "application/xhtml+xml"})


def read_warc(
    handle: IO[bytes], source: str, keys: RecordKeys, stats: ReadStats
) -> Iterator[RecordItem | ErrorItem]:
    """Yield one record per HTML response in the WARC stream ``handle``; a broken stream ends it."""
    try:
        archive = require("warcio.archiveiterator", "warc", "reading WARC files")
    except MissingExtraError as exc:
        yield ErrorItem(source, "", str(exc))
        return
    iterator = archive.ArchiveIterator(handle)
    number = 0
    good_end = 0  # file offset just past the last complete record
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            break
        except Exception as exc:  # warcio raises many types for cut or corrupt input
            yield _broken(source, number, exc)
            return
        number += 1
        try:
            if record.rec_headers.get_header("Content-Length") is None:
                raise EOFError(f"record {number} has no Content-Length header")
            # The payload is read first: warcio's offset lookup consumes the rest of the record.
            item = _convert(record, source, keys, stats)
            missing = _drain(record)
            if missing:
                raise EOFError(f"record {number} is cut short, {missing} bytes missing")
            offset = iterator.get_record_offset()
            good_end = offset + iterator.get_record_length()
        except Exception as exc:
            yield _broken(source, number - 1, exc)
            return
        if item is not None:
            yield replace(item, position=f"record {number} @ offset {offset}")
    leftover = _leftover(handle, good_end)
    if leftover:
        yield _broken(source, number, EOFError(f"{leftover} at offset {good_end}"))


def _drain(record: Any) -> int:
    """Read what is left of a record's block; return how many declared bytes never arrived."""
    raw = record.raw_stream
    while raw.read(_CHUNK):
        pass
    return int(getattr(raw, "limit", 0) or 0)


def _leftover(handle: IO[bytes], good_end: int) -> str:
    """Describe non-blank bytes after the last complete record (a cut or corrupt tail), or ""."""
    try:
        handle.seek(good_end)
        tail = handle.read(_CHUNK)
    except (OSError, ValueError):
        return ""
    if tail.strip(b"\r\n\t "):
        return "incomplete record or trailing garbage"
    return ""


def _convert(
    record: Any, source: str, keys: RecordKeys, stats: ReadStats
) -> RecordItem | ErrorItem | None:
    """A WARC record as a record dict, an error item, or None when it is skipped (and counted)."""
    if record.rec_type != "response":
        stats.skipped[f"warc {record.rec_type} record"] += 1
        return None
    headers = record.rec_headers
    record_id = headers.get_header("WARC-Record-ID") or ""
    http = record.http_headers
    status = ""
    if http is not None:
        status = http.get_statuscode() or ""
        content_type = http.get_header("Content-Type") or ""
    else:
        content_type = headers.get_header("Content-Type") or ""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in HTML_TYPES:
        stats.skipped["warc response not HTML"] += 1
        return None
    if status and not status.startswith("2"):
        stats.skipped[f"warc response status {status[:1]}xx"] += 1
        return None
    payload = record.content_stream().read()
    if not payload:
        return ErrorItem(source, "", "response record has no payload", id=record_id)
    metadata: dict[str, Any] = {
        "warc_date": headers.get_header("WARC-Date") or "",
        "content_type": content_type,
    }
    if status:
        metadata["http_status"] = int(status) if status.isdigit() else status
    return RecordItem(
        {
            keys.id: record_id,
            keys.html: payload,
            keys.url: headers.get_header("WARC-Target-URI") or "",
            "metadata": metadata,
        },
        source,
        "",
    )


def _broken(source: str, good: int, exc: BaseException) -> ErrorItem:
    """The error item for a WARC stream that cannot be read past record ``good``."""
    where = f"after record {good}" if good else "before record 1"
    if isinstance(exc, EOFError):
        reason = f"truncated WARC ({exc})"
    else:
        reason = f"unreadable WARC, truncated or corrupt ({type(exc).__name__}: {exc})"
    return ErrorItem(source, where, f"{reason}; last good record {good}, rest of file skipped")
