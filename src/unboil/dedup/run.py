"""Streaming batch dedup: feed texts chunk by chunk, keep only digests and signatures, then
group the whole crawl at the end with the numpy batch path."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

import numpy as np

from unboil.dedup.batch import DedupConfig, DuplicateGroup, group_signatures
from unboil.dedup.exact import exact_digest
from unboil.fingerprint.minhash import _check_texts, signatures

__all__ = ["StreamingDedup", "dedup_stream"]

log = logging.getLogger(__name__)


class StreamingDedup:
    """Collects what batch dedup needs, text chunk by text chunk, without holding the texts.

    Memory per text: its signature (4 bytes x ``num_perm``) when it is not an exact copy of an
    earlier one, a 16-byte digest and a few integers. Containment needs the texts and is not
    available here; use :func:`unboil.dedup.batch.dedup_batch` for it.
    """

    def __init__(self, config: DedupConfig | None = None) -> None:
        self.config = config or DedupConfig()
        if self.config.containment is not None:
            raise ValueError("StreamingDedup does not do containment: use dedup_batch(texts, config) for it")
        self._seen: dict[bytes, int] = {}
        self._first: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self._sigs: list[np.ndarray] = []
        self._reps: list[np.ndarray] = []
        self.count = 0

    def add(self, texts: Sequence[str]) -> None:
        """Add the next chunk of texts (indices continue from the previous chunk)."""
        texts = _check_texts(texts)
        base = self.count
        first = np.arange(base, base + len(texts), dtype=np.int64)
        reps = []
        for i, text in enumerate(texts):
            if not text or text.isspace():
                continue
            j = self._seen.setdefault(exact_digest(text), base + i)
            first[i] = j
            if j == base + i:
                reps.append(i)
        self._sigs.append(signatures([texts[i] for i in reps], config=self.config.minhash))
        self._reps.append(np.asarray(reps, dtype=np.int64) + base)
        self._first.append(first)
        self._lengths.append(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
        self.count += len(texts)

    def finish(self, keep: str = "first") -> list[DuplicateGroup]:
        """Group everything added so far (see :func:`unboil.dedup.batch.dedup_batch`)."""
        num_perm = self.config.num_perm
        sigs = np.concatenate(self._sigs) if self._sigs else np.zeros((0, num_perm), dtype=np.uint32)
        reps = np.concatenate(self._reps) if self._reps else np.zeros(0, dtype=np.int64)
        first = np.concatenate(self._first) if self._first else np.zeros(0, dtype=np.int64)
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, dtype=np.int64)
        log.info("dedup: grouping %d texts (%d distinct)", len(first), len(reps))
        return group_signatures(sigs, reps, first, lengths, self.config, keep)


def _chunks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(texts)
    while chunk := list(islice(it, size)):
        yield chunk


def dedup_stream(
    texts: Iterable[str], config: DedupConfig | None = None, keep: str = "first", chunk_size: int = 20_000
) -> list[DuplicateGroup]:
    """Duplicate groups of a stream of texts, read once in chunks of ``chunk_size``."""
    run = StreamingDedup(config)
    for chunk in _chunks(texts, chunk_size):
        run.add(chunk)
    return run.finish(keep)
