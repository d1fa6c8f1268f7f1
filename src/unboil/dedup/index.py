"""Incremental near-duplicate index: add pages one by one (or in batches) and learn which
earlier page each one copies; in memory, saved to a file, or shared through Redis.

The index decides by content. A key is the caller's label for a text, not its identity: the same
key with other content (yesterday's id on today's article) is a new entry, and the same key with
the same content is recognised as that earlier entry, never stored twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unboil.dedup.exact import exact_digest
from unboil.dedup.index_file import FORMAT, IndexFileError, file_stamp, read_entries, read_meta, write_entries
from unboil.dedup.lockfile import LOCK_WAIT, index_lock
from unboil.dedup.memory_store import MemoryStore
from unboil.dedup.redis_store import RedisStore, encode_key, is_redis_url, refuse_non_redis_url
from unboil.fingerprint.lsh import LSHParams, band_keys
from unboil.fingerprint.minhash import EMPTY_HASH, MinHashConfig, signatures

__all__ = ["AddResult", "IndexFileError", "MemoryStore", "NearDupIndex"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AddResult:
    """What the index found for one added text.

    ``kind`` is "new" (nothing earlier matches; ``duplicate_of`` is None), "exact" (same text after
    whitespace folding) or "near" (estimated Jaccard at least the threshold). ``key_reused`` is True
    when the key was already indexed with other content: the text was still judged by its content.
    A text added again under the same key is "exact" with ``duplicate_of`` equal to its own key.
    """

    duplicate_of: Hashable | None
    similarity: float
    kind: str
    key_reused: bool = False


class NearDupIndex:
    """Finds, for each added text, an earlier text that it (nearly) duplicates.

    ``storage`` is None (in memory), a file path (loaded now if it exists; ``save()`` writes it)
    or a Redis URL ``redis://host:port/db`` shared between processes. Exact copies are found by
    digest; near copies by MinHash LSH candidates verified on the full signature. Keys are str or
    int labels and may repeat: each (key, content) pair is one entry.
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
        self._stamp: tuple[int, int, int] | None = None
        self._locked: tuple[Path, int] | None = None  # (path, pid) while locked() holds the file lock
        if isinstance(storage, str):
            refuse_non_redis_url(storage)
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
            "format": FORMAT, "threshold": self.lsh.threshold, "num_perm": self.minhash.num_perm,
            "bands": self.lsh.bands, "rows": self.lsh.rows, "seed": self.minhash.seed,
            "shingle_size": self.minhash.shingle_size, "compat": self.minhash.compat,
        }

    def __len__(self) -> int:
        """Number of entries (distinct key and content pairs)."""
        return len(self.store)

    def __contains__(self, key: Hashable) -> bool:
        """Whether any entry carries ``key``."""
        return key in self.store

    def add(self, key: Hashable, text: str) -> Hashable | None:
        """Add ``text`` under ``key``; return the key of an earlier near-duplicate, or None."""
        return self.add_batch([key], [text])[0].duplicate_of

    def query(self, text: str) -> list[tuple[Hashable, float]]:
        """Indexed keys whose estimated Jaccard with ``text`` reaches the threshold, best first."""
        sig = signatures([text], config=self.minhash)
        exact, cands = self.store.lookup([_digest(text)], self._bands(sig))[0]
        found = self._verify(sig[0], cands)
        if exact is not None:
            found.append((exact, 1.0))
        best: dict[Hashable, float] = {}
        for label, est in zip(self.store.labels([e for e, _ in found]), (est for _, est in found)):
            best[label] = max(est, best.get(label, 0.0))
        return sorted(best.items(), key=lambda kv: -kv[1])

    def add_many(self, keys: Sequence[Hashable], texts: Sequence[str]) -> list[tuple[Hashable | None, float]]:
        """Add several texts at once (signatures in one numpy batch): per text, the earlier
        duplicate's key (or None) and the estimated similarity (1.0 for exact copies).

        Later texts of the batch see earlier ones of the same batch.
        """
        return [(r.duplicate_of, r.similarity) for r in self.add_batch(keys, texts)]

    def add_batch(self, keys: Sequence[Hashable], texts: Sequence[str]) -> list[AddResult]:
        """Like :meth:`add_many`, with the kind of each match and whether its key came back with
        other content (see :class:`AddResult`)."""
        if len(keys) != len(texts):
            raise ValueError(f"add_batch got {len(keys)} keys for {len(texts)} texts")
        for k in keys:
            encode_key(k)
        sigs = signatures(texts, config=self.minhash)
        digests = [_digest(t) for t in texts]
        bands = self._bands(sigs)
        with self.store.writing():  # shared stores: no other writer between lookup and insert
            return self._decide(list(keys), digests, sigs, bands)

    def _decide(self, keys: list[Hashable], digests: list[bytes], sigs: np.ndarray,
                bands: np.ndarray) -> list[AddResult]:
        """Match each document against the store and the batch before it, then insert the new pairs."""
        known = self.store.known(keys, digests)
        found = self.store.lookup(digests, bands)
        pairs: set[tuple[Hashable, bytes]] = set()
        batch_keys: set[Hashable] = set()
        batch_exact: dict[bytes, int] = {}
        batch_buckets: dict[int, list[int]] = {}
        # Per document: where its match is ("self", "stored" entry, "batch" position or None), similarity,
        # kind, and whether its key came back with other content.
        verdicts: list[tuple[str | None, int, float, str, bool]] = []
        fresh: list[int] = []
        for i, (key, digest) in enumerate(zip(keys, digests)):
            stored_pair, stored_key = known[i]
            if stored_pair or (key, digest) in pairs:  # this key with this content is an entry already
                verdicts.append(("self", i, 1.0, "exact", False) if digest else (None, i, 0.0, "new", False))
                continue
            reused = stored_key or key in batch_keys
            exact, cands = found[i]
            band = bands[i].tolist()
            if exact is not None:
                verdicts.append(("stored", exact, 1.0, "exact", reused))
            elif digest and digest in batch_exact:
                verdicts.append(("batch", batch_exact[digest], 1.0, "exact", reused))
            else:
                near = [("stored", e, est) for e, est in self._verify(sigs[i], cands)]
                earlier = sorted({j for k in band if k for j in batch_buckets.get(k, ())})
                near += [("batch", j, est) for j, est in _scores(sigs, i, earlier, self.lsh.threshold)]
                if near:
                    where, at, est = max(near, key=lambda m: m[2])
                    verdicts.append((where, at, est, "near", reused))
                else:
                    verdicts.append((None, i, 0.0, "new", reused))
            fresh.append(i)
            pairs.add((key, digest))
            batch_keys.add(key)
            if digest:
                batch_exact.setdefault(digest, i)
            for k in band:
                if k:
                    batch_buckets.setdefault(k, []).append(i)
        entries = [at for where, at, *_ in verdicts if where == "stored"]
        labels = dict(zip(entries, self.store.labels(entries)))
        if fresh:
            self.store.insert([keys[i] for i in fresh], [digests[i] for i in fresh], sigs[fresh], bands[fresh])
        results = []
        for where, at, sim, kind, reused in verdicts:
            label = labels[at] if where == "stored" else keys[at] if where is not None else None
            results.append(AddResult(label, sim, kind, reused))
        return results

    def _bands(self, sigs: np.ndarray) -> np.ndarray:
        keys = band_keys(sigs, self.lsh.bands, self.lsh.rows)
        keys[np.all(sigs == EMPTY_HASH, axis=1)] = 0  # key 0: texts without shingles join no bucket
        return keys

    def _verify(self, sig: np.ndarray, cands: list[int]) -> list[tuple[int, float]]:
        """The candidate entries whose stored signature agrees with ``sig`` at least at the threshold."""
        out = []
        if not cands or _empty(sig):
            return out
        for entry, other in zip(cands, self.store.signatures(cands)):
            if other is not None:
                est = float(np.mean(other == sig))
                if est >= self.lsh.threshold:
                    out.append((entry, est))
        return out

    @classmethod
    @contextlib.contextmanager
    def locked(cls, path: str | os.PathLike[str], *, wait: float = LOCK_WAIT,
               on_wait: Callable[[str], None] | None = None, **params: Any) -> Iterator[NearDupIndex]:
        """Open the index file ``path`` holding its lock (``<path>.lock``) until the block ends, so
        no other process loads or saves it between this load and this block's ``save()``.

        Waits up to ``wait`` seconds for another holder (``on_wait`` gets a message once), then
        raises :class:`unboil.dedup.lockfile.IndexLockTimeout`. ``params`` go to the constructor.
        """
        with index_lock(path, wait, on_wait):
            index = cls(storage=path, **params)
            index._locked = (Path(os.path.realpath(path)), os.getpid())
            try:
                yield index
            finally:
                index._locked = None

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the index to ``path`` (default: the file it was opened from), atomically.

        Inside :meth:`locked` it writes at once. Otherwise it takes the file's lock for the write,
        and when another process saved the same file since this index read it, merges that
        version's entries in first, so neither process loses the other's additions.
        """
        if isinstance(self.store, RedisStore):
            raise ValueError("a Redis index is saved by the Redis server (enable appendonly or RDB)")
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("NearDupIndex.save() needs a path: this index was created without storage")
        real = Path(os.path.realpath(target))
        if self._locked == (real, os.getpid()):
            return self._write(target)
        with index_lock(target):
            if self.path is not None and real == Path(os.path.realpath(self.path)) \
                    and file_stamp(target) != self._stamp:
                self._merge(target)
            return self._write(target)

    def _write(self, target: Path) -> Path:
        store = self.store
        assert isinstance(store, MemoryStore)
        write_entries(target, self._meta(), store.keys, store.digests, store.sigs)
        if self.path is not None and os.path.realpath(target) == os.path.realpath(self.path):
            self._stamp = file_stamp(target)
        return target

    def _merge(self, path: Path) -> None:
        """Rebuild the store as the entries of ``path`` followed by this index's entries not in it."""
        mine = self.store
        assert isinstance(mine, MemoryStore)
        merged = MemoryStore(self.minhash.num_perm)
        if path.exists():
            self._insert_file(merged, path)
        extra = [i for i, pair in enumerate(zip(mine.keys, mine.digests)) if pair not in merged.entry]
        if extra:
            sigs = mine.sigs[extra]
            merged.insert([mine.keys[i] for i in extra], [mine.digests[i] for i in extra], sigs, self._bands(sigs))
        log.info("index %s: merged %d entries another process saved", path, len(merged) - len(extra))
        self.store = merged

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NearDupIndex:
        """Open an index saved with :meth:`save` with the parameters it was built with; ``save()``
        without a path writes it back. IndexFileError (a ValueError) names a missing or damaged file."""
        meta = read_meta(path)
        return cls(
            threshold=meta["threshold"], num_perm=meta["num_perm"], storage=Path(path), seed=meta["seed"],
            shingle_size=meta["shingle_size"], compat=meta["compat"],
        )

    def _read(self, path: Path) -> None:
        stamp = file_stamp(path)
        self._insert_file(self.store, path)
        self._stamp = stamp

    def _insert_file(self, store: MemoryStore | RedisStore, path: Path) -> None:
        entries = read_entries(path, self._meta())
        store.insert(entries.keys, entries.digests, entries.sigs, self._bands(entries.sigs))


def _digest(text: str) -> bytes:
    return b"" if not text or text.isspace() else exact_digest(text)


def _scores(sigs: np.ndarray, i: int, others: list[int], threshold: float) -> list[tuple[int, float]]:
    """Estimated Jaccard of row ``i`` with each row in ``others``, those reaching the threshold."""
    if not others or _empty(sigs[i]):
        return []
    est = (sigs[others] == sigs[i]).mean(axis=1)
    return [(j, float(e)) for j, e in zip(others, est) if e >= threshold]


def _empty(sig: np.ndarray) -> bool:
    return bool(np.all(sig == EMPTY_HASH))
