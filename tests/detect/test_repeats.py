"""The repeats detector: title copies (reworded, cut short) and in-page repeat groups."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.detect.repeats import annotate_repeats
from unboil.segment.text import segment_text

TITLE = "Russian officials run away en masse from “partial mobilization” abroad"


def _annotated(text: str, title: str | None = None):
    doc = segment_text(text, title=title)
    annotate_repeats(doc)
    return doc


def test_seed_title_copies_form_one_group(seed_input):
    doc = _annotated(seed_input)
    copies = [b.index for b in doc.blocks if b.signals["repeat_of_title"]]
    assert copies == [0, 2, 4, 6, 7, 9, 11, 13, 27, 28]
    groups = {doc.blocks[i].signals["repeat_group"] for i in copies}
    assert len(groups) == 1 and groups != {-1}
    assert doc.blocks[0].signals["is_title"] and doc.blocks[0].signals["repeat_first"]
    assert not any(doc.blocks[i].signals["repeat_first"] for i in copies[1:])
    assert doc.blocks[0].signals["repeat_size"] == len(copies)


def test_seed_paragraph_sharing_title_words_is_not_a_copy(seed_input):
    doc = _annotated(seed_input)
    flight = next(b for b in doc.blocks if b.text.startswith("Russian officials explain their flight"))
    assert not flight.signals["repeat_of_title"]
    assert flight.signals["repeat_group"] == -1


def test_reworded_and_cut_short_copies_down_to_five_words():
    text = "\n".join([
        TITLE,
        "Russian officials are running away en masse from",  # reworded + cut
        "Russian officials are fleeing en masse",  # reworded, 6 words
        "Russian officials run away en",  # cut to 5 words
        "The officials declined to comment on Tuesday.",
    ])
    doc = _annotated(text)
    assert [b.signals["repeat_of_title"] for b in doc.blocks] == [True, True, True, True, False]


def test_title_quoted_inside_a_long_sentence_is_not_a_copy():
    quote = (f"The headline “{TITLE}” appeared on several sites on Monday, and editors said the wording "
             "had been translated automatically from a Russian original without review.")
    doc = _annotated(f"{TITLE}\n{quote}")
    assert not doc.blocks[1].signals["repeat_of_title"]
    assert doc.blocks[1].signals["repeat_group"] == -1


def test_short_unrelated_sentence_with_title_words_is_not_a_copy():
    doc = _annotated(f"{TITLE}\nRussian officials said on Monday that nothing changed.")
    assert not doc.blocks[1].signals["repeat_of_title"]


def test_song_chorus_groups_but_is_not_a_title_copy():
    song = "\n".join([
        "Summer by the River",
        "We walked along the water in the evening light",
        "Oh the river keeps on rolling through the night",
        "Our shadows growing longer as the sun went down",
        "Oh the river keeps on rolling through the night",
    ])
    doc = _annotated(song)
    chorus = [b for b in doc.blocks if b.text.startswith("Oh the river")]
    assert chorus[0].signals["repeat_group"] == chorus[1].signals["repeat_group"] != -1
    assert chorus[0].signals["repeat_first"] and not chorus[1].signals["repeat_first"]
    assert not any(b.signals["repeat_of_title"] for b in doc.blocks[1:])


def test_caller_title_absent_from_text_still_marks_copies():
    doc = _annotated("Russian officials are fleeing en masse from\nSome article text goes here today.", title=TITLE)
    assert doc.blocks[0].signals["repeat_of_title"] and not doc.blocks[0].signals["is_title"]


def test_no_title_means_no_copies():
    doc = _annotated("one two three four five\none two three four five", title="")
    assert not any(b.signals["repeat_of_title"] for b in doc.blocks)
    assert doc.blocks[0].signals["repeat_group"] == doc.blocks[1].signals["repeat_group"] != -1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=15))
def test_groups_are_consistent(lines):
    doc = _annotated("\n".join(lines))
    by_group: dict[int, list[int]] = {}
    for b in doc.blocks:
        g = b.signals["repeat_group"]
        if g == -1:
            assert b.signals["repeat_size"] == 1 and b.signals["repeat_first"]
        else:
            by_group.setdefault(g, []).append(b.index)
    for members in by_group.values():
        assert len(members) >= 2
        assert [doc.blocks[i].signals["repeat_first"] for i in members] == [True] + [False] * (len(members) - 1)
        assert all(doc.blocks[i].signals["repeat_size"] == len(members) for i in members)


def test_a_finished_sentence_sharing_the_title_words_is_not_a_copy():
    doc = _annotated("Here are 15 tips to help overcome binge eating.\nSome more text of the article goes here.",
                     title="15 Tips to Overcome Binge Eating")
    assert not doc.blocks[0].signals["repeat_of_title"]
    # the same words cut short, without the full stop, are a copy
    doc = _annotated("15 tips to help overcome binge eating\nSome more text of the article goes here.",
                     title="15 Tips to Overcome Binge Eating")
    assert doc.blocks[0].signals["repeat_of_title"]
