"""The command line never writes where it reads, never leaves a half-written file under its final
name, says why records failed, and its summary adds up (issue 10, cases 2, 3, 7, 13, 14)."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from unboil.cli import main

REPO = Path(__file__).resolve().parent.parent
BODY = ("The old stone bridge reopened to traffic on Monday after eight months of repairs that "
        "replaced its deck and strengthened two of the arches.")


def _page(i: int, host: str = "courier.example") -> dict:
    return {"id": f"p{i}", "url": f"https://{host}/news/{i}",
            "text": f"Bridge news number {i}\nShare on Facebook\n{BODY} Story {i}.\nCopyright 2026 Courier"}


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _easylist(path: Path, rules: int = 3) -> Path:
    path.write_text("".join(f"example.com##.share-bar-{i}\n" for i in range(rules)), encoding="utf-8")
    return path


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _argv(verb: str, src: Path, out: Path, tmp: Path) -> list[str]:
    """The command line that reads ``src`` and writes ``out`` through the verb's output option."""
    if verb == "clean":
        return ["clean", str(src), "-o", str(out)]
    if verb == "clean-text":
        return ["clean", str(src), "-o", str(out), "--format", "text"]
    if verb == "clean-errors":
        return ["clean", str(src), "-o", str(tmp / "other.jsonl"), "--errors", str(out)]
    if verb == "explain":
        return ["explain", str(src), "--html", str(out)]
    if verb == "learn":
        return ["learn", str(src), "-o", str(out)]
    assert verb == "easylist"
    return ["rules", "easylist", str(src), "-o", str(out)]


VERBS = ["clean", "clean-text", "clean-errors", "explain", "learn", "easylist"]


def _input_for(verb: str, path: Path) -> Path:
    return _easylist(path) if verb == "easylist" else _write_jsonl(path, [_page(i) for i in range(3)])


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert "Traceback" not in err
    return lines[0]


# --- case 2: an output that is an input ------------------------------------------------------


@pytest.mark.parametrize("verb", VERBS)
def test_output_equal_to_the_input_is_refused_and_the_input_untouched(tmp_path, capsys, verb):
    src = _input_for(verb, tmp_path / ("list.txt" if verb == "easylist" else "a.jsonl"))
    before = src.read_bytes()
    assert main(_argv(verb, src, src, tmp_path)) == 2
    line = _one_line(capsys.readouterr().err)
    assert "also an input" in line and str(src) in line
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]  # nothing else was created


def test_output_equal_to_a_rule_file_or_site_model_is_refused(tmp_path, capsys):
    src = _write_jsonl(tmp_path / "a.jsonl", [_page(1)])
    rules = tmp_path / "mine.toml"
    rules.write_text('[[rule]]\nid = "x"\naction = "drop"\n[rule.match]\nmax_words = 1\n', "utf-8")
    before = rules.read_bytes()
    assert main(["clean", str(src), "-r", str(rules), "-o", str(rules)]) == 2
    assert "also an input" in _one_line(capsys.readouterr().err)
    assert rules.read_bytes() == before


def test_learn_may_update_the_model_it_merges(tmp_path, capsys):
    """--merge reads the old model whole before anything is written, so -o may name it."""
    src = _write_jsonl(tmp_path / "a.jsonl", [_page(i) for i in range(4)])
    model = tmp_path / "model.npz"
    assert main(["learn", str(src), "-o", str(model)]) == 0
    assert main(["learn", str(src), "--merge", str(model), "-o", str(model)]) == 0
    from unboil.detect.site import SiteModel

    assert SiteModel.load(model).pages("courier.example") == 8


# --- case 3: an output inside an input directory ---------------------------------------------


@pytest.mark.parametrize("verb", ["clean", "explain", "learn"])
def test_output_inside_an_input_directory_is_refused(tmp_path, capsys, verb):
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    _write_jsonl(crawl / "a.jsonl", [_page(i) for i in range(3)])
    out = crawl / "sub" / "out.jsonl"
    out.parent.mkdir()
    assert main(_argv(verb, crawl, out, tmp_path)) == 2
    line = _one_line(capsys.readouterr().err)
    assert "inside the input directory" in line
    assert sorted(p.name for p in crawl.rglob("*")) == ["a.jsonl", "sub"]


