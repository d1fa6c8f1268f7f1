"""RuleSet.decide: precedence, drop_repeats, host scope, time limits, CSS, pickling and threads."""

from __future__ import annotations

import gzip
import pickle
import pickletools
import threading
import time
from pathlib import Path

import lxml.html
import pytest

from unboil.document import DROP, KEEP, Block, Document
from unboil.rules import Rule, RuleError, RuleSet

FIXTURES = Path(__file__).parent / "fixtures"


def _doc(*texts: str, url: str = "", signals: list[dict] | None = None) -> Document:
    blocks = [
        Block(index=i, text=t, signals=dict(signals[i]) if signals else {})
        for i, t in enumerate(texts)
    ]
    return Document(blocks=blocks, url=url)


def test_a_block_matching_nothing_is_kept_with_no_rule() -> None:
    rules = RuleSet([Rule.drop("tiny").where(max_words=1)])
    decisions = rules.decide(_doc("two words", "one"))
    assert [(d.action, d.rule, d.matched) for d in decisions] == [
        (KEEP, "", ()),
        (DROP, "tiny", ("tiny",)),
    ]


def test_keep_beats_drop_whatever_the_priority() -> None:
    rules = RuleSet(
        [
            Rule.drop("short", priority=100).where(max_words=5),
            Rule.keep("bylines", priority=-100).where(text_regex="^By "),
        ]
    )
    byline, other = rules.decide(_doc("By Jane Doe", "Share this"))
    assert (byline.action, byline.rule, byline.matched) == (KEEP, "bylines", ("bylines", "short"))
    assert (other.action, other.rule) == (DROP, "short")


def test_priority_then_order_decides_and_matched_follows_evaluation_order() -> None:
    rules = RuleSet(
        [
            Rule.drop("a").where(max_words=5),
            Rule.drop("b", priority=2).where(max_words=5),
            Rule.drop("c").where(max_words=5),
            Rule.drop("d", priority=2).where(max_words=5),
        ]
    )
    (decision,) = rules.decide(_doc("short block"))
    assert decision.rule == "b"
    assert decision.matched == ("b", "d", "a", "c")
    assert rules.applicable("") == ("b", "d", "a", "c")


GROUPED = [
    {"repeat_group": 0, "repeat_size": 3, "repeat_first": True, "repeat_of_title": True},
    {"repeat_group": -1, "repeat_size": 1, "repeat_first": True},
    {"repeat_group": 0, "repeat_size": 3, "repeat_first": False, "repeat_of_title": True},
    {"repeat_group": 0, "repeat_size": 3, "repeat_first": False, "repeat_of_title": True},
]


def test_drop_repeats_keeps_the_first_and_drops_the_rest() -> None:
    rules = RuleSet([Rule.drop_repeats("copies").where(repeated_in_page=True)])
    doc = _doc("Title", "Body text here", "Title again", "Title", signals=GROUPED)
    decisions = rules.decide(doc)
    assert [d.action for d in decisions] == [KEEP, KEEP, DROP, DROP]
    assert [d.rule for d in decisions] == ["", "", "copies", "copies"]
    assert decisions[0].matched == ("copies",)  # it matched, but a first occurrence is not dropped


def test_drop_repeats_on_a_first_occurrence_lets_the_next_rule_decide() -> None:
    rules = RuleSet(
        [
            Rule.drop_repeats("copies", priority=5).where(repeat_of_title=True),
            Rule.drop("short").where(max_words=1),
        ]
    )
    decisions = rules.decide(_doc("Title", "Body text here", "Title", "Title", signals=GROUPED))
    assert [(d.action, d.rule) for d in decisions] == [
        (DROP, "short"),
        (KEEP, ""),
        (DROP, "copies"),
        (DROP, "copies"),
    ]
    assert decisions[0].matched == ("copies", "short")


