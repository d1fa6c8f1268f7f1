"""The content detector: markup vocabulary, stop-word languages, container choice, the model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from unboil.detect.content import (
    ContentModel,
    annotate_content,
    best_container,
    load_model,
    score_page,
)
from unboil.detect.features import FEATURES, load_stopwords, page_features, pick_language
from unboil.detect.markup import annotate_markup, load_vocabulary
from unboil.segment.html import segment_html
from unboil.segment.text import segment_text

LONG = ("The museum reopened its east wing after three years of restoration, and visitors can once "
        "again see the painted ceilings that had been hidden behind scaffolding since the fire.")


def _markup_of(html: str) -> dict[str, tuple[str, ...]]:
    doc = segment_html(html)
    annotate_markup(doc)
    return {b.text: b.signals["markup"] for b in doc.blocks}


def test_tags_tokens_and_roles_name_regions():
    found = _markup_of(
        '<body><nav><a href="/">Home</a></nav>'
        '<div class="cookie-notice"><p>We use cookies</p></div>'
        '<div role="contentinfo"><p>Legal notice</p></div>'
        '<div class="rightSidebar"><p>Popular now</p></div>'
        '<div class="post-content"><p>Body text</p></div></body>'
    )
    assert "nav" in found["Home"]
    assert "cookie" in found["We use cookies"]
    assert "footer" in found["Legal notice"]  # ARIA role on an ancestor
    assert "sidebar" in found["Popular now"]  # a glued token, by substring
    assert "content" in found["Body text"]
    assert "nav" not in found["Body text"]


def test_every_vocabulary_class_is_a_feature_or_declared_rule_only():
    vocab = load_vocabulary()
    assert set(vocab.classes) - vocab.rule_only == {f[3:] for f in FEATURES if f.startswith("mk_")}
    assert vocab.rule_only == {"signature", "user-info"}


def test_rule_only_classes_are_read_by_a_default_rule():
    from unboil.rules import RuleSet

    read = {name for r in RuleSet.load().rules for name in r.match.get("markup", ())}
    assert load_vocabulary().rule_only <= read


def test_roles_on_very_deep_pages_do_not_recurse():
    # deeper than Python's recursion limit, within what libxml2 keeps (it drops past ~2000)
    html = '<body><div role="main">' + "<div>" * 1500 + f"<p>{LONG}</p>" + "</div>" * 1500
    found = _markup_of(html)
    assert "content" in found[LONG]


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "pt", "it", "nl", "ru", "pl", "tr", "uk"])
def test_major_languages_ship_stop_words(lang):
    words = load_stopwords(lang)
    assert len(words) >= 100
    assert all(w == w.lower() and " " not in w for w in words)


def test_declared_language_wins_and_undeclared_is_detected():
    german = "der die und in den von zu das mit sich des auf für ist im dem nicht ein".split()
    assert pick_language("de-AT", german) == "de"
    assert pick_language("", german) == "de"
    assert pick_language("xx", "и в не на что он с как а то все".split()) == "ru"
    assert pick_language("", ["1234", "5678"]) == ""


def test_stopword_ratio_uses_the_page_language():
    doc = segment_html(f'<html lang="en"><body><p>{LONG}</p><p>Login Register Cart</p></body></html>')
    feats = page_features(doc)
    assert feats.lang == "en"
    assert feats.stopword_ratio[0] > 0.3
    assert feats.stopword_ratio[1] == 0.0


def test_best_container_keeps_content_and_leaves_menus_out():
    paths = ["html/body/nav/a", "html/body/div/p", "html/body/div/p[2]", "html/body/div/ul/li",
             "html/body/footer/p"]
    mass = np.array([-3.0, 40.0, 30.0, -2.0, -5.0])
    assert best_container(paths, mass) == "html/body/div"
    assert best_container(paths, -np.ones(5)) == ""


def test_jsonld_article_body_overlap_is_a_signal():
    body = LONG + " " + LONG
    html = ('<html><head><script type="application/ld+json">'
            + json.dumps({"@type": "NewsArticle", "headline": "Museum", "articleBody": body})
            + f"</script></head><body><p>{LONG}</p><p>Subscribe to our podcast today</p></body></html>")
    doc = segment_html(html)
    annotate_content(doc)
    assert doc.blocks[0].signals["jsonld_overlap"] == 1.0
    assert doc.blocks[1].signals["jsonld_overlap"] < 0.5


def test_scores_are_probabilities_and_in_main_follows_the_threshold():
    html = ("<body><nav><ul>" + "".join(f'<li><a href="/{i}">Section {i}</a></li>' for i in range(8))
            + f"</ul></nav><article>{''.join(f'<p>{LONG}</p>' for _ in range(4))}</article></body>")
    doc = segment_html(html)
    model = load_model()
    _, scores = score_page(doc, model)
    assert ((scores >= 0) & (scores <= 1)).all()
    annotate_content(doc, model)
    threshold = model.threshold if doc.metadata["article_score"] >= 0.5 else model.threshold_other
    for block, score in zip(doc.blocks, scores):
        assert block.signals["in_main"] == (score >= threshold)
    assert doc.blocks[-1].signals["in_main"]
    assert not doc.blocks[0].signals["in_main"]


def test_text_documents_are_left_alone():
    doc = segment_text("One line\n\nAnother line")
    annotate_content(doc)
    assert all("content_score" not in b.signals for b in doc.blocks)


def test_an_empty_page_is_fine():
    doc = segment_html("<html><body></body></html>")
    annotate_content(doc)
    assert doc.blocks == []


def test_the_model_round_trips_and_refuses_other_features():
    model = load_model()
    raw = model.to_dict()
    again = ContentModel.from_dict(json.loads(json.dumps(raw)))
    assert again.threshold == model.threshold
    assert np.allclose(again.block.weights, model.block.weights)
    raw["features"] = raw["features"][:-1]
    with pytest.raises(ValueError, match="retrain"):
        ContentModel.from_dict(raw)
