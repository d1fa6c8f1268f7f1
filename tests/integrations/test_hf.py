"""Hugging Face datasets: clean_dataset over real in-memory and on-disk Datasets, and its cache."""

from __future__ import annotations

import sys

import pytest

import unboil

datasets = pytest.importorskip("datasets", reason="datasets is not installed: install unboil[hf]")

from datasets.fingerprint import Hasher

from unboil.integrations.hf import clean_dataset


@pytest.fixture(autouse=True)
def quiet_progress():
    datasets.disable_progress_bars()
    yield
    datasets.enable_progress_bars()


@pytest.fixture()
def rows(framed) -> dict[str, list]:
    texts = framed[:20] + [None]  # the last row has no text: cleaned to "" with a reason
    return {
        "id": [f"r{i}" for i in range(len(texts))],
        "text": texts,
        "metadata": [{"url": f"https://news.example/{i}", "lang": "en"} for i in range(len(texts))],
    }


def _strip_nulls(value):
    """Drop the None fields Arrow adds when it unifies struct rows (error on good rows, and so on)."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    return value


def test_clean_dataset_matches_clean_batch(rows):
    ds = datasets.Dataset.from_dict(rows)
    out = clean_dataset(ds, batch_size=4)
    expected = unboil.clean_batch(rows)
    assert out["text"] == expected["text"]
    assert [_strip_nulls(m) for m in out["metadata"]] == expected["metadata"]
    assert out[0]["metadata"]["unboil"]["removed"]["share-widget"] >= 1
    assert out[-1]["text"] == "" and out[-1]["metadata"]["unboil"]["error"].startswith("record has no text")


def test_cache_hit_for_the_same_rules_and_miss_for_others(rows, tmp_path, rule_file):
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp_path / "raw"))
    ds = datasets.load_from_disk(str(tmp_path / "raw"))
    first = clean_dataset(ds, batch_size=8)
    cache = first.cache_files[0]["filename"]
    assert cache.startswith(str(tmp_path))
    mtime = (tmp_path / "raw" / cache.rsplit("/", 1)[1]).stat().st_mtime_ns
    again = clean_dataset(ds, batch_size=8, cleaner=unboil.Cleaner())  # an equal cleaner, built anew
    assert again._fingerprint == first._fingerprint and again.cache_files[0]["filename"] == cache
    assert (tmp_path / "raw" / cache.rsplit("/", 1)[1]).stat().st_mtime_ns == mtime  # read, not rewritten
    assert again["text"] == first["text"]
    other = clean_dataset(ds, batch_size=8, cleaner=unboil.Cleaner(rules=[rule_file]))
    assert other._fingerprint != first._fingerprint
    assert Hasher.hash(unboil.Cleaner()) == Hasher.hash(unboil.Cleaner())


@pytest.mark.skipif(
    sys.version_info[:3] == (3, 12, 1),
    reason="datasets' num_proc map crashes CPython 3.12.1 in its garbage collector even without unboil "
    "(seen with datasets 5.2, multiprocess 0.70.19, dill 0.4.1); 3.10, 3.11 and 3.13 run it",
)
def test_num_proc_gives_the_same_rows(rows, tmp_path):
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp_path / "raw"))
    ds = datasets.load_from_disk(str(tmp_path / "raw"))
    assert clean_dataset(ds, batch_size=4, num_proc=2).to_list() == clean_dataset(ds, batch_size=4).to_list()


def test_splits_streams_and_other_text_columns(rows):
    ds = datasets.Dataset.from_dict(rows)
    both = clean_dataset(datasets.DatasetDict({"train": ds, "test": ds.select(range(3))}), batch_size=4)
    assert both["test"]["text"] == clean_dataset(ds, batch_size=4)["text"][:3]
    streamed = list(clean_dataset(ds.to_iterable_dataset(), batch_size=4))
    assert [r["text"] for r in streamed] == unboil.clean_batch(rows)["text"]
    renamed = datasets.Dataset.from_dict({"body": rows["text"][:3]})
    out = clean_dataset(renamed, text_key="body")
    assert out["body"] == unboil.clean_batch({"body": rows["text"][:3]}, keys=unboil.RecordKeys(text="body"))["body"]


def test_a_metadata_column_that_is_not_a_struct_is_refused(rows):
    ds = datasets.Dataset.from_dict({"text": rows["text"][:2], "metadata": ["a", "b"]})
    with pytest.raises(unboil.InputError, match="not a struct"):
        clean_dataset(ds)
