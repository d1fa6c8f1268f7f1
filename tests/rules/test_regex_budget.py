"""The regex limits through the public API, on the compiled rules kernel and on its pure twin.

A user's ``text_regex`` with catastrophic backtracking must not stall a document (a time budget
for all its regex checks), must not drop content it could not evaluate, and must say so in the
result, in ``metadata["unboil"]`` and in one logged warning naming the document and the rule.
Each tier runs in its own interpreter (``UNBOIL_PURE_PYTHON=1`` is read at import).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from unboil.rules import DEFAULT_REGEX_BUDGET, DEFAULT_REGEX_TIMEOUT, Rule, RuleSet
from unboil.rules.engine import _KERNEL

SRC = Path(__file__).resolve().parents[2] / "src"

# Every scenario runs in one child interpreter per tier and prints its findings as JSON.
SCRIPT = r"""
import io, json, logging, math, sys
import unboil
from unboil import Cleaner, CleanerConfig, Rule
from unboil.rules.engine import _KERNEL

log = io.StringIO()
handler = logging.StreamHandler(log)
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.WARNING)

HOSTILE = "a" * 5000 + "b"  # (a+)+$ backtracks for many seconds on it
evil = Rule.drop("evil").where(text_regex=r"(a+)+$")
head = "A headline about the harbour"
story = "The story of the harbour, told in full by the people who work there every day."
found = {"compiled": _KERNEL is not None}

def warnings():
    lines = log.getvalue().splitlines()
    log.seek(0)
    log.truncate()
    return lines

def facts(r):
    return {"text": r.text, "cut": r.regex_cut_short, "spent": r.regex_budget_spent,
            "dropped": [d.index for d in r.decisions if d.dropped],
            "rules": [d.rule for d in r.decisions], "warnings": warnings()}

# 1. a hundred hostile blocks: the budget stops the regex work, every block stays
text = "\n".join([head, story] + [HOSTILE] * 100 + ["Share on Facebook", story + " The end."])
cleaner = Cleaner(rules=[evil], config=CleanerConfig(regex_timeout=0.25, regex_budget=0.3))
found["budget"] = facts(cleaner.clean(text, url="https://example.com/hostile"))
found["budget"]["expected_text"] = "\n\n".join([head, story] + [HOSTILE] * 100 + [story + " The end."])

# 2. a keep rule whose regex cannot be evaluated keeps its block (the drop rule would drop it)
keep = Cleaner(rules=[Rule.keep("keep-evil").where(text_regex=r"(a+)+$"),
                      Rule.drop("one-word").where(max_words=1)],
               config=CleanerConfig(regex_budget=0.05), include_default_rules=False)
found["keep"] = facts(keep.clean("\n".join([head, "Advertisement", HOSTILE, "Harbour"]), url="https://example.com/k"))

# 3. one match past the per-match limit, no budget: reported as timed out, budget not spent
once = Cleaner(rules=[evil], config=CleanerConfig(regex_timeout=0.05, regex_budget=math.inf))
found["timeout"] = facts(once.clean("\n".join([head, HOSTILE, story]), url="https://example.com/t"))

# 4. a plain document: nothing cut, nothing said
found["plain"] = facts(cleaner.clean("\n".join([head, "Share on Facebook", story])))

# 5. records: metadata["unboil"] reports it, and the warning names the record
rec = unboil.clean_record({"id": "doc-7", "text": "\n".join([head, HOSTILE, HOSTILE, story])}, cleaner=cleaner)
found["record"] = {"meta": rec["metadata"]["unboil"], "warnings": warnings()}
plain = unboil.clean_record({"id": "doc-8", "text": "\n".join([head, story])}, cleaner=cleaner)
found["record_plain"] = plain["metadata"]["unboil"]
print(json.dumps(found))
"""


@functools.lru_cache(maxsize=None)
def _run(pure: bool) -> dict:
    """The scenarios' findings on one tier (run once per test session and tier)."""
    env = {k: v for k, v in os.environ.items() if k != "UNBOIL_PURE_PYTHON"}
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    if pure:
        env["UNBOIL_PURE_PYTHON"] = "1"
    # generous: without the budget, scenario 1 alone runs 100 searches of 0.25 s each
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module", params=["compiled", "pure"])
def tier(request: pytest.FixtureRequest) -> dict:
    if request.param == "compiled" and _KERNEL is None:
        pytest.skip("unboil.rules._engine is not built (or UNBOIL_PURE_PYTHON is set)")
    found = _run(pure=request.param == "pure")
    assert found["compiled"] == (request.param == "compiled")
    return found


