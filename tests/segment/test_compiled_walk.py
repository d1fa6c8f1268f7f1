"""The compiled walk (segment/_walk.pyx) gives exactly the blocks of the pure-Python walker.

Every test runs both walkers on the same page and compares every field of every block, the
title, URL and metadata. The compiled-path tests skip only when the extension is not built
(CI builds it with UNBOIL_REQUIRE_EXTENSIONS=1, so there they always run).
"""

from __future__ import annotations

import codecs
import gzip
import random
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unboil.segment import charset, html

walk = html._compiled_walk
needs_walk = pytest.mark.skipif(
    walk is None, reason="unboil.segment._walk is not built (make ext) or UNBOIL_PURE_PYTHON is set"
)
utf8 = charset._utf8
needs_utf8 = pytest.mark.skipif(
    utf8 is None, reason="unboil.segment._utf8 is not built (make ext) or UNBOIL_PURE_PYTHON is set"
)
SPACES = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def segment(page, pure: bool):
    return html._segment_html(page, "", None, html.DEFAULT_MAX_BYTES, pure=pure)


def element_id(el) -> str | None:
    return None if el is None else el.getroottree().getpath(el)


def summary(doc) -> list:
    """Everything a Document holds, with each block's element named by its place in the tree."""
    out: list = [doc.title, doc.url, sorted(doc.metadata.items(), key=repr)]
    for b in doc.blocks:
        out.append((b.index, b.text, b.bullet, b.tag, b.path, b.class_tokens, b.links,
                    b.link_density, b.start, b.end, b.signals, element_id(b.element)))
    # blocks that share an element share the same proxy object, as in the Python walker
    out.append([[j for j, c in enumerate(doc.blocks) if c.element is b.element]
                for b in doc.blocks])
    return out


def assert_same(page) -> None:
    try:
        pure = segment(page, pure=True)
    except ValueError as exc:  # e.g. bytes refused as binary: both paths refuse them
        with pytest.raises(type(exc)):
            segment(page, pure=False)
        return
    fast = segment(page, pure=False)
    a, b = summary(pure), summary(fast)
    for x, y in zip(a, b):
        assert x == y
    assert len(a) == len(b)


# -- real pages ---------------------------------------------------------------------------------


@needs_walk
def test_every_aeb_page_gives_identical_blocks(shared_fixtures):
    paths = sorted((shared_fixtures / "aeb" / "html").glob("*.html.gz"))
    assert paths
    for path in paths:
        with gzip.open(path, "rb") as fh:
            assert_same(fh.read())


@needs_walk
def test_wcxb_pages_give_identical_blocks(shared_fixtures):
    paths = sorted((shared_fixtures / "wcxb-dev" / "html").glob("*.html.gz"))
    assert paths
    for path in random.Random(7).sample(paths, min(150, len(paths))):
        with gzip.open(path, "rb") as fh:
            assert_same(fh.read())


@needs_walk
def test_blocks_are_made_without_their_dataclass_init_and_still_equal():
    from unboil.document import Block

    assert walk.direct_construction(), "Block/Link changed shape: the fast path is off"
    (block,) = segment("<p class=x>Hi <a href=' /a '>there</a></p>", pure=False).blocks
    assert type(block) is Block
    twin = Block(block.index, block.text, block.bullet, block.tag, block.path,
                 block.class_tokens, block.links, block.link_density,
                 signals=dict(block.signals), element=block.element)
    assert block == twin and block.start == -1 and block.end == -1
    assert block.links[0].href == "/a" and hash(block.links[0]) == hash(twin.links[0])


# -- edge cases ---------------------------------------------------------------------------------

