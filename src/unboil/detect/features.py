"""Per-block features of an HTML page for the content model, in one pass plus numpy context.

Block features (text statistics, tag, ancestor tags, markup classes, widget and repeat facts,
JSON-LD overlap) are gathered in one loop; context features (neighbour windows, siblings under
the same parent element) are numpy operations over the resulting columns. The column order is
``FEATURES``; the fitted model stores the names it was trained on and refuses a mismatch.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import numpy as np

from unboil.detect.density import KERNEL, char_flags
from unboil.detect.markup import (
    MarkupVocabulary,
    PageMarkup,
    block_markup_pure,
    load_vocabulary,
    markup_bits,
)
from unboil.document import Document
from unboil.fingerprint.shingles import TOKEN_RE

__all__ = ["FEATURES", "PageFeatures", "load_stopwords", "page_features", "pick_language"]

#: Languages with a stop-word list in ``lexicon/stopwords/<code>.txt``.
LANGUAGES = (
    "en", "de", "fr", "es", "pt", "it", "nl", "ru", "pl", "tr", "uk", "sv", "da", "no", "fi", "cs",
    "sk", "hu", "ro", "ca", "id", "vi", "el", "bg", "hr", "sr", "sl", "lt", "lv", "et",
)
#: How many of each list's most frequent words vote when the language must be guessed.
DETECT_WORDS = 60

_MARKUP = (
    "nav", "menu", "header", "footer", "sidebar", "share", "social", "related", "newsletter",
    "cookie", "comments", "ads", "breadcrumb", "pagination", "byline", "caption", "form", "toc",
    "hidden", "content", "article",
)
_INNER = (
    "nav", "menu", "header", "footer", "sidebar", "share", "social", "related", "newsletter",
    "cookie", "comments", "ads", "breadcrumb", "pagination", "byline", "caption", "form",
)
_TAG_GROUPS = {
    "h1": "h1", "h2": "h", "h3": "h", "h4": "h", "h5": "h", "h6": "h", "li": "li", "tr": "row",
    "td": "row", "th": "row", "p": "p", "pre": "pre", "blockquote": "quote", "dd": "dl",
    "dt": "dl", "figcaption": "caption", "caption": "caption",
}
_TAGS = ("h1", "h", "li", "row", "p", "pre", "quote", "dl", "caption")
_ANCESTORS = ("article", "main", "nav", "header", "footer", "aside", "form", "ul", "table", "a")
_SENTENCE_END = frozenset(".!?。！？…:;\"'»”)")

_BASE = (
    "log_words", "link_density", "link_heavy", "stopword_ratio", "punct_ratio", "short",
    "sentence_end", "log_links", "position", "middle", "depth",
    *(f"tag_{t}" for t in _TAGS),
    *(f"in_{t}" for t in _ANCESTORS),
    *(f"mk_{m}" for m in _MARKUP),
    *(f"inner_{m}" for m in _INNER),
    "widget", "widget_score", "repeated", "repeat_of_title", "is_title",
    "jsonld_page", "jsonld_overlap", "log_page_words", "page_share",
)
_CONTEXT = (
    "win2_words", "win2_link", "win2_stop", "win6_words", "win6_link", "win6_stop",
    "prev_words", "next_words", "prev_link", "next_link",
    "grp_size", "grp_link", "grp_words", "grp_stop",
)
#: Column names of the matrix ``page_features`` returns.
FEATURES = (*_BASE, *_CONTEXT)
#: Column index of each feature name.
COLUMNS = {name: i for i, name in enumerate(FEATURES)}
_COL = COLUMNS


@functools.cache
def load_stopwords(lang: str) -> tuple[str, ...]:
    """The stop words of ``lang`` (most frequent first); empty when no list ships."""
    if lang not in LANGUAGES:
        return ()
    path = resources.files("unboil.detect").joinpath(f"lexicon/stopwords/{lang}.txt")
    lines = path.read_text("utf-8").splitlines()
    return tuple(w for w in (line.strip() for line in lines) if w and not w.startswith("#"))


@functools.cache
def _stopset(lang: str) -> frozenset[str]:
    return frozenset(load_stopwords(lang))


@functools.cache
def _detectors() -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((lang, frozenset(load_stopwords(lang)[:DETECT_WORDS])) for lang in LANGUAGES)


@functools.cache
def _detector_masks() -> dict[str, int]:
    """Word -> bits of the languages (LANGUAGES order) whose detector words hold it."""
    masks: dict[str, int] = {}
    for k, (_, words) in enumerate(_detectors()):
        for word in words:
            masks[word] = masks.get(word, 0) | 1 << k
    return masks


def _language_code(declared: str) -> str:
    """The two-letter code of a declared ``lang`` value ("de-AT" -> "de", "nb" -> "no")."""
    code = (declared or "").split("-")[0].split("_")[0].strip().lower()
    return "no" if code == "nb" or code == "nn" else code


def _best_detected(counts: list[int], sampled: int) -> str:
    """The language whose detector words the sample holds most often, if often enough."""
    best, best_hits = "", 0
    for (lang, _), hits in zip(_detectors(), counts):
        if hits > best_hits:
            best, best_hits = lang, hits
    return best if best_hits >= 0.05 * max(sampled, 1) else ""


def pick_language(declared: str, tokens: list[str]) -> str:
    """The stop-word language: the page's declared ``lang`` when a list ships, else the best fit."""
    return _pick_language(declared, tokens, KERNEL)


