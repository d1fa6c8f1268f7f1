"""Redis storage for :class:`unboil.dedup.index.NearDupIndex`, so many processes share one index.

Layout under a namespace ``ns`` (all plain Redis types, readable with ``redis-cli``):

* ``ns:meta``  hash: the parameters the index was built with, checked on every connect;
* ``ns:sig``   hash: key (JSON) -> signature bytes (uint32 little endian);
* ``ns:exact`` hash: exact digest -> key (JSON), first writer wins;
* ``ns:b:<band key hex>`` set: keys (JSON) whose signature has that band key;
* ``ns:lock``  a short-lived lock held while one writer looks up and inserts a batch, so two
  processes adding the same new page at once cannot both keep it.

With ``appendonly yes`` (or RDB snapshots) on the server, the index survives a restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["RedisStore", "is_redis_url"]

log = logging.getLogger(__name__)

_SCHEMES = ("redis://", "rediss://", "unix://")


def is_redis_url(storage: object) -> bool:
    """True when ``storage`` names a Redis server rather than a file."""
    return isinstance(storage, str) and storage.startswith(_SCHEMES)


def encode_key(key: Hashable) -> str:
    """A key as stored: JSON of a str or int, so it comes back with its type."""
    if not isinstance(key, (str, int)) or isinstance(key, bool):
        raise TypeError(f"index keys must be str or int, got {type(key).__name__}: {key!r}")
    return json.dumps(key)


#: A writer that dies holding the lock frees it after this many seconds.
LOCK_TIMEOUT = 120.0
#: How long a writer waits for the lock before giving up with an error.
LOCK_WAIT = 600.0


class RedisStore:
    """Band buckets, signatures and exact digests of a near-duplicate index, in Redis."""

    def __init__(self, url: str, meta: dict[str, Any], namespace: str = "unboil",
                 lock_timeout: float = LOCK_TIMEOUT, lock_wait: float = LOCK_WAIT) -> None:
        self.url = url
        self.namespace = namespace
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self.meta = {k: json.dumps(v) for k, v in meta.items()}
        self._client = None

    @property
    def client(self):  # -> redis.Redis
        """The Redis connection, opened on first use and checked against the stored parameters."""
        if self._client is None:
            try:
                import redis
            except ImportError as err:  # pragma: no cover - depends on the environment
                raise ImportError("a Redis index needs the redis client: pip install 'unboil[redis]'") from err
            client = redis.Redis.from_url(self.url)
            try:
                client.hsetnx(self._k("meta"), "created", "1")
                stored = {k.decode(): v.decode() for k, v in client.hgetall(self._k("meta")).items()}
            except redis.RedisError as err:
                raise ConnectionError(f"cannot reach the Redis index at {self.url}: {err}") from err
            for name, value in self.meta.items():
                if name in stored and stored[name] != value:
                    raise ValueError(
                        f"Redis index {self.url} namespace {self.namespace!r} was built with {name}={stored[name]}, "
                        f"not {value}: use the same parameters or another namespace"
                    )
            client.hset(self._k("meta"), mapping=self.meta)
            self._client = client
        return self._client

    def _k(self, part: str) -> str:
        return f"{self.namespace}:{part}"

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "namespace": self.namespace, "meta": self.meta, "_client": None,
                "lock_timeout": self.lock_timeout, "lock_wait": self.lock_wait}

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the namespace's write lock: a batch's lookup and insert then happen as one step."""
        lock = self.client.lock(self._k("lock"), timeout=self.lock_timeout, blocking_timeout=self.lock_wait)
        if not lock.acquire():
            raise TimeoutError(
                f"Redis index {self.url} namespace {self.namespace!r}: another writer held the lock "
                f"for over {self.lock_wait:.0f} s"
            )
        try:
            yield
        finally:
            try:
                lock.release()
            except Exception as err:  # noqa: BLE001 - an expired lock is a warning, not a lost batch
                log.warning("Redis index %s: the write lock had expired before release (%s); raise "
                            "lock_timeout if batches take this long", self.url, err)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __len__(self) -> int:
        return int(self.client.hlen(self._k("sig")))

    def __contains__(self, key: Hashable) -> bool:
        return bool(self.client.hexists(self._k("sig"), encode_key(key)))

    def present(self, keys: Sequence[Hashable]) -> list[Hashable]:
        """The keys among ``keys`` that are already indexed (one round trip)."""
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.hexists(self._k("sig"), encode_key(key))
        return [key for key, hit in zip(keys, pipe.execute()) if hit]

    def lookup(self, digests: Sequence[bytes], bands: np.ndarray) -> list[tuple[Hashable | None, list[Hashable]]]:
        """For each document: the key with its exact digest (or None) and its LSH candidates."""
        pipe = self.client.pipeline(transaction=False)
        for digest, keys in zip(digests, bands):
            pipe.hget(self._k("exact"), digest or b"-")
            for k in keys:
                pipe.smembers(self._k(f"b:{int(k):016x}"))
        replies = pipe.execute()
        out, pos, width = [], 0, bands.shape[1]
        for _ in digests:
            exact = replies[pos]
            cands: set[bytes] = set().union(*replies[pos + 1 : pos + 1 + width])
            out.append((json.loads(exact) if exact and digest else None, [json.loads(c) for c in cands]))
            pos += 1 + width
        return out

    def signatures(self, keys: Sequence[Hashable]) -> list[np.ndarray | None]:
        """Stored signatures of ``keys`` (None for unknown keys)."""
        if not keys:
            return []
        raw = self.client.hmget(self._k("sig"), [encode_key(k) for k in keys])
        return [None if r is None else np.frombuffer(r, dtype="<u4") for r in raw]

    def insert(self, keys: Sequence[Hashable], digests: Sequence[bytes], sigs: np.ndarray, bands: np.ndarray) -> None:
        """Add documents: signature, exact digest (if not taken) and band memberships."""
        pipe = self.client.pipeline(transaction=False)
        for key, digest, sig, band in zip(keys, digests, sigs, bands):
            enc = encode_key(key)
            pipe.hset(self._k("sig"), enc, np.asarray(sig, dtype="<u4").tobytes())
            if digest:
                pipe.hsetnx(self._k("exact"), digest, enc)
            for k in band:
                if int(k):
                    pipe.sadd(self._k(f"b:{int(k):016x}"), enc)
        pipe.execute()

    def clear(self) -> None:
        """Delete every key of this namespace."""
        keys = list(self.client.scan_iter(match=self._k("*"), count=1000))
        for lo in range(0, len(keys), 1000):
            self.client.delete(*keys[lo : lo + 1000])
