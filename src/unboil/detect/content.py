"""Score every block of an HTML page as main content or boilerplate, and choose the main region.

Two small fitted stages, each one numpy matrix product per page (parameters in
``unboil/data/content_model.json``, fitted by ``scripts/train_content_model.py``):

1. a block scorer over the block's own features and its neighbours' (``features.py``);
2. a region scorer that adds what the first stage says about the block's surroundings: the
   smoothed stage-1 scores along the block sequence, the mean over siblings under the same parent
   element, the next heading's content, and whether the block lies inside the page's best
   container — the element whose subtree holds the most content words net of boilerplate words.

Signals written on every block of a page with a DOM (text input is left alone):
    markup          region classes from class/id tokens, tags and roles (``markup.py``)
    stopword_ratio  share of the block's words in the page language's stop-word list
    jsonld_overlap  share of its words found in the page's JSON-LD articleBody (when present)
    content_score   0..1, the region scorer's probability that the block is main content
    in_main         content_score at or above the model's threshold
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from unboil.detect.density import KERNEL
from unboil.detect.features import COLUMNS as _COL
from unboil.detect.features import FEATURES, PageFeatures, _log1p_table, _page_features
from unboil.document import Document

__all__ = ["ContentModel", "PAGE_FEATURES", "REGION_FEATURES", "annotate_content", "load_model", "region_features"]

_ART_MARKUP = ("comments", "sidebar", "related", "byline", "caption", "header", "footer", "nav",
               "form", "newsletter", "ads", "inner_comments", "inner_related", "inner_sidebar")
#: Stage-2 columns added to the stage-1 features.
REGION_FEATURES = (
    "s1_logit", "s1_win1", "s1_win3", "s1_grp", "s1_next", "s1_prev", "in_best", "best_share",
    "best_is_root", "before_best", "after_best", "in_tight", "in_loose", "comments_outside",
    "page_comments", "p_article", "art_x_logit", "art_x_best", "art_x_after",
    *(f"art_x_{m}" for m in _ART_MARKUP),
)
#: Page-level columns of the page-type scorer (is this page one article?).
PAGE_FEATURES = (
    "jsonld_body", "log_blocks", "best_share", "best_is_root", "pos_words", "pos_p_share",
    "articles", "url_date", "url_depth", "url_slug", "page_comments", "link_heavy_share",
    "pos_share",
)
_DATE_IN_URL = re.compile(r"/(19|20)\d\d[/-](0?[1-9]|1[0-2])([/-]|$)|/(19|20)\d\d\d\d\d\d")


def _url_features(url: str) -> tuple[bool, float, bool]:
    """What the URL's path says of the page: a date in it, its depth (scaled), a long-slug ending."""
    path = url.split("://", 1)[-1].partition("/")[2].split("?")[0].strip("/")
    depth = min(path.count("/") + 1, 8) / 4 if path else 0.0
    return bool(_DATE_IN_URL.search("/" + path + "/")), depth, path.rpartition("/")[2].count("-") >= 3


_MARGINS = (0.0, 0.2, -0.2)  # offsets of the main, tight and loose containers from the margin


