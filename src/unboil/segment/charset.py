"""Turn the bytes of a crawled page into text: BOM, HTTP charset, meta, UTF-8, then a best guess.

The order is the browsers' (the WHATWG "encoding sniffing" steps), with crawl-proof checks:

1. A byte-order mark wins. BOM-less UTF-16 is recognised by the NULs of its ASCII markup.
2. Bytes that are UTF-8 text (more well-formed multi-byte characters than stray bytes) are
   UTF-8, whatever a label says: a single-byte charset decodes every byte, so a wrong label can
   only be caught this way, and reading UTF-8 as one turns each character into two or three.
3. The charset the transport declared (the HTTP ``Content-Type``, passed as ``encoding``), then
   the page's own ``<meta charset>`` / ``http-equiv`` / ``<?xml encoding?>``: each is used when
   it decodes all but a few bytes (and turns none into C1 control characters), so a wrong
   declaration falls through; a declared UTF-8 is kept with as many stray bytes. A server-default ISO-8859-1 header yields to a meta.
4. UTF-8 with a few stray bytes (each becomes one U+FFFD; the rest of the page is untouched).
5. A guess: charset-normalizer when installed, else windows-1252.

Bytes that are plainly not a page (images, archives, NUL-heavy or control-heavy junk, base64,
bytes no charset reads as text) raise :class:`NotHTMLError` instead of becoming garbage blocks.
"""

from __future__ import annotations

import codecs
import re

from .._compiled import compiled
from ..errors import InputError
from .charset_labels import Label, charset_of_content_type, guess_codec, label_codec

__all__ = ["NotHTMLError", "check_text", "decode_html", "detect_codec", "detect_encoding"]

#: How far into the page a charset declaration is looked for.
DECLARATION_WINDOW = 4096
#: How many leading bytes are inspected for binary junk.
SNIFF_WINDOW = 8192
#: How many bytes charset-normalizer sees when guessing (it is slow on whole pages).
GUESS_WINDOW = 65536
#: How much more "chaos" (charset-normalizer's mess score, 0..1) cp1252 may show and still win.
CP1252_MARGIN = 0.1
#: A declared legacy charset may fail on this many bytes (or 1 in STRAY_PER_BYTES, if more).
STRAY_MIN = 4
STRAY_PER_BYTES = 1000
#: How many leading characters of a decoded page the junk check reads.
JUNK_SAMPLE = 65536
#: A decoded page with more control characters than this share (or 4) is binary data.
MAX_CONTROL_SHARE = 0.05
#: A decoded page with more U+FFFD replacement characters than this share is unreadable.
MAX_REPLACEMENT_SHARE = 0.25
#: Bytes no charset reads as text are junk when more than this share of them is not ASCII.
MAX_UNREADABLE_NON_ASCII = 0.3
#: Whitespace-separated runs this long on average, all in base64's alphabet, are base64 data.
BASE64_MIN_RUN = 40

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
_HIGH_BYTES = bytes(range(128, 256))

