"""The indexed css path (``unboil.rules.cssindex``) decides exactly as the plain XPath path.

Element level: for generated class/id/attribute values (odd whitespace, case, non-ASCII, empty
attributes) and selectors, the index selects the same elements as cssselect's XPath on the tree
the HTML parser builds. Decision level: a large synthetic EasyList plus rules made from the real
pages' own classes, ids and links decide every block of real AEB and WCXB pages the same way
(decision, deciding rule, matched rules) with and without the index.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from unboil.rules import RuleSet, cssindex
from unboil.rules.cssindex import (
    PageIndex,
    _parse_fast,
    _parse_slow,
    parse_simple,
    select_elements,
)
from unboil.rules.easylist import parse_easylist
from unboil.rules.matchers import InvalidValue, _check_selector, _selector_xpath
from unboil.segment.html import _parser, segment_html

BENCH_DIR = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str, filename: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench = _load("unboil_bench_easylist", "bench_easylist.py")


def _valid(selector: str) -> bool:
    try:
        _check_selector(selector)
    except InvalidValue:
        return False
    return True


def _xpath_elements(selector: str, root: Any) -> set[Any]:
    return set(etree.XPath(_selector_xpath(selector))(root))


def _index_elements(selector: str, root: Any) -> set[Any] | None:
    chains = parse_simple(selector)
    if chains is None:
        return None
    return set(select_elements(chains, PageIndex(root, [])))


# ---------------------------------------------------------------- element level

_VALUE_CHARS = st.sampled_from(
    [
        " ",
        "  ",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "\x0c",
        "\x0b",
        "\xa0",
        "\u2003",
        "\u3000",
        "a",
        "A",
        "b",
        "B",
        "x",
        "é",
        "É",
        "-",
        "_",
        "1",
        "ad",
        "Ad",
        "ad-box",
    ]
)
_NAME_CHARS = st.sampled_from(
    ["a", "A", "b", "x", "é", "-", "_", "1", "ad", "Ad", "\x0c", "\xa0", " "]
)


def _escape(name: str) -> str:
    """A CSS identifier for any name (every character as a hex escape)."""
    return "".join(f"\\{ord(c):x} " for c in name)


def _ident(name: str, raw: bool) -> str:
    return name if raw else _escape(name)


def _html_value(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


@st.composite
def _pages(draw: Any) -> tuple[str, list[str]]:
    values = draw(
        st.lists(
            st.lists(_VALUE_CHARS, max_size=6).map("".join), min_size=1, max_size=6
        )
    )
    parts = []
    for i, value in enumerate(values):
        kind = draw(st.sampled_from(["class", "id", "both", "empty", "bare", "data"]))
        if kind == "class":
            attrs = f'class="{_html_value(value)}"'
        elif kind == "id":
            attrs = f'id="{_html_value(value)}"'
        elif kind == "both":
            attrs = f'class="{_html_value(value)}" id="{_html_value(value)}"'
        elif kind == "empty":
            attrs = 'class=""'
        elif kind == "bare":
            attrs = "class"
        else:
            attrs = f'data-x="{_html_value(value)}"'
        tag = draw(st.sampled_from(["div", "DIV", "span", "p", "section"]))
        inner = "<p>t</p>" if i % 2 else f"<span class='{_html_value(value)}'>t</span>"
        parts.append(f"<{tag} {attrs}>{inner}</{tag}>")
    html = "<html><body>" + "".join(parts) + "</body></html>"
    return html, values


@st.composite
def _selectors(draw: Any, values: list[str]) -> str:
    pool = [t for v in values for t in (v, *v.split())] + ["ad", "a", "A"]
    name = draw(
        st.one_of(
            st.sampled_from(pool),
            st.lists(_NAME_CHARS, min_size=0, max_size=4).map("".join),
        )
    )
    raw = draw(st.booleans())
    ident = _ident(name, raw)
    tag = draw(st.sampled_from(["", "", "div", "DIV", "span", "*", "p"]))
    quoted = (
        '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ") + '"'
    )
    form = draw(st.integers(0, 9))
    if form == 0:
        return f"{tag}.{ident}"
    if form == 1:
        return f"{tag}#{ident}"
    if form == 2:
        op = draw(st.sampled_from(["=", "~=", "|=", "^=", "$=", "*=", ""]))
        attr = draw(st.sampled_from(["class", "id", "data-x", "CLASS"]))
        return f"{tag}[{attr}]" if not op else f"{tag}[{attr}{op}{quoted}]"
    if form == 3:
        return f"{tag}.{ident}.{_ident(draw(st.sampled_from(pool)), raw)}"
    if form == 4:
        return f".{ident} > {tag or '*'}"
    if form == 5:
        return f"body .{ident}"
    if form == 6:
        return f"html > body > {tag or 'div'}.{ident}"
    if form == 7:
        return f".{ident}, #{ident}"
    if form == 8:
        return f"{tag or 'div'} span.{ident}"
    return f"{tag}.{ident}:not(.x)"  # not simple: must be left to XPath


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_index_selects_what_the_xpath_selects(data: Any) -> None:
    html, values = data.draw(_pages())
    root = etree.fromstring(html.encode("utf-8"), _parser())
    for _ in range(6):
        selector = data.draw(_selectors(values))
        if not _valid(selector):
            continue
        found = _index_elements(selector, root)
        if found is None:
            continue  # left to its XPath
        assert found == _xpath_elements(selector, root), (selector, html)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_VALUE_CHARS, max_size=8).map("".join),
    st.lists(_NAME_CHARS, min_size=1, max_size=3).map("".join),
)
def test_class_tokens_follow_normalize_space(value: str, name: str) -> None:
    """Only space, tab, CR and LF separate class tokens; matching is case-sensitive; a class
    name holding a form feed (or any CSS whitespace) never matches, as cssselect writes it."""
    root = etree.Element("html")
    body = etree.SubElement(root, "body")
    for attrs in ({"class": value}, {"class": value.upper()}, {"class": ""}, {}):
        try:
            etree.SubElement(body, "div", attrs)
        except (
            ValueError
        ):  # lxml refuses control characters in values set through the API
            assume(False)
    selector = "." + _escape(name)
    assume(_valid(selector))
    assert _index_elements(selector, root) == _xpath_elements(selector, root)
    expected = (
        name.strip(" \t\r\n\x0c") == name
        and not any(c in name for c in " \t\r\n\x0c")
        and name
        in (value.replace("\t", " ").replace("\n", " ").replace("\r", " ").split(" "))
    )
    assert (body[0] in _xpath_elements(selector, root)) == expected


_IDENT_CHARS = st.sampled_from(
    list("aZ_-0") + [".", "#", " ", ">", "  ", " > ", "*", "é", "\\", "[", ":", ","]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_IDENT_CHARS, min_size=1, max_size=14).map("".join))
def test_the_fast_parser_agrees_with_cssselect(text: str) -> None:
    fast = _parse_fast(text)
    if fast is not None:
        assert fast == _parse_slow(text), text


@pytest.mark.parametrize(
    "selector",
    [
        ".a",
        "#a",
        "div",
        "DIV.a",
        "div#a.b",
        ".a.b",
        "a > b .c",
        ".a  > .b",
        "*.x",
        "#1x",
        ".-a",
    ],
)
def test_the_fast_parser_reads_the_common_forms(selector: str) -> None:
    assert _parse_fast(selector) is not None
    assert _parse_fast(selector) == _parse_slow(selector)


def test_gate_keys_are_necessary() -> None:
    """A selector's gate keys name something every page it selects on holds."""
    assert cssindex.xpath_gate_keys(".a:not(.b)") == [("class", "a")]
    assert cssindex.xpath_gate_keys("div.a + p") == [("class", "a")]
    assert cssindex.xpath_gate_keys(".x ~ div") == [("class", "x")]
    assert (
        cssindex.xpath_gate_keys(".a:is(.b)") is None
    )  # :is() ORs with .a in cssselect
    assert cssindex.xpath_gate_keys("p.c:is(.b)") is None  # so is .c, written before it
    assert cssindex.xpath_gate_keys(".c:is(.b).d") == [
        ("class", "d")
    ]  # .d is ANDed after it
    assert cssindex.xpath_gate_keys("*:first-child") is None
    assert cssindex.gate_keys(parse_simple(".a div") or ()) == [("class", "a")]


