"""Batch deduplication of a whole crawl: exact digests, MinHash LSH banding, containment,
all grouped with numpy sorts and connected components (no per-document queries)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from unboil.dedup.exact import exact_groups
from unboil.fingerprint.lsh import LSHParams, band_keys, candidate_pairs
from unboil.fingerprint.minhash import MinHashConfig, _check_texts, shingle_hashes, signatures

__all__ = ["DedupConfig", "DuplicateGroup", "KEEP_POLICIES", "dedup_batch", "find_contained", "find_duplicates", "group_signatures"]

log = logging.getLogger(__name__)

KEEP_POLICIES = ("first", "longest")
_VERIFY_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Every default of deduplication in one place.

    ``threshold`` is the estimated Jaccard similarity at which two texts are near duplicates.
    Bands x rows come from datasketch's optimiser with ``weights`` = (false positive, false
    negative); the default leans to recall because every candidate pair is then verified on
    the full signature. ``containment`` (off when None) also joins a text whose sampled
    shingles lie at least that much inside a longer text: one shingle hash in ``sample_rate``
    is kept, texts with fewer than ``min_samples`` samples are not tested, and shingles shared
    by more than ``max_bucket`` texts are ignored as boilerplate.
    """

    threshold: float = 0.8
    num_perm: int = 128
    seed: int = 1
    shingle_size: int = 5
    compat: str | None = None
    weights: tuple[float, float] = (0.1, 0.9)
    exact: bool = True
    containment: float | None = None
    sample_rate: int = 4
    min_samples: int = 4
    max_bucket: int = 200
    lsh: LSHParams = field(init=False, repr=False, compare=False)
    minhash: MinHashConfig = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "minhash", MinHashConfig(self.num_perm, self.seed, self.shingle_size, self.compat))
        object.__setattr__(self, "lsh", LSHParams(self.threshold, self.num_perm, tuple(self.weights)))
        if self.containment is not None and not 0.0 < self.containment <= 1.0:
            raise ValueError(f"DedupConfig.containment must be in (0, 1] or None, got {self.containment!r} (try 0.9)")
        if self.sample_rate < 1 or self.min_samples < 1 or self.max_bucket < 2:
            raise ValueError("DedupConfig: sample_rate and min_samples must be >= 1, max_bucket >= 2")


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Texts found to be copies of one another: the one kept and those dropped.

    ``similarity[i]`` is the estimated Jaccard similarity of ``dropped[i]`` to ``kept`` (1.0 for
    exact copies); ``kind`` is "exact" when every member has the same digest, "contained" when a
    containment link joined the group, else "near".
    """

    kept: int
    dropped: tuple[int, ...]
    similarity: tuple[float, ...]
    kind: str

    @property
    def members(self) -> list[int]:
        """All member indices, ascending."""
        return sorted((self.kept, *self.dropped))


def _verify(sigs: np.ndarray, u: np.ndarray, v: np.ndarray, threshold: float) -> np.ndarray:
    """Mask of candidate pairs whose estimated Jaccard reaches the threshold."""
    keep = np.zeros(len(u), dtype=bool)
    for lo in range(0, len(u), _VERIFY_CHUNK):
        hi = lo + _VERIFY_CHUNK
        est = (sigs[u[lo:hi]] == sigs[v[lo:hi]]).mean(axis=1)
        keep[lo:hi] = est >= threshold
    return keep


def _run_pairs(run_start: np.ndarray, run_len: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All ordered pairs (i, j), i != j, of positions inside each run."""
    sq = run_len * run_len
    total = int(sq.sum())
    base = np.repeat(run_start, sq)
    width = np.repeat(run_len, sq)
    k = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sq) - sq, sq)
    i, j = k // width, k % width
    ok = i != j
    return (base + i)[ok], (base + j)[ok]


def find_contained(
    texts: Sequence[str], containment: float = 0.9, *, config: DedupConfig | None = None, docs: np.ndarray | None = None
) -> list[tuple[int, int, float]]:
    """Triples ``(inner, outer, estimate)``: ``inner``'s shingles lie >= ``containment`` inside the
    longer ``outer``, estimated on a consistent sample of shingle hashes.

    ``docs`` restricts the search to those indices (the others are ignored).
    """
    cfg = config or DedupConfig(containment=containment)
    idx = np.arange(len(texts), dtype=np.int64) if docs is None else np.asarray(docs, dtype=np.int64)
    if len(idx) == 0:
        return []
    hashes, per_doc = shingle_hashes([texts[i] for i in idx], cfg.shingle_size)
    owner = np.repeat(np.arange(len(idx), dtype=np.int64), per_doc)
    sampled = hashes % np.uint32(cfg.sample_rate) == 0
    pairs = np.unique((hashes[sampled].astype(np.int64) << 32) | owner[sampled])  # sorted by hash, then doc
    h, d = pairs >> 32, pairs & 0xFFFFFFFF
    samples = np.bincount(d, minlength=len(idx))
    size = per_doc
    new = np.empty(len(h), dtype=bool)
    if len(h):
        new[0] = True
        np.not_equal(h[1:], h[:-1], out=new[1:])
    run_start = np.flatnonzero(new)
    run_len = np.diff(run_start, append=len(h))
    ok = (run_len >= 2) & (run_len <= cfg.max_bucket)
    a, b = _run_pairs(run_start[ok], run_len[ok])
    a, b = d[a], d[b]
    sel = (samples[a] >= cfg.min_samples) & (size[a] < size[b])
    a, b = a[sel], b[sel]
    if len(a) == 0:
        return []
    width = len(idx)
    packed, counts = np.unique(a * width + b, return_counts=True)
    inner, outer = packed // width, packed % width
    est = counts / samples[inner]
    hit = est >= (containment if config is None else (cfg.containment or containment))
    return [(int(idx[i]), int(idx[o]), float(e)) for i, o, e in zip(inner[hit], outer[hit], est[hit])]


