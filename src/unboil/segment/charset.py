"""Turn the bytes of a crawled page into text: BOM, declared charset, UTF-8, then a best guess.

The order follows what browsers do, simplified: a byte-order mark is trusted; then a charset
declared in the first few kilobytes (``<meta charset>``, ``http-equiv`` Content-Type, an XML
declaration) is tried *strictly*, so a wrong declaration that cannot decode the bytes falls
through; then strict UTF-8; then charset-normalizer when it is installed, else cp1252 with
replacement characters. Bytes that are plainly not text (images, archives, PDFs, NUL-heavy
junk) raise :class:`NotHTMLError` instead of becoming garbage blocks.
"""

from __future__ import annotations

import codecs
import re

from .._compiled import compiled
from ..errors import InputError

__all__ = ["NotHTMLError", "decode_html", "detect_codec", "detect_encoding"]

#: How far into the page a charset declaration is looked for.
DECLARATION_WINDOW = 4096
#: How many leading bytes are inspected for binary junk.
SNIFF_WINDOW = 8192
#: How many bytes charset-normalizer sees when guessing (it is slow on whole pages).
GUESS_WINDOW = 65536
#: How much more "chaos" (charset-normalizer's mess score, 0..1) cp1252 may show and still win.
CP1252_MARGIN = 0.1

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "gzip-compressed data (decompress it first)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data (decompress it first)"),
    (b"\xfd7zXZ\x00", "xz-compressed data (decompress it first)"),
    (b"\x00asm", "a WebAssembly module"),
    (b"\x7fELF", "an ELF executable"),
)

# C0 control bytes that never occur in text (tab, LF, FF, CR and ESC, which ISO-2022 uses,
# are allowed).
_BINARY_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))

_DECLARED = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_:.+-]+)""",
    re.IGNORECASE,
)

# Labels pages declare whose Python codec differs from what browsers actually use.
_LABEL_FIXES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "big5": "big5hkscs",
    # A page read as bytes that claims UTF-16 in a <meta> is ASCII-compatible: browsers use UTF-8.
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
    "utf-32": "utf-8",
}


class NotHTMLError(InputError):
    """Raised when bytes handed in as a page are binary data, not HTML or text (a ValueError)."""


def _codec_name(label: str) -> str | None:
    """The Python codec for a declared charset label, or None when Python does not know it."""
    label = label.strip().strip("\"'").lower()
    label = _LABEL_FIXES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _check_magic(data: bytes) -> None:
    """Raise NotHTMLError when the bytes start with the signature of a known binary format."""
    what = next((what for magic, what in _MAGIC if data.startswith(magic)), None)
    if what is None and data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        what = "a RIFF container (WebP, WAV or AVI)"
    if what is None and data.startswith(b"BZh") and data[4:10] == b"1AY&SY":
        what = "bzip2-compressed data (decompress it first)"
    if what is not None:
        raise NotHTMLError(f"does not look like HTML or text: starts like {what}")


def _sniff_counts_py(data: bytes, window: int) -> tuple[int, int, int, int]:
    """Over ``data[:window]``: (length, NULs at even offsets, NULs at odd offsets, control bytes
    that never occur in text)."""
    sample = data[:window]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    bad = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    return len(sample), even, odd, bad


def _check_not_binary(counts: tuple[int, int, int, int]) -> None:
    """Raise NotHTMLError when the leading bytes hold NULs or more control bytes than text has."""
    size, even, odd, bad = counts
    if not size:
        return
    nul = even + odd
    if nul > 8 or bad > max(4, 0.05 * size):
        raise NotHTMLError(
            f"does not look like HTML or text: {bad} control bytes ({nul} NUL) "
            f"in the first {size} bytes"
        )


def _utf16_without_bom(counts: tuple[int, int, int, int]) -> str | None:
    """Guess BOM-less UTF-16 from NUL bytes sitting on every other position of ASCII text."""
    size, even_nul, odd_nul, _ = counts
    if size < 16:
        return None
    n_even, n_odd = (size + 1) // 2, size // 2
    if odd_nul > 0.4 * n_odd and even_nul < 0.05 * n_even:
        return "utf-16-le"
    if even_nul > 0.4 * n_even and odd_nul < 0.05 * n_odd:
        return "utf-16-be"
    return None


def _declared(data: bytes) -> str | None:
    """The codec named by the first charset declaration in the first few kilobytes, if any."""
    for match in _DECLARED.finditer(data, 0, DECLARATION_WINDOW):
        label = (match.group(1) or match.group(2) or b"").decode("ascii", "replace")
        name = _codec_name(label)
        if name is not None:
            return name
    return None


def _guess(data: bytes) -> str:
    """Decode bytes of unknown charset: charset-normalizer when installed, else cp1252.

    cp1252 is the web's most common legacy charset, so it is kept whenever charset-normalizer
    finds it nearly as clean as its own best pick (which, on short Western text, is often a
    Baltic or Central European code page that turns "ë" into "ė").
    """
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return data.decode("cp1252", errors="replace")
    matches = from_bytes(data[:GUESS_WINDOW])
    best = matches.best()
    if best is None or not best.encoding:
        return data.decode("cp1252", errors="replace")
    if any(m.encoding == "cp1252" and m.chaos <= best.chaos + CP1252_MARGIN for m in matches):
        return data.decode("cp1252", errors="replace")
    name = _codec_name(best.encoding) or "cp1252"
    return data.decode(name, errors="replace")


def _utf8_valid_py(data: bytes) -> bool:
    """Whether the bytes are strict UTF-8 (decoding them is the check)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_utf8 = compiled("segment._utf8")
