"""Turn text into shingles (word and character n-grams) and hash them with xxhash."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import xxhash

TOKEN_RE = re.compile(r"\w+")

_xxh3_64 = xxhash.xxh3_64_intdigest


def tokenize(text: str, lower: bool = True) -> list[str]:
    """Unicode ``\\w+`` tokens of ``text``, lowercased by default."""
    if lower:
        text = text.lower()
    return TOKEN_RE.findall(text)


def word_shingles(tokens: Sequence[str], n: int = 5) -> list[str]:
    """Word n-grams joined by one space.

    A text with fewer than ``n`` tokens yields one shingle of all its tokens; no tokens, none.
    """
    if n < 1:
        raise ValueError(f"shingle size n must be >= 1, got {n}")
    if not tokens:
        return []
    if len(tokens) < n:
        return [" ".join(tokens)]
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def char_shingles(text: str, n: int = 5) -> list[str]:
    """Character n-grams of ``text`` with whitespace folded; short texts give one shingle."""
    folded = " ".join(text.split())
    if not folded:
        return []
    if len(folded) <= n:
        return [folded]
    return [folded[i : i + n] for i in range(len(folded) - n + 1)]


def hash_shingles(shingles: Iterable[str]) -> np.ndarray:
    """64-bit xxh3 hashes of shingles (UTF-8), as a uint64 array in input order."""
    return np.fromiter((_xxh3_64(s.encode("utf-8")) for s in shingles), dtype=np.uint64)


def shingle_set(items: Iterable[str]) -> frozenset[int]:
    """The set of 64-bit hashes of ``items``, for exact Jaccard and containment on small sets."""
    return frozenset(_xxh3_64(s.encode("utf-8")) for s in items)


def jaccard(a: frozenset[int] | set[int], b: frozenset[int] | set[int]) -> float:
    """Exact Jaccard similarity of two hash sets (0.0 when both are empty)."""
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def containment(a: frozenset[int] | set[int], b: frozenset[int] | set[int]) -> float:
    """Share of ``a`` found in ``b`` (0.0 when ``a`` is empty)."""
    if not a:
        return 0.0
    return len(a & b) / len(a)
