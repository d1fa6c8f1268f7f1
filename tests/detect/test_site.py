"""The site model: block frequencies per host learned over pages, saved, merged, used by rules."""

from __future__ import annotations

import collections
import gzip
import json
import pickle

import pytest

import unboil
from unboil import Cleaner, SiteModel
from unboil.cli import main
from unboil.errors import InputError
from unboil.segment.text import segment_text

FOOTER = "Subscribe to the Gazette newsletter for morning headlines every weekday"
MENU = "Home · World · Business · Sport · Culture"


def _page(i: int) -> dict:
    body = f"Story number {i} tells what happened in the town hall on day {i} of the session."
    return {"url": f"https://www.gazette.example/news/{i}", "text": f"Headline {i}\n{MENU}\n{body}\n{FOOTER}"}


def test_template_blocks_recur_and_article_blocks_do_not():
    model = SiteModel()
    assert model.learn(_page(i) for i in range(10)) == 10
    assert model.pages("gazette.example") == 10
    assert model.frequency("gazette.example", FOOTER) == 1.0
    assert model.frequency("gazette.example", MENU.upper()) == 1.0  # folded like repeats
    assert model.frequency("gazette.example", "Story number 3 tells what happened in the town hall on day 3 of the session.") == 0.1
    assert model.frequency("other.example", FOOTER) == 0.0


def test_cleaner_with_a_site_model_drops_templates_and_names_the_rule():
    model = SiteModel()
    model.learn(_page(i) for i in range(10))
    page = _page(42)
    result = Cleaner(site_model=model).clean(page["text"], url=page["url"])
    assert result.text == "Headline 42\n\nStory number 42 tells what happened in the town hall on day 42 of the session."
    assert result.removed_by_rule() == {"site-template": 2}
    # without the model the template stays
    assert FOOTER in unboil.clean(page["text"], url=page["url"]).text


def test_hosts_below_min_pages_are_not_used():
    model = SiteModel(min_pages=5)
    model.learn(_page(i) for i in range(4))
    doc = segment_text(_page(9)["text"], url=_page(9)["url"])
    model.annotate(doc)
    assert all(b.signals["site_frequency"] == 0.0 for b in doc.blocks)


def test_merge_save_load_and_pickle(tmp_path):
    a, b, whole = SiteModel(), SiteModel(), SiteModel()
    a.learn(_page(i) for i in range(5))
    b.learn(_page(i) for i in range(5, 10))
    whole.learn(_page(i) for i in range(10))
    assert a.merge(b) == whole
    path = tmp_path / "site.npz"
    whole.save(path)
    assert SiteModel.load(path) == whole
    assert pickle.loads(pickle.dumps(whole)) == whole


def test_damaged_model_file_is_named(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(InputError, match="bad.npz"):
        SiteModel.load(bad)


def test_records_without_url_or_content_are_skipped():
    model = SiteModel()
    assert model.learn([{"text": "no url"}, {"url": "https://x.example/1"}, "junk", _page(1)]) == 1


def test_memory_bound_prunes_single_page_blocks():
    model = SiteModel(max_blocks_per_host=100)
    model.learn({"url": f"https://big.example/{i}", "text": f"{FOOTER}\nunique line {i} " + "x" * i} for i in range(300))
    assert model.frequency("big.example", FOOTER) > 0.9
    assert len(model._hosts["big.example"].counts) <= 101


def test_real_site_templates_on_wcxb_pages(shared_fixtures):
    """On real pages of one site, blocks frequent across its other pages are rarely main content."""
    root = shared_fixtures / "wcxb-dev"
    files = json.loads((root / "metadata.json").read_text("utf-8"))["files"]
    by_domain = collections.defaultdict(list)
    for fid, info in sorted(files.items()):
        if (root / "ground-truth" / f"{fid}.json").exists():
            by_domain[info["domain"]].append(fid)
    pages = by_domain["developer.mozilla.org"]
    assert len(pages) >= 6

    def load(fid):
        truth = json.loads((root / "ground-truth" / f"{fid}.json").read_text("utf-8"))
        html = gzip.decompress((root / "html" / f"{fid}.html.gz").read_bytes())
        return truth, html

    held_out, train = pages[0], pages[1:]
    model = SiteModel()
    assert model.learn({"url": load(f)[0]["url"], "html": load(f)[1]} for f in train) == len(train)
    truth, html = load(held_out)
    from unboil.segment.html import segment_html

    doc = segment_html(html, truth["url"])
    model.annotate(doc)
    main_text = truth["ground_truth"]["main_content"].lower()
    frequent = [b for b in doc.blocks if b.signals["site_frequency"] >= 0.6 and len(b.text) > 15]
    assert len(frequent) >= 10  # navigation and footers recur
    in_main = sum(1 for b in frequent if b.text.lower() in main_text)
    assert in_main / len(frequent) < 0.1


def test_learn_command_then_clean_with_the_model(tmp_path, capsys):
    crawl = tmp_path / "crawl.jsonl"
    crawl.write_text("".join(json.dumps(_page(i)) + "\n" for i in range(8)) + "not json\n", "utf-8")
    model = tmp_path / "site.npz"
    assert main(["learn", str(crawl), "-o", str(model)]) == 0
    err = capsys.readouterr().err
    assert "9 in, 8 pages learned" in err and "1 errors" in err
    page = tmp_path / "p.jsonl"
    page.write_text(json.dumps(_page(99)) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(page), "--site-model", str(model), "-o", str(out)]) == 0
    rec = json.loads(out.read_text("utf-8"))
    assert rec["metadata"]["unboil"]["removed"] == {"site-template": 2}
