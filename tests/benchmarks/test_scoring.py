"""Tests for the benchmark scorers (AEB and WCXB metrics) and the quality harness wiring.

``benchmarks/`` is not a package, so its modules are loaded by path.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

BENCH_DIR = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str, filename: str) -> ModuleType:
    """Import ``benchmarks/<filename>`` under ``name`` (registered so dataclasses resolve)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


scoring = _load("unboil_bench_scoring", "scoring.py")

approx = pytest.approx

# --- AEB: hand-computed cases -------------------------------------------------------------------


def test_aeb_tokens_are_case_sensitive_word_runs() -> None:
    assert scoring.aeb_tokens("Hello, world! Foo-bar_baz 42.") == ["Hello", "world", "Foo", "bar_baz", "42"]
    assert scoring.aeb_tokens(None) == []


def test_aeb_shingles_short_text_is_one_shingle_and_empty_is_none() -> None:
    assert scoring.aeb_shingles("a b") == {("a", "b"): 1}
    assert scoring.aeb_shingles("  ,. ") == {}
    assert scoring.aeb_shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}


def test_aeb_page_normalises_tp_fp_fn_to_sum_one() -> None:
    # truth shingles: abcd, bcde; prediction: abcd, bcdz -> tp=1 fp=1 fn=1 -> 1/3 each
    c = scoring.aeb_page("a b c d e", "a b c d z")
    assert (c.tp, c.fp, c.fn) == (approx(1 / 3), approx(1 / 3), approx(1 / 3))
    assert c.precision == approx(0.5) and c.recall == approx(0.5)


def test_aeb_page_counts_shingles_as_a_multiset() -> None:
    # truth "x y z w x y z w": xyzw twice, yzwx, zwxy, wxyz -> 5 shingles; prediction: xyzw once.
    # tp=1 fp=0 fn=4 -> (0.2, 0, 0.8); a set-based count would give recall 1/4 instead of 1/5.
    c = scoring.aeb_page("x y z w x y z w", "x y z w")
    assert (c.tp, c.fp, c.fn) == (approx(0.2), 0.0, approx(0.8))
    assert c.precision == 1.0 and c.recall == approx(0.2)
    # repeating the prediction adds false positives beyond the truth's count
    c2 = scoring.aeb_page("x y z w", "x y z w. x y z w")
    # prediction shingles: xyzw x2, yzwx, zwxy, wxyz -> tp=1, fp=4, fn=0
    assert (c2.tp, c2.fp, c2.fn) == (approx(0.2), approx(0.8), 0.0)


def test_aeb_is_case_sensitive() -> None:
    c = scoring.aeb_page("The cat sat down", "the cat sat down")
    assert (c.precision, c.recall) == (0.0, 0.0)


def test_aeb_perfect_and_empty_predictions() -> None:
    truth = "One two three four five six."
    assert scoring.aeb_score([truth], [truth]).f1 == 1.0
    empty = scoring.aeb_page(truth, "")
    assert (empty.tp, empty.fp, empty.fn) == (0.0, 0.0, 1.0)
    assert not empty.has_prediction and empty.recall == 0.0
    s = scoring.aeb_score([truth], [""])
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)
    assert scoring.aeb_score([truth], [None]).f1 == 0.0


def test_aeb_aggregate_averages_pages_then_takes_f1() -> None:
    # page 1: perfect (P=1, R=1); page 2: half the truth (P=1, R=0.5)
    s = scoring.aeb_score(["a b c d e", "a b c d e f g h i"], ["a b c d e", "a b c d e f"])
    # page 2: truth 6 shingles, prediction 3, all shared -> tp=3 fn=3 -> R=0.5
    assert s.precision == approx(1.0)
    assert s.recall == approx(0.75)
    assert s.f1 == approx(2 * 0.75 / 1.75)


def test_aeb_empty_prediction_is_left_out_of_precision_but_not_recall() -> None:
    s = scoring.aeb_score(["a b c d e", "p q r s t"], ["a b c d e", ""])
    assert s.precision == approx(1.0)  # only the page with a prediction
    assert s.recall == approx(0.5)
    assert s.f1 == approx(2 / 3)


def test_aeb_score_rejects_misaligned_lists() -> None:
    with pytest.raises(ValueError, match="2 truths but 1 predictions"):
        scoring.aeb_score(["a", "b"], ["a"])


