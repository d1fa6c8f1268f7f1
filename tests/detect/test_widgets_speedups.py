"""The widgets detector's fast paths must give exactly what the pure-Python reference gives.

The compiled kernel (``unboil.detect._widgets``) re-implements the text scan, the fold, the
link and class-token look-ups and the per-block decisions; these tests run both paths in one
process on real pages and on generated texts mixing lexicon phrases of several languages, CJK,
urls, handles, fillers and separators, and compare every signal.
"""

from __future__ import annotations

import gzip
import random
import re
import unicodedata
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unboil._compiled import compiled
from unboil.detect import widgets
from unboil.detect.lexicon_loader import (
    _FOLD_TABLE,
    FOLD_CHARS,
    Lexicon,
    fold,
    load_lexicon,
)
from unboil.detect.widgets import DEFAULT_CONFIG, WidgetConfig
from unboil.document import Block, Document, Link

KERNEL = compiled("detect._widgets")
needs_kernel = pytest.mark.skipif(KERNEL is None, reason="detect._widgets is not compiled here")
SIGNALS = ("widget", "widget_score", "lexicon_hits", "share_links")
AEB_HTML = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aeb" / "html"
LOCAL_HTML = Path(__file__).resolve().parent.parent / "fixtures" / "html"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


def reference_fold(text: str) -> str:
    """``fold`` as first written: NFKC, casefold, the table, whitespace squeezed."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD_TABLE)
    return " ".join(folded.split())


def signals(doc: Document) -> list[tuple]:
    return [tuple(b.signals[k] for k in SIGNALS) for b in doc.blocks]


def both_paths(make_doc, lex: Lexicon, config: WidgetConfig = DEFAULT_CONFIG) -> tuple[list, list]:
    """Signals of the pure-Python path and of the kernel path on two copies of a document."""
    pure, fast = make_doc(), make_doc()
    widgets._annotate(pure, lex, config, None)
    widgets._annotate(fast, lex, config, KERNEL)
    return signals(pure), signals(fast)


# --- generated material ----------------------------------------------------------------------

_LEX = load_lexicon()
PHRASES = sorted({p for p, _, _ in _LEX.phrases})
FILLERS = sorted(_LEX.fillers)
MARKERS = sorted(t for _, _, t in _LEX.markers)
PIECES = st.one_of(
    st.sampled_from(PHRASES),
    st.sampled_from(PHRASES).map(str.upper),
    st.sampled_from(PHRASES).map(lambda p: p.replace(" ", "-")),
    st.sampled_from(FILLERS),
    st.sampled_from(["https://t.me/x", "www.example.com", "site.com/a", "@handle", "a@b.co",
                     "10/12/2019", "a.bc/d", "x.y/z", "AB.CD/", "s.ab", "ftp://x", "news / sports",
                     "print(x)", "reply_sms", "Response.ok", "'comments'", "e-mail", "x.com",
                     "12", "👍", "·", "|", "»", ":", "-", "/", "—", "’", "`", "ё", "أ", "\u064e",
                     "分享到微信", "コメント", "관련기사", "件の", "ข่าว", "İ", "ß", "ﬁ", "\u00a0",
                     "\t", "\n", "  ", "Read also:", "Читайте также:", "相关阅读：", "Lire aussi -"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    st.text(alphabet="abcdefghij ", min_size=1, max_size=12),
)
TEXTS = st.lists(PIECES, max_size=14).map(" ".join) | st.lists(PIECES, max_size=14).map("".join)
LEAD_INS = st.builds(  # "Read also: <title>" and near misses
    lambda lead, sep, rest: lead + sep + rest,
    st.sampled_from(sorted(_LEX.lead_ins)).map(lambda k: k.title() if len(k) % 2 else k),
    st.sampled_from([": ", " - ", "» ", " | ", ":", " ", "", " · ", "/x", "x: "]),
    TEXTS)
TEXTS = TEXTS | LEAD_INS
LONG_TEXTS = st.lists(PIECES, min_size=30, max_size=80).map(" ".join)

HOSTS = [h for h, _ in _LEX.platform_hosts]
HREFS = st.one_of(
    st.sampled_from(["", " ", "#top", "/a/b", "?q=1", "//cdn.example.com/x", "mailto:?body=x",
                     "mailto:a@b.c?subject=1&body=see https://x.y", "sms:?body=hi",
                     "https://www.facebook.com/sharer/sharer.php?u=x", "https://twitter.com/intent/tweet",
                     "https://x.com/share?x", "https://t.me/share/url?url=1", "whatsapp://send?text=1",
                     "https://nypost.com/2019/a", "HTTPS://WWW.FACEBOOK.COM/SHARER.PHP", " \thttps://t.me/a",
                     "https://face\tbook.com/x", "https://m.facebook.com/page", "https://[::1]/x",
                     "https://exa mple.com", "https://ok.ru/dk?st.cmd=addShare", "javascript:void(0)",
                     "https://www.pinterest.co.uk/pin/create/button/", "https://é.com/x",
                     "https://t.co@evil.com/", "https://www.facebook.com:443/x", "https://facebook.com./",
                     "https://user@twitter.com/x", "https://[twitter.com]/x", "https://twitter.com%25z/x",
                     "https://xt.co/", "https://m.twitter.com", "https://www.m.twitter.com/x",
                     "http://www.t.co?x", "HTTPS://T.CO#A", "https://t.co\n/x", "ftp://vk.com"]),
    st.builds(lambda s, h, p: f"{s}{h}{p}", st.sampled_from(["https://", "http://www.", "//", "", "https://m."]),
              st.sampled_from(HOSTS + ["example.com", "news.site"]),
              st.sampled_from(["", "/", "/share", "/intent/tweet?text=a", "/user", "/sharer.php"])),
    st.text(max_size=30),
)
TOKENS = st.lists(st.one_of(st.sampled_from(MARKERS), st.sampled_from(MARKERS).map(lambda t: t + "x"),
                            st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_", max_size=10)),
                  max_size=8).map(tuple)


@st.composite
def documents(draw) -> list[dict]:
    """Block specs: text, links, link density, class tokens (texts and tuples repeat, as on pages)."""
    texts = draw(st.lists(TEXTS | LONG_TEXTS, min_size=1, max_size=5))
    tokens = draw(st.lists(TOKENS, min_size=1, max_size=3))
    specs = []
    for _ in range(draw(st.integers(1, 10))):
        links = draw(st.lists(HREFS, max_size=4))
        specs.append({
            "text": draw(st.sampled_from(texts)),
            "links": tuple(Link(text="l", href=h) for h in links),
            "link_density": draw(st.sampled_from([0.0, 0.3, 0.5, 0.9, 1.0])),
            "class_tokens": draw(st.sampled_from(tokens)),
        })
        if draw(st.booleans()):  # equal tokens that are distinct string objects
            specs[-1]["class_tokens"] = tuple("".join(list(t)) for t in specs[-1]["class_tokens"])
    return specs


def doc_from(specs: list[dict]):
    return lambda: Document(blocks=[Block(index=i, **spec) for i, spec in enumerate(specs)])


# --- the fold (both paths) --------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_fold_equals_the_reference_fold(text: str) -> None:
    assert fold(text) == reference_fold(text)


def test_fold_equals_the_reference_on_every_table_character() -> None:
    rng = random.Random(7)
    alphabet = [*FOLD_CHARS, "a", "A", " ", "\t", "`", "É", "ё", "\u00a0", "\u2003", "ﬁ", "İ"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        assert fold(text) == reference_fold(text), text


@needs_kernel
@settings(max_examples=400, deadline=None)
@given(TEXTS | st.text(max_size=40))
def test_kernel_fold_equals_fold(text: str) -> None:
    annotator = widgets._annotator(_LEX, DEFAULT_CONFIG, KERNEL)
    assert annotator.kernel_fold(text) == fold(text)


@needs_kernel
def test_kernel_fold_on_tricky_characters() -> None:
    annotator = widgets._annotator(_LEX, DEFAULT_CONFIG, KERNEL)
    rng = random.Random(11)
    alphabet = [*FOLD_CHARS, "a", "Z", " ", " ", "\t", "\n", "\u2003", "\u00a0", "\u3000", "`", "É",
                "ß", "ẞ", "İ", "ŉ", "ΐ", "Σ", "ς", "µ", "ﬁ", "Ⅳ", "½", "²", "Ａ", "ｶﾞ", "가", "한",
                "\u0301", "e\u0301", "𝐀", "😀", "\U0001F44D", "ё", "Ё", "أ", "\u064e", "\x00", "\x1f"]
    for _ in range(30_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert annotator.kernel_fold(text) == reference_fold(text), repr(text)


# --- the scan --------------------------------------------------------------------------------

@needs_kernel
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS | LONG_TEXTS, st.sampled_from([DEFAULT_CONFIG, WidgetConfig(max_words=5, lead_in_max_words=3)]))
def test_kernel_scan_equals_the_reference_scan(text: str, config: WidgetConfig) -> None:
    norm = fold(text)
    expected = widgets._scan_folded(norm, _LEX, config)
    assert widgets._scanner(_LEX, config, KERNEL)(norm) == expected
    assert widgets.scan_text(text, _LEX, config) == widgets.TextVerdict(*expected)


_URLISH = st.lists(st.sampled_from(
    ["w", "ww", "www.", "www", ".", "/", "//", "://", "http", "https://", "@", "@a.b", "a", "ab",
     "com", ".com/", ".ru", "x_y", "é", "中", "share", "facebook", "telegram", "1", " ", " ",
     "  ", "\u3000", "\t", "\n", "-", ":"]), max_size=30).map("".join)


@needs_kernel
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_URLISH, st.sampled_from([DEFAULT_CONFIG, WidgetConfig(max_words=5, lead_in_max_words=3)]))
def test_kernel_scan_equals_the_reference_on_urls_and_handles(text: str, config: WidgetConfig) -> None:
    """The kernel runs skip_re on the space-delimited stretches that can hold a match only;
    the masked urls and handles must be exactly the reference's."""
    norm = fold(text)
    assert widgets._scanner(_LEX, config, KERNEL)(norm) == widgets._scan_folded(norm, _LEX, config)


