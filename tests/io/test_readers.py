"""Tests for unboil.io.readers: formats, fallbacks, and every kind of bad input as an error item."""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.io import ErrorItem, ReadStats, RecordItem, format_of, read_records
from unboil.io.readers import InputSize, measure_inputs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "io"


def _records(items: list) -> list[RecordItem]:
    return [i for i in items if isinstance(i, RecordItem)]


def _errors(items: list) -> list[ErrorItem]:
    return [i for i in items if isinstance(i, ErrorItem)]


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _noisy_lines(count: int) -> bytes:
    """Lines that compress poorly, so a cut stream still yields its first lines."""
    rows = []
    for i in range(count):
        words = " ".join(f"{(i * 7919 + k * 104729) % 999983:x}" for k in range(40))
        rows.append(json.dumps({"id": f"r{i}", "text": words}) + "\n")
    return "".join(rows).encode("utf-8")


# --- JSONL -------------------------------------------------------------------------------


def test_broken_jsonl_yields_a_record_or_an_error_per_non_blank_line() -> None:
    path = FIXTURES / "broken.jsonl"
    items = list(read_records([path]))
    raw_lines = path.read_bytes().split(b"\n")
    non_blank = [n for n, line in enumerate(raw_lines, 1) if line.strip()]
    assert [i.position for i in items] == [f"line {n}" for n in non_blank]
    assert all(i.source == str(path) for i in items)
    by_line = {int(i.position.split()[1]): i for i in items}
    assert {n for n, i in by_line.items() if isinstance(i, RecordItem)} == {1, 7, 10}
    assert "invalid JSON" in by_line[3].reason
    assert "JSON object" in by_line[4].reason and "array" in by_line[4].reason
    assert "'text'" in by_line[5].reason and "'html'" in by_line[5].reason
    assert by_line[5].id == "no-text"
    assert "UTF-8" in by_line[6].reason
    assert "null" in by_line[8].reason and by_line[8].id == "null-text"


def test_records_keep_their_keys_and_get_id_and_url_fallbacks() -> None:
    path = FIXTURES / "broken.jsonl"
    records = {int(i.position.split()[1]): i.record for i in _records(list(read_records([path])))}
    assert records[1] == {
        "id": "good-1",
        "text": "First good record.",
        "url": "https://example.org/1",
    }
    assert records[7]["id"] == f"{path}:7"
    assert records[7]["url"] == "https://example.org/7"
    assert records[7]["metadata"] == {"url": "https://example.org/7"}
    assert records[10]["html"] == "<p>Tenth line.</p>" and "url" not in records[10]


def test_custom_keys_are_used_for_checks_and_fallbacks(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "k.jsonl", [{"body": "x", "link": "u"}, {"text": "not the key"}])
    items = list(read_records([path], text_key="body", id_key="key", url_key="link"))
    assert isinstance(items[0], RecordItem)
    assert items[0].record == {"body": "x", "link": "u", "key": f"{path}:1"}
    assert isinstance(items[1], ErrorItem) and "'body'" in items[1].reason


def test_bom_on_first_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "a", "text": "t"}).encode() + b"\n")
    (item,) = read_records([path])
    assert isinstance(item, RecordItem) and item.record["id"] == "a"


def test_crlf_lines_are_read(tmp_path: Path) -> None:
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b'{"id": "a", "text": "one"}\r\n\r\n{"id": "b", "text": "two"}\r\n')
    items = list(read_records([path]))
    assert [i.record["id"] for i in _records(items)] == ["a", "b"]
    assert [i.position for i in items] == ["line 1", "line 3"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=12))
def test_any_bytes_give_one_item_per_non_blank_line(tmp_path_factory, lines: list[bytes]) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.jsonl"
    path.write_bytes(b"\n".join(lines))
    items = list(read_records([path]))
    expected = [f"line {n}" for n, line in enumerate(lines, 1) if line.strip()]
    if lines and lines[0].startswith(b"\xef\xbb\xbf") and not lines[0][3:].strip():
        expected = expected[1:]  # a lone BOM is a blank first line
    assert [i.position for i in items] == expected


# --- compressed JSONL ----------------------------------------------------------------------


def test_gzip_jsonl_round_trips(tmp_path: Path) -> None:
    records = [{"id": str(i), "text": f"text {i}"} for i in range(50)]
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    assert [i.record for i in read_records([path])] == records