def dedup_batch(texts: Sequence[str], config: DedupConfig | None = None, keep: str = "first") -> list[DuplicateGroup]:
    """Duplicate groups of ``texts`` (exact, near and, when configured, contained copies).

    ``keep`` picks the member kept in each group: "first" (lowest index) or "longest" (most
    characters, first on ties).
    """
    cfg = config or DedupConfig()
    if keep not in KEEP_POLICIES:
        raise ValueError(f"keep must be one of {KEEP_POLICIES}, got {keep!r}")
    texts = _check_texts(texts)
    n = len(texts)
    first, empty = exact_groups(texts) if cfg.exact else (np.arange(n), np.zeros(n, dtype=bool))
    reps = np.flatnonzero((first == np.arange(n)) & ~empty)
    sigs = signatures([texts[i] for i in reps], config=cfg.minhash)
    extra: list[tuple[np.ndarray, np.ndarray]] = []
    if cfg.containment is not None:
        triples = find_contained(texts, cfg.containment, config=cfg, docs=reps)
        if triples:
            extra.append((np.array([t[0] for t in triples]), np.array([t[1] for t in triples])))
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    return group_signatures(sigs, reps, first, lengths, cfg, keep, contained=extra)


def group_signatures(
    sigs: np.ndarray,
    reps: np.ndarray,
    first: np.ndarray,
    lengths: np.ndarray,
    config: DedupConfig,
    keep: str = "first",
    contained: Sequence[tuple[np.ndarray, np.ndarray]] = (),
) -> list[DuplicateGroup]:
    """Duplicate groups from precomputed parts: signatures of the representatives ``reps``,
    each text's exact representative ``first``, text lengths, and optional containment links.

    This is the whole batch path once signatures exist, so a streaming run can compute them
    chunk by chunk and never hold the texts.
    """
    cfg = config
    n = len(first)
    has_shingles = ~np.all(sigs == np.uint32(0xFFFFFFFF), axis=1) if len(reps) else np.zeros(0, dtype=bool)
    live = np.flatnonzero(has_shingles)
    keys = band_keys(sigs[live], cfg.lsh.bands, cfg.lsh.rows)
    u, v = candidate_pairs(keys, docs=live)
    verified = _verify(sigs, u, v, cfg.threshold)
    log.debug("dedup: %d texts, %d distinct, %d candidate pairs, %d verified", n, len(reps), len(u), verified.sum())
    src = [reps[u[verified]]]
    dst = [reps[v[verified]]]
    contained_nodes = np.zeros(n, dtype=bool)
    for ci, co in contained:
        src.append(ci)
        dst.append(co)
        contained_nodes[ci] = contained_nodes[co] = True
    dup = np.flatnonzero(first != np.arange(n))
    src.append(dup)
    dst.append(first[dup])
    a, b = np.concatenate(src).astype(np.int64), np.concatenate(dst).astype(np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return _groups(lengths, labels, first, reps, sigs, contained_nodes, keep)


def _groups(lengths, labels, first, reps, sigs, contained_nodes, keep) -> list[DuplicateGroup]:
    """Turn component labels into groups with a kept member and per-member similarities."""
    n = len(labels)
    sizes = np.bincount(labels, minlength=n)
    members = np.flatnonzero(sizes[labels] >= 2)
    if len(members) == 0:
        return []
    order = members[np.argsort(labels[members], kind="stable")]
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    rep_row = np.full(n, -1, dtype=np.int64)
    rep_row[reps] = np.arange(len(reps))
    out = []
    for group in np.split(order, cuts):
        if keep == "longest":
            kept = int(group[int(np.argmax(lengths[group]))])
        else:
            kept = int(group[0])
        dropped = [int(i) for i in group if i != kept]
        rows = rep_row[first[dropped]]
        kept_sig = sigs[rep_row[first[kept]]]
        sim = (sigs[rows] == kept_sig).mean(axis=1)
        same = first[dropped] == first[kept]
        sim[same] = 1.0
        kind = "exact" if same.all() else "contained" if contained_nodes[group].any() else "near"
        out.append(DuplicateGroup(kept, tuple(dropped), tuple(float(s) for s in sim), kind))
    out.sort(key=lambda g: g.members[0])
    return out


def find_duplicates(
    texts: Sequence[str],
    threshold: float = 0.8,
    *,
    num_perm: int = 128,
    seed: int = 1,
    containment: float | None = None,
    compat: str | None = None,
    config: DedupConfig | None = None,
) -> list[list[int]]:
    """Groups of indices of duplicate texts (each of size >= 2, ascending, ordered by first index)."""
    cfg = config or DedupConfig(threshold=threshold, num_perm=num_perm, seed=seed, containment=containment, compat=compat)
    return [g.members for g in dedup_batch(texts, cfg)]
