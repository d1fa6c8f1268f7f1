"""Fit unboil's HTML content model from WCXB-dev and write src/unboil/data/content_model.json.

Reproducible: fixed fold assignment (domains hashed with a fixed seed), deterministic L-BFGS.
Needs numpy and scipy (scipy is a dev-only dependency: inference uses numpy alone).

    .venv/bin/python scripts/train_content_model.py                 # fit, cross-validate, write
    .venv/bin/python scripts/train_content_model.py --cv-only       # report held-out figures only

Labels: a block is content when it is part of WCXB's ``main_content``: for blocks of three or
more words, when at least half of its word trigrams occur in the truth; for shorter blocks, when
they equal a whole line of the truth (a heading, a list item, a table cell). Each page weighs the
same (the benchmark averages pages) and, within a page, each block weighs by its words.

Evaluation: domain-grouped K-fold cross-validation (no domain is in both the training and the
held-out pages), scored end to end with WCXB's own bag-of-words F1 on the kept blocks, which
includes the default rules' other drops (widgets, title copies); AEB is scored only with the
final model, as an untouched test set.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import importlib.util
import json
import pickle
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from unboil.cleaner import Cleaner  # noqa: E402
from unboil.detect.content import (  # noqa: E402
    ContentModel,
    Layer,
    add_page_type,
    page_vector,
    region_features,
)
from unboil.detect.density import annotate_density  # noqa: E402
from unboil.detect.features import FEATURES, page_features  # noqa: E402
from unboil.detect.repeats import annotate_repeats  # noqa: E402
from unboil.detect.widgets import annotate_widgets, load_lexicon  # noqa: E402
from unboil.segment.html import segment_html  # noqa: E402

FIXTURES = REPO.parent / "shared" / "fixtures"
OUT = REPO / "src" / "unboil" / "data" / "content_model.json"
CACHE = REPO / ".cache" / "content_model"
SEED = 20261127
FOLDS = 5
CACHE_VERSION = 3  # bump when extract() changes what it stores
WORD = re.compile(r"\w+")


@functools.cache
def _scoring() -> Any:
    spec = importlib.util.spec_from_file_location("unboil_scoring", REPO / "benchmarks" / "scoring.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["unboil_scoring"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


# ---------------------------------------------------------------- page extraction


def _labels(texts: list[str], truth: str) -> tuple[np.ndarray, np.ndarray]:
    """(label, matched tokens) per block against a WCXB main_content."""
    gt = WORD.findall(truth.lower())
    gt_set = set(gt)
    trigrams = {tuple(gt[i:i + 3]) for i in range(len(gt) - 2)}
    lines = {" ".join(WORD.findall(line.lower())) for line in truth.splitlines()}
    y = np.zeros(len(texts))
    hit = np.zeros(len(texts))
    for i, text in enumerate(texts):
        toks = WORD.findall(text.lower())
        hit[i] = sum(1 for t in toks if t in gt_set)
        if len(toks) >= 3:
            grams = [tuple(toks[j:j + 3]) for j in range(len(toks) - 2)]
            y[i] = sum(1 for g in grams if g in trigrams) / len(grams) >= 0.5
        elif toks:
            y[i] = " ".join(toks) in lines
    return y, hit


def extract(item: tuple[str, str, str, str]) -> dict[str, Any]:
    """Segment, annotate (without the content detector) and featurise one page."""
    pid, path, url, truth = item
    html = gzip.decompress(Path(path).read_bytes())
    doc = segment_html(html, url)
    cleaner = _cleaner()
    annotate_density(doc)
    annotate_widgets(doc, cleaner.lexicon)
    annotate_repeats(doc, cleaner.config.repeats)
    other = [d.dropped for d in cleaner.rules.decide(doc)]
    feats = page_features(doc)
    texts = [b.text for b in doc.blocks]
    y, hit = _labels(texts, truth) if truth is not None else (None, None)
    return {
        "id": pid, "url": doc.url or url, "X": feats.matrix.astype(np.float32), "words": feats.words, "y": y, "hit": hit,
        "paths": [b.path for b in doc.blocks], "parents": feats.parents, "texts": texts, "markup": feats.markup,
        "other": np.array(other, dtype=bool), "gt_words": len(WORD.findall((truth or "").lower())),
    }


_CLEANER: Cleaner | None = None


def _cleaner() -> Cleaner:
    global _CLEANER
    if _CLEANER is None:
        _CLEANER = Cleaner(lexicon=load_lexicon())
    return _CLEANER


class _PathsDoc:
    """The two fields region_features reads, rebuilt from cached paths."""

    def __init__(self, paths: list[str]) -> None:
        self.blocks = [_PathBlock(p) for p in paths]


class _PathBlock:
    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


class _Feats:
    def __init__(self, page: dict[str, Any]) -> None:
        self.words = page["words"]
        self.parents = page["parents"]
        self.markup = page["markup"]
        self.matrix = page["X"]


def load_pages(bench: str, workers: int) -> list[dict[str, Any]]:
    """Featurised pages of a benchmark, cached under .cache/ (keyed by the feature names)."""
    key = hashlib.sha1(json.dumps([FEATURES, bench, CACHE_VERSION]).encode()).hexdigest()[:10]
    cache = CACHE / f"{bench}-{key}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    items: list[tuple[str, str, str, str | None]] = []
    meta: dict[str, dict[str, Any]] = {}
    if bench == "wcxb":
        root = FIXTURES / "wcxb-dev"
        meta = json.loads((root / "metadata.json").read_text("utf-8"))["files"]
        for gt_path in sorted((root / "ground-truth").glob("*.json")):
            gt = json.loads(gt_path.read_text("utf-8"))
            pid = gt_path.stem
            truth = (gt.get("ground_truth") or {}).get("main_content") or ""
            items.append((pid, str(root / "html" / f"{pid}.html.gz"), gt.get("url") or "", truth))
    else:
        root = FIXTURES / "aeb"
        truths = json.loads((root / "ground-truth.json").read_text("utf-8"))
        for pid in sorted(truths):
            items.append((pid, str(root / "html" / f"{pid}.html.gz"), truths[pid].get("url") or "",
                          truths[pid].get("articleBody") or ""))
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        pages = list(pool.map(extract, items, chunksize=8))
    for page in pages:
        info = meta.get(page["id"], {})
        page["domain"] = info.get("domain", page["id"])
        page["type"] = info.get("page_type", "article")
    print(f"[{bench}] featurised {len(pages)} pages in {time.perf_counter() - t0:.0f}s",
          file=sys.stderr)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(pages, protocol=pickle.HIGHEST_PROTOCOL))
    return pages


# ---------------------------------------------------------------- fitting


def _weights(pages: list[dict[str, Any]]) -> np.ndarray:
    """Each page sums to 1; within a page, blocks weigh by words (plus one)."""
    out = []
    for p in pages:
        w = p["words"] + 1.0
        out.append(w / w.sum())
    w = np.concatenate(out) if out else np.zeros(0)
    return w * (len(w) / max(w.sum(), 1e-12))


def fit_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float,
                 hidden: int = 0) -> Layer:
    """Weighted logistic regression (or a one-hidden-layer ReLU net), on standardised inputs."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    Z = (X - mean) / scale
    n, d = Z.shape
    wsum = w.sum()
    rng = np.random.default_rng(SEED)

    if hidden == 0:
        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            coef, b = theta[:d], theta[d]
            z = Z @ coef + b
            p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
            ll = np.logaddexp(0, z) - y * z
            g = w * (p - y) / wsum
            return (float((w * ll).sum() / wsum + 0.5 * l2 * coef @ coef),
                    np.concatenate([Z.T @ g + l2 * coef, [g.sum()]]))

        theta0 = np.zeros(d + 1)
        res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        coef, b = res.x[:d], res.x[d]
        return Layer(coef / scale, float(b - (coef * mean / scale).sum()))

    h = hidden
    sizes = (d * h, h, h, 1)

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, ...]:
        parts, k = [], 0
        for s in sizes:
            parts.append(theta[k:k + s])
            k += s
        return parts[0].reshape(d, h), parts[1], parts[2], parts[3][0]

    def loss_mlp(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W1, b1, w2, b2 = unpack(theta)
        A = Z @ W1 + b1
        H = np.maximum(A, 0)
        z = H @ w2 + b2
        p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
        ll = np.logaddexp(0, z) - y * z
        g = w * (p - y) / wsum
        gw2 = H.T @ g + l2 * w2
        gb2 = g.sum()
        gA = np.outer(g, w2) * (A > 0)
        gW1 = Z.T @ gA + l2 * W1
        gb1 = gA.sum(axis=0)
        val = float((w * ll).sum() / wsum + 0.5 * l2 * ((W1 ** 2).sum() + w2 @ w2))
        return val, np.concatenate([gW1.ravel(), gb1, gw2, [gb2]])

    theta0 = np.concatenate([rng.normal(0, 1 / np.sqrt(d), d * h), np.zeros(h),
                             rng.normal(0, 1 / np.sqrt(h), h), [0.0]])
    res = minimize(loss_mlp, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 400})
    W1, b1, w2, b2 = unpack(res.x)
    return Layer(w2, float(b2), W1 / scale[:, None], b1 - (mean / scale) @ W1)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def folds_of(pages: list[dict[str, Any]], k: int) -> np.ndarray:
    """A fold per page from a seeded hash of its domain: no domain spans two folds."""
    return np.array([
        int(hashlib.sha1(f"{SEED}:{p['domain']}".encode()).hexdigest(), 16) % k for p in pages
    ])


