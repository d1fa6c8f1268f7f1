"""Scrapy item pipeline built by a real Crawler from settings, fed dict items and Scrapy Items."""

from __future__ import annotations

import gzip
import logging

import pytest

import unboil

scrapy = pytest.importorskip("scrapy", reason="Scrapy is not installed: install unboil[scrapy]")

from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from unboil.integrations.scrapy import UnboilPipeline


class Article(scrapy.Item):
    text = scrapy.Field()
    url = scrapy.Field()
    unboil = scrapy.Field()


class BareArticle(scrapy.Item):
    text = scrapy.Field()
    url = scrapy.Field()


class HtmlOnly(scrapy.Item):
    html = scrapy.Field()
    url = scrapy.Field()


def _pipeline(**settings):
    crawler = get_crawler(settings_dict=settings)
    return UnboilPipeline.from_crawler(crawler), crawler.stats


def test_dict_items_with_settings_and_user_rules(framed, rule_file):
    pipeline, stats = _pipeline(UNBOIL_RULES=[str(rule_file)], UNBOIL_TEXT_FIELD="body")
    cleaner = unboil.Cleaner(rules=[rule_file])
    for i, text in enumerate(framed[:10]):
        item = {"body": text, "url": f"https://news.example/{i}"}
        assert pipeline.process_item(item) is item
        want = unboil.clean_record({"text": text, "url": item["url"]}, cleaner=cleaner)
        assert item["body"] == want["text"]
        assert item["unboil"] == want["metadata"]["unboil"]
    assert stats.get_value("unboil/items") == 10
    assert stats.get_value("unboil/removed/ad-label") == 10


def test_scrapy_items_declared_and_undeclared_provenance(framed, caplog):
    pipeline, _ = _pipeline()
    item = Article(text=framed[0], url="https://news.example/0")
    pipeline.process_item(item, spider=None)
    assert item["text"] == unboil.clean(framed[0], url="https://news.example/0").text
    assert item["unboil"]["removed"]["share-widget"] >= 1
    with caplog.at_level(logging.WARNING, logger="unboil.integrations.scrapy"):
        bare = [BareArticle(text=t, url="u") for t in framed[1:3]]
        for b in bare:
            pipeline.process_item(b)
    assert [b["text"] for b in bare] == [unboil.clean(t, url="u").text for t in framed[1:3]]
    assert sum("no field 'unboil'" in r.getMessage() for r in caplog.records) == 1  # warned once


def test_html_items_are_cleaned_into_the_text_field(aeb_articles, shared_fixtures):
    page_id = next(iter(aeb_articles))
    html = gzip.decompress((shared_fixtures / "aeb" / "html" / f"{page_id}.html.gz").read_bytes())
    url = aeb_articles[page_id]["url"]
    pipeline, _ = _pipeline()
    item = {"html": html, "url": url}
    pipeline.process_item(item)
    assert item["text"] == unboil.clean_html(html, url=url).text and item["text"]
    with pytest.raises(unboil.InputError, match="no field 'text'"):
        pipeline.process_item(HtmlOnly(html=html, url=url))


def test_empty_items_are_dropped_only_when_asked():
    keep, _ = _pipeline()
    item = {"text": "Share on Facebook"}
    assert keep.process_item(item)["text"] == ""
    drop, stats = _pipeline(UNBOIL_DROP_EMPTY=True)
    with pytest.raises(DropItem, match="no text left"):
        drop.process_item({"text": "Share on Facebook"})
    assert stats.get_value("unboil/dropped_empty") == 1


def test_items_without_text_pass_and_bad_text_is_reported():
    pipeline, stats = _pipeline(UNBOIL_PROVENANCE_FIELD="cleaning")
    other = {"image_url": "https://news.example/a.png"}
    assert pipeline.process_item(other) == {"image_url": "https://news.example/a.png"}
    bad = {"text": "\x00\x01\x02" * 40}
    pipeline.process_item(bad)
    assert bad["text"] == "\x00\x01\x02" * 40 and "binary" in bad["cleaning"]["error"]
    assert stats.get_value("unboil/skipped") == 1 and stats.get_value("unboil/errors") == 1
