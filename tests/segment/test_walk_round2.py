"""Round-two speed paths of segmentation: the compiled str encoder and presized signals dicts.

Each must be invisible: the same bytes as Python's encoder, the same dicts as a plain ``{}``.
"""

from __future__ import annotations

import gzip
import pickle
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.segment import html

walk = html._compiled_walk
utf8 = html._utf8
needs_walk = pytest.mark.skipif(walk is None, reason="unboil.segment._walk is not built")
needs_utf8 = pytest.mark.skipif(utf8 is None, reason="unboil.segment._utf8 is not built")

# one-, two- and four-byte str storage, surrogates (encoded as "?"), and every UTF-8 length edge
CHARS = ["a", " ", "<", "\x7f", "\x80", "é", "\xff", "\u0100", "\u07ff", "\u0800", "\ud800",
         "\udbff", "\udc00", "\udfff", "\ue000", "\uffff", "\U00010000", "\U0001f600", "\U0010ffff",
         "中", "Ж", "abcdefgh", "<div class='x'>"]


def expected(text: str) -> bytes:
    return text.encode("utf-8", errors="replace")


@needs_utf8
@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(CHARS), max_size=40))
def test_c_str_encoder_matches_python(parts):
    text = "".join(parts)
    assert utf8.encode_utf8(text) == expected(text)


@needs_utf8
@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_c_str_encoder_matches_python_on_any_text(text):
    assert utf8.encode_utf8(text) == expected(text)


@needs_utf8
def test_c_str_encoder_on_long_mixed_runs():
    import random

    rnd = random.Random(7)
    for widest in ("\xe9", "\u0416", "\U0001f600"):  # one-, two- and four-byte storage
        for _ in range(300):
            pieces = []
            for _ in range(rnd.randrange(1, 12)):
                pieces.append("a" * rnd.randrange(0, 40))
                pieces.append(rnd.choice(CHARS) * rnd.randrange(1, 4))
            text = "".join(pieces) + widest
            assert utf8.encode_utf8(text) == expected(text)
            assert utf8.encode_utf8(text[1:]) == expected(text[1:])  # other alignments


@needs_utf8
def test_c_str_encoder_on_every_aeb_page(shared_fixtures):
    for path in sorted((shared_fixtures / "aeb" / "html").glob("*.html.gz")):
        text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        assert utf8.encode_utf8(text) == expected(text), path.name


@needs_utf8
def test_c_str_encoder_edges():
    for text in ("", "ascii only", "é", "\ud800", "\U0010ffff" * 3, "x" * 7 + "é" + "y" * 9):
        out = utf8.encode_utf8(text)
        assert type(out) is bytes and out == expected(text)
    with pytest.raises(TypeError):
        utf8.encode_utf8(b"bytes")  # type: ignore[arg-type]


def test_str_pages_segment_like_their_utf8_bytes():
    page = "<html><body><p>Grüße \U0001f600 <a href='/x'>Ссылка</a></p><p>\ud800 lone</p></body></html>"
    a = html.segment_html(page)
    b = html.segment_html(expected(page))
    assert [(x.text, x.links, x.path) for x in a.blocks] == [(x.text, x.links, x.path) for x in b.blocks]


@needs_walk
def test_signals_dicts_are_presized_and_behave_as_plain_dicts():
    d = walk.new_signals(("html", "body"))
    assert type(d) is dict and d == {"ancestors": ("html", "body")}
    plain = {"ancestors": ("html", "body")}
    assert sys.getsizeof(d) >= sys.getsizeof(plain)
    for i in range(30):  # grows past its room like any dict
        d[f"k{i}"] = i
        plain[f"k{i}"] = i
    assert d == plain and list(d) == list(plain)
    assert pickle.loads(pickle.dumps(d)) == plain


@needs_walk
def test_compiled_blocks_get_fresh_signals_dicts():
    page = "<table><tr><td>a</td><td>b</td></tr></table><p>one</p><p>two</p>"
    doc = html.segment_html(page)
    pure = html._segment_html(page, "", None, html.DEFAULT_MAX_BYTES, pure=True)
    assert [b.signals for b in doc.blocks] == [b.signals for b in pure.blocks]
    assert doc.blocks[0].signals["cells"] == 2
    ids = {id(b.signals) for b in doc.blocks}
    assert len(ids) == len(doc.blocks)
    doc.blocks[1].signals["x"] = 1
    assert "x" not in doc.blocks[2].signals


@needs_walk
def test_compiled_blocks_are_left_out_of_the_cycle_collector_and_still_freed():
    import gc
    import weakref

    class Marker:
        pass

    if not walk.direct_construction():
        pytest.skip("Blocks are made by their __init__ here")
    doc = html.segment_html("<html><body><p>one</p><p>two <a href='/x'>link</a></p></body></html>")
    assert doc.blocks and not any(gc.is_tracked(b) for b in doc.blocks)
    assert not any(gc.is_tracked(b.element) for b in doc.blocks)
    # the blocks and their signals go with the last reference, no collection needed
    marker = Marker()
    doc.blocks[-1].signals["marker"] = marker
    gone = weakref.ref(marker)
    del marker
    was = gc.isenabled()
    gc.disable()
    try:
        del doc
        assert gone() is None
    finally:
        if was:
            gc.enable()


@needs_walk
def test_custom_element_classes_stay_tracked():
    import gc

    from lxml import etree

    class Custom(etree.ElementBase):
        pass

    etree.set_element_class_lookup(etree.ElementDefaultClassLookup(element=Custom))
    try:
        doc = html.segment_html("<html><body><p>one</p><div>two</div></body></html>")
        assert [type(b.element) for b in doc.blocks] == [Custom, Custom]
        assert all(gc.is_tracked(b.element) for b in doc.blocks)
    finally:
        etree.set_element_class_lookup()