def _stack(pages: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.concatenate([p[key] for p in pages]) if pages else np.zeros(0)


def _regions(pages: list[dict[str, Any]], p1s: list[np.ndarray], margin: float
             ) -> tuple[list[np.ndarray], np.ndarray]:
    """Per page: [stage-1 features | region features] (page-type columns still zero), and the
    page-level vectors."""
    mats, vecs = [], []
    for p, q in zip(pages, p1s):
        feats = _Feats(p)
        R = region_features(_PathsDoc(p["paths"]), feats, q, margin)  # type: ignore[arg-type]
        vecs.append(page_vector(p["url"], p["paths"], feats, q, R))  # type: ignore[arg-type]
        mats.append(np.hstack([p["X"].astype(np.float64), R]))
    return mats, np.vstack(vecs)


def _is_article(pages: list[dict[str, Any]]) -> np.ndarray:
    return np.array([p["type"] == "article" for p in pages], dtype=np.float64)


def _split(values: np.ndarray, pages: list[dict[str, Any]]) -> list[np.ndarray]:
    cuts = np.cumsum([len(p["words"]) for p in pages])[:-1]
    return np.split(values, cuts)


def fit(pages: list[dict[str, Any]], args: argparse.Namespace) -> ContentModel:
    """Fit the three parts; the page and region scorers learn from out-of-fold stage-1 scores."""
    X = _stack(pages, "X").astype(np.float64)
    y, w = _stack(pages, "y"), _weights(pages)
    block = fit_logistic(X, y, w, args.l2, args.hidden)
    inner = folds_of(pages, args.inner_folds)
    oof: list[np.ndarray] = [np.zeros(0)] * len(pages)
    for f in range(args.inner_folds):
        train = [p for p, g in zip(pages, inner) if g != f]
        layer = fit_logistic(_stack(train, "X").astype(np.float64), _stack(train, "y"),
                             _weights(train), args.l2, args.hidden)
        for i, (p, g) in enumerate(zip(pages, inner)):
            if g == f:
                oof[i] = _sigmoid(layer.logit(p["X"].astype(np.float64)))
    mats, V = _regions(pages, oof, args.margin)
    labels = _is_article(pages)
    ones = np.ones(len(pages))
    page = fit_logistic(V, labels, ones, args.l2_page)
    p_art = np.zeros(len(pages))
    for f in range(args.inner_folds):
        held = inner == f
        layer = fit_logistic(V[~held], labels[~held], ones[~held], args.l2_page)
        p_art[held] = _sigmoid(layer.logit(V[held]))
    for M, q in zip(mats, p_art):
        add_page_type(M[:, X.shape[1]:], M[:, : X.shape[1]], float(q))
    R = np.vstack(mats)
    region = fit_logistic(R, y, w, args.l2 if args.l2_region is None else args.l2_region,
                          args.hidden2)
    scores = _split(_sigmoid(region.logit(R)), pages)
    art = p_art >= 0.5
    t_art = pick_threshold([p for p, a in zip(pages, art) if a], [s for s, a in zip(scores, art) if a])
    t_other = pick_threshold([p for p, a in zip(pages, art) if not a],
                             [s for s, a in zip(scores, art) if not a])
    return ContentModel(block, page, region, t_art, t_other, args.margin)


def pick_threshold(pages: list[dict[str, Any]], scores: list[np.ndarray]) -> float:
    """The threshold with the best mean WCXB page F1 on these pages (0.5 when there are none)."""
    if not pages:
        return 0.5
    scoring = _scoring()
    truths = wcxb_truths()
    best, best_f1 = 0.5, -1.0
    for t in np.arange(0.2, 0.86, 0.05):
        f1s = []
        for p, s in zip(pages, scores):
            keep = (s >= t) & ~p["other"]
            text = "\n\n".join(x for x, k in zip(p["texts"], keep) if k)
            f1s.append(scoring.wcxb_word_prf(text, truths[p["id"]][0])[2])
        f1 = float(np.mean(f1s))
        if f1 > best_f1:
            best, best_f1 = float(round(t, 2)), f1
    return best


def predict(model: ContentModel, page: dict[str, Any]) -> tuple[np.ndarray, float]:
    """Final content scores of a cached page and the threshold that applies to it."""
    X = page["X"].astype(np.float64)
    p1 = _sigmoid(model.block.logit(X))
    feats = _Feats(page)
    R = region_features(_PathsDoc(page["paths"]), feats, p1, model.margin)  # type: ignore[arg-type]
    q = float(_sigmoid(model.page.logit(page_vector(page["url"], page["paths"], feats, p1, R))))  # type: ignore[arg-type]
    add_page_type(R, X, q)
    score = _sigmoid(model.region.logit(np.hstack([X, R])))
    return score, model.threshold if q >= 0.5 else model.threshold_other


def render(model: ContentModel, page: dict[str, Any]) -> str:
    """The text clean_html would return with this model (other default drops included)."""
    score, threshold = predict(model, page)
    keep = (score >= threshold) & ~page["other"]
    return "\n\n".join(t for t, k in zip(page["texts"], keep) if k)


# ---------------------------------------------------------------- evaluation


@functools.cache
def wcxb_truths() -> dict[str, tuple[str, list[str], list[str], str]]:
    root = FIXTURES / "wcxb-dev"
    meta = json.loads((root / "metadata.json").read_text("utf-8"))["files"]
    out = {}
    for gt_path in sorted((root / "ground-truth").glob("*.json")):
        gt = json.loads(gt_path.read_text("utf-8"))
        g = gt.get("ground_truth") or {}
        pt = (gt.get("_internal") or {}).get("page_type")
        pt = (pt.get("primary") if isinstance(pt, dict) else pt) or meta.get(gt_path.stem, {}).get(
            "page_type") or "article"
        out[gt_path.stem] = (g.get("main_content") or "", list(g.get("with") or []),
                             list(g.get("without") or []), "collection" if pt == "category" else pt)
    return out


def score_wcxb(pages: list[dict[str, Any]], preds: list[str]) -> Any:
    scoring = _scoring()
    truths = wcxb_truths()
    return scoring.wcxb_aggregate([
        scoring.wcxb_page(pred, *truths[p["id"]]) for p, pred in zip(pages, preds)
    ])


def score_aeb(pages: list[dict[str, Any]], preds: list[str]) -> Any:
    scoring = _scoring()
    truths = json.loads((FIXTURES / "aeb" / "ground-truth.json").read_text("utf-8"))
    return scoring.aeb_score([truths[p["id"]].get("articleBody") for p in pages], preds)


def cross_validate(pages: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """Held-out WCXB figures: each fold's pages predicted by a model fitted without their domains."""
    outer = folds_of(pages, args.folds)
    preds: list[str] = [""] * len(pages)
    for f in range(args.folds):
        train = [p for p, g in zip(pages, outer) if g != f]
        model = fit(train, args)
        for i, (p, g) in enumerate(zip(pages, outer)):
            if g == f:
                preds[i] = render(model, p)
        print(f"  fold {f}: thresholds {model.threshold} / {model.threshold_other}",
              file=sys.stderr)
    s = score_wcxb(pages, preds)
    return {"f1": s.f1, "precision": s.precision, "recall": s.recall,
            "per_type": {k: v["f1"] for k, v in s.per_type.items()}}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=FOLDS)
    ap.add_argument("--inner-folds", type=int, default=4)
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--hidden", type=int, default=0, help="hidden units of stage 1 (0: linear)")
    ap.add_argument("--hidden2", type=int, default=0, help="hidden units of stage 2 (0: linear)")
    ap.add_argument("--l2-page", type=float, default=1e-2)
    ap.add_argument("--l2-region", type=float, default=None, help="L2 of stage 2 (default: --l2)")
    ap.add_argument("--margin", type=float, default=0.5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wcxb = load_pages("wcxb", args.workers)
    aeb = load_pages("aeb", args.workers)
    info: dict[str, Any] = {
        "trained_on": "WCXB-dev (web-content-extraction-benchmark), all pages",
        "pages": len(wcxb), "blocks": int(sum(len(p["words"]) for p in wcxb)),
        "positive_share": float(_stack(wcxb, "y").mean()),
        "l2": args.l2, "hidden": args.hidden, "hidden2": args.hidden2, "seed": SEED,
    }
    if not args.no_cv:
        t0 = time.perf_counter()
        cv = cross_validate(wcxb, args)
        info["wcxb_domain_cv"] = cv
        print(f"WCXB-dev domain-grouped {args.folds}-fold CV: F1 {cv['f1']:.4f} "
              f"(P {cv['precision']:.4f} R {cv['recall']:.4f}) "
              f"{ {k: round(v, 3) for k, v in cv['per_type'].items()} } "
              f"[{time.perf_counter() - t0:.0f}s]")
    if args.cv_only:
        return 0
    model = fit(wcxb, args)
    full = score_wcxb(wcxb, [render(model, p) for p in wcxb])
    aeb_s = score_aeb(aeb, [render(model, p) for p in aeb])
    info["wcxb_full_fit"] = {"f1": full.f1, "per_type": {k: v["f1"] for k, v in full.per_type.items()}}
    info["aeb_test"] = {"f1": aeb_s.f1, "precision": aeb_s.precision, "recall": aeb_s.recall}
    print(f"WCXB-dev (fitted on all of it): F1 {full.f1:.4f}; AEB (untouched): F1 {aeb_s.f1:.4f} "
          f"(P {aeb_s.precision:.4f} R {aeb_s.recall:.4f}); thresholds {model.threshold} / {model.threshold_other}")
    model = ContentModel(model.block, model.page, model.region, model.threshold,
                         model.threshold_other, model.margin, info)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(_rounded(model.to_dict()), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _rounded(value: Any) -> Any:
    """Floats to 6 significant digits, so the JSON is small and diffs are readable."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


if __name__ == "__main__":
    raise SystemExit(main())
