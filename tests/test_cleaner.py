"""The one-document cleaner end to end: the seed, traps that must survive, bad input, invariants."""

from __future__ import annotations

import pickle
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import unboil
from unboil import Cleaner, CleanerConfig, DocumentTooLarge, InputError, Rule


def test_seed_comes_out_exact(seed_input, seed_expected):
    result = unboil.clean(seed_input)
    assert result.text.rstrip("\n") == seed_expected.rstrip("\n")


def test_seed_every_removed_block_names_its_rule(seed_input):
    result = unboil.clean(seed_input)
    dropped = [d for d in result.decisions if d.dropped]
    assert len(dropped) == 16
    assert all(d.rule for d in dropped)
    counts = result.removed_by_rule()
    assert counts["title-copy"] == 9
    assert counts["share-widget"] == 6 and counts["related-widget"] == 1
    assert len(result.decisions) == len(result.blocks)
    assert [d.index for d in result.decisions] == list(range(len(result.blocks)))


def test_seed_against_the_shared_copy(shared_fixtures):
    seed = shared_fixtures / "seed"
    result = unboil.clean((seed / "input.txt").read_text("utf-8"))
    assert result.text.rstrip("\n") == (seed / "expected.txt").read_text("utf-8").rstrip("\n")


TRAPS = [
    # sentences about messaging apps and platforms stay
    "Telegram founder Pavel Durov said on Monday that the app now has 900 million monthly users.",
    "She shared the video on Facebook, where it was viewed more than a million times in a day.",
    "WhatsApp and Viber are the most popular messengers in the region, according to the survey.",
    "Subscribers to the print edition will receive the magazine a week before it reaches shops.",
    "The related investigation, opened in March, is expected to conclude before the summer.",
    "Follow the instructions on the label and print the form before you come to the office.",
    "Павел Дуров заявил, что Telegram не будет передавать данные пользователей властям.",
    "Die Nutzer von WhatsApp können ab sofort Nachrichten bis zu einer Stunde nach dem Senden bearbeiten.",
    "El mensaje se compartió en Facebook y Twitter miles de veces antes de ser eliminado.",
    "Read also the footnotes: they explain how the survey was weighted and who paid for it.",
]


@pytest.mark.parametrize("sentence", TRAPS)
def test_traps_survive_untouched(sentence):
    text = f"A headline about the news\n{sentence}\nAnother paragraph of the article body follows here."
    result = unboil.clean(text)
    assert sentence in result.text.split("\n\n")


def test_song_chorus_is_kept_every_time():
    song = ("Summer by the River\nWe walked along the water in the evening light\n"
            "Oh the river keeps on rolling through the night\nOur shadows growing longer as the sun went down\n"
            "Oh the river keeps on rolling through the night")
    result = unboil.clean(song)
    assert result.text.count("Oh the river keeps on rolling through the night") == 2
    assert not result.removed


def test_title_quoted_in_a_long_paragraph_survives():
    title = "Russian officials run away en masse from partial mobilization abroad"
    para = (f"Under the headline “{title}” the agency's story was reprinted by dozens of sites, "
            "most of which did not check the translation.")
    result = unboil.clean(f"{title}\n\n{para}")
    assert result.text == f"{title}\n\n{para}"


def test_user_rules_add_to_the_defaults(tmp_path):
    rules = tmp_path / "mine.toml"
    rules.write_text('[[rule]]\nid = "no-ads"\ndescription = "ad label"\naction = "drop"\n'
                     '[rule.match]\ntext_regex = "^Advertisement$"\n', encoding="utf-8")
    cleaner = Cleaner(rules=[rules])
    result = cleaner.clean("Headline words here\nAdvertisement\nBody text of the story.\nshare on Facebook")
    assert result.text == "Headline words here\n\nBody text of the story."
    assert result.removed_by_rule() == {"no-ads": 1, "share-widget": 1}


def test_keep_rule_overrides_a_default_drop():
    keep = Rule(id="keep-facebook", description="keep it", action="keep", match={"text_regex": "Facebook"})
    result = Cleaner(rules=[keep]).clean("Headline words here\nshare on Facebook\nBody.")
    assert "share on Facebook" in result.text
    assert result.decisions[1].rule == "keep-facebook" and "share-widget" in result.decisions[1].matched


def test_without_default_rules_nothing_is_removed(seed_input):
    result = Cleaner(include_default_rules=False).clean(seed_input)
    assert not result.removed


def test_cleaner_pickles_and_is_thread_safe(seed_input, seed_expected):
    cleaner = pickle.loads(pickle.dumps(Cleaner()))
    outputs: list[str] = []

    def work() -> None:
        for _ in range(3):
            outputs.append(cleaner.clean(seed_input).text)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outputs) == 12 and set(outputs) == {seed_expected.rstrip("\n")}


# -- bad input ---------------------------------------------------------------------------------

def test_empty_and_whitespace_give_empty_results():
    for text in ("", "   \n\n\t  "):
        result = unboil.clean(text)
        assert result.text == "" and result.blocks == [] and result.decisions == []


def test_binary_junk_is_refused_with_a_reason():
    junk = "".join(chr(i % 32) for i in range(2000))
    with pytest.raises(InputError, match="binary"):
        unboil.clean(junk)


