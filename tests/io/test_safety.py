"""Outputs never overwrite or feed back into the inputs, and only complete files get final names."""

from __future__ import annotations

import gzip
import json

import pytest

from unboil.io.safety import OutputError, atomic_path, check_outputs
from unboil.io.writers import RecordWriter


def test_output_equal_to_an_input_is_refused(tmp_path):
    src = tmp_path / "a.jsonl"
    src.write_text('{"id": "1", "text": "x"}\n')
    with pytest.raises(OutputError, match="also an input"):
        check_outputs([str(src)], [str(src)])
    with pytest.raises(OutputError, match="also an input"):  # the same file by another spelling
        check_outputs([str(src)], [str(tmp_path / "." / "a.jsonl")])
    assert src.read_text() == '{"id": "1", "text": "x"}\n'


def test_output_equal_to_an_input_through_a_link_is_refused(tmp_path):
    src = tmp_path / "a.jsonl"
    src.write_text("{}\n")
    (tmp_path / "b.jsonl").hardlink_to(src)
    with pytest.raises(OutputError, match="also an input"):
        check_outputs([str(src)], [str(tmp_path / "b.jsonl")])


def test_output_inside_an_input_directory_is_refused(tmp_path):
    crawl = tmp_path / "crawl"
    (crawl / "deep").mkdir(parents=True)
    with pytest.raises(OutputError, match="inside the input directory"):
        check_outputs([str(crawl)], [str(crawl / "deep" / "out.jsonl")])
    check_outputs([str(crawl)], [str(tmp_path / "out.jsonl"), "-", None])  # beside it is fine


def test_missing_output_directory_and_duplicate_outputs(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        check_outputs([], [str(tmp_path / "nope" / "out.jsonl")])
    with pytest.raises(OutputError, match="given twice"):
        check_outputs([], [str(tmp_path / "o.jsonl"), str(tmp_path / "o.jsonl")])
    with pytest.raises(OutputError, match="is a directory"):
        check_outputs([], [str(tmp_path)])


def test_atomic_path_renames_only_on_success(tmp_path):
    final = tmp_path / "model.npz"
    final.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(final) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert final.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]
    with atomic_path(final) as tmp:
        assert tmp.name.startswith(".")  # hidden: a directory walk never reads it
        tmp.write_bytes(b"new")
    assert final.read_bytes() == b"new"


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz", "out.jsonl.zst"])
def test_record_writer_shows_no_final_name_until_closed(tmp_path, name):
    final = tmp_path / name
    with RecordWriter(final) as w:
        w.write({"id": "1", "text": "a"})
        assert not final.exists()
    assert final.exists() and not list(tmp_path.glob(".*"))


def test_record_writer_keeps_a_failed_run_as_partial(tmp_path):
    final = tmp_path / "out.jsonl.gz"
    with pytest.raises(RuntimeError), RecordWriter(final) as w:
        w.write({"id": "1", "text": "a"})
        raise RuntimeError("the index went away")
    assert not final.exists()
    partial = tmp_path / "out.jsonl.gz.partial"
    assert [json.loads(x) for x in gzip.decompress(partial.read_bytes()).splitlines()] == [{"id": "1", "text": "a"}]
    assert w.partial_paths == [str(partial)]


def test_record_writer_that_wrote_nothing_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(RuntimeError), RecordWriter(tmp_path / "o.jsonl"):
        raise RuntimeError("bad index")
    assert list(tmp_path.iterdir()) == []


def test_a_device_or_pipe_output_is_written_in_place_not_replaced(tmp_path):
    """Renaming a finished temporary file over /dev/null or a FIFO would replace the device with a
    plain file (as root, /dev/null itself): such outputs are written in place."""
    import os
    import stat
    import threading

    with RecordWriter("/dev/null") as w:
        w.write({"id": "1", "text": "a"})
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    with RecordWriter(fifo) as w:
        w.write({"id": "1", "text": "a"})
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got == [b'{"id": "1", "text": "a"}\n']
    with atomic_path(fifo) as target:
        assert target == fifo
    check_outputs([], ["/dev/null"])  # a device is a fine output
