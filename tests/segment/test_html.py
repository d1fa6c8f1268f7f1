"""HTML segmentation: one rule per test on small pages, then every real AEB page."""

from __future__ import annotations

import collections
import gzip
import html as htmllib
import json
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.document import Link
from unboil.segment.html import DocumentTooLarge, NotHTMLError, segment_html
from unboil.segment.htmlmeta import jsonld_article, trim_title

HERE = Path(__file__).resolve().parent
PAGES = HERE.parent / "fixtures" / "html"
WORDS = re.compile(r"\w+")


def texts(page: str | bytes, **kwargs) -> list[str]:
    return [b.text for b in segment_html(page, **kwargs).blocks]


def only(page: str):
    (block,) = segment_html(page).blocks
    return block


# -- blocks ----------------------------------------------------------------------------------


def test_block_elements_are_blocks_and_headings_stand_alone():
    page = "<body><h2>Title</h2><p>One.</p><p>Two.</p><h3>Sub</h3><p>Three.</p></body>"
    doc = segment_html(page)
    assert [(b.tag, b.text) for b in doc.blocks] == [
        ("h2", "Title"), ("p", "One."), ("p", "Two."), ("h3", "Sub"), ("p", "Three.")]
    assert [b.index for b in doc.blocks] == [0, 1, 2, 3, 4]


def test_anonymous_text_of_a_container_becomes_its_own_block():
    page = "<div id=x>Before <b>bold</b><p>Inside.</p>after the paragraph<p>Last.</p></div>"
    doc = segment_html(page)
    assert [(b.tag, b.text) for b in doc.blocks] == [
        ("div", "Before bold"), ("p", "Inside."), ("div", "after the paragraph"), ("p", "Last.")]
    assert doc.blocks[0].element is doc.blocks[2].element


def test_whitespace_is_normalised_and_inline_text_keeps_word_boundaries():
    block = only("<p>  Hello\n\t <b>big</b>\u00a0<i>wide</i>   world<span>!</span> </p>")
    assert block.text == "Hello big wide world!"
    # the source glues "Sp" and "lit" (a drop cap): so does the block, as a browser would
    assert only("<p><span class=cap>Sp</span>lit it.</p>").text == "Split it."


def test_adjacent_links_and_buttons_are_not_glued():
    block = only('<div><a href="/a">Home</a><a href="/b">News</a><button>Menu</button></div>')
    assert block.text == "Home News Menu"
    # text right after a link is glued as in the source: "<a>link</a>s" and "(<a>x</a>)"
    assert only('<p>See (<a href="/x">this</a>).</p>').text == "See (this)."


def test_br_is_a_newline_and_two_brs_end_the_block():
    assert texts("<p>line one<br>line two<br/></p>") == ["line one\nline two"]
    assert texts("<div>first part<br> <br>second part</div>") == ["first part", "second part"]
    assert texts("<p><br>lead<br><br><br></p>") == ["lead"]


def test_pre_keeps_its_lines_and_indentation():
    block = only("<pre>\ndef f():\n    return 1   \n</pre>")
    assert block.tag == "pre"
    assert block.text == "def f():\n    return 1"


def test_unordered_list_items_get_a_bullet_not_in_their_text():
    doc = segment_html("<ul><li>Apples</li><li><p>Pears</p></li><li></li></ul><p>After</p>")
    assert [(b.bullet, b.tag, b.text) for b in doc.blocks] == [
        ("•", "li", "Apples"), ("•", "p", "Pears"), ("", "p", "After")]


def test_ordered_lists_number_from_start_type_value_and_reversed():
    assert [b.bullet for b in segment_html("<ol><li>a<li>b<li>c</ol>").blocks] == ["1.", "2.", "3."]
    assert [b.bullet for b in segment_html("<ol start=4 type=a><li>a<li>b</ol>").blocks] == [
        "d.", "e."]
    assert [b.bullet for b in segment_html("<ol type=I><li>a<li value=9>b<li>c</ol>").blocks] == [
        "I.", "IX.", "X."]
    assert [b.bullet for b in segment_html("<ol reversed><li>a<li>b<li>c</ol>").blocks] == [
        "3.", "2.", "1."]
    nested = segment_html("<ol><li>one<ul><li>inner</li></ul></li><li>two</li></ol>").blocks
    assert [(b.bullet, b.text) for b in nested] == [("1.", "one"), ("•", "inner"), ("2.", "two")]


def test_definition_lists_and_blockquotes():
    doc = segment_html("<dl><dt>Term</dt><dd>Meaning</dd></dl><blockquote>Said so.</blockquote>")
    assert [(b.tag, b.text) for b in doc.blocks] == [
        ("dt", "Term"), ("dd", "Meaning"), ("blockquote", "Said so.")]


