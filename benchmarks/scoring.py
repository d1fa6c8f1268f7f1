"""Scorers for the two extraction benchmarks, written to match each benchmark's own metric.

AEB (Scrapinghub/Zyte "article-extraction-benchmark"): case-sensitive ``\\w+`` tokens, multisets of
word 4-grams, per-page tp/fp/fn normalised to sum to 1, precision and recall averaged over pages,
F1 of the two averages.

WCXB ("web-content-extraction-benchmark"): lowercase ``\\w+`` bag of words, per-page precision,
recall and F1, each averaged over pages (overall and per page type), plus the mean fraction of
``with`` / ``without`` snippets found (case-insensitive substring).

Edge cases follow the benchmarks' reference evaluators; each is noted where it is handled.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_WORD = re.compile(r"\w+")

AEB_NGRAM = 4

# ---------------------------------------------------------------------------------------------
# AEB: article-extraction-benchmark
# ---------------------------------------------------------------------------------------------


def aeb_tokens(text: str | None) -> list[str]:
    """Case-sensitive ``\\w+`` tokens, the AEB tokenizer (None counts as empty text)."""
    return _WORD.findall(text or "")


def aeb_shingles(text: str | None, n: int = AEB_NGRAM) -> Counter[tuple[str, ...]]:
    """Multiset of word n-grams; like AEB, a text of 1..n-1 tokens yields one short shingle."""
    tokens = aeb_tokens(text)
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


@dataclass(frozen=True, slots=True)
class AebCounts:
    """One page's tp/fp/fn over shingles, normalised to sum to 1 (all 0 when both are empty)."""

    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float:
        """AEB page precision: 1 when nothing is wrong, 0 when nothing was predicted right."""
        if self.fp == 0 and self.fn == 0:
            return 1.0
        if self.tp == 0 and self.fp == 0:
            return 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        """AEB page recall: 1 when nothing is wrong, 0 when nothing true was found."""
        if self.fp == 0 and self.fn == 0:
            return 1.0
        if self.tp == 0 and self.fn == 0:
            return 0.0
        return self.tp / (self.tp + self.fn)

    @property
    def has_prediction(self) -> bool:
        """Whether this page enters the precision average (AEB skips pages with tp+fp = 0)."""
        return self.tp + self.fp > 0

    @property
    def has_truth(self) -> bool:
        """Whether this page enters the recall average (AEB skips pages with tp+fn = 0)."""
        return self.tp + self.fn > 0


def aeb_page(truth: str | None, pred: str | None, n: int = AEB_NGRAM) -> AebCounts:
    """Match one page's prediction against its ``articleBody`` over multiset shingles."""
    t = aeb_shingles(truth, n)
    p = aeb_shingles(pred, n)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    if total == 0:
        return AebCounts(0.0, 0.0, 0.0)
    return AebCounts(tp / total, fp / total, fn / total)


@dataclass(frozen=True, slots=True)
class AebScore:
    """AEB aggregate: P and R averaged over pages, F1 from the two averages."""

    precision: float
    recall: float
    f1: float
    pages: int


def aeb_aggregate(pages: Sequence[AebCounts]) -> AebScore:
    """Average AEB precision over predicted pages and recall over pages with truth, then F1.

    A page with an empty prediction is left out of the precision mean (as in AEB's evaluator)
    and scores 0 recall. When no page has a prediction at all, precision is 0 (AEB's evaluator
    would raise on the empty mean).
    """
    ps = [c.precision for c in pages if c.has_prediction]
    rs = [c.recall for c in pages if c.has_truth]
    precision = sum(ps) / len(ps) if ps else 0.0
    recall = sum(rs) / len(rs) if rs else 0.0
    return AebScore(precision, recall, harmonic_f1(precision, recall), len(pages))


def aeb_score(truths: Sequence[str | None], preds: Sequence[str | None]) -> AebScore:
    """Score aligned lists of ground truths and predictions with the AEB metric."""
    if len(truths) != len(preds):
        raise ValueError(f"aeb_score: {len(truths)} truths but {len(preds)} predictions")
    return aeb_aggregate([aeb_page(t, p) for t, p in zip(truths, preds)])


