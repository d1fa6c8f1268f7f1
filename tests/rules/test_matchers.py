"""Each registered matcher against blocks with and without the signals it reads."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.document import Block, Document
from unboil.rules import MATCHERS, Rule, RuleSet


def _holds(match: dict, block: Block, n_blocks: int = 1, at: int = 0) -> bool:
    """Whether a one-rule set with ``match`` drops ``block`` placed at ``at`` among ``n_blocks``."""
    blocks = [Block(index=i, text="filler words here") for i in range(n_blocks)]
    block.index = at
    blocks[at] = block
    decisions = RuleSet([Rule.drop("probe", match=match)]).decide(Document(blocks))
    return decisions[at].dropped


CASES = [
    # block features, computed from the text when the density signals are absent
    ({"min_words": 3}, Block(0, "one two three"), True),
    ({"min_words": 4}, Block(0, "one two three"), False),
    ({"max_words": 2}, Block(0, "one, two!"), True),
    ({"max_words": 2}, Block(0, "a b c", signals={"words": 1}), True),  # the signal wins
    ({"min_chars": 5}, Block(0, "abcd"), False),
    ({"max_chars": 4}, Block(0, "abcd"), True),
    ({"min_link_density": 0.5}, Block(0, "x", link_density=0.6), True),
    ({"max_link_density": 0.5}, Block(0, "x", link_density=0.6), False),
    ({"tag": "H2"}, Block(0, "x", tag="h2"), True),
    ({"tag": ["li", "td"]}, Block(0, "x", tag="p"), False),
    ({"bullet": True}, Block(0, "x", bullet="•"), True),
    ({"bullet": False}, Block(0, "x", bullet="•"), False),
    ({"text_regex": r"(?i)^share\b"}, Block(0, "Share this"), True),
    ({"text_regex": r"^share\b"}, Block(0, "Share this"), False),
    ({"class_tokens": "sharing"}, Block(0, "x", class_tokens=("post", "sharing")), True),
    ({"class_tokens": ["nav"]}, Block(0, "x", class_tokens=("navbar",)), False),
    # detector facts: a missing signal never holds
    ({"lexicon": "share"}, Block(0, "x", signals={"lexicon_hits": ("related", "share")}), True),
    ({"lexicon": ["print"]}, Block(0, "x", signals={"lexicon_hits": ("share",)}), False),
    ({"lexicon": "share"}, Block(0, "x"), False),
    ({"repeat_of_title": True}, Block(0, "x", signals={"repeat_of_title": True}), True),
    ({"repeat_of_title": False}, Block(0, "x", signals={"repeat_of_title": True}), False),
    ({"repeat_of_title": False}, Block(0, "x"), False),
    ({"repeated_in_page": True}, Block(0, "x", signals={"repeat_size": 3}), True),
    ({"repeated_in_page": False}, Block(0, "x", signals={"repeat_size": 1}), True),
    ({"repeated_in_page": True}, Block(0, "x"), False),
    ({"repeat_first": True}, Block(0, "x", signals={"repeat_first": False}), False),
    ({"is_title": True}, Block(0, "x", signals={"is_title": True}), True),
    ({"min_title_similarity": 0.7}, Block(0, "x", signals={"title_similarity": 0.71}), True),
    ({"min_title_similarity": 0.7}, Block(0, "x", signals={"title_similarity": 0.69}), False),
    ({"min_title_containment": 0.5}, Block(0, "x", signals={"title_containment": 0.5}), True),
    ({"site_frequency": 0.3}, Block(0, "x", signals={"site_frequency": 0.9}), True),
    ({"site_frequency": 0.3}, Block(0, "x"), False),
    ({"widget": True}, Block(0, "x", signals={"widget": "counter"}), True),
    ({"widget": True}, Block(0, "x", signals={"widget": ""}), False),
    ({"widget": False}, Block(0, "x", signals={"widget": ""}), True),
    ({"widget": ["share", "social"]}, Block(0, "x", signals={"widget": "social"}), True),
    ({"widget": "share"}, Block(0, "x", signals={"widget": "subscribe"}), False),
    ({"min_widget_score": 0.5}, Block(0, "x", signals={"widget_score": 0.8}), True),
    ({"markup": "footer"}, Block(0, "x", signals={"markup": ("nav", "footer")}), True),
    ({"markup": ["ads"]}, Block(0, "x", signals={"markup": ()}), False),
    ({"min_content_score": 2}, Block(0, "x", signals={"content_score": 2.5}), True),
    ({"max_content_score": 2}, Block(0, "x", signals={"content_score": 2.5}), False),
    ({"in_main": True}, Block(0, "x", signals={"in_main": True}), True),
    ({"in_main": False}, Block(0, "x"), False),
]


@pytest.mark.parametrize(("match", "block", "expected"), CASES)
def test_matcher(match: dict, block: Block, expected: bool) -> None:
    assert _holds(match, block) is expected


def test_every_matcher_has_a_case() -> None:
    covered = {name for match, _, _ in CASES for name in match} | {"position", "css"}
    assert set(MATCHERS) <= covered, sorted(set(MATCHERS) - covered)


@pytest.mark.parametrize(
    ("value", "at", "n", "expected"),
    [
        ("first", 0, 5, True),
        ("first", 1, 5, False),
        ("last", 4, 5, True),
        ("last", 3, 5, False),
        ({"min": 0.75}, 3, 5, True),
        ({"min": 0.75}, 2, 5, False),
        ({"max": 0.25}, 1, 5, True),
        ({"min": 0.0, "max": 0.0}, 0, 1, True),
    ],
)
def test_position(value: object, at: int, n: int, expected: bool) -> None:
    assert _holds({"position": value}, Block(at, "x"), n_blocks=n, at=at) is expected


def test_position_prefers_the_density_signal() -> None:
    block = Block(0, "x", signals={"position": 0.9})
    assert _holds({"position": {"min": 0.8}}, block, n_blocks=3, at=0)


def test_all_matchers_of_a_rule_must_hold() -> None:
    block = Block(0, "Share on Facebook", signals={"widget": "share"})
    assert _holds({"widget": "share", "max_words": 3}, block)
    assert not _holds({"widget": "share", "max_words": 2}, block)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80), limit=st.integers(0, 12))
def test_word_limits_agree_with_word_tokens(text: str, limit: int) -> None:
    words = len(re.findall(r"\w+", text))
    assert _holds({"max_words": limit}, Block(0, text)) is (words <= limit)
    assert _holds({"min_words": limit}, Block(0, text)) is (words >= limit)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60), needle=st.text(min_size=1, max_size=5))
def test_escaped_regex_matches_exactly_when_the_text_contains_it(text: str, needle: str) -> None:
    import regex

    block = Block(0, text)
    assert _holds({"text_regex": regex.escape(needle)}, block) is (needle in text)
