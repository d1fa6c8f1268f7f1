"""Exact duplicates: xxh3-128 digests of whitespace-normalized text, grouped with numpy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import xxhash

__all__ = ["exact_digest", "exact_digests", "exact_groups", "normalize_for_digest"]

_digest = xxhash.xxh3_128_digest


def normalize_for_digest(text: str) -> str:
    """The text with runs of whitespace folded to one space and the ends stripped.

    Two pages that differ only in line breaks or indentation are exact duplicates; case and
    punctuation are kept, so "exact" stays strict.
    """
    return " ".join(text.split())


def exact_digest(text: str) -> bytes:
    """16-byte xxh3-128 digest of the normalized text (UTF-8, lone surrogates escaped)."""
    return _digest(normalize_for_digest(text).encode("utf-8", "surrogatepass"))


def exact_digests(texts: Iterable[str]) -> np.ndarray:
    """Digests of many texts as a ``(n, 2)`` uint64 array (one row per text)."""
    raw = b"".join(map(exact_digest, texts))
    return np.frombuffer(raw, dtype=np.uint64).reshape(-1, 2)


def exact_groups(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each text, the index of the first text with the same digest; and which are empty.

    ``first[i] == i`` marks a representative. Texts that are empty after normalization are
    flagged in the second array and are their own representative: emptiness is not duplication.
    """
    digests = exact_digests(texts)
    empty = np.fromiter((not t or t.isspace() for t in texts), dtype=bool, count=len(texts))
    first = np.arange(len(texts), dtype=np.int64)
    if len(texts) == 0:
        return first, empty
    view = np.ascontiguousarray(digests).view(np.dtype((np.void, 16))).ravel()
    _, first_of_unique, inverse = np.unique(view, return_index=True, return_inverse=True)
    first = first_of_unique[inverse.ravel()].astype(np.int64)
    first[empty] = np.flatnonzero(empty)
    return first, empty