EDGE_PAGES = [
    "",
    "   \n\t ",
    "<p>",
    "plain text, no tags",
    "<html><body></body></html>",
    # hidden elements, in every spelling the walker knows
    ("<div><p hidden>gone</p><p aria-hidden=' TRUE '>gone</p><p aria-hidden=false>kept</p>"
    "<p style='DISPLAY: none'>gone</p><p style='visibility : hidden'>gone</p>"
    "<p style='color:none'>kept</p><span style='display:none'>gone</span>tail kept</div>"),
    "<html hidden><body aria-hidden=true><p>the page is never hidden</p></body></html>",
    "<body><br hidden><p>a<br hidden>b</p><head hidden><title>x</title></head></body>",
    # skipped elements and their tails
    ("<p>a<script>var x = '<p>';</script>b<style>p{}</style>c<svg><text>t</text></svg>d"
    "<select><option>o</option></select>e<noscript>n</noscript>f</p>"),
    # tables
    "<table><tr><td>Name</td><td>Age</td></tr><tr><td>Ann</td><td>31</td></tr></table>",
    "<table><tr><th>H</th><td><p>block in a cell</p></td></tr></table>",
    "<table><tr><td>" + "x" * 250 + "</td><td>short</td></tr></table>",
    "<table><tr><td>a<br>b</td><td><a href=/x>link</a> text</td></tr></table>",
    "<table><tr><td><table><tr><td>in</td><td>ner</td></tr></table></td><td>o</td></tr></table>",
    "<table><tr></tr><tr><td></td></tr><tr><td> </td><td>x</td></tr></table>",
    # lists
    ("<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul><ol><li>one</li><li value=7>seven</li>"
    "<li>eight</li></ol>"),
    ("<ol start=3 type=i><li>iii</li><li>iv</li></ol><ol reversed><li>2</li><li>1</li></ol>"
    "<ol type=A start=27><li>AA</li></ol><ol start=' x '><li>1</li></ol>"
    "<ol start=99999999999999999999999><li>big</li></ol><ol type=I start=4000><li>n</li></ol>"),
    "<menu><li>m</li></menu><dir><li>d</li></dir><li>stray item</li><ol><p>p in ol</p></ol>",
    "<dl><dt>term</dt><dd>definition</dd></dl>",
    # <br>, <hr> and <pre>
    "<p>one<br>two<br><br>three<br></p><p><br>lead</p><div>a<hr>b</div>",
    "<p>x<br> <br>y</p><p>x<br><b> </b><br>y</p>",
    ("<pre>\n\n  code line 1  \n\tline 2\r\nline 3\x0bv\x0cf\u2028u\n\n</pre>"
    "<pre>a<br>b<br><br>c</pre><pre> </pre>"),
    "<pre><pre>nested</pre> outer <b>bold</b></pre>",
    # inline separation and links
    ("<p><a href=/1>Home</a><a href=/2>News</a><button>B</button><img alt=i><input>"
    "<label>L</label><b>x</b><i>y</i> z</p>"),
    "<p><a href='  /spaced\u00a0 '>outer <a href=/inner>inner</a> rest</a> after</p>",
    "<div><a href=/blk>before<p>inside</p>after</a></div>",
    "<p><a href=''></a><a>no href</a><a href=/icon><img src=i.png></a>text</p>",
    "<nav><a href=/a>A</a> | <a href=/b>B</a></nav><p>" + "<a href=/l>w</a> " * 40 + "</p>",
    # whitespace of every kind
    "<p>" + SPACES + "</p><p>a" + SPACES + "b</p><p>\u200bzero\u200bwidth\ufeff</p>",
    "<p>\u3000ideographic\u3000space\u00a0nbsp\u2009thin\u202fnarrow</p>",
    # class and id tokens
    "<div class='Main-Content page_body' id=Top_ID><p class='a  b\ta' id=x>t</p></div>",
    "<div class='Ünïcödé-Klasse ΚΛΑΣΗ_x'><p class='\u212aelvin İstanbul'>t</p></div>",
    "<div class='" + " ".join(f"c{i}-x_y" for i in range(80)) + "'><p>many tokens</p></div>",
    "<div class='' id=''><p class='-_-' id='__'>empty parts</p></div>",
    "<div class='a-b'><section class='a-b'><p class='b a'>repeat</p></section></div>",
    # head and metadata
    ("<html lang=EN-gb><head><title> The  Title | Site </title>"
    "<meta property='OG:Title' content='Og  title'><meta name=og:site_name content=Site>"
    "<meta property=og:url content='https://ex.com/a'><link rel='Canonical' href='https://ex.com/c'>"
    "<meta http-equiv=Content-Language content='de, en'><meta name=description content=d>"
    "<script type='application/LD+JSON'>{\"@type\":\"NewsArticle\",\"headline\":\"H\","
    "\"articleBody\":\"Body text\"}</script></head><body><h1>The Title</h1></body></html>"),
    ("<body><title>late title</title><meta property=og:title content=late>"
    "<script type=application/ld+json>[{\"@type\":\"Article\",\"headline\":\"X\"}]</script>"
    "<link rel=canonical href=/rel><p>t</p></body>"),
    "<head><meta name=\u212aey content=x><meta property=og:title></head><p>t</p>",
    # malformed markup
    "<p>one<p>two<div><b>bold <i>both</b> after</i></div></span></td>",
    "<div><p>a</div></p>b<table><td>c</table>",
    "<p title=x\">Broken quote</p><p>next</p><p class=a class=b id=1 id=2>dup attrs</p>",
    "<html><body><article><p>Complete paragraph.</p><p>Cut in the mid",
    "<p>&amp; &lt;tag&gt; &nbsp; &#x1F600; &bogus; &#0; &#xD800;</p>",
    "<p>a<!-- comment -->b<?pi x?>c<![CDATA[d]]>e</p>",
    "<svg:svg><svg:text>ns</svg:text></svg:svg><my-widget data-x=1>custom</my-widget>",
    "</p></div>stray closers<p>and text",
    "<p>" + "<span>" * 300 + "deep inline" + "</span>" * 300 + "</p>",
    "<h1>h</h1><h2>h2</h2><blockquote>q</blockquote><figure><figcaption>c</figcaption></figure>",
]


