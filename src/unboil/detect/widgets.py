"""Mark share bars, follow boxes, newsletter prompts and related-content lists on blocks.

A block is a widget when its text is nothing but widget words: phrases from the multilingual
lexicon ("send to", "Читайте также"), platform names ("Telegram", "ВКонтакте"), filler words,
digits, punctuation and emoji. A sentence that merely mentions a platform keeps words the
lexicon does not cover and stays content. For HTML, links to share endpoints and class/id
tokens of share plugins are extra evidence. The detector only writes signals; rules decide.

Signals written on every block:
    widget        category ("share", "social", "subscribe", "related", "counter", "print",
                  "comments") or "" for content
    widget_score  confidence in 0..1; 0.5 and above for widgets, below for content
    lexicon_hits  lexicon categories (and "platform") whose phrases occur anywhere in the text
    share_links   how many of the block's links point to share endpoints
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import regex

from unboil.detect.lexicon_loader import (
    CATEGORIES,
    PLATFORM,
    Lexicon,
    fold,
    load_lexicon,
)
from unboil.document import Block, Document

__all__ = [
    "CATEGORIES",
    "Lexicon",
    "TextVerdict",
    "WidgetConfig",
    "annotate_widgets",
    "load_lexicon",
    "scan_text",
    "widget_category",
]

# When one block mixes categories ("Like · 12 comments · Share"), the one covering the most
# characters wins; ties go to the more specific category first.
_TIE_ORDER = ("subscribe", "comments", "related", "counter", "print", "social", "share")


@dataclass(frozen=True, slots=True)
class WidgetConfig:
    """Thresholds of the widgets detector; every default is documented here.

    max_words:          blocks longer than this get no text verdict (lexicon_hits only): a
                        widget is short, and a long block is content whatever words it uses.
    lead_in_max_words:  a "Read also: <title>" line longer than this is not a cross-link.
    min_link_density:   markup evidence (share links, plugin class tokens) needs the block to
                        be at least this much link text, unless its text is mostly widget words.
    max_label_words:    a block whose links all go to share endpoints is a share widget when it
                        is mostly link text or no longer than this (icon labels: "f t in").
    """

    max_words: int = 40
    lead_in_max_words: int = 30
    min_link_density: float = 0.5
    max_label_words: int = 8

    def __post_init__(self) -> None:
        if min(self.max_words, self.lead_in_max_words, self.max_label_words) < 1:
            raise ValueError("WidgetConfig: max_words, lead_in_max_words and max_label_words "
                             "must be >= 1")
        if not 0.0 <= self.min_link_density <= 1.0:
            raise ValueError(f"WidgetConfig: min_link_density must be in 0..1, "
                             f"got {self.min_link_density}")


DEFAULT_CONFIG = WidgetConfig()


@dataclass(frozen=True, slots=True)
class TextVerdict:
    """What the lexicon says about one text, with no page context.

    ``covered`` means every word is a widget word; ``strength`` counts the evidence (a verb or
    phrase counts 2, a platform name or an ambiguous word 1), and a covered text needs 2 to be
    a widget on its own. ``coverage`` is the share of letters covered (0..1).
    """

    category: str
    covered: bool
    strength: int
    coverage: float
    words: int
    hits: tuple[str, ...]
    lead_in: bool = False
    platform_only: bool = False

    @property
    def is_widget(self) -> bool:
        """True when the text alone is enough: fully widget words with strong evidence."""
        return (self.covered and self.strength >= 2) or self.lead_in


@functools.cache
def _patterns() -> Any:
    cjk = r"\p{Han}\p{Hiragana}\p{Katakana}"
    return (
        regex.compile(rf"[{cjk}]|[^\W{cjk}]+"),  # words: CJK characters count one each
        regex.compile(r"[\p{L}\p{M}]+"),  # letter runs (digits, emoji, punctuation excluded)
        regex.compile(r"(?:https?://|www\.)\S+|\S+\.[a-z]{2,}/\S*|@[\w.]+"),  # urls, handles
        # Program text ("print(x)", "reply_sms", "Response.ok", "'comments'") is never a widget.
        regex.compile(r"[_={}\[\]\\<$`\"]|[^\W\d_]\(|^'|'$|"
                      r"[^\W\d_]\.(?!(?:com|ru|ua|me|net|org|jp|io|app|co)\b)[^\W\d_]"),
    )


def scan_text(text: str, lexicon: Lexicon | None = None,
              config: WidgetConfig = DEFAULT_CONFIG) -> TextVerdict:
    """Judge ``text`` alone against the lexicon: its hits, coverage and widget category.

    Pure and deterministic; ``annotate_widgets`` adds page context (links, markup, neighbours).
    """
    lex = lexicon if lexicon is not None else load_lexicon()
    words_re, letters_re, skip_re, code_re = _patterns()
    norm = fold(text)
    words = len(words_re.findall(norm))
    table = lex.table
    if words > config.max_words:
        hits = {c for _, _, key in lex.find(norm) for c in table[key][0]}
        return TextVerdict("", False, 0, 0.0, words, _ordered(hits))

    found = lex.find(norm)
    if not found:  # most blocks: no lexicon word at all, so only a lead-in could make a widget
        total = sum(len(t) for t in letters_re.findall(norm))
        residue = skip_re.sub(" ", norm)  # urls and @handles count as covered, as below
        left = sum(len(t) for t in letters_re.findall(residue) if not lex.is_filler(t))
        lead = words <= config.lead_in_max_words and lex.lead_in_matcher.match(norm) is not None
        return TextVerdict("related" if lead else "", False, 0, round(1.0 - left / total, 4) if total else 0.0,
                           words, (), lead_in=lead)
    covered = bytearray(len(norm))
    skipped = bytearray(len(norm))
    for m in skip_re.finditer(norm):  # urls and @handles: neither content nor evidence
        skipped[m.start():m.end()] = covered[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    hits: set[str] = set()
    weights = dict.fromkeys(CATEGORIES, 0)
    strong: set[str] = set()
    platforms: set[str] = set()
    evidence = False
    for start, end, key in found:
        categories, platform = table[key]
        hits.update(categories)
        if skipped[start]:
            continue
        evidence = True
        covered[start:end] = b"\x01" * (end - start)
        if categories[0] != PLATFORM:
            weights[categories[0]] += len(key)
        if key in lex.ambiguous:
            continue
        if categories[0] == PLATFORM:
            platforms.add(platform)
        else:
            strong.add(key)
    residue = "".join(" " if flag else ch for ch, flag in zip(norm, covered))
    left = sum(len(t) for t in letters_re.findall(residue) if not lex.is_filler(t))
    total = sum(len(t) for t in letters_re.findall(norm))
    coverage = 1.0 - left / total if total else 0.0
    is_covered = evidence and left == 0 and not code_re.search(norm)
    # A verb or phrase is strong evidence; so are two platforms ("Facebook Twitter"); one
    # platform name or ambiguous words ("Print", "X") are weak.
    strength = 2 * len(strong) + len(platforms)
    category = ""
    if is_covered:
        best = max(weights.values())
        category = next(c for c in _TIE_ORDER if weights[c] == best) if best else "share"
    verdict_lead = (not is_covered and words <= config.lead_in_max_words
                    and lex.lead_in_matcher.match(norm) is not None)
    if verdict_lead:
        category = "related"
    return TextVerdict(category, is_covered, strength, round(coverage, 4), words, _ordered(hits),
                       lead_in=verdict_lead,
                       platform_only=is_covered and not any(weights.values()))


_MEMO_MAX_CHARS = 64  # only labels are worth remembering across pages
_MEMO_MAX_ENTRIES = 50_000


def _scan_short(text: str, lex: Lexicon, config: WidgetConfig) -> TextVerdict:
    """``scan_text`` with short texts remembered on the lexicon across documents."""
    if len(text) > _MEMO_MAX_CHARS:
        return scan_text(text, lex, config)
    memo = lex.scan_memo
    key = (config, text)
    verdict = memo.get(key)
    if verdict is None:
        if len(memo) >= _MEMO_MAX_ENTRIES:
            memo.clear()
        verdict = memo[key] = scan_text(text, lex, config)
    return verdict


def widget_category(text: str, lexicon: Lexicon | None = None) -> str:
    """The widget category of ``text`` judged alone ("" for content); handy for quick checks."""
    verdict = scan_text(text, lexicon)
    return verdict.category if verdict.is_widget else ""


def _ordered(hits: set[str]) -> tuple[str, ...]:
    return tuple(c for c in (*CATEGORIES, PLATFORM) if c in hits)


def _link_evidence(block: Block, lex: Lexicon, seen: dict[str, int] | None = None) -> tuple[int, int]:
    """(share-endpoint links, links to a platform profile) among the block's links.

    ``seen`` memoises each href's kind (0 plain, 1 share endpoint, 2 profile) across a document.
    """
    seen = {} if seen is None else seen
    share = profile = 0
    for link in block.links:
        kind = seen.get(link.href)
        if kind is None:
            kind = seen[link.href] = _href_kind(link.href, lex)
        if kind == 1:
            share += 1
        elif kind == 2:
            profile += 1
    return share, profile


def _href_kind(href: str, lex: Lexicon) -> int:
    href = href.strip().lower()
    if not href or (href[0] in "/#?" and not href.startswith("//")):
        return 0  # empty, relative or same-page links point at no platform
    if lex.endpoint_matcher.search(href):
        return 1
    try:
        host = urlsplit(href).hostname or ""
    except ValueError:
        return 0
    host = host.removeprefix("www.")
    hosts = lex.host_platforms
    return 2 if host in hosts or (host.startswith("m.") and host[2:] in hosts) else 0


def _marker_category(tokens: Sequence[str], lex: Lexicon, seen: dict[str, str] | None = None) -> str:
    """The widget category named by the block's (or an ancestor's) class/id tokens, or "".

    ``seen`` memoises the verdict per token across the blocks of one document.
    """
    seen = {} if seen is None else seen
    for token in tokens:
        category = seen.get(token)
        if category is None:
            category = seen[token] = _token_marker(token, lex)
        if category:
            return category
    return ""


def _token_marker(token: str, lex: Lexicon) -> str:
    exact, prefixes = lex.marker_index
    if token in exact:
        return exact[token]
    prefix_re = lex.marker_prefix_matcher
    if prefix_re is not None:
        m = prefix_re.match(token)
        if m:
            return prefixes[m.group()]
    return ""


def annotate_widgets(doc: Document, lexicon: Lexicon | None = None,
                     config: WidgetConfig = DEFAULT_CONFIG) -> None:
    """Write the widget signals on every block of ``doc``; never changes text, order or count."""
    lex = lexicon if lexicon is not None else load_lexicon()
    verdicts: list[tuple[str, float]] = []
    scans: list[TextVerdict] = []
    shares: list[int] = []
    pending: list[int] = []  # covered by one weak word: a widget only beside another widget
    markers: dict[tuple[str, ...], str] = {}
    token_markers: dict[str, str] = {}
    scanned: dict[str, TextVerdict] = {}
    hrefs: dict[str, int] = {}
    for i, block in enumerate(doc.blocks):
        v = scanned.get(block.text)
        if v is None:  # menus and link lists repeat their labels: judge each text once
            v = scanned[block.text] = _scan_short(block.text, lex, config)
        share_links, profile_links = _link_evidence(block, lex, hrefs)
        scans.append(v)
        shares.append(share_links)
        marker = markers.get(block.class_tokens)
        if marker is None:  # blocks of one region share their ancestors' tokens: look up once
            marker = markers[block.class_tokens] = _marker_category(block.class_tokens, lex, token_markers)
        n_links = len(block.links)
        short = v.words <= config.max_words
        linky = block.link_density >= config.min_link_density
        category, score = "", 0.45 * v.coverage
        if v.covered and v.strength >= 2:
            category, score = v.category, 1.0
            if v.platform_only and profile_links and not share_links:
                category = "social"
        elif n_links and share_links == n_links and (linky or v.words <= config.max_label_words):
            category, score = "share", 1.0
        elif v.lead_in:
            category, score = "related", 0.8
        elif v.covered and (share_links or profile_links or marker):
            category = ("share" if share_links else "social" if profile_links and v.platform_only
                        else marker or v.category)
            score = 0.8
        elif marker and short and v.words and (linky or v.coverage >= 0.5):
            category, score = marker, 0.7
        elif v.covered:
            pending.append(i)
        verdicts.append((category, score))

    # Share buttons extracted as text often come one per line ("Share" / "Facebook" / "X"):
    # a lone platform name joins a widget run it touches, in either direction.
    for order in (pending, pending[::-1]):
        for i in order:
            if verdicts[i][0]:
                continue
            for j in (i - 1, i + 1):
                if 0 <= j < len(verdicts) and verdicts[j][0]:
                    verdicts[i] = (scans[i].category, 0.7)
                    break

    for block, (category, score), v, share_links in zip(doc.blocks, verdicts, scans, shares):
        block.signals["widget"] = category
        block.signals["widget_score"] = round(min(1.0, max(0.0, score)), 4)
        block.signals["lexicon_hits"] = v.hits
        block.signals["share_links"] = share_links
