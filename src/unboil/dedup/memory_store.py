"""In-memory storage of a near-duplicate index: one entry per (key, content) pair, so a key that comes
back with other content is a second entry, never a reason to drop or overwrite the first."""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Sequence

import numpy as np

from unboil.dedup.redis_store import encode_key

__all__ = ["MemoryStore"]


class MemoryStore:
    """Entries (key, exact digest, signature) in lists and numpy arrays; buckets and digests in dicts.

    An entry's id is its position. ``keys[i]`` is the caller's key of entry ``i`` (keys may repeat),
    ``digests[i]`` its exact digest (``b""`` for a text without content).
    """

    def __init__(self, num_perm: int) -> None:
        self.keys: list[Hashable] = []
        self.digests: list[bytes] = []
        self.sigs = np.empty((0, num_perm), dtype=np.uint32)
        self.entry: dict[tuple[Hashable, bytes], int] = {}
        self.per_key: dict[Hashable, int] = {}
        self.exact: dict[bytes, int] = {}
        self.buckets: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: Hashable) -> bool:
        return key in self.per_key

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to lock: an in-memory index belongs to one process."""
        return contextlib.nullcontext()

    def known(self, keys: Sequence[Hashable], digests: Sequence[bytes]) -> list[tuple[bool, bool]]:
        """Per document: whether this key already holds this content, and whether the key is indexed."""
        return [((k, d) in self.entry, k in self.per_key) for k, d in zip(keys, digests)]

    def lookup(self, digests: Sequence[bytes], bands: np.ndarray) -> list[tuple[int | None, list[int]]]:
        """Per document: the first entry with its exact digest (or None) and its LSH candidate entries."""
        out = []
        for digest, keys in zip(digests, bands.tolist()):
            exact = self.exact.get(digest) if digest else None
            cands: set[int] = set()
            for k in keys:
                if k:
                    cands.update(self.buckets.get(k, ()))
            out.append((exact, sorted(cands)))
        return out

    def signatures(self, entries: Sequence[int]) -> list[np.ndarray | None]:
        """Stored signatures of ``entries``."""
        return [self.sigs[e] for e in entries]

    def labels(self, entries: Sequence[int]) -> list[Hashable]:
        """The caller's keys of ``entries``."""
        return [self.keys[e] for e in entries]

    def insert(self, keys: Sequence[Hashable], digests: Sequence[bytes], sigs: np.ndarray, bands: np.ndarray) -> None:
        """Add entries: signature, exact digest (the first one keeps it) and band memberships.

        Every (key, digest) pair must be new: KeyError otherwise (the index never stores a pair twice).
        """
        start = len(self.keys)
        pairs: set[tuple[Hashable, bytes]] = set()
        for key, digest in zip(keys, digests):
            encode_key(key)  # same key rules as Redis and the file format
            if (key, digest) in self.entry or (key, digest) in pairs:
                raise KeyError(f"key {key!r} with this content is already in the index")
            pairs.add((key, digest))
        for i, (key, digest, band) in enumerate(zip(keys, digests, bands.tolist())):
            entry = start + i
            self.entry[(key, digest)] = entry
            self.per_key[key] = self.per_key.get(key, 0) + 1
            self.keys.append(key)
            self.digests.append(digest)
            if digest:
                self.exact.setdefault(digest, entry)
            for k in band:
                if k:
                    self.buckets.setdefault(k, []).append(entry)
        self.sigs = np.concatenate([self.sigs, np.asarray(sigs, dtype=np.uint32)])
