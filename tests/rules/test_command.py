"""``unboil rules list`` and ``unboil rules check`` through their argparse wiring."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from unboil.commands import rules as rules_command
from unboil.rules import RuleSet

FIXTURES = Path(__file__).parent / "fixtures"


def _run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="unboil")
    rules_command.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    status = args.func(args, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_check_good_files_exits_0() -> None:
    site, override = FIXTURES / "site.toml", FIXTURES / "override.toml"
    status, out, err = _run("rules", "check", "--no-default", str(site), str(override))
    assert status == 0, err
    assert out.splitlines() == [f"ok: {site}: 4 rules", f"ok: {override}: 2 rules, 1 overrides"]
    assert err == ""


def test_check_reports_every_problem_and_exits_1() -> None:
    broken = FIXTURES / "broken.toml"
    status, out, err = _run("rules", "check", "--no-default", str(broken))
    assert status == 1 and out == ""
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 3
    for rule_id, field in [
        ("typo", "match.max_word"),
        ("bad-regex", "match.text_regex"),
        ("bad-action", "action"),
    ]:
        assert any(
            str(broken) in line and f"'{rule_id}'" in line and field in line for line in lines
        ), err


def test_check_catches_a_clash_between_files(tmp_path: Path) -> None:
    clash = tmp_path / "clash.toml"
    clash.write_text(
        '[[rule]]\nid = "short-share"\naction = "drop"\n[rule.match]\nmax_words = 2\n',
        encoding="utf-8",
    )
    status, out, err = _run(
        "rules", "check", "--no-default", str(FIXTURES / "site.toml"), str(clash)
    )
    assert status == 1
    assert "ok:" in out and "duplicate id" in err and "site.toml" in err


def test_check_against_the_default_set(tmp_path: Path) -> None:
    default_id = RuleSet.default().rules[0].id
    clash = tmp_path / "mine.toml"
    clash.write_text(
        f'[[rule]]\nid = "{default_id}"\naction = "keep"\n[rule.match]\nmax_words = 2\n',
        encoding="utf-8",
    )
    status, _, err = _run("rules", "check", str(clash))
    assert status == 1 and "default.toml" in err and default_id in err


def test_check_missing_file_exits_1(tmp_path: Path) -> None:
    status, _, err = _run("rules", "check", "--no-default", str(tmp_path / "absent.toml"))
    assert status == 1 and "absent.toml" in err and "cannot read" in err


def test_list_shows_rules_in_order() -> None:
    status, out, _ = _run(
        "rules",
        "list",
        "--no-default",
        str(FIXTURES / "site.toml"),
        str(FIXTURES / "override.toml"),
    )
    assert status == 0
    rows = out.splitlines()
    assert rows[0].split()[:5] == ["ID", "ACTION", "PRIORITY", "HOSTS", "DESCRIPTION"]
    ids = [row.split()[0] for row in rows[1:-1]]
    assert ids == ["short-share", "keep-headings", "title-copies", "example-footer", "newsletter"]
    assert "keep (off)" in out and "example.com" in out
    expected = RuleSet.load(
        FIXTURES / "site.toml", FIXTURES / "override.toml", include_default=False
    ).hash
    assert rows[-1].endswith(expected)


def test_list_json_includes_the_default_set() -> None:
    status, out, _ = _run("rules", "list", "--json")
    assert status == 0
    listed = [json.loads(line)["id"] for line in out.splitlines()]
    assert listed == [r.id for r in RuleSet.default()]


def test_list_with_a_broken_file_exits_1() -> None:
    status, out, err = _run("rules", "list", str(FIXTURES / "broken.toml"))
    assert status == 1 and out == "" and "max_word" in err


def test_verb_is_required() -> None:
    with pytest.raises(SystemExit):
        _run("rules")


def test_easylist_converts_to_a_rule_file_that_checks(tmp_path: Path) -> None:
    source = tmp_path / "list.txt"
    source.write_text("##.ad\nexample.com#@#.ad\n||ads.example^\n", encoding="utf-8")
    target = tmp_path / "list.toml"
    status, _, err = _run("rules", "easylist", str(source), "-o", str(target))
    assert status == 0 and "2 rules, 1 lines skipped" in err
    converted = RuleSet.load(target, include_default=False)
    assert [(r.action, r.match["css"]) for r in converted] == [("drop", ".ad"), ("keep", ".ad")]
    status, out, _ = _run("rules", "check", "--no-default", str(target))
    assert status == 0 and out.strip() == f"ok: {target}: 2 rules"
