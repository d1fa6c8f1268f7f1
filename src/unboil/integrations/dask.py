"""Dask adapters: clean bags and dataframes of records, and find duplicate texts across partitions
with the same groups as the single-machine :func:`unboil.find_duplicates`.

The duplicate search runs in four distributed steps: fingerprints (exact digest and MinHash
signature) per partition; exact digests shuffled so equal texts meet; LSH band keys of the
remaining texts shuffled so candidates meet, each run of equal keys linking its lowest document to
the others; candidate pairs joined with their signatures and verified. Only the verified links and
the exact-copy links reach the client, which joins them by connected components.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from unboil.cleaner import Cleaner, default_cleaner
from unboil.dedup.batch import DedupConfig
from unboil.dedup.exact import exact_digests
from unboil.errors import InputError
from unboil.fingerprint.lsh import band_keys, candidate_pairs
from unboil.fingerprint.minhash import EMPTY_HASH, signatures
from unboil.integrations import require
from unboil.records import (
    DEFAULT_KEYS,
    RecordKeys,
    clean_records,
    clean_result_for_record,
    provenance,
)

__all__ = ["clean_bag", "clean_dataframe", "find_duplicates_dask"]

_EXTRA = "dask"


def _dask(what: str) -> Any:
    """The ``dask`` module, after checking the bag and dataframe parts import."""
    require("dask.bag", _EXTRA, what)
    return require("dask", _EXTRA, what)


def _shared(value: Any) -> Any:
    """Wrap a non-None argument so the graph ships it once, not once per partition."""
    from dask import delayed

    return value if value is None else delayed(value, pure=True, traverse=False)


# -- cleaning ---------------------------------------------------------------------------------


def _clean_partition(
    records: Iterable[dict[str, Any]], cleaner: Cleaner | None, keys: RecordKeys, partition: int
) -> list[dict]:
    """One bag partition through :func:`unboil.clean_records`; error positions name the partition."""
    out = list(clean_records(records, cleaner=cleaner, keys=keys))
    for record in out:
        error = record.get("error")
        if isinstance(error, dict) and "position" in error and keys.text not in record:
            error["position"] = f"partition {partition}, {error['position']}"
    return out


def clean_bag(bag: Any, cleaner: Cleaner | None = None, keys: RecordKeys | None = None) -> Any:
    """A bag of cleaned records: ``clean_records`` over each partition of a bag of dicts.

    Every input record yields one output record, in order: the cleaned record, or an error
    record whose ``position`` reads "partition P, record N".
    """
    dask = _dask("clean_bag")
    import dask.bag as db

    cleaner, keys = _shared(cleaner), keys or DEFAULT_KEYS
    parts = bag.to_delayed()
    return db.from_delayed([dask.delayed(_clean_partition)(p, cleaner, keys, i) for i, p in enumerate(parts)])


def _clean_frame(frame: Any, cleaner: Cleaner | None, keys: RecordKeys, columns: tuple[str, ...], out: str) -> Any:
    """One pandas partition: cleaned text column plus a JSON provenance column."""
    import pandas as pd

    cleaner = cleaner or default_cleaner()
    present = [c for c in columns if c in frame.columns]
    texts: list[str] = []
    notes: list[str] = []
    for values in zip(*(frame[c].tolist() for c in present)) if present else ():
        record = dict(zip(present, values))
        try:
            result = clean_result_for_record(record, cleaner, keys)
        except (InputError, ValueError) as exc:
            texts.append("")
            notes.append(json.dumps({"error": str(exc)}, ensure_ascii=False))
        else:
            texts.append(result.text)
            notes.append(json.dumps(provenance(result), ensure_ascii=False))
    if not present:
        texts = notes = [""] * len(frame)
    source = frame[keys.text].dtype if keys.text in frame.columns else None
    dtype = source if source is not None and pd.api.types.is_string_dtype(source) else object
    frame = frame.copy()
    frame[keys.text] = pd.Series(texts, index=frame.index, dtype=dtype)
    frame[out] = pd.Series(notes, index=frame.index, dtype=dtype)
    return frame


def clean_dataframe(
    df: Any,
    text_column: str = "text",
    *,
    html_column: str | None = None,
    url_column: str = "url",
    title_column: str = "title",
    provenance_column: str = "unboil",
    cleaner: Cleaner | None = None,
) -> Any:
    """A dask DataFrame with ``text_column`` cleaned and ``provenance_column`` added.

    Rows are read from ``text_column`` (or ``html_column`` where the text is missing), with
    ``url_column`` and ``title_column`` when present. The provenance column holds JSON text,
    the same object records get as ``metadata["unboil"]``, so it survives Parquet and CSV; a row
    that cannot be cleaned gets empty text and ``{"error": reason}``.
    """
    _dask("clean_dataframe")
    if html_column is None and text_column not in df.columns:
        raise InputError(f"clean_dataframe: no column {text_column!r} in {list(df.columns)[:10]} (pass text_column=)")
    keys = RecordKeys(text=text_column, html=html_column or "\0no html", url=url_column, title=title_column)
    columns = tuple(c for c in (text_column, html_column, url_column, title_column) if c)
    meta = _clean_frame(df._meta, None, keys, columns, provenance_column)
    return df.map_partitions(_clean_frame, _shared(cleaner), keys, columns, provenance_column, meta=meta)


# -- duplicates -------------------------------------------------------------------------------


class _Fingerprints(NamedTuple):
    """One partition's texts reduced to what dedup needs: digests, empty flags, signatures."""

    digests: np.ndarray  # (n, 2) uint64, xxh3-128 of the whitespace-folded text
    empty: np.ndarray  # (n,) bool, empty or whitespace only
    sigs: np.ndarray  # (n, num_perm) uint32


