"""The cleaner's limits on the command line: --max-chars, --max-html-bytes, --regex-timeout and
--regex-budget on every verb that builds a cleaner, checked by argparse and passed to workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from unboil.cli import main

SRC = Path(__file__).resolve().parents[1] / "src"
HOSTILE = "a" * 5000 + "b"  # (a+)+$ backtracks for many seconds on it
EVIL_RULES = """
[[rule]]
id = "evil"
description = "a user's pattern with catastrophic backtracking"
action = "drop"
[rule.match]
text_regex = '(a+)+$'
"""


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


STORY = "A headline about the harbour\nThe story of the harbour, told in full by the people who work there."


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_document_over_max_chars_becomes_an_error_record_naming_the_limit(tmp_path, capsys, workers):
    src = _write(tmp_path / "in.jsonl", [
        {"id": "short", "text": STORY},
        {"id": "long", "text": STORY + "\n" + "More words of the story. " * 20},
    ])
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(src), "-o", str(out), "--max-chars", "200", "-j", workers]) == 0
    records = _jsonl(out)
    assert [r["id"] for r in records] == ["short", "long"]
    assert "error" not in records[0]
    reason = records[1]["error"]["reason"]
    assert "over the cap of 200" in reason and "max_chars" in reason and "--max-chars" in reason
    assert records[1]["error"]["position"] == "line 2"
    assert "2 in, 1 cleaned, 1 errors" in capsys.readouterr().err


def test_max_html_bytes_caps_html_records(tmp_path, capsys):
    page = "<html><head><title>T</title></head><body><p>" + "Words of the page. " * 20 + "</p></body></html>"
    src = _write(tmp_path / "in.jsonl", [{"id": "page", "html": page}, {"id": "text", "text": STORY}])
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(src), "-o", str(out), "--max-html-bytes", "100"]) == 0
    records = _jsonl(out)
    assert "over the max_bytes cap of 100" in records[0]["error"]["reason"]
    assert "error" not in records[1]
    assert main(["clean", str(src), "-o", str(out), "--max-html-bytes", "1_000_000"]) == 0
    assert all("error" not in r for r in _jsonl(out))
    capsys.readouterr()


@pytest.mark.parametrize("verb", ["clean", "explain"])
@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--max-chars", "0", "must be a positive whole number, got '0'"),
        ("--max-chars", "ten", "expected a whole number, got 'ten'"),
        ("--max-html-bytes", "-5", "must be a positive whole number, got '-5'"),
        ("--regex-timeout", "0", "must be a positive number of seconds, got '0'"),
        ("--regex-timeout", "inf", "must be a positive number of seconds, got 'inf'"),
        ("--regex-timeout", "soon", "expected a number of seconds, got 'soon'"),
        ("--regex-budget", "-1", "must be a positive number of seconds or inf, got '-1'"),
        ("--regex-budget", "nan", "must be a positive number of seconds or inf, got 'nan'"),
    ],
)
def test_bad_limits_are_one_line_argparse_errors(capsys, verb, flag, value, message):
    with pytest.raises(SystemExit) as exc:
        main([verb, "in.jsonl", flag, value])
    assert exc.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == f"unboil {verb}: error: argument {flag}: {message}"


def test_explain_takes_the_limits_too(tmp_path, capsys):
    src = _write(tmp_path / "in.jsonl", [{"id": "long", "text": STORY}])
    assert main(["explain", str(src), "--max-chars", "20", "--color", "never"]) == 1
    assert "--max-chars" in capsys.readouterr().err
    assert main(["explain", str(src), "--max-chars", "2000", "--color", "never"]) == 0
    assert "The story of the harbour" in capsys.readouterr().out


def test_limits_are_listed_with_their_defaults_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["clean", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--max-chars N refuse text longer than N characters (default 20,000,000)" in text
    assert "--max-html-bytes N refuse HTML larger than N bytes (default 20,000,000)" in text
    assert "(default 0.25)" in text and "(default 1; inf: no budget)" in text


def _unboil(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "unboil", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_regex_budget_makes_a_hostile_document_finish_and_report(tmp_path):
    rules = tmp_path / "evil.toml"
    rules.write_text(EVIL_RULES, encoding="utf-8")
    text = "\n".join(["A headline about the harbour", *[HOSTILE] * 40, "The story of the harbour, told in full."])
    src = _write(tmp_path / "in.jsonl", [
        {"id": "hostile", "url": "https://example.com/h", "text": text},
        {"id": "fine", "url": "https://example.com/f", "text": STORY},
    ])
    out = tmp_path / "out.jsonl"
    # 40 searches of 0.25 s each without a budget; a generous bound, not a speed measurement
    done = _unboil("clean", str(src), "-r", str(rules), "-o", str(out), "--regex-budget", "0.05", timeout=60)
    assert done.returncode == 0, done.stderr
    hostile, fine = _jsonl(out)
    meta = hostile["metadata"]["unboil"]
    assert meta["regex_cut_short"] == {"evil": 41} and meta["regex_budget_spent"] is True
    assert meta["kept"] == meta["blocks"] == 42 and hostile["text"].count(HOSTILE) == 40
    assert "regex_cut_short" not in fine["metadata"]["unboil"]
    lines = done.stderr.splitlines()
    assert lines[0].startswith("unboil: WARNING: text_regex cut short on record 'hostile' (https://example.com/h): "
                               "rule 'evil' on 41 blocks (1, 2, 3, 4, 5 and 36 more)")
    assert "the regex budget of 0.05 s per document was spent" in lines[0]
    assert lines[1:] == [
        "unboil clean: 2 in, 2 cleaned, 0 errors",
        "unboil clean: regex limits cut text_regex checks short in 1 document (1 over the regex budget); "
        "those blocks were kept",
    ]


def test_regex_timeout_sets_the_per_match_limit(tmp_path, capsys, caplog):
    rules = tmp_path / "evil.toml"
    rules.write_text(EVIL_RULES, encoding="utf-8")
    src = _write(tmp_path / "in.jsonl", [{"id": "h", "text": "A headline about it\n" + HOSTILE}])
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(src), "-r", str(rules), "-o", str(out), "--regex-timeout", "0.02",
                 "--regex-budget", "inf"]) == 0
    assert "rule 'evil' on 1 block (1): 1 timed out (limit 0.02 s per match); those blocks were kept" in caplog.text
    assert "(0 over the regex budget)" in capsys.readouterr().err
