"""Tests for the widgets detector: data-driven cases, the seed page, real pages, invariants."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.detect.lexicon_loader import (
    CATEGORIES,
    Lexicon,
    LexiconError,
    available_languages,
    fold,
    load_lexicon,
)
from unboil.detect.widgets import (
    WidgetConfig,
    annotate_widgets,
    scan_text,
    widget_category,
)
from unboil.document import Block, Document, Link

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CASES = tomllib.loads(
    (Path(__file__).resolve().parent.parent / "fixtures" / "widgets" / "cases.toml")
    .read_text(encoding="utf-8"))
REQUIRED_LANGUAGES = ("en", "ru", "uk", "de", "fr", "es", "pt", "it", "pl", "nl", "tr", "ar",
                      "zh", "ja", "ko")
SIGNALS = ("widget", "widget_score", "lexicon_hits", "share_links")


def doc_of(*texts: str) -> Document:
    return Document(blocks=[Block(index=i, text=t) for i, t in enumerate(texts)])


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


# --- the case file itself -------------------------------------------------------------------

def test_case_file_covers_every_language_and_enough_traps() -> None:
    langs = {c["lang"] for c in CASES["widget"]}
    assert set(REQUIRED_LANGUAGES) <= langs
    assert len(CASES["widget"]) >= 20
    assert len(CASES["trap"]) >= 10
    assert {c["category"] for c in CASES["widget"]} <= set(CATEGORIES)


def test_every_required_language_ships_a_lexicon(lexicon: Lexicon) -> None:
    assert set(REQUIRED_LANGUAGES) <= set(available_languages())
    assert set(REQUIRED_LANGUAGES) <= set(lexicon.languages)


# --- data-driven verdicts --------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES["widget"], ids=lambda c: f"{c['lang']}:{c['text']}")
def test_widget_cases(case: dict, lexicon: Lexicon) -> None:
    doc = doc_of(case["text"])
    annotate_widgets(doc, lexicon)
    signals = doc.blocks[0].signals
    assert signals["widget"] == case["category"], scan_text(case["text"], lexicon)
    assert signals["widget_score"] >= 0.5
    assert signals["lexicon_hits"]


@pytest.mark.parametrize("case", CASES["trap"], ids=lambda c: f"{c['lang']}:{c['text'][:30]}")
def test_trap_cases(case: dict, lexicon: Lexicon) -> None:
    doc = doc_of(case["text"])
    annotate_widgets(doc, lexicon)
    assert doc.blocks[0].signals["widget"] == "", scan_text(case["text"], lexicon)
    assert doc.blocks[0].signals["widget_score"] < 0.5


@pytest.mark.parametrize("case", CASES["run"], ids=lambda c: c["note"][:40])
def test_runs_of_blocks(case: dict, lexicon: Lexicon) -> None:
    doc = doc_of(*case["blocks"])
    annotate_widgets(doc, lexicon)
    marked = [b.index for b in doc.blocks if b.signals["widget"]]
    assert marked == case["widgets"]


@pytest.mark.parametrize("case", CASES["markup"], ids=lambda c: c["note"][:40])
def test_markup_evidence(case: dict, lexicon: Lexicon) -> None:
    block = Block(index=0, text=case["text"], tag="a",
                  links=tuple(Link(text="", href=h) for h in case["links"]),
                  class_tokens=tuple(case.get("class_tokens", ())),
                  link_density=case["link_density"])
    doc = Document(blocks=[block])
    annotate_widgets(doc, lexicon)
    assert block.signals["widget"] == case["category"]
    endpoint = lexicon.endpoint_matcher
    assert block.signals["share_links"] == sum(bool(endpoint.search(h.lower()))
                                               for h in case["links"])


def test_lone_platform_name_is_weak_alone_but_joins_a_neighbouring_widget(
        lexicon: Lexicon) -> None:
    alone = doc_of("A short note.", "Viber", "Another sentence about the weather today.")
    annotate_widgets(alone, lexicon)
    assert alone.blocks[1].signals["widget"] == ""
    beside = doc_of("A short note.", "Viber", "send to Telegram")
    annotate_widgets(beside, lexicon)
    assert beside.blocks[1].signals["widget"] == "share"


def test_long_blocks_get_hits_but_no_text_verdict(lexicon: Lexicon) -> None:
    text = " ".join(["share on Facebook"] * 20)  # 60 widget words: too long to be a widget
    doc = doc_of(text)
    annotate_widgets(doc, lexicon, WidgetConfig(max_words=40))
    assert doc.blocks[0].signals["widget"] == ""
    assert "share" in doc.blocks[0].signals["lexicon_hits"]
    doc = doc_of(text)
    annotate_widgets(doc, lexicon, WidgetConfig(max_words=100))
    assert doc.blocks[0].signals["widget"] == "share"


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="min_link_density"):
        WidgetConfig(min_link_density=2.0)


# --- the seed page ---------------------------------------------------------------------------

SEED_WIDGETS = {"Spread the love", "send to Telegram", "share on Facebook", "send to Viber",
                "send to Whatsapp", "send to Messenger", "Related video"}


def seed_blocks(text: str) -> list[Block]:
    blocks = []
    for chunk in text.split("\n\n"):
        chunk = chunk.strip()
        if not chunk:
            continue
        bullet = ""
        if chunk.startswith("•"):
            bullet, chunk = "•", chunk[1:].strip()
        blocks.append(Block(index=len(blocks), text=" ".join(chunk.split()), bullet=bullet))
    return blocks


def test_seed_share_bar_is_widgets_and_article_is_not(seed_input: str, seed_expected: str,
                                                      lexicon: Lexicon) -> None:
    doc = Document(blocks=seed_blocks(seed_input))
    annotate_widgets(doc, lexicon)
    widgets = {b.text for b in doc.blocks if b.signals["widget"]}
    assert widgets == SEED_WIDGETS
    article = {b.text for b in seed_blocks(seed_expected)}
    assert article and not any(b.signals["widget"] for b in doc.blocks if b.text in article)


# --- real pages ------------------------------------------------------------------------------

def test_aeb_article_paragraphs_are_almost_never_widgets(aeb_articles: dict,
                                                         lexicon: Lexicon) -> None:
    """Ground-truth article text is content: pin the false-positive rate below 0.5%."""
    texts = [p.strip() for a in aeb_articles.values() for p in a["articleBody"].split("\n")
             if p.strip()]
    assert len(texts) > 1000
    flagged = [t for t in texts if widget_category(t, lexicon)]
    assert len(flagged) / len(texts) < 0.005, flagged[:20]


# --- the lexicon -----------------------------------------------------------------------------

def test_lexicon_is_immutable_and_pickles_without_compiled_matchers(lexicon: Lexicon) -> None:
    assert lexicon.matcher is not None  # build the lazy matchers first
    with pytest.raises(AttributeError):
        lexicon.languages = ("en",)  # type: ignore[misc]
    data = pickle.dumps(lexicon)
    assert b"_regex" not in data and b"Pattern" not in data
    clone = pickle.loads(data)
    assert clone == lexicon
    assert "matcher" not in vars(clone)
    assert widget_category("Share on Facebook", clone) == "share"


def test_language_subset_and_unknown_language() -> None:
    english = load_lexicon(["en"])
    assert english.languages == ("en",)
    assert widget_category("Поделиться", english) == ""
    assert widget_category("Share", english) == "share"
    with pytest.raises(ValueError, match="xx"):
        load_lexicon(["xx"])


def test_extra_language_file_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "eo.toml"
    good.write_text('language = "eo"\nfillers = ["al", "la"]\n'
                    '[phrases]\nshare = ["kunhavigi"]\n', encoding="utf-8")
    lex = load_lexicon(["en"], extra_files=[good])
    assert "eo" in lex.languages
    assert widget_category("Kunhavigi al Facebook", lex) == "share"

    bad = tmp_path / "bad.toml"
    bad.write_text('language = "xx"\n[phrases]\nshares = ["foo"]\n', encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad\.toml.*phrases\.shares"):
        load_lexicon(["en"], extra_files=[bad])
    worse = tmp_path / "worse.toml"
    worse.write_text('language = "xx"\nfillers = ["two words"]\n[phrases]\nshare = ["a"]\n',
                     encoding="utf-8")
    with pytest.raises(LexiconError, match="fillers"):
        load_lexicon(["en"], extra_files=[worse])


# --- invariants ------------------------------------------------------------------------------

WIDGETISH = st.sampled_from(["Share", "send to Telegram", "Related video", "Facebook", "X",
                             "Читайте также", "12 comments", "分享到微信", "コメント", "Print"])
block_texts = st.lists(st.one_of(st.text(max_size=120), WIDGETISH), max_size=12)


@settings(max_examples=60, deadline=None)
@given(block_texts)
def test_annotate_keeps_text_and_order_and_is_deterministic(texts: list[str]) -> None:
    lexicon = load_lexicon()
    first, second = doc_of(*texts), doc_of(*texts)
    annotate_widgets(first, lexicon)
    annotate_widgets(second, lexicon)
    assert [b.text for b in first.blocks] == texts
    assert [b.index for b in first.blocks] == list(range(len(texts)))
    for a, b in zip(first.blocks, second.blocks):
        assert {k: a.signals[k] for k in SIGNALS} == {k: b.signals[k] for k in SIGNALS}
        assert a.signals["widget"] in ("", *CATEGORIES)
        assert 0.0 <= a.signals["widget_score"] <= 1.0
        assert (a.signals["widget_score"] >= 0.5) == bool(a.signals["widget"])
        assert isinstance(a.signals["lexicon_hits"], tuple)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@settings(max_examples=60, deadline=None)
@given(WIDGETISH, st.sampled_from(["", " ", "!", " 👍", " |", " 12"]))
def test_case_punctuation_and_emoji_do_not_change_the_category(text: str, tail: str) -> None:
    lexicon = load_lexicon()
    base = scan_text(text, lexicon)
    for variant in (text.upper() + tail, text.lower() + tail, f"« {text} »{tail}"):
        assert scan_text(variant, lexicon).category == base.category
