"""Decoding page bytes: BOM, declared charset, UTF-8, fallback, and refusing binary data."""

from __future__ import annotations

import codecs
import gzip
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.segment.charset import NotHTMLError, decode_html, detect_encoding

RUSSIAN = "Речные баржи вернулись в центр города после сорока лет перерыва."
# Characters that cp1252 and UTF-8 write differently, in an ordinary Western paragraph.
WESTERN = ("Le café “Chez Zoë” coûte 5 € — c’est très cher, déjà à l’été. "
           "Señor Muñoz paid £3 for crème brûlée; naïve façade, « bien sûr ».")


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize("bom, codec", [
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
])
def test_a_byte_order_mark_wins_over_a_declaration(bom, codec):
    text = page(RUSSIAN, '<meta charset="windows-1252">')
    decoded, used = detect_encoding(bom + text.encode(codec))
    assert decoded == text
    assert used == codec


def test_meta_charset_and_http_equiv_and_xml_declaration():
    for head in ('<meta charset="windows-1251">', "<meta charset=cp1251>",
                 '<meta http-equiv="Content-Type" content="text/html; charset=Windows-1251">'):
        text = page(RUSSIAN, head)
        assert detect_encoding(text.encode("cp1251")) == (text, "cp1251")
    xml = '<?xml version="1.0" encoding="KOI8-R"?>' + page(RUSSIAN)
    assert detect_encoding(xml.encode("koi8-r")) == (xml, "koi8-r")


def test_latin1_label_means_cp1252_as_in_browsers():
    text = page(WESTERN, '<meta charset="ISO-8859-1">')
    assert decode_html(text.encode("cp1252")) == text


def test_a_wrong_declaration_that_cannot_decode_falls_through():
    # declared UTF-8, written in cp1252: strict UTF-8 fails, the fallback reads it
    text = page(WESTERN * 3, '<meta charset="utf-8">')
    assert decode_html(text.encode("cp1252")) == text
    # declared cp1251 but written in UTF-8: 0x98 is undefined in cp1251, so UTF-8 is tried next
    text = page("Иван Ильич " * 5, '<meta charset="windows-1251">')
    assert detect_encoding(text.encode("utf-8")) == (text, "utf-8")


def test_unknown_labels_are_ignored():
    text = page(RUSSIAN, '<meta charset="x-made-up-charset">')
    assert detect_encoding(text.encode("utf-8")) == (text, "utf-8")


def test_no_declaration_utf8_then_guess():
    text = page(RUSSIAN)
    assert detect_encoding(text.encode("utf-8")) == (text, "utf-8")
    text = page(WESTERN * 3)
    decoded, used = detect_encoding(text.encode("cp1252"))
    assert used == "guess"
    assert decoded == text


def test_bom_less_utf16_is_recognised():
    text = page("Plain ASCII text in UTF-16 without a byte order mark.")
    assert decode_html(text.encode("utf-16-le")) == text
    assert decode_html(text.encode("utf-16-be")) == text


@pytest.mark.parametrize("data, what", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "PNG"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "JPEG"),
    (b"GIF89a" + b"\x01\x00" * 20, "GIF"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    (b"PK\x03\x04\x14\x00" + b"\x00" * 40, "ZIP"),
    (gzip.compress(b"<html><p>zipped</p></html>"), "gzip"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "RIFF"),
    (bytes(range(32)) * 20, "control bytes"),
    (zlib.compress(bytes(range(256)) * 50), "control bytes"),
])
def test_binary_data_is_refused_with_a_reason(data, what):
    with pytest.raises(NotHTMLError, match=f"does not look like HTML or text: .*{what}"):
        decode_html(data)
    assert issubclass(NotHTMLError, ValueError)


def test_text_that_merely_starts_like_a_magic_word_is_text():
    for text in ("RIFF raff and other stories", "BZh, said the bee", "GIF87 is not a GIF"):
        assert decode_html(text.encode()) == text


def test_a_stray_control_byte_does_not_make_a_page_binary():
    text = "<p>Copied from a terminal\x08 once, with a form feed\x0c too.</p>" * 20
    assert decode_html(text.encode()) == text


def test_non_bytes_are_a_type_error():
    with pytest.raises(TypeError, match="expects bytes, got str"):
        decode_html("<p>already text</p>")  # type: ignore[arg-type]


def test_memoryview_and_bytearray_are_bytes_too():
    data = page(RUSSIAN).encode()
    assert decode_html(bytearray(data)) == decode_html(memoryview(data)) == page(RUSSIAN)


printable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=300)


@settings(max_examples=300, deadline=None)
@given(printable)
def test_utf8_text_round_trips(text):
    assert decode_html(text.encode("utf-8")) == text


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_decode_or_are_refused_cleanly(data):
    try:
        out = decode_html(data)
    except NotHTMLError as exc:
        assert "does not look like HTML or text" in str(exc)
    else:
        assert isinstance(out, str)


def test_undeclared_cyrillic_is_guessed_when_charset_normalizer_is_there():
    pytest.importorskip("charset_normalizer")
    text = page(RUSSIAN * 4)
    decoded, used = detect_encoding(text.encode("cp1251"))
    assert used == "guess"
    assert decoded == text
