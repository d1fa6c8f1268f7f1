"""Split an HTML page into blocks in one pass over its lxml tree.

A block is the text of one block-level element (``p``, ``h1``..``h6``, ``li``, ``dd``, ``pre``...)
or an *anonymous run*: text that a container (``div``, ``section``, ``td``...) holds directly,
between its block-level children. Each block keeps its tag, DOM path, the class/id tokens of its
element and ancestors, its links and its link density, so later stages can score it without
touching the tree again. docs/html-segmentation.md gives the rules and the reasons for them.
"""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree

from .._compiled import compiled
from ..document import Block, Document, Link
from ..errors import DocumentTooLarge, InputError
from .charset import NotHTMLError, decode_html, detect_codec
from .htmlmeta import PageMeta
from .nesting import flatten_nesting, is_depth_error

__all__ = ["DocumentTooLarge", "NotHTMLError", "decode_html", "segment_html"]

#: Pages larger than this many bytes are refused unless the caller raises ``max_bytes``.
DEFAULT_MAX_BYTES = 20_000_000
#: A table row becomes one block only while every cell holds at most this many characters;
#: longer cells (forum posts, layout tables) stay blocks of their own.
MAX_MERGED_CELL_CHARS = 200
#: Between the cells of a table row merged into one block.
CELL_SEPARATOR = " | "

# Element kinds. Inline ones first; every kind from _BLOCK on starts and ends blocks.
_INLINE, _SEP, _SKIP, _HEAD, _META, _BR, _HR = range(7)
_BLOCK, _CELL, _ROW, _LIST, _LI, _PRE = range(10, 16)

_BLOCK_TAGS = (
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup html legend main nav "
    "noframes p search section summary table tbody tfoot thead"
)
# Never text of the page: code, styling, embedded documents, form option lists, media fallbacks.
_SKIP_TAGS = (
    "script style noscript template svg math iframe frame select option optgroup datalist "
    "textarea video audio canvas object embed applet noembed title"
)
# Inline elements that pages (through CSS) set apart from their neighbours: two adjacent ones get
# a space between them, so "<a>Home</a><a>News</a>" reads "Home News", not "HomeNews".
_SEP_TAGS = "a button label img input"

_KIND: dict[str, int] = {}
_KIND.update(dict.fromkeys(_BLOCK_TAGS.split(), _BLOCK))
_KIND.update(dict.fromkeys(_SKIP_TAGS.split(), _SKIP))
_KIND.update(dict.fromkeys(_SEP_TAGS.split(), _SEP))
_KIND.update(
    {"head": _HEAD, "br": _BR, "hr": _HR, "meta": _META, "link": _META, "td": _CELL, "th": _CELL,
     "tr": _ROW, "ul": _LIST, "ol": _LIST, "menu": _LIST, "dir": _LIST, "li": _LI, "pre": _PRE,
     "listing": _PRE, "xmp": _PRE, "plaintext": _PRE}
)
_METADATA_TAGS = ("script", "title", "meta", "link")
#: Block-level tags (as bytes) whose removal by flatten_nesting leaves a run break.
_BREAK_TAGS = frozenset(t.encode() for t, k in _KIND.items() if k >= _BLOCK)
#: The kinds with <noscript> read as a block container, for pages that show little text otherwise.
_KIND_NOSCRIPT: dict[str, int] = {**_KIND, "noscript": _BLOCK}
#: A page whose visible blocks hold fewer words than this, and that has a <noscript> element, is
#: walked again with <noscript> read as content: some forums (Discourse, Flarum) and single-page
#: apps serve their whole text only there, for clients without JavaScript.
NOSCRIPT_FALLBACK_WORDS = 100
#: ...and that walk is kept only when it finds at least this many more words (and at least twice
#: as many): a "please enable JavaScript" notice or a tracking pixel's fallback is no page text.
NOSCRIPT_MIN_GAIN = 50
#: When a parse stops at libxml2's nesting limit (2,048 open elements), the page is parsed again
#: with the tags of elements nested deeper than this removed (their text kept); see nesting.py.
FLATTEN_DEPTH = 1024
_BR_MARK = "\x00"  # a <br> inside a run; libxml2 never hands NUL characters to Python

