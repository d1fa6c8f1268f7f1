"""Site templates: how often a block's text recurs across the pages of one host.

A ``SiteModel`` is learned over a crawl (counting each block fingerprint once per page, per host),
saved, merged with models learned elsewhere, and passed to a ``Cleaner``, whose ``site`` detector
then writes ``site_frequency`` on every block: the share of the host's pages carrying that block.
Menus, footers and newsletter boxes recur on most pages; an article's paragraphs on one.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xxhash

from unboil.document import Document
from unboil.errors import InputError
from unboil.normalize import comparison_key

FORMAT_VERSION = 1


def block_fingerprint(text: str) -> int:
    """A 64-bit fingerprint of a block's text after case, punctuation and space folding (0 if empty)."""
    key = comparison_key(text)
    return xxhash.xxh3_64_intdigest(key.encode("utf-8")) if key else 0


@dataclass
class _HostStats:
    pages: int = 0
    counts: Counter = field(default_factory=Counter)


class SiteModel:
    """Block frequencies per host, learned over a crawl; plain data, picklable, mergeable.

    ``min_pages``: a host needs at least this many learned pages before its frequencies are used
    (below it every block gets ``site_frequency = 0``). ``max_blocks_per_host`` bounds memory: when a
    host's table outgrows it, fingerprints seen on a single page are pruned.
    """

    def __init__(self, min_pages: int = 3, max_blocks_per_host: int = 200_000) -> None:
        if min_pages < 1:
            raise ValueError(f"SiteModel.min_pages must be >= 1, got {min_pages}")
        if max_blocks_per_host < 100:
            raise ValueError(f"SiteModel.max_blocks_per_host must be >= 100, got {max_blocks_per_host}")
        self.min_pages = min_pages
        self.max_blocks_per_host = max_blocks_per_host
        self._hosts: dict[str, _HostStats] = {}

    # -- learning ------------------------------------------------------------------------------

    def add_document(self, doc: Document) -> None:
        """Count the distinct block fingerprints of one segmented page under its host."""
        host = doc.host
        if not host:
            return
        stats = self._hosts.setdefault(host, _HostStats())
        stats.pages += 1
        fps = {block_fingerprint(b.text) for b in doc.blocks}
        fps.discard(0)
        stats.counts.update(fps)
        if len(stats.counts) > self.max_blocks_per_host:
            stats.counts = Counter({fp: n for fp, n in stats.counts.items() if n > 1})

    def learn(self, records: Iterable[dict[str, Any]], *, text_key: str = "text", html_key: str = "html",
              url_key: str = "url") -> int:
        """Learn from records (``text`` or ``html`` plus ``url``); returns how many pages were counted.

        Records without a URL or with unusable content are skipped (the count says how many were used).
        """
        from unboil.records import RecordKeys, record_url
        from unboil.segment.text import segment_text

        keys = RecordKeys(text=text_key, html=html_key, url=url_key)
        used = 0
        for record in records:
            if not isinstance(record, dict):
                continue
            url = record_url(record, keys)
            if not url:
                continue
            text, html = record.get(keys.text), record.get(keys.html)
            try:
                if isinstance(text, str):
                    doc = segment_text(text, url=url)
                elif isinstance(html, (str, bytes)):
                    from unboil.segment.html import segment_html

                    doc = segment_html(html, url)
                else:
                    continue
            except (InputError, ValueError):
                continue
            self.add_document(doc)
            used += 1
        return used

    def merge(self, other: SiteModel) -> SiteModel:
        """Add another model's counts into this one (pages and fingerprints); returns self."""
        for host, theirs in other._hosts.items():
            mine = self._hosts.setdefault(host, _HostStats())
            mine.pages += theirs.pages
            mine.counts.update(theirs.counts)
        return self

    # -- using ---------------------------------------------------------------------------------

    def pages(self, host: str) -> int:
        """How many pages of ``host`` were learned."""
        stats = self._hosts.get(host)
        return stats.pages if stats else 0

    @property
    def hosts(self) -> list[str]:
        return sorted(self._hosts)

    def frequency(self, host: str, text: str) -> float:
        """Share of ``host``'s learned pages that carry a block with this text (0 when unknown)."""
        stats = self._hosts.get(host)
        if stats is None or stats.pages < self.min_pages:
            return 0.0
        return min(1.0, stats.counts.get(block_fingerprint(text), 0) / stats.pages)

    def annotate(self, doc: Document) -> None:
        """Write ``site_frequency`` on every block of ``doc`` (0.0 for hosts not learned enough)."""
        host = doc.host
        for b in doc.blocks:
            b.signals["site_frequency"] = round(self.frequency(host, b.text), 4)

    # -- persistence ---------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as a compressed ``.npz`` (numpy arrays only; loading runs no code), through
        a hidden temporary file renamed when complete, so ``path`` never holds half a model."""
        from unboil.io.safety import atomic_path

        hosts = sorted(self._hosts)
        sizes = [len(self._hosts[h].counts) for h in hosts]
        fps = np.fromiter((fp for h in hosts for fp in self._hosts[h].counts), dtype=np.uint64, count=sum(sizes))
        counts = np.fromiter((n for h in hosts for n in self._hosts[h].counts.values()), dtype=np.uint32,
                             count=sum(sizes))
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                version=np.array([FORMAT_VERSION]),
                settings=np.array([self.min_pages, self.max_blocks_per_host], dtype=np.int64),
                hosts=np.array(hosts, dtype=np.str_),
                pages=np.array([self._hosts[h].pages for h in hosts], dtype=np.int64),
                sizes=np.array(sizes, dtype=np.int64),
                fingerprints=fps,
                counts=counts,
            )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SiteModel:
        """Read a model written by :meth:`save`; a wrong or damaged file raises ``InputError``."""
        try:
            with np.load(path, allow_pickle=False) as data:
                version = int(data["version"][0])
                if version != FORMAT_VERSION:
                    raise InputError(f"{path}: site model format {version}, this unboil reads {FORMAT_VERSION}")
                min_pages, max_blocks = (int(x) for x in data["settings"])
                hosts, pages, sizes = data["hosts"], data["pages"], data["sizes"]
                fps, counts = data["fingerprints"], data["counts"]
        except (OSError, KeyError, ValueError, EOFError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"{path}: not a site model written by SiteModel.save ({exc})") from None
        model = cls(min_pages=min_pages, max_blocks_per_host=max_blocks)
        start = 0
        for host, n_pages, size in zip(hosts.tolist(), pages.tolist(), sizes.tolist()):
            end = start + size
            model._hosts[host] = _HostStats(n_pages, Counter(dict(zip(fps[start:end].tolist(), counts[start:end].tolist()))))
            start = end
        return model

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SiteModel):
            return NotImplemented
        return (self.min_pages, self.max_blocks_per_host) == (other.min_pages, other.max_blocks_per_host) and {
            h: (s.pages, dict(s.counts)) for h, s in self._hosts.items()
        } == {h: (s.pages, dict(s.counts)) for h, s in other._hosts.items()}

    def __repr__(self) -> str:
        pages = sum(s.pages for s in self._hosts.values())
        return f"SiteModel({len(self._hosts)} hosts, {pages} pages, min_pages={self.min_pages})"
