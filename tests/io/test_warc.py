"""Tests for unboil.io.warc: HTML responses become records, the rest is counted, cuts are errors."""

from __future__ import annotations

import io
import json
import sys
import zlib
from pathlib import Path

import pytest

from unboil.io import ErrorItem, ReadStats, RecordItem, read_records

warcio = pytest.importorskip("warcio", reason="warcio (unboil[warc]) not installed")
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

PAGES = 4


def _response(
    writer: WARCWriter, url: str, body: bytes, ctype: str = "text/html", status: str = "200 OK"
):
    headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
    return writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=headers
    )


def _body(i: int) -> bytes:
    return f"<html><body><p>Page {i}.</p><p>{'word ' * 300}</p></body></html>".encode()


def _build(path: Path, gz: bool) -> bytes:
    """A small crawl: warcinfo, request/response pairs, a PNG, a redirect, an empty page."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    writer.write_record(writer.create_warcinfo_record(path.name, {"software": "unboil-tests"}))
    for i in range(PAGES):
        url = f"https://example.org/{i}"
        request = StatusAndHeaders(
            f"GET /{i} HTTP/1.1", [("Host", "example.org")], is_http_request=True
        )
        writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
        writer.write_record(_response(writer, url, _body(i), "text/html; charset=utf-8"))
    writer.write_record(_response(writer, "https://example.org/a.png", b"\x89PNG", "image/png"))
    writer.write_record(
        _response(writer, "https://example.org/old", b"<a>moved</a>", status="301 Moved")
    )
    writer.write_record(_response(writer, "https://example.org/empty", b""))
    data = buf.getvalue()
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("gz", [True, False])
def test_html_responses_become_records(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    data = _build(path, gz)
    stats = ReadStats()
    items = list(read_records([path], stats=stats))
    records = [i for i in items if isinstance(i, RecordItem)]
    assert [r.record["url"] for r in records] == [f"https://example.org/{i}" for i in range(PAGES)]
    for i, item in enumerate(records):
        rec = item.record
        assert rec["html"] == _body(i)
        assert rec["id"].startswith("<urn:uuid:")
        assert rec["metadata"]["content_type"] == "text/html; charset=utf-8"
        assert rec["metadata"]["warc_date"] and rec["metadata"]["http_status"] == 200
        offset = int(item.position.split("@ offset ")[1])
        member = zlib.decompressobj(wbits=31).decompress(data[offset:]) if gz else data[offset:]
        assert member.startswith(b"WARC/1.0\r\nWARC-Type: response")
        assert rec["id"].encode() in member[:400]
    assert stats.skipped == {
        "warc warcinfo record": 1,
        "warc request record": PAGES,
        "warc response not HTML": 1,
        "warc response status 3xx": 1,
    }
    (error,) = [i for i in items if isinstance(i, ErrorItem)]
    assert error.reason == "response record has no payload"
    assert error.source == str(path) and error.position.startswith(
        f"record {2 * PAGES + 4} @ offset "
    )
    assert error.id.startswith("<urn:uuid:")


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_warc_is_an_error_and_the_next_input_is_read(tmp_path: Path, gz: bool) -> None:
    full = tmp_path / ("full.warc.gz" if gz else "full.warc")
    data = _build(full, gz)
    cut = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    cut.write_bytes(data[: len(data) * 2 // 3])
    after = tmp_path / "after.txt"
    after.write_text("still read")
    complete = [i for i in read_records([full]) if isinstance(i, RecordItem)]

    items = list(read_records([cut, after]))
    errors = [i for i in items if isinstance(i, ErrorItem)]
    records = [i for i in items if isinstance(i, RecordItem)]
    assert len(errors) == 1 and errors[0].source == str(cut)
    assert "last good record" in errors[0].reason and "truncated" in errors[0].reason
    # Records before the cut are whole and identical to the uncut file's; nothing partial slips out.
    assert [r.record for r in records[:-1]] == [r.record for r in complete[: len(records) - 1]]
    assert 0 < len(records) - 1 < PAGES
    assert records[-1].record["text"] == "still read"


def test_garbage_after_the_last_record_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "tail.warc"
    data = _build(path, gz=False)
    path.write_bytes(data + b"WARC/1.0\r\nWARC-Type: resp")
    items = list(read_records([path]))
    assert isinstance(items[-1], ErrorItem) and "last good record" in items[-1].reason
    assert sum(isinstance(i, RecordItem) for i in items) == PAGES


def test_not_a_warc_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.warc.gz"
    path.write_bytes(json.dumps({"id": "x"}).encode())
    items = list(read_records([path]))
    assert len(items) == 1 and isinstance(items[0], ErrorItem)
    assert items[0].source == str(path) and items[0].position == "before record 1"


def test_missing_warcio_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "crawl.warc.gz"
    _build(path, gz=True)
    monkeypatch.setitem(sys.modules, "warcio.archiveiterator", None)  # as if not installed
    (item,) = read_records([path])
    assert isinstance(item, ErrorItem) and "unboil[warc]" in item.reason
