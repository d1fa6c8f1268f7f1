"""Flatten HTML nested deeper than the parser allows, so the text after a deep nest is not lost.

libxml2 (under lxml) stops parsing for good at 2,048 open elements (256 without ``huge_tree``):
everything after that point -- the rest of the page -- never reaches the tree. Pages get there by
accident (thousands of unclosed ``<font>``/``<span>`` tags, generated nested ``<div>``s) or on
purpose. ``flatten_nesting`` rewrites such a page in one linear scan: start and end tags that
would open elements past ``max_depth`` are removed, their text stays where it was. Used only on
pages whose parse hit the limit, so other pages pay nothing.

The scan tracks nesting as libxml2 does in the common cases (void elements, ``<x/>``, raw-text
elements, the implied ends of ``p``, ``li``, table cells and rows, ``a``, ``option``). Where it
counts too deep it only flattens more; the caller parses again to check, and when the scan was
too shallow, flattens again without implied ends (every start tag open until its end tag).
"""

from __future__ import annotations

import re

__all__ = ["flatten_nesting", "is_depth_error"]

# A start tag (quoted attribute values may hold ">") or an end tag.
_TAG = (rb"</(?P<end>[A-Za-z][^\s/>]*)[^>]*>"
        rb"|<(?P<start>[A-Za-z][^\s/>]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
# One token as a parser reads it: a comment (HTML5's "<!-->" is one), a declaration or
# processing instruction, a raw-text element with its content, or a tag.
_TOKEN = re.compile(
    rb"<!---?>|<!--.*?-->|<[!?][^>]*>"
    rb"|<(script|style|textarea|title|xmp|iframe|noembed|noframes)\b"
    rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*>.*?</\1\s*>|" + _TAG,
    re.DOTALL | re.IGNORECASE,
)
# Every tag, even in comments and scripts: what the scan without implied ends reads.
_EVERY_TAG = re.compile(_TAG, re.DOTALL)
_VOID = frozenset(
    b"area base basefont bgsound br col embed frame hr image img input keygen link meta param "
    b"source track wbr".split()
)
# Start tags that end an open <p> (the block-level elements of the HTML standard's list).
_CLOSES_P = frozenset(
    b"address article aside blockquote center details dialog dir div dl dd dt fieldset figcaption "
    b"figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main menu nav ol p pre section "
    b"summary table ul".split()
)
# start tag -> the open elements it ends when one of them is the innermost (what libxml2 does:
# unlike HTML5 it nests <dd> in <dd> and <thead> in <thead>, so those are not listed)
_IMPLIED_END = {
    b"li": frozenset((b"li",)),
    b"td": frozenset((b"td", b"th")),
    b"th": frozenset((b"td", b"th")),
    b"tr": frozenset((b"td", b"th", b"tr")),
    b"tbody": frozenset((b"td", b"th", b"tr", b"tbody")),
    b"option": frozenset((b"option",)),
    b"a": frozenset((b"a",)),
    b"form": frozenset((b"form",)),
    b"colgroup": frozenset((b"colgroup",)),
}
# never closed by an end tag in the scan: parsers keep the document's frame open
_FRAME = frozenset((b"html", b"head", b"body"))


def is_depth_error(error: object) -> bool:
    """Whether a parser error (lxml's ``error_log.last_error``) is libxml2's nesting-depth limit."""
    return error is not None and "depth" in str(getattr(error, "message", "")).lower()


def flatten_nesting(data: bytes, max_depth: int, *, implied_ends: bool = True,
                    breaks: frozenset[bytes] = frozenset()) -> tuple[bytes, int]:
    """``data`` with the tags of elements nested past ``max_depth`` removed, and how many went.

    A removed tag named in ``breaks`` (block-level elements) leaves ``<br><br>`` in its place, so
    the paragraphs of a flattened part stay apart. ``implied_ends=False`` counts every start tag
    but a void one (even ``<x/>``, even in comments and scripts) as open until its end tag:
    deeper than a parser goes, so the result parses within the limit.
    """
    stack: list[bytes] = []
    open_count: dict[bytes, int] = {}
    dropped: dict[bytes, int] = {}  # start tags removed, by name, whose end tags are still due
    pieces: list[bytes] = []
    last = removed = 0

    def pop() -> None:
        name = stack.pop()
        open_count[name] -= 1

    for m in (_TOKEN if implied_ends else _EVERY_TAG).finditer(data):
        end_name, start_name = m.group("end"), m.group("start")
        if end_name is not None:
            name = end_name.lower()
            if dropped.get(name):
                dropped[name] -= 1
            elif open_count.get(name) and name not in _FRAME:
                while stack[-1] != name:
                    pop()
                pop()
                continue
            else:
                continue
        elif start_name is not None:
            name = start_name.lower()
            if stack and implied_ends:
                top = stack[-1]
                if top == b"p" and name in _CLOSES_P:
                    pop()
                ends = _IMPLIED_END.get(name)
                while ends is not None and stack and stack[-1] in ends:
                    pop()
            if name in _VOID or (implied_ends and m.group("attrs").endswith(b"/")):
                continue
            if len(stack) < max_depth:
                stack.append(name)
                open_count[name] = open_count.get(name, 0) + 1
                continue
            dropped[name] = dropped.get(name, 0) + 1
        else:
            continue
        pieces.append(data[last:m.start()])
        if name in breaks:
            pieces.append(b"<br><br>")
        last = m.end()
        removed += 1
    if not removed:
        return data, 0
    pieces.append(data[last:])
    return b"".join(pieces), removed
