"""The HTML explain report: every block shown, dropped ones struck through with their rule."""

from __future__ import annotations

import lxml.html

import unboil
from unboil.cli import main
from unboil.report import matched_note, render_report


def test_report_strikes_through_exactly_the_dropped_blocks(seed_input):
    result = unboil.clean(seed_input)
    page = lxml.html.fromstring(render_report([("seed", result)]))
    blocks = page.xpath("//div[contains(@class,'b')]")
    assert len(blocks) == len(result.blocks)
    dropped = page.xpath("//div[contains(@class,'drop')]")
    assert len(dropped) == len(result.removed) == len(page.xpath("//del"))
    for div in dropped:
        index = int(div.get("data-index"))
        decision = result.decisions[index]
        assert div.get("data-rule") == decision.rule != ""
        assert div.xpath("string(.//span[@class='rule'])") == decision.rule
        assert div.xpath("string(.//del)") == result.blocks[index].text


def test_report_escapes_page_text():
    result = unboil.clean("A <script>alert(1)</script> title\nBody & more")
    html = render_report([("x<y", result)])
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_explain_writes_the_report(tmp_path, seed_input, capsys):
    page = tmp_path / "seed.txt"
    page.write_text(seed_input, encoding="utf-8")
    report = tmp_path / "report.html"
    assert main(["explain", str(page), "--html", str(report), "--color", "never"]) == 0
    tree = lxml.html.fromstring(report.read_text("utf-8"))
    assert len(tree.xpath("//del")) == 16


def test_a_kept_first_copy_is_explained_as_the_first_of_its_group(seed_input):
    """The headline matches title-copy like its copies, but is kept: say why, not "also matched"."""
    result = unboil.clean(seed_input)
    first = result.decisions[0]
    assert not first.dropped and first.rule == "" and "title-copy" in first.matched
    assert matched_note(result, first) == "first of its repeat group, kept (later copies dropped by: title-copy)"
    page = render_report([("seed", result)])
    assert "first of its repeat group, kept" in page and "also: title-copy" not in page
    dropped = next(d for d in result.decisions if d.dropped)
    assert matched_note(result, dropped) in ("", f"also matched: {', '.join(m for m in dropped.matched if m != dropped.rule)}")