# A frame (one open element) is a list, for speed: these name its slots.
_TAG, _KND, _EL, _NTH, _COUNTS, _CLS, _ID, _PATH, _TOKENS, _ANC, _LINK = range(11)


def _split_tokens(
    cls: str | None, ident: str | None, seen: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """Lowercased class and id tokens, each followed by its parts split on - and _.

    ``seen`` remembers each raw token's expansion for the rest of one page.
    """
    joined = ((cls or "") + " " + (ident or "")).lower()
    if "-" not in joined and "_" not in joined:
        return tuple(dict.fromkeys(joined.split()))
    out: list[str] = []
    for raw in joined.split():
        expanded = seen.get(raw)
        if expanded is None:
            expanded = seen[raw] = (raw, *filter(None, raw.replace("_", "-").split("-")))
        out.extend(expanded)
    return tuple(dict.fromkeys(out))


def _hides(style: str) -> bool:
    """Whether an inline style hides the element (display:none or visibility:hidden)."""
    s = style.lower().replace(" ", "")
    return "display:none" in s or "visibility:hidden" in s


_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
          (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def _ordinal(n: int, style: str) -> str:
    """The marker of item ``n`` in an ordered list of ``type`` style ("1", "a", "A", "i", "I")."""
    if style in ("a", "A") and n > 0:
        letters = ""
        while n > 0:
            n, r = divmod(n - 1, 26)
            letters = chr(97 + r) + letters
        return letters.upper() if style == "A" else letters
    if style in ("i", "I") and 0 < n < 4000:
        numerals = ""
        for value, sym in _ROMAN:
            count, n = divmod(n, value)
            numerals += sym * count
        return numerals.upper() if style == "I" else numerals
    return str(n)


def _int_attr(value: str | None) -> int | None:
    """An integer attribute value, or None when it is missing or not a number."""
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def _pre_text(raw: str) -> str:
    """The text of a run inside <pre>: lines kept, trailing spaces and blank edge lines dropped."""
    lines = [ln.rstrip() for seg in raw.split(_BR_MARK) for ln in seg.splitlines()]
    while lines and not lines[0].strip():
        del lines[0]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _ordered_list(el: Any) -> list[Any]:
    """The counter of an <ol>: [True, first number, step, marker style]."""
    style = (el.get("type") or "1").strip()[:1] or "1"
    step = -1 if el.get("reversed") is not None else 1
    start = _int_attr(el.get("start"))
    if start is None:
        start = len(el.findall("li")) if step < 0 else 1
    return [True, start, step, style]


def _ordered_bullet(entry: list[Any], el: Any) -> str:
    """The marker of an item of an ordered list ("3.", "c.", "iv."); advances the counter."""
    number = _int_attr(el.get("value"))
    if number is None:
        number = entry[1]
    entry[1] = number + entry[2]
    return _ordinal(number, entry[3]) + "."


class _Walker:
    """The state of one segmentation pass; built per call, never shared.

    The text of the current run lives in ``parts`` (cleared in place at each block boundary);
    ``parts`` is non-empty exactly when the run holds non-space text.
    """

    def __init__(self, kinds: dict[str, int] = _KIND) -> None:
        self.kinds = kinds  # tag -> kind; _KIND_NOSCRIPT for the noscript fallback
        self.blocks: list[Block] = []
        self.stack: list[list[Any]] = []
        self.bpos: list[int] = []  # stack positions of the open block-level elements
        # per-page caches for class tokens: raw token -> parts, (class, id) -> tokens
        self.seen_tokens: dict[str, tuple[str, ...]] = {}
        self.own_tokens: dict[tuple[str | None, str | None], tuple[str, ...]] = {}
        self.meta = PageMeta()
        self.parts: list[str] = []
        self.link_parts: dict[int, list[str]] = {}
        self.link_order: list[int] = []  # links of the current run, in order of appearance
        self.hrefs: list[str] = []
        self.open_links: list[int] = []
        self.lists: list[list[Any]] = []  # [ordered, next number, step, marker style]
        self.bullet = ""
        self.rows: list[list[Any]] = []  # [first block index, has block-level content, stack pos]
        self.pre_depth = 0

    def link_text(self, s: str) -> None:
        """Credit text of the current run to the innermost open link."""
        lid = self.open_links[-1]
        lp = self.link_parts.get(lid)
        if lp is None:
            self.link_parts[lid] = [s]
            self.link_order.append(lid)
        else:
            lp.append(s)

    def describe(self, pos: int) -> list[Any]:
        """Fill in path, class tokens and ancestor tags of stack[pos] and the frames above it."""
        stack = self.stack
        frame = stack[pos]
        if frame[_PATH] is not None:
            return frame
        start = pos
        while start > 0 and stack[start - 1][_PATH] is None:
            start -= 1
        own_cache, seen = self.own_tokens, self.seen_tokens
        for k in range(start, pos + 1):
            f = stack[k]
            p = stack[k - 1] if k else None
            inherited = p[_TOKENS] if p is not None else ()
            if f[_CLS] is None and f[_ID] is None:
                f[_TOKENS] = inherited
            else:
                key = (f[_CLS], f[_ID])
                own = own_cache.get(key)
                if own is None:
                    own = own_cache[key] = _split_tokens(f[_CLS], f[_ID], seen)
                # A plain concatenation: deduplicating across levels cost a third of the walk.
                f[_TOKENS] = own + inherited
            seg = f[_TAG] if f[_NTH] == 1 else f"{f[_TAG]}[{f[_NTH]}]"
            if p is None:
                f[_PATH], f[_ANC] = seg, ()
            else:
                f[_PATH] = p[_PATH] + "/" + seg
                f[_ANC] = p[_ANC] + (p[_TAG],)
        return frame

    def flush(self) -> None:
        """End the current run: its text becomes a Block when there is any."""
        parts, link_order = self.parts, self.link_order
        if not parts:
            link_order.clear()
            self.link_parts.clear()
            return
        raw = "".join(parts)
        parts.clear()
        if self.pre_depth:
            text = _pre_text(raw)
        elif _BR_MARK in raw:
            text = "\n".join(filter(None, (" ".join(seg.split()) for seg in raw.split(_BR_MARK))))
        else:
            text = " ".join(raw.split())
        links: tuple[Link, ...] = ()
        density = 0.0
        if link_order:
            hrefs, link_parts = self.hrefs, self.link_parts
            links = tuple(
                Link(" ".join("".join(link_parts.get(lid, ())).replace(_BR_MARK, " ").split()),
                     hrefs[lid])
                for lid in link_order
            )
            link_parts.clear()
            link_order.clear()
            if text:
                density = min(1.0, sum(len(link.text) for link in links) / len(text))
        if not text or not self.bpos:
            return
        owner = self.describe(self.bpos[-1])
        bullet, self.bullet = self.bullet, ""
        self.blocks.append(Block(
            len(self.blocks), text, bullet, owner[_TAG], owner[_PATH], owner[_TOKENS], links,
            density, signals={"ancestors": owner[_ANC]}, element=owner[_EL],
        ))

    def end_row(self) -> None:
        """Merge the cell blocks of a simple table row (no block-level content) into one block."""
        first, has_blocks, pos = self.rows.pop()
        cells = self.blocks[first:]
        if has_blocks or not cells or any(len(b.text) > MAX_MERGED_CELL_CHARS for b in cells):
            return
        pieces: list[str] = []
        links: list[Link] = []
        prev = None
        for b in cells:
            if pieces:
                pieces.append("\n" if b.element is prev else CELL_SEPARATOR)
            pieces.append(b.text)
            links.extend(b.links)
            prev = b.element
        text = "".join(pieces)
        row = self.describe(pos)
        density = min(1.0, sum(len(link.text) for link in links) / len(text)) if links else 0.0
        del self.blocks[first:]
        self.blocks.append(Block(
            first, text, cells[0].bullet, "tr", row[_PATH], row[_TOKENS], tuple(links), density,
            signals={"ancestors": row[_ANC], "cells": len({id(b.element) for b in cells})},
            element=row[_EL],
        ))

    def open_list(self, tag: str, el: Any) -> None:
        """Start a list: ordered lists count from ``start`` (down, when ``reversed``)."""
        self.lists.append(_ordered_list(el) if tag == "ol" else [False, 0, 0, ""])

    def next_bullet(self, el: Any) -> str:
        """The marker of a list item: "•" in unordered lists, "3." style in ordered ones."""
        if not self.lists or not self.lists[-1][0]:
            return "•"
        return _ordered_bullet(self.lists[-1], el)

    def open_special(self, frame: list[Any], el: Any) -> None:
        """Enter a list, list item, table row or cell, or pre (already on the stack)."""
        kind = frame[_KND]
        if kind == _LI:
            self.bullet = self.next_bullet(el)
        elif kind == _LIST:
            self.open_list(frame[_TAG], el)
        elif kind == _ROW:
            self.rows.append([len(self.blocks), False, len(self.stack) - 1])
        elif kind == _PRE:
            self.pre_depth += 1

    def close_special(self, frame: list[Any]) -> None:
        """Leave a list, list item, table row or cell, or pre (still on the stack)."""
        kind = frame[_KND]
        if kind == _ROW and self.rows and self.rows[-1][2] == len(self.stack) - 1:
            self.end_row()
        elif kind == _LIST and self.lists:
            self.lists.pop()
        elif kind == _LI:
            self.bullet = ""
        elif kind == _PRE:
            self.pre_depth -= 1

    def walk(self, root: Any) -> None:
        """One pass over the tree with lxml's iterwalk: no recursion, no per-block XPath.

        The common case (inline elements and their text) is written out inline: this loop runs
        for every element of every page, and method calls would double its cost.
        """
        walker = etree.iterwalk(root, events=("start", "end"))
        stack, bpos, kinds, rows = self.stack, self.bpos, self.kinds, self.rows
        parts, link_order, open_links = self.parts, self.link_order, self.open_links
        space = 0  # 1: an element just ended, 2: a separating one did (see _SEP_TAGS)
        after_br = False  # the run ends in a <br>
        skipped = None  # a skipped element: its end event only brings its tail
        for event, el in walker:
            if event == "end":
                if el is skipped:
                    skipped = None
                else:
                    frame = stack[-1]
                    kind = frame[_KND]
                    if kind >= _BLOCK:
                        if parts or link_order:
                            self.flush()
                        if kind != _BLOCK:
                            self.close_special(frame)
                        bpos.pop()
                        after_br, space = False, 0
                    elif kind == _SEP:
                        if frame[_LINK]:
                            open_links.pop()
                        space = 2
                    elif space != 2:
                        space = 1
                    stack.pop()
                text = el.tail
            else:
                tag = el.tag
                if type(tag) is not str:  # comments, processing instructions, entities
                    walker.skip_subtree()
                    skipped = el
                    continue
                kind = kinds.get(tag, _INLINE)
                cls = ident = href = None
                hidden = False
                for name, value in el.items():
                    if name == "class":
                        cls = value
                    elif name == "id":
                        ident = value
                    elif name == "href":
                        href = value
                    elif name == "style":
                        hidden = hidden or (("none" in value or "hidden" in value)
                                            and _hides(value))
                    elif name == "hidden" or (name == "aria-hidden"
                                              and value.strip().lower() == "true"):
                        hidden = True
                if _SKIP <= kind <= _HR:  # never part of a block's path, so not counted
                    walker.skip_subtree()
                    skipped = el
                    if hidden:
                        continue
                    if kind == _BR:
                        if parts:
                            if after_br:
                                self.flush()
                                after_br = False
                            else:
                                parts.append(_BR_MARK)
                                after_br = True
                    elif kind == _HR:
                        if parts or link_order:
                            self.flush()
                        after_br = False
                    elif kind == _HEAD:
                        for child in el.iter(*_METADATA_TAGS):
                            self.meta.element(child.tag, child)
                    elif tag in _METADATA_TAGS:
                        self.meta.element(tag, el)
                    continue
                n = 1  # position among same-tag siblings, for the path
                if stack:
                    counts = stack[-1][_COUNTS]
                    if counts is None:
                        stack[-1][_COUNTS] = {tag: 1}
                    else:
                        n = counts[tag] = counts.get(tag, 0) + 1
                if hidden and tag != "html" and tag != "body":
                    walker.skip_subtree()
                    skipped = el
                    continue
                frame = [tag, kind, el, n, None, cls, ident, None, (), (), False]
                if kind >= _BLOCK:
                    if parts or link_order:
                        self.flush()
                    if rows and kind != _CELL:
                        rows[-1][1] = True  # the row holds block-level content
                    stack.append(frame)
                    bpos.append(len(stack) - 1)
                    if kind != _BLOCK:
                        self.open_special(frame, el)
                    after_br, space = False, 0
                else:
                    if space and (space == 2 or kind == _SEP) and parts:
                        parts.append(" ")
                    space = 0
                    stack.append(frame)
                    if href is not None and tag == "a":
                        lid = len(self.hrefs)
                        self.hrefs.append(href.strip())
                        open_links.append(lid)
                        frame[_LINK] = True
                        # the link belongs to this run even when it has no text (icon links)
                        self.link_parts[lid] = []
                        link_order.append(lid)
                text = el.text
            if text:
                space = 0
                if parts:
                    if after_br and not text.isspace():
                        after_br = False
                elif text.isspace():
                    continue
                parts.append(text)
                if open_links:
                    self.link_text(text)
        self.flush()


_local = threading.local()


def _parser() -> etree.HTMLParser:
    """This thread's HTML parser: made once per thread, as setting one up costs a few percent of
    a parse; never shared between threads, since lxml lets one parser parse one page at a time."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser(
            encoding="utf-8", recover=True, huge_tree=True, remove_comments=True,
            remove_pis=True, no_network=True, collect_ids=False, default_doctype=False,
        )
    return parser


def _encode(html: str | bytes, max_bytes: int, hint: str | None = None) -> tuple[bytes, str]:
    """UTF-8 bytes for lxml and the charset they were decoded from ("" for str input); ``hint``
    is the transport's charset (charset.detect_codec's ``encoding``)."""
    if isinstance(html, str):
        if len(html) > max_bytes:
            raise DocumentTooLarge(
                f"page is at least {len(html):,} bytes, over the max_bytes cap of {max_bytes:,}"
            )
        data, encoding = _encode_str(html), ""
    elif isinstance(html, (bytes, bytearray, memoryview)):
        data = bytes(html)
        if len(data) <= max_bytes:
            text, encoding = detect_codec(data, hint)  # text is None for UTF-8: no need to decode
            if text is not None:
                data = text.encode("utf-8", errors="replace")
            elif data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
    else:
        raise TypeError(f"segment_html expects str or bytes, got {type(html).__name__}")
    if len(data) > max_bytes:
        raise DocumentTooLarge(
            f"page is {len(data):,} bytes, over the max_bytes cap of {max_bytes:,}"
        )
    return data, encoding


def segment_html(
    html: str | bytes,
    url: str = "",
    *,
    title: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    encoding: str | None = None,
) -> Document:
    """Split an HTML page into Blocks and read its title, URL, language and JSON-LD article.

    Malformed or truncated HTML never raises; it yields what the parser recovered. ``encoding``
    is the charset the transport declared for bytes (an HTTP Content-Type or its charset label).
    Raises DocumentTooLarge for pages over ``max_bytes``, NotHTMLError for binary bytes and
    TypeError for input that is neither str nor bytes.
    """
    return _segment_html(html, url, title, max_bytes, pure=False, hint=encoding)


def _segment_html(
    html: str | bytes, url: str, title: str | None, max_bytes: int, *, pure: bool, hint: str | None = None
) -> Document:
    """segment_html; ``pure`` forces the pure-Python walker (tests compare it with the compiled one)."""
    if not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    data, encoding = _encode(html, max_bytes, hint)
    metadata: dict[str, Any] = {"encoding": encoding} if encoding else {}
    root = None
    if data and not data.isspace():  # data.strip() would copy every page that ends in a newline
        try:
            root = _parse(data, metadata)
        except (etree.LxmlError, ValueError) as exc:  # rare with recover=True
            if isinstance(exc, InputError):
                raise
            metadata["parse_error"] = f"lxml could not parse the page: {exc}"
    if root is None:
        return Document(blocks=[], title=title or "", url=url, metadata=metadata)
    blocks, meta = _walk_tree(root, _KIND, pure)
    before = _words_below(blocks, NOSCRIPT_FALLBACK_WORDS)
    if before is not None and root.find(".//noscript") is not None:
        more, more_meta = _walk_tree(root, _KIND_NOSCRIPT, pure)
        after = sum(len(b.text.split()) for b in more)
        if after >= max(2 * before, before + NOSCRIPT_MIN_GAIN):
            blocks, meta = more, more_meta
            metadata["noscript_fallback"] = True
    headings = [b.text for b in blocks if b.tag == "h1"][:5]
    doc_title, doc_url = meta.resolve(root, headings, url, title, metadata)
    return Document(blocks=blocks, title=doc_title, url=doc_url, metadata=metadata, root=root)


def _parse(data: bytes, metadata: dict[str, Any]) -> Any:
    """The page's tree; a page nested past the parser's limit is flattened first (see nesting.py),
    since the parser drops everything after the point where it gives up."""
    parser = _parser()
    root = etree.fromstring(data, parser)
    error = parser.error_log.last_error
    if not is_depth_error(error):
        return root
    for implied in (True, False):  # as libxml2 nests, then counting every start tag as open
        flat, removed = flatten_nesting(data, FLATTEN_DEPTH, implied_ends=implied,
                                        breaks=_BREAK_TAGS)
        root = etree.fromstring(flat, parser)
        if not is_depth_error(parser.error_log.last_error):
            metadata["flattened_tags"] = removed
            return root
    raise InputError(
        f"page nests elements past the HTML parser's depth limit (line {error.line}, column "
        f"{error.column}: {error.message.strip()}) and flattening it to {FLATTEN_DEPTH} levels "
        "did not help"
    )


def _walk_tree(root: Any, kinds: dict[str, int], pure: bool) -> tuple[list[Block], PageMeta]:
    """The blocks and page metadata of one walk, compiled unless ``pure`` (or not built)."""
    if _compiled_walk is None or pure:
        walker = _Walker(kinds)
        walker.walk(root)
        return walker.blocks, walker.meta
    return _compiled_walk.walk(root, kinds)


def _words_below(blocks: list[Block], limit: int) -> int | None:
    """The blocks' whitespace-separated words in all, or None when there are ``limit`` or more.

    O(1) on most pages: every block holds at least one word, so ``limit`` blocks are enough.
    """
    if len(blocks) >= limit:
        return None
    words = 0
    for b in blocks:
        words += len(b.text.split())
        if words >= limit:
            return None
    return words


def _encode_str_py(html: str) -> bytes:
    """A str page as UTF-8 for lxml (a lone surrogate becomes "?")."""
    return html.encode("utf-8", errors="replace")


_utf8 = compiled("segment._utf8")
#: _encode_str_py, compiled when built (Python's encoder is slow on non-ASCII pages).
_encode_str = _utf8.encode_utf8 if _utf8 is not None else _encode_str_py

# The compiled twin of _Walker.walk (src/unboil/segment/_walk.pyx), or None when it is not built
# or UNBOIL_PURE_PYTHON is set. Loaded last: it reads this module's helpers on first use.
_compiled_walk = compiled("segment._walk")
