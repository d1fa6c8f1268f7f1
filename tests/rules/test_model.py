"""The Rule record and its builder: canonical values, validation messages, TOML round trips."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.rules import MATCHERS, Rule, RuleError, parse_rules
from unboil.rules.loader import dump_rules


def test_builder_equals_toml() -> None:
    built = [
        Rule.drop("short-share", description="Short share bars").where(max_words=8, widget="share"),
        Rule.keep("headings", priority=3).where(tag=["H1", "h2"], position={"max": 0.2}),
        Rule.drop_repeats("copies").where(repeat_of_title=True).on_hosts("www.Example.com"),
    ]
    text = """
[[rule]]
id = "short-share"
description = "Short share bars"
action = "drop"
match = { max_words = 8, widget = "share" }

[[rule]]
id = "headings"
action = "keep"
priority = 3
[rule.match]
tag = ["h1", "h2"]
position = { min = 0.0, max = 0.2 }

[[rule]]
id = "copies"
action = "drop_repeats"
hosts = ["example.com"]
[rule.match]
repeat_of_title = true
"""
    loaded, errors = parse_rules(text, "builder.toml")
    assert errors == []
    assert loaded == built
    assert [r.source for r in loaded] == ["builder.toml"] * 3
    assert [r.position for r in loaded] == [1, 2, 3]


def test_where_adds_and_overrides_matchers() -> None:
    base = Rule.drop("r").where(max_words=8, lexicon="share")
    narrower = base.where(max_words=4, bullet=False)
    assert dict(narrower.match) == {"bullet": False, "lexicon": ("share",), "max_words": 4}
    assert dict(base.match) == {"lexicon": ("share",), "max_words": 8}


def test_match_table_is_read_only_and_pickles() -> None:
    rule = Rule.drop("r").where(max_words=8)
    with pytest.raises(TypeError, match="read-only"):
        rule.match["max_words"] = 100  # type: ignore[index]
    clone = pickle.loads(pickle.dumps(rule))
    assert clone == rule and hash(clone) == hash(rule)


def test_to_dict_rebuilds_an_equal_rule() -> None:
    rule = Rule.keep("k", description="d", priority=-2, hosts=("a.org",), enabled=False).where(
        position="last", css="div.share a", min_content_score=-1.5
    )
    assert Rule(**rule.to_dict()) == rule


BAD_VALUES = [
    ("min_words", "eight"),
    ("max_words", -1),
    ("max_chars", 2.5),
    ("min_chars", True),
    ("max_link_density", 1.5),
    ("min_link_density", "x"),
    ("tag", 5),
    ("tag", []),
    ("position", "middle"),
    ("position", {"min": 0.8, "max": 0.2}),
    ("position", {"from": 0}),
    ("bullet", "yes"),
    ("text_regex", "(a"),
    ("text_regex", 3),
    ("lexicon", [1]),
    ("css", "div["),
    ("css", ""),
    ("class_tokens", {}),
    ("repeat_of_title", 1),
    ("repeated_in_page", "true"),
    ("repeat_first", None),
    ("is_title", 0),
    ("min_title_similarity", 2),
    ("site_frequency", -0.1),
    ("widget", 7),
    ("markup", ""),
    ("min_content_score", "high"),
    ("max_content_score", float("nan")),
    ("in_main", "no"),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_bad_value_names_rule_and_field(name: str, value: object) -> None:
    with pytest.raises(RuleError) as info:
        Rule.drop("the-rule").where(**{name: value})
    error = info.value
    assert error.field == f"match.{name}"
    assert "'the-rule'" in str(error) and f"match.{name}" in str(error)


def test_every_registered_matcher_has_a_bad_value_case() -> None:
    covered = {name for name, _ in BAD_VALUES}
    missing = set(MATCHERS) - covered - {"min_title_containment", "min_widget_score"}
    assert not missing, f"add BAD_VALUES cases for {sorted(missing)}"


def test_unknown_matcher_suggests_close_names() -> None:
    with pytest.raises(RuleError, match=r"unknown matcher \(did you mean 'max_words'"):
        Rule.drop("r").where(max_word=3)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"id": "r", "action": "delete"}, "action"),
        ({"id": "", "action": "drop"}, "id"),
        ({"id": "has space", "action": "drop"}, "id"),
        ({"id": "r", "action": "drop", "priority": "high"}, "priority"),
        ({"id": "r", "action": "drop", "hosts": ["not a host"]}, "hosts"),
        ({"id": "r", "action": "drop", "enabled": "no"}, "enabled"),
    ],
)
def test_bad_rule_fields(kwargs: dict, field: str) -> None:
    with pytest.raises(RuleError) as info:
        Rule(**kwargs)
    assert info.value.field == field


def test_several_problems_are_all_reported() -> None:
    with pytest.raises(RuleError) as info:
        Rule(id="r", action="zap", match={"max_words": "x", "nope": 1})
    fields = sorted(e.field for e in info.value.errors)
    assert fields == ["action", "match.max_words", "match.nope"]
    assert len(str(info.value).splitlines()) == 3


def test_rule_error_pickles() -> None:
    error = RuleError("bad", source="f.toml", rule="'r'", field="match.x")
    clone = pickle.loads(pickle.dumps(error))
    assert str(clone) == str(error) and clone.field == "match.x"


def test_hosts_are_normalised_and_scope_subdomains() -> None:
    rule = Rule.drop("r", hosts=["WWW.Example.COM."]).where(max_words=1)
    assert rule.hosts == ("example.com",)
    assert rule.applies_to("example.com") and rule.applies_to("news.example.com")
    assert not rule.applies_to("notexample.com") and not rule.applies_to("")


_texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    description=_texts,
    pattern_text=_texts,
    names=st.lists(_texts.filter(str.strip), min_size=1, max_size=3),
)
def test_dump_then_parse_round_trips(description: str, pattern_text: str, names: list[str]) -> None:
    import regex

    rule = Rule.drop("r-1", description=description).where(
        text_regex=regex.escape(pattern_text) or "x", class_tokens=names, min_words=2
    )
    loaded, errors = parse_rules(dump_rules([rule], header=description))
    assert errors == [] and loaded == [rule]


def test_pickled_rules_keep_their_provenance() -> None:
    from unboil.rules import RuleOverride

    rule = Rule.drop("r", source="f.toml", position=3).where(css="nav a", position="last")
    clone = pickle.loads(pickle.dumps(rule))
    assert clone == rule and (clone.source, clone.position) == ("f.toml", 3)
    override = RuleOverride("r", False, source="g.toml", position=2)
    again = pickle.loads(pickle.dumps(override))
    assert again == override and again.source == "g.toml"
