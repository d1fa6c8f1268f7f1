"""Which keys of a record hold what: shared by the readers, the record adapters and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordKeys:
    """Which keys of a record hold what; ``url`` falls back to ``metadata.url``."""

    text: str = "text"
    html: str = "html"
    id: str = "id"
    url: str = "url"
    title: str = "title"
    metadata: str = "metadata"


DEFAULT_KEYS = RecordKeys()


def record_url(record: dict[str, Any], keys: RecordKeys = DEFAULT_KEYS) -> str:
    """The record's URL, from its url key or else ``metadata.url``."""
    url = record.get(keys.url)
    if not url:
        meta = record.get(keys.metadata)
        if isinstance(meta, dict):
            url = meta.get("url")
    return url if isinstance(url, str) else ""