def test_drop_repeats_needs_the_repeat_signals() -> None:
    rules = RuleSet([Rule.drop_repeats("copies").where(max_words=3)])
    decisions = rules.decide(_doc("Title", "Title"))  # no detector ran: no groups known
    assert [d.action for d in decisions] == [KEEP, KEEP]


@pytest.mark.parametrize(
    ("url", "applies"),
    [
        ("https://example.com/a", True),
        ("https://www.example.com/a", True),
        ("http://news.example.com/", True),
        ("https://notexample.com/", False),
        ("https://example.org/", False),
        ("", False),
    ],
)
def test_host_scope(url: str, applies: bool) -> None:
    rules = RuleSet.load(FIXTURES / "site.toml", include_default=False)
    doc = _doc("Intro paragraph of the page", "Body", "All rights reserved 2026", url=url)
    decisions = rules.decide(doc)
    assert (decisions[2].rule == "example-footer") is applies
    assert ("example-footer" in rules.applicable(doc.host)) is applies


def test_disabled_rules_do_not_match() -> None:
    rules = RuleSet([Rule.drop("tiny").where(max_words=1)]).disable("tiny")
    assert rules.decide(_doc("one"))[0].matched == ()
    with pytest.raises(RuleError, match="did you mean 'tiny'"):
        rules.disable("tiney")


def test_empty_match_is_refused_for_python_rules_too() -> None:
    with pytest.raises(RuleError, match="match: empty"):
        RuleSet([Rule.drop("everything")])


def test_catastrophic_regex_times_out_as_no_match(caplog: pytest.LogCaptureFixture) -> None:
    rules = RuleSet(
        [
            Rule.drop("evil").where(text_regex=r"(a+)+$"),
            Rule.drop("b-end").where(text_regex=r"b\Z"),
        ],
        regex_timeout=0.2,
    )
    doc = _doc("a" * 5000 + "!", "ab")
    started = time.perf_counter()
    decisions = rules.decide(doc)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert decisions[0].action == KEEP and decisions[0].matched == ()
    assert decisions[1].rule == "b-end"
    assert "evil" in caplog.text and "timed out" in caplog.text


PAGE = """<html><head><title>T</title></head><body>
<nav class="menu"><p>Home</p><p>World</p></nav>
<article id="story"><h1>Headline</h1><p>First paragraph.</p>
<div class="share-bar social"><p>Share on Facebook</p></div><p>Second paragraph.</p></article>
<footer><div><p class="small">Copyright</p></div></footer></body></html>"""


def _html_doc(html: str, url: str = "https://example.com/x") -> Document:
    root = lxml.html.fromstring(html)
    elements = [e for e in root.iter("p", "h1")]
    blocks = [
        Block(index=i, text=e.text_content().strip(), tag=e.tag, element=e)
        for i, e in enumerate(elements)
    ]
    return Document(blocks=blocks, url=url, root=root)


def test_css_matches_the_element_or_an_ancestor() -> None:
    rules = RuleSet(
        [
            Rule.drop("chrome").where(css="nav, footer"),
            Rule.drop("share").where(css="article div.share-bar"),
            Rule.keep("lead").where(css="#story > p:first-of-type"),
        ]
    )
    doc = _html_doc(PAGE)
    decided = {b.text: d.rule for b, d in zip(doc.blocks, rules.decide(doc), strict=True)}
    assert decided == {
        "Home": "chrome",
        "World": "chrome",
        "Headline": "",
        "First paragraph.": "lead",
        "Share on Facebook": "share",
        "Second paragraph.": "",
        "Copyright": "chrome",
    }


def test_css_never_matches_text_blocks() -> None:
    rules = RuleSet([Rule.drop("any").where(css="*")])
    assert rules.decide(_doc("plain text"))[0].matched == ()


