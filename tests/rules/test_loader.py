"""Loading rule files: each mistake is named by file, rule and field; files merge in order."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.rules import RuleError, RuleOverride, RuleSet, parse_rules, read_rules

FIXTURES = Path(__file__).parent / "fixtures"


def _write(tmp_path: Path, text: str, name: str = "user.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _only_error(tmp_path: Path, text: str) -> RuleError:
    path = _write(tmp_path, text)
    with pytest.raises(RuleError) as info:
        RuleSet.load(path, include_default=False)
    errors = info.value.errors
    assert len(errors) == 1, str(info.value)
    assert errors[0].source == str(path) and str(path) in str(errors[0])
    return errors[0]


RULE = '[[rule]]\nid = "{id}"\naction = "{action}"\n[rule.match]\n{match}\n'


@pytest.mark.parametrize(
    ("match", "field", "words"),
    [
        ("max_word = 3", "match.max_word", ["unknown matcher", "max_words"]),
        ('max_words = "three"', "match.max_words", ["whole number", "str"]),
        ('text_regex = "(a|b"', "match.text_regex", ["bad regular expression"]),
        ('css = "div > > p"', "match.css", ["bad CSS selector"]),
        ('tag = ["p", 3]', "match.tag", ["strings"]),
    ],
)
def test_match_errors_name_file_rule_and_field(
    tmp_path: Path, match: str, field: str, words: list[str]
) -> None:
    error = _only_error(tmp_path, RULE.format(id="my-rule", action="drop", match=match))
    assert error.field == field
    assert "'my-rule'" in error.rule
    for word in words:
        assert word in error.reason


def test_unknown_action(tmp_path: Path) -> None:
    error = _only_error(tmp_path, RULE.format(id="r", action="remove", match="max_words = 3"))
    assert error.field == "action" and "remove" in error.reason and "drop" in error.reason


def test_missing_id_is_named_by_position(tmp_path: Path) -> None:
    text = (
        RULE.format(id="first", action="drop", match="max_words = 3")
        + '[[rule]]\naction = "drop"\n[rule.match]\nmax_words = 3\n'
    )
    error = _only_error(tmp_path, text)
    assert error.field == "id" and error.reason == "missing" and "#2" in error.rule


def test_duplicate_id_within_a_file(tmp_path: Path) -> None:
    text = RULE.format(id="twice", action="drop", match="max_words = 3") * 2
    error = _only_error(tmp_path, text)
    assert error.field == "id" and "#1" in error.reason and "#2" in error.rule


def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    error = _only_error(tmp_path, '[[rule]]\nid = "a"\naction = drop\n')
    assert error.field == "line 3" and "bad TOML" in error.reason


@pytest.mark.parametrize(
    ("text", "field", "hint"),
    [
        ('[rule]\nid = "a"\n', "rule", "[[rule]]"),
        ("rules = []\n", "rules", "'rule'"),
        ("version = 7\n", "version", "unsupported"),
        (
            '[[rule]]\nid = "a"\naction = "drop"\n[rule.matches]\nmax_words = 2\n',
            "matches",
            "'match'",
        ),
        ('[[rule]]\nid = "a"\naction = "drop"\nmax_words = 2\n', "max_words", "[rule.match]"),
        ('[[rule]]\nid = "a"\naction = "drop"\n', "match", "missing"),
        ('[[rule]]\nid = "a"\naction = "drop"\n[rule.match]\n', "match", "empty"),
    ],
)
def test_structure_errors(tmp_path: Path, text: str, field: str, hint: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RuleError) as info:
        RuleSet.load(path, include_default=False)
    hits = [e for e in info.value.errors if e.field == field]
    assert hits, str(info.value)
    assert hint in str(hits[0]) and str(path) in str(hits[0])


def test_all_problems_of_a_file_are_listed() -> None:
    items, errors = read_rules(FIXTURES / "broken.toml")
    assert items == []
    assert [(e.rule.split()[0], e.field) for e in errors] == [
        ("'typo'", "match.max_word"),
        ("'bad-regex'", "match.text_regex"),
        ("'bad-action'", "action"),
    ]


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert "cannot read" in str(read_rules(missing)[1][0])
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"# caf\xe9\n")
    assert "not UTF-8" in str(read_rules(latin)[1][0])


def test_files_merge_in_order_with_replace_and_toggle() -> None:
    base = RuleSet.load(FIXTURES / "site.toml", include_default=False)
    both = RuleSet.load(FIXTURES / "site.toml", FIXTURES / "override.toml", include_default=False)
    assert [r.id for r in both] == [r.id for r in base] + ["newsletter"]
    replaced = both.get("short-share")
    assert replaced is not None and replaced.source.endswith("override.toml")
    assert replaced.match["max_words"] == 12
    headings = both.get("keep-headings")
    assert headings is not None and not headings.enabled and headings.source.endswith("site.toml")
    assert both.hash != base.hash


def test_reusing_an_id_without_replace_names_both_files(tmp_path: Path) -> None:
    clash = _write(tmp_path, RULE.format(id="short-share", action="keep", match="max_words = 1"))
    with pytest.raises(RuleError) as info:
        RuleSet.load(FIXTURES / "site.toml", clash, include_default=False)
    message = str(info.value)
    assert "site.toml" in message and str(clash) in message and "replace = true" in message


def test_full_rule_with_replace_can_disable(tmp_path: Path) -> None:
    off = _write(
        tmp_path,
        '[[rule]]\nid = "short-share"\nreplace = true\nenabled = false\naction = "drop"\n'
        "[rule.match]\nmax_words = 8\n",
    )
    rules = RuleSet.load(FIXTURES / "site.toml", off, include_default=False)
    rule = rules.get("short-share")
    assert rule is not None and not rule.enabled


def test_toggle_of_unknown_id_is_logged_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    toggle = _write(tmp_path, '[[rule]]\nid = "no-such-rule"\nenabled = false\n')
    with caplog.at_level(logging.WARNING, logger="unboil.rules.loader"):
        rules = RuleSet.load(FIXTURES / "site.toml", toggle, include_default=False)
    assert "no-such-rule" in caplog.text
    assert "no-such-rule" not in rules


def test_short_form_parses_as_override() -> None:
    items, errors = parse_rules('[[rule]]\nid = "x"\nenabled = false\n', "o.toml")
    assert errors == [] and items == [RuleOverride("x", False)]


def test_default_rules_load_and_user_files_stack_on_top() -> None:
    default = RuleSet.default()
    assert len(default) > 0 and all(r.source.endswith("default.toml") for r in default)
    stacked = RuleSet.load(FIXTURES / "site.toml")
    assert [r.id for r in stacked][: len(default)] == [r.id for r in default]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_parsing_any_text_reports_instead_of_crashing(text: str) -> None:
    items, errors = parse_rules(text, "fuzz.toml")
    assert all(e.source == "fuzz.toml" for e in errors)
    assert items == [] or isinstance(items, list)


_scalars = st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


@settings(max_examples=100, deadline=None)
@given(
    value=_values,
    name=st.sampled_from(
        [
            "tag",
            "position",
            "widget",
            "css",
            "max_words",
            "text_regex",
            "min_link_density",
            "in_main",
        ]
    ),
)
def test_any_match_value_is_accepted_or_named(value: object, name: str) -> None:
    import json

    text = f'[[rule]]\nid = "r"\naction = "drop"\n[rule.match]\n{name} = {json.dumps(value)}\n'
    items, errors = parse_rules(text, "v.toml")
    assert len(items) + len(errors) == 1
    assert all(e.field in (f"match.{name}", "line 5") for e in errors)