def test_invalid_utf8_bytes_name_the_byte():
    with pytest.raises(InputError, match="UTF-8.*byte 6"):
        unboil.clean(b"Hello \xff\xfe world")


def test_wrong_type_is_refused():
    with pytest.raises(InputError, match="must be str"):
        unboil.clean(12345)  # type: ignore[arg-type]


def test_size_cap_is_enforced_and_configurable():
    cleaner = Cleaner(config=CleanerConfig(max_chars=1000))
    with pytest.raises(DocumentTooLarge, match="1,000"):
        cleaner.clean("word " * 1000)


def test_ten_megabytes_of_text_are_cleaned():
    para = "This is a long paragraph of an article that goes on and on about many things. " * 4
    lines = [f"{para} Number {i}." for i in range(25000)]
    text = "A title for the big one\n" + "\n".join(lines)
    assert len(text) > 8_000_000
    result = unboil.clean(text)
    assert len(result.blocks) == 25001 and not result.removed


def test_config_is_validated():
    with pytest.raises(ValueError, match="split"):
        CleanerConfig(split="words")
    for name, bad in [("max_chars", 0), ("max_chars", 2.5), ("max_html_bytes", 0), ("max_html_bytes", True)]:
        with pytest.raises(ValueError, match=f"CleanerConfig.{name} must be a positive whole number"):
            CleanerConfig(**{name: bad})
    for name, bad in [("regex_timeout", 0), ("regex_timeout", float("inf")), ("regex_budget", -1),
                      ("regex_budget", float("nan")), ("regex_budget", None)]:
        with pytest.raises(ValueError, match=f"CleanerConfig.{name} must be a"):
            CleanerConfig(**{name: bad})


def test_regex_limits_default_to_the_rule_engine_s_and_travel_in_pickles():
    from unboil.rules import DEFAULT_REGEX_BUDGET, RuleSet

    config = CleanerConfig()
    assert config.regex_timeout is None and config.regex_budget == DEFAULT_REGEX_BUDGET
    assert CleanerConfig(regex_budget=float("inf")).regex_budget == float("inf")
    cleaner = Cleaner(rules=RuleSet.default(regex_timeout=0.1),
                      config=CleanerConfig(regex_budget=0.5, max_html_bytes=1000))
    clone = pickle.loads(pickle.dumps(cleaner))
    assert clone.config == cleaner.config and clone.rules == cleaner.rules
    assert clone.rules.regex_timeout == 0.1


def test_a_hostile_block_is_kept_and_reported_by_the_cleaner(caplog):
    cleaner = Cleaner(rules=[Rule.drop("evil").where(text_regex=r"(a+)+$")],
                      config=CleanerConfig(regex_timeout=0.05))
    clone = pickle.loads(pickle.dumps(cleaner))
    text = "A headline about the harbour\n" + "a" * 5000 + "b\nThe story of the harbour, told in full."
    result = clone.clean(text, url="https://example.com/h")
    assert result.text == text.replace("\n", "\n\n")  # nothing dropped
    assert result.regex_cut_short == {"evil": 1} and result.regex_budget_spent is False
    assert result.to_dict()["regex_cut_short"] == {"evil": 1}
    assert "text_regex cut short on https://example.com/h: rule 'evil' on 1 block (1)" in caplog.text


# -- invariants --------------------------------------------------------------------------------

_lines = st.lists(
    st.one_of(
        st.sampled_from(["share on Facebook", "send to Telegram", "Related video", "Read also",
                         "Spread the love", "Russian officials are fleeing en masse from"]),
        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80),
    ),
    max_size=25,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lines)
def test_clean_is_idempotent_keeps_order_and_invents_nothing(lines):
    text = "\n".join(lines)
    first = unboil.clean(text)
    second = unboil.clean(first.text)
    assert second.text == first.text
    kept = first.text.split("\n\n") if first.text else []
    source_blocks = [b.text for b in first.blocks]
    # kept blocks are source blocks, in their original order
    it = iter(source_blocks)
    assert all(any(k == s for s in it) for k in kept)


@pytest.mark.parametrize(("line", "rule"), [
    ("Published 18 November 2019", "dateline"),
    ("UPDATED: Tue., Nov. 19, 2019", "dateline"),
    ("Posted on March 3, 2019 by admin", "dateline"),
    ("Опубликовано 12.03.2021 в 10:15", "dateline"),
    ("5 min read", "reading-time"),
    ("Tempo de leitura: 2 minutos", "reading-time"),
    ("Tags: politics, economy", "tag-line"),
    ("Filed under: Khawarij |", "tag-line"),
])
def test_page_furniture_lines_go_with_their_rule(line, rule):
    result = unboil.clean(f"A headline about something\n{line}\nThe body of the story, in full sentences.")
    assert result.decisions[1].rule == rule and result.decisions[1].dropped


@pytest.mark.parametrize("sentence", [
    "The study was published in Nature on 12 March 2019 by researchers from Oxford.",
    "Updated guidance will follow in 2020, officials said.",
    "Tags are used to classify the 3 samples before sequencing.",
    "Topics for the 2020 debate include health care and taxes.",
    "Reading time matters less than comprehension, the authors argue in the new paper.",
])
def test_sentences_that_start_like_furniture_stay(sentence):
    result = unboil.clean(f"A headline about something\n{sentence}")
    assert not result.decisions[1].dropped
