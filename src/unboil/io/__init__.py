"""Record I/O for every verb: read files, directories and stdin; write JSON lines and errors."""

from __future__ import annotations

from unboil.io.progress import progress
from unboil.io.readers import (
    KNOWN_EXTENSIONS,
    ErrorItem,
    MissingExtraError,
    ReadStats,
    RecordItem,
    format_of,
    read_records,
)
from unboil.io.writers import RecordWriter, WriteCounts

__all__ = [
    "KNOWN_EXTENSIONS",
    "ErrorItem",
    "MissingExtraError",
    "ReadStats",
    "RecordItem",
    "RecordWriter",
    "WriteCounts",
    "format_of",
    "progress",
    "read_records",
]
