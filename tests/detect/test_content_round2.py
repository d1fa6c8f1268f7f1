"""Round-2 content kernels against plain Python and numpy: same values, bit for bit.

The scoring glue (bias, ReLU, clipping, sigmoid), the page-wide columns, the article-prefix count
and the path tree are checked on random data and on real pages; one Cleaner shared by threads
must give each page the signals it gives alone.
"""

from __future__ import annotations

import gzip
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil._compiled import compiled
from unboil.cleaner import default_cleaner
from unboil.detect.content import Layer, _page_probability, _sigmoid, load_model
from unboil.detect.features import _log1p_one, _log1p_table
from unboil.segment.html import segment_html

KERNEL = compiled("detect._content")
pytestmark = pytest.mark.skipif(KERNEL is None, reason="unboil.detect._content is not compiled")


def _aeb(shared: Path, count: int) -> list[Path]:
    paths = sorted((shared / "aeb" / "html").glob("*.html.gz"))
    return paths[:: max(1, len(paths) // count)][:count]


def _path_tree_reference(paths: list[str]) -> tuple:
    """path_tree in plain Python: nodes in first-met order, parents, deepest-first order, lengths
    and each block's parent label by first appearance."""
    index: dict[str, int] = {}
    nodes: list[str] = []
    block_node = []
    for p in paths:
        if p not in index:
            index[p] = len(nodes)
            nodes.append(p)
        block_node.append(index[p])
    parents = [-1] * len(nodes)
    for i in range(len(nodes)):
        p, child = nodes[i], i
        while "/" in p and p.rpartition("/")[0]:
            probe = p.rpartition("/")[0]
            if probe in index:
                parents[child] = index[probe]
                break
            index[probe] = len(nodes)
            nodes.append(probe)
            parents.append(-1)
            parents[child] = index[probe]
            child, p = index[probe], probe
    order = sorted(range(len(nodes)), key=lambda j: nodes[j].count("/"), reverse=True)
    labels: dict[int, int] = {}
    group = [labels.setdefault(parents[j], len(labels)) for j in block_node]
    return nodes, index, block_node, parents, order, [len(p) for p in nodes], group


def _check_tree(paths: list[str]) -> None:
    got = KERNEL.path_tree(paths)
    want = _path_tree_reference(paths)
    assert got[0] == want[0] and got[1] == want[1]
    for g, w in zip(got[2:], want[2:]):
        assert g.tolist() == list(w)


def test_path_tree_matches_python_on_random_paths():
    rng = random.Random(5)
    steps = ["body", "div", "div[2]", "p", "ul", "li[3]", "é", "日本"]
    for _ in range(400):
        paths = []
        for _ in range(rng.randint(0, 30)):
            depth = rng.randint(0, 6)
            paths.append("/".join(["html"] + [rng.choice(steps) for _ in range(depth)]))
        if rng.random() < 0.2:
            paths.sort()
        if rng.random() < 0.1:
            paths += ["", "/x", "a//b", "html"]
        _check_tree(paths)


def test_path_tree_matches_python_on_real_pages(shared_fixtures):
    for path in _aeb(shared_fixtures, 15):
        doc = segment_html(gzip.decompress(path.read_bytes()), "")
        _check_tree([b.path for b in doc.blocks])


def _articles(paths: list[str]) -> int:
    nodes, _, block_node, parent, order, length, _ = KERNEL.path_tree(paths)
    return KERNEL.tree_articles(nodes, block_node, parent, order, length)


def test_article_count_over_block_paths():
    rng = random.Random(21)
    steps = ["article", "article[2]", "div", "articles", "main", "ü"]
    for _ in range(300):
        paths = ["/".join(["html"] + [rng.choice(steps) for _ in range(rng.randint(0, 5))])
                 for _ in range(rng.randint(1, 25))]
        want = len({p[: p.index("/article") + 8] for p in paths if "/article" in p})
        assert _articles(paths) == want


def test_article_count_is_the_set_of_prefixes():
    rng = random.Random(9)
    steps = ["article", "articles", "article[2]", "div", "sarticle", "x/article", "é", "", "/article",
             "articl", "日本", "ARTICLE"]
    for _ in range(3000):
        paths = ["/".join(rng.choice(steps) for _ in range(rng.randint(0, 5)))
                 for _ in range(rng.randint(0, 12))]
        paths += ["/article", "/articl", "html/body/article", "/article/x", "//article"] if rng.random() < 0.3 else []
        want = len({p[: p.index("/article") + 8] for p in paths if "/article" in p})
        assert _articles(paths) == want, paths


@given(st.lists(st.lists(st.sampled_from(["article", "article[3]", "articles", "div", "", "a/b",
                                          "/article", "é", "ar"]), max_size=6), max_size=15))
@settings(max_examples=300, deadline=None)
def test_article_count_hypothesis(steps):
    paths = ["/".join(s) for s in steps]
    want = len({p[: p.index("/article") + 8] for p in paths if "/article" in p})
    assert _articles(paths) == want


def test_article_count_on_real_pages(shared_fixtures):
    for path in _aeb(shared_fixtures, 15):
        paths = [b.path for b in segment_html(gzip.decompress(path.read_bytes()), "").blocks]
        want = len({p[: p.index("/article") + 8] for p in paths if "/article" in p})
        assert _articles(paths) == want, path.name


def test_scoring_glue_is_numpys_arithmetic():
    rng = np.random.default_rng(4)
    for n in (1, 2, 7, 157):
        z = rng.normal(0, 20, n)
        z[: n // 3] *= 10  # beyond the clip
        bias = float(rng.normal())
        e = z.copy()
        KERNEL.neg_clip(e, bias)
        assert np.array_equal(e, -np.minimum(np.maximum(z + bias, -30.0), 30.0))
        np.exp(e, out=e)
        p1, odds = np.empty(n), np.empty(n)
        KERNEL.stage1_finish(e, p1, odds)
        want = _sigmoid(z + bias)
        assert np.array_equal(p1, want)
        clipped = np.minimum(np.maximum(want, 1e-6), 1 - 1e-6)
        assert np.array_equal(odds, clipped / (1 - clipped))
        H = rng.normal(size=(n, 8))
        hb = rng.normal(size=8)
        got = H.copy()
        KERNEL.bias_relu(got, hb)
        assert np.array_equal(got, np.maximum(H + hb, 0.0))


def test_page_probability_is_the_layer_sigmoid():
    rng = np.random.default_rng(8)
    layer = load_model().page
    for _ in range(500):
        v = rng.normal(0, rng.choice([0.1, 1.0, 30.0]), len(layer.weights))
        assert _page_probability(layer, v) == float(_sigmoid(layer.logit(v)))
    hidden = Layer(rng.normal(size=3), 0.1, rng.normal(size=(len(layer.weights), 3)), rng.normal(size=3))
    v = rng.normal(size=len(layer.weights))
    assert _page_probability(hidden, v) == float(_sigmoid(hidden.logit(v)))


def test_page_columns_are_numpys_values():
    rng = np.random.default_rng(2)
    for n, with_overlap in ((1, False), (5, True), (157, True), (40, False)):
        words = rng.integers(0, 400, n).astype(np.float64)
        overlap = rng.random(n) if with_overlap else None
        X = np.zeros((n, 6))
        KERNEL.page_columns(X, words, overlap, 0, 1, 2, 3, _log1p_table(), _log1p_one)
        want = np.zeros((n, 6))
        if overlap is not None:
            want[:, 0] = 1.0
            want[:, 1] = overlap
        total = words.sum()
        want[:, 2] = np.log1p(total)
        if total:
            want[:, 3] = np.sqrt(words / total)
        assert np.array_equal(X, want)
    X = np.zeros((3, 4))
    KERNEL.page_columns(X, np.zeros(3), None, 0, 1, 2, 3, _log1p_table(), _log1p_one)
    assert not X.any()


def test_one_cleaner_from_several_threads(shared_fixtures):
    pages = [gzip.decompress(p.read_bytes()) for p in _aeb(shared_fixtures, 12)]
    cleaner = default_cleaner()

    def signals(html: bytes) -> list:
        result = cleaner.clean_html(html)
        return [(b.signals.get("content_score"), b.signals.get("markup"),
                 b.signals.get("in_main"), d.dropped)
                for b, d in zip(result.blocks, result.decisions)]

    alone = [signals(h) for h in pages]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert list(pool.map(signals, pages)) == alone


def test_two_byte_texts_count_like_lowered_python():
    from unboil.detect.density import char_flags
    from unboil.fingerprint.shingles import TOKEN_RE

    rng = random.Random(12)
    alphabet = [chr(c) for c in range(0x100, 0x3000)] + list("ΣσςİIi _-.,;: ") + ["Σ"] * 20
    texts = ["ΟΔΥΣΣΕΥΣ και η Ιθάκη", "ΣΊΣΥΦΟΣ Σ", "Привет МИР и всё", "日本語のテキスト", "İstanbul Ⅻ ǅemal",
             "ﬁnance Ǆ ǈ ǋ", "Ａｂｃ ＤＥＦ ｇｈｉ", "ŉ ΐ ΰ ẞ ß"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(400)]
    words = sorted({t for text in texts for t in TOKEN_RE.findall(text.lower())})
    table = KERNEL.WordSet(words[::3])
    chosen = set(words[::3])
    blocks = [type("B", (), {"text": t})() for t in texts]
    n = len(blocks)
    for flags in (None, char_flags()):
        got_words, got_ratio, got_overlap = np.zeros(n), np.zeros(n), np.zeros(n)
        KERNEL.block_counts(blocks, table, table, got_words, got_ratio, got_overlap, 0, 0, flags)
        for b, w, r, o in zip(blocks, got_words, got_ratio, got_overlap):
            toks = TOKEN_RE.findall(b.text.lower())
            want = sum(t in chosen for t in toks) / len(toks) if toks else 0.0
            assert (w, r, o) == (len(toks), want, want), b.text


def test_feature_rows_do_not_depend_on_how_signal_keys_were_made(shared_fixtures):
    from unboil.detect.density import annotate_density
    from unboil.detect.features import page_features
    from unboil.detect.repeats import annotate_repeats
    from unboil.detect.widgets import annotate_widgets

    cleaner = default_cleaner()
    for path in _aeb(shared_fixtures, 4):
        doc = segment_html(gzip.decompress(path.read_bytes()), "")
        annotate_density(doc)
        annotate_widgets(doc, cleaner.lexicon)
        annotate_repeats(doc, cleaner.config.repeats)
        want = page_features(doc).matrix
        for k, b in enumerate(doc.blocks):  # equal keys that are other objects, or a foreign key
            b.signals = {"".join(list(key)): value for key, value in b.signals.items()}
            if k % 3 == 0:
                b.signals[("not", "a", "str")] = 1
        assert np.array_equal(page_features(doc).matrix, want)
