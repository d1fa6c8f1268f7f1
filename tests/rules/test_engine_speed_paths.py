"""RuleSet.decide's fast paths (page-at-once selectors, compiled kernel, regex prefilters) give
exactly the decisions of the straightforward rule-by-rule, block-by-block reference."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unboil.cleaner import default_cleaner
from unboil.document import Block, Document
from unboil.rules import Rule, RuleSet, columns, engine
from unboil.rules.prefilter import compile_prefilter, prefix_pattern

AEB = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aeb" / "html"
KERNEL = engine._KERNEL


def _fresh(rules: RuleSet) -> RuleSet:
    """A copy whose plan is compiled anew (plans are cached per rule set and thread)."""
    return rules.extend()


def _every_path(rules: RuleSet, doc: Document) -> None:
    """The reference, the pure-Python page-at-once path and the compiled path all agree."""
    expected = rules._decide_reference(doc)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "_KERNEL", None)
        mp.setattr(columns, "_FAST", columns._PURE)
        assert _fresh(rules).decide(doc) == expected
    assert _fresh(rules).decide(doc) == expected
    assert rules.decide(doc) == expected


def test_real_pages_decide_as_the_reference() -> None:
    from unboil.detect.content import annotate_content
    from unboil.detect.density import annotate_density
    from unboil.detect.repeats import annotate_repeats
    from unboil.detect.widgets import annotate_widgets
    from unboil.segment.html import segment_html

    paths = sorted(AEB.glob("*.html.gz"))[:40]
    if not paths:
        pytest.skip("AEB pages not available")
    cleaner = default_cleaner()
    extra = RuleSet(
        [
            Rule.drop("short-links").where(max_words=6, min_link_density=0.5),
            Rule.keep("headings").where(tag=["h1", "h2"], max_words=20),
            Rule.drop("nav-class").where(class_tokens=["nav", "menu"]),
            Rule.drop("css-footer").where(css="footer, .footer"),
            Rule.drop_repeats("repeats").where(repeated_in_page=True),
            Rule.drop("first").where(position="first", max_chars=40),
            Rule.drop("bylines", priority=3).where(text_regex=r"(?i)^\s*by\s+\w+"),
        ]
    )
    both = cleaner.rules.extend(extra)
    for path in paths:
        doc = segment_html(gzip.decompress(path.read_bytes()), "https://www.example.com/a")
        annotate_density(doc)
        annotate_widgets(doc, cleaner.lexicon)
        annotate_repeats(doc, cleaner.config.repeats)
        annotate_content(doc)
        _every_path(cleaner.rules, doc)
        _every_path(both, doc)


# ---------------------------------------------------------------- generated signals and rules

SIGNAL_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 30),
    st.floats(-1, 2, allow_nan=False),
    st.sampled_from(["", "share", "nav", "cookie", "x"]),
    st.lists(st.sampled_from(["share", "nav", "cookie", "menu", "ads"]), max_size=3).map(tuple),
    st.lists(st.sampled_from(["share", "nav"]), max_size=2),
)
SIGNAL_NAMES = [
    "words", "in_main", "markup", "lexicon_hits", "widget", "widget_score", "content_score",
    "repeat_of_title", "repeat_first", "is_title", "repeat_size", "repeat_group",
    "title_similarity", "title_containment", "site_frequency", "position", "chars",
]
TEXTS = ["Share", "Published 3 May 2020", "Tags: a, b", "5 min read", "Reading time: 2",
         "Home", "A longer paragraph of several words that goes on.", "", "By Jane Doe", "x" * 30]
CATEGORIES = ["share", "nav", "cookie", "menu", "ads", "social"]
MATCHER_VALUES = {
    "min_words": st.integers(0, 12),
    "max_words": st.integers(0, 12),
    "min_chars": st.integers(0, 40),
    "max_chars": st.integers(0, 40),
    "in_main": st.booleans(),
    "is_title": st.booleans(),
    "repeat_first": st.booleans(),
    "repeat_of_title": st.booleans(),
    "repeated_in_page": st.booleans(),
    "markup": st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3),
    "lexicon": st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2),
    "widget": st.one_of(st.booleans(), st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2)),
    "min_widget_score": st.floats(0, 1),
    "min_content_score": st.floats(-1, 2, allow_nan=False),
    "max_content_score": st.floats(-1, 2, allow_nan=False),
    "site_frequency": st.floats(0, 1),
    "min_title_similarity": st.floats(0, 1),
    "min_title_containment": st.floats(0, 1),
    "min_link_density": st.floats(0, 1),
    "max_link_density": st.floats(0, 1),
    "tag": st.lists(st.sampled_from(["p", "h1", "li"]), min_size=1, max_size=2),
    "bullet": st.booleans(),
    "position": st.sampled_from(["first", "last", {"min": 0.0, "max": 0.5}]),
    "text_regex": st.sampled_from([r"(?i)^\W*(published|updated)\b", r"^Share$", r"\d+\s*min",
                                   r"(?i)^(tags|topics)\s*:", r"o", r"^(By|Von) "]),
}


@st.composite
def _rule(draw: st.DrawFn, i: int) -> Rule:
    names = draw(st.lists(st.sampled_from(sorted(MATCHER_VALUES)), min_size=1, max_size=3, unique=True))
    match = {name: draw(MATCHER_VALUES[name]) for name in names}
    action = draw(st.sampled_from(["drop", "keep", "drop_repeats"]))
    return Rule(id=f"r{i}", action=action, match=match, priority=draw(st.integers(-1, 1)),
                enabled=draw(st.booleans()) or i == 0)


@st.composite
def _case(draw: st.DrawFn) -> tuple[RuleSet, Document]:
    rules = [draw(_rule(i)) for i in range(draw(st.integers(1, 6)))]
    blocks = []
    for i in range(draw(st.integers(1, 12))):
        names = draw(st.lists(st.sampled_from(SIGNAL_NAMES), max_size=8, unique=True))
        signals = {name: draw(SIGNAL_VALUES) for name in names}
        blocks.append(
            Block(
                index=i,
                text=draw(st.sampled_from(TEXTS)),
                tag=draw(st.sampled_from(["p", "H1", "li"])),
                bullet=draw(st.sampled_from(["", "•"])),
                link_density=draw(st.floats(0, 1)),
                signals=signals,
            )
        )
    return RuleSet(rules), Document(blocks=blocks)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_case())
def test_generated_signals_and_rules_decide_as_the_reference(case: tuple[RuleSet, Document]) -> None:
    rules, doc = case
    try:
        expected = rules._decide_reference(doc)
    except TypeError:  # odd signal types can break a predicate; then every path must break too
        with pytest.raises(TypeError):
            rules.decide(doc)
        return
    _every_path(rules, doc)
    assert len(expected) == len(doc.blocks)


def test_scoped_rules_and_disabled_defaults_decide_as_the_reference() -> None:
    rules = RuleSet.default().disable("outside-main").extend(
        [Rule.drop("here").where(max_words=3).on_hosts("example.com")]
    )
    blocks = [Block(index=i, text=t, signals={"words": len(t.split()), "in_main": i % 2 == 0,
                                              "markup": ("nav",) if i % 3 else ()})
              for i, t in enumerate(TEXTS)]
    for url in ("https://example.com/x", "https://news.example.com/y", "https://other.org/"):
        _every_path(rules, Document(blocks=blocks, url=url))


@pytest.mark.skipif(KERNEL is None, reason="rules._engine is not compiled here")
def test_compiled_decisions_are_real_decisions() -> None:
    (decision,) = RuleSet([Rule.drop("a").where(max_words=5)]).decide(Document(blocks=[Block(0, "hi")]))
    assert type(decision).__name__ == "Decision" and decision.dropped
    with pytest.raises(AttributeError):
        decision.action = "keep"  # type: ignore[misc]


# ---------------------------------------------------------------- regex prefilters


ATOMS = ["a", "b", "ab", r"\d", r"\w", r"\W", r"\s", "[ab]", "[^a]", ".", r"\.", " ", "é", "и"]
QUANTS = ["", "", "", "*", "+", "?", "{2}", "{0,3}", "{1,}"]


@st.composite
def _pattern(draw: st.DrawFn, depth: int = 0) -> str:
    items = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 9 if depth < 2 else 6))
        if kind <= 5:
            item = draw(st.sampled_from(ATOMS)) + draw(st.sampled_from(QUANTS))
        elif kind == 6:
            item = draw(st.sampled_from(["^", "$", r"\b", r"\A"]))
        else:
            alternatives = [draw(_pattern(depth + 1)) for _ in range(draw(st.integers(1, 3)))]
            opener = draw(st.sampled_from(["(", "(?:", "(?=", "(?>"]))
            item = opener + "|".join(alternatives) + ")" + draw(st.sampled_from(QUANTS))
        items.append(item)
    body = "".join(items)
    if depth == 0 and draw(st.booleans()):
        body += "|" + draw(_pattern(1))
    return body


@settings(max_examples=400, deadline=None)
@given(
    pattern=_pattern(),
    flags=st.sampled_from(["", "(?i)", "(?s)"]),
    texts=st.lists(st.text(alphabet="abAB1 .\néиИ_", max_size=12), min_size=1, max_size=12),
)
def test_a_prefilter_never_rejects_a_text_the_pattern_matches(pattern, flags, texts) -> None:
    source = flags + pattern
    try:
        full = regex.compile(source)
    except regex.error:
        return
    quick = compile_prefilter(full)
    if quick is None:
        return
    for text in texts:
        if full.search(text) is not None:
            assert quick.search(text) is not None, (source, prefix_pattern(source), text)


def test_default_rules_have_prefilters_that_reject_prose() -> None:
    for rule in RuleSet.default():
        if "text_regex" in rule.match:
            quick = compile_prefilter(regex.compile(rule.match["text_regex"]))
            assert quick is not None, rule.id
            assert quick.search("A paragraph about something else.") is None


def test_prefilters_keep_every_match_of_the_default_patterns() -> None:
    rng = random.Random(3)
    samples = ["Published 3 May 2020", "UPDATED: Tue., Nov. 19", "5 min read", "Reading time: 4 min",
               "Tags: politics", "Filed under: News", "Estimated reading time 3", "Время чтения 2",
               "12 minutes read", "Topics", "— posted on 1 Jan", "tagged with x"]
    words = ["published", "read", "min", "tags", "5", ":", "on", "the", "time", "reading", "-"]
    samples += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    for rule in RuleSet.default():
        if "text_regex" in rule.match:
            full = regex.compile(rule.match["text_regex"])
            quick = compile_prefilter(full)
            for text in samples:
                if full.search(text) is not None:
                    assert quick.search(text) is not None, (rule.id, text)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"(?x) a b", None),  # verbose mode: spaces are not literal
        (r"(?m)^a", None),  # flags outside the small set
        (r"a(?i)b", None),  # inline flags after the start apply to the whole pattern
        (r"(?P<n>a)b", None),
        (r"(?#c)a", None),
        (r"[[:alpha:]]x", None),
        (r"a{e<=1}", None),  # fuzzy matching
        (r"^\W*", None),  # matches everything: no use
        (r"(a)b\1", "(?:a)b"),  # stops before a back reference
        (r"(a+)+b", "(?:a)"),
        (r"^(a|b)?c", "^(?:(?:a|b)|c)"),
        (r"x(?=y)z", "x"),
    ],
)
def test_prefixes_stop_where_unsure(source: str, expected: str | None) -> None:
    assert prefix_pattern(source) == expected
