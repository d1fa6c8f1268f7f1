"""Charset labels as pages and servers write them, mapped to the codec that decodes the page.

The table is data (``unboil/data/charsets.toml``): which labels are web charsets, which codec
each means as browsers read it (ISO-8859-1 means windows-1252...), and which HTTP charsets are
server defaults rather than a statement about the page.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import cache, lru_cache

__all__ = ["Label", "charset_of_content_type", "guess_codec", "label_codec"]

# charset=value in a Content-Type header or an http-equiv meta, quoted or not
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([^"';,\s]*)""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Label:
    """A declared charset label, understood: the codec to decode with, and whether servers send it
    by default (so that the page's own declaration beats it)."""

    codec: str
    server_default: bool


@dataclass(frozen=True, slots=True)
class _Table:
    codecs: dict[str, str]
    labels: dict[str, str]
    server_defaults: frozenset[str]


@cache
def _table() -> _Table:
    """The label table, read once from the package data (it never changes while running)."""
    import tomllib  # here, not at import time: `import unboil` stays light
    from importlib import resources

    raw = tomllib.loads(resources.files("unboil").joinpath("data/charsets.toml").read_text("utf-8"))
    return _Table(dict(raw["codecs"]), dict(raw["labels"]), frozenset(raw["server_defaults"]))


@lru_cache(maxsize=512)  # pages repeat a few dozen labels; the size bounds what odd ones cost
def label_codec(label: str) -> Label | None:
    """What a declared charset label means, or None when it names no web charset."""
    label = label.strip().strip("\"'").strip().lower()
    if not label or len(label) > 40:
        return None
    table = _table()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        name = table.labels.get(label, "")
    codec = table.codecs.get(name)
    if codec is None:
        return None
    return Label(codec, name in table.server_defaults)


def guess_codec(name: str) -> str | None:
    """The codec to decode with when a detector guessed Python codec ``name``; None when that is
    no web charset. A guessed UTF-16 or UTF-32 stays None: only a declared one means UTF-8."""
    label = label_codec(name)
    if label is None:
        return None
    if label.codec == "utf-8" and codecs.lookup(name).name not in ("utf-8", "utf-8-sig"):
        return None
    return label.codec


def charset_of_content_type(value: str) -> str | None:
    """The charset label in a Content-Type value ("text/html; charset=UTF-8"), or in a bare label
    ("UTF-8"); None when there is none ("text/html")."""
    match = _CHARSET_PARAM.search(value)
    if match is not None:
        return match.group(1) or None
    value = value.strip()
    if not value or "/" in value or ";" in value or "=" in value:
        return None
    return value
