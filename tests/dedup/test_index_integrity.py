"""NearDupIndex decides by content: reused keys, empty texts, bad files, storage strings, saves that
never lose another process's entries."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from unboil.dedup import NearDupIndex
from unboil.dedup.index import IndexFileError


def test_a_reused_key_with_other_content_is_a_new_document(real_texts):
    idx = NearDupIndex()
    assert idx.add("0", real_texts[0]) is None
    assert idx.add("0", real_texts[1]) is None  # same key, another article: stored as well
    assert len(idx) == 2
    assert idx.query(real_texts[1])[0] == ("0", 1.0)
    assert idx.add("copy", real_texts[1]) == "0"  # the second article was indexed, not lost


def test_the_same_document_under_the_same_key_is_a_duplicate_of_itself(real_texts):
    idx = NearDupIndex()
    assert idx.add("a", real_texts[2]) is None
    assert idx.add("a", real_texts[2]) == "a"
    assert len(idx) == 1  # not stored twice
    (found,) = idx.add_batch(["a"], [real_texts[2]])
    assert (found.duplicate_of, found.kind, found.key_reused) == ("a", "exact", False)


def test_add_batch_says_when_a_key_comes_back_with_other_content(real_texts):
    idx = NearDupIndex()
    idx.add_many(["a", "b"], real_texts[3:5])
    found = idx.add_batch(["a", "b", "b", "c"], [real_texts[6], real_texts[4], real_texts[7], real_texts[7]])
    assert [(f.duplicate_of, f.kind, f.key_reused) for f in found] == [
        (None, "new", True), ("b", "exact", False), (None, "new", True), ("b", "exact", False)]
    assert len(idx) == 5


def test_same_key_twice_in_one_batch(real_texts):
    idx = NearDupIndex()
    found = idx.add_many(["k", "k", "k"], [real_texts[8], real_texts[9], real_texts[8]])
    assert found == [(None, 0.0), (None, 0.0), ("k", 1.0)]
    assert len(idx) == 2


def test_reused_keys_survive_save_and_load(tmp_path, real_texts):
    path = tmp_path / "seen.npz"
    idx = NearDupIndex(storage=path)
    idx.add_many(["0", "1"], real_texts[10:12])
    idx.save()
    again = NearDupIndex(storage=path)
    assert again.add("0", real_texts[12]) is None  # day 2: same id, another article
    assert again.add("1", real_texts[11]) == "1"  # day 2: same id, same article
    again.save()
    third = NearDupIndex.load(path)
    assert len(third) == 3
    assert third.add("x", real_texts[12]) == "0"


def test_empty_texts_are_saved_and_loaded(tmp_path, real_texts):
    path = tmp_path / "seen.npz"
    idx = NearDupIndex(storage=path)
    idx.add_many(["text", "empty", "blank"], [real_texts[13], "", "   "])
    idx.save()
    again = NearDupIndex.load(path)
    assert len(again) == 3
    assert again.add("copy", real_texts[13]) == "text"
    assert again.add("empty2", "") is None


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "not-zip", "bad-member"])
def test_a_damaged_index_file_is_named_in_one_clear_error(tmp_path, real_texts, damage):
    path = tmp_path / "seen.npz"
    idx = NearDupIndex(storage=path)
    idx.add_many([f"d{i}" for i in range(20)], real_texts[:20])
    idx.save()
    raw = path.read_bytes()
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(raw[:200] + bytes(range(256)) * 40 + raw[200 + 256 * 40 :])
    elif damage == "not-zip":
        path.write_bytes(b"\x00" * 4096)
    else:  # a well-formed archive whose signatures have the wrong type and shape
        with zipfile.ZipFile(path) as zf:
            members = {name: zf.read(name) for name in zf.namelist()}
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in members.items():
                if name == "sigs.npy":
                    with zf.open(name, "w") as fh:
                        np.save(fh, np.zeros((20, 7), dtype=np.float64))
                else:
                    zf.writestr(name, data)
    with pytest.raises(IndexFileError) as err:
        NearDupIndex(storage=path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    with pytest.raises(IndexFileError):
        NearDupIndex.load(path)


@pytest.mark.parametrize("storage", ["http://cache.example:6379/0", "mongodb://db/x", "127.0.0.1:6379",
                                     "localhost:6379/0"])
def test_a_storage_string_that_is_no_file_and_no_redis_url_is_refused(storage):
    with pytest.raises(ValueError, match="redis://"):
        NearDupIndex(storage=storage)


def test_two_indexes_saving_one_file_keep_both_additions(tmp_path, real_texts):
    path = tmp_path / "seen.npz"
    base = NearDupIndex(storage=path)
    base.add_many(["base"], real_texts[20:21])
    base.save()
    first, second = NearDupIndex(storage=path), NearDupIndex(storage=path)
    first.add_many(["a0", "a1"], real_texts[21:23])
    second.add_many(["b0", "b1"], real_texts[23:25])
    first.save()
    second.save()  # must not drop what `first` saved meanwhile
    merged = NearDupIndex.load(path)
    assert len(merged) == 5
    assert [merged.add(f"q{i}", real_texts[i]) for i in range(20, 25)] == ["base", "a0", "a1", "b0", "b1"]


def test_locked_holds_the_lock_from_load_to_save(tmp_path, real_texts):
    from unboil.dedup.lockfile import IndexLockTimeout

    path = tmp_path / "seen.npz"
    waited: list[str] = []
    with NearDupIndex.locked(path) as idx:
        idx.add("a", real_texts[30])
        with pytest.raises(IndexLockTimeout, match="seen.npz"):
            with NearDupIndex.locked(path, wait=0.3, on_wait=waited.append):
                pass
        idx.save()
    assert waited and "seen.npz" in waited[0]
    with NearDupIndex.locked(path, wait=0.3) as again:
        assert again.add("b", real_texts[30]) == "a"


def test_an_index_file_of_the_id_keyed_format_still_loads(tmp_path, real_texts):
    """Format 1 (written before keys could repeat) has one entry per key: it reads as such."""
    import json

    from unboil.dedup import exact_digest, signatures

    path = tmp_path / "old.npz"
    made = NearDupIndex()
    meta = {**made._meta(), "format": "unboil.neardup/1"}
    keys = ["0", "1"]
    with open(path, "wb") as fh:
        np.savez(fh, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                 keys=np.frombuffer(json.dumps(keys).encode(), dtype=np.uint8),
                 sigs=signatures(real_texts[40:42]),
                 digests=np.frombuffer(b"".join(exact_digest(t) for t in real_texts[40:42]), dtype=np.uint8))
    idx = NearDupIndex.load(path)
    assert len(idx) == 2
    assert idx.add("0", real_texts[40]) == "0" and idx.add("0", real_texts[43]) is None
    idx.save()
    assert len(NearDupIndex.load(path)) == 3
