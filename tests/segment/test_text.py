"""Text segmentation: blocks at lines / paragraphs, bullets recorded, nothing lost or invented."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from unboil.normalize import split_bullet
from unboil.segment.text import segment_text


def test_each_line_is_a_block_and_blank_lines_are_skipped():
    doc = segment_text("Title here\n\nFirst paragraph.\nSecond paragraph.\n\n\n")
    assert [b.text for b in doc.blocks] == ["Title here", "First paragraph.", "Second paragraph."]
    assert [b.index for b in doc.blocks] == [0, 1, 2]
    assert doc.title == "Title here"


def test_paragraph_mode_joins_wrapped_lines_and_breaks_at_bullets():
    text = "A wrapped\nparagraph here.\n\n- item one\n- item two\ncontinues\n\nEnd."
    doc = segment_text(text, split="paragraphs")
    assert [b.text for b in doc.blocks] == ["A wrapped paragraph here.", "item one", "item two continues", "End."]
    assert [b.bullet for b in doc.blocks] == ["", "-", "-", ""]


def test_bullets_are_recorded_not_kept():
    doc = segment_text("• one\n* two\n· three\n1. four\n12) five\na) six\n- seven")
    assert [b.text for b in doc.blocks] == ["one", "two", "three", "four", "five", "six", "seven"]
    assert [b.bullet for b in doc.blocks] == ["•", "*", "·", "1.", "12)", "a)", "-"]


def test_dialogue_dashes_and_numbers_in_sentences_are_not_bullets():
    assert split_bullet("— Мы уходим, — сказал он.") == ("", "— Мы уходим, — сказал он.")
    assert split_bullet("2024. was a year") == ("", "2024. was a year")
    assert split_bullet("-5 degrees tonight") == ("", "-5 degrees tonight")


def test_offsets_point_into_the_source():
    text = "  Heading\n\n  • Item text  \nLast line"
    doc = segment_text(text)
    for b in doc.blocks:
        assert text[b.start:b.end].endswith(b.text)


def test_caller_title_wins_and_empty_text_has_no_blocks():
    assert segment_text("Body line", title="  The   Title ").title == "The Title"
    doc = segment_text("   \n\n \t\n")
    assert doc.blocks == [] and doc.title == ""


def _non_ws(s: str) -> str:
    return re.sub(r"\s+", "", s)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400),
       st.sampled_from(["lines", "paragraphs"]))
def test_segmentation_never_loses_or_invents_characters(text, split):
    doc = segment_text(text, split=split)
    rebuilt = "".join(b.bullet + b.text for b in doc.blocks)
    # every non-whitespace character survives in order, bullets included (recorded on the block)
    expected = "".join(_non_ws(line) for line in text.splitlines())
    assert _non_ws(rebuilt) == expected
