"""Pages that show their text only inside <noscript> (Discourse/Flarum forums, some single-page
apps) are read from there; every other page keeps ignoring <noscript>."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import unboil
from unboil.segment.html import NOSCRIPT_FALLBACK_WORDS, _segment_html, segment_html

POSTS = (
    "I want to keep serde at 1.0.150 because a newer release broke my build on an old compiler. "
    "What is the right syntax in Cargo.toml?",
    "Use an exact requirement: serde = \"=1.0.150\". Cargo then never picks a newer patch release, "
    "and the lock file records the same version for everyone who builds the project.",
)


def _forum(visible: str = "") -> str:
    posts = "".join(f'<div class="post"><p>{p}</p></div>' for p in POSTS)
    return (f"<html><head><title>Pin a crate version</title></head><body>{visible}"
            f'<div id="app"></div><noscript><div class="topic"><h1>Pin a crate version</h1>'
            f"{posts}</div></noscript></body></html>")


def _both(html: str) -> tuple[list, list, dict]:
    compiled = segment_html(html)
    pure = _segment_html(html, "", None, 10**7, pure=True)
    return ([(b.text, b.path, b.class_tokens) for b in compiled.blocks],
            [(b.text, b.path, b.class_tokens) for b in pure.blocks], compiled.metadata)


def test_a_page_whose_text_is_only_in_noscript_is_read_from_there() -> None:
    compiled, pure, metadata = _both(_forum())
    assert compiled == pure
    assert [text for text, _, _ in compiled] == ["Pin a crate version", *POSTS]
    assert metadata["noscript_fallback"] is True
    assert unboil.clean_html(_forum()).text.endswith(POSTS[1])


def test_a_page_with_enough_visible_text_ignores_noscript() -> None:
    visible = "<p>" + " ".join(["word"] * NOSCRIPT_FALLBACK_WORDS) + "</p>"
    compiled, pure, metadata = _both(_forum(visible))
    assert compiled == pure
    assert len(compiled) == 1 and "noscript_fallback" not in metadata
    assert "serde" not in unboil.clean_html(_forum(visible)).text


@pytest.mark.parametrize("inside", [
    "<img src=pixel.gif>",
    "<p>This site works best with JavaScript enabled. Please enable JavaScript in your browser.</p>",
])
def test_a_short_page_keeps_its_walk_when_noscript_holds_only_a_notice(inside: str) -> None:
    html = f"<html><body><p>Short note.</p><noscript>{inside}</noscript></body></html>"
    compiled, pure, metadata = _both(html)
    assert compiled == pure == [("Short note.", "html/body/p", ())]
    assert "noscript_fallback" not in metadata


def test_real_discourse_thread_is_no_longer_empty(shared_fixtures: Path) -> None:
    root = shared_fixtures / "wcxb-dev"
    truth = json.loads((root / "ground-truth" / "0501.json").read_text("utf-8"))["ground_truth"]
    page = gzip.decompress((root / "html" / "0501.html.gz").read_bytes())
    words = set(unboil.clean_html(page).text.lower().split())
    expected = set(truth["main_content"].lower().split())
    assert len(words & expected) >= 0.8 * len(expected)  # was 0: the thread sits in <noscript>


@pytest.mark.parametrize("bench", ["aeb"])
def test_no_benchmark_article_takes_the_fallback(shared_fixtures: Path, bench: str) -> None:
    paths = sorted((shared_fixtures / bench / "html").glob("*.html.gz"))
    fired = [p.name for p in paths
             if segment_html(gzip.decompress(p.read_bytes())).metadata.get("noscript_fallback")]
    assert fired == []
