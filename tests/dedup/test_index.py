"""NearDupIndex in memory and on disk: answers, persistence, agreement with the batch path."""

from __future__ import annotations

import pickle

import pytest

from unboil.dedup import NearDupIndex, find_duplicates


def test_add_returns_the_earlier_copy(real_texts):
    idx = NearDupIndex(threshold=0.8)
    a, b = real_texts[0], real_texts[1]
    assert idx.add("a", a) is None
    assert idx.add("b", b) is None
    assert idx.add("a-copy", "Menu | Home\n" + a) == "a"
    assert idx.add("a-exact", "  " + a.replace(" ", "\n", 3)) == "a"
    assert idx.add("empty", "") is None and idx.add("empty2", "  ") is None
    assert len(idx) == 6 and "b" in idx
    assert idx.query(b)[0] == ("b", 1.0)
    assert idx.add("a", "whatever") is None  # a key is a label: other content under it is a new entry
    assert len(idx) == 7
    with pytest.raises(TypeError, match="str or int"):
        idx.add(("tuple", 1), "x")


def test_save_load_round_trip(tmp_path, real_texts):
    path = tmp_path / "day1.npz"
    idx = NearDupIndex(storage=path)
    results = idx.add_many([f"d{i}" for i in range(50)], real_texts[:50])
    assert all(r[0] is None for r in results)
    idx.save()
    again = NearDupIndex.load(path)
    assert len(again) == 50
    assert again.add("copy", real_texts[7] + " Read more.") == "d7"
    same = NearDupIndex(storage=path)  # opening the path loads it too
    assert same.add(3, real_texts[3]) == "d3"
    with pytest.raises(ValueError, match="num_perm"):
        NearDupIndex(num_perm=64, storage=path)
    (tmp_path / "junk.npz").write_bytes(b"not an index")
    with pytest.raises(ValueError, match="junk.npz"):
        NearDupIndex.load(tmp_path / "junk.npz")


def test_pickle_keeps_the_entries(real_texts):
    idx = NearDupIndex()
    idx.add("x", real_texts[2])
    clone = pickle.loads(pickle.dumps(idx))
    assert clone.add("y", real_texts[2]) == "x"


def test_incremental_agrees_with_batch(real_texts):
    texts = real_texts[:300] + [t + " Share this." for t in real_texts[:300:7]]
    idx = NearDupIndex(threshold=0.8)
    found = idx.add_many(list(range(len(texts))), texts)
    flagged = {i for i, (key, _) in enumerate(found) if key is not None}
    grouped = {i for g in find_duplicates(texts, threshold=0.8) for i in g[1:]}
    # Both must flag every added copy; they may differ only on borderline pairs.
    copies = set(range(300, len(texts)))
    assert copies <= flagged and copies <= grouped
    assert len(flagged ^ grouped) <= 0.02 * len(texts)