def _pick_language(declared: str, tokens: list[str], kernel: Any) -> str:
    """``pick_language`` with the compiled ``kernel``, or in plain Python when it is None."""
    code = _language_code(declared)
    sample = tokens[:3000]
    if code in LANGUAGES:
        stop = _stopset(code)
        if kernel is not None:
            hits = kernel.count_in(sample, stop)
        else:
            hits = sum(1 for t in sample if t in stop)
        if not sample or hits >= 0.1 * len(sample):
            return code
    if kernel is not None:  # every language's hits in one pass over the sample
        counts = kernel.detect_counts(sample, _detector_masks(), len(LANGUAGES))
    else:
        counts = [sum(1 for t in sample if t in words) for _, words in _detectors()]
    return _best_detected(counts, len(sample))


@functools.cache
def _stop_wordset(lang: str, kernel: Any) -> Any:
    """The compiled kernel's WordSet of a language's stop words."""
    return kernel.WordSet(_stopset(lang) if lang else ())


@functools.cache
def _detector_wordset(kernel: Any) -> Any:
    """The compiled kernel's WordSet of every detector word, valued by its language bits."""
    masks = _detector_masks()
    return kernel.WordSet(list(masks), list(masks.values()))


def _stop_counts_compiled(declared: str, blocks: list[Any], kernel: Any, words: np.ndarray,
                          stop_ratio: np.ndarray, body: Any, overlap: np.ndarray | None) -> str:
    """Pick the stop-word language as ``pick_language`` does (over the first 3000 tokens of the
    first 400 blocks) and fill the per-block counts for it, counted by the kernel straight from
    the block texts; usually one pass, as the declared language mostly stands."""
    code = _language_code(declared)
    out = overlap if overlap is not None else stop_ratio
    if code in LANGUAGES:
        sampled, hits = kernel.block_counts(blocks, _stop_wordset(code, kernel), body, words,
                                            stop_ratio, out, 400, 3000, char_flags())
        if not sampled or hits >= 0.1 * sampled:
            return code
        stop_ratio[:] = 0.0
    sampled, counts = kernel.sample_counts(blocks, 400, 3000, _detector_wordset(kernel),
                                           len(LANGUAGES))
    lang = _best_detected(counts, sampled)
    kernel.block_counts(blocks, _stop_wordset(lang, kernel), body, words, stop_ratio, out, 0, 0,
                        char_flags())
    return lang


def _window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """The mean of ``values`` over a window of +-radius positions (shrinking at the ends)."""
    n = len(values)
    if n == 0:
        return values
    c = np.concatenate(([0.0], np.cumsum(values)))
    idx = np.arange(n)
    lo = np.maximum(idx - radius, 0)
    hi = np.minimum(idx + radius + 1, n)
    return (c[hi] - c[lo]) / (hi - lo)


class PageFeatures:
    """The feature matrix of one page plus the columns later stages reuse."""

    __slots__ = ("_parents", "jsonld_overlap", "lang", "markup", "matrix", "page", "stopword_ratio",
                 "words")

    def __init__(self, matrix: np.ndarray, words: np.ndarray, markup: list[tuple[str, ...]],
                 parents: list[str] | None, lang: str, stopword_ratio: np.ndarray,
                 jsonld_overlap: np.ndarray | None, page: PageMarkup | None = None) -> None:
        self.matrix = matrix
        self.words = words
        self.markup = markup
        self._parents = parents  # None: built from ``page`` on first use (scoring never needs it)
        self.lang = lang
        self.stopword_ratio = stopword_ratio
        self.jsonld_overlap = jsonld_overlap
        self.page = page  # the compiled path's markup masks and path tree (None in pure Python)

    @property
    def parents(self) -> list[str]:
        """Each block's parent element path ("" at the top), for the pure region features."""
        if self._parents is None:
            page = self.page
            assert page is not None
            nodes = page.nodes
            self._parents = [nodes[j] if j >= 0 else "" for j in page.parent[page.block_node].tolist()]
        return self._parents