def test_simple_table_rows_become_one_block_with_cells_apart():
    doc = segment_html(
        "<table class=prices><tr><th>Item</th><th>Price</th></tr>"
        "<tr><td>Tea</td><td>2 €</td></tr><tr><td></td><td>empty first</td></tr></table>")
    assert [(b.tag, b.text) for b in doc.blocks] == [
        ("tr", "Item | Price"), ("tr", "Tea | 2 €"), ("tr", "empty first")]
    assert doc.blocks[1].signals["cells"] == 2
    assert "prices" in doc.blocks[0].class_tokens


def test_table_rows_with_block_content_or_long_cells_stay_apart():
    long_post = "word " * 60
    doc = segment_html(
        f"<table><tr><td>alice<br>12 posts</td><td>{long_post}</td></tr>"
        "<tr><td><p>Para in cell</p></td><td>side</td></tr></table>")
    assert [(b.tag, b.text) for b in doc.blocks] == [
        ("td", "alice\n12 posts"), ("td", long_post.strip()), ("p", "Para in cell"), ("td", "side")]


# -- structure -------------------------------------------------------------------------------


def test_path_counts_same_tag_siblings():
    doc = segment_html("<body><div>a</div><div><article><p>x</p><p>y</p><p>z</p></article></div>")
    assert [b.path for b in doc.blocks] == [
        "html/body/div", "html/body/div[2]/article/p", "html/body/div[2]/article/p[2]",
        "html/body/div[2]/article/p[3]"]
    assert doc.blocks[3].signals["ancestors"] == ("html", "body", "div", "article")


def test_class_tokens_cover_element_and_ancestors_with_subtokens():
    doc = segment_html(
        '<div id="Main_Col"><section class="post"><p class="Share-Bar top">x</p></section></div>')
    tokens = doc.blocks[0].class_tokens
    for token in ("share-bar", "share", "bar", "top", "post", "main_col", "main", "col"):
        assert token in tokens
    assert tokens[:3] == ("share-bar", "share", "bar")  # the element's own tokens come first
    assert all(t == t.lower() for t in tokens)


def test_links_and_link_density():
    block = only('<p>Read <a href="/one">one</a> and <a href=" /two ">two more</a>.</p>')
    assert block.links == (Link("one", "/one"), Link("two more", "/two"))
    assert block.link_density == pytest.approx(len("onetwo more") / len(block.text))
    assert only('<p><a href="/x">all link</a></p>').link_density == 1.0
    assert only("<p>no links</p>").link_density == 0.0


def test_icon_links_and_links_around_blocks_are_kept():
    doc = segment_html(
        '<div>Share: <a href="https://t.me/share/url?url=x"><i class="icon"></i></a></div>'
        '<a href="/story"><h3>Card title</h3><p>Card text</p></a><a name="anchor">plain</a>')
    share, title, text, plain = doc.blocks
    assert share.links == (Link("", "https://t.me/share/url?url=x"),)
    assert title.links == (Link("Card title", "/story"),) and title.link_density == 1.0
    assert text.links == (Link("Card text", "/story"),)
    assert plain.links == ()  # an <a> without href is no link


def test_blocks_keep_their_lxml_element_and_pickle_without_it():
    doc = segment_html("<p class=x>Hello</p>")
    block = doc.blocks[0]
    assert block.element.tag == "p" and block.element.get("class") == "x"
    assert doc.root is block.element.getroottree().getroot()
    again = pickle.loads(pickle.dumps(block))
    assert again.text == "Hello" and again.element is None


# -- left out --------------------------------------------------------------------------------


@pytest.mark.parametrize("inner", [
    "<script>var leak = 1;</script>", "<style>.leak{}</style>", "<noscript>leak</noscript>",
    "<template><p>leak</p></template>", "<svg><text>leak</text><title>leak</title></svg>",
    "<math><mi>leak</mi></math>", "<iframe>leak</iframe>",
    "<select><option>leak</option></select>", "<!-- leak -->", "<?php leak ?>",
    "<textarea>leak</textarea>", "<video>leak</video>",
    "<div hidden>leak</div>", '<div aria-hidden="true">leak</div>',
    '<div style="color: red; display : none">leak</div>', '<p style="VISIBILITY:hidden">leak</p>',
    '<span style="display:none !important">leak</span>',
])
def test_code_styling_and_hidden_content_are_left_out(inner):
    page = f"<html><head><title>T</title></head><body><div>kept{inner} tail</div></body>"
    doc = segment_html(page)
    assert [b.text for b in doc.blocks] == ["kept tail"]


def test_visible_aria_and_styles_are_kept_and_a_hidden_body_is_not_dropped():
    assert texts('<p aria-hidden="false" style="display:block">shown</p>') == ["shown"]
    assert texts('<body style="display:none"><p>anti-flicker</p></body>') == ["anti-flicker"]


