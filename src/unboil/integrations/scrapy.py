"""Scrapy item pipeline: clean the text (or HTML) of each scraped item and record provenance.

Enable it in ``ITEM_PIPELINES``; settings (all optional):

- ``UNBOIL_RULES``: rule files loaded after the default rules (list or comma-separated).
- ``UNBOIL_TEXT_FIELD`` (``"text"``), ``UNBOIL_HTML_FIELD`` (``"html"``), ``UNBOIL_URL_FIELD``
  (``"url"``), ``UNBOIL_TITLE_FIELD`` (``"title"``): where items keep what unboil reads; the
  cleaned text is written to the text field.
- ``UNBOIL_PROVENANCE_FIELD`` (``"unboil"``; empty to turn off): where the provenance goes.
- ``UNBOIL_DROP_EMPTY`` (false): drop an item whose text is empty after cleaning.
"""

from __future__ import annotations

import logging
from typing import Any

from unboil.cleaner import Cleaner, default_cleaner
from unboil.errors import InputError
from unboil.integrations import require
from unboil.records import RecordKeys, clean_result_for_record, provenance

__all__ = ["UnboilPipeline"]

log = logging.getLogger(__name__)


class UnboilPipeline:
    """Cleans ``text`` (or, without it, ``html``) of dict items and Scrapy Items, in place.

    Items with neither field pass through untouched (counted as ``unboil/skipped``); an item that
    cannot be cleaned keeps its text and gets ``{"error": reason}`` as provenance. Crawler stats
    count items, blocks removed per rule (``unboil/removed/<rule id>``), errors and drops.
    """

    def __init__(
        self,
        cleaner: Cleaner | None = None,
        *,
        text_field: str = "text",
        html_field: str = "html",
        url_field: str = "url",
        title_field: str = "title",
        provenance_field: str | None = "unboil",
        drop_empty: bool = False,
        stats: Any = None,
    ) -> None:
        self.cleaner = cleaner
        self.keys = RecordKeys(text=text_field, html=html_field, url=url_field, title=title_field)
        self.provenance_field = provenance_field or None
        self.drop_empty = drop_empty
        self.stats = stats
        self._warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> UnboilPipeline:
        """Build the pipeline from the crawler's ``UNBOIL_*`` settings and use its stats."""
        settings = crawler.settings
        rules = settings.getlist("UNBOIL_RULES")
        return cls(
            Cleaner(rules=rules) if rules else None,
            text_field=settings.get("UNBOIL_TEXT_FIELD", "text"),
            html_field=settings.get("UNBOIL_HTML_FIELD", "html"),
            url_field=settings.get("UNBOIL_URL_FIELD", "url"),
            title_field=settings.get("UNBOIL_TITLE_FIELD", "title"),
            provenance_field=settings.get("UNBOIL_PROVENANCE_FIELD", "unboil"),
            drop_empty=settings.getbool("UNBOIL_DROP_EMPTY", False),
            stats=crawler.stats,
        )

    def _count(self, key: str, value: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"unboil/{key}", value)

    def _set(self, adapter: Any, field: str, value: Any) -> bool:
        """Set a field; False (warned once) when the item class does not declare it."""
        try:
            adapter[field] = value
        except KeyError:
            if field not in self._warned:
                self._warned.add(field)
                log.warning("unboil: %s has no field %r; declare it to keep unboil's output there",
                            type(adapter.item).__name__, field)
            return False
        return True

    def process_item(self, item: Any, spider: Any = None) -> Any:
        """Clean one item in place and return it; raise DropItem only when asked to drop empties."""
        itemadapter = require("itemadapter", "scrapy", "UnboilPipeline")
        adapter = itemadapter.ItemAdapter(item)
        keys = self.keys
        record = {k: adapter.get(k) for k in (keys.text, keys.html, keys.url, keys.title)}
        if not isinstance(record[keys.text], (str, bytes)) and not isinstance(record[keys.html], (str, bytes)):
            self._count("skipped")
            return item
        self._count("items")
        try:
            result = clean_result_for_record(record, self.cleaner or default_cleaner(), keys)
        except (InputError, ValueError) as exc:
            self._count("errors")
            if self.provenance_field:
                self._set(adapter, self.provenance_field, {"error": str(exc)})
            return item
        if not self._set(adapter, keys.text, result.text):
            raise InputError(
                f"{type(item).__name__} has no field {keys.text!r} for the cleaned text: "
                "declare it, or name another with UNBOIL_TEXT_FIELD"
            )
        if self.provenance_field:
            self._set(adapter, self.provenance_field, provenance(result))
        for rule, count in result.removed_by_rule().items():
            self._count(f"removed/{rule}", count)
        if self.drop_empty and not result.text.strip():
            self._count("dropped_empty")
            exceptions = require("scrapy.exceptions", "scrapy", "UnboilPipeline")
            raise exceptions.DropItem(f"unboil: no text left after cleaning ({len(result.removed)} blocks removed)")
        return item