def page_features(doc: Document, vocab: MarkupVocabulary | None = None) -> PageFeatures:
    """The feature matrix (blocks x FEATURES) of a segmented HTML page."""
    return _page_features(doc, vocab, KERNEL)


def _page_features(doc: Document, vocab: MarkupVocabulary | None, kernel: Any) -> PageFeatures:
    """``page_features`` with the compiled ``kernel``, or in plain Python when it is None."""
    if kernel is not None:
        return page_features_compiled(doc, vocab or load_vocabulary(), kernel)
    return page_features_pure(doc, vocab)


def page_features_pure(doc: Document, vocab: MarkupVocabulary | None = None) -> PageFeatures:
    """``page_features`` in plain Python: the reference the compiled path must match."""
    blocks = doc.blocks
    n = len(blocks)
    markup, inner = block_markup_pure(doc, vocab or load_vocabulary())
    token_lists = [TOKEN_RE.findall(b.text.lower()) for b in blocks]
    all_tokens = [t for toks in token_lists[: min(n, 400)] for t in toks]
    lang = _pick_language(str(doc.metadata.get("lang", "")), all_tokens, None)
    stop = _stopset(lang) if lang else frozenset()
    body = (doc.metadata.get("jsonld") or {}).get("articleBody") or ""
    body_tokens = frozenset(TOKEN_RE.findall(body.lower())) if len(body) >= 200 else frozenset()

    X = np.zeros((n, len(FEATURES)), dtype=np.float64)
    words = np.zeros(n)
    stop_ratio = np.zeros(n)
    overlap = np.zeros(n) if body_tokens else None
    parents: list[str] = []
    col = _COL
    tag_cols = {t: col[f"tag_{t}"] for t in _TAGS}
    anc_cols = {t: col[f"in_{t}"] for t in _ANCESTORS}
    mk_cols = {m: col[f"mk_{m}"] for m in _MARKUP}
    inner_cols = {m: col[f"inner_{m}"] for m in _INNER}
    last = max(n - 1, 1)
    for i, (b, toks) in enumerate(zip(blocks, token_lists)):
        row = X[i]
        nw = len(toks)
        words[i] = nw
        sig = b.signals
        text = b.text
        row[0] = np.log1p(nw)
        row[1] = b.link_density
        row[2] = b.link_density >= 0.5
        if nw:
            sr = sum(1 for t in toks if t in stop) / nw
            stop_ratio[i] = sr
            row[3] = sr
            if overlap is not None:
                overlap[i] = sum(1 for t in toks if t in body_tokens) / nw
        row[4] = sig.get("punct_ratio", 0.0)
        row[5] = nw <= 3
        row[6] = text[-1:] in _SENTENCE_END
        row[7] = np.log1p(len(b.links))
        pos = i / last
        row[8] = pos
        row[9] = 4 * pos * (1 - pos)
        ancestors = sig.get("ancestors", ())
        row[10] = min(len(ancestors), 40) / 10
        group = _TAG_GROUPS.get(b.tag)
        if group is not None:
            row[tag_cols[group]] = 1.0
        for tag in ancestors:
            c = anc_cols.get(tag)
            if c is not None:
                row[c] = 1.0
        for name in markup[i]:
            c = mk_cols.get(name)
            if c is not None:
                row[c] = 1.0
        for name in inner[i]:
            c = inner_cols.get(name)
            if c is not None:
                row[c] = 1.0
        row[col["widget"]] = bool(sig.get("widget"))
        row[col["widget_score"]] = sig.get("widget_score", 0.0)
        row[col["repeated"]] = (sig.get("repeat_size") or 1) > 1
        row[col["repeat_of_title"]] = bool(sig.get("repeat_of_title"))
        row[col["is_title"]] = bool(sig.get("is_title"))
        parents.append(b.path.rpartition("/")[0])
    if overlap is not None:
        X[:, col["jsonld_page"]] = 1.0
        X[:, col["jsonld_overlap"]] = overlap
    total = words.sum()
    X[:, col["log_page_words"]] = np.log1p(total)
    if total:
        X[:, col["page_share"]] = np.sqrt(words / total)
    if n:
        _context(X, words, parents)
    return PageFeatures(X, words, markup, parents, lang, stop_ratio, overlap)


@functools.cache
def _log1p_table() -> np.ndarray:
    """``np.log1p(k)`` for counts below 65536, as numpy computes it on an array (the same value
    as on one number: tests/detect/test_content_speedups.py checks both)."""
    return np.log1p(np.arange(65536, dtype=np.float64))


def _log1p_one(k: int) -> float:
    return float(np.log1p(k))


