"""A stray byte costs that byte: faults injected into real pages, and both tiers of the UTF-8 scan.

The bound of the property test: a stray byte between two letters of a text node becomes one
U+FFFD (an overwritten byte may break the character it hit: up to four bytes, four U+FFFD for
the original one), so 8 characters cover the character-level change twice over. Beyond that
the only change allowed is the decision on the block that holds the fault: a block one
character different may be kept where it was dropped (or the reverse), and then the whole
block appears (or goes). Anything more would mean the byte changed how the rest of the page
was read, which is the bug this guards against.
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import unboil
from unboil.segment import charset
from unboil.segment.charset import NotHTMLError, detect_encoding
from unboil.segment.html import segment_html

CHAR_BOUND = 8
AEB_PAGES = 4
WCXB_PAGES = 4
_TEXT_RUN = re.compile(rb">([^<>]+)<")
_LETTER = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class Page:
    name: str
    data: bytes
    text: str  # cleaned
    blocks: frozenset[str]
    offsets: tuple[int, ...]  # byte offsets between two ASCII letters of a text node in <body>


def _text_offsets(data: bytes) -> tuple[int, ...]:
    body = data.lower().find(b"<body")
    found = []
    for run in _TEXT_RUN.finditer(data, max(body, 0)):
        start = run.start(1)
        for i in range(start + 1, run.end(1)):
            if data[i - 1] in _LETTER and data[i] in _LETTER:
                found.append(i)
    return tuple(found)


def _load(shared: Path) -> list[Page]:
    paths = sorted((shared / "aeb" / "html").glob("*.html.gz"))[:AEB_PAGES]
    paths += sorted((shared / "wcxb-dev" / "html").glob("*.html.gz"))[:WCXB_PAGES]
    pages = []
    for path in paths:
        data = gzip.decompress(path.read_bytes())
        assert detect_encoding(data)[1] == "utf-8", path  # the property is about UTF-8 pages
        blocks = frozenset(b.text for b in segment_html(data).blocks)
        pages.append(Page(path.name, data, unboil.clean_html(data).text, blocks, _text_offsets(data)))
    return pages


@pytest.fixture(scope="module")
def pages(shared_fixtures: Path) -> list[Page]:
    return _load(shared_fixtures)


def _changed(a: str, b: str) -> int:
    """Characters deleted plus inserted between a and b, around their common prefix and suffix
    (exact for one local change, an overestimate for several: never lenient)."""
    start = 0
    limit = min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    while end < limit - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return (len(a) - start - end) + (len(b) - start - end)


def _fault_block_chars(page: Page, faulty: bytes) -> int:
    """Length of the blocks of the faulty page that hold a U+FFFD no original block had."""
    return sum(len(b.text) for b in segment_html(faulty).blocks if "\ufffd" in b.text and b.text not in page.blocks)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_one_stray_byte_changes_a_few_characters_of_the_cleaned_text(pages, data):
    page = pages[data.draw(st.integers(0, len(pages) - 1), label="page")]  # an index: short reports
    offset = data.draw(st.sampled_from(page.offsets), label="offset")
    byte = data.draw(st.integers(0x80, 0xFF), label="byte")
    overwrite = data.draw(st.booleans(), label="overwrite")
    faulty = page.data[:offset] + bytes([byte]) + page.data[offset + overwrite:]
    assert detect_encoding(faulty)[1] == "utf-8"
    text = unboil.clean_html(faulty).text
    assert _changed(page.text, text) <= CHAR_BOUND + _fault_block_chars(page, faulty), page.name


def test_a_stray_byte_before_the_end_of_body_changes_nothing(pages):
    """The issue's page: one Latin-1 "é" before </body> made a UTF-8 page come out in a Cyrillic code page."""
    for page in pages:
        end = page.data.lower().rfind(b"</body>")
        assert end > 0, page.name
        faulty = page.data[:end] + b"\xe9" + page.data[end:]
        assert unboil.clean_html(faulty).text == page.text, page.name


