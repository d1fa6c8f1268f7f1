"""``unboil dedup`` never loses or garbles data: incremental runs decide by content, outputs are checked
before anything is opened, a bad index stops the run before any output is touched, and -j changes
nothing but speed."""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from unboil.cli import main
from unboil.dedup import NearDupIndex

REPO = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"(\d+) in, (\d+) kept, (\d+) dropped, (\d+) errors")


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").split("\n") if line.strip()]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _summary(err: str) -> tuple[int, int, int, int]:
    found = SUMMARY.findall(err)
    assert found, err
    return tuple(map(int, found[-1]))


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


def _day(path: Path, texts: list[str]) -> Path:
    return _write(path, [{"id": str(i), "text": t} for i, t in enumerate(texts)])


def test_day_two_with_the_same_ids_and_other_articles_keeps_them_all(tmp_path, real_texts, capsys):
    index, report = tmp_path / "idx.npz", tmp_path / "report.jsonl"
    day1, day2 = _day(tmp_path / "day1.jsonl", real_texts[:40]), _day(tmp_path / "day2.jsonl", real_texts[40:80])
    assert main(["dedup", str(day1), "-o", str(tmp_path / "o1.jsonl"), "--index", str(index), "--no-progress"]) == 0
    assert _summary(capsys.readouterr().err) == (40, 40, 0, 0)
    assert main(["dedup", str(day2), "-o", str(tmp_path / "o2.jsonl"), "--index", str(index), "--report", str(report),
                 "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert _summary(err) == (40, 40, 0, 0)
    assert "40 ids reused with different content" in err
    assert [r["text"] for r in _lines(tmp_path / "o2.jsonl")] == real_texts[40:80]
    notes = _lines(report)
    assert len(notes) == 40 and all(n["kind"] == "id reused" and n["dropped"] == [] for n in notes)
    assert "different content" in notes[0]["note"]
    assert len(NearDupIndex.load(index)) == 80
    # Day 2 again: the same documents under the same ids are exact duplicates of themselves.
    assert main(["dedup", str(day2), "-o", str(tmp_path / "o3.jsonl"), "--index", str(index), "--report", str(report),
                 "--no-progress"]) == 0
    assert _summary(capsys.readouterr().err) == (40, 0, 40, 0)
    groups = _lines(report)
    assert all(g["kind"] == "exact" and g["dropped"] == [g["kept"]] for g in groups) and len(groups) == 40
    assert len(NearDupIndex.load(index)) == 80


def test_records_without_ids_in_a_reused_file_name_are_kept(tmp_path, real_texts, capsys):
    crawl, index = tmp_path / "crawl.jsonl", tmp_path / "idx.npz"
    for n, texts in enumerate((real_texts[100:120], real_texts[120:140])):
        _write(crawl, [{"text": t} for t in texts])  # the next crawl overwrites the file: same <file>:<line> ids
        out = tmp_path / f"o{n}.jsonl"
        assert main(["dedup", str(crawl), "-o", str(out), "--index", str(index), "--no-progress"]) == 0
        assert _summary(capsys.readouterr().err) == (20, 20, 0, 0)
        assert [r["text"] for r in _lines(out)] == texts


@pytest.mark.redis
def test_redis_index_decides_by_content_too(redis_server, tmp_path, real_texts, capsys):
    url, ns = redis_server.url, "cli-reused-ids"
    day1, day2 = _day(tmp_path / "day1.jsonl", real_texts[200:230]), _day(tmp_path / "day2.jsonl", real_texts[230:260])
    for n, day in enumerate((day1, day2, day2)):
        assert main(["dedup", str(day), "-o", str(tmp_path / f"o{n}.jsonl"), "--redis", url, "--namespace", ns,
                     "--no-progress"]) == 0
        assert _summary(capsys.readouterr().err) == ((30, 30, 0, 0), (30, 30, 0, 0), (30, 0, 30, 0))[n]
    assert [r["text"] for r in _lines(tmp_path / "o1.jsonl")] == real_texts[230:260]
    assert len(NearDupIndex(storage=url, namespace=ns)) == 60


@pytest.mark.parametrize("clash", ["output", "errors", "report", "index"])
def test_an_output_that_is_the_input_is_refused_and_the_input_kept(tmp_path, real_texts, clash, capsys):
    src = tmp_path / "a.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        fh.write("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(real_texts[:10])))
    before = src.read_bytes()
    argv = ["dedup", str(src), "-o", str(src if clash == "output" else tmp_path / "out.jsonl"), "--no-progress"]
    if clash != "output":
        argv += [f"--{clash}", str(src)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert str(src) in err and "Traceback" not in err
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl.gz"]


def test_the_index_cannot_also_be_an_output(tmp_path, real_texts, capsys):
    src = _day(tmp_path / "in.jsonl", real_texts[:5])
    out = tmp_path / "out.jsonl"
    assert main(["dedup", str(src), "-o", str(out), "--index", str(out), "--no-progress"]) == 2
    assert "twice" in capsys.readouterr().err and not out.exists()


def test_the_report_is_written_only_when_asked(tmp_path, real_texts, capsys):
    src = _day(tmp_path / "in.jsonl", [real_texts[0], real_texts[0], real_texts[1]])
    out = tmp_path / "out.jsonl"
    assert main(["dedup", str(src), "-o", str(out), "--no-progress"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]
    assert "groups in" not in capsys.readouterr().err
    report = tmp_path / "groups.jsonl"
    assert main(["dedup", str(src), "-o", str(out), "--report", str(report), "--no-progress"]) == 0
    assert _lines(report) == [{"kept": "0", "dropped": ["1"], "similarity": [1.0], "kind": "exact"}]


def _html_records(real_texts: list[str]) -> list[dict]:
    def page(text: str) -> str:
        paras = "".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip())
        return (f"<html><head><title>t</title></head><body><nav><a href='/'>Home</a></nav>"
                f"<article>{paras}</article><footer>Share on Facebook</footer></body></html>")

    recs = [{"id": f"h{i}", "html": page(t)} for i, t in enumerate(real_texts[300:340])]
    recs += [{"id": f"copy{i}", "html": page(real_texts[300 + i])} for i in range(0, 40, 4)]
    recs.append({"id": "empty", "html": "<html><body></body></html>"})
    recs.append({"id": "plain", "text": real_texts[305]})
    return recs


@pytest.mark.parametrize("mode", ["batch", "index"])
def test_workers_change_nothing_but_speed(tmp_path, real_texts, mode):
    src = _write(tmp_path / "pages.jsonl", _html_records(real_texts))
    outputs = []
    for workers in ("1", "2"):
        run = tmp_path / f"j{workers}"
        run.mkdir()
        argv = [sys.executable, "-m", "unboil", "dedup", str(src), "-o", str(run / "out.jsonl"), "--report",
                str(run / "report.jsonl"), "--errors", str(run / "errors.jsonl"), "-j", workers, "--no-progress"]
        if mode == "index":
            argv += ["--index", str(run / "idx.npz")]
        done = subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append(([(run / name).read_bytes() for name in ("out.jsonl", "report.jsonl", "errors.jsonl")],
                        _summary(done.stderr)))
    assert outputs[0] == outputs[1]
    (files, (n_in, kept, dropped, errors)) = outputs[0]
    assert (n_in, kept, dropped, errors) == (52, 40, 11, 1)
    assert b"empty" in files[2]


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_a_bad_index_file_stops_the_run_before_any_output_is_touched(tmp_path, real_texts, damage, capsys):
    src, index = _day(tmp_path / "in.jsonl", real_texts[:30]), tmp_path / "idx.npz"
    good = NearDupIndex(storage=index)
    good.add_many([f"old{i}" for i in range(30)], real_texts[30:60])
    good.save()
    raw = index.read_bytes()
    index.write_bytes({"empty": b"", "truncated": raw[: len(raw) // 3],
                       "garbage": raw[:100] + os.urandom(len(raw) - 100)}[damage])
    out, report = tmp_path / "out.jsonl", tmp_path / "report.jsonl"
    out.write_text("yesterday's kept records\n", encoding="utf-8")
    report.write_text("yesterday's report\n", encoding="utf-8")
    code = main(["dedup", str(src), "-o", str(out), "--report", str(report), "--index", str(index), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and str(index) in err and "Traceback" not in err
    assert out.read_text("utf-8") == "yesterday's kept records\n"
    assert report.read_text("utf-8") == "yesterday's report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx.npz", "idx.npz.lock", "in.jsonl", "out.jsonl",
                                                           "report.jsonl"]


@pytest.mark.parametrize("value", ["127.0.0.1:6379", "localhost:6379/0", "http://127.0.0.1:6379"])
def test_redis_without_a_redis_scheme_is_refused(tmp_path, real_texts, value, capsys):
    src = _day(tmp_path / "in.jsonl", real_texts[:3])
    assert main(["dedup", str(src), "-o", str(tmp_path / "out.jsonl"), "--redis", value, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert value in err and "redis://" in err and err.count("\n") == 1
    assert not (tmp_path / "out.jsonl").exists()


def test_index_given_a_redis_url_is_refused(tmp_path, real_texts, capsys):
    src = _day(tmp_path / "in.jsonl", real_texts[:3])
    assert main(["dedup", str(src), "-o", str(tmp_path / "o.jsonl"), "--index", "redis://127.0.0.1:6379/0"]) == 2
    assert "--redis" in capsys.readouterr().err


def test_a_locked_index_makes_the_run_wait_then_give_up_clearly(tmp_path, real_texts, capsys):
    src, index = _day(tmp_path / "in.jsonl", real_texts[:5]), tmp_path / "idx.npz"
    out = tmp_path / "out.jsonl"
    with open(str(index) + ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process is using the index
        code = main(["dedup", str(src), "-o", str(out), "--index", str(index), "--lock-wait", "0.5", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "waiting" in err and "locked" in err and str(index) in err
    assert not out.exists() and not index.exists()


def test_two_concurrent_runs_on_one_index_keep_both_runs_documents(tmp_path, real_texts):
    index = tmp_path / "idx.npz"
    a = _write(tmp_path / "a.jsonl", [{"id": f"a{i}", "text": t} for i, t in enumerate(real_texts[400:700])])
    b = _write(tmp_path / "b.jsonl", [{"id": f"b{i}", "text": t} for i, t in enumerate(real_texts[700:1000])])
    argv = [sys.executable, "-m", "unboil", "dedup", "--index", str(index), "--no-progress"]
    runs = [subprocess.Popen([*argv, str(src), "-o", str(tmp_path / f"{src.stem}.out")], env=_env(),
                             stderr=subprocess.PIPE, text=True) for src in (a, b)]
    errs = [r.communicate(timeout=300)[1] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], errs
    kept = [_summary(e)[1] for e in errs]
    idx = NearDupIndex.load(index)
    assert len(idx) == 600
    for i, text in enumerate(real_texts[400:1000]):
        assert idx.query(text)[0][1] == 1.0, i
    assert sum(kept) == len(_lines(tmp_path / "a.out")) + len(_lines(tmp_path / "b.out"))