_DECLARED = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_:.+-]+)""",
    re.IGNORECASE,
)
# what a legacy decoding that went wrong leaves: C1 controls (ISO-8859 has no text there), U+FFFD,
# and private-use characters (the vendor areas of cp932, big5hkscs... that no page uses)
_MISREAD = re.compile("[\x80-\x9f\ufffd\ue000-\uf8ff]")
# control characters a page's text never holds (tab, LF, FF and CR are text)
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MARKUP = re.compile(r"<[A-Za-z!/?]")
_BASE64_RUN = re.compile(r"(?:data:[\w/+.-]*;base64,)?[A-Za-z0-9+/_-]+=*")
_ESCAPED = re.compile("[\udc80-\udcff]")


class NotHTMLError(InputError):
    """Raised when bytes handed in as a page are binary data, not HTML or text (a ValueError)."""


def _not_html(why: str) -> NotHTMLError:
    return NotHTMLError(f"does not look like HTML or text: {why}")


def _check_magic(data: bytes) -> None:
    """Raise NotHTMLError when the bytes start with the signature of a known binary format."""
    what = next((what for magic, what in _MAGIC if data.startswith(magic)), None)
    if what is None and data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        what = "a RIFF container (WebP, WAV or AVI)"
    if what is None and data.startswith(b"BZh") and data[4:10] == b"1AY&SY":
        what = "bzip2-compressed data (decompress it first)"
    if what is not None:
        raise _not_html(f"starts like {what}")


def _sniff_counts_py(data: bytes, window: int) -> tuple[int, int, int, int]:
    """Over ``data[:window]``: (length, NULs at even offsets, NULs at odd offsets, control bytes
    that never occur in text)."""
    sample = data[:window]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    bad = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    return len(sample), even, odd, bad


def _check_not_binary(counts: tuple[int, int, int, int], utf16: str | None) -> None:
    """Raise NotHTMLError when the leading bytes hold NULs or more control bytes than text has."""
    size, even, odd, bad = counts
    if not size:
        return
    nul = even + odd
    if nul > 8 or bad > max(4, 0.05 * size):
        why = f"{bad} control bytes ({nul} NUL) in the first {size} bytes"
        if utf16 is not None:
            why += (f"; its NULs fall on every other byte as in {utf16.upper()} without a byte-order mark, "
                    "but it does not decode to an HTML page in UTF-16")
        raise _not_html(why)


def _utf16_without_bom(counts: tuple[int, int, int, int]) -> tuple[str, bool] | None:
    """BOM-less UTF-16 from NUL bytes falling on one parity: (codec, strong). Strong is ASCII text,
    a NUL on nearly every other byte; otherwise the NULs are fewer (non-Latin text) and the
    decoded page must show markup to count."""
    size, even_nul, odd_nul, _ = counts
    if size < 16:
        return None
    n_even, n_odd = (size + 1) // 2, size // 2
    if odd_nul > 0.4 * n_odd and even_nul < 0.05 * n_even:
        return "utf-16-le", True
    if even_nul > 0.4 * n_even and odd_nul < 0.05 * n_odd:
        return "utf-16-be", True
    if max(even_nul, odd_nul) >= 8 and 4 * min(even_nul, odd_nul) <= max(even_nul, odd_nul):
        return ("utf-16-le" if odd_nul > even_nul else "utf-16-be"), False
    return None


def _read_utf16(data: bytes, codec: str, strong: bool) -> str | None:
    """The page as BOM-less UTF-16, or None when it is no UTF-16 page after all."""
    try:
        text = data[: len(data) & ~1].decode(codec)  # a payload cut by one byte loses that byte
    except UnicodeDecodeError:
        return None
    if not strong and _MARKUP.search(text, 0, SNIFF_WINDOW) is None:
        return None
    if _junk_reason(text) is not None:
        return None
    return text


def _declared(data: bytes) -> Label | None:
    """The web charset named by the first charset declaration in the first few kilobytes, if any."""
    for match in _DECLARED.finditer(data, 0, DECLARATION_WINDOW):
        label = label_codec((match.group(1) or match.group(2) or b"").decode("ascii", "replace"))
        if label is not None:
            return label
    return None


def _hinted(encoding: str | None) -> Label | None:
    """The web charset a transport declared: a label ("iso-8859-2") or a Content-Type value."""
    if encoding is None:
        return None
    if not isinstance(encoding, str):
        raise TypeError(f"encoding must be a charset label or a Content-Type str, got {type(encoding).__name__}")
    label = charset_of_content_type(encoding)
    return label_codec(label) if label else None


def _candidates(data: bytes, encoding: str | None) -> list[Label]:
    """The declared charsets to try, in order: the transport's, then the page's; a server-default
    header goes after a meta that names another charset."""
    http, meta = _hinted(encoding), _declared(data)
    if http is not None and http.server_default and meta is not None and meta.codec != http.codec:
        http, meta = meta, http
    return [label for label in (http, meta) if label is not None]


def _few(size: int) -> int:
    """How many bytes a declared charset may fail on and still be the page's charset."""
    return max(STRAY_MIN, size // STRAY_PER_BYTES)


def _decode_legacy(data: bytes, codec: str) -> tuple[str, int] | None:
    """The bytes decoded with ``codec`` and how many came out misread (U+FFFD or a C1 control);
    None when the codec cannot run at all."""
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
    except (UnicodeError, LookupError):
        return None
    return text, len(_MISREAD.findall(text))


def _junk_reason(text: str) -> str | None:
    """Why a decoded page is no text (control or replacement characters), or None."""
    sample = text[:JUNK_SAMPLE]
    n = len(sample)
    controls = len(_CONTROLS.findall(sample))
    if controls > max(4, MAX_CONTROL_SHARE * n):
        return f"{controls} of its first {n:,} characters are control characters"
    replaced = sample.count("\ufffd")
    if replaced > max(4, MAX_REPLACEMENT_SHARE * n):
        return f"{replaced} of its first {n:,} characters are U+FFFD (bytes no charset could read)"
    return None


def _refuse_junk(text: str, how: str = "") -> None:
    reason = _junk_reason(text)
    if reason is not None:
        raise _not_html(f"{how}, {reason}" if how else reason)


def _looks_base64(sample: str) -> bool:
    """Whether text is base64 data: long whitespace-separated runs, all of base64's alphabet."""
    runs = sample.split()
    total = sum(map(len, runs))
    if total < 2 * BASE64_MIN_RUN or total < BASE64_MIN_RUN * len(runs):
        return False
    return all(_BASE64_RUN.fullmatch(run) for run in runs)


def _check_not_base64(data: bytes) -> None:
    """Raise NotHTMLError for base64 bytes; O(1) for pages, whose markup starts early."""
    if data.find(b"<", 0, SNIFF_WINDOW) >= 0:
        return
    sample = data[:SNIFF_WINDOW]
    if sample.isascii() and _looks_base64(sample.decode("ascii")):
        raise _not_html("it is base64-encoded data (decode it first)")


def _guess(data: bytes, invalid: int, multibyte: int) -> str:
    """Decode bytes of unknown charset: charset-normalizer when installed, else cp1252.

    cp1252 is the web's most common legacy charset, so it is kept whenever charset-normalizer
    finds it nearly as clean as its own best pick (which, on short Western text, is often a
    Baltic or Central European code page that turns "ë" into "ė"). A page with only a few
    non-ASCII bytes reads the same in every ASCII-based charset but for those: cp1252 it is,
    without asking charset-normalizer. Raises NotHTMLError when no charset reads the bytes.
    """
    if multibyte == 0 and invalid <= _few(len(data)):
        return data.decode("cp1252", errors="replace")
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return data.decode("cp1252", errors="replace")
    sample = data[:GUESS_WINDOW]
    matches = from_bytes(sample)
    best = matches.best()
    if best is None:
        share = 1 - len(sample.translate(None, _HIGH_BYTES)) / max(1, len(sample))
        if share > MAX_UNREADABLE_NON_ASCII:
            raise _not_html(f"no charset decodes its bytes to readable text ({share:.0%} of the "
                            f"first {len(sample):,} bytes are not ASCII)")
        return data.decode("cp1252", errors="replace")
    if any(m.encoding == "cp1252" and m.chaos <= best.chaos + CP1252_MARGIN for m in matches):
        return data.decode("cp1252", errors="replace")
    name = next((c for c in (guess_codec(m.encoding) for m in matches) if c is not None), "cp1252")
    text = data.decode(name, errors="replace")
    _refuse_junk(text, f"decoded as {name} (a guess)")
    return text


def _utf8_valid_py(data: bytes) -> bool:
    """Whether the bytes are strict UTF-8 (decoding them is the check)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _utf8_scan_py(data: bytes) -> tuple[int, int]:
    """``(invalid bytes, characters above U+007F)`` of the bytes read as UTF-8."""
    try:
        text = data.decode("utf-8")
        invalid = 0
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="surrogateescape")  # each invalid byte: one U+DCxx
        invalid = len(_ESCAPED.findall(text))
    ascii_bytes = len(data.translate(None, _HIGH_BYTES))
    return invalid, len(text) - ascii_bytes - invalid


_utf8 = compiled("segment._utf8")
#: Whether bytes are strict UTF-8, without keeping the decoded text (compiled when built).
_utf8_valid = _utf8.utf8_valid if _utf8 is not None else _utf8_valid_py
#: (invalid bytes, multi-byte characters) of bytes read as UTF-8 (compiled when built).
_utf8_scan = _utf8.utf8_scan if _utf8 is not None else _utf8_scan_py
#: The leading-bytes counts behind the UTF-16 and binary checks (compiled when built).
_sniff_counts = _utf8.sniff_counts if _utf8 is not None else _sniff_counts_py


def _as_utf8(data: bytes, invalid: int, need_text: bool) -> tuple[str | None, str]:
    """The bytes as UTF-8: None for well-formed bytes unless ``need_text``; each stray byte a U+FFFD."""
    if not invalid:
        return (data.decode("utf-8") if need_text else None), "utf-8"
    text = data.decode("utf-8", errors="replace")
    _refuse_junk(text, "decoded as UTF-8")
    return text, "utf-8"


def _detect(data: bytes, need_text: bool, encoding: str | None) -> tuple[str | None, str]:
    """detect_encoding's decision; a well-formed UTF-8 page's text is None unless ``need_text``.

    Callers that hand the bytes on to a UTF-8 parser only need to know they are UTF-8.
    """
    _check_magic(data)
    for bom, name in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            if name == "utf-8":
                return _as_utf8(body, 0 if _utf8_valid(body) else _utf8_scan(body)[0], need_text)
            text = body.decode(name, errors="replace")
            _refuse_junk(text, f"decoded as {name.upper()} (its byte-order mark)")
            return text, name
    counts = _sniff_counts(data, SNIFF_WINDOW)
    utf16 = _utf16_without_bom(counts)
    if utf16 is not None:
        text = _read_utf16(data, *utf16)
        if text is not None:
            return text, utf16[0]
    _check_not_binary(counts, utf16[0] if utf16 is not None else None)
    _check_not_base64(data)
    if _utf8_valid(data):  # most pages: no count needed, only whether there is non-ASCII text
        invalid, multibyte = 0, int(not data.isascii())
    else:
        invalid, multibyte = _utf8_scan(data)
    utf8_fits = invalid <= multibyte  # so is ASCII, (0, 0)
    if utf8_fits and multibyte:
        return _as_utf8(data, invalid, need_text)
    for label in _candidates(data, encoding):
        if label.codec == "utf-8":
            # declared, with real UTF-8 characters: a few stray bytes are allowed (with none,
            # the stray bytes are likelier a legacy page's letters: the guess reads them)
            if utf8_fits or (multibyte and invalid <= _few(len(data))):
                return _as_utf8(data, invalid, need_text)
            continue  # a wrong declaration: try the next one
        decoded = _decode_legacy(data, label.codec)
        if decoded is not None and decoded[1] <= _few(len(data)):
            return decoded[0], label.codec
    if utf8_fits:
        return _as_utf8(data, invalid, need_text)
    return _guess(data, invalid, multibyte), "guess"


def _check_bytes(data: object) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode_html expects bytes, got {type(data).__name__}")
    return bytes(data)


def detect_encoding(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode page bytes and say how: ``(text, codec)``, the codec "guess" when it was guessed.

    ``encoding`` is the charset the transport declared: a label ("iso-8859-2") or a whole HTTP
    Content-Type value ("text/html; charset=iso-8859-2"). Raises NotHTMLError for binary data,
    TypeError when ``data`` is not bytes.
    """
    text, codec = _detect(_check_bytes(data), True, encoding)
    assert text is not None
    return text, codec


def detect_codec(data: bytes, encoding: str | None = None) -> tuple[str | None, str]:
    """detect_encoding without decoding well-formed UTF-8 pages: ``(text or None, codec)``.

    The text is None only when the codec is "utf-8" and the bytes (after a UTF-8 byte-order
    mark, if any) are well-formed UTF-8: they are then that text. A UTF-8 page with stray bytes
    comes back decoded. Raises as detect_encoding does.
    """
    return _detect(_check_bytes(data), False, encoding)


def decode_html(data: bytes, encoding: str | None = None) -> str:
    """Decode the bytes of an HTML page to text, choosing the charset as browsers roughly do."""
    return detect_encoding(data, encoding)[0]


def check_text(text: str) -> None:
    """Raise NotHTMLError when a page given as str is junk: control characters, U+FFFD, base64.

    For pages that arrive already decoded (a JSON string), which no charset step has looked at.
    """
    _refuse_junk(text)
    if "<" not in text[:SNIFF_WINDOW] and _looks_base64(text[:SNIFF_WINDOW]):
        raise _not_html("it is base64-encoded data (decode it first)")