def test_many_stray_bytes_spread_over_a_page_cost_one_character_each(pages):
    page = pages[0]
    offsets = page.offsets[:: max(1, len(page.offsets) // 20)][:20]
    faulty = bytearray(page.data)
    for offset in reversed(offsets):
        faulty[offset:offset] = b"\x92"
    text, codec = detect_encoding(bytes(faulty))
    assert codec == "utf-8"
    assert text.count("\ufffd") - page.data.decode().count("\ufffd") == len(offsets)
    assert text.replace("\ufffd", "") == page.data.decode().replace("\ufffd", "")


# -- both tiers -----------------------------------------------------------------------------------

utf8 = charset._utf8
needs_utf8 = pytest.mark.skipif(
    utf8 is None, reason="unboil.segment._utf8 is not built (make ext) or UNBOIL_PURE_PYTHON is set"
)
_PIECES = [bytes([b]) for b in range(256)] + [
    c.encode("utf-8", "surrogatepass") for c in "é€\U0001d11e\ud800\udfff\U0010ffff\u07ff\u0800\ufffd"
] + [b"\xf4\x90\x80\x80", b"\xe0\x80\x80", b"\xc0\x80", b"\xed\xa0\x80", b"\xf0\x8f\xbf\xbf", b"plain ascii text " * 3]


@needs_utf8
@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_compiled_utf8_scan_matches_python(parts):
    data = b"".join(parts)
    assert utf8.utf8_scan(data) == charset._utf8_scan_py(data)
    invalid, _ = charset._utf8_scan_py(data)
    assert (invalid == 0) == charset._utf8_valid_py(data)


def test_utf8_scan_counts_what_the_decoder_replaces():
    cases = {b"": (0, 0), b"abc": (0, 0), "é€𝄞".encode(): (0, 3), b"a\xe9b": (1, 0),
             b"\xe2\x82": (2, 0), b"\xe2\x82\xac\xac": (1, 1), b"\xed\xa0\x80": (3, 0)}
    for data, expected in cases.items():
        assert charset._utf8_scan_py(data) == expected, data
        if utf8 is not None:
            assert utf8.utf8_scan(data) == expected, data


def _corpus() -> list[tuple[bytes, str | None]]:
    """Pages with stray bytes, conflicting labels and junk: what both tiers must agree on."""
    ru = "Речные баржи вернулись в центр города после сорока лет перерыва. "
    pl = "Zażółć gęślą jaźń, Łódź jest pięknym miastem. "
    page = "<html><head>{}</head><body><p>{}</p></body></html>"
    out: list[tuple[bytes, str | None]] = [
        (page.format('<meta charset="utf-8">', ru * 5).encode() + b"\xe9", None),
        (page.format("", ru * 5).encode().replace(b"\xd0\xb0", b"\xd0", 3), None),
        (page.format('<meta charset="windows-1251">', ru * 5).encode("cp1251"), "utf-8"),
        (page.format('<meta charset="windows-1251">', ru * 5).encode(), "iso-8859-1"),
        (page.format("", pl * 5).encode("iso-8859-2"), "text/html; charset=ISO-8859-2"),
        (page.format("", pl * 5).encode("iso-8859-2"), None),
        (page.format('<meta charset="base64">', pl * 5).encode(), None),
        (page.format("", "caf\xe9 only " * 5).encode("cp1252"), "utf-8"),
        (codecs.BOM_UTF8 + page.format("", ru).encode() + b"\xff", "cp1251"),
        (page.format("", ru * 3).encode("utf-16-le"), None),
        (bytes(range(128, 256)) * 20, None),
        (b"PGh0bWw+" * 40, None),
    ]
    return out


def _outcomes(samples: list[tuple[bytes, str | None]]) -> list[list[str]]:
    results = []
    for data, hint in samples:
        try:
            text, codec = detect_encoding(data, encoding=hint)
            results.append([codec, text])
        except NotHTMLError as exc:
            results.append(["error", str(exc)])
    return results


def test_pure_python_tier_decides_as_the_compiled_one(tmp_path):
    samples = _corpus()
    (tmp_path / "corpus.json").write_text(json.dumps([[d.hex(), h] for d, h in samples]))
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_charset_faults import _outcomes\n"
        "samples = [(bytes.fromhex(d), h) for d, h in json.load(open(sys.argv[1]))]\n"
        "from unboil.segment import charset\n"
        "assert charset._utf8 is None\n"
        "print(json.dumps(_outcomes(samples)))\n"
    )
    env = {**os.environ, "UNBOIL_PURE_PYTHON": "1"}
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "corpus.json")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == _outcomes(samples)
