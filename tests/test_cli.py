"""The command line, run in-process through unboil.cli.main and once as a real subprocess."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from unboil.cli import main


def _jsonl(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_clean_a_text_file_prints_the_cleaned_text(tmp_path, capsys, seed_input, seed_expected):
    page = tmp_path / "seed.txt"
    page.write_text(seed_input, encoding="utf-8")
    assert main(["clean", str(page), "--stats"]) == 0
    out, err = capsys.readouterr()
    assert out.rstrip("\n") == seed_expected.rstrip("\n")
    assert "1 in, 1 cleaned, 0 errors" in err
    assert "title-copy" in err and "share-widget" in err


def test_clean_jsonl_gz_with_broken_lines_counts_add_up(tmp_path, seed_input):
    src = tmp_path / "crawl.jsonl.gz"
    lines = [
        json.dumps({"id": "good-1", "text": seed_input, "url": "https://example.com/a"}),
        "{this is not json",
        json.dumps({"id": "no-text", "body": "x"}),
        json.dumps({"id": "good-2", "text": "Headline words\nsend to Telegram\nThe body."}),
        json.dumps({"id": "binary", "text": "\u0000\u0001\u0002\u0003" * 40}),
    ]
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
        fh.write('{"id": "bad-utf8", "text": "')
    with gzip.open(src, "ab") as fh:
        fh.write(b"\xff\xfe\"}\n")
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(src), "-o", str(out)]) == 0
    records = _jsonl(out)
    assert len(records) == 6  # records in = records out + error records
    good = {r["id"]: r for r in records if "error" not in r}
    errors = [r for r in records if "error" in r]
    assert set(good) == {"good-1", "good-2"}
    assert good["good-2"]["text"] == "Headline words\n\nThe body."
    assert good["good-1"]["metadata"]["unboil"]["removed"]["title-copy"] == 9
    assert len(errors) == 4
    for e in errors:
        assert e["error"]["source"] == str(src)
        assert e["error"]["position"].startswith("line ")
    positions = sorted(e["error"]["position"] for e in errors)
    assert positions == ["line 2", "line 3", "line 5", "line 6"]


def test_errors_can_go_to_their_own_file(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "1", "text": "Title here\\nBody."}\nnot json\n', encoding="utf-8")
    out, errs = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    assert main(["clean", str(src), "-o", str(out), "--errors", str(errs)]) == 0
    assert [r["id"] for r in _jsonl(out)] == ["1"]
    assert _jsonl(errs)[0]["error"]["position"] == "line 2"


def test_custom_keys(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"doc": "7", "content": "Head words\nShare on Facebook\nBody."}) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(src), "-o", str(out), "--text-key", "content", "--id-key", "doc"]) == 0
    assert _jsonl(out)[0]["content"] == "Head words\n\nBody."


def test_explain_names_a_rule_for_every_dropped_block(tmp_path, capsys, seed_input):
    page = tmp_path / "seed.txt"
    page.write_text(seed_input, encoding="utf-8")
    assert main(["explain", str(page), "--color", "never"]) == 0
    out = capsys.readouterr().out
    drop_lines = [line for line in out.splitlines() if "  DROP  " in line]
    assert len(drop_lines) == 16
    assert all(line.split()[2] in {"title-copy", "title-fragment", "share-widget", "related-widget"} for line in drop_lines)
    assert "kept 15 of 31 blocks" in out


def test_explain_json(tmp_path, capsys):
    page = tmp_path / "p.txt"
    page.write_text("Head words here\nsend to Viber\nBody text.", encoding="utf-8")
    assert main(["explain", str(page), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(d["index"], d["action"], d["rule"]) for d in doc["decisions"]] == [
        (0, "keep", ""), (1, "drop", "share-widget"), (2, "keep", "")]


def test_bad_rule_file_exits_2_naming_the_rule(tmp_path, capsys):
    rules = tmp_path / "bad.toml"
    rules.write_text('[[rule]]\nid = "oops"\naction = "drop"\n[rule.match]\nmax_wrods = 3\n', "utf-8")
    page = tmp_path / "p.txt"
    page.write_text("x", "utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["clean", str(page), "-r", str(rules)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "oops" in err and "max_wrods" in err and "bad.toml" in err


def test_console_script_runs_from_stdin(seed_input, seed_expected):
    proc = subprocess.run([sys.executable, "-m", "unboil", "clean", "-", "--format", "text"],
                          input=seed_input.encode("utf-8"), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode("utf-8").rstrip("\n") == seed_expected.rstrip("\n")


def test_clean_and_explain_html_files_directories_and_html_records(tmp_path, capsys):
    page = ("<html><head><title>Bridge reopens after repairs</title></head><body>"
            "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
            "<article><h1>Bridge reopens after repairs</h1>"
            "<p>The old stone bridge reopened to traffic on Monday after eight months of repairs "
            "that replaced its deck and strengthened two of the arches.</p>"
            "<p>Engineers said the work finished three weeks early and slightly under budget.</p></article>"
            "<footer><p>Copyright 2026 The Valley Courier. All rights reserved.</p></footer></body></html>")
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "bridge.html").write_text(page, "utf-8")
    assert main(["clean", str(pages / "bridge.html")]) == 0
    text = capsys.readouterr().out
    assert "eight months of repairs" in text and "All rights reserved" not in text
    # a directory of pages and a JSONL file whose records carry raw HTML under a custom key
    records = tmp_path / "crawl.jsonl"
    records.write_text(json.dumps({"id": "r1", "raw": page, "url": "https://courier.example/b"}) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(pages), str(records), "--html-key", "raw", "-o", str(out)]) == 0
    rows = _jsonl(out)
    assert len(rows) == 2 and all("eight months of repairs" in r["text"] for r in rows)
    assert all("raw" not in r for r in rows)  # raw HTML is not copied into the output by default
    capsys.readouterr()
    assert main(["explain", str(records), "--html-key", "raw", "--color", "never"]) == 0
    explained = capsys.readouterr().out
    assert "DROP  page-footer" in explained or "DROP  outside-main" in explained


def test_clean_progress_to_a_log_is_lines_with_the_input_size(tmp_path, capsys):
    src = tmp_path / "crawl.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        for i in range(3):
            fh.write(json.dumps({"id": str(i), "text": f"Head words {i}\nShare on Facebook\nBody {i}."}) + "\n")
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(src), "-o", str(out), "--progress"]) == 0  # stderr is not a terminal here
    err = capsys.readouterr().err
    size = src.stat().st_size
    assert f"clean: 3 records, {size} B of {size} B (100%), " in err and "done in" in err
    assert main(["-v", "clean", str(src), "-o", str(out)]) == 0  # -v asks for the lines too
    assert "clean: 3 records" in capsys.readouterr().err
    assert main(["-v", "clean", str(src), "-o", str(out), "--no-progress"]) == 0
    assert "clean: 3 records" not in capsys.readouterr().err
    assert main(["clean", str(src), "-o", str(out)]) == 0  # by default only on a terminal
    assert "clean: 3 records" not in capsys.readouterr().err


def test_clean_progress_over_single_documents_counts_them(tmp_path, capsys):
    pages = tmp_path / "pages"
    pages.mkdir()
    for i in range(4):
        (pages / f"p{i}.txt").write_text(f"Head words {i}\nBody text {i}.", "utf-8")
    assert main(["clean", str(pages), "-o", str(tmp_path / "out.jsonl"), "--progress"]) == 0
    assert "clean: 4 of 4 records (100%)" in capsys.readouterr().err
