"""Round-2 speed paths of the widgets detector: block and link fields read straight from their
slots give the same signals as attribute access, for subclasses and odd objects too."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path

import pytest

from unboil._compiled import compiled
from unboil.detect import widgets
from unboil.detect.lexicon_loader import load_lexicon
from unboil.document import Block, Document, Link
from unboil.segment.html import segment_html

KERNEL = compiled("detect._widgets")
needs_kernel = pytest.mark.skipif(KERNEL is None, reason="detect._widgets is not compiled here")
AEB = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aeb" / "html"


class SubBlock(Block):
    """A Block subclass: read through getattr, never by slot offset."""

    __slots__ = ()


class LoudBlock(Block):
    """A subclass whose text is a property: the slot must not be read."""

    __slots__ = ()

    @property  # type: ignore[override]
    def text(self) -> str:
        return "Share on Facebook Twitter"

    @text.setter
    def text(self, value: str) -> None:
        pass


class SubLink(Link):
    __slots__ = ()


def _blocks() -> list[Block]:
    return [
        Block(0, "Share", links=(Link("Share", "https://www.facebook.com/sharer.php?u=x"),)),
        Block(1, "Facebook"),
        Block(2, "A paragraph of ordinary prose about the weather in the mountains today."),
        Block(3, "Follow us", class_tokens=("social-follow",), link_density=1.0,
              links=(Link("Follow us", "https://twitter.com/somebody"),)),
        Block(4, "Read also: the other story", class_tokens=("related",)),
    ]


def _signals(blocks: list[Block], kernel: object) -> list[dict]:
    doc = Document(blocks)
    widgets._annotate(doc, load_lexicon(), widgets.DEFAULT_CONFIG, kernel)
    return [b.signals for b in doc.blocks]


@needs_kernel
def test_subclasses_and_mixed_pages_read_like_plain_blocks() -> None:
    plain = _blocks()
    expected = _signals(copy.deepcopy(plain), None)
    assert _signals(copy.deepcopy(plain), KERNEL) == expected
    mixed = [SubBlock(b.index, b.text, links=tuple(SubLink(lk.text, lk.href) for lk in b.links),
                      class_tokens=b.class_tokens, link_density=b.link_density)
             if b.index % 2 else copy.deepcopy(b) for b in plain]
    assert _signals(mixed, KERNEL) == expected
    assert _signals([SubBlock(**{f: getattr(b, f) for f in ("index", "text", "links",
                                                            "class_tokens", "link_density")})
                     for b in plain], KERNEL) == expected


@needs_kernel
def test_a_property_on_a_subclass_wins_over_the_slot() -> None:
    loud = [LoudBlock(0, "ignored"), Block(1, "ignored")]
    pure = _signals([LoudBlock(0, "ignored"), Block(1, "ignored")], None)
    assert _signals(loud, KERNEL) == pure
    assert pure[0]["widget"] in ("share", "social")


@needs_kernel
def test_real_pages_give_the_pure_python_signals() -> None:
    paths = sorted(AEB.glob("*.html.gz"))[:12]
    if not paths:
        pytest.skip("AEB fixtures not present")
    lex = load_lexicon()
    for path in paths:
        with gzip.open(path, "rb") as handle:
            doc = segment_html(handle.read(), "")
        twin = copy.deepcopy([Block(**{f: getattr(b, f) for f in ("index", "text", "links",
                                                                 "class_tokens", "link_density")})
                              for b in doc.blocks])
        widgets._annotate(doc, lex, widgets.DEFAULT_CONFIG, KERNEL)
        widgets._annotate(Document(twin), lex, widgets.DEFAULT_CONFIG, None)
        keys = ("widget", "widget_score", "lexicon_hits", "share_links")
        assert [[b.signals[k] for k in keys] for b in doc.blocks] == [
            [b.signals[k] for k in keys] for b in twin]
