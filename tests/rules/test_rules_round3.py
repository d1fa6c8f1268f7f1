"""Round-3 speed paths of the rule engine: each compiled piece answers exactly as its pure-Python
twin and as the plain Python objects it stands for."""

from __future__ import annotations

import gc
import gzip
import sys
from abc import ABC, abstractmethod
from pathlib import Path

import pytest

from unboil.document import Block, Decision
from unboil.rules import RuleSet, columns, engine

KERNEL = engine._KERNEL
needs_kernel = pytest.mark.skipif(KERNEL is None, reason="compiled kernel not built")


@needs_kernel
def test_assembled_decisions_are_ordinary_objects() -> None:
    blocks = [Block(i, "x") for i in range(4)]
    out = KERNEL.assemble(blocks, [[1, 3], None], ["a", "b"], [1, 0], Decision, "keep", "drop")
    plain = [Decision(0, "keep", "b", ("b",)), Decision(1, "drop", "a", ("a", "b")),
             Decision(2, "keep", "b", ("b",)), Decision(3, "drop", "a", ("a", "b"))]
    assert out == plain
    for made, expected in zip(out, plain):
        assert type(made) is Decision
        assert gc.is_tracked(made) == gc.is_tracked(expected)
        assert sys.getrefcount(made) == sys.getrefcount(expected)
        assert hash(made) == hash(expected)
    del out
    gc.collect()


@needs_kernel
def test_assemble_refuses_an_abstract_decision_class_like_object_new() -> None:
    class Abstract(ABC):
        __slots__ = ("index", "action", "rule", "matched")

        @abstractmethod
        def why(self) -> str: ...

    with pytest.raises(TypeError):
        Abstract()
    with pytest.raises(TypeError):
        KERNEL.assemble([Block(0, "x")], [[0]], ["r"], [1], Abstract, "keep", "drop")


AEB = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aeb" / "html"


def _page_texts(limit: int) -> list[str]:
    from unboil.segment.html import segment_html

    texts: list[str] = []
    for path in sorted(AEB.glob("*.html.gz"))[:limit]:
        texts.extend(b.text for b in segment_html(gzip.decompress(path.read_bytes()), "").blocks)
    return texts


@needs_kernel
def test_the_compiled_lead_filter_answers_as_the_python_one_on_real_texts() -> None:
    texts = _page_texts(25)
    if not texts:
        pytest.skip("AEB pages not available")
    texts += ["", " ", "1", "— 5 min read", "«Tags»", "Über", "Время чтения 3", "\u212a", "e\u0301"]
    leads = {id(c.lead): c.lead for c in _default_regex_checks() if c.lead is not None}
    leads.update({id(c.own_lead): c.own_lead for c in _default_regex_checks() if c.own_lead})
    assert len(leads) >= 2
    for lead in leads.values():
        twin = KERNEL.Lead(lead)
        for text in texts:
            assert twin.may_match(text) == lead.may_match(text), text


def _default_regex_checks() -> list[columns.RegexCheck]:
    plan = RuleSet.default()._plan()
    return [v for rule in plan.unscoped for _, v, _ in rule.selects if isinstance(v, columns.RegexCheck)]


def test_css_checks_are_memoised_and_failures_raised_every_time() -> None:
    from unboil.rules.matchers import MATCHERS, InvalidValue, _compile_selector

    css = MATCHERS["css"]
    for _ in range(2):
        assert css.validate(" div.ad > a ") == "div.ad > a"
        with pytest.raises(InvalidValue, match="bad CSS selector"):
            css.validate("div[")
        with pytest.raises(InvalidValue, match="bad CSS selector"):
            css.validate("a:has-text(x)")
    first, second = _compile_selector("div.ad"), _compile_selector("div.ad")
    assert first is not second  # compiled objects are never shared (plans are per thread)
    assert first.path == second.path


def test_a_css_selector_compiles_on_first_use_and_selects_as_xpath() -> None:
    from lxml import etree, html

    from unboil.rules.matchers import _compile_selector, _selector_xpath

    root = html.fromstring("<div><p class='ad x'>a</p><p class='adx'>b</p><div class=' ad'>c</div></div>")
    lazy = _compile_selector("div > .ad, p.x")
    assert lazy._compiled is None
    assert lazy(root) == etree.XPath(_selector_xpath("div > .ad, p.x"))(root)
    compiled = lazy._compiled
    assert [e.text for e in lazy(root)] == ["a", "c"] and lazy._compiled is compiled


def test_fallback_selectors_are_shared_per_predicate_and_answer_as_the_predicate() -> None:
    from unboil.document import Document
    from unboil.rules.matchers import MATCHERS

    predicate = MATCHERS["position"].predicate
    assert columns._fallback(predicate) is columns._fallback(predicate)
    doc = Document(blocks=[Block(i, "x") for i in range(5)])
    page = columns.Page(doc.blocks, engine.MatchContext(doc, 1.0))
    select = columns._fallback(predicate)
    assert select("last", None, page) == [4]
    assert select((0.2, 0.6), [0, 1, 2, 3], page) == [1, 2]


def test_easylist_import_gives_the_same_rules_and_skips_twice() -> None:
    from unboil.rules.easylist import parse_easylist

    text = "\n".join(["##.ad-box", "example.com##div[id^='ad']", "a.org#@#.keep", "##div[",
                      "x.com##.a:-abp-has(.b)", "||ads.example^", "##.ad-box", "b.net##a[href*=x"])
    once = parse_easylist(text)
    assert parse_easylist(text) == once
    assert [r.match["css"] for r in once[0]] == [".ad-box", "div[id^='ad']", ".keep"]
    assert [s.line_number for s in once[1]] == [4, 5, 6, 8]


@needs_kernel
def test_slot_reads_fall_back_to_getattr_for_other_block_classes() -> None:
    from unboil.document import Document
    from unboil.rules import Rule

    class Shouting(Block):
        __slots__ = ()

        @property  # type: ignore[override]
        def text(self) -> str:
            return "TAGS: loud"

        @text.setter
        def text(self, value: str) -> None:
            pass

    class Renumbered(Block):
        __slots__ = ()

        def __getattribute__(self, name: str) -> object:
            return 100 if name == "index" else object.__getattribute__(self, name)

    rules = RuleSet([Rule.drop("tags").where(text_regex=r"(?i)^\W*tags\b", max_words=5),
                     Rule.drop("short").where(max_words=1)])
    for blocks in (
        [Block(0, "Tags: a"), Shouting(1, "quiet words here"), Block(2, "x"), Renumbered(3, "y")],
        [Shouting(0, "quiet"), Block(1, "Tags: a"), Renumbered(2, "Tags")],
        [Renumbered(0, "Tags: b"), Block(1, "z")],
    ):
        doc = Document(blocks=blocks)
        expected = rules._decide_reference(doc)
        assert rules.extend().decide(doc) == expected
        assert [d.index for d in expected] == [getattr(b, "index") for b in blocks]