def _text_of(item: Any, text_key: str, position: int) -> str:
    """The text of a bag item: the item itself, or ``item[text_key]`` for a record."""
    text = item.get(text_key) if isinstance(item, dict) else item
    if not isinstance(text, str):
        what = f"record's {text_key!r}" if isinstance(item, dict) else "item"
        raise TypeError(f"text at position {position} of its partition: the {what} is {type(text).__name__}, not str")
    return text


def _fingerprint(items: Iterable[Any], config: DedupConfig, text_key: str) -> _Fingerprints:
    """Digests and MinHash signatures of one partition, in numpy batches."""
    texts = [_text_of(item, text_key, i) for i, item in enumerate(items)]
    empty = np.fromiter((not t or t.isspace() for t in texts), dtype=bool, count=len(texts))
    return _Fingerprints(exact_digests(texts), empty, signatures(texts, config=config.minhash))


def _size(part: _Fingerprints) -> int:
    return len(part.empty)


def _digest_frame(part: _Fingerprints, offset: int) -> Any:
    """Rows ``(h0, h1, doc)`` for every non-empty text of a partition (global doc numbers)."""
    import pandas as pd

    rows = np.flatnonzero(~part.empty)
    return pd.DataFrame({"h0": part.digests[rows, 0], "h1": part.digests[rows, 1], "doc": rows + np.int64(offset)})


def _exact_links(frame: Any) -> Any:
    """Within a shuffled partition (equal digests together): each copy linked to its first text."""
    import pandas as pd

    first = frame.groupby(["h0", "h1"], sort=False)["doc"].transform("min")
    copy = (frame["doc"] != first).to_numpy()
    return pd.DataFrame({"u": frame["doc"].to_numpy()[copy], "v": first.to_numpy()[copy]}).astype("int64")


def _representatives(part: _Fingerprints, copies: np.ndarray) -> np.ndarray:
    """Local rows that take part in LSH: first of their digest, not empty, with shingles."""
    live = ~part.empty & ~np.all(part.sigs == EMPTY_HASH, axis=1)
    live[copies] = False
    return np.flatnonzero(live)