def test_a_hundred_hostile_blocks_stop_at_the_budget_and_are_kept(tier: dict) -> None:
    got = tier["budget"]
    assert got["text"] == got["expected_text"]  # only the share widget went
    # the hostile blocks and the two after them: once the budget is spent, no block is tested
    assert got["cut"] == {"evil": 102}
    assert got["spent"] is True
    assert [got["rules"][i] for i in got["dropped"]] == ["share-widget"]
    # one search ran to the per-match limit; the budget stopped the next and the rest never ran
    [line] = got["warnings"]
    assert "https://example.com/hostile" in line and "'evil' on 102 blocks (2, 3, 4, 5, 6 and 97 more)" in line
    assert "1 timed out (limit 0.25 s per match), 101 stopped or not run" in line
    assert "regex budget of 0.3 s per document was spent" in line


def test_a_keep_rule_that_cannot_be_evaluated_keeps_its_block(tier: dict) -> None:
    got = tier["keep"]
    # "Advertisement" came before the budget ran out: tested in full, no match, dropped as one word;
    # the hostile block and "Harbour" after it could not be tested, so the keep rule keeps them
    assert got["dropped"] == [1]
    assert got["text"].split("\n\n") == ["A headline about the harbour", "a" * 5000 + "b", "Harbour"]
    assert got["cut"] == {"keep-evil": 2} and got["spent"] is True
    assert got["rules"] == ["", "one-word", "keep-evil", "keep-evil"]


def test_a_match_past_the_per_match_limit_is_reported_without_spending_the_budget(tier: dict) -> None:
    got = tier["timeout"]
    assert got["cut"] == {"evil": 1} and got["spent"] is False
    [line] = got["warnings"]
    assert "'evil' on 1 block (1): 1 timed out (limit 0.05 s per match)" in line
    assert "budget" not in line


def test_a_plain_document_reports_nothing(tier: dict) -> None:
    got = tier["plain"]
    assert got["cut"] == {} and got["spent"] is False and got["warnings"] == []
    assert "regex_cut_short" not in tier["record_plain"]


def test_record_metadata_names_the_rules_cut_short(tier: dict) -> None:
    meta = tier["record"]["meta"]
    # the two hostile blocks and the story after them (the budget was spent on the first)
    assert meta["regex_cut_short"] == {"evil": 3} and meta["regex_budget_spent"] is True
    assert meta["kept"] == meta["blocks"] == 4
    [line] = tier["record"]["warnings"]
    assert line.startswith("text_regex cut short on record 'doc-7': rule 'evil' on 3 blocks (1, 2, 3): ")


def test_both_tiers_report_alike() -> None:
    if _KERNEL is None:
        pytest.skip("unboil.rules._engine is not built (or UNBOIL_PURE_PYTHON is set)")
    compiled, pure = dict(_run(pure=False)), dict(_run(pure=True))
    assert compiled.pop("compiled") is True and pure.pop("compiled") is False
    assert compiled == pure


# ---------------------------------------------------------------- the rule set on its own


def test_rule_set_limits_default_and_validate() -> None:
    rules = RuleSet([Rule.drop("evil").where(text_regex=r"(a+)+$")])
    assert rules.regex_timeout == DEFAULT_REGEX_TIMEOUT == 0.25 and DEFAULT_REGEX_BUDGET == 1.0
    from unboil.document import Block, Document

    doc = Document(blocks=[Block(0, "no a's here")])
    for bad in (0, -1, float("nan"), "1", True):
        with pytest.raises(ValueError, match="regex_budget must be a positive number of seconds"):
            rules.evaluate(doc, regex_budget=bad)
        with pytest.raises(ValueError, match="regex_timeout must be a positive number of seconds"):
            rules.evaluate(doc, regex_timeout=bad)
    with pytest.raises(ValueError, match="regex_timeout must be a finite"):
        rules.evaluate(doc, regex_timeout=float("inf"))
    found = rules.evaluate(doc, regex_budget=float("inf"))
    assert not found.regex and found.regex.cut_short == {}


def test_decide_logs_one_warning_per_document(caplog: pytest.LogCaptureFixture) -> None:
    from unboil.document import Block, Document

    rules = RuleSet([Rule.drop("evil").where(text_regex=r"(a+)+$")], regex_timeout=0.05)
    hostile = "a" * 5000 + "b"
    doc = Document(blocks=[Block(i, hostile) for i in range(30)], id="page-3")
    decisions = rules.decide(doc)
    assert [d.action for d in decisions] == ["keep"] * 30
    [record] = [r for r in caplog.records if r.name == "unboil.rules.engine"]
    assert record.levelname == "WARNING"
    assert "on page-3: rule 'evil' on 30 blocks" in record.getMessage()
    assert "regex budget of 1 s per document was spent" in record.getMessage()