# ---------------------------------------------------------------- decision level


def _real_pages(shared: Path) -> list[Any]:
    docs = []
    truth = json.loads((shared / "aeb" / "ground-truth.json").read_text("utf-8"))
    for path in sorted((shared / "aeb" / "html").glob("*.html.gz"))[::9]:
        key = path.name.removesuffix(".html.gz")
        docs.append(segment_html(gzip.decompress(path.read_bytes()), truth[key]["url"]))
    for path in sorted((shared / "wcxb-dev" / "html").glob("*.html.gz"))[::75]:
        meta = json.loads(
            (
                shared
                / "wcxb-dev"
                / "ground-truth"
                / path.name.replace(".html.gz", ".json")
            ).read_text("utf-8")
        )
        docs.append(
            segment_html(gzip.decompress(path.read_bytes()), meta.get("url", ""))
        )
    return docs


def _page_lines(doc: Any, rng: random.Random) -> list[str]:
    """Filter lines built from a page's own markup, so that many of them match something."""
    lines: list[str] = []
    # small elements (ads and widgets are small): selectors for big containers drop whole pages
    elements = [
        el for el in doc.root.iter(etree.Element) if sum(1 for _ in el.iter()) <= 12
    ]
    picks = rng.sample(elements, min(len(elements), 15))
    host = doc.host
    for el in picks:
        tag = el.tag
        classes = (el.get("class") or "").split()
        ident = el.get("id")
        parent = el.getparent()
        broad = tag in (
            "html",
            "body",
            "div",
            "main",
            "article",
            "section",
            "p",
            "span",
            "head",
        )
        forms: list[str] = [] if broad else [tag]
        if classes:
            c = rng.choice(classes)
            forms += [
                f".{c}",
                f"{tag}.{c}",
                f".{c.upper()}",
                f"{tag.upper()}.{c}",
                f'[class~="{c}"]',
            ]
            forms += [
                f'[class^="{c[:3]}"]',
                f'[class*="{c[1:4]}"]',
                f'[class$="{c[-3:]}"]',
            ]
            if len(classes) > 1:
                forms.append("." + ".".join(classes[:2]))
        if ident:
            forms += [
                f"#{ident}",
                f"{tag}#{ident}",
                f'[id="{ident}"]',
                f'[id^="{ident[:4]}"]',
            ]
        if el.get("href"):
            forms.append(f'a[href^="{el.get("href")[:12]}"]')
        if parent is not None and parent.get("class"):
            pc = parent.get("class").split()[0] if parent.get("class").split() else ""
            if pc and sum(1 for _ in parent.iter()) <= 40:
                forms += [
                    f".{pc} > {tag}",
                    f".{pc} {tag}",
                    f"body .{pc}",
                    f"html > .{pc}",
                ]
                forms += [
                    f".{pc} > {tag}:first-child",
                    f".{pc} + {tag}",
                    f".{pc} ~ {tag}",
                ]
        if (
            not broad
        ):  # selectors that drop most of a page would make the check less sharp
            forms += [f"html {tag}", f"body > {tag}"]
        forms.append("[data-ad]")
        for selector in rng.sample(forms, min(len(forms), 3)):
            r = rng.random()
            wide = selector[0] not in ".#" or "*=" in selector or "$=" in selector
            if (
                r < 0.6 and not wide
            ):  # wide selectors (tags, substrings) only for their host
                lines.append("##" + selector)
            elif (r < 0.9 or wide) and host:
                lines.append(f"{host}##{selector}")
            elif host and selector[0] in ".#":  # narrow exceptions only
                lines.append(f"{host}#@#{selector}")
    return lines