def test_css_on_a_real_page_agrees_with_walking_the_tree(shared_fixtures: Path) -> None:
    page = sorted((shared_fixtures / "aeb" / "html").glob("*.html.gz"))[0]
    root = lxml.html.fromstring(gzip.decompress(page.read_bytes()))
    elements = [e for e in root.iter("p", "li", "h2", "h3") if (e.text_content() or "").strip()]
    assert elements, f"no text blocks in {page}"
    blocks = [
        Block(index=i, text=e.text_content().strip(), tag=e.tag, element=e)
        for i, e in enumerate(elements)
    ]
    doc = Document(blocks=blocks, root=root)
    rules = RuleSet([Rule.drop("chrome").where(css="nav, footer, header, aside")])
    got = [d.dropped for d in rules.decide(doc)]
    chrome = {"nav", "footer", "header", "aside"}
    want = [any(a.tag in chrome for a in (e, *e.iterancestors())) for e in elements]
    assert got == want


def test_class_tokens_matcher_on_html_blocks() -> None:
    rules = RuleSet([Rule.drop("social").where(class_tokens=["social", "sharing"])])
    blocks = [
        Block(0, "Share", class_tokens=("share-bar", "social")),
        Block(1, "Text", class_tokens=("story",)),
    ]
    assert [d.rule for d in rules.decide(Document(blocks))] == ["social", ""]


def _mixed_rules() -> RuleSet:
    return RuleSet.load(FIXTURES / "site.toml", include_default=False).extend(
        [
            Rule.drop("chrome").where(css="nav, footer"),
            Rule.drop("long-regex").where(text_regex=r"(?i)\bparagraph\b"),
        ]
    )


def test_pickle_round_trip_decides_the_same_and_leaves_compiled_state_behind() -> None:
    rules = _mixed_rules()
    doc = _html_doc(PAGE)
    before = rules.decide(doc)  # builds the compiled plan (XPath cannot be pickled)
    blob = pickle.dumps(rules)
    clone = pickle.loads(blob)
    assert clone == rules and clone.hash == rules.hash
    assert clone.decide(_html_doc(PAGE)) == before
    strings = [arg for op, arg, _ in pickletools.genops(blob) if isinstance(arg, str)]
    modules = {arg for arg in strings if arg.split(".")[0] in ("lxml", "regex", "cssselect")}
    assert modules == set()  # no compiled regex, XPath or lxml object travels in the pickle


def test_threads_deciding_concurrently_agree() -> None:
    rules = _mixed_rules()
    texts = [f"Block {i} " + "word " * (i % 15) for i in range(200)]
    signals = [
        {
            "widget": "share" if i % 7 == 0 else "",
            "repeat_group": i % 5,
            "repeat_size": 2,
            "repeat_first": i < 5,
            "repeat_of_title": i % 5 == 0,
        }
        for i in range(200)
    ]
    expected = rules.decide(_doc(*texts, url="https://example.com/", signals=signals))
    results: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def work() -> None:
        start.wait()
        for _ in range(5):
            got = rules.decide(_doc(*texts, url="https://example.com/", signals=signals))
            html = rules.decide(_html_doc(PAGE))
            with lock:
                results.append((got, html))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 30
    reference_html = rules.decide(_html_doc(PAGE))
    assert all(got == expected and html == reference_html for got, html in results)
    assert any(d.dropped for d in expected) and any(not d.dropped for d in expected)


def test_hash_is_stable_and_tracks_what_decides() -> None:
    one = RuleSet([Rule.drop("a").where(max_words=3)])
    same = RuleSet.from_toml(
        '[[rule]]\nid = "a"\naction = "drop"\nmatch = {max_words = 3}\n', source="other.toml"
    )
    assert one.hash == same.hash and len(one.hash) == 16
    assert RuleSet([Rule.drop("a").where(max_words=4)]).hash != one.hash
    assert RuleSet([Rule.keep("a").where(max_words=3)]).hash != one.hash


def test_regex_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="regex_timeout"):
        RuleSet([Rule.drop("a").where(max_words=3)], regex_timeout=0)
