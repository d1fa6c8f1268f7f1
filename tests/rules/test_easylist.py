"""Importing EasyList cosmetic filters: what becomes a rule, what is skipped, and how it decides."""

from __future__ import annotations

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.document import Block, Document
from unboil.rules import RuleSet
from unboil.rules.easylist import parse_easylist

LIST = """[Adblock Plus 2.0]
! Title: a tiny list
##.ad-banner
example.com,www.news.example.org##div.share-bar
example.com#@#.ad-banner
~foo.com##.x
google.*##.y
##.z:-abp-contains(ad)
example.com##+js(nobab)
example.com#?#div:has-text(Ad)
||ads.example.com^$third-party
##div[
##.ad-banner
"""


def test_cosmetic_lines_become_rules_and_the_rest_is_reported() -> None:
    rules, skipped = parse_easylist(LIST, "tiny.txt")
    assert [(r.action, r.hosts, r.match["css"]) for r in rules] == [
        ("drop", (), ".ad-banner"),
        ("drop", ("example.com", "news.example.org"), "div.share-bar"),
        ("keep", ("example.com",), ".ad-banner"),
    ]
    assert all(r.id.startswith("easylist:") and r.source == "tiny.txt" for r in rules)
    assert [s.line_number for s in skipped] == [6, 7, 8, 9, 10, 11, 12]
    assert "negated" in skipped[0].reason and "bad CSS selector" in skipped[-1].reason


def test_ids_do_not_depend_on_line_order() -> None:
    forward, _ = parse_easylist("##.a\n##.b\n")
    backward, _ = parse_easylist("##.b\n##.a\n")
    assert {r.id: r.match["css"] for r in forward} == {r.id: r.match["css"] for r in backward}


PAGE = """<html><body><div class="ad-banner"><p>Buy now</p></div>
<div class="share-bar"><p>Share</p></div><p>Story text.</p></body></html>"""


def _decide(rules: RuleSet, url: str) -> dict[str, str]:
    root = lxml.html.fromstring(PAGE)
    blocks = [Block(i, e.text_content(), element=e) for i, e in enumerate(root.iter("p"))]
    return {
        b.text: d.action
        for b, d in zip(blocks, rules.decide(Document(blocks, url=url, root=root)), strict=True)
    }


def test_imported_rules_decide_with_host_scope_and_exceptions() -> None:
    rules = RuleSet.from_easylist(LIST)
    assert _decide(rules, "https://other.net/") == {
        "Buy now": "drop",
        "Share": "keep",
        "Story text.": "keep",
    }
    assert _decide(rules, "https://www.example.com/a") == {
        "Buy now": "keep",
        "Share": "drop",
        "Story text.": "keep",
    }


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from("#@~.,:[]()>+*$^|!ab- "), max_size=20), max_size=8)
)
def test_any_list_imports_or_reports_every_line(lines: list[str]) -> None:
    rules, skipped = parse_easylist("\n".join(lines))

    def is_filter(line: str) -> bool:
        line = line.strip()
        return (
            bool(line)
            and not line.startswith("!")
            and not (line.startswith("[") and line.endswith("]"))
        )

    skipped_at = {s.line_number for s in skipped}
    imported = {
        ln.strip() for n, ln in enumerate(lines, 1) if is_filter(ln) and n not in skipped_at
    }
    assert skipped_at <= {n for n, ln in enumerate(lines, 1) if is_filter(ln)}
    assert sorted(r.description for r in rules) == sorted(imported)
    RuleSet(rules)  # whatever was imported forms a valid rule set