def _signature(decisions: list[Any]) -> list[tuple[Any, ...]]:
    return [(d.index, d.action, d.rule, tuple(d.matched)) for d in decisions]


@pytest.fixture(scope="module")
def real_case(shared_fixtures: Path) -> tuple[list[Any], list[Any]]:
    docs = _real_pages(shared_fixtures)
    rng = random.Random(7)
    hosts = sorted({d.host for d in docs if d.host})
    lines = bench.synthetic_list(3000, seed=3, hosts=hosts).splitlines()
    for doc in docs:
        lines += _page_lines(doc, rng)
    rules, _skipped = parse_easylist("\n".join(lines), "equivalence")
    return docs, rules


def test_indexed_decisions_equal_the_plain_xpath_path(
    real_case: Any, monkeypatch: Any
) -> None:
    docs, rules = real_case
    indexed = RuleSet(rules)
    plan = indexed._plan()
    assert plan.gates is not None and any(r.gate for r in plan.unscoped)
    monkeypatch.setattr(cssindex, "ENABLED", False)
    plain = RuleSet(rules)
    assert plain._plan().gates is None
    monkeypatch.setattr(cssindex, "ENABLED", True)
    dropped = kept_by_exception = 0
    for doc in docs:
        got = indexed.decide(doc)
        want = plain.decide(doc)
        assert _signature(got) == _signature(want), doc.url
        dropped += sum(d.action == "drop" for d in got)
        kept_by_exception += sum(d.action == "keep" and bool(d.rule) for d in got)
    assert (
        len(docs) >= 35 and dropped > 300 and kept_by_exception > 10
    )  # not a vacuous check


def test_indexed_decisions_equal_the_block_by_block_reference(real_case: Any) -> None:
    docs, rules = real_case
    indexed = RuleSet(rules)
    for doc in docs[:3] + docs[-2:]:
        assert _signature(indexed.decide(doc)) == _signature(
            indexed._decide_reference(doc)
        ), doc.url


def test_every_simple_selector_selects_the_same_elements(real_case: Any) -> None:
    docs, rules = real_case
    selectors = sorted({r.match["css"] for r in rules})
    simple = [s for s in selectors if parse_simple(s) is not None]
    assert len(simple) > 0.9 * len(selectors)
    for doc in docs[::6]:
        index = PageIndex(doc.root, doc.blocks)
        for selector in simple:
            got = set(select_elements(parse_simple(selector) or (), index))
            assert got == _xpath_elements(selector, doc.root), (selector, doc.url)


def test_a_document_without_a_root_keeps_the_plain_path() -> None:
    import lxml.html

    from unboil.document import Block, Document

    root = lxml.html.fromstring("<div><div class='ad'><p>a</p></div><p>b</p></div>")
    blocks = [
        Block(i, e.text_content(), element=e) for i, e in enumerate(root.iter("p"))
    ]
    rules = RuleSet.from_easylist("##.ad\n##div > p:first-child\n")
    doc = Document(blocks)  # no root: the selectors run from each block's tree root
    assert _signature(rules.decide(doc)) == _signature(rules._decide_reference(doc))
    assert [d.action for d in rules.decide(doc)] == ["drop", "keep"]
