"""Incremental near-duplicate index: add pages one by one (or in batches) and learn which
earlier page each one copies; in memory, saved to a file, or shared through Redis."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from unboil.dedup.exact import exact_digest
from unboil.dedup.redis_store import RedisStore, encode_key, is_redis_url
from unboil.fingerprint.lsh import LSHParams, band_keys
from unboil.fingerprint.minhash import EMPTY_HASH, MinHashConfig, signatures

__all__ = ["MemoryStore", "NearDupIndex"]

_FORMAT = "unboil.neardup/1"


class MemoryStore:
    """Band buckets, signatures and exact digests held in Python dicts and numpy arrays."""

    def __init__(self, num_perm: int) -> None:
        self.keys: list[Hashable] = []
        self.position: dict[Hashable, int] = {}
        self.sigs = np.empty((0, num_perm), dtype=np.uint32)
        self.digests: list[bytes] = []
        self.exact: dict[bytes, int] = {}
        self.buckets: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: Hashable) -> bool:
        return key in self.position

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to lock: an in-memory index belongs to one process."""
        return contextlib.nullcontext()

    def present(self, keys: Sequence[Hashable]) -> list[Hashable]:
        """The keys among ``keys`` that are already indexed."""
        return [k for k in keys if k in self.position]

    def lookup(self, digests: Sequence[bytes], bands: np.ndarray) -> list[tuple[Hashable | None, list[Hashable]]]:
        """For each document: the key with its exact digest (or None) and its LSH candidates."""
        out = []
        for digest, keys in zip(digests, bands.tolist()):
            exact = self.exact.get(digest) if digest else None
            cands: set[int] = set()
            for k in keys:
                if k:
                    cands.update(self.buckets.get(k, ()))
            out.append((None if exact is None else self.keys[exact], [self.keys[c] for c in sorted(cands)]))
        return out

    def signatures(self, keys: Sequence[Hashable]) -> list[np.ndarray | None]:
        """Stored signatures of ``keys`` (None for unknown keys)."""
        return [self.sigs[self.position[k]] if k in self.position else None for k in keys]

    def insert(self, keys: Sequence[Hashable], digests: Sequence[bytes], sigs: np.ndarray, bands: np.ndarray) -> None:
        """Add documents: signature, exact digest (if not taken) and band memberships."""
        start = len(self.keys)
        for i, (key, digest, band) in enumerate(zip(keys, digests, bands.tolist())):
            encode_key(key)  # same key rules as Redis and the file format
            if key in self.position:
                raise KeyError(f"key {key!r} is already in the index")
            self.position[key] = start + i
            self.keys.append(key)
            self.digests.append(digest)
            if digest:
                self.exact.setdefault(digest, start + i)
            for k in band:
                if k:
                    self.buckets.setdefault(k, []).append(start + i)
        self.sigs = np.concatenate([self.sigs, np.asarray(sigs, dtype=np.uint32)])