@functools.cache
def _column_maps(classes: tuple[str, ...]) -> tuple[Any, ...]:
    """Column indices the compiled row filler needs, per markup class bit and ancestor bit."""
    col = _COL
    mk = np.array([col.get(f"mk_{c}", -1) if c in _MARKUP else -1 for c in classes], dtype=np.intp)
    inner = np.array([col[f"inner_{c}"] if c in _INNER else -1 for c in classes], dtype=np.intp)
    anc = np.array([col[f"in_{t}"] for t in _ANCESTORS], dtype=np.intp)
    tags = {tag: col[f"tag_{group}"] for tag, group in _TAG_GROUPS.items()}
    flags = (col["widget"], col["widget_score"], col["repeated"], col["repeat_of_title"],
             col["is_title"])
    return mk, inner, anc, tags, flags


@functools.cache
def _context_columns() -> np.ndarray:
    """The columns the compiled ``context`` kernel reads and fills, in its order."""
    names = ("log_words", "link_density", "stopword_ratio", "win2_words", "win2_link",
             "win2_stop", "win6_words", "win6_link", "win6_stop", "prev_words", "next_words",
             "prev_link", "next_link", "grp_size", "grp_link", "grp_words", "grp_stop")
    return np.array([_COL[name] for name in names], dtype=np.intp)


def page_features_compiled(doc: Document, vocab: MarkupVocabulary, kernel: Any) -> PageFeatures:
    """``page_features`` with the per-block loops in the compiled ``kernel`` (same matrix)."""
    blocks = doc.blocks
    n = len(blocks)
    page = markup_bits(doc, vocab, kernel, _ANCESTORS)
    markup = page.tuples(kernel)
    body = (doc.metadata.get("jsonld") or {}).get("articleBody") or ""
    body_tokens = frozenset(kernel.tokens(body)) if len(body) >= 200 else frozenset()

    X = np.zeros((n, len(FEATURES)), dtype=np.float64)
    words = np.zeros(n)
    stop_ratio = np.zeros(n)
    overlap = np.zeros(n) if body_tokens else None
    lang = _stop_counts_compiled(str(doc.metadata.get("lang", "")), blocks, kernel, words,
                                 stop_ratio, kernel.WordSet(body_tokens) if body_tokens else None,
                                 overlap)
    mk, inner, anc, tags, flags = _column_maps(vocab.classes)
    kernel.fill_rows(X, blocks, words, stop_ratio, page.found, page.inner, page.anc >> 32, flags,
                     mk, inner, anc, tags, _SENTENCE_END, _log1p_table(), _log1p_one)
    col = _COL
    kernel.page_columns(X, words, overlap, col["jsonld_page"], col["jsonld_overlap"],
                        col["log_page_words"], col["page_share"], _log1p_table(), _log1p_one)
    if n:
        kernel.context(X, words, page.group, _context_columns(), _log1p_table(), _log1p_one)
    return PageFeatures(X, words, markup, None, lang, stop_ratio, overlap, page)


def _context(X: np.ndarray, words: np.ndarray, parents: list[str],
             groups: np.ndarray | None = None) -> None:
    """Fill the neighbour-window and same-parent columns from the block columns (``groups``, when
    given, labels each block's parent: any labels that tell parents apart give the same sums)."""
    col = _COL
    lw, ld, sw = X[:, col["log_words"]], X[:, col["link_density"]], X[:, col["stopword_ratio"]]
    for radius, tag in ((2, "win2"), (6, "win6")):
        X[:, col[f"{tag}_words"]] = _window_mean(lw, radius)
        X[:, col[f"{tag}_link"]] = _window_mean(ld, radius)
        X[:, col[f"{tag}_stop"]] = _window_mean(sw, radius)
    X[1:, col["prev_words"]] = lw[:-1]
    X[:-1, col["next_words"]] = lw[1:]
    X[1:, col["prev_link"]] = ld[:-1]
    X[:-1, col["next_link"]] = ld[1:]
    if groups is None:
        ids: dict[str, int] = {}
        inverse = np.fromiter((ids.setdefault(p, len(ids)) for p in parents), dtype=np.intp,
                              count=len(parents))
    else:
        inverse = groups
    size = np.bincount(inverse)
    w = words + 1.0
    wsum = np.bincount(inverse, weights=w)
    X[:, col["grp_size"]] = np.log1p(size[inverse])
    X[:, col["grp_link"]] = (np.bincount(inverse, weights=ld * w) / wsum)[inverse]
    X[:, col["grp_words"]] = np.log1p(np.bincount(inverse, weights=words)[inverse])
    X[:, col["grp_stop"]] = (np.bincount(inverse, weights=sw * w) / wsum)[inverse]