def test_a_directory_walk_never_reads_an_output_being_written_into_it(tmp_path):
    """Library users may write into the directory they read (the CLI refuses): the writer's
    in-progress file (hidden, ending in .tmp) is not read by the walk, and the run ends."""
    from unboil.io import RecordItem, RecordWriter, read_records

    crawl = tmp_path / "crawl"
    crawl.mkdir()
    _write_jsonl(crawl / "a.jsonl", [_page(i) for i in range(50)])
    seen = 0
    with RecordWriter(crawl / "b.jsonl") as writer:  # sorts after a.jsonl: a walk would reach it
        for item in read_records([crawl]):
            assert isinstance(item, RecordItem) and item.source.endswith("a.jsonl")
            writer.write(item.record)
            seen += 1
            assert seen <= 50, "the walk is reading its own output"
    assert seen == 50 and len(_jsonl(crawl / "b.jsonl")) == 50


def test_leftovers_of_a_killed_run_are_not_read_as_input(tmp_path, capsys):
    """A killed run leaves a hidden temporary file and a failed one leaves <name>.partial; a later
    run over the directory reads neither (hidden; not a known extension, counted as skipped)."""
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    _write_jsonl(crawl / "a.jsonl", [_page(i) for i in range(3)])
    _write_jsonl(crawl / f".out.jsonl.{os.getpid()}.tmp", [_page(i) for i in range(100, 110)])
    _write_jsonl(crawl / "out.jsonl.partial", [_page(i) for i in range(200, 210)])
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(crawl), "-o", str(out)]) == 0
    assert [r["id"] for r in _jsonl(out)] == ["p0", "p1", "p2"]
    assert "3 in, 3 cleaned, 0 errors; skipped: 1 unknown extension" in capsys.readouterr().err


# --- case 13: an output directory that does not exist ----------------------------------------


@pytest.mark.parametrize("verb", VERBS)
def test_a_missing_output_directory_is_one_line_naming_it(tmp_path, capsys, verb):
    src = _input_for(verb, tmp_path / ("list.txt" if verb == "easylist" else "a.jsonl"))
    out = tmp_path / "no-such-dir" / "out.file"
    assert main(_argv(verb, src, out, tmp_path)) == 2
    line = _one_line(capsys.readouterr().err)
    assert "does not exist" in line and "no-such-dir" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]


# --- case 7: a write that fails part-way (disk full) ------------------------------------------