@needs_walk
@pytest.mark.parametrize("page", EDGE_PAGES, ids=range(len(EDGE_PAGES)))
def test_edge_cases_give_identical_blocks(page):
    assert_same(page)
    assert_same(page.encode("utf-8"))


@needs_walk
def test_non_utf8_and_invalid_bytes_give_identical_blocks():
    pages = [
        "<meta charset=windows-1251><p>Речные баржи вернулись.</p>".encode("cp1251"),
        "<p>Café “Zoë” €</p>".encode("cp1252"),
        codecs.BOM_UTF8 + "<p>bom é</p>".encode(),
        codecs.BOM_UTF16_LE + "<p>utf-16 é</p>".encode("utf-16-le"),
        b"<p>invalid \xff\xfe utf-8 \xc3( here</p>",
        b"<meta charset=utf-8><p>declared but \xe9 invalid</p>",
        "<p>surrogate \ud800 in str</p>",
    ]
    for page in pages:
        assert_same(page)


@needs_walk
def test_hundred_thousand_nested_levels_give_identical_blocks():
    depth = 100_000
    # past libxml2's limit the page is flattened to 1,024 levels (segment/nesting.py); text at
    # every level would give 10^5 blocks whose element paths alone fill this comparison's memory
    assert_same("<div>" * depth + "bottom" + "</div>" * depth)
    assert_same("<div>lvl " * 5000 + "bottom" + "</div>" * 5000)
    assert_same("<p>" + "<b>" * depth + "deep" + "</b>" * depth + "</p>")
    assert_same("<ul>" + "<li>x<ul>" * 2000 + "</ul></li>" * 2000 + "</ul>")


def test_the_pure_walker_still_runs_when_asked():
    doc = segment("<p>Hello <b>world</b></p>", pure=True)
    assert [b.text for b in doc.blocks] == ["Hello world"]


# -- random pages -------------------------------------------------------------------------------

TAGS = ["div", "p", "span", "a", "b", "li", "ul", "ol", "table", "tr", "td", "th", "br", "hr",
        "pre", "h1", "section", "script", "img", "button", "title", "meta", "head", "body"]
ATTRS = st.sampled_from([
    "", " class='x-y'", " id=main_c", " href=/l", " href=' /s '", " hidden", " aria-hidden=true",
    " style='display:none'", " style='color:red'", " start=3", " reversed", " value=9",
    " type=a", " class='A b_c'", " property=og:title content=T", " rel=canonical",
])
TEXTS = st.text(alphabet=st.sampled_from(list("ab é<&") + [" ", "\n", "\t", "\u00a0", "\u3000",
                                                         "\u2028", "\x0b"]), max_size=6)


@st.composite
def pages(draw, depth: int = 0) -> str:
    out = []
    for _ in range(draw(st.integers(0, 4 if depth < 4 else 0))):
        if draw(st.booleans()):
            out.append(draw(TEXTS).replace("<", "&lt;"))
        tag = draw(st.sampled_from(TAGS))
        inner = draw(pages(depth + 1))
        closed = draw(st.integers(0, 5)) > 0
        out.append(f"<{tag}{draw(ATTRS)}>{inner}" + (f"</{tag}>" if closed else ""))
    return "".join(out)


@needs_walk
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages())
def test_random_pages_give_identical_blocks(page):
    assert_same(page)


# -- the C text helpers against Python's str methods --------------------------------------------

ANY_TEXT = st.text(alphabet=st.sampled_from(list(SPACES) + list("ab-_Zé€\u200b\u2030\u0130\u212a")
                                            + ["\U0001d11e", "\x00"]), max_size=30)


