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
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import regex

try:  # the parser of the standard engine, used to find the strings a share endpoint needs
    import re._constants as _sre_constants  # type: ignore[import-not-found]
    import re._parser as _sre_parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_constants
    import sre_parse as _sre_parser

from unboil._compiled import compiled
from unboil.detect.lexicon_loader import (
    ALPHA,
    CATEGORIES,
    FOLD_STRINGS,
    LEAD_IN_SEPARATORS,
    PLATFORM,
    UNBOUNDED,
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
        # urls, handles; no match holds a space, and each holds "@", "/" or "www." (the kernel
        # relies on both: see skip_stretches in _build_kernel)
        regex.compile(r"(?:https?://|www\.)\S+|\S+\.[a-z]{2,}/\S*|@[\w.]+"),
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
    return TextVerdict(*_scanner(lex, config)(fold(text)))


# A verdict as a plain tuple of TextVerdict's fields, in order: (category, covered, strength,
# coverage, words, hits, lead_in, platform_only). The detector works on these internally.
Fields = tuple[str, bool, int, float, int, tuple[str, ...], bool, bool]


def _scan_folded(norm: str, lex: Lexicon, config: WidgetConfig) -> Fields:
    """The reference scan of folded text, in pure Python; the compiled kernel must equal it."""
    words_re, letters_re, skip_re, code_re = _patterns()
    words = len(words_re.findall(norm))
    table = lex.table
    if words > config.max_words:
        hits = {c for _, _, key in lex.find(norm) for c in table[key][0]}
        return ("", False, 0, 0.0, words, _ordered(hits), False, False)

    found = lex.find(norm)
    if not found:  # most blocks: no lexicon word at all, so only a lead-in could make a widget
        total = sum(len(t) for t in letters_re.findall(norm))
        residue = skip_re.sub(" ", norm)  # urls and @handles count as covered, as below
        left = sum(len(t) for t in letters_re.findall(residue) if not lex.is_filler(t))
        lead = words <= config.lead_in_max_words and lex.lead_in_matcher.match(norm) is not None
        return ("related" if lead else "", False, 0, round(1.0 - left / total, 4) if total else 0.0,
                words, (), lead, False)
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
    return (category, is_covered, strength, round(coverage, 4), words, _ordered(hits),
            verdict_lead, is_covered and not any(weights.values()))


_KERNEL = compiled("detect._widgets")


def _char_class(ch: str) -> int:
    """Class bits of one character for the compiled kernel, decided by the very regex classes
    the pure-Python scan uses (so both agree on every code point)."""
    cjk = r"\p{Han}\p{Hiragana}\p{Katakana}"
    bits = 0
    for bit, pattern in ((2, rf"[^\W{cjk}]"), (4, rf"[{cjk}]"), (8, ALPHA),
                         (16, f"[{UNBOUNDED}]"), (32, r"[\p{L}\p{M}]")):
        if _class_re(pattern).fullmatch(ch):
            bits |= bit
    if ch in LEAD_IN_SEPARATORS:
        bits |= 64
    return bits


@functools.cache
def _class_re(pattern: str) -> Any:
    return regex.compile(pattern)


def _scanner(lex: Lexicon, config: WidgetConfig, kernel: Any = None) -> Any:
    """A function folded text -> verdict fields for ``lex`` and ``config``: the compiled kernel
    when built (or the one passed), else the pure-Python reference. Cached on the lexicon."""
    kernel = kernel if kernel is not None else _KERNEL
    if kernel is not None:
        return _kernel_scanner(lex, config, kernel).scan
    cache = lex.scan_cache
    key = (config, None)
    scan = cache.get(key)
    if scan is None:
        scan = cache[key] = functools.partial(_scan_folded, lex=lex, config=config)
    return scan


def _thread_cache(lex: Lexicon) -> dict[Any, Any]:
    """This thread's cache on ``lex``: the compiled ``Scanner`` and ``Annotator`` reuse buffers
    from call to call, so each thread gets its own (a ``Cleaner`` may be shared by threads)."""
    local = lex.scan_cache.get("threads")
    if local is None:
        local = lex.scan_cache.setdefault("threads", threading.local())
    cache = getattr(local, "cache", None)
    if cache is None:
        cache = local.cache = {}
    return cache


def _kernel_scanner(lex: Lexicon, config: WidgetConfig, kernel: Any) -> Any:
    """The compiled ``Scanner`` for ``lex`` and ``config``, cached per thread on the lexicon."""
    cache = _thread_cache(lex)
    key = (config, id(kernel))
    scanner = cache.get(key)
    if scanner is None:
        scanner = cache[key] = _build_kernel(kernel, lex, config)
    return scanner


def _build_kernel(kernel: Any, lex: Lexicon, config: WidgetConfig) -> Any:
    """The compiled ``Scanner`` for ``lex`` and ``config``."""
    _, _, skip_re, code_re = _patterns()
    kernel.set_classifier(_char_class)
    index, _ = lex.token_index
    # A lead-in opening with a letter or digit of a delimited script must be the text's first
    # token in full (its trie ends on a word boundary); any other must share the first character.
    alpha = _class_re(ALPHA + "+")
    lead_tokens: set[str] = set()
    lead_first: set[str] = set()
    for key in lex.lead_ins:
        head = alpha.match(key)
        if head:
            lead_tokens.add(head.group())
        elif key:
            lead_first.update(" -" if key[0] == " " else key[0])
    matcher = lex.matcher
    return kernel.Scanner(
        index=index,
        table=lex.table, ambiguous=lex.ambiguous, fillers=lex.fillers, is_filler=lex.is_filler,
        skip_re=skip_re, code_re=code_re, lead_re=lex.lead_in_matcher,
        lead_tokens=frozenset(lead_tokens), lead_first=frozenset(lead_first),
        cjk_find=None if matcher is None else lex.find_unbounded,
        platform=PLATFORM, categories=CATEGORIES, tie_order=_TIE_ORDER,
        max_words=config.max_words, lead_max=config.lead_in_max_words,
        skip_stretches=True)  # skip_re matches hold no space and one of "@", "/", "www."


_MEMO_MAX_CHARS = 64  # only labels are worth remembering across pages
_MEMO_MAX_ENTRIES = 50_000


def widget_category(text: str, lexicon: Lexicon | None = None) -> str:
    """The widget category of ``text`` judged alone ("" for content); handy for quick checks."""
    verdict = scan_text(text, lexicon)
    return verdict.category if verdict.is_widget else ""


def _ordered(hits: set[str]) -> tuple[str, ...]:
    return tuple(c for c in (*CATEGORIES, PLATFORM) if c in hits)


def _link_evidence(block: Block, lex: Lexicon, seen: dict[str, int] | None = None,
                   prefilter: Any = None) -> tuple[int, int]:
    """(share-endpoint links, links to a platform profile) among the block's links.

    ``seen`` memoises each href's kind (0 plain, 1 share endpoint, 2 profile) across a document;
    ``prefilter`` (see ``_href_prefilter``) settles most plain links without the regexes.
    """
    seen = {} if seen is None else seen
    share = profile = 0
    for link in block.links:
        kind = seen.get(link.href)
        if kind is None:
            kind = seen[link.href] = _href_kind(link.href, lex, prefilter)
        if kind == 1:
            share += 1
        elif kind == 2:
            profile += 1
    return share, profile


def _href_kind(href: str, lex: Lexicon, prefilter: Any = None) -> int:
    href = href.strip().lower()
    if not href or (href[0] in "/#?" and not href.startswith("//")):
        return 0  # empty, relative or same-page links point at no platform
    if prefilter is not None and not prefilter(href):
        return 0  # none of the strings an endpoint or a platform host needs: plain
    if lex.endpoint_matcher.search(href):
        return 1
    try:
        host = urlsplit(href).hostname or ""
    except ValueError:
        return 0
    host = host.removeprefix("www.")
    hosts = lex.host_platforms
    return 2 if host in hosts or (host.startswith("m.") and host[2:] in hosts) else 0


def _href_prefilter(lex: Lexicon, kernel: Any) -> Any:
    """A function href -> False when the href can be neither a share endpoint nor a platform
    profile, or None when no such shortcut is available (no kernel, or an endpoint pattern
    whose required strings cannot be worked out). Cached on the lexicon.

    Every match of an endpoint pattern contains one of the pattern's required strings, and a
    profile link's host contains a platform host; a link with none of them is plain.
    """
    literal_filter = _href_filter(lex, kernel)
    return None if literal_filter is None else literal_filter.may_contain


def _href_filter(lex: Lexicon, kernel: Any) -> Any:
    """The kernel's ``LiteralFilter`` over the strings of ``_href_prefilter`` (None without)."""
    if kernel is None:
        return None
    cache = lex.scan_cache
    key = ("href", id(kernel))
    if key in cache:
        return cache[key]
    literals = set(lex.host_platforms)
    usable = isinstance(lex.endpoint_matcher, re.Pattern)
    for pattern in lex.share_endpoints if usable else ():
        factors = _required_strings(pattern)
        if factors is None or min(map(len, factors), default=0) < 2:
            usable = False
            break
        literals.update(factors)
    if min(map(len, literals), default=0) < 2:
        usable = False
    cache[key] = kernel.LiteralFilter(sorted(literals)) if usable else None
    return cache[key]


class _HrefPlan:
    """``_href_kind`` for links that passed the kernel's filter: only the endpoint patterns whose
    required strings occur are searched, and urlsplit runs only when a platform host occurs.

    Each pattern alone finds a match exactly when the joined ``endpoint_matcher`` does through
    it, as no pattern refers to a group by number (checked when the plan is built).
    """

    def __init__(self, lex: Lexicon, kernel: Any, factors: list[frozenset[str]]) -> None:
        self.lex = lex
        self.patterns = [re.compile(p) for p in lex.share_endpoints]
        # every required set of each pattern: a pattern runs only when each set has a member
        self.checks = {id(compiled): _required_string_sets(p)
                       for compiled, p in zip(self.patterns, lex.share_endpoints)}
        # a pattern that is only literal alternatives (maybe after "^") needs no regex at all
        self.literal_forms = {id(compiled): _literal_form(p)
                              for compiled, p in zip(self.patterns, lex.share_endpoints)}
        self.by_literal: dict[str, list[Any]] = {}
        for pattern, strings in zip(self.patterns, factors):
            for literal in strings:
                self.by_literal.setdefault(literal, []).append(pattern)
        self.endpoints = kernel.LiteralFilter(sorted(self.by_literal))
        self.hosts = kernel.LiteralFilter(sorted(lex.host_platforms))

    def kind(self, href: str) -> int:
        """0 plain, 1 share endpoint, 2 platform profile; as ``_href_kind(href, lex)``."""
        href = href.strip().lower()
        if not href or (href[0] in "/#?" and not href.startswith("//")):
            return 0
        tried: set[int] = set()
        for literal in self.endpoints.found(href):
            for pattern in self.by_literal.get(literal, ()):
                if id(pattern) not in tried:
                    tried.add(id(pattern))
                    form = self.literal_forms[id(pattern)]
                    if form is not None:
                        anchored, strings = form
                        if href.startswith(strings) if anchored else any(x in href for x in strings):
                            return 1
                    elif all(any(f in href for f in needed) for needed in self.checks[id(pattern)]) \
                            and pattern.search(href):
                        return 1
        if not self._may_be_platform_host(href):
            return 0
        try:
            host = urlsplit(href).hostname or ""
        except ValueError:
            return 0
        host = host.removeprefix("www.")
        hosts = self.lex.host_platforms
        return 2 if host in hosts or (host.startswith("m.") and host[2:] in hosts) else 0


    def _may_be_platform_host(self, href: str) -> bool:
        """False when urlsplit cannot find a platform host (bare or after "www."/"m.") in
        ``href``: such a host sits between "/", "@", "[" or "." and ":", "/", "?", "#", "]" or
        the end. Tabs and line breaks (which urlsplit drops) always answer True."""
        if "\t" in href or "\n" in href or "\r" in href:
            return True
        n = len(href)
        for host in self.hosts.found(href):
            start = href.find(host)
            while start >= 0:
                end = start + len(host)
                if start and href[start - 1] in "/@[." and (end == n or href[end] in ":/?#]"):
                    return True
                start = href.find(host, start + 1)
        return False


def _href_plan(lex: Lexicon, kernel: Any) -> _HrefPlan | None:
    """The ``_HrefPlan`` for ``lex`` (None when a pattern's required strings are unknown, a
    pattern refers to groups by number, or the patterns need the ``regex`` engine). Cached."""
    if kernel is None:
        return None
    cache = lex.scan_cache
    key = ("href plan", id(kernel))
    if key in cache:
        return cache[key]
    plan = None
    if isinstance(lex.endpoint_matcher, re.Pattern) and lex.share_endpoints:
        factors = [_required_strings(p) for p in lex.share_endpoints]
        if all(f and min(map(len, f)) >= 2 for f in factors) and not any(
                _refers_to_groups(p) for p in lex.share_endpoints) and all(
                len(h) >= 2 for h in lex.host_platforms):
            plan = _HrefPlan(lex, kernel, factors)  # type: ignore[arg-type]
    cache[key] = plan
    return plan


def _refers_to_groups(pattern: str) -> bool:
    """True when ``pattern`` has a backreference or a conditional on a group."""
    refs = (_sre_constants.GROUPREF, _sre_constants.GROUPREF_EXISTS)

    def walk(items: Any) -> bool:
        for op, av in items:
            if op in refs:
                return True
            for part in av if isinstance(av, (tuple, list)) else ():
                if isinstance(part, _sre_parser.SubPattern) and walk(part):
                    return True
                if isinstance(part, list) and any(
                        isinstance(x, _sre_parser.SubPattern) and walk(x) for x in part):
                    return True
        return False

    try:
        return walk(_sre_parser.parse(pattern))
    except Exception:  # noqa: BLE001 - unparsable: be safe
        return True


_MAX_FACTORS = 32


def _required_strings(pattern: str) -> frozenset[str] | None:
    """Strings of which every match of ``pattern`` (a ``re`` pattern) contains at least one,
    chosen to be as long as possible; None when the pattern offers no such guarantee."""
    try:
        tree = _sre_parser.parse(pattern)
    except Exception:  # noqa: BLE001 - anything unparsable simply gets no shortcut
        return None
    if tree.state.flags & re.IGNORECASE:
        return None
    return _need(list(tree))


def _literals(op: Any, av: Any) -> set[str] | None:
    """The finite set of strings one parsed item matches, or None when not a small literal set."""
    if op is _sre_constants.LITERAL:
        return {chr(av)}
    if op is _sre_constants.IN:
        if all(o is _sre_constants.LITERAL for o, _ in av):
            return {chr(c) for _, c in av}
        return None
    if op is _sre_constants.SUBPATTERN:
        _, add_flags, _, sub = av
        return None if add_flags & re.IGNORECASE else _sequence_literals(list(sub))
    if op is _sre_constants.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            strings = _sequence_literals(list(alt))
            if strings is None:
                return None
            out |= strings
            if len(out) > _MAX_FACTORS:
                return None
        return out
    return None


def _sequence_literals(items: list[Any]) -> set[str] | None:
    out = {""}
    for op, av in items:
        strings = _literals(op, av)
        if strings is None or len(out) * len(strings) > _MAX_FACTORS:
            return None
        out = {a + b for a in out for b in strings}
    return out


def _need(items: list[Any]) -> frozenset[str] | None:
    """Required strings of a sequence of parsed items: the best of ``_need_all``."""
    candidates = _need_all(items)
    if not candidates:
        return None
    return max(candidates, key=lambda c: min(map(len, c)))


def _need_all(items: list[Any]) -> list[frozenset[str]]:
    """Every set of strings a match of this sequence of parsed items must contain one of: its
    literal stretches, and what its groups, branches and repeats require."""
    candidates: list[frozenset[str]] = []
    current = {""}
    for op, av in items:
        strings = _literals(op, av)
        if strings is not None and len(current) * len(strings) <= _MAX_FACTORS:
            current = {a + b for a in current for b in strings}
            continue
        if current != {""}:
            candidates.append(frozenset(current))
        current = {""}
        inner: frozenset[str] | None = None
        if op is _sre_constants.SUBPATTERN and not av[1] & re.IGNORECASE:
            inner = _need(list(av[3]))
        elif op is _sre_constants.BRANCH:
            parts = [_need(list(alt)) for alt in av[1]]
            if all(p is not None for p in parts):
                inner = frozenset().union(*parts)  # type: ignore[arg-type]
        elif op in (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT) and av[0] >= 1:
            inner = _need(list(av[2]))
        if inner:
            candidates.append(inner)
    if current != {""}:
        candidates.append(frozenset(current))
    return candidates


def _literal_form(pattern: str) -> tuple[bool, tuple[str, ...]] | None:
    """(anchored, strings) when ``pattern`` matches exactly the strings of a finite set, at the
    start of the text when anchored ("^") or anywhere; None for any other pattern."""
    try:
        tree = _sre_parser.parse(pattern)
    except Exception:  # noqa: BLE001 - anything unparsable simply gets no shortcut
        return None
    if tree.state.flags & re.IGNORECASE:
        return None
    items = list(tree)
    anchored = bool(items) and items[0][0] is _sre_constants.AT and items[0][1] in (
        _sre_constants.AT_BEGINNING, _sre_constants.AT_BEGINNING_STRING)
    strings = _sequence_literals(items[1:] if anchored else items)
    if strings is None:
        return None
    return anchored, tuple(sorted(strings))


def _required_string_sets(pattern: str) -> list[frozenset[str]]:
    """All the string sets of ``_need_all`` for a ``re`` pattern (each one is required on its
    own: a match contains a member of every set); [] when unknown."""
    try:
        tree = _sre_parser.parse(pattern)
    except Exception:  # noqa: BLE001 - anything unparsable simply gets no shortcut
        return []
    if tree.state.flags & re.IGNORECASE:
        return []
    return _need_all(list(tree))


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


_MARKER_MEMO_MAX = 200_000


def _markers_of(tokens: tuple[str, ...], lex: Lexicon, known: set[str],
                named: dict[str, str]) -> str:
    """``_marker_category`` with set operations: ``known`` holds every token already looked
    up, ``named`` those that name a category (both kept across pages, bounded)."""
    if not known.issuperset(tokens):
        if len(known) >= _MARKER_MEMO_MAX:
            known.clear()
            named.clear()
        for token in set(tokens).difference(known):
            category = _token_marker(token, lex)
            known.add(token)
            if category:
                named[token] = category
    if named.keys().isdisjoint(tokens):
        return ""
    for token in tokens:
        found = named.get(token)
        if found:
            return found
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
    _annotate(doc, lex, config, _KERNEL)


def _href_kind_function(lex: Lexicon, kernel: Any) -> Any:
    """``_href_kind`` for ``lex`` as fast as available (the plan, else the prefiltered one)."""
    plan = _href_plan(lex, kernel)
    if plan is not None:
        return plan.kind
    return functools.partial(_href_kind, lex=lex, prefilter=_href_prefilter(lex, kernel))


def _annotator(lex: Lexicon, config: WidgetConfig, kernel: Any) -> Any:
    """The compiled ``Annotator`` (the loop of ``_annotate``) for ``lex`` and ``config``, cached
    per thread."""
    cache = _thread_cache(lex)
    key = ("annotator", config, id(kernel))
    annotator = cache.get(key)
    if annotator is None:
        annotator = cache[key] = kernel.Annotator(
            _kernel_scanner(lex, config, kernel), fold=fold,
            fold_strings=FOLD_STRINGS, normalize=unicodedata.normalize,
            href_kind=_href_kind_function(lex, kernel),
            href_filter=_href_filter(lex, kernel),
            token_marker=functools.partial(_token_marker, lex=lex),
            marker_exact=lex.marker_index[0], marker_prefixes=list(lex.marker_index[1].items()),
            min_link_density=config.min_link_density,
            max_label_words=config.max_label_words, memo_max_chars=_MEMO_MAX_CHARS,
            memo_max_entries=_MEMO_MAX_ENTRIES)
    return annotator


def _annotate(doc: Document, lex: Lexicon, config: WidgetConfig, kernel: Any) -> None:
    """``annotate_widgets`` with the scan chosen explicitly (``kernel`` None: pure Python), so a
    test can run both paths in one process."""
    memos = lex.scan_memo
    if kernel is not None:
        annotator = _annotator(lex, config, kernel)
        key = ("verdicts", config, id(kernel))  # shared by the threads' annotators
        memo = memos.get(key)
        if memo is None:
            memo = memos.setdefault(key, {})
        named = memos.get("token_markers")
        if named is None:
            named = memos["token_markers"] = {}
        annotator.annotate(doc.blocks, memo, named)
        return
    scan = _scanner(lex, config, kernel)
    memo = memos.get(scan)
    if memo is None:
        memo = memos[scan] = {}
    marker_memo = memos.get("markers")
    if marker_memo is None:
        marker_memo = memos["markers"] = (set(), {})
    known_tokens, named_tokens = marker_memo
    prefilter = _href_prefilter(lex, kernel)
    max_words, max_label_words = config.max_words, config.max_label_words
    min_link_density = config.min_link_density
    blocks = doc.blocks
    verdicts: list[tuple[str, float]] = []
    scans: list[Fields] = []
    shares: list[int] = []
    pending: list[int] = []  # covered by one weak word: a widget only beside another widget
    markers: dict[tuple[str, ...], str] = {}
    scanned: dict[str, Fields] = {}
    hrefs: dict[str, int] = {}
    for i, block in enumerate(blocks):
        text = block.text
        v = scanned.get(text)
        if v is None:  # menus and link lists repeat their labels: judge each text once
            if len(text) <= _MEMO_MAX_CHARS:  # short labels recur across pages too
                v = memo.get(text)
                if v is None:
                    if len(memo) >= _MEMO_MAX_ENTRIES:
                        memo.clear()
                    v = memo[text] = scan(fold(text))
            else:
                v = scan(fold(text))
            scanned[text] = v
        scans.append(v)
        v_category, v_covered, v_strength, v_coverage, v_words, _, v_lead_in, v_platform_only = v
        n_links = len(block.links)
        if n_links:
            share_links, profile_links = _link_evidence(block, lex, hrefs, prefilter)
        else:
            share_links = profile_links = 0
        shares.append(share_links)
        if v_covered and v_strength >= 2:
            category, score = v_category, 1.0
            if v_platform_only and profile_links and not share_links:
                category = "social"
        elif n_links and share_links == n_links and (block.link_density >= min_link_density
                                                     or v_words <= max_label_words):
            category, score = "share", 1.0
        elif v_lead_in:
            category, score = "related", 0.8
        else:
            category, score = "", 0.45 * v_coverage
            # blocks of one region share their ancestors' tokens: look each tuple up once
            tokens = block.class_tokens
            if not tokens:
                marker = ""
            else:
                marker = markers.get(tokens)
                if marker is None:
                    marker = markers[tokens] = _markers_of(tokens, lex, known_tokens, named_tokens)
            if v_covered and (share_links or profile_links or marker):
                category = ("share" if share_links else
                            "social" if profile_links and v_platform_only else marker or v_category)
                score = 0.8
            elif (marker and v_words <= max_words and v_words
                  and (block.link_density >= min_link_density or v_coverage >= 0.5)):
                category, score = marker, 0.7
            elif v_covered:
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
                    verdicts[i] = (scans[i][0], 0.7)
                    break

    for block, (category, score), v, share_links in zip(blocks, verdicts, scans, shares):
        signals = block.signals
        signals["widget"] = category
        signals["widget_score"] = round(min(1.0, max(0.0, score)), 4)
        signals["lexicon_hits"] = v[5]
        signals["share_links"] = share_links