def _run_with_file_limit(argv: list[str], limit: int, cwd: Path) -> subprocess.CompletedProcess:
    """Run the CLI in a real process that may write at most ``limit`` bytes per file (as on a full
    disk: writes past it fail with EFBIG; Python ignores SIGXFSZ)."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "unboil", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, preexec_fn=cap)


def _big_input(verb: str, path: Path) -> Path:
    if verb == "easylist":
        return _easylist(path, rules=400)
    hosts = ["courier.example", "gazette.example"]
    records = []
    for i in range(120):
        page = _page(i, hosts[i % 2])
        page["text"] += "".join(f"\nLine {i}-{k}: {BODY}" for k in range(12))
        records.append(page)
    return _write_jsonl(path, records)


@pytest.mark.parametrize("verb", ["clean", "clean-text", "explain", "learn", "easylist"])
def test_a_write_that_fails_part_way_keeps_the_old_file_and_says_so_in_one_line(tmp_path, verb):
    src = _big_input(verb, tmp_path / ("list.txt" if verb == "easylist" else "in.jsonl"))
    out = tmp_path / {"clean": "out.jsonl.gz", "clean-text": "out.txt", "explain": "report.html",
                      "learn": "model.npz", "easylist": "rules.toml"}[verb]
    out.write_bytes(b"the previous run's complete output\n")
    proc = _run_with_file_limit(_argv(verb, src, out, tmp_path), 4096, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert out.name in last and "too large" in last.lower(), proc.stderr
    assert out.read_bytes() == b"the previous run's complete output\n"
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert leftovers == []  # no temporary file is left behind


# --- case 14: error reasons and skipped inputs on stderr --------------------------------------


def test_a_missing_input_says_why(tmp_path, capsys):
    out = tmp_path / "x.jsonl"
    assert main(["clean", str(tmp_path / "missing.jsonl"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'missing.jsonl'}: cannot open: no such file or directory" in err
    assert "1 in, 0 cleaned, 1 errors" in err
    assert _jsonl(out)[0]["error"]["reason"] == "cannot open: no such file or directory"


def test_the_first_five_errors_are_shown_then_how_many_more(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(_page(0)) + "\n" + "".join(f"not json {i}\n" for i in range(8)), "utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(src), "-o", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    shown = [line for line in err if "invalid JSON" in line]
    assert [line.split(": ")[2] for line in shown] == [f"{src}:line {n}" for n in range(2, 7)]
    assert any(f"... and 3 more errors, all in {out}" in line for line in err)
    assert "9 in, 1 cleaned, 8 errors" in err[-1]


def test_text_output_sends_error_records_to_the_errors_file(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(_page(0)) + "\nnot json\n", "utf-8")
    out, errors = tmp_path / "out.txt", tmp_path / "errors.jsonl"
    assert main(["clean", str(src), "-o", str(out), "--errors", str(errors)]) == 0
    assert "Story 0." in out.read_text("utf-8")
    (record,) = _jsonl(errors)
    assert record["error"]["position"] == "line 2" and "invalid JSON" in record["error"]["reason"]


def _warc(path: Path) -> None:
    """A small crawl file: warcinfo, 3 request/response pairs, an image, a redirect, a 404."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def response(url: str, body: bytes, ctype: str = "text/html", status: str = "200 OK") -> object:
        headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
        return writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "unboil-tests"}))
        for i in range(3):
            url = f"https://courier.example/w{i}"
            request = StatusAndHeaders(f"GET /w{i} HTTP/1.1", [("Host", "courier.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            html = f"<html><head><title>Page {i}</title></head><body><p>{BODY} Page {i}.</p></body></html>"
            writer.write_record(response(url, html.encode()))
        writer.write_record(response("https://courier.example/logo.png", b"\x89PNG", "image/png"))
        writer.write_record(response("https://courier.example/old", b"<a>moved</a>", status="301 Moved"))
        writer.write_record(response("https://courier.example/gone", b"<p>gone</p>", status="404 Not Found"))


def test_the_summary_adds_up_over_a_mixed_crawl(tmp_path, capsys):
    pytest.importorskip("warcio", reason="warcio (unboil[warc]) not installed")
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    _warc(crawl / "a.warc.gz")
    with gzip.open(crawl / "b.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(_page(1)) + "\n{broken\n" + json.dumps({"id": "no-text", "body": "x"}) + "\n")
        fh.write(json.dumps(_page(2)) + "\n")
    (crawl / "notes.md").write_text("not a crawl file", "utf-8")
    (crawl / "c.txt").write_text("Plain page title\nShare on Facebook\n" + BODY, "utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(crawl), str(tmp_path / "missing.jsonl"), "-o", str(out)]) == 0
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    match = re.fullmatch(r"unboil clean: (\d+) in, (\d+) cleaned, (\d+) errors; skipped: (.*)", summary)
    assert match, summary
    seen, cleaned, errors = (int(g) for g in match.groups()[:3])
    assert (seen, cleaned, errors) == (9, 6, 3)  # 3 warc pages + 2 jsonl + 1 txt; 2 bad lines + missing file
    assert seen == cleaned + errors
    records = _jsonl(out)
    assert len(records) == seen and sum("error" in r for r in records) == errors
    skipped = dict((name, int(n)) for n, name in (part.split(" ", 1) for part in match.group(4).split(", ")))
    assert skipped == {"warc request record": 3, "warc response status 3xx": 1, "warc response status 4xx": 1,
                       "warc response not HTML": 1, "warc warcinfo record": 1, "unknown extension": 1}


def test_a_pipe_as_output_is_written_in_place_never_replaced(tmp_path, capsys):
    """Text and JSON lines go into a named pipe as they are: renaming a temporary file over the
    pipe would replace it with a plain file."""
    import stat
    import threading

    src = _write_jsonl(tmp_path / "a.jsonl", [_page(1)])
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text("utf-8")))
    reader.start()
    assert main(["clean", str(src), "-o", str(fifo)]) == 0
    reader.join(timeout=30)
    assert "Story 1." in got[0] and stat.S_ISFIFO(fifo.stat().st_mode)
    capsys.readouterr()
    records = tmp_path / "pipe.jsonl"
    os.mkfifo(records)
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.append(records.read_bytes()))
    reader.start()
    assert main(["clean", str(src), "-o", str(records)]) == 0
    reader.join(timeout=30)
    assert [json.loads(x)["id"] for x in lines[0].splitlines()] == ["p1"]
    assert stat.S_ISFIFO(records.stat().st_mode)
