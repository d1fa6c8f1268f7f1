"""Per-block features of an HTML page for the content model, in one pass plus numpy context.

Block features (text statistics, tag, ancestor tags, markup classes, widget and repeat facts,
JSON-LD overlap) are gathered in one loop; context features (neighbour windows, siblings under
the same parent element) are numpy operations over the resulting columns. The column order is
``FEATURES``; the fitted model stores the names it was trained on and refuses a mismatch.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

from unboil.detect.markup import MarkupVocabulary, block_markup, load_vocabulary
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


def pick_language(declared: str, tokens: list[str]) -> str:
    """The stop-word language: the page's declared ``lang`` when a list ships, else the best fit."""
    code = (declared or "").split("-")[0].split("_")[0].strip().lower()
    if code == "nb" or code == "nn":
        code = "no"
    sample = tokens[:3000]
    if code in LANGUAGES:
        hits = sum(1 for t in sample if t in _stopset(code))
        if not sample or hits >= 0.1 * len(sample):
            return code
    best, best_hits = "", 0
    for lang, words in _detectors():
        hits = sum(1 for t in sample if t in words)
        if hits > best_hits:
            best, best_hits = lang, hits
    return best if best_hits >= 0.05 * max(len(sample), 1) else ""


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

    __slots__ = ("matrix", "words", "markup", "parents", "lang", "stopword_ratio", "jsonld_overlap")

    def __init__(self, matrix: np.ndarray, words: np.ndarray, markup: list[tuple[str, ...]],
                 parents: list[str], lang: str, stopword_ratio: np.ndarray,
                 jsonld_overlap: np.ndarray | None) -> None:
        self.matrix = matrix
        self.words = words
        self.markup = markup
        self.parents = parents
        self.lang = lang
        self.stopword_ratio = stopword_ratio
        self.jsonld_overlap = jsonld_overlap


def page_features(doc: Document, vocab: MarkupVocabulary | None = None) -> PageFeatures:
    """The feature matrix (blocks x FEATURES) of a segmented HTML page."""
    blocks = doc.blocks
    n = len(blocks)
    markup, inner = block_markup(doc, vocab or load_vocabulary())
    token_lists = [TOKEN_RE.findall(b.text.lower()) for b in blocks]
    all_tokens = [t for toks in token_lists[: min(n, 400)] for t in toks]
    lang = pick_language(str(doc.metadata.get("lang", "")), all_tokens)
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


def _context(X: np.ndarray, words: np.ndarray, parents: list[str]) -> None:
    """Fill the neighbour-window and same-parent columns from the block columns."""
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
    ids: dict[str, int] = {}
    inverse = np.fromiter((ids.setdefault(p, len(ids)) for p in parents), dtype=np.intp,
                          count=len(parents))
    size = np.bincount(inverse)
    w = words + 1.0
    wsum = np.bincount(inverse, weights=w)
    X[:, col["grp_size"]] = np.log1p(size[inverse])
    X[:, col["grp_link"]] = (np.bincount(inverse, weights=ld * w) / wsum)[inverse]
    X[:, col["grp_words"]] = np.log1p(np.bincount(inverse, weights=words)[inverse])
    X[:, col["grp_stop"]] = (np.bincount(inverse, weights=sw * w) / wsum)[inverse]