def test_button_text_is_kept_inline_so_rules_can_see_it():
    assert texts("<div><button>Subscribe</button><button>Share</button></div>") == [
        "Subscribe Share"]


# -- title, url, language, JSON-LD ----------------------------------------------------------


def test_caller_title_wins_then_og_title_then_title_then_h1():
    page = ('<head><title>Tag title</title><meta property="og:title" content="OG title">'
            "</head><h1>Heading</h1>")
    assert segment_html(page, title="Given").title == "Given"
    assert segment_html(page).title == "OG title"
    assert segment_html("<title>Tag title</title><h1>Heading</h1>").title == "Tag title"
    assert segment_html("<h1>Heading</h1><h1>Second</h1>").title == "Heading"
    assert segment_html("<p>none</p>").title == ""


def test_title_suffix_is_trimmed_only_with_evidence():
    assert segment_html("<title>Big story | Daily Post</title><h1>Big story</h1>").title == (
        "Big story")
    assert segment_html("<title>Daily Post - Big story</title><h1>Big story</h1>").title == (
        "Big story")
    site = '<meta property="og:site_name" content="Daily Post">'
    assert segment_html(f"<title>Big story — Daily Post</title>{site}").title == "Big story"
    by_host = segment_html("<title>Big story · Dailypost</title>", "https://dailypost.example/a")
    assert by_host.title == "Big story"
    assert segment_html("<title>Covid - what we know</title><h1>Other</h1>").title == (
        "Covid - what we know")


def test_url_comes_from_caller_then_canonical_then_og_url():
    og_url = '<meta property="og:url" content="https://a.example/o">'
    canon = '<link rel="canonical" href="https://a.example/c">' + og_url
    assert segment_html(canon, "https://given.example/").url == "https://given.example/"
    assert segment_html(canon).url == "https://a.example/c"
    relative = '<link rel=canonical href="/rel">' + og_url
    assert segment_html(relative).url == "https://a.example/o"


def test_language_from_html_lang_or_content_language():
    assert segment_html('<html lang="de-AT"><p>x</p></html>').metadata["lang"] == "de-at"
    page = '<head><meta http-equiv="Content-Language" content="fr, en"></head><p>x</p>'
    assert segment_html(page).metadata["lang"] == "fr"
    assert "lang" not in segment_html("<p>x</p>").metadata


def test_jsonld_article_body_from_object_list_or_graph():
    body = {"@type": "NewsArticle", "headline": "H", "articleBody": "The body."}
    for payload in (body, [{"@type": "Organization"}, body],
                    {"@graph": [{"@type": "WebPage"}, body]},
                    {"@type": "WebPage", "mainEntity": body}):
        page = f'<script type="application/ld+json">{json.dumps(payload)}</script><p>x</p>'
        assert segment_html(page).metadata["jsonld"] == {
            "headline": "H", "articleBody": "The body.", "type": "NewsArticle"}


def test_jsonld_without_article_or_broken_is_absent():
    assert jsonld_article(['{"@type": "Organization", "name": "x"}', "{not json", "[]"]) == {}
    headline_only = jsonld_article(['{"@type": ["BlogPosting"], "headline": " Hi "}'])
    assert headline_only == {"headline": "Hi", "type": "BlogPosting"}
    assert "jsonld" not in segment_html("<script type=application/ld+json>{oops</script>").metadata


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.lists(st.text(max_size=30), max_size=3), st.text(max_size=20))
def test_trim_title_only_ever_returns_part_of_the_title(title, headings, site):
    trimmed = trim_title(title, headings, site, "www.example.com")
    assert trimmed in title
    if not any(sep in title for sep in (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " / ",
                                        " » ", " « ")):
        assert trimmed == title


# -- bad and odd input -----------------------------------------------------------------------


@pytest.mark.parametrize("page", ["", "   \n ", b"", "<!-- only a comment -->", "<html></html>",
                                  "<script>x()</script>"])
def test_empty_pages_give_no_blocks(page):
    doc = segment_html(page)
    assert doc.blocks == []


@pytest.mark.parametrize("page", [b" \t\n\r\x0b\x0c", " \t\n\r\x0b\x0c"])
def test_pages_of_ascii_whitespace_are_not_parsed(page):
    doc = segment_html(page)
    assert doc.blocks == [] and doc.root is None and "parse_error" not in doc.metadata


def test_whitespace_around_a_page_changes_nothing():
    page = b"<html><head><title>T</title></head><body><p>one</p><p>two</p></body></html>"
    bare, padded = segment_html(page), segment_html(b"\n \t" + page + b"\r\n\x0c")
    assert [(b.text, b.path) for b in padded.blocks] == [(b.text, b.path) for b in bare.blocks]
    assert padded.title == bare.title == "T"


