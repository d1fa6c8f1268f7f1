"""The compiled density and content kernels against their pure-Python twins: same signals, exactly.

Every check runs both paths in one process (each stage's private twin takes the kernel, None for
plain Python) on real pages from ../shared/fixtures and on hand-made edge cases, and wants bit-equal results.
"""

from __future__ import annotations

import gzip
import math
import random
import re
from pathlib import Path

import numpy as np
import pytest

from unboil._compiled import compiled
from unboil.cleaner import default_cleaner
from unboil.detect.content import _annotate_content, _score_page, best_container, load_model
from unboil.detect.density import _PUNCT, _SPACE, _annotate_density, astral_flags, char_flags
from unboil.detect.features import _log1p_table, _page_features, _pick_language
from unboil.detect.markup import _block_markup, load_vocabulary
from unboil.detect.repeats import annotate_repeats
from unboil.detect.widgets import annotate_widgets
from unboil.fingerprint.shingles import TOKEN_RE
from unboil.segment.html import segment_html

KERNEL = compiled("detect._content")
pytestmark = pytest.mark.skipif(KERNEL is None, reason="unboil.detect._content is not compiled")

TRICKY = [
    "", " ", "\n\t", "Hello, World!", "İstanbul İSTANBUL", "snake_case and __dunder__ 42x",
    "naïve café — “quoted” … ½ ¾ µ ß ÿ", "Ünïcödé ÀÉÎÕÜ", "日本語のテキスト、句読点。",
    "emoji 😀👍🏽 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math 𝟙𝟚", "Ελληνικά ΣΊΣΥΦΟΣ", "a\u0307b \u00a0nbsp\u2009thin",
    "ﬁnance ﬂow", "ǅemal ǈ", "x" * 300, "1.2.3 — 4/5 | 6_7",
]