@needs_kernel
def test_skip_re_matches_hold_no_space_and_a_hint(lexicon: Lexicon) -> None:
    """What the kernel's stretch search relies on, checked on the real pages' folded texts."""
    from unboil.segment.html import segment_html

    skip_re = widgets._patterns()[2]
    pages = _real_pages()
    if not pages:
        pytest.skip("no real pages found")
    seen = 0
    for path in pages[:60]:
        for block in segment_html(_read_page(path), "").blocks:
            for m in skip_re.finditer(fold(block.text)):
                seen += 1
                assert " " not in m.group()
                assert "@" in m.group() or "/" in m.group() or "www." in m.group()
    assert seen


@needs_kernel
def test_kernel_scan_equals_the_reference_on_the_case_file(lexicon: Lexicon) -> None:
    from tests.detect.test_widgets import CASES

    texts = [c["text"] for group in CASES.values() for c in group if "text" in c]
    texts += [t for group in CASES.values() for c in group for t in c.get("texts", [])]
    assert texts
    scan = widgets._scanner(lexicon, DEFAULT_CONFIG, KERNEL)
    for text in texts:
        norm = fold(text)
        assert scan(norm) == widgets._scan_folded(norm, lexicon, DEFAULT_CONFIG), text


# --- links, class tokens, rounding -------------------------------------------------------------