# --- WCXB: hand-computed cases ------------------------------------------------------------------


def test_wcxb_bag_of_words_is_lowercase_and_multiset() -> None:
    # pred [the, cat, the], truth [the, cat, sat]: overlap the:1 + cat:1 = 2
    p, r, f = scoring.wcxb_word_prf("The cat, the", "the cat sat")
    assert (p, r, f) == (approx(2 / 3), approx(2 / 3), approx(2 / 3))
    assert scoring.wcxb_word_prf("HELLO World", "hello world") == (1.0, 1.0, 1.0)


def test_wcxb_empty_cases() -> None:
    assert scoring.wcxb_word_prf("", "") == (1.0, 1.0, 1.0)
    assert scoring.wcxb_word_prf("words", "") == (0.0, 0.0, 0.0)
    assert scoring.wcxb_word_prf("", "words") == (0.0, 0.0, 0.0)
    assert scoring.wcxb_word_prf(None, "words") == (0.0, 0.0, 0.0)


def test_wcxb_word_order_does_not_matter() -> None:
    assert scoring.wcxb_word_prf("c b a", "a b c") == (1.0, 1.0, 1.0)


def test_snippet_rate_is_case_insensitive_substring() -> None:
    assert scoring.snippet_rate("Hello World, again", ["hello", "WORLD, AG", "absent"]) == approx(2 / 3)
    assert scoring.snippet_rate("anything", []) == 1.0
    assert scoring.snippet_rate(None, ["x"]) == 0.0


def test_wcxb_aggregate_means_overall_and_per_type() -> None:
    pages = [
        scoring.wcxb_page("a b", "a b", ["a b"], ["menu"], "article"),  # 1, 1, 1
        scoring.wcxb_page("a b c d", "a b", ["x"], ["c d"], "article"),  # P .5, R 1, F 2/3
        scoring.wcxb_page("", "x", ["x"], [], "forum"),  # 0, 0, 0; empty 'without' -> 1
    ]
    s = scoring.wcxb_aggregate(pages)
    assert s.f1 == approx((1 + 2 / 3 + 0) / 3)
    assert s.precision == approx(1.5 / 3)
    assert s.recall == approx(2 / 3)
    assert s.with_rate == approx(1 / 3)
    assert s.without_rate == approx((0 + 1 + 1) / 3)
    assert s.per_type["article"]["f1"] == approx(5 / 6)
    assert s.per_type["article"]["pages"] == 2
    assert s.per_type["forum"] == {"pages": 1, "f1": 0.0, "precision": 0.0, "recall": 0.0}


# --- properties ---------------------------------------------------------------------------------

WORDS = st.lists(st.sampled_from(["a", "b", "c", "The", "the", "x", "ünï", "42"]), max_size=30).map(" ".join)
TEXT = st.one_of(WORDS, st.text(max_size=200))
NONEMPTY = st.lists(st.sampled_from(["a", "b", "c", "The", "the", "x"]), min_size=1, max_size=30).map(" ".join)


@given(TEXT, TEXT)
def test_aeb_page_scores_are_bounded_and_normalised(truth: str, pred: str) -> None:
    c = scoring.aeb_page(truth, pred)
    assert 0.0 <= c.precision <= 1.0 and 0.0 <= c.recall <= 1.0
    total = c.tp + c.fp + c.fn
    assert total == approx(1.0) or total == 0.0


@given(TEXT, TEXT)
def test_aeb_precision_and_recall_swap_with_roles(a: str, b: str) -> None:
    ab, ba = scoring.aeb_page(a, b), scoring.aeb_page(b, a)
    if ab.tp + ab.fp + ab.fn:
        assert ab.precision == approx(ba.recall) and ab.recall == approx(ba.precision)


@given(st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=8))
def test_aeb_aggregate_is_bounded(pairs: list[tuple[str, str]]) -> None:
    s = scoring.aeb_score([t for t, _ in pairs], [p for _, p in pairs])
    for v in (s.precision, s.recall, s.f1):
        assert 0.0 <= v <= 1.0


@given(st.lists(NONEMPTY, min_size=1, max_size=8))
def test_aeb_perfect_predictions_score_one(truths: list[str]) -> None:
    s = scoring.aeb_score(truths, truths)
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)