@dataclass(frozen=True, slots=True)
class Layer:
    """A logistic unit, optionally behind one ReLU hidden layer: x -> sigmoid(...)."""

    weights: np.ndarray  # (features,) or (hidden,) for the output unit
    bias: float
    hidden_weights: np.ndarray | None = None  # (features, hidden)
    hidden_bias: np.ndarray | None = None

    def logit(self, X: np.ndarray) -> np.ndarray:
        """The pre-sigmoid output for every row of ``X``."""
        if self.hidden_weights is not None:
            X = np.maximum(X @ self.hidden_weights + self.hidden_bias, 0.0)
        return X @ self.weights + self.bias

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Layer:
        """Rebuild a layer saved by the training script."""
        hw = raw.get("hidden_weights")
        return cls(
            np.asarray(raw["weights"], dtype=np.float64), float(raw["bias"]),
            None if hw is None else np.asarray(hw, dtype=np.float64),
            None if hw is None else np.asarray(raw["hidden_bias"], dtype=np.float64),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        out: dict[str, Any] = {"weights": self.weights.tolist(), "bias": self.bias}
        if self.hidden_weights is not None and self.hidden_bias is not None:
            out["hidden_weights"] = self.hidden_weights.tolist()
            out["hidden_bias"] = self.hidden_bias.tolist()
        return out


@dataclass(frozen=True, slots=True)
class ContentModel:
    """The fitted two-stage scorer and the thresholds that turn scores into the main region."""

    block: Layer
    page: Layer  # probability that the page is one article (vs listing, forum, product...)
    region: Layer
    threshold: float = 0.5  # in_main when content_score >= threshold (article pages)
    threshold_other: float = 0.5  # the same on pages that are not one article
    margin: float = 0.5  # a block adds words * (stage-1 score - margin) to its containers
    info: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ContentModel:
        """Rebuild a model from its JSON form, checking that its features match this code."""
        if tuple(raw.get("features", ())) != FEATURES:
            raise ValueError("content model was trained on other block features; retrain it "
                             "with scripts/train_content_model.py")
        if tuple(raw.get("region_features", ())) != REGION_FEATURES or tuple(
                raw.get("page_features", ())) != PAGE_FEATURES:
            raise ValueError("content model was trained on other region or page features; "
                             "retrain it")
        return cls(Layer.from_dict(raw["block"]), Layer.from_dict(raw["page"]),
                   Layer.from_dict(raw["region"]), float(raw["threshold"]),
                   float(raw["threshold_other"]), float(raw.get("margin", 0.5)), raw.get("info"))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data, the form ``content_model.json`` holds."""
        return {
            "features": list(FEATURES), "region_features": list(REGION_FEATURES),
            "page_features": list(PAGE_FEATURES), "threshold": self.threshold,
            "threshold_other": self.threshold_other, "margin": self.margin,
            "block": self.block.to_dict(), "page": self.page.to_dict(),
            "region": self.region.to_dict(), "info": self.info or {},
        }


@functools.cache
def _default_model() -> ContentModel:
    text = resources.files("unboil").joinpath("data/content_model.json").read_text("utf-8")
    return ContentModel.from_dict(json.loads(text))


def load_model(path: str | Path | None = None) -> ContentModel:
    """The shipped model (``path=None``, read once) or one saved at ``path``."""
    if path is None:
        return _default_model()
    return ContentModel.from_dict(json.loads(Path(path).read_text("utf-8")))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # np.minimum(np.maximum(...)) is np.clip's arithmetic without its Python wrapper
    return 1.0 / (1.0 + np.exp(-np.minimum(np.maximum(z, -30.0), 30.0)))


def _weighted_window(p: np.ndarray, w: np.ndarray, radius: int) -> np.ndarray:
    """Word-weighted mean of ``p`` over +-radius blocks."""
    n = len(p)
    cp = np.concatenate(([0.0], np.cumsum(p * w)))
    cw = np.concatenate(([0.0], np.cumsum(w)))
    idx = np.arange(n)
    lo = np.maximum(idx - radius, 0)
    hi = np.minimum(idx + radius + 1, n)
    return (cp[hi] - cp[lo]) / (cw[hi] - cw[lo])


def best_container(paths: list[str], mass: np.ndarray) -> str:
    """The element path whose subtree has the largest summed ``mass`` ("" when none is positive)."""
    totals: dict[str, float] = {}
    for path, m in zip(paths, mass):
        totals[path] = totals.get(path, 0.0) + float(m)
    for path in list(totals):  # give every ancestor an entry
        probe = path.rpartition("/")[0]
        while probe and probe not in totals:
            totals[probe] = 0.0
            probe = probe.rpartition("/")[0]
    subtree = dict(totals)
    for path in sorted(totals, key=lambda p: p.count("/"), reverse=True):
        parent = path.rpartition("/")[0]
        if parent:
            subtree[parent] += subtree[path]
    totals = subtree
    best, best_total = "", 0.0
    for path, total in totals.items():
        if total > best_total or (total == best_total and best and len(path) > len(best)):
            best, best_total = path, total
    return best


def region_features(doc: Document, feats: PageFeatures, p1: np.ndarray, margin: float) -> np.ndarray:
    """The stage-2 columns (REGION_FEATURES) from stage-1 scores and the page structure."""
    n = len(p1)
    w = feats.words + 1.0
    R = np.zeros((n, len(REGION_FEATURES)))
    if n == 0:
        return R
    clipped = np.clip(p1, 1e-6, 1 - 1e-6)
    R[:, 0] = np.log(clipped / (1 - clipped))
    R[:, 1] = _weighted_window(p1, w, 1)
    R[:, 2] = _weighted_window(p1, w, 3)
    ids: dict[str, int] = {}
    inverse = np.fromiter((ids.setdefault(p, len(ids)) for p in feats.parents), dtype=np.intp,
                          count=n)
    R[:, 3] = (np.bincount(inverse, weights=p1 * w) / np.bincount(inverse, weights=w))[inverse]
    nxt = np.zeros(n)
    nxt[:-1] = p1[1:]
    if n > 2:
        nxt[:-2] = np.maximum(nxt[:-2], p1[2:])
    R[:, 4] = nxt
    R[1:, 5] = p1[:-1]
    paths = [b.path for b in doc.blocks]
    for offset, column in zip(_MARGINS, (6, 11, 12)):
        best = best_container(paths, feats.words * (p1 - margin - offset))
        if not best:
            continue
        prefix = best + "/"
        inside = np.fromiter((p == best or p.startswith(prefix) for p in paths), dtype=bool,
                             count=n)
        R[:, column] = inside
        if column == 6:
            total = feats.words.sum()
            R[:, 7] = feats.words[inside].sum() / total if total else 0.0
            R[:, 8] = best.count("/") <= 1  # html or html/body
            where = np.flatnonzero(inside)
            R[: where[0], 9] = 1.0
            R[where[-1] + 1:, 10] = 1.0
    comments = np.fromiter(("comments" in m for m in feats.markup), dtype=bool, count=n)
    R[:, 13] = comments & (R[:, 6] == 0)
    total = feats.words.sum()
    R[:, 14] = feats.words[comments].sum() / total if total else 0.0
    return R


def page_vector(url: str, paths: list[str], feats: PageFeatures, p1: np.ndarray,
                R: np.ndarray) -> np.ndarray:
    """The page-level columns (PAGE_FEATURES) of the page-type scorer."""
    v = np.zeros(len(PAGE_FEATURES))
    n = len(p1)
    if n == 0:
        return v
    X, words = feats.matrix, feats.words
    pos = p1 >= 0.5
    total = words.sum() or 1.0
    pos_words = words[pos].sum()
    v[0] = X[0, _COL["jsonld_page"]]
    v[1] = np.log1p(n)
    v[2], v[3] = R[0, 7], R[0, 8]
    v[4] = np.log1p(pos_words / max(pos.sum(), 1))
    v[5] = (words[pos] * X[pos, _COL["tag_p"]]).sum() / pos_words if pos_words else 0.0
    articles = {p[: p.index("/article") + 8] for p in paths if "/article" in p}
    v[6] = np.log1p(len(articles))
    v[7], v[8], v[9] = _url_features(url)
    v[10] = R[0, 14]
    v[11] = (words * (X[:, _COL["link_density"]] >= 0.5)).sum() / total
    v[12] = pos_words / total
    return v


#: Stage-1 columns that add_page_type scales into region columns 19 onwards.
_ART_COLUMNS = np.array([_COL[name if name.startswith("inner_") else f"mk_{name}"]
                         for name in _ART_MARKUP], dtype=np.intp)


def add_page_type(R: np.ndarray, X: np.ndarray, p_article: float) -> None:
    """Fill the page-type columns of the region matrix (in place)."""
    R[:, 15] = p_article
    R[:, 16] = p_article * R[:, 0]
    R[:, 17] = p_article * R[:, 6]
    R[:, 18] = p_article * R[:, 10]
    R[:, 19: 19 + len(_ART_MARKUP)] = p_article * X[:, _ART_COLUMNS]


def score_page(doc: Document, model: ContentModel | None = None) -> tuple[PageFeatures, np.ndarray]:
    """Stage-1 features and the final content score of every block."""
    return _score_page(doc, model or load_model(), KERNEL)


def _score_page(doc: Document, model: ContentModel, kernel: Any) -> tuple[PageFeatures, np.ndarray]:
    """``score_page`` with the compiled ``kernel``, or in plain Python when it is None."""
    feats = _page_features(doc, None, kernel)
    if not doc.blocks:
        return feats, np.zeros(0)
    if feats.page is not None and kernel is not None:
        score = np.empty(len(doc.blocks))
        _score_compiled(doc, feats, model, kernel, score, None)
        return feats, score
    p1 = _sigmoid(model.block.logit(feats.matrix))
    R = region_features(doc, feats, p1, model.margin)
    paths = [b.path for b in doc.blocks]
    vector = page_vector(doc.url, paths, feats, p1, R)
    p_article = float(_sigmoid(model.page.logit(vector)))
    add_page_type(R, feats.matrix, p_article)
    score = _sigmoid(model.region.logit(np.hstack([feats.matrix, R])))
    doc.metadata["article_score"] = round(p_article, 4)
    return feats, score


def _page_probability(layer: Layer, vector: np.ndarray) -> float:
    """``float(_sigmoid(layer.logit(vector)))`` for one page vector: numpy's dot and exp, the
    clipping and division on plain floats (the same IEEE operations)."""
    if layer.hidden_weights is not None:
        return float(_sigmoid(layer.logit(vector)))
    z = float(vector @ layer.weights + layer.bias)
    z = min(max(z, -30.0), 30.0)
    return float(1.0 / (1.0 + np.exp(-z)))


def _exp_neg_logit(layer: Layer, X: np.ndarray, kernel: Any) -> np.ndarray:
    """``exp(-clip(layer.logit(X)))``, the exp inside ``_sigmoid``, with numpy's products and exp
    and the kernel's bias, ReLU and clipping in between (same operations, same values)."""
    if layer.hidden_weights is not None:
        hidden = X @ layer.hidden_weights
        kernel.bias_relu(hidden, layer.hidden_bias)
        X = hidden
    z = X @ layer.weights
    kernel.neg_clip(z, layer.bias)
    return np.exp(z, out=z)


def _score_compiled(doc: Document, feats: PageFeatures, model: ContentModel, kernel: Any,
                    score: np.ndarray, write: tuple[float, float] | None) -> float:
    """``score_page`` (and, with ``write`` = the two thresholds, annotate_content's writes) with
    the glue between numpy's products, exp and log in compiled loops: the same operations in the
    same order on the same values, so the same scores. Returns the page-type probability."""
    page = feats.page
    X, words = feats.matrix, feats.words
    n = len(words)
    z = _exp_neg_logit(model.block, X, kernel)
    p1 = np.empty(n)
    odds = np.empty(n)
    kernel.stage1_finish(z, p1, odds)
    np.log(odds, out=odds)
    R = np.zeros((n, len(REGION_FEATURES)))
    npos, pos_words, pos_p, heavy, total = kernel.region_page(
        R, odds, p1, words, page.group, float(model.margin), page.block_node, page.parent,
        page.order, page.length, page.nodes, page.found, page.bits.bit.get("comments", 0), X,
        _COL["tag_p"], _COL["link_density"])
    # the block paths' "/article" prefixes, read off the path tree (kernel.tree_articles)
    vector = _page_vector_values(doc.url, n, X, npos, pos_words, pos_p, heavy, total, R,
                                 kernel.tree_articles(page.nodes, page.block_node, page.parent,
                                                      page.order, page.length))
    p_article = _page_probability(model.page, vector)
    kernel.page_type(R, X, p_article, _ART_COLUMNS)
    e = _exp_neg_logit(model.region, np.hstack([X, R]), kernel)
    doc.metadata["article_score"] = round(p_article, 4)
    if write is None:
        kernel.stage1_finish(e, score, odds)  # the scores; odds is scratch here
    else:
        threshold = write[0] if doc.metadata["article_score"] >= 0.5 else write[1]
        kernel.write_scores(doc.blocks, feats.markup, feats.stopword_ratio, feats.jsonld_overlap,
                            e, float(threshold), score)
    return p_article


def _page_vector_values(url: str, n: int, X: np.ndarray, npos: int, pos_words: float,
                        pos_p: float, heavy: float, total: float, R: np.ndarray,
                        articles: int) -> np.ndarray:
    """``page_vector`` from the kernel's word sums (whole numbers: exact in any order)."""
    log1p = _log1p_table()
    v = np.zeros(len(PAGE_FEATURES))
    total = total or 1.0
    v[0] = X[0, _COL["jsonld_page"]]
    v[1] = log1p[n] if n < len(log1p) else np.log1p(n)
    v[2], v[3] = R[0, 7], R[0, 8]
    v[4] = np.log1p(pos_words / max(npos, 1))
    v[5] = pos_p / pos_words if pos_words else 0.0
    v[6] = log1p[articles] if articles < len(log1p) else np.log1p(articles)
    v[7], v[8], v[9] = _url_features(url)
    v[10] = R[0, 14]
    v[11] = heavy / total
    v[12] = pos_words / total
    return v


def annotate_content(doc: Document, model: ContentModel | None = None) -> None:
    """Write markup, stopword_ratio, jsonld_overlap, content_score and in_main on each block."""
    _annotate_content(doc, model or load_model(), KERNEL)


def _annotate_content(doc: Document, model: ContentModel, kernel: Any) -> None:
    """``annotate_content`` with the compiled ``kernel``, or in plain Python when it is None."""
    if doc.root is None:
        return
    if kernel is not None and doc.blocks:
        feats = _page_features(doc, None, kernel)
        if feats.page is not None:
            _score_compiled(doc, feats, model, kernel, np.empty(len(doc.blocks)),
                            (model.threshold, model.threshold_other))
            doc.metadata["stopword_lang"] = feats.lang
            return
    feats, score = _score_page(doc, model, kernel)
    article = doc.metadata.get("article_score", 0.0) >= 0.5
    threshold = model.threshold if article else model.threshold_other
    overlap = feats.jsonld_overlap
    for i, block in enumerate(doc.blocks):
        sig = block.signals
        sig["markup"] = feats.markup[i]
        sig["stopword_ratio"] = round(float(feats.stopword_ratio[i]), 4)
        if overlap is not None:
            sig["jsonld_overlap"] = round(float(overlap[i]), 4)
        s = float(score[i])
        sig["content_score"] = round(s, 4)
        sig["in_main"] = s >= threshold
    doc.metadata["stopword_lang"] = feats.lang
