"""Tests for unboil.io.warc: HTML responses become records, the rest is counted, cuts are errors."""

from __future__ import annotations

import io
import json
import subprocess
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


# -- the HTTP charset reaches the cleaner; junk payloads are error records (issue 10) ---------------

TEXTS = {
    "iso-8859-2": "Zażółć gęślą jaźń, powiedział przewodnik. Łódź jest pięknym miastem w środkowej Polsce, "
                  "a Kraków leży na południu kraju. Wiślą płyną statki, źródła są czyste.",
    "windows-1251": "Речные баржи вернулись в центр города после сорока лет перерыва. Жители набережной "
                    "встречали их с цветами и музыкой, а дети махали с мостов.",
    "shift_jis": "日本語のテキストです。東京は日本の首都であり、多くの人々が住んでいます。川沿いの道を歩くと、"
                 "古い寺や新しい建物が見えます。",
}


def _page(text: str) -> str:
    body = "".join(f"<p>{text} ({i})</p>" for i in range(4))
    return f"<html><head><title>{text[:10]}</title></head><body><article>{body}</article></body></html>"


def _junk() -> dict[str, bytes]:
    import base64
    import random

    rnd = random.Random(5)
    page = _page(TEXTS["iso-8859-2"]).encode()
    return {
        "random": bytes(rnd.randrange(256) for _ in range(4000)),
        "random-high": bytes(rnd.randrange(128, 256) for _ in range(4000)),
        "base64": base64.b64encode(page),
        "utf16-cjk": ("中文内容测试，北京是中国的首都。" * 40).encode("utf-16-le"),
    }


def _charset_crawl(path: Path) -> None:
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for charset, text in TEXTS.items():
            body = _page(text).encode(charset)
            writer.write_record(_response(writer, f"https://e.org/{charset}", body, f"text/html; charset={charset}"))
        for name, body in _junk().items():
            writer.write_record(_response(writer, f"https://e.org/{name}", body, "text/html"))


def test_the_http_charset_decodes_pages_without_a_meta(tmp_path: Path) -> None:
    import unboil

    path = tmp_path / "crawl.warc.gz"
    _charset_crawl(path)
    records = [i.record for i in read_records([path]) if isinstance(i, RecordItem)]
    by_url = {rec["url"]: rec for rec in unboil.clean_records(records) if "error" not in rec}
    for charset, text in TEXTS.items():
        rec = by_url[f"https://e.org/{charset}"]
        assert rec["metadata"]["content_type"] == f"text/html; charset={charset}"
        assert text in rec["text"], charset


def test_junk_payloads_become_error_records_and_the_counts_add_up(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    _charset_crawl(path)
    out = tmp_path / "out.jsonl"
    run = subprocess.run([sys.executable, "-m", "unboil", "clean", str(path), "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    written = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    cleaned = [w for w in written if "error" not in w]
    errors = [w for w in written if "error" in w]
    assert sorted(w["url"] for w in cleaned) == sorted(f"https://e.org/{c}" for c in TEXTS)
    for rec in cleaned:
        assert TEXTS[rec["url"].rsplit("/", 1)[1]] in rec["text"]
    assert len(errors) == len(_junk())
    for error in errors:
        assert "does not look like HTML or text" in error["error"]["reason"], error
        assert error["error"]["source"] == str(path) and error["error"]["position"].startswith("record ")
    total = len(TEXTS) + len(_junk())
    assert f"{total} in, {len(TEXTS)} cleaned, {len(_junk())} errors" in run.stderr
