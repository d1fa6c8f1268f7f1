"""Real texts for the integration tests: AEB article bodies, edited and exact copies, boilerplate."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

RULE_FILE = """version = 1

[[rule]]
id = "ad-label"
description = "Stand-alone advertisement labels"
action = "drop"
[rule.match]
text_regex = "(?i)^advertisement$"
"""


@pytest.fixture(scope="session")
def aeb_texts(aeb_articles: dict[str, dict]) -> list[str]:
    """The AEB article bodies, in file order (non-empty ones)."""
    return [a["articleBody"] for a in aeb_articles.values() if a["articleBody"].strip()]


def _edit(text: str, rng: random.Random, words: int) -> str:
    """A copy of ``text`` with ``words`` of its words replaced (a light near-duplicate)."""
    tokens = text.split()
    for _ in range(words):
        i = rng.randrange(len(tokens))
        tokens[i] = tokens[i] + "zz"
    return " ".join(tokens)


@pytest.fixture(scope="session")
def dup_corpus(aeb_texts: list[str]) -> list[str]:
    """AEB bodies plus near copies (one or three words changed, the tail cut), exact copies
    (line breaks folded), empty and token-less texts, shuffled with a fixed seed."""
    rng = random.Random(7)
    texts = list(aeb_texts)
    texts += [_edit(t, rng, 1) for t in aeb_texts[:30]]
    texts += [_edit(t, rng, 3) for t in aeb_texts[30:45]]
    texts += [t[: int(len(t) * 0.93)] for t in aeb_texts[45:60]]
    texts += [" ".join(t.split()) for t in aeb_texts[60:70]]
    texts += ["", "   ", "!!!", "!!!", "— —"]
    rng.shuffle(texts)
    return texts


@pytest.fixture()
def rule_file(tmp_path: Path) -> Path:
    """A small user rule file: drop stand-alone "Advertisement" labels."""
    path = tmp_path / "ads.toml"
    path.write_text(RULE_FILE, encoding="utf-8")
    return path


def with_boilerplate(text: str, i: int) -> str:
    """An article body framed by a share bar and an ad label, as a crawler extracts it."""
    head, _, rest = text.partition("\n")
    return f"{head}\nShare on Facebook\nAdvertisement\n{rest}\nRelated video\nStory {i} continues"


@pytest.fixture(scope="session")
def framed(aeb_texts: list[str]) -> list[str]:
    """Forty AEB bodies framed by share bars and ad labels."""
    return [with_boilerplate(t, i) for i, t in enumerate(aeb_texts[:40])]
