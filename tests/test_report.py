"""The HTML explain report: every block shown, dropped ones struck through with their rule."""

from __future__ import annotations

import lxml.html

import unboil
from unboil.cli import main
from unboil.report import render_report


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
