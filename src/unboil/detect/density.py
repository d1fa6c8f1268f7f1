"""Cheap per-block text statistics: length, position, punctuation and stop-word ratios."""

from __future__ import annotations

from collections.abc import Collection

import regex

from unboil.document import Document
from unboil.fingerprint.shingles import TOKEN_RE


_PUNCT = regex.compile(r"[\p{P}\p{S}]")
_SPACE = regex.compile(r"\s")


def _punct_ratio(text: str) -> float:
    visible = len(text) - len(_SPACE.findall(text))
    if visible <= 0:
        return 0.0
    return len(_PUNCT.findall(text)) / visible


def annotate_density(doc: Document, stopwords: Collection[str] | None = None) -> None:
    """Write ``words``, ``chars``, ``position``, ``punct_ratio`` and ``stopword_ratio`` on each block."""
    n = len(doc.blocks)
    last = max(n - 1, 1)
    for b in doc.blocks:
        words = TOKEN_RE.findall(b.text.lower())
        b.signals["words"] = len(words)
        b.signals["chars"] = len(b.text)
        b.signals["position"] = b.index / last if n > 1 else 0.0
        b.signals["punct_ratio"] = round(_punct_ratio(b.text), 4)
        if stopwords is not None:
            b.signals["stopword_ratio"] = (
                round(sum(1 for w in words if w in stopwords) / len(words), 4) if words else 0.0
            )
