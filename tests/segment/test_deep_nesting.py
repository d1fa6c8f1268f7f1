"""Pages nested past libxml2's depth limit keep the text after the nest (segment/nesting.py).

libxml2 stops parsing at 2,048 open elements and drops the rest of the page; segment_html then
flattens the page (tags past 1,024 levels removed, text kept) and parses it again. Both tiers
(compiled walk and kernels, UNBOIL_PURE_PYTHON=1) are run through the public clean_html.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import unboil
from unboil.segment.html import FLATTEN_DEPTH, segment_html
from unboil.segment.nesting import flatten_nesting

BEFORE = "Before the nest comes this opening paragraph."
INSIDE = "Inside the deepest element sits this paragraph."
AFTER = "After the nest comes this closing paragraph."


def nested_page(depth: int, tag: str = "div") -> str:
    return (f"<html><head><title>Deep</title></head><body><p>{BEFORE}</p>" + f"<{tag}>" * depth
            + f"<p>{INSIDE}</p>" + f"</{tag}>" * depth + f"<p>{AFTER}</p></body></html>")


def summary(result: unboil.CleanResult) -> list:
    return [[b.text, b.tag, b.path, d.action, d.rule] for b, d in zip(result.blocks, result.decisions)]


def pure_python_summary(page: str) -> list:
    """clean_html's blocks and decisions in a fresh interpreter with UNBOIL_PURE_PYTHON=1."""
    code = ("import json, sys, unboil\n"
            "r = unboil.clean_html(sys.stdin.read())\n"
            "print(json.dumps([[b.text, b.tag, b.path, d.action, d.rule]"
            " for b, d in zip(r.blocks, r.decisions)]))\n")
    env = {**os.environ, "UNBOIL_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], input=page, capture_output=True, text=True,
                         env=env, timeout=120, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("depth", [3000, 100_000])
def test_text_before_inside_and_after_a_deep_nest_is_kept(depth):
    r = unboil.clean_html(nested_page(depth))
    text = r.text
    assert BEFORE in text and INSIDE in text and AFTER in text
    assert text.index(BEFORE) < text.index(INSIDE) < text.index(AFTER)
    assert not r.removed


@pytest.mark.parametrize("depth", [3000, 100_000])
def test_both_tiers_give_the_same_blocks_and_decisions(depth):
    page = nested_page(depth)
    assert pure_python_summary(page) == json.loads(json.dumps(summary(unboil.clean_html(page))))


@pytest.mark.parametrize("unit", ["<font color=red>x ", "<span>x ", "<dl><dd>x ", "<b><i>x "])
def test_thousands_of_unclosed_tags_do_not_swallow_the_rest(unit):
    page = f"<html><body><p>{BEFORE}</p>" + unit * 5000 + f"<p>{AFTER}</p></body></html>"
    doc = segment_html(page)
    texts = [b.text for b in doc.blocks]
    assert texts[0] == BEFORE and AFTER in texts[-1]
    assert doc.metadata["flattened_tags"] > 0


def test_paragraphs_past_the_limit_stay_blocks_of_their_own():
    n = 3000
    page = "<html><body>" + "".join(f"<div><p>Paragraph {i}.</p>" for i in range(n)) + "</div>" * n
    doc = segment_html(page + f"<p>{AFTER}</p></body></html>")
    assert [b.text for b in doc.blocks] == [f"Paragraph {i}." for i in range(n)] + [AFTER]


def test_a_page_within_the_limit_is_parsed_as_it_is():
    doc = segment_html(nested_page(2000))
    assert "flattened_tags" not in doc.metadata
    assert [b.text for b in doc.blocks] == [BEFORE, INSIDE, AFTER]
    assert doc.blocks[1].path.count("/div") == 2000


def test_the_flattened_part_is_cut_at_the_flatten_depth():
    doc = segment_html(nested_page(3000))
    assert doc.metadata["flattened_tags"] > 0
    inside = next(b for b in doc.blocks if b.text == INSIDE)
    assert inside.path.count("/") < FLATTEN_DEPTH + 1


def test_a_deep_record_is_cleaned_and_keeps_its_text():
    (out,) = unboil.clean_records([{"id": "deep", "html": nested_page(5000)}])
    assert AFTER in out["text"] and INSIDE in out["text"]


def test_flattening_removes_tags_only():
    """Every character outside the removed tags stays, in order."""
    page = ("<body><!-- <div> -->" + "<div class='a>b'><span>x &amp; y</span>" * 1500
            + "<script>if (a < b) {}</script><p>end</p>").encode()
    flat, removed = flatten_nesting(page, 100)
    assert removed > 0

    def text(data: bytes) -> bytes:
        return re.sub(rb"<(?:[^>'\"]|'[^']*'|\"[^\"]*\")*>", b"", data)

    assert text(flat) == text(page)
    assert flatten_nesting(b"<div><p>shallow</p></div>", 100) == (b"<div><p>shallow</p></div>", 0)