@needs_kernel
@settings(max_examples=500, deadline=None)
@given(HREFS)
def test_href_shortcuts_equal_the_plain_href_kind(href: str) -> None:
    plain = widgets._href_kind(href, _LEX)
    assert widgets._href_kind(href, _LEX, widgets._href_prefilter(_LEX, KERNEL)) == plain
    assert widgets._annotator(_LEX, DEFAULT_CONFIG, KERNEL).kernel_href_kind(href) == plain
    assert widgets._href_plan(_LEX, KERNEL).kind(href) == plain


@needs_kernel
def test_href_shortcuts_on_every_link_of_the_real_pages(lexicon: Lexicon) -> None:
    from unboil.segment.html import segment_html

    pages = _real_pages()
    if not pages:
        pytest.skip("no real pages found")
    annotator = widgets._annotator(lexicon, DEFAULT_CONFIG, KERNEL)
    plan = widgets._href_plan(lexicon, KERNEL)
    kinds = set()
    for path in pages[:60]:
        data = _read_page(path)
        for href in {link.href for block in segment_html(data, "").blocks for link in block.links}:
            plain = widgets._href_kind(href, lexicon)
            kinds.add(plain)
            assert plan.kind(href) == plain, href
            assert annotator.kernel_href_kind(href) == plain, href
    assert kinds == {0, 1, 2}


def test_refers_to_groups() -> None:
    assert widgets._refers_to_groups(r"(a)\1")
    assert widgets._refers_to_groups(r"(a)(?(1)b|c)")
    assert widgets._refers_to_groups(r"x(y|(z)\2)")
    assert not widgets._refers_to_groups(r"facebook\.com/(sharer|share\.php)")


@needs_kernel
@settings(max_examples=300, deadline=None)
@given(st.one_of(st.sampled_from(MARKERS), st.sampled_from(MARKERS).map(lambda t: t + "-x"),
                 st.text(max_size=12)))
