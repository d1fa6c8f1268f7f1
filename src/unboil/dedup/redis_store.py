"""Redis storage for :class:`unboil.dedup.index.NearDupIndex`, so many processes share one index.

One entry per (key, content) pair, numbered from a counter, under a namespace ``ns`` (plain Redis
types, readable with ``redis-cli``):

* ``ns:meta``  hash: format and the parameters the index was built with, checked on every connect;
* ``ns:seq``   counter: the last entry number handed out;
* ``ns:sig``   hash: entry -> signature bytes (uint32 little endian);
* ``ns:key``   hash: entry -> the caller's key (JSON, so it comes back as str or int);
* ``ns:pair``  hash: JSON ``[key, digest hex]`` -> entry, so the same key with the same content is
  found again instead of stored twice;
* ``ns:ids``   hash: key (JSON) -> how many entries carry it;
* ``ns:exact`` hash: exact digest -> entry, first writer wins;
* ``ns:b:<band key hex>`` set: entries whose signature has that band key;
* ``ns:lock``  a short-lived lock held while one writer looks up and inserts a batch, so two
  processes adding the same new page at once cannot both keep it.

A batch's entries are written in one MULTI/EXEC transaction: all of them or none. With
``appendonly yes`` (or RDB snapshots) on the server, the index survives a restart.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["IndexUnavailable", "RedisStore", "encode_key", "is_redis_url", "suggest_redis_url"]

log = logging.getLogger(__name__)

_SCHEMES = ("redis://", "rediss://", "unix://")
_ANY_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_HOST_PORT = re.compile(r"^[\w.-]+:\d{1,5}(/\d+)?/?$")
FORMAT = "unboil.neardup/2"


class IndexUnavailable(ConnectionError):
    """The Redis server of an index could not be reached, or stopped answering."""


def is_redis_url(storage: object) -> bool:
    """True when ``storage`` names a Redis server rather than a file."""
    return isinstance(storage, str) and storage.startswith(_SCHEMES)


def suggest_redis_url(value: str) -> str:
    """The Redis URL someone who typed ``value`` (``host:port``, ``http://host:port``...) most likely meant."""
    rest = _ANY_SCHEME.sub("", value.strip()).rstrip("/")
    return f"redis://{rest}" if re.search(r"/\d+$", rest) else f"redis://{rest}/0"


def refuse_non_redis_url(storage: str) -> None:
    """ValueError for a storage string that is neither a Redis URL nor plausibly a file name: another
    URL scheme, or ``host:port`` without a scheme (a typo that would otherwise make a file index)."""
    scheme = _ANY_SCHEME.match(storage)
    if scheme and not is_redis_url(storage):
        raise ValueError(
            f"storage {storage!r} is a {scheme.group(1)}:// URL; an index is stored in memory (None), in a file "
            f"(a path) or in Redis (redis://, rediss://, unix://), e.g. {suggest_redis_url(storage)}"
        )
    if not scheme and _HOST_PORT.match(storage):
        raise ValueError(
            f"storage {storage!r} looks like a Redis address without its scheme: give {suggest_redis_url(storage)} "
            "(or a pathlib.Path for a file of that name)"
        )


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
    """Entries of a near-duplicate index (signatures, keys, exact digests, band buckets), in Redis.

    Every failure to talk to the server is raised as :class:`IndexUnavailable` naming the URL.
    """

    def __init__(self, url: str, meta: dict[str, Any], namespace: str = "unboil",
                 lock_timeout: float = LOCK_TIMEOUT, lock_wait: float = LOCK_WAIT) -> None:
        self.url = url
        self.namespace = namespace
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self.meta = {k: json.dumps(v) for k, v in {**meta, "format": FORMAT}.items()}
        self._client = None

    @contextmanager
    def _talking(self) -> Iterator[None]:
        """Turn the client's errors into IndexUnavailable naming the server."""
        import redis

        try:
            yield
        except redis.RedisError as err:
            raise IndexUnavailable(f"Redis index {self.url}: {' '.join(str(err).split())}") from err

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
                raise IndexUnavailable(f"cannot reach the Redis index at {self.url}: {err}") from err
            self._check(stored)
            with self._talking():
                client.hset(self._k("meta"), mapping=self.meta)
            self._client = client
        return self._client

    def _check(self, stored: dict[str, str]) -> None:
        where = f"Redis index {self.url} namespace {self.namespace!r}"
        if "format" in stored and stored["format"] != self.meta["format"]:
            raise ValueError(f"{where} was written by another unboil version (format {stored['format']}, keyed by id "
                             f"alone): use a new namespace")
        for name, value in self.meta.items():
            if name in stored and stored[name] != value:
                raise ValueError(
                    f"{where} was built with {name}={stored[name]}, not {value}: use the same parameters or another "
                    "namespace"
                )

    def _k(self, part: str) -> str:
        return f"{self.namespace}:{part}"

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "namespace": self.namespace, "meta": self.meta, "_client": None,
                "lock_timeout": self.lock_timeout, "lock_wait": self.lock_wait}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the namespace's write lock: a batch's lookup and insert then happen as one step."""
        import redis

        with self._talking():
            lock = self.client.lock(self._k("lock"), timeout=self.lock_timeout, blocking_timeout=self.lock_wait)
            acquired = lock.acquire()
        if not acquired:
            raise TimeoutError(
                f"Redis index {self.url} namespace {self.namespace!r}: another writer held the lock "
                f"for over {self.lock_wait:.0f} s"
            )
        done = False
        try:
            yield
            done = True
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError as err:
                if done:  # the batch went in, but took longer than the lock lives
                    log.warning("Redis index %s: the write lock had expired before release (%s); raise "
                                "lock_timeout if batches take this long", self.url, err)
            except redis.RedisError:
                # The server is gone: the body's own error (if any) says so; a finished batch is in,
                # and the next call reports the lost connection. The lock expires by itself.
                log.debug("Redis index %s: could not release the write lock", self.url, exc_info=True)

    def __len__(self) -> int:
        with self._talking():
            return int(self.client.hlen(self._k("sig")))

    def __contains__(self, key: Hashable) -> bool:
        with self._talking():
            return bool(self.client.hexists(self._k("ids"), encode_key(key)))

    def known(self, keys: Sequence[Hashable], digests: Sequence[bytes]) -> list[tuple[bool, bool]]:
        """Per document: whether this key already holds this content, and whether the key is indexed."""
        with self._talking():
            pipe = self.client.pipeline(transaction=False)
            for key, digest in zip(keys, digests):
                pipe.hexists(self._k("pair"), _pair(key, digest))
                pipe.hexists(self._k("ids"), encode_key(key))
            replies = pipe.execute()
        return [(bool(replies[2 * i]), bool(replies[2 * i + 1])) for i in range(len(keys))]

    def lookup(self, digests: Sequence[bytes], bands: np.ndarray) -> list[tuple[int | None, list[int]]]:
        """Per document: the first entry with its exact digest (or None) and its LSH candidate entries."""
        with self._talking():
            pipe = self.client.pipeline(transaction=False)
            for digest, keys in zip(digests, bands):
                pipe.hget(self._k("exact"), digest or b"-")
                for k in keys:
                    pipe.smembers(self._k(f"b:{int(k):016x}"))
            replies = pipe.execute()
        out, pos, width = [], 0, bands.shape[1]
        for digest in digests:
            exact = replies[pos]
            cands: set[bytes] = set().union(*replies[pos + 1 : pos + 1 + width])
            out.append((int(exact) if exact and digest else None, sorted(int(c) for c in cands)))
            pos += 1 + width
        return out

    def signatures(self, entries: Sequence[int]) -> list[np.ndarray | None]:
        """Stored signatures of ``entries`` (None for unknown entries)."""
        if not entries:
            return []
        with self._talking():
            raw = self.client.hmget(self._k("sig"), [str(e) for e in entries])
        return [None if r is None else np.frombuffer(r, dtype="<u4") for r in raw]

    def labels(self, entries: Sequence[int]) -> list[Hashable]:
        """The caller's keys of ``entries``."""
        if not entries:
            return []
        with self._talking():
            raw = self.client.hmget(self._k("key"), [str(e) for e in entries])
        return [json.loads(r) for r in raw]

    def insert(self, keys: Sequence[Hashable], digests: Sequence[bytes], sigs: np.ndarray, bands: np.ndarray) -> None:
        """Add entries (signature, key, exact digest if not taken, band memberships) in one transaction."""
        if not len(keys):
            return
        encoded = [encode_key(k) for k in keys]
        with self._talking():
            last = int(self.client.incrby(self._k("seq"), len(keys)))
            pipe = self.client.pipeline(transaction=True)
            for n, (key, enc, digest, sig, band) in enumerate(zip(keys, encoded, digests, sigs, bands)):
                entry = str(last - len(keys) + 1 + n)
                pipe.hset(self._k("sig"), entry, np.asarray(sig, dtype="<u4").tobytes())
                pipe.hset(self._k("key"), entry, enc)
                pipe.hset(self._k("pair"), _pair(key, digest), entry)
                pipe.hincrby(self._k("ids"), enc, 1)
                if digest:
                    pipe.hsetnx(self._k("exact"), digest, entry)
                for k in band:
                    if int(k):
                        pipe.sadd(self._k(f"b:{int(k):016x}"), entry)
            pipe.execute()

    def clear(self) -> None:
        """Delete every key of this namespace."""
        with self._talking():
            keys = list(self.client.scan_iter(match=self._k("*"), count=1000))
            for lo in range(0, len(keys), 1000):
                self.client.delete(*keys[lo : lo + 1000])
        self._client = None  # the next call writes the parameters again


def _pair(key: Hashable, digest: bytes) -> str:
    return json.dumps([key, digest.hex()])