class NearDupIndex:
    """Finds, for each added text, an earlier text that it (nearly) duplicates.

    ``storage`` is None (in memory), a file path (loaded now if it exists; ``save()`` writes it)
    or a Redis URL ``redis://host:port/db`` shared between processes. Exact copies are found by
    digest; near copies by MinHash LSH candidates verified on the full signature.
    """

    def __init__(
        self,
        threshold: float = 0.8,
        num_perm: int = 128,
        storage: str | os.PathLike[str] | None = None,
        *,
        seed: int = 1,
        shingle_size: int = 5,
        compat: str | None = None,
        weights: tuple[float, float] = (0.1, 0.9),
        namespace: str = "unboil",
    ) -> None:
        self.lsh = LSHParams(threshold, num_perm, tuple(weights))
        self.minhash = MinHashConfig(num_perm, seed, shingle_size, compat)
        self.path: Path | None = None
        self.store: MemoryStore | RedisStore
        if is_redis_url(storage):
            self.store = RedisStore(str(storage), self._meta(), namespace)
        else:
            self.store = MemoryStore(num_perm)
            if storage is not None:
                self.path = Path(storage)
                if self.path.exists():
                    self._read(self.path)

    @property
    def threshold(self) -> float:
        return self.lsh.threshold

    def _meta(self) -> dict[str, Any]:
        return {
            "format": _FORMAT, "threshold": self.lsh.threshold, "num_perm": self.minhash.num_perm,
            "bands": self.lsh.bands, "rows": self.lsh.rows, "seed": self.minhash.seed,
            "shingle_size": self.minhash.shingle_size, "compat": self.minhash.compat,
        }

    def __len__(self) -> int:
        return len(self.store)

    def __contains__(self, key: Hashable) -> bool:
        return key in self.store

    def add(self, key: Hashable, text: str) -> Hashable | None:
        """Add ``text`` under ``key``; return the key of an earlier near-duplicate, or None."""
        return self.add_many([key], [text])[0][0]

    def query(self, text: str) -> list[tuple[Hashable, float]]:
        """Indexed keys whose estimated Jaccard with ``text`` reaches the threshold, best first."""
        sig = signatures([text], config=self.minhash)
        digest = b"" if not text or text.isspace() else exact_digest(text)
        exact, cands = self.store.lookup([digest], self._bands(sig))[0]
        found = dict(self._verify(sig[0], cands))
        if exact is not None:
            found[exact] = 1.0
        return sorted(found.items(), key=lambda kv: -kv[1])

    def add_many(self, keys: Sequence[Hashable], texts: Sequence[str]) -> list[tuple[Hashable | None, float]]:
        """Add several texts at once (signatures in one numpy batch): per text, the earlier
        duplicate's key (or None) and the estimated similarity (1.0 for exact copies).

        Later texts of the batch see earlier ones of the same batch.
        """
        if len(keys) != len(texts):
            raise ValueError(f"add_many got {len(keys)} keys for {len(texts)} texts")
        if len(set(keys)) != len(keys):
            raise KeyError("add_many got the same key twice")
        for k in keys:
            encode_key(k)
        sigs = signatures(texts, config=self.minhash)
        digests = [b"" if not t or t.isspace() else exact_digest(t) for t in texts]
        bands = self._bands(sigs)
        with self.store.writing():  # shared stores: no other writer between lookup and insert
            taken = self.store.present(keys)
            if taken:
                raise KeyError(f"key {taken[0]!r} is already in the index")
            return self._add_found(keys, digests, sigs, bands)

    def _add_found(self, keys: Sequence[Hashable], digests: list[bytes], sigs: np.ndarray,
                   bands: np.ndarray) -> list[tuple[Hashable | None, float]]:
        found = self.store.lookup(digests, bands)
        batch_exact: dict[bytes, int] = {}
        batch_buckets: dict[int, list[int]] = {}
        results: list[tuple[Hashable | None, float]] = []
        for i, (exact, cands) in enumerate(found):
            digest, band = digests[i], bands[i].tolist()
            if exact is None and digest:
                j = batch_exact.get(digest)
                exact = None if j is None else keys[j]
            if exact is not None:
                results.append((exact, 1.0))
            else:
                near = {j for k in band if k for j in batch_buckets.get(k, ())}
                found_near = self._verify(sigs[i], cands)
                found_near += [(keys[j], est) for j, est in _scores(sigs, i, sorted(near), self.lsh.threshold)]
                results.append(max(found_near, key=lambda kv: kv[1]) if found_near else (None, 0.0))
            if digest:
                batch_exact.setdefault(digest, i)
            for k in band:
                if k:
                    batch_buckets.setdefault(k, []).append(i)
        self.store.insert(keys, digests, sigs, bands)
        return results

    def _bands(self, sigs: np.ndarray) -> np.ndarray:
        keys = band_keys(sigs, self.lsh.bands, self.lsh.rows)
        keys[np.all(sigs == EMPTY_HASH, axis=1)] = 0  # key 0: texts without shingles join no bucket
        return keys

    def _verify(self, sig: np.ndarray, cands: list[Hashable]) -> list[tuple[Hashable, float]]:
        out = []
        for key, other in zip(cands, self.store.signatures(cands)):
            if other is not None and not _empty(sig):
                est = float(np.mean(other == sig))
                if est >= self.lsh.threshold:
                    out.append((key, est))
        return out

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write an in-memory index to ``path`` (default: the file it was opened from)."""
        if isinstance(self.store, RedisStore):
            raise ValueError("a Redis index is saved by the Redis server (enable appendonly or RDB)")
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("NearDupIndex.save() needs a path: this index was created without storage")
        store = self.store
        tmp = target.with_name(target.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                meta=np.frombuffer(json.dumps(self._meta()).encode(), dtype=np.uint8),
                keys=np.frombuffer(json.dumps(store.keys).encode(), dtype=np.uint8),
                sigs=store.sigs,
                digests=np.frombuffer(b"".join(store.digests), dtype=np.uint8),
            )
        os.replace(tmp, target)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NearDupIndex:
        """Open an index saved with :meth:`save`; ``save()`` without a path writes it back."""
        meta = _read_meta(Path(path))
        return cls(
            threshold=meta["threshold"], num_perm=meta["num_perm"], storage=path, seed=meta["seed"],
            shingle_size=meta["shingle_size"], compat=meta["compat"],
        )

    def _read(self, path: Path) -> None:
        meta = _read_meta(path)
        mine = self._meta()
        for name in ("num_perm", "seed", "shingle_size", "compat", "bands", "rows"):
            if meta.get(name) != mine[name]:
                raise ValueError(f"index file {path} was built with {name}={meta.get(name)!r}, not {mine[name]!r}")
        with np.load(path, allow_pickle=False) as data:
            keys = json.loads(data["keys"].tobytes())
            sigs = data["sigs"]
            raw = data["digests"].tobytes()
        digests = [raw[i : i + 16] for i in range(0, len(raw), 16)]
        if len(keys) != len(sigs) or len(digests) != len(keys):
            raise ValueError(f"index file {path} is inconsistent: {len(keys)} keys, {len(sigs)} signatures")
        self.store.insert(keys, digests, sigs, self._bands(sigs))


def _scores(sigs: np.ndarray, i: int, others: list[int], threshold: float) -> list[tuple[int, float]]:
    """Estimated Jaccard of row ``i`` with each row in ``others``, those reaching the threshold."""
    if not others or _empty(sigs[i]):
        return []
    est = (sigs[others] == sigs[i]).mean(axis=1)
    return [(j, float(e)) for j, e in zip(others, est) if e >= threshold]


def _empty(sig: np.ndarray) -> bool:
    return bool(np.all(sig == EMPTY_HASH))


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes())
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{path} is not an unboil near-duplicate index file: {err}") from err
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{path} has format {meta.get('format')!r}, expected {_FORMAT!r}")
    return meta