def test_truncated_gzip_names_last_good_line_then_next_input_is_read(tmp_path: Path) -> None:
    data = gzip.compress(_noisy_lines(400))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    good = _jsonl(tmp_path / "next.jsonl", [{"id": "after", "text": "still read"}])
    # Independent count of the complete lines in the surviving half.
    complete = zlib.decompressobj(wbits=31).decompress(data[: len(data) // 2]).count(b"\n")
    assert complete > 0

    items = list(read_records([cut, good]))
    errors = _errors(items)
    assert len(errors) == 1
    assert errors[0].source == str(cut)
    assert errors[0].position == f"after line {complete}"
    assert f"last good line {complete}" in errors[0].reason
    assert len(_records(items)) == complete + 1
    assert items[-1].record["id"] == "after"


def test_not_gzip_data_in_gz_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl.gz"
    path.write_bytes(b'{"id": "a", "text": "not compressed"}\n')
    (item,) = read_records([path])
    assert isinstance(item, ErrorItem) and "gzip" in item.reason and item.source == str(path)


def test_zstd_jsonl_multi_frame_round_trips(tmp_path: Path) -> None:
    zstd = pytest.importorskip("zstandard", reason="zstandard (unboil[zstd]) not installed")
    first = [{"id": str(i), "text": "a" * i} for i in range(30)]
    second = [{"id": f"b{i}", "text": "b"} for i in range(5)]
    payload = b"".join(
        zstd.ZstdCompressor().compress("".join(json.dumps(r) + "\n" for r in part).encode())
        for part in (first, second)
    )
    path = tmp_path / "two.jsonl.zst"
    path.write_bytes(payload)
    assert [i.record for i in read_records([path])] == first + second


def test_truncated_zstd_is_an_error_naming_the_file(tmp_path: Path) -> None:
    zstd = pytest.importorskip("zstandard", reason="zstandard (unboil[zstd]) not installed")
    data = zstd.ZstdCompressor().compress(_noisy_lines(200))
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(data[: len(data) // 2])
    items = list(read_records([path]))
    (error,) = _errors(items)
    good = len(_records(items))
    assert error.source == str(path)
    assert "truncated" in error.reason and f"last good line {good}" in error.reason
    assert good < 200


def test_corrupt_zstd_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("zstandard", reason="zstandard (unboil[zstd]) not installed")
    path = tmp_path / "junk.jsonl.zst"
    path.write_bytes(b"this was never zstandard\n")
    (item,) = read_records([path])
    assert isinstance(item, ErrorItem) and "zstandard" in item.reason
    assert item.position == "before line 1"


def test_missing_zstandard_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.jsonl.zst"
    path.write_bytes(b"")
    monkeypatch.setitem(sys.modules, "zstandard", None)  # what an absent package looks like
    (item,) = read_records([path])
    assert isinstance(item, ErrorItem) and "unboil[zstd]" in item.reason


# --- whole-file formats --------------------------------------------------------------------


def test_txt_is_one_record_with_path_as_id(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes("\ufeffTitle\n\nBody — with a dash.\n".encode("utf-8"))
    (item,) = read_records([str(path)])
    assert item.record == {"id": str(path), "text": "Title\n\nBody — with a dash.\n"}
    assert item.position == ""


def test_binary_txt_is_an_error() -> None:
    path = FIXTURES / "binary.txt"
    (item,) = read_records([path])
    nul = path.read_bytes().index(b"\x00")
    assert isinstance(item, ErrorItem)
    assert item.source == str(path) and f"NUL byte at offset {nul}" in item.reason


def test_non_utf8_txt_is_an_error_with_the_byte_offset() -> None:
    path = FIXTURES / "latin1.txt"
    (item,) = read_records([path])
    first_bad = next(i for i, b in enumerate(path.read_bytes()) if b >= 0x80)
    assert isinstance(item, ErrorItem) and f"invalid UTF-8 at byte {first_bad}" in item.reason


def test_html_keeps_raw_bytes(tmp_path: Path) -> None:
    raw = '<meta charset="windows-1251"><p>Привет</p>'.encode("cp1251")
    path = tmp_path / "page.HTM"
    path.write_bytes(raw)
    (item,) = read_records([path])
    assert item.record == {"id": str(path), "html": raw}


def test_gzipped_html_from_the_shared_fixtures(shared_fixtures: Path) -> None:
    path = sorted((shared_fixtures / "aeb" / "html").glob("*.html.gz"))[0]
    (item,) = read_records([path])
    with gzip.open(path, "rb") as fh:
        assert item.record["html"] == fh.read()


def test_truncated_gzipped_html_is_an_error(tmp_path: Path) -> None:
    data = gzip.compress(b"<p>" + os.urandom(4000).hex().encode() + b"</p>")
    path = tmp_path / "cut.html.gz"
    path.write_bytes(data[:-20])
    (item,) = read_records([path])
    assert isinstance(item, ErrorItem) and "truncated" in item.reason


# --- inputs: paths, directories, stdin -----------------------------------------------------


def test_missing_and_unknown_inputs_are_errors_and_the_run_goes_on(tmp_path: Path) -> None:
    odd = tmp_path / "table.csv"
    odd.write_text("a,b\n")
    good = _jsonl(tmp_path / "good.jsonl", [{"id": "g", "text": "t"}])
    stats = ReadStats()
    items = list(read_records([tmp_path / "nope.jsonl", odd, good], stats=stats))
    assert [type(i) for i in items] == [ErrorItem, ErrorItem, RecordItem]
    assert "no such file" in items[0].reason and items[0].source == str(tmp_path / "nope.jsonl")
    assert "unknown format" in items[1].reason and ".jsonl" in items[1].reason
    assert (stats.records, stats.errors, stats.files) == (1, 2, 1)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "locked.jsonl", [{"id": "a", "text": "t"}])
    path.chmod(0)
    (item,) = read_records([path])
    assert isinstance(item, ErrorItem) and "cannot open" in item.reason


def test_a_single_path_is_not_split_into_characters(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "one.jsonl", [{"id": "a", "text": "t"}])
    assert [i.record["id"] for i in read_records(str(path))] == ["a"]


def _tree(root: Path) -> None:
    (root / "b").mkdir()
    (root / "a").mkdir()
    (root / ".hidden").mkdir()
    (root / "z.txt").write_text("top")
    (root / "b" / "x.txt").write_text("bx")
    (root / "a" / "y.jsonl").write_text('{"id": "ay", "text": "t"}\n')
    (root / "a" / "notes.md").write_text("ignored")
    (root / ".hidden" / "h.txt").write_text("hidden")


def test_directories_are_walked_in_sorted_order(tmp_path: Path) -> None:
    _tree(tmp_path)
    stats = ReadStats()
    ids = [i.record["id"] for i in read_records([tmp_path], stats=stats)]
    assert ids == ["ay", str(tmp_path / "b" / "x.txt"), str(tmp_path / "z.txt")]
    assert stats.skipped["unknown extension"] == 1


def test_non_recursive_walk_reads_only_the_top(tmp_path: Path) -> None:
    _tree(tmp_path)
    ids = [i.record["id"] for i in read_records([tmp_path], recursive=False)]
    assert ids == [str(tmp_path / "z.txt")]


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_stdin_jsonl_is_sniffed(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b'\n  \n{"text": "one"}\n{"id": "b", "text": "two"}\nnot json\n')
    items = list(read_records(["-"]))
    assert [i.position for i in items] == ["line 3", "line 4", "line 5"]
    assert items[0].record["id"] == "-:3" and items[0].source == "-"
    assert isinstance(items[2], ErrorItem) and "invalid JSON" in items[2].reason


def test_stdin_plain_text_is_one_record(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\nHeadline\n\n{not json} just braces later\n"
    _stdin(monkeypatch, text.encode("utf-8"))
    (item,) = read_records(["-"])
    assert item.record == {"id": "-", "text": text}


def test_stdin_binary_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"\x89PNG\r\n\x1a\n\x00\x00")
    (item,) = read_records(["-"])
    assert isinstance(item, ErrorItem) and item.source == "-" and "NUL" in item.reason


def test_empty_stdin_gives_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"\n\n")
    assert list(read_records(["-"])) == []


def test_stats_add_up_over_mixed_inputs(tmp_path: Path) -> None:
    _tree(tmp_path)
    stats = ReadStats()
    items = list(
        read_records([tmp_path, FIXTURES / "broken.jsonl", tmp_path / "gone.txt"], stats=stats)
    )
    assert stats.records == len(_records(items)) and stats.errors == len(_errors(items))
    assert stats.records + stats.errors == len(items)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.JSONL.GZ", "jsonl"),
        ("a.warc.gz", "warc"),
        ("a.htm", "html"),
        ("a.txt", "text"),
        ("a.json", None),
        ("a.gz", None),
    ],
)
def test_format_of(name: str, kind: str | None) -> None:
    assert format_of(name) == kind


def test_symlink_loops_are_walked_once(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "p.txt").write_text("page")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d", target_is_directory=True)
    stats = ReadStats()
    ids = [i.record["id"] for i in read_records([tmp_path], stats=stats)]
    assert ids == [str(tmp_path / "d" / "p.txt")]
    assert stats.skipped["directory already walked"] == 1


# --- sizes, for progress -----------------------------------------------------------------------


def test_measure_inputs_counts_and_sizes_what_would_be_read(tmp_path: Path) -> None:
    _tree(tmp_path)
    crawl = tmp_path / "b" / "c.jsonl.gz"
    crawl.write_bytes(gzip.compress(_noisy_lines(50)))
    size = measure_inputs([tmp_path, tmp_path / "missing.jsonl", "-"])
    read = [tmp_path / "a" / "y.jsonl", crawl, tmp_path / "b" / "x.txt", tmp_path / "z.txt"]
    assert size == InputSize(files=4, bytes=sum(p.stat().st_size for p in read), documents=2, stdin=True)
    assert measure_inputs(tmp_path / "z.txt") == InputSize(files=1, bytes=3, documents=1)


def test_bytes_read_follows_the_compressed_position_up_to_the_total(tmp_path: Path) -> None:
    first = tmp_path / "a.jsonl.gz"
    first.write_bytes(gzip.compress(_noisy_lines(2000)))
    second = _jsonl(tmp_path / "b.jsonl", [{"id": "b", "text": "t"}])
    total = measure_inputs([first, second]).bytes
    stats = ReadStats()
    positions = [stats.bytes_read for _ in read_records([first, second], stats=stats)]
    assert positions == sorted(positions) and 0 < positions[0] < first.stat().st_size  # read as it goes
    assert len(set(positions)) > 3
    assert stats.bytes_read == total == first.stat().st_size + second.stat().st_size
