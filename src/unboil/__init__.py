"""unboil: strip boilerplate, repeated titles, share widgets and duplicates from crawled pages.

>>> import unboil
>>> r = unboil.clean("A headline\\n\\nShare on Facebook\\n\\nThe story itself, told in full.")
>>> print(r.text)
A headline
<BLANKLINE>
The story itself, told in full.
>>> [(d.index, d.rule) for d in r.decisions if d.dropped]
[(1, 'share-widget')]
"""

from __future__ import annotations

import logging

from unboil._compiled import speedups
from unboil.cleaner import Cleaner, CleanerConfig, default_cleaner
from unboil.document import Block, CleanResult, Decision, Document, Link
from unboil.errors import DocumentTooLarge, InputError, UnboilError
from unboil.records import RecordKeys, clean_batch, clean_record, clean_records

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())


def clean(text: str, title: str | None = None, url: str | None = None) -> CleanResult:
    """Clean extracted text with the default rules; ``title=None`` takes the first line as title."""
    return default_cleaner().clean(text, title=title, url=url)


def clean_html(html: str | bytes, url: str | None = None) -> CleanResult:
    """Clean an HTML page (str or bytes) with the default rules."""
    return default_cleaner().clean_html(html, url=url)


_LAZY = {
    "NearDupIndex": "unboil.dedup",
    "find_duplicates": "unboil.dedup",
    "signatures": "unboil.dedup",
    "SiteModel": "unboil.detect.site",
    "Rule": "unboil.rules",
    "RuleError": "unboil.rules",
    "RuleSet": "unboil.rules",
}


def __getattr__(name: str):  # lazy: keeps `import unboil` light and free of import cycles
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'unboil' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Block",
    "CleanResult",
    "Cleaner",
    "CleanerConfig",
    "Decision",
    "Document",
    "DocumentTooLarge",
    "InputError",
    "Link",
    "NearDupIndex",
    "RecordKeys",
    "Rule",
    "RuleError",
    "RuleSet",
    "SiteModel",
    "UnboilError",
    "clean",
    "clean_batch",
    "clean_html",
    "clean_record",
    "clean_records",
    "speedups",
    "find_duplicates",
    "signatures",
    "__version__",
]