def test_kernel_token_marker_equals_the_python_one(token: str) -> None:
    annotator = widgets._annotator(_LEX, DEFAULT_CONFIG, KERNEL)
    assert annotator.kernel_token_marker(token) == widgets._token_marker(token, _LEX)


def test_markers_of_equals_marker_category(lexicon: Lexicon) -> None:
    rng = random.Random(3)
    pool = MARKERS + ["nav", "menu", "post", "entry", "content", "x"]
    known: set[str] = set()
    named: dict[str, str] = {}
    for _ in range(3000):
        tokens = tuple(rng.choice(pool) for _ in range(rng.randint(0, 8)))
        assert widgets._markers_of(tokens, lexicon, known, named) == \
            widgets._marker_category(tokens, lexicon)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_LEX.share_endpoints), st.data())
def test_every_endpoint_match_contains_a_required_string(pattern: str, data) -> None:
    factors = widgets._required_strings(pattern)
    assert factors, pattern
    match = data.draw(st.from_regex(pattern, fullmatch=True))
    assert any(f in match for f in factors), (pattern, match, factors)
    for needed in widgets._required_string_sets(pattern):
        assert any(f in match for f in needed), (pattern, match, needed)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([*_LEX.share_endpoints, r"^a(b|cd)", r"x[yz]", r"(?:ab|)c"]), st.data())
def test_literal_forms_agree_with_the_patterns(pattern: str, data) -> None:
    form = widgets._literal_form(pattern)
    if form is None:
        return
    anchored, strings = form
    text = data.draw(st.one_of(st.from_regex(pattern), st.text(max_size=30),
                               st.sampled_from(strings).map(lambda x: "z" + x)))
    found = text.startswith(strings) if anchored else any(x in text for x in strings)
    assert found == bool(re.search(pattern, text)), (pattern, text)


@pytest.mark.parametrize("pattern, expected", [
    (r"abc", {"abc"}),
    (r"(a|bb)cd", {"acd", "bbcd"}),
    (r"x+yz", {"yz"}),
    (r"^ab(?:c|d)?efg", {"efg"}),
    (r"(?i)abc", None),
    (r"a|b", {"a", "b"}),
    (r"[^a]*", None),
])
def test_required_strings(pattern: str, expected: set[str] | None) -> None:
    got = widgets._required_strings(pattern)
    assert (None if got is None else set(got)) == expected


@needs_kernel
@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=2, max_size=5), min_size=1, max_size=6), st.text(max_size=40))
def test_literal_filter_is_a_case_blind_substring_test(literals: list[str], text: str) -> None:
    got = KERNEL.LiteralFilter(literals).may_contain(text)
    low = regex.sub("[A-Z]", lambda m: m.group().lower(), text)
    want = any(regex.sub("[A-Z]", lambda m: m.group().lower(), lit) in low for lit in literals)
    assert got == (want or any(c in text for c in "\t\n\r"))


_ASCIIISH = st.text(alphabet=st.sampled_from("abcxyzABCXYZ./:?=_-\t\xe9\xff\x7f"), max_size=40)


@needs_kernel
@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(_ASCIIISH.filter(lambda x: len(x) >= 2),
                          st.text(min_size=2, max_size=5)), min_size=1, max_size=8),
       st.lists(st.integers(0, 7), max_size=4), _ASCIIISH)
def test_literal_filter_ascii_verdict_agrees_with_may_contain(
        literals: list[str], picks: list[int], noise: str) -> None:
    """The C byte buckets of ascii_verdict answer as may_contain does on ASCII text; a text with
    a character past ASCII gets -1 unless a literal was found before it."""
    literal_filter = KERNEL.LiteralFilter(literals)
    text = noise
    for k in picks:  # plant some literals, recased, in the noise
        lit = literals[k % len(literals)]
        text += (lit.upper() if k % 2 else lit) + noise[: k]
    if not text.isascii() and max(map(ord, text)) > 0xFF:
        return  # not a 1-byte string: ascii_verdict never sees it
    verdict = literal_filter.kernel_ascii_verdict(text)
    if text.isascii():
        assert verdict == int(literal_filter.may_contain(text))
    else:
        assert verdict in (-1, 1)
        if verdict == 1:
            assert literal_filter.may_contain(text)


