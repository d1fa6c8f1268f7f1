"""Hugging Face datasets: a row whose regex checks the limits cut short casts to the fixed schema."""

from __future__ import annotations

import pytest

import unboil

datasets = pytest.importorskip("datasets", reason="datasets is not installed: install unboil[hf]")

from unboil.integrations.hf import clean_dataset


def test_a_row_cut_short_by_the_regex_budget_keeps_its_report():
    datasets.disable_progress_bars()
    cleaner = unboil.Cleaner(rules=[unboil.Rule.drop("evil").where(text_regex=r"(a+)+$")],
                             config=unboil.CleanerConfig(regex_budget=0.05))
    hostile = "a" * 5000 + "b"
    ds = datasets.Dataset.from_dict({
        "id": ["h", "f"],
        "text": [f"A headline about it\n{hostile}\nThe story.", "A headline\nShare on Facebook\nThe story."],
        "metadata": [{"url": "https://example.com/h"}, {"url": "https://example.com/f"}],
    })
    out = clean_dataset(ds, cleaner=cleaner)
    hostile_meta, fine_meta = out[0]["metadata"]["unboil"], out[1]["metadata"]["unboil"]
    assert hostile_meta["regex_cut_short"] == {"evil": 1} and hostile_meta["regex_budget_spent"] is True
    assert hostile in out[0]["text"]
    assert fine_meta["regex_cut_short"] is None and fine_meta["removed"] == {"share-widget": 1}
