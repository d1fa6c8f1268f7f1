"""LSH banding of MinHash signatures: threshold to bands x rows, band keys, candidate pairs.

Bands and rows are chosen as datasketch's ``MinHashLSH`` chooses them: the pair ``(b, r)`` with
``b * r <= num_perm`` that minimises the weighted sum of the false-positive area (the chance a
pair below the threshold shares a band, integrated over similarities 0..threshold) and the
false-negative area (above the threshold). The areas are integrated exactly: the band
probability ``1 - (1 - s**r)**b`` is a polynomial of degree ``b*r``, so Gauss-Legendre
quadrature with enough nodes has no error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

__all__ = ["LSHParams", "band_keys", "candidate_pairs", "optimal_params", "recall"]

# Odd multipliers combining the rows of one band into a 64-bit key.
_ROW_MULT = np.random.Generator(np.random.PCG64(0x62616E64)).integers(
    0, 1 << 63, 1024, dtype=np.uint64
) * np.uint64(2) + np.uint64(1)
_BAND_SALT = np.uint64(0xD6E8FEB86659FD93)


def recall(similarity: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """Chance that a pair with this Jaccard similarity shares at least one band."""
    s = np.asarray(similarity, dtype=np.float64)
    p = 1.0 - (1.0 - s**rows) ** bands
    return float(p) if p.ndim == 0 else p


@lru_cache(maxsize=64)
def optimal_params(threshold: float, num_perm: int, weights: tuple[float, float] = (0.5, 0.5)) -> tuple[int, int]:
    """The ``(bands, rows)`` minimising weighted false-positive + false-negative areas."""
    nodes, wts = np.polynomial.legendre.leggauss(num_perm // 2 + 2)
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)])
    b, r = pairs[:, :1].astype(float), pairs[:, 1:].astype(float)

    def area(lo: float, hi: float, below: bool) -> np.ndarray:
        s = (hi - lo) / 2 * nodes[None, :] + (hi + lo) / 2
        p = 1.0 - (1.0 - s**r) ** b
        return ((p if below else 1.0 - p) * wts[None, :]).sum(axis=1) * (hi - lo) / 2

    error = weights[0] * area(0.0, threshold, True) + weights[1] * area(threshold, 1.0, False)
    best = int(np.argmin(error))  # first minimum, as datasketch's grid search keeps the first
    return int(pairs[best, 0]), int(pairs[best, 1])


@dataclass(frozen=True, slots=True)
class LSHParams:
    """A Jaccard threshold and signature length, with the bands x rows derived from them.

    Pass ``bands`` and ``rows`` to bypass the optimisation (``bands * rows <= num_perm``).
    """

    threshold: float = 0.8
    num_perm: int = 128
    weights: tuple[float, float] = (0.5, 0.5)
    bands: int = field(default=0)
    rows: int = field(default=0)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"LSHParams.threshold must be in (0, 1], got {self.threshold!r} (try 0.8)")
        if not isinstance(self.num_perm, int) or self.num_perm < 2:
            raise ValueError(f"LSHParams.num_perm must be an int >= 2, got {self.num_perm!r} (try 128)")
        if len(self.weights) != 2 or any(not 0.0 <= w <= 1.0 for w in self.weights) or abs(sum(self.weights) - 1) > 1e-9:
            raise ValueError(f"LSHParams.weights must be two numbers in [0, 1] summing to 1, got {self.weights!r}")
        if (self.bands == 0) != (self.rows == 0):
            raise ValueError("LSHParams.bands and rows must be given together (or neither, to derive them)")
        if self.bands == 0:
            b, r = optimal_params(float(self.threshold), self.num_perm, tuple(self.weights))
            object.__setattr__(self, "bands", b)
            object.__setattr__(self, "rows", r)
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"LSHParams: bands * rows = {self.bands} * {self.rows} must be <= num_perm = {self.num_perm}"
            )
        if self.rows > len(_ROW_MULT):
            raise ValueError(f"LSHParams.rows must be <= {len(_ROW_MULT)}, got {self.rows}")

    def recall(self, similarity: float | np.ndarray) -> float | np.ndarray:
        """Chance that a pair with this Jaccard similarity becomes a candidate."""
        return recall(similarity, self.bands, self.rows)


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """64-bit key of each band of each signature, band number mixed in: shape (n, bands)."""
    sigs = np.asarray(sigs)
    if sigs.ndim != 2 or sigs.shape[1] < bands * rows:
        raise ValueError(f"band_keys needs signatures of shape (n, >= {bands * rows}), got {sigs.shape}")
    n = sigs.shape[0]
    keys = np.zeros((n, bands), dtype=np.uint64)
    cube = sigs[:, : bands * rows].reshape(n, bands, rows)
    for j in range(rows):
        keys += cube[:, :, j].astype(np.uint64) * _ROW_MULT[j]
    keys += (np.arange(1, bands + 1, dtype=np.uint64) * _BAND_SALT)[None, :]
    keys ^= keys >> np.uint64(33)
    keys *= np.uint64(0xFF51AFD7ED558CCD)
    keys ^= keys >> np.uint64(33)
    return keys


def candidate_pairs(keys: np.ndarray, docs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(first, other)`` of documents sharing a band key, with no per-document query.

    All keys are sorted once; each run of equal keys yields edges from its first document
    (the lowest index) to every other one, which keeps the same connected components as all
    pairs. Duplicate edges are removed. ``docs`` maps rows of ``keys`` to document numbers.
    """
    keys = np.asarray(keys, dtype=np.uint64)
    n, bands = keys.shape
    doc = np.repeat(np.arange(n, dtype=np.int64) if docs is None else np.asarray(docs, np.int64), bands)
    flat = keys.ravel()
    order = np.argsort(flat, kind="stable")
    flat, doc = flat[order], doc[order]
    new_run = np.empty(len(flat), dtype=bool)
    if len(flat):
        new_run[0] = True
        np.not_equal(flat[1:], flat[:-1], out=new_run[1:])
    run_id = np.cumsum(new_run) - 1
    head = doc[np.flatnonzero(new_run)][run_id]
    linked = ~new_run & (head != doc)
    u, v = head[linked], doc[linked]
    if len(u) == 0:
        return u, v
    packed = np.unique(u * (int(doc.max()) + 1) + v)
    width = int(doc.max()) + 1
    return packed // width, packed % width
