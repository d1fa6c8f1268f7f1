"""Round-2 speed paths of the rule engine: the lead filter in front of the regex prefilters never
rules out a text its pattern matches, and its compiled twin answers exactly as the Python one."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.rules import Rule, RuleSet, columns, engine
from unboil.rules.prefilter import (
    LeadFilter,
    compile_prefilter,
    lead_filter,
    lead_heads,
    prefilter_parts,
)

KERNEL = engine._KERNEL

WORDS = ["ab", "a", "b", "k", "s", "é", "и", "tags", "read", r"\d", "a b", "x:"]
QUANTS = ["", "", "?", "*", "+", "{2}"]
ALPHABET = "abkKsSAB1 .:-\n_éÉиИ\u212a\u017f\u00b7“”—"


@st.composite
def _lead_pattern(draw: st.DrawFn) -> str:
    """A pattern whose branches read ``^\\W*`` then literals, groups of them, or anything."""
    branches = []
    for _ in range(draw(st.integers(1, 3))):
        words = [draw(st.sampled_from(WORDS)) + draw(st.sampled_from(QUANTS))
                 for _ in range(draw(st.integers(1, 3)))]
        body = draw(st.sampled_from(["(?:{})", "({})", "{}"])).format("|".join(words))
        tail = draw(st.sampled_from(["", r"\b", r"\s*:", "$", r"\d+", " x"]))
        lead = draw(st.sampled_from([r"^\W*", r"^\W*", r"^\W*", "^", r"\W*"]))
        branches.append(lead + body + tail)
    return "|".join(branches)


@settings(max_examples=400, deadline=None)
@given(
    pattern=_lead_pattern(),
    flags=st.sampled_from(["", "(?i)", "(?s)", "(?iu)"]),
    texts=st.lists(st.text(alphabet=ALPHABET, max_size=10), min_size=1, max_size=12),
)
def test_a_lead_filter_never_rejects_a_text_the_pattern_matches(pattern, flags, texts) -> None:
    try:
        full = regex.compile(flags + pattern)
    except regex.error:
        return
    candidates = [(full, pattern)]  # the pattern itself, and its prefilter
    parts = prefilter_parts(full)
    if parts is not None:
        candidates.append((compile_prefilter(full), parts[1]))
    for filtered, body in candidates:
        lead = lead_filter(filtered, [body], flags)
        if lead is None:
            continue
        twin = KERNEL.Lead(lead) if KERNEL is not None else None
        for text in texts:
            answer = lead.may_match(text)
            if twin is not None:
                assert twin.may_match(text) == answer, (flags + body, text)
            if filtered.search(text) is not None or full.search(text) is not None:
                assert answer, (flags + body, text)


def test_the_lead_filter_tests_reach_real_filters() -> None:
    built = 0
    for pattern in [r"^\W*(?:ab|k)\b", r"^\W*(tags|read)\s*:|^\W*\d+", r"^\W*a b|^\W*x:"]:
        for flags in ("", "(?i)"):
            built += lead_filter(regex.compile(flags + pattern), [pattern], flags) is not None
    assert built == 6


def test_lead_heads_read_literal_alternatives() -> None:
    assert lead_heads([r"^\W*(?:ab|c)\b"]) == [("a", "b"), ("c",)]
    assert lead_heads([r"^\W*(?:(?:x\s)|(?:yz|y) t)|^\W*\d"]) == [("x",), ("y", "z"), ("y",), (r"\d",)]
    assert lead_heads([r"^\W*ab?c"]) == [("a",)]  # an optional character ends the head
    assert lead_heads([r"^\W*a+b"]) == [("a",)]


@pytest.mark.parametrize(
    "body",
    [r"^\W*(?:ab)?c", r"^\W*(?=a)", r"^\W*\s", r"^a", r"\W*a", r"^\W*(?:a|)", r"^\W*\d?", r"^\W*[ab]",
     r"^\W*a|b"],
)
def test_lead_heads_refuse_what_they_cannot_bound(body: str) -> None:
    assert lead_heads([body]) is None


def test_multiline_or_full_case_patterns_get_no_lead_filter() -> None:
    assert lead_filter(regex.compile(r"(?m)^\W*ab"), [r"^\W*ab"], "(?m)") is None
    assert lead_filter(regex.compile(r"(?if)^\W*ss"), [r"^\W*ss"], "(?if)") is None
    assert lead_filter(regex.compile(r"(?i)^\W*ss", flags=regex.V1), [r"^\W*ss"], "(?i)") is None


def test_lead_filter_judges_case_variants_by_the_engine() -> None:
    lead = LeadFilter("(?i)", [("k", "a")])
    assert lead.may_match("—KA")
    assert lead.may_match("\u212aa")  # the Kelvin sign is a case variant of k under (?i)
    assert not lead.may_match("— ba")
    assert not lead.may_match("x ka")  # a word character before the head: no match at the start
    assert not LeadFilter("", [("k", "a")]).may_match("KA")


def test_default_rules_get_a_lead_filter_on_their_union() -> None:
    plan = RuleSet.default()._plan()
    checks = [v for rule in plan.unscoped for _, v, _ in rule.selects
              if isinstance(v, columns.RegexCheck)]
    assert checks and all(c.lead is not None and c.union is not None for c in checks)
    for text in ["Published 3 May 2020", "5 min read", "— Tags: x", "Время чтения 2", "Теги: а"]:
        assert checks[0].lead.may_match(text)
    assert not checks[0].lead.may_match("Hello world, a paragraph of prose.")


@pytest.mark.skipif(KERNEL is None, reason="compiled kernel not built")
def test_assemble_writes_decision_slots_and_handles_other_classes() -> None:
    from dataclasses import dataclass

    from unboil.document import Block, Decision

    blocks = [Block(0, "x"), Block(1, "y")]
    out = KERNEL.assemble(blocks, [[1]], ["r"], [1], Decision, "keep", "drop")
    assert out == [Decision(0, "keep", "", ()), Decision(1, "drop", "r", ("r",))]

    @dataclass(frozen=True)
    class Plain:  # no slots: set the generic way
        index: int
        action: str
        rule: str = ""
        matched: tuple[str, ...] = ()

    assert KERNEL.assemble(blocks, [None], ["r"], [0], Plain, "keep", "drop") == [
        Plain(0, "keep", "r", ("r",)), Plain(1, "keep", "r", ("r",))]


def test_decide_skips_the_host_unless_a_rule_is_scoped() -> None:
    from unboil.document import Block, Document

    class Watched(Document):
        __slots__ = ()
        reads = 0

        @property
        def host(self) -> str:
            type(self).reads += 1
            return "example.com"

    doc = Watched([Block(0, "one two"), Block(1, "a b c d e f")], url="https://example.com/x")
    plain = RuleSet.from_toml('[[rule]]\nid = "short"\naction = "drop"\n[rule.match]\nmax_words = 2\n')
    assert [d.action for d in plain.decide(doc)] == ["drop", "keep"]
    assert Watched.reads == 0
    scoped = plain.extend([Rule.drop("long").where(min_words=5).on_hosts("example.com")])
    assert [d.action for d in scoped.decide(doc)] == ["drop", "drop"]
    assert Watched.reads == 1


@pytest.mark.skipif(KERNEL is None, reason="compiled kernel not built")
def test_signals_of_reads_slots_of_exact_blocks_and_getattr_otherwise() -> None:
    from unboil.document import Block

    class Odd(Block):
        __slots__ = ()

        @property  # type: ignore[override]
        def signals(self) -> dict:
            return {"odd": True}

        @signals.setter
        def signals(self, value: dict) -> None:
            pass

    blocks = [Block(0, "a"), Odd(1, "b"), Block(2, "c")]
    blocks[0].signals["q"] = 1
    assert KERNEL.signals_of(blocks) == [{"q": 1}, {"odd": True}, {}]
    assert KERNEL.signals_of(blocks)[0] is blocks[0].signals
    assert KERNEL.signals_of([Odd(0, "z"), Block(1, "y")]) == [{"odd": True}, {}]
    assert KERNEL.signals_of([]) == []


@pytest.mark.skipif(KERNEL is None, reason="compiled kernel not built")
def test_signal_columns_read_like_dict_get() -> None:
    signals = [{"a": 1, "b": None}, {}, {"b": (1, 2)}]
    assert KERNEL.signal_columns(signals, ("a", "b", "c")) == [
        [s.get(name) for s in signals] for name in ("a", "b", "c")]
