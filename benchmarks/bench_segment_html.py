"""Speed of HTML segmentation against bare lxml parsing, over the AEB pages (pytest-benchmark).

Run: .venv/bin/python -m pytest benchmarks/bench_segment_html.py --benchmark-only -s
The pages are decompressed before timing. Each benchmark reports pages/s in ``extra_info``;
``segment_html`` includes the parse, so its cost over the parse is the segmentation itself.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from lxml import etree

from unboil.segment.charset import detect_encoding
from unboil.segment.html import segment_html

ROOT = Path(__file__).resolve().parent.parent
AEB_HTML = ROOT.parent / "shared" / "fixtures" / "aeb" / "html"


@pytest.fixture(scope="module")
def pages() -> list[bytes]:
    """The AEB pages as bytes, decompressed once."""
    paths = sorted(AEB_HTML.glob("*.html.gz"))
    if not paths:
        pytest.skip(f"AEB pages not found at {AEB_HTML}")
    out = []
    for path in paths:
        with gzip.open(path, "rb") as fh:
            out.append(fh.read())
    return out


def _report(benchmark, name: str, pages: int) -> None:
    per_page = benchmark.stats.stats.mean / pages
    benchmark.extra_info.update(pages=pages, pages_per_s=1 / per_page, ms_per_page=per_page * 1e3)
    print(f"\n{name}: {1 / per_page:,.0f} pages/s ({per_page * 1e3:.2f} ms/page)")


def _run_all(fn, pages: list) -> None:
    for page in pages:
        fn(page)


def test_lxml_parse_only(benchmark, pages):
    """The floor: lxml's HTML parser with the same options segment_html uses."""

    def parse(data: bytes) -> None:
        parser = etree.HTMLParser(encoding="utf-8", recover=True, huge_tree=True,
                                  remove_comments=True, remove_pis=True, no_network=True,
                                  collect_ids=False, default_doctype=False)
        etree.fromstring(data, parser)

    benchmark.pedantic(_run_all, args=(parse, pages), rounds=5, iterations=1, warmup_rounds=1)
    _report(benchmark, "lxml parse", len(pages))


def test_decode_only(benchmark, pages):
    """Charset detection (strict UTF-8 decoding, for these pages)."""
    benchmark.pedantic(_run_all, args=(detect_encoding, pages), rounds=5, iterations=1,
                       warmup_rounds=1)
    _report(benchmark, "detect_encoding", len(pages))


def test_segment_html_bytes(benchmark, pages):
    """The whole of segment_html on bytes: decode, parse, walk, metadata."""
    benchmark.pedantic(_run_all, args=(segment_html, pages), rounds=5, iterations=1,
                       warmup_rounds=1)
    _report(benchmark, "segment_html(bytes)", len(pages))


def test_segment_html_str(benchmark, pages):
    """segment_html on already-decoded text (re-encoded to UTF-8 for lxml)."""
    texts = [page.decode("utf-8") for page in pages]
    benchmark.pedantic(_run_all, args=(segment_html, texts), rounds=5, iterations=1,
                       warmup_rounds=1)
    _report(benchmark, "segment_html(str)", len(texts))