@needs_kernel
def test_literal_filter_ascii_verdict_on_the_real_links(lexicon: Lexicon) -> None:
    from unboil.segment.html import segment_html

    pages = _real_pages()
    if not pages:
        pytest.skip("no real pages found")
    literal_filter = widgets._href_filter(lexicon, KERNEL)
    verdicts = set()
    for path in pages[:60]:
        for block in segment_html(_read_page(path), "").blocks:
            for link in block.links:
                if link.href.isascii():
                    verdict = literal_filter.kernel_ascii_verdict(link.href)
                    verdicts.add(verdict)
                    assert verdict == int(literal_filter.may_contain(link.href)), link.href
    assert verdicts == {0, 1}


@needs_kernel
@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.floats(0.0, 1.0), st.integers(0, 10_000).map(lambda k: k / 10_000),
                 st.integers(0, 20_000).map(lambda k: k / 20_000), st.integers(0, 400).map(lambda k: 0.45 * k / 400)))
def test_kernel_rounding_equals_round(x: float) -> None:
    assert KERNEL.round4(x) == round(x, 4)


# --- whole documents ---------------------------------------------------------------------------

@needs_kernel
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_kernel_annotate_equals_the_pure_path(specs: list[dict]) -> None:
    pure, fast = both_paths(doc_from(specs), _LEX)
    assert fast == pure
    again = doc_from(specs)()  # memos filled by the first run must not change anything
    widgets._annotate(again, _LEX, DEFAULT_CONFIG, KERNEL)
    assert signals(again) == pure


def _read_page(path: Path) -> bytes:
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as fh:
            return fh.read()
    return path.read_bytes()


def _real_pages() -> list[Path]:
    pages = sorted(AEB_HTML.glob("*.html.gz")) if AEB_HTML.is_dir() else []
    return pages + sorted(LOCAL_HTML.glob("*.html"))


@needs_kernel
@pytest.mark.parametrize("config", [DEFAULT_CONFIG, WidgetConfig(max_words=8, min_link_density=0.2)])
def test_kernel_annotate_equals_the_pure_path_on_real_pages(lexicon: Lexicon, config: WidgetConfig) -> None:
    from unboil.segment.html import segment_html

    pages = _real_pages()
    if not pages:
        pytest.skip("no real pages found")
    for path in pages:
        data = _read_page(path)
        pure, fast = both_paths(lambda data=data: segment_html(data, ""), lexicon, config)
        assert fast == pure, path.name


def test_pure_path_runs_without_the_kernel(lexicon: Lexicon) -> None:
    """The pure-Python twin is complete on its own (what runs when the kernel is missing)."""
    doc = Document(blocks=[Block(index=0, text="Share on Facebook",
                                 links=(Link("f", "https://facebook.com/sharer.php?u=1"),),
                                 link_density=1.0)])
    widgets._annotate(doc, lexicon, DEFAULT_CONFIG, None)
    assert doc.blocks[0].signals["widget"] == "share"
    assert doc.blocks[0].signals["share_links"] == 1


@needs_kernel
def test_kernel_path_is_safe_from_threads(lexicon: Lexicon) -> None:
    """The kernel reuses buffers between calls: threads sharing a lexicon must not mix them."""
    import sys
    import threading

    from unboil.segment.html import segment_html

    pages = _real_pages()[:12]
    if not pages:
        pytest.skip("no real pages found")
    datas = [_read_page(p) for p in pages]
    expected = []
    for data in datas:
        doc = segment_html(data, "")
        widgets._annotate(doc, lexicon, DEFAULT_CONFIG, None)
        expected.append(signals(doc))
    results: dict[int, list] = {}

    def work(k: int) -> None:
        got = []
        for data in datas:
            doc = segment_html(data, "")
            widgets._annotate(doc, lexicon, DEFAULT_CONFIG, KERNEL)
            got.append(signals(doc))
        results[k] = got

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert len(results) == 4 and all(r == expected for r in results.values())


@needs_kernel
def test_huge_texts_and_the_buffers_they_leave(lexicon: Lexicon) -> None:
    """Texts past the kept-buffer size are scanned alike, and the next small text still is."""
    scan = widgets._scanner(lexicon, DEFAULT_CONFIG, KERNEL)
    for text in ("Share on Facebook. " * 8000, "Поделиться " + "x" * 100_000, "Share", "Читайте также: а"):
        norm = fold(text)
        assert scan(norm) == widgets._scan_folded(norm, lexicon, DEFAULT_CONFIG)
    texts = ["Share on Facebook. " * 8000, "Share", "Related video", "x " * 70_000, "Facebook"]
    pure, fast = both_paths(lambda: Document(blocks=[Block(index=i, text=t) for i, t in enumerate(texts)]),
                            lexicon)
    assert fast == pure
