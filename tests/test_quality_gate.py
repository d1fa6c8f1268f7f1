"""Regression gate: unboil's F1 on AEB and WCXB-dev may not fall below the recorded baseline.

The baseline is ``benchmarks/quality_baseline.json``, written by
``benchmarks/quality.py --record``; a change that costs more than ``TOLERANCE`` F1 on either
benchmark fails here. Both full benchmarks run (about a minute per core); the test skips with
a reason when ``../shared/fixtures`` is absent.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOLERANCE = 0.005


def _quality():
    spec = importlib.util.spec_from_file_location("unboil_quality", REPO / "benchmarks" / "quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["unboil_quality"] = module  # dataclasses look the module up while executing
    spec.loader.exec_module(module)
    return module


def test_quality_does_not_drop(shared_fixtures):
    baseline = json.loads((REPO / "benchmarks" / "quality_baseline.json").read_text("utf-8"))
    assert baseline.get("limit") in (None, 0), "the baseline must be recorded on full benchmarks"
    scores = _quality().unboil_scores(shared_fixtures)
    assert scores["aeb"]["errors"] == 0 and scores["wcxb"]["errors"] == 0, scores
    assert scores["aeb"]["f1"] >= baseline["aeb_f1"] - TOLERANCE, (
        f"AEB F1 {scores['aeb']['f1']:.4f} fell below the baseline {baseline['aeb_f1']:.4f}")
    assert scores["wcxb"]["f1"] >= baseline["wcxb_dev_f1"] - TOLERANCE, (
        f"WCXB-dev F1 {scores['wcxb']['f1']:.4f} fell below the baseline "
        f"{baseline['wcxb_dev_f1']:.4f}")