@needs_walk
@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_c_whitespace_helpers_match_python(text):
    assert walk.squash(text) == " ".join(text.split())
    assert walk.strip(text) == text.strip()
    assert walk.is_space(text) == text.isspace()
    pieces = (" ".join(seg.split()) for seg in text.split("\x00"))
    assert walk.squash_lines(text) == "\n".join(filter(None, pieces))


# Mostly printable ASCII: runs of eight and more such bytes take the word-at-a-time path of the
# C squash, which stops exactly at the first space, control byte or non-ASCII character.
WORDY_TEXT = st.text(alphabet=st.sampled_from(list("abcdefgh.,!~0Z") * 8 + list(SPACES)
                                              + ["\x00", "\x1f", "\x7f", "é", "€", "\U0001d11e"]),
                     max_size=80)


@needs_walk
@settings(max_examples=400, deadline=None)
@given(WORDY_TEXT)
def test_c_squash_of_long_words_matches_python(text):
    assert walk.squash(text) == " ".join(text.split())
    pieces = (" ".join(seg.split()) for seg in text.split("\x00"))
    assert walk.squash_lines(text) == "\n".join(filter(None, pieces))


TOKEN_TEXT = st.text(alphabet=st.sampled_from(list("aB-_ \t\n\x0b\x1c9") + ["é", "\u212a"]),
                     max_size=40)


@needs_walk
@settings(max_examples=400, deadline=None)
@given(st.one_of(st.none(), TOKEN_TEXT), st.one_of(st.none(), TOKEN_TEXT))
def test_c_class_tokens_match_python(cls, ident):
    fast = walk.split_tokens(cls, ident)
    joined = (cls or "") + " " + (ident or "")
    if not joined.isascii():
        assert fast is None  # the Python splitter runs for these
    elif fast is not None:
        assert fast == html._split_tokens(cls, ident, {})


@needs_walk
def test_c_class_tokens_fall_back_when_there_are_too_many():
    many = " ".join(f"t{i}" for i in range(100))
    assert walk.split_tokens(many, None) is None


@needs_utf8
@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([bytes([b]) for b in range(256)] + [
    c.encode("utf-8", "surrogatepass") for c in "é€\U0001d11e\ud800\udfff\U0010ffff\u07ff\u0800"
] + [b"\xf4\x90\x80\x80", b"\xe0\x80\x80", b"\xc0\x80", b"plain ascii text"]), max_size=30))
def test_c_utf8_check_matches_python(parts):
    data = b"".join(parts)
    try:
        data.decode("utf-8")
        ok = True
    except UnicodeDecodeError:
        ok = False
    assert utf8.utf8_valid(data) is ok
    assert charset._utf8_valid_py(data) is ok


def test_detect_codec_agrees_with_detect_encoding():
    samples = [
        b"<p>plain</p>", "<p>é</p>".encode(), codecs.BOM_UTF8 + b"<p>x</p>",
        codecs.BOM_UTF16_BE + "<p>é</p>".encode("utf-16-be"),
        "<meta charset=cp1251><p>Речные</p>".encode("cp1251"),
        b"<meta charset=utf-8><p>\xe9</p>", b"<meta charset=latin1><p>\xe9</p>",
        b"<p>\xff\xfe\xfd invalid</p>", "<p>a</p>".encode("utf-16-le"),
    ]
    for data in samples:
        text, codec = charset.detect_encoding(data)
        fast, fast_codec = charset.detect_codec(data)
        assert fast_codec == codec
        body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
        if codec == "utf-8" and fast is None:  # only well-formed UTF-8 is handed on undecoded
            assert body.decode("utf-8") == text
        else:
            assert fast == text


@needs_utf8
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60), st.integers(0, 70))
def test_c_sniff_counts_match_python(data, window):
    assert utf8.sniff_counts(data, window) == charset._sniff_counts_py(data, window)


@needs_walk
def test_threads_segmenting_at_once_get_the_blocks_of_one_thread(shared_fixtures):
    import threading

    paths = sorted((shared_fixtures / "aeb" / "html").glob("*.html.gz"))[:12]
    pages = [gzip.decompress(p.read_bytes()) for p in paths]
    expected = [summary(segment(p, pure=False)) for p in pages]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over as often as possible
    bad: list[int] = []
    try:
        def work() -> None:
            bad.extend(i for i, p in enumerate(pages) if summary(segment(p, pure=False)) != expected[i])

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert not bad