# ---------------------------------------------------------------------------------------------
# WCXB: web-content-extraction-benchmark
# ---------------------------------------------------------------------------------------------


def wcxb_tokens(text: str | None) -> list[str]:
    """Lowercase ``\\w+`` tokens, the WCXB tokenizer (lowercased first, then matched)."""
    return _WORD.findall((text or "").lower())


@dataclass(frozen=True, slots=True)
class WcxbPage:
    """One WCXB page's bag-of-words scores and snippet rates."""

    precision: float
    recall: float
    f1: float
    with_rate: float
    without_rate: float
    page_type: str = "article"


def wcxb_word_prf(pred: str | None, truth: str | None) -> tuple[float, float, float]:
    """Bag-of-words (multiset) precision, recall, F1 of a prediction against ``main_content``.

    As in WCXB's evaluator: empty truth scores 1 for an empty prediction and 0 otherwise; an
    empty prediction against non-empty truth scores 0.
    """
    pt = wcxb_tokens(pred)
    rt = wcxb_tokens(truth)
    if not rt:
        return (1.0, 1.0, 1.0) if not pt else (0.0, 0.0, 0.0)
    if not pt:
        return (0.0, 0.0, 0.0)
    overlap = sum((Counter(pt) & Counter(rt)).values())
    precision = overlap / len(pt)
    recall = overlap / len(rt)
    return precision, recall, harmonic_f1(precision, recall)


def snippet_rate(text: str | None, snippets: Iterable[str]) -> float:
    """Fraction of snippets found as case-insensitive substrings; 1 when there are none (as WCXB)."""
    snippets = list(snippets)
    if not snippets:
        return 1.0
    low = (text or "").lower()
    return sum(1 for s in snippets if s.lower() in low) / len(snippets)


def wcxb_page(
    pred: str | None,
    truth: str | None,
    with_snippets: Iterable[str] = (),
    without_snippets: Iterable[str] = (),
    page_type: str = "article",
) -> WcxbPage:
    """Score one WCXB page: word P/R/F1 plus its ``with`` and ``without`` snippet rates."""
    p, r, f = wcxb_word_prf(pred, truth)
    return WcxbPage(
        p, r, f, snippet_rate(pred, with_snippets), snippet_rate(pred, without_snippets), page_type
    )


@dataclass(frozen=True, slots=True)
class WcxbScore:
    """WCXB aggregate: means over pages, overall and per page type."""

    precision: float
    recall: float
    f1: float
    with_rate: float
    without_rate: float
    pages: int
    per_type: dict[str, dict[str, float]] = field(default_factory=dict)


def _mean(xs: Sequence[float]) -> float:
    """Arithmetic mean, 0 for an empty sequence."""
    return sum(xs) / len(xs) if xs else 0.0


def wcxb_aggregate(pages: Sequence[WcxbPage]) -> WcxbScore:
    """Average the per-page WCXB scores over all pages and within each page type."""
    by_type: dict[str, list[WcxbPage]] = {}
    for pg in pages:
        by_type.setdefault(pg.page_type, []).append(pg)
    per_type = {
        t: {
            "pages": len(ps),
            "f1": _mean([p.f1 for p in ps]),
            "precision": _mean([p.precision for p in ps]),
            "recall": _mean([p.recall for p in ps]),
        }
        for t, ps in sorted(by_type.items())
    }
    return WcxbScore(
        precision=_mean([p.precision for p in pages]),
        recall=_mean([p.recall for p in pages]),
        f1=_mean([p.f1 for p in pages]),
        with_rate=_mean([p.with_rate for p in pages]),
        without_rate=_mean([p.without_rate for p in pages]),
        pages=len(pages),
        per_type=per_type,
    )


def harmonic_f1(precision: float, recall: float) -> float:
    """F1 = 2PR/(P+R), 0 when both are 0."""
    s = precision + recall
    return 2 * precision * recall / s if s > 0 else 0.0
