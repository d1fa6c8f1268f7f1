"""Thin adapters over the record API for crawl tools: Dask, datatrove, Hugging Face datasets, Scrapy.

Each module imports its tool lazily, so ``import unboil.integrations.dask`` works without Dask
and the first call that needs it says which extra to install.
"""

from __future__ import annotations

from unboil.errors import MissingExtraError, require

__all__ = ["MissingExtraError", "require"]
