"""``unboil dedup`` end to end: counts add up, bad input becomes error records, --index across runs."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from unboil.cli import main


def _lines(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture()
def inputs(tmp_path, real_texts):
    first = tmp_path / "a.jsonl"
    recs = [{"id": f"a{i}", "text": t} for i, t in enumerate(real_texts[:30])]
    recs.append({"id": "a-copy", "text": "Menu\n" + real_texts[3] + "\nShare"})
    recs.append({"id": "a-empty", "text": "   "})
    first.write_text("\n".join(json.dumps(r) for r in recs) + "\n{broken json\n", encoding="utf-8")
    second = tmp_path / "b.jsonl.gz"
    with gzip.open(second, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "b0", "text": real_texts[3]}) + "\n")
        fh.write(json.dumps({"id": "b1", "text": real_texts[40]}) + "\n")
    truncated = tmp_path / "c.jsonl.gz"
    truncated.write_bytes(gzip.compress((json.dumps({"id": "c0", "text": real_texts[50]}) + "\n").encode() * 50)[:-30])
    return [first, second, truncated]


@pytest.mark.parametrize("keep", ["first", "longest"])
def test_counts_add_up_and_groups_are_reported(tmp_path, inputs, keep, capsys):
    out, report, errors = tmp_path / "out.jsonl", tmp_path / "report.jsonl", tmp_path / "errors.jsonl"
    code = main(["dedup", *map(str, inputs), "-o", str(out), "--report", str(report), "--errors", str(errors),
                 "--keep", keep, "--no-progress"])
    assert code == 0
    kept, groups, errs = _lines(out), _lines(report), _lines(errors)
    dropped = sum(len(g["dropped"]) for g in groups)
    summary = re.search(r"(\d+) in, (\d+) kept, (\d+) dropped, (\d+) errors", capsys.readouterr().err)
    n_in, n_kept, n_dropped, n_errors = map(int, summary.groups())
    assert (n_kept, n_dropped, n_errors) == (len(kept), dropped, len(errs))
    assert n_in == n_kept + n_dropped + n_errors and n_in >= 35
    assert any(e["error"]["source"] == str(inputs[2]) for e in errs)  # the truncated gzip
    assert {e["error"]["source"] for e in errs} >= {str(inputs[0]), str(inputs[2])}
    assert any("empty" in e["error"]["reason"] for e in errs)
    group = next(g for g in groups if "a3" in [g["kept"], *g["dropped"]])
    assert {group["kept"], *group["dropped"]} == {"a3", "a-copy", "b0"}
    assert group["kept"] == ("a3" if keep == "first" else "a-copy")
    assert len({r["id"] for r in kept}) == len(kept)


def test_index_dedups_against_an_earlier_run(tmp_path, real_texts):
    day1, day2 = tmp_path / "day1.jsonl", tmp_path / "day2.jsonl"
    day1.write_text("".join(json.dumps({"id": f"d1-{i}", "text": t}) + "\n" for i, t in enumerate(real_texts[:10])))
    day2.write_text(json.dumps({"id": "d2-0", "text": real_texts[4]}) + "\n"
                    + json.dumps({"id": "d2-1", "text": real_texts[20]}) + "\n")
    index = tmp_path / "seen.npz"
    for day in (day1, day2):
        assert main(["dedup", str(day), "-o", str(tmp_path / f"{day.stem}.out.jsonl"), "--index", str(index),
                     "--report", str(tmp_path / f"{day.stem}.report.jsonl")]) == 0
    assert [r["id"] for r in _lines(tmp_path / "day2.out.jsonl")] == ["d2-1"]
    assert _lines(tmp_path / "day2.report.jsonl")[0]["kept"] == "d1-4"


def test_bad_options_exit_2(tmp_path):
    assert main(["dedup", str(tmp_path / "x.jsonl"), "-o", "-", "--index", "a", "--redis", "redis://x"]) == 2


def test_warc_input_dedups_pages_and_reports_empty_payloads(tmp_path, real_texts):
    warcio = pytest.importorskip("warcio", reason="warcio (unboil[warc]) is not installed")
    import io as _io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def page(text: str) -> bytes:
        paras = "".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip())
        return f"<html><head><title>t</title></head><body><article>{paras}</article></body></html>".encode()

    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        bodies = [("https://a.example/1", page(real_texts[5])), ("https://mirror.example/1", page(real_texts[5])),
                  ("https://a.example/2", page(real_texts[6])), ("https://a.example/empty", b"")]
        for url, body in bodies:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=_io.BytesIO(body), http_headers=headers))
    out, report, errors = tmp_path / "out.jsonl", tmp_path / "report.jsonl", tmp_path / "errors.jsonl"
    assert main(["dedup", str(path), "-o", str(out), "--report", str(report), "--errors", str(errors),
                 "--no-progress"]) == 0
    kept, groups, errs = _lines(out), _lines(report), _lines(errors)
    assert len(kept) == 2 and len(groups) == 1 and len(groups[0]["dropped"]) == 1
    assert len(errs) == 1 and errs[0]["error"]["source"] == str(path)
    assert "payload" in errs[0]["error"]["reason"]
    assert len(kept) + 1 + len(errs) == 4  # records in = kept + dropped + errors