def _pages(shared: Path, per_bench: int) -> list[Path]:
    out: list[Path] = []
    for bench in ("aeb", "wcxb-dev"):
        paths = sorted((shared / bench / "html").glob("*.html.gz"))
        out.extend(paths[:: max(1, len(paths) // per_bench)][:per_bench])
    return out


def _both(fn, *args):
    """``fn(*args, kernel)`` in plain Python (kernel None), then with the compiled kernel."""
    return fn(*args, None), fn(*args, KERNEL)


def _fresh(doc):
    for b in doc.blocks:
        b.signals = {k: v for k, v in b.signals.items() if k in ("ancestors", "cells")}
    return doc


def _annotated(doc, kernel=KERNEL):
    cleaner = default_cleaner()
    _annotate_density(_fresh(doc), None, kernel)
    annotate_widgets(doc, cleaner.lexicon)
    annotate_repeats(doc, cleaner.config.repeats)
    return doc


def _signals(doc) -> list[dict]:
    return [dict(b.signals) for b in doc.blocks]


def test_real_pages_give_identical_signals_and_features(shared_fixtures):
    for path in _pages(shared_fixtures, 20):
        doc = segment_html(gzip.decompress(path.read_bytes()), "")

        def density(kernel, d=doc):
            _annotate_density(_fresh(d), None, kernel)
            return _signals(d)

        pure, fast = _both(density)
        assert pure == fast, path.name
        _annotated(doc)
        pure, fast = _both(_block_markup, doc, load_vocabulary())
        assert pure == fast, path.name
        pf, ff = _both(_page_features, doc, None)
        assert np.array_equal(pf.matrix, ff.matrix), path.name
        assert np.array_equal(pf.words, ff.words) and np.array_equal(pf.stopword_ratio, ff.stopword_ratio)
        assert (pf.jsonld_overlap is None) == (ff.jsonld_overlap is None)
        if pf.jsonld_overlap is not None:
            assert np.array_equal(pf.jsonld_overlap, ff.jsonld_overlap)
        assert (pf.markup, pf.parents, pf.lang) == (ff.markup, ff.parents, ff.lang), path.name
        (_, ps), (_, fs) = _both(_score_page, doc, load_model())
        assert np.array_equal(ps, fs), path.name

        def content(kernel, d=doc):
            _annotate_content(d, load_model(), kernel)
            return _signals(d), dict(d.metadata)

        pure, fast = _both(content)
        assert pure == fast, path.name


@pytest.mark.parametrize("lang", ["", "en", "de-AT", "xx", "nb"])
def test_edge_texts_and_languages(lang):
    body = " ".join(TRICKY) * 3
    html = (f'<html lang="{lang}"><head><script type="application/ld+json">'
            f'{{"@type": "NewsArticle", "articleBody": "{body}"}}</script></head><body>'
            '<nav role="navigation"><ul><li><a href="/">Home</a></li></ul></nav>'
            '<div class="post-content entry" itemprop="articleBody">'
            + "".join(f"<p>{t}</p>" for t in TRICKY if t.strip())
            + '<div class="comments" role="complementary"><p>Nice post, thanks!</p></div>'
            "</div><footer><p>© 2026</p></footer></body></html>")
    doc = segment_html(html, "https://example.com/2026/11/27/a-b-c-d")
    _annotated(doc)

    def run(kernel, d=doc):
        _annotate_density(_fresh(d), None, kernel)
        _annotate_content(_annotated(d, kernel), load_model(), kernel)
        return _signals(d), dict(d.metadata)

    pure, fast = _both(run)
    assert pure == fast


def test_tokens_match_the_regex():
    for text in TRICKY:
        assert KERNEL.tokens(text) == TOKEN_RE.findall(text.lower()), text


def test_word_sets_count_like_python_sets():
    words = ["the", "und", "çà", "ﬁ", "i̇stanbul", "日本語", "x" * 40]
    table = KERNEL.WordSet(words)
    blocks = [type("B", (), {"text": t})() for t in TRICKY + [" ".join(words), "THE Und ÇÀ"]]
    n = len(blocks)
    got_words, got_ratio, got_overlap = np.zeros(n), np.zeros(n), np.zeros(n)
    KERNEL.block_counts(blocks, table, table, got_words, got_ratio, got_overlap)
    for b, w, r in zip(blocks, got_words, got_ratio):
        toks = TOKEN_RE.findall(b.text.lower())
        assert w == len(toks)
        assert r == (sum(t in set(words) for t in toks) / len(toks) if toks else 0.0), b.text


def test_round4_is_pythons_round():
    rng = random.Random(7)
    values = [rng.random() for _ in range(20000)] + [k / 20000 for k in range(20001)]
    values += [k / 10000 + 0.00005 for k in range(10000)] + [0.0, -0.0, 1.0, 0.12345, 0.00005]
    for v in values:
        got, want = KERNEL.round4(v), round(v, 4)
        assert got == want and math.copysign(1, got) == math.copysign(1, want), v


def test_character_flags_follow_the_regexes():
    flags = char_flags()
    rng = random.Random(3)
    for code in rng.sample(range(0x10000), 3000) + [0x130, 0x20, 0xA0, 0x3000, 0x5F]:
        ch = chr(code)
        assert bool(flags[code] & 1) == bool(_PUNCT.match(ch))
        assert bool(flags[code] & 2) == bool(_SPACE.match(ch))
        assert bool(flags[code] & 4) == bool(re.match(r"\w", ch))
    for code in (0x1F600, 0x1D518, 0x1D7D9, 0x10FFFF):
        assert astral_flags(code) == (bool(_PUNCT.match(chr(code))) | 2 * bool(_SPACE.match(chr(code))))


def test_log1p_table_is_numpys_value_on_one_number():
    table = _log1p_table()
    for k in list(range(0, 4096)) + [9999, 40000, 65535]:
        assert table[k] == np.log1p(k)


def test_best_container_on_random_trees():
    rng = random.Random(11)
    for _ in range(300):
        paths = []
        for _ in range(rng.randint(1, 40)):
            depth = rng.randint(1, 6)
            paths.append("/".join(["html"] + [rng.choice(["body", "div", "div[2]", "p", "ul"])
                                              for _ in range(depth)]))
        mass = np.array([rng.choice([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0]) for _ in paths])
        nodes, _, block_node, parent, order, length, _ = KERNEL.path_tree(paths)
        best = KERNEL.best_node(mass, block_node, parent, order, length)
        assert (nodes[best] if best >= 0 else "") == best_container(paths, mass)


def test_pick_language_same_both_ways():
    samples = [("de-AT", "der die und in den von zu das mit sich".split()),
               ("", "и в не на что он с как а то все".split()), ("xx", ["1234", "5678"]),
               ("en", ["der", "die", "und"] * 40), ("", [])]
    for declared, tokens in samples:
        pure, fast = _both(_pick_language, declared, tokens)
        assert pure == fast


def test_token_masks_name_the_vocabulary_classes(shared_fixtures):
    from unboil.detect.markup import _bits_for, load_vocabulary

    vocab = load_vocabulary()
    bits = _bits_for(vocab, (), KERNEL)
    tokens = set(vocab.tokens) | {part for part, _ in vocab.contains}
    tokens |= {"x" + part + "y" for part, _ in vocab.contains} | {"nav", "ad", "mainnavigation", ""}
    for path in _pages(shared_fixtures, 5):
        doc = segment_html(gzip.decompress(path.read_bytes()), "")
        tokens |= {t for b in doc.blocks for t in b.class_tokens}
    for token in tokens:
        want = 0
        for name in vocab.token_classes(token):
            want |= bits.bit[name]
        assert bits.token_mask(token) == want, token


def test_pure_python_switch_is_read_at_import():
    """UNBOIL_PURE_PYTHON=1 before import leaves the content stage on plain Python throughout."""
    import os
    import subprocess
    import sys

    code = ("from unboil.detect import content, density, features, markup\n"
            "assert density.KERNEL is None and content.KERNEL is None\n"
            "assert features.KERNEL is None and markup.KERNEL is None\n"
            "from unboil.segment.html import segment_html\n"
            "doc = segment_html('<html><body><nav><a href=\"/\">Home</a></nav>"
            "<p>Some words of text here.</p></body></html>', '')\n"
            "density.annotate_density(doc)\n"
            "content.annotate_content(doc)\n"
            "assert all('content_score' in b.signals for b in doc.blocks)\n")
    env = {**os.environ, "UNBOIL_PURE_PYTHON": "1"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_block_slots_read_directly_give_what_getattr_gives(shared_fixtures):
    """The kernels read Block slots at their descriptors' offsets; with that switched off (another
    class registered) every attribute goes through getattr: same signals and metadata."""
    from unboil.document import Block

    class Other:
        pass

    def run(d):
        _annotate_density(_fresh(d), None, KERNEL)
        _annotate_content(_annotated(d), load_model(), KERNEL)
        return _signals(d), dict(d.metadata)

    try:
        for path in _pages(shared_fixtures, 6):
            doc = segment_html(gzip.decompress(path.read_bytes()), "")
            KERNEL.block_layout(Other)
            slow = run(doc)
            KERNEL.block_layout(Block)
            assert run(doc) == slow, path.name
    finally:
        KERNEL.block_layout(Block)


def test_block_subclasses_and_unset_slots_fall_back_to_getattr():
    from unboil.document import Block

    class Sub(Block):
        __slots__ = ()

        @property
        def text(self):  # a subclass may shadow a field: the kernel must see what getattr sees
            return "shadowed text here"

        @text.setter
        def text(self, value):
            pass

    plain = Block(index=0, text="one two three")
    sub = Sub(index=1, text="ignored")
    words, ratio, overlap = np.zeros(2), np.zeros(2), np.zeros(2)
    table = KERNEL.WordSet(["two", "here"])
    KERNEL.block_counts([plain, sub], table, table, words, ratio, overlap, 0, 0, char_flags())
    assert list(words) == [3, 3] and list(ratio) == [1 / 3, 1 / 3]
    del plain.text
    with pytest.raises(AttributeError):
        KERNEL.block_counts([plain], table, None, words, ratio, overlap, 0, 0, char_flags())
