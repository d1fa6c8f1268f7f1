"""Cheap per-block text statistics: length, position, punctuation and stop-word ratios."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from typing import Any

import regex

from unboil._compiled import compiled
from unboil.document import Document
from unboil.fingerprint.shingles import TOKEN_RE

_PUNCT = regex.compile(r"[\p{P}\p{S}]")
_SPACE = regex.compile(r"\s")
_BMP = 0x10000
_WORD = re.compile(TOKEN_RE.pattern.rstrip("+"))  # one character of a TOKEN_RE token


#: The compiled kernel of the density and content stages (density, markup, features, content),
#: resolved once at import: None when it is not built or UNBOIL_PURE_PYTHON was set. Each public
#: function there has a private twin taking the kernel, so tests can run both paths in one process.
KERNEL: Any = compiled("detect._content")


def _punct_ratio(text: str) -> float:
    visible = len(text) - len(_SPACE.findall(text))
    if visible <= 0:
        return 0.0
    return len(_PUNCT.findall(text)) / visible


@functools.cache
def char_flags() -> bytes:
    """Per BMP code point: 1 if ``_PUNCT`` matches it, 2 if ``_SPACE`` does, 4 if ``TOKEN_RE``
    counts it as a word character, 8 if lowercasing changes its length or word-ness (the
    regexes decide, so the compiled counter classifies every character exactly as they do)."""
    flags = bytearray(_BMP)
    every = "".join(map(chr, range(_BMP)))
    for pattern, bit in ((_PUNCT, 1), (_SPACE, 2), (_WORD, 4)):
        for m in pattern.finditer(every):
            flags[m.start()] |= bit
    for code, ch in enumerate(every):
        low = ch.lower()
        if low != ch and (len(low) != 1 or bool(flags[ord(low)] & 4) != bool(flags[code] & 4)):
            flags[code] |= 8
    return bytes(flags)


@functools.lru_cache(maxsize=4096)
def astral_flags(code: int) -> int:
    """``char_flags`` for one code point above U+FFFF (rare: emoji and historic scripts)."""
    ch = chr(code)
    return (1 if _PUNCT.match(ch) else 0) | (2 if _SPACE.match(ch) else 0)


def annotate_density_pure(doc: Document, stopwords: Collection[str] | None = None) -> None:
    """``annotate_density`` in plain Python: the reference the compiled kernel must match."""
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


def annotate_density(doc: Document, stopwords: Collection[str] | None = None) -> None:
    """Write ``words``, ``chars``, ``position``, ``punct_ratio`` and ``stopword_ratio`` on each block."""
    _annotate_density(doc, stopwords, KERNEL)


def _annotate_density(doc: Document, stopwords: Collection[str] | None, kernel: Any) -> None:
    """``annotate_density`` with the compiled ``kernel``, or in plain Python when it is None."""
    if kernel is None or stopwords is not None:
        annotate_density_pure(doc, stopwords)
        return
    kernel.density(doc.blocks, char_flags(), astral_flags)