#: Whether bytes are strict UTF-8, without keeping the decoded text (compiled when built).
_utf8_valid = _utf8.utf8_valid if _utf8 is not None else _utf8_valid_py
#: The leading-bytes counts behind the UTF-16 and binary checks (compiled when built).
_sniff_counts = _utf8.sniff_counts if _utf8 is not None else _sniff_counts_py


def _detect(data: bytes, need_text: bool) -> tuple[str | None, str]:
    """detect_encoding's decision; a UTF-8 page's text is None unless ``need_text``.

    Callers that hand the bytes on to a UTF-8 parser only need to know they are UTF-8.
    """
    _check_magic(data)
    for bom, name in _BOMS:
        if data.startswith(bom):
            if name == "utf-8" and not need_text:
                return None, name
            return data[len(bom):].decode(name, errors="replace"), name
    counts = _sniff_counts(data, SNIFF_WINDOW)
    utf16 = _utf16_without_bom(counts)
    if utf16 is not None:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    _check_not_binary(counts)
    declared = _declared(data)
    if declared is not None:
        if declared == "utf-8" and not need_text:
            if _utf8_valid(data):
                return None, declared
        else:
            try:
                return data.decode(declared), declared
            except UnicodeDecodeError:
                pass  # a wrong declaration: fall through to the next step
    if declared != "utf-8":
        if not need_text:
            if _utf8_valid(data):
                return None, "utf-8"
        else:
            try:
                return data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
    return _guess(data), "guess"


def detect_encoding(data: bytes) -> tuple[str, str]:
    """Decode page bytes and say how: ``(text, codec)``, the codec "guess" when it was guessed.

    Raises NotHTMLError for binary data, TypeError when ``data`` is not bytes.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode_html expects bytes, got {type(data).__name__}")
    text, codec = _detect(bytes(data), need_text=True)
    assert text is not None
    return text, codec


def detect_codec(data: bytes) -> tuple[str | None, str]:
    """detect_encoding without decoding UTF-8 pages: ``(text or None, codec)``.

    The text is None exactly when the codec is "utf-8": the bytes (after a UTF-8 byte-order
    mark, if any) are then known to be that text. Raises as detect_encoding does.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode_html expects bytes, got {type(data).__name__}")
    return _detect(bytes(data), need_text=False)


def decode_html(data: bytes) -> str:
    """Decode the bytes of an HTML page to text, choosing the charset as browsers roughly do."""
    return detect_encoding(data)[0]