@given(TEXT, TEXT)
def test_wcxb_scores_are_bounded(pred: str, truth: str) -> None:
    p, r, f = scoring.wcxb_word_prf(pred, truth)
    assert all(0.0 <= v <= 1.0 for v in (p, r, f))
    assert min(p, r) - 1e-12 <= f <= max(p, r) + 1e-12


@given(TEXT)
def test_wcxb_perfect_prediction_scores_one(text: str) -> None:
    assert scoring.wcxb_word_prf(text, text) == (1.0, 1.0, 1.0)
    page = scoring.wcxb_page(text, text, [text] if text else [], [], "article")
    assert page.with_rate == 1.0


@given(st.lists(st.tuples(TEXT, TEXT, st.sampled_from(["article", "forum"])), min_size=1, max_size=8))
def test_wcxb_aggregate_is_bounded(rows: list[tuple[str, str, str]]) -> None:
    s = scoring.wcxb_aggregate([scoring.wcxb_page(p, t, [t[:5]], [p[:5]], k) for p, t, k in rows])
    for v in (s.precision, s.recall, s.f1, s.with_rate, s.without_rate):
        assert 0.0 <= v <= 1.0
    assert sum(d["pages"] for d in s.per_type.values()) == len(rows)


# --- the harness --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quality() -> ModuleType:
    """The harness module, loaded by path."""
    return _load("unboil_bench_quality", "quality.py")


def test_timed_run_counts_errors_and_scores_them_empty(quality: ModuleType) -> None:
    def flaky(x: int) -> str:
        if x == 2:
            raise ValueError("boom")
        return f"text {x}"

    seen: list[tuple[int, int]] = []
    run = quality.timed_run(flaky, [1, 2, 3], progress=lambda d, t: seen.append((d, t)))
    assert run.outputs == ["text 1", "", "text 3"]
    assert run.errors == 1 and "ValueError: boom" in run.error_samples[0]
    assert run.seconds >= 0.0
    assert seen[-1] == (3, 3)


def test_best_of_keeps_the_first_outputs_and_the_fastest_pass(quality: ModuleType) -> None:
    import time

    calls: list[int] = []

    def slow_first(x: int) -> str:
        calls.append(x)
        if len(calls) <= 2:  # the whole first pass is slow, later passes are not
            time.sleep(0.05)
        return f"text {x} pass {(len(calls) - 1) // 2}"

    run = quality.best_of(slow_first, [1, 2], passes=3)
    assert len(calls) == 6  # three passes over two items
    assert run.outputs == ["text 1 pass 0", "text 2 pass 0"]  # scored outputs are the first pass's
    assert run.seconds < 0.05  # the slow first pass (>= 0.1 s) does not count
    assert run.cpu_seconds <= run.seconds + 0.01  # sleeping costs no CPU time
    with pytest.raises(ValueError, match="at least 1"):
        quality.best_of(slow_first, [1], passes=0)


def test_unknown_tool_is_rejected_with_the_known_names(quality: ModuleType) -> None:
    with pytest.raises(ValueError, match="known: unboil"):
        quality.peers.build_tools(["no-such-tool"])


def test_harness_scores_real_aeb_pages_with_a_real_tool(quality: ModuleType, shared_fixtures: Path) -> None:
    tool = next(
        (n for n in ("resiliparse", "trafilatura") if importlib.util.find_spec(n.split("+")[0]) is not None),
        None,
    )
    if tool is None:
        pytest.skip("neither resiliparse nor trafilatura is installed (pip install -e '.[bench]')")
    doc = quality.evaluate(shared_fixtures, [tool], ["aeb"], limit=5)
    row = doc["benchmarks"]["aeb"]["tools"][tool]
    assert row["status"] == "ok" and row["pages"] == 5 and row["errors"] == 0
    # Both tools score about 0.9+ on AEB; misaligned truth and predictions would score near 0.
    assert 0.6 < row["f1"] <= 1.0
    assert row["pages_per_s"] > 0 and row["cpu_pages_per_s"] > 0
    # The harness's figure is the scorer's figure on the same outputs.
    bench = quality.load_aeb(shared_fixtures, limit=5)
    run = quality.timed_run(quality.peers.build_tools([tool])[0].run, bench.pages)
    assert bench.score(run.outputs)["f1"] == approx(row["f1"])