def _band_frame(part: _Fingerprints, offset: int, copies: np.ndarray, bands: int, rows: int) -> Any:
    """Rows ``(key, doc)``: every band key of every representative text of a partition."""
    import pandas as pd

    reps = _representatives(part, copies)
    keys = band_keys(part.sigs[reps], bands, rows)
    docs = np.repeat(reps.astype(np.int64) + np.int64(offset), bands)
    return pd.DataFrame({"key": keys.ravel(), "doc": docs})


def _candidates(frame: Any) -> Any:
    """Within a shuffled partition (equal keys together): pairs (lowest doc of a run, other doc)."""
    import pandas as pd

    frame = frame.sort_values("doc", kind="stable")
    u, v = candidate_pairs(frame["key"].to_numpy(np.uint64).reshape(-1, 1), docs=frame["doc"].to_numpy(np.int64))
    return pd.DataFrame({"u": u, "v": v}).astype("int64")


def _signature_frame(part: _Fingerprints, offset: int, copies: np.ndarray) -> Any:
    """Rows ``(doc, sig)``: each representative's signature as one bytes value (light to shuffle)."""
    import pandas as pd

    reps = _representatives(part, copies)
    rows = np.ascontiguousarray(part.sigs[reps], dtype="<u4")
    sig = pd.Series([r.tobytes() for r in rows], dtype=_binary())
    return pd.DataFrame({"doc": reps.astype(np.int64) + np.int64(offset), "sig": sig})


def _binary() -> Any:
    """Arrow binary dtype: bytes that Dask leaves alone (object columns it turns into strings)."""
    import pandas as pd
    import pyarrow as pa

    return pd.ArrowDtype(pa.binary())


def _unpack(column: Any, num_perm: int) -> np.ndarray:
    """Bytes signatures back to a ``(n, num_perm)`` uint32 array."""
    return np.frombuffer(b"".join(column.tolist()), dtype="<u4").reshape(-1, num_perm)


def _verified(frame: Any, num_perm: int, threshold: float) -> Any:
    """Candidate pairs whose estimated Jaccard (share of equal slots) reaches the threshold."""
    a, b = _unpack(frame["sig_u"], num_perm), _unpack(frame["sig_v"], num_perm)
    keep = (a == b).mean(axis=1) >= threshold
    return frame.loc[keep, ["u", "v"]]


def _frame_meta(**dtypes: Any) -> Any:
    import pandas as pd

    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in dtypes.items()})


def _shuffle_method(explicit: str | None) -> str | None:
    """The shuffle to use: the caller's, else Dask's own choice on a distributed client, else
    "tasks" (Dask picks "p2p" whenever a client exists, even when another scheduler computes)."""
    if explicit:
        return explicit
    from dask.base import get_scheduler

    owner = getattr(get_scheduler(), "__self__", None)
    return None if type(owner).__name__ == "Client" else "tasks"