def test_malformed_and_truncated_html_gives_what_is_there():
    assert texts("<p>one<p>two<div><b>bold <i>both</b> after</i></div></span></td>") == [
        "one", "two", "bold both after"]
    truncated = "<html><body><article><p>Complete paragraph.</p><p>Cut in the mid"
    assert texts(truncated) == ["Complete paragraph.", "Cut in the mid"]
    assert texts('<p title=x">Broken quote</p><p>next</p>') == ["Broken quote", "next"]
    assert texts("<div><p>a</div></p>b<table><td>c</table>") == ["a", "b", "c"]


def test_hundred_thousand_nested_levels_do_not_crash():
    depth = 100_000
    page = "<div>lvl " * depth + "bottom" + "</div>" * depth
    doc = segment_html(page)
    assert doc.blocks, "the levels the parser kept are segmented"
    assert all(b.text.startswith("lvl") for b in doc.blocks)
    inline = "<p>" + "<b>" * depth + "deep" + "</b>" * depth + "</p>"
    segment_html(inline)


def test_pages_over_the_cap_are_refused_naming_size_and_cap():
    page = "<p>" + "x" * 5000 + "</p>"
    with pytest.raises(DocumentTooLarge, match=r"5,007 bytes.*max_bytes cap of 1,000"):
        segment_html(page, max_bytes=1000)
    with pytest.raises(DocumentTooLarge, match="1,000"):
        segment_html(page.encode(), max_bytes=1000)
    multibyte = "<p>" + "é" * 600 + "</p>"  # 607 characters but 1,207 UTF-8 bytes
    with pytest.raises(DocumentTooLarge, match="1,207 bytes"):
        segment_html(multibyte, max_bytes=1000)
    assert isinstance(DocumentTooLarge("x"), ValueError)


def test_wrong_types_and_caps_are_named():
    with pytest.raises(TypeError, match="str or bytes, got int"):
        segment_html(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_bytes must be a positive integer"):
        segment_html("<p>x</p>", max_bytes=0)


def test_bytes_are_decoded_by_their_declared_charset():
    doc = segment_html((PAGES / "cp1251.html").read_bytes())
    assert doc.metadata["encoding"] == "cp1251"
    assert doc.title == "Новости"
    assert "Речные баржи вернулись в центр города" in doc.blocks[1].text


def test_binary_bytes_are_refused():
    with pytest.raises(NotHTMLError, match="does not look like HTML or text: .*PNG"):
        segment_html(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)


def test_a_composite_article_page():
    doc = segment_html((PAGES / "article.html").read_bytes())
    assert doc.title == "River barges return to the city centre"
    assert doc.url == "https://news.riverside.example/2026/barges-return"
    assert doc.metadata["lang"] == "en-gb"
    assert doc.metadata["jsonld"]["articleBody"].startswith("Cargo barges are back")
    by_text = {b.text: b for b in doc.blocks}
    assert by_text["Home"].signals["ancestors"][-3:] == ("header", "nav", "ul")
    share = by_text["Share on Facebook Send to Telegram"]
    assert "share-bar" in share.class_tokens and len(share.links) == 3
    assert ("The first one, loaded with gravel, moored at Mill Quay on Monday.\n"
            "Another two follow next week.") in by_text
    assert "A barge at Mill Quay." in by_text
    whole = "\n".join(by_text)
    for gone in ("dataLayer", "Hidden teaser", "Screen readers", "enable JavaScript", "Tweet icon"):
        assert gone not in whole


# -- property --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_in_a_paragraph_keeps_exactly_its_words(text):
    doc = segment_html(f"<p>{htmllib.escape(text)}</p>")
    out = " ".join(b.text for b in doc.blocks)
    assert WORDS.findall(out) == WORDS.findall(text)


# -- real pages ------------------------------------------------------------------------------


def _grams(text: str) -> collections.Counter:
    words = WORDS.findall(text)
    return collections.Counter(tuple(words[i:i + 4]) for i in range(len(words) - 3))


def test_every_aeb_page_segments_and_keeps_the_article_text(shared_fixtures, aeb_articles):
    recalls = []
    for path in sorted((shared_fixtures / "aeb" / "html").glob("*.html.gz")):
        with gzip.open(path, "rb") as fh:
            doc = segment_html(fh.read())
        assert doc.blocks, f"{path.name}: no blocks"
        truth = _grams(aeb_articles[path.name[: -len(".html.gz")]]["articleBody"])
        if not truth:
            continue
        got = _grams("\n".join(b.text for b in doc.blocks))
        recalls.append(sum(min(n, got[g]) for g, n in truth.items()) / sum(truth.values()))
    assert len(recalls) >= 170
    assert sum(recalls) / len(recalls) >= 0.98
