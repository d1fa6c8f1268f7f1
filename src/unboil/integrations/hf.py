"""Hugging Face ``datasets`` adapter: ``Dataset.map`` over :func:`unboil.clean_batch`, cache-friendly.

The mapped function is the module-level ``clean_batch`` and the cleaner goes in ``fn_kwargs``, so
``datasets`` can pickle and hash both: the same data, rules and options give the same
fingerprint (a cache hit), and other rules give another one.
"""

from __future__ import annotations

from typing import Any

from unboil.cleaner import Cleaner, default_cleaner
from unboil.errors import InputError
from unboil.integrations import require
from unboil.records import RecordKeys, clean_batch

__all__ = ["clean_dataset", "provenance_features"]


def provenance_features() -> dict[str, Any]:
    """The ``datasets`` type of ``metadata["unboil"]``: fixed, so every batch casts to it."""
    datasets = require("datasets", "hf", "clean_dataset")
    if not hasattr(datasets, "Json"):
        raise ImportError("clean_dataset needs a datasets release with the Json feature: install unboil[hf]")
    value = datasets.Value
    return {
        "removed": datasets.Json(),
        "blocks": value("int64"),
        "kept": value("int64"),
        "ruleset": value("string"),
        "error": value("string"),
        # only on rows whose text_regex checks the regex limits cut short (see unboil.rules.limits)
        "regex_cut_short": datasets.Json(),
        "regex_budget_spent": value("bool"),
    }


def _output_features(features: Any, keys: RecordKeys) -> Any:
    """The input features with the text column a string and ``metadata.unboil`` declared."""
    datasets = require("datasets", "hf", "clean_dataset")
    out = datasets.Features(features.copy())
    out[keys.text] = datasets.Value("string")
    meta = out.get(keys.metadata)
    if meta is None:
        out[keys.metadata] = {"unboil": provenance_features()}
    elif isinstance(meta, dict):
        out[keys.metadata] = {**meta, "unboil": provenance_features()}
    elif not isinstance(meta, datasets.Json):
        raise InputError(
            f"column {keys.metadata!r} is {meta!r}, not a struct, so unboil cannot add provenance to it "
            "(name another column with keys=RecordKeys(metadata=...))"
        )
    return out


def clean_dataset(
    ds: Any,
    text_key: str = "text",
    *,
    batch_size: int = 1000,
    num_proc: int | None = None,
    cleaner: Cleaner | None = None,
    keys: RecordKeys | None = None,
    **map_kwargs: Any,
) -> Any:
    """``ds`` with its text column cleaned and ``metadata.unboil`` provenance, via ``ds.map``.

    Works on a ``Dataset`` (cached on disk when ``ds`` is), an ``IterableDataset`` (lazily) or a
    ``DatasetDict`` (each split). ``keys``, when given, names every column and overrides
    ``text_key``; other keyword arguments go to ``map``. A row that cannot be cleaned keeps
    empty text and ``metadata.unboil.error``.
    """
    datasets = require("datasets", "hf", "clean_dataset")
    keys = keys or RecordKeys(text=text_key)
    # a concrete cleaner, so its rule set is part of the cache fingerprint even for the defaults
    cleaner = cleaner or default_cleaner()
    if isinstance(ds, (datasets.DatasetDict, datasets.IterableDatasetDict)):
        kind = type(ds)
        return kind({name: clean_dataset(split, batch_size=batch_size, num_proc=num_proc, cleaner=cleaner,
                                         keys=keys, **map_kwargs) for name, split in ds.items()})
    options: dict[str, Any] = {"batched": True, "batch_size": batch_size, "fn_kwargs": {"cleaner": cleaner, "keys": keys}}
    if ds.features is not None:
        options["features"] = _output_features(ds.features, keys)
    if isinstance(ds, datasets.Dataset):
        options.update(num_proc=num_proc, desc="unboil clean")
    elif num_proc is not None:
        raise ValueError("num_proc applies to a Dataset; an IterableDataset is cleaned lazily in one process")
    options.update(map_kwargs)
    return ds.map(clean_batch, **options)