def _as_bag(data: Any, npartitions: int | None) -> Any:
    """A dask Bag of texts or records from a Bag, a dask Series, or an in-memory sequence."""
    import dask.bag as db

    if isinstance(data, db.Bag):
        return data
    if hasattr(data, "to_bag") and hasattr(data, "npartitions"):
        return data.to_bag()
    if isinstance(data, str) or not isinstance(data, Sequence):
        raise TypeError(f"find_duplicates_dask takes a dask Bag or Series, or a sequence of texts, got {type(data).__name__}")
    return db.from_sequence(list(data), npartitions=npartitions or max(1, min(64, len(data) // 2000 + 1)))


def _components(n: int, links: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[list[int]]:
    """Groups (size >= 2, ascending, ordered by first member) of the graph the links make."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a = np.concatenate([np.asarray(u, dtype=np.int64) for u, _ in links])
    b = np.concatenate([np.asarray(v, dtype=np.int64) for _, v in links])
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels, minlength=n)
    members = np.flatnonzero(sizes[labels] >= 2)
    order = members[np.argsort(labels[members], kind="stable")]
    groups = np.split(order, np.flatnonzero(np.diff(labels[order])) + 1) if len(order) else []
    return sorted(([int(i) for i in g] for g in groups), key=lambda g: g[0])


def find_duplicates_dask(
    data: Any,
    threshold: float = 0.8,
    *,
    num_perm: int = 128,
    seed: int = 1,
    compat: str | None = None,
    config: DedupConfig | None = None,
    text_key: str = "text",
    npartitions: int | None = None,
    shuffle_method: str | None = None,
) -> list[list[int]]:
    """Groups of indices of duplicate texts, computed on Dask; the same groups as
    ``unboil.find_duplicates`` gives for the same texts in the same order.

    ``data`` is a dask Bag of texts (or of records, whose ``text_key`` is read), a dask Series of
    texts, or a sequence of texts (split into ``npartitions``). Indices count items in bag order.
    ``shuffle_method`` goes to Dask's shuffles and joins (None: Dask's choice, "p2p" on a
    distributed cluster). Containment (``DedupConfig.containment``) is a single-machine
    feature and is refused here.
    """
    dask = _dask("find_duplicates_dask")
    dd = require("dask.dataframe", _EXTRA, "find_duplicates_dask")
    from dask import delayed

    cfg = config or DedupConfig(threshold=threshold, num_perm=num_perm, seed=seed, compat=compat)
    if cfg.containment is not None:
        raise ValueError("find_duplicates_dask does not search containment: use DedupConfig(containment=None)")
    if not cfg.exact:
        raise ValueError("find_duplicates_dask always groups exact copies: use DedupConfig(exact=True)")
    bag = _as_bag(data, npartitions)
    shuffle_method = _shuffle_method(shuffle_method)

    parts = dask.persist(*[delayed(_fingerprint)(p, cfg, text_key) for p in bag.to_delayed()])
    sizes = np.array(dask.compute(*[delayed(_size)(p) for p in parts]), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n = int(offsets[-1])
    if n == 0:
        return []

    digests = dd.from_delayed(
        [delayed(_digest_frame)(p, int(o)) for p, o in zip(parts, offsets)],
        meta=_frame_meta(h0="uint64", h1="uint64", doc="int64"), verify_meta=False,
    )
    links = _frame_meta(u="int64", v="int64")
    exact = digests.shuffle(on="h0", shuffle_method=shuffle_method).map_partitions(_exact_links, meta=links).compute()
    copy_doc, copy_first = exact["u"].to_numpy(np.int64), exact["v"].to_numpy(np.int64)

    where = np.searchsorted(offsets, copy_doc, side="right") - 1
    local = [copy_doc[where == i] - offsets[i] for i in range(len(parts))]
    bands, rows = cfg.lsh.bands, cfg.lsh.rows
    keys = dd.from_delayed(
        [delayed(_band_frame)(p, int(o), c, bands, rows) for p, o, c in zip(parts, offsets, local)],
        meta=_frame_meta(key="uint64", doc="int64"), verify_meta=False,
    )
    pairs = keys.shuffle(on="key", shuffle_method=shuffle_method).map_partitions(_candidates, meta=links)
    sigs = dd.from_delayed(
        [delayed(_signature_frame)(p, int(o), c) for p, o, c in zip(parts, offsets, local)],
        meta=_frame_meta(doc="int64", sig=_binary()), verify_meta=False,
    )
    sig_u = sigs.rename(columns={"doc": "u", "sig": "sig_u"})
    sig_v = sigs.rename(columns={"doc": "v", "sig": "sig_v"})
    joined = pairs.merge(sig_u, on="u", shuffle_method=shuffle_method).merge(sig_v, on="v", shuffle_method=shuffle_method)
    near = joined.map_partitions(_verified, cfg.num_perm, cfg.threshold, meta=links).compute()

    return _components(n, [(near["u"].to_numpy(), near["v"].to_numpy()), (copy_doc, copy_first)])
