"""The class_tokens selector: the same positions as the plain predicate, on real and generated pages."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.document import Block, Document
from unboil.rules import columns, engine
from unboil.rules.matchers import MATCHERS
from unboil.segment.html import segment_html

_plain = columns._fallback(MATCHERS["class_tokens"].predicate)


def _page(blocks: list[Block]) -> columns.Page:
    return columns.Page(blocks, engine.MatchContext(Document(blocks=blocks), 1.0))


@pytest.fixture(scope="module")
def real_pages(shared_fixtures: Path) -> list[list[Block]]:
    paths = sorted((shared_fixtures / "wcxb-dev" / "html").glob("*.html.gz"))[:25]
    return [segment_html(gzip.decompress(p.read_bytes())).blocks for p in paths]


def test_real_pages_give_the_plain_predicates_positions(real_pages: list[list[Block]]) -> None:
    hits = 0
    for blocks in real_pages:
        present = sorted({t for b in blocks for t in b.class_tokens})
        asks = [present[::7][:3], present[-2:], ["signature", "no-such-token"], ["no-such-token"]]
        for value in asks:
            for cands in (None, list(range(0, len(blocks), 3))):
                got = columns._class_tokens_select(tuple(value), cands, _page(blocks))
                assert got == _plain(tuple(value), cands, _page(blocks))
                hits += len(got)
    assert hits > 100  # the comparison is not only between empty answers


_tokens = st.lists(st.sampled_from(["a", "b", "nav", "post", "sig", "x-y", ""]), max_size=5)


@settings(max_examples=200, deadline=None)
@given(st.lists(_tokens, max_size=12), _tokens, st.booleans())
def test_generated_blocks_give_the_plain_predicates_positions(
    token_lists: list[list[str]], value: list[str], share: bool
) -> None:
    tuples = [tuple(t) for t in token_lists]
    blocks = [Block(index=i, text="t", class_tokens=tuples[0] if share and tuples else t)
              for i, t in enumerate(tuples)]
    assert columns._class_tokens_select(tuple(value), None, _page(blocks)) == \
        _plain(tuple(value), None, _page(blocks))
