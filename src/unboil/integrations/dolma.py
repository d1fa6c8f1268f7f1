"""Dolma-style attribute export: the removed blocks of a text as character spans per rule.

Dolma keeps documents untouched and writes "attributes" beside them: for each document
``{"id": ..., "attributes": {"<tagger>__<name>": [[start, end, score], ...]}}`` with offsets into the
document's text. unboil's decisions map onto that directly: one attribute per rule that removed
something, one span per removed block, so a mixer can drop the spans later (or not).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from unboil.cleaner import Cleaner, default_cleaner
from unboil.document import CleanResult
from unboil.errors import InputError
from unboil.keys import DEFAULT_KEYS, RecordKeys, record_url

__all__ = ["dolma_attributes", "dolma_attribute_records"]


def dolma_attributes(doc_id: str, result: CleanResult, tagger: str = "unboil") -> dict[str, Any]:
    """The attribute record for one cleaned text: removed blocks as spans, grouped by rule.

    Offsets are character offsets into the text that was cleaned (only text input has them; a
    result cleaned from HTML raises ``InputError``, since its blocks have no place in a source text).
    """
    spans: dict[str, list[list[Any]]] = {}
    for d in result.decisions:
        if not d.dropped:
            continue
        block = result.blocks[d.index]
        if block.start < 0 or block.end < block.start:
            raise InputError(f"document {doc_id!r}: blocks carry no text offsets (HTML input?); "
                             "dolma spans need text input")
        spans.setdefault(f"{tagger}__{d.rule or 'removed'}", []).append([block.start, block.end, 1.0])
    return {"id": doc_id, "attributes": spans}


def dolma_attribute_records(
    records: Iterable[dict[str, Any]],
    *,
    cleaner: Cleaner | None = None,
    keys: RecordKeys = DEFAULT_KEYS,
    tagger: str = "unboil",
) -> Iterator[dict[str, Any]]:
    """One attribute record per input record (dolma ``documents`` shape: id + text); a record that
    cannot be cleaned yields ``{"id": ..., "attributes": {}, "error": reason}`` and the run goes on."""
    cleaner = cleaner or default_cleaner()
    for position, record in enumerate(records):
        rid = str(record.get(keys.id, f"record {position}")) if isinstance(record, dict) else f"record {position}"
        try:
            if not isinstance(record, dict) or not isinstance(record.get(keys.text), str):
                raise InputError(f"expected a string under {keys.text!r}")
            result = cleaner.clean(record[keys.text], title=record.get(keys.title), url=record_url(record, keys))
            yield dolma_attributes(rid, result, tagger)
        except (InputError, ValueError) as exc:
            yield {"id": rid, "attributes": {}, "error": str(exc)}
