"""Tests for unboil.io.writers: JSONL out (plain, gzip, zstandard, stdout) and error records."""

from __future__ import annotations

import gzip
import io
import json
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.io import ErrorItem, MissingExtraError, RecordItem, RecordWriter, read_records

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "io"


def _lines(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz", "out.jsonl.zst"])
def test_write_then_read_round_trips(tmp_path: Path, name: str) -> None:
    if name.endswith(".zst"):
        pytest.importorskip("zstandard", reason="zstandard (unboil[zstd]) not installed")
    records = [
        {
            "id": f"r{i}",
            "text": f"ligne {i} — é ✓",
            "url": f"https://x.org/{i}",
            "metadata": {"n": i},
        }
        for i in range(25)
    ]
    path = tmp_path / name
    with RecordWriter(path) as writer:
        for record in records:
            writer.write(record)
    assert writer.counts.written == len(records) and writer.counts.errors == 0
    assert [item.record for item in read_records([path])] == records


def test_gzip_output_is_real_gzip(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl.gz"
    with RecordWriter(path) as writer:
        writer.write({"id": "a", "text": "t"})
    assert _lines(path) == [{"id": "a", "text": "t"}]


def test_bytes_are_written_as_utf8_text_with_replacement(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    raw = "<p>café</p>".encode() + b"\xff"
    with RecordWriter(path) as writer:
        writer.write({"id": "h", "html": raw})
    (line,) = _lines(path)
    assert line["html"] == raw.decode("utf-8", errors="replace")
    assert line["html"].startswith("<p>café</p>") and line["html"].endswith("\ufffd")


def test_unencodable_record_raises_naming_it_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with RecordWriter(path) as writer:
        writer.write({"id": "ok", "text": "t"})
        with pytest.raises(TypeError, match="'bad-one'.*set"):
            writer.write({"id": "bad-one", "text": "t", "tags": {"a"}})
        with pytest.raises(TypeError, match="'nan'"):
            writer.write({"id": "nan", "text": "t", "score": math.nan})
        writer.write({"id": "ok2", "text": "t"})
    assert [line["id"] for line in _lines(path)] == ["ok", "ok2"]
    assert writer.counts.written == 2


def test_lone_surrogates_survive_as_escapes(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    record = {"id": "s", "text": "half a pair: \ud83d!"}
    with RecordWriter(path) as writer:
        writer.write(record)
    path.read_bytes().decode("utf-8")  # the file stays valid UTF-8
    assert [i.record for i in read_records([path])] == [record]


def test_error_records_go_to_the_same_stream(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    item = ErrorItem("in.jsonl", "line 3", "invalid JSON", id="x")
    with RecordWriter(path) as writer:
        writer.write({"id": "a", "text": "t"})
        writer.write_error(item)
    assert _lines(path)[1] == {
        "id": "x",
        "error": {"source": "in.jsonl", "position": "line 3", "reason": "invalid JSON"},
    }
    assert (writer.counts.written, writer.counts.errors) == (1, 1)


def test_error_records_go_to_a_separate_path(tmp_path: Path) -> None:
    out, errs = tmp_path / "out.jsonl", tmp_path / "errors.jsonl.gz"
    with RecordWriter(out, errors_path=errs) as writer:
        writer.write({"id": "a", "text": "t"})
        writer.write_error(ErrorItem("f.txt", "", "binary data"))
    assert [line["id"] for line in _lines(out)] == ["a"]
    assert [line["error"]["reason"] for line in _lines(errs)] == ["binary data"]


def test_stdout_gets_the_lines(capsys: pytest.CaptureFixture[str]) -> None:
    with RecordWriter("-") as writer:
        writer.write({"id": "a", "text": "é"})
        writer.write_error(ErrorItem("-", "line 2", "broken"))
    out = capsys.readouterr()
    lines = [json.loads(line) for line in out.out.splitlines()]
    assert lines[0] == {"id": "a", "text": "é"} and lines[1]["error"]["position"] == "line 2"
    assert out.err == ""


def test_write_after_close_is_refused(tmp_path: Path) -> None:
    writer = RecordWriter(tmp_path / "out.jsonl")
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write({"id": "a", "text": "t"})


def test_records_in_equal_records_out_plus_error_records(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "doc.txt").write_text("A page.\n")
    (tmp_path / "in" / "bin.txt").write_bytes(b"\x00\x01")
    inputs = [tmp_path / "in", FIXTURES / "broken.jsonl", tmp_path / "missing.jsonl"]
    seen = 0
    out = tmp_path / "out.jsonl"
    with RecordWriter(out) as writer:
        for item in read_records(inputs):
            seen += 1
            if isinstance(item, RecordItem):
                writer.write(item.record)
            else:
                writer.write_error(item)
    lines = _lines(out)
    assert seen == len(lines) == writer.counts.written + writer.counts.errors
    assert writer.counts.errors == sum(1 for line in lines if "error" in line)
    assert all(line["error"]["source"] for line in lines if "error" in line)


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_EXTRA_KEYS = st.text().filter(lambda k: k not in {"id", "text", "url", "metadata"})
_RECORDS = st.builds(
    lambda ident, text, extra: {"id": ident, "text": text, **extra},
    st.text(),
    st.text(),
    st.dictionaries(_EXTRA_KEYS, _JSON, max_size=4),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_RECORDS, max_size=8))
def test_any_json_records_round_trip(tmp_path_factory, records: list[dict]) -> None:
    path = tmp_path_factory.mktemp("rt") / "out.jsonl.gz"
    with RecordWriter(path) as writer:
        for record in records:
            writer.write(record)
    assert [item.record for item in read_records([path])] == records


def test_text_only_stdout_is_written_too(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()  # has no .buffer, unlike the real stdout
    monkeypatch.setattr(sys, "stdout", out)
    with RecordWriter("-") as writer:
        writer.write({"id": "a", "text": "ü"})
    assert json.loads(out.getvalue()) == {"id": "a", "text": "ü"}


def test_missing_zstandard_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r"unboil\[zstd\]"):
        RecordWriter(tmp_path / "out.jsonl.zst")
    assert not (tmp_path / "out.jsonl.zst").exists()
