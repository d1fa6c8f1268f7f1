"""Record adapters: clean dict records, streams of them, and column batches (datasets.map)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from unboil.cleaner import Cleaner, default_cleaner, naming
from unboil.document import CleanResult
from unboil.errors import InputError
from unboil.keys import DEFAULT_KEYS, RecordKeys, record_url
from unboil.segment.charset import check_text


def _title(record: dict[str, Any], keys: RecordKeys) -> str | None:
    title = record.get(keys.title)
    if not isinstance(title, str):
        meta = record.get(keys.metadata)
        title = meta.get("title") if isinstance(meta, dict) else None
    return title if isinstance(title, str) and title.strip() else None


def _check_metadata(record: dict[str, Any], keys: RecordKeys) -> None:
    """Raise InputError when the record's metadata is neither an object nor missing/null: the
    provenance goes under ``metadata["unboil"]``, and replacing the value would lose it silently."""
    meta = record.get(keys.metadata)
    if meta is None or isinstance(meta, dict):
        return
    shown = repr(meta)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise InputError(
        f"{keys.metadata!r} is {type(meta).__name__} {shown}, not an object (a dict): unboil writes its "
        f"provenance under {keys.metadata}['unboil'] (name another key with RecordKeys(metadata=...))"
    )


def encoding_hint(record: dict[str, Any], keys: RecordKeys = DEFAULT_KEYS) -> str | None:
    """The charset a record declares for its HTML bytes: ``metadata.encoding`` (a label), else
    ``metadata.content_type`` (the HTTP Content-Type, as the WARC reader stores it)."""
    meta = record.get(keys.metadata)
    if not isinstance(meta, dict):
        return None
    for key in ("encoding", "content_type"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def clean_result_for_record(
    record: dict[str, Any], cleaner: Cleaner | None = None, keys: RecordKeys = DEFAULT_KEYS
) -> CleanResult:
    """Clean a record's text (or its html when it has no text); raises InputError on bad input."""
    if not isinstance(record, dict):
        raise InputError(f"a record must be a dict, got {type(record).__name__}")
    _check_metadata(record, keys)
    rid = record.get(keys.id)
    with naming(str(rid) if rid not in (None, "") else ""):  # warnings name the record
        return _clean_result(record, cleaner, keys)


def _clean_result(record: dict[str, Any], cleaner: Cleaner | None, keys: RecordKeys) -> CleanResult:
    """The cleaning itself, text first, then html."""
    cleaner = cleaner or default_cleaner()
    text = record.get(keys.text)
    html = record.get(keys.html)
    url = record_url(record, keys)
    if isinstance(text, (str, bytes)):
        return cleaner.clean(text, title=_title(record, keys), url=url)
    if isinstance(html, str):
        check_text(html)  # a JSON string no charset step has looked at: junk is an error here
    if isinstance(html, (str, bytes)):
        return cleaner.clean_html(html, url=url, title=_title(record, keys), encoding=encoding_hint(record, keys))
    raise InputError(
        f"record has no text: expected a string under {keys.text!r} or {keys.html!r}, "
        f"found keys {sorted(record)[:10]}"
    )


def provenance(result: CleanResult) -> dict[str, Any]:
    """What unboil writes under ``metadata["unboil"]``: counts per rule and the rule set's hash,
    and what the regex limits cut short when they did (``regex_cut_short``, ``regex_budget_spent``)."""
    return {
        "removed": result.removed_by_rule(),
        "blocks": len(result.blocks),
        "kept": len(result.blocks) - len(result.removed),
        "ruleset": result.ruleset,
        **result.regex_limits(),
    }


def clean_record(
    record: dict[str, Any], *, cleaner: Cleaner | None = None, keys: RecordKeys = DEFAULT_KEYS
) -> dict[str, Any]:
    """A copy of ``record`` with its text cleaned and ``metadata["unboil"]`` filled in."""
    result = clean_result_for_record(record, cleaner, keys)
    out = dict(record)
    out[keys.text] = result.text
    meta = out.get(keys.metadata)
    meta = dict(meta) if isinstance(meta, dict) else {}
    meta["unboil"] = provenance(result)
    out[keys.metadata] = meta
    return out


def error_record(record: Any, reason: str, keys: RecordKeys = DEFAULT_KEYS, **where: str) -> dict[str, Any]:
    """The record that stands for one that could not be cleaned: its id and the reason."""
    rid = record.get(keys.id, "") if isinstance(record, dict) else ""
    return {keys.id: rid, "error": {"reason": reason, **where}}


def clean_records(
    records: Iterable[dict[str, Any]], *, cleaner: Cleaner | None = None, keys: RecordKeys = DEFAULT_KEYS
) -> Iterator[dict[str, Any]]:
    """Clean a stream of records lazily; a bad record yields an error record and the stream goes on.

    Usable as a Dask ``map_partitions`` function or a generator over a JSONL reader.
    """
    cleaner = cleaner or default_cleaner()
    for position, record in enumerate(records):
        try:
            yield clean_record(record, cleaner=cleaner, keys=keys)
        except (InputError, ValueError) as exc:
            yield error_record(record, str(exc), keys, position=f"record {position}")


def clean_batch(
    batch: dict[str, list[Any]], *, cleaner: Cleaner | None = None, keys: RecordKeys = DEFAULT_KEYS
) -> dict[str, list[Any]]:
    """Clean a column batch as ``datasets.Dataset.map(batched=True)`` passes it.

    The text column is replaced by the cleaned text, and the metadata column (added if missing)
    gets ``unboil`` provenance; a row that cannot be cleaned keeps empty text and an ``error``.
    """
    columns = list(batch)
    if not columns:
        return {}
    n = len(batch[columns[0]])
    for name in columns:
        if len(batch[name]) != n:
            raise InputError(f"batch column {name!r} has {len(batch[name])} rows, expected {n}")
    cleaner = cleaner or default_cleaner()
    texts: list[str] = []
    metas: list[dict[str, Any]] = []
    for i in range(n):
        row = {name: batch[name][i] for name in columns}
        meta = row.get(keys.metadata)
        meta = dict(meta) if isinstance(meta, dict) else {}
        try:
            result = clean_result_for_record(row, cleaner, keys)
            texts.append(result.text)
            meta["unboil"] = provenance(result)
        except (InputError, ValueError) as exc:
            texts.append("")
            meta["unboil"] = {"error": str(exc)}
        metas.append(meta)
    out = dict(batch)
    out[keys.text] = texts
    out[keys.metadata] = metas
    return out
