"""Page-at-once evaluation of matchers: each check filters a list of block positions.

The engine's reference path tests every rule on every block, one predicate call at a time. Here a
rule's checks run in the same order, but each check takes the positions that passed the previous
ones and returns those where it holds too, reading per-page columns and inverted indexes that are
built once per document and shared by every rule. Each selector below gives exactly the answer of
the matcher's predicate (``unboil.rules.matchers``) on every position; a matcher without one (or
whose predicate was replaced) falls back to calling its predicate position by position.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from unboil._compiled import compiled
from unboil.document import Block
from unboil.rules import matchers as _m
from unboil.rules.matchers import MATCHERS, MatchContext, Predicate
from unboil.rules.prefilter import (
    MAX_TEXT,
    LeadFilter,
    compile_prefilter,
    compile_union,
    lead_filter,
    prefilter_parts,
)

#: positions (ascending) of the blocks a check still considers; None means every block
Positions = list[int]
Selector = Callable[[Any, "Positions | None", "Page"], Positions]


class Page:
    """Per-document columns and indexes for one ``decide`` call, built lazily and memoised."""

    __slots__ = ("blocks", "ctx", "memo", "n", "signals")

    def __init__(self, blocks: list[Block], ctx: MatchContext) -> None:
        self.blocks = blocks
        self.n = len(blocks)
        self.ctx = ctx
        self.signals = _signals_of(blocks)
        self.memo: dict[Hashable, Any] = {}

    def all(self) -> Positions:
        """Every position, in order."""
        found = self.memo.get("all")
        if found is None:
            found = self.memo["all"] = list(range(self.n))
        return found

    def column(self, key: Hashable, build: Callable[[Page], Any]) -> Any:
        """The memoised value of ``build(self)`` under ``key``."""
        found = self.memo.get(key, _MISSING)
        if found is _MISSING:
            found = self.memo[key] = build(self)
        return found


_MISSING = object()


def _signals_of_blocks(blocks: list[Block]) -> list[dict[str, Any]]:
    """Every block's signals dict, in order."""
    return [b.signals for b in blocks]


def _keep(cands: Positions | None, page: Page, hits: set[int] | frozenset[int]) -> Positions:
    """The candidates found in ``hits``, in order."""
    if cands is None:
        return sorted(hits)
    return [p for p in cands if p in hits]


def _fallback(predicate: Predicate) -> Selector:
    """The selector that calls ``predicate`` position by position (one per predicate: a rule set
    of many rules of one matcher, such as an EasyList import, shares it)."""
    found = _FALLBACKS.get(predicate)
    if found is None:
        found = _FALLBACKS[predicate] = _make_fallback(predicate)
    return found


_FALLBACKS: dict[Predicate, Selector] = {}


def _make_fallback(predicate: Predicate) -> Selector:
    def select(value: Any, cands: Positions | None, page: Page) -> Positions:
        blocks, ctx = page.blocks, page.ctx
        return [p for p in (page.all() if cands is None else cands) if predicate(value, blocks[p], p, ctx)]

    return select


# ---------------------------------------------------------------- columns


def _number_column(name: str) -> Callable[[Page], list[Any]]:
    def build(page: Page) -> list[Any]:
        out: list[Any] = []
        for signals in page.signals:
            value = signals.get(name)
            out.append(None if isinstance(value, bool) or not isinstance(value, (int, float)) else value)
        return out

    return build


def _words_column(page: Page) -> list[int]:
    words = page.ctx.words
    return [words(b) for b in page.blocks]


def _chars_column(page: Page) -> list[int]:
    return [_m._chars(b) for b in page.blocks]


def _flag_index(name: str) -> Callable[[Page], tuple[frozenset[int], frozenset[int]]]:
    """Positions where the signal is present and truthy, and where it is present and falsy."""

    def build(page: Page) -> tuple[frozenset[int], frozenset[int]]:
        true: list[int] = []
        false: list[int] = []
        for p, signals in enumerate(page.signals):
            value = signals.get(name)
            if value is not None:
                (true if value else false).append(p)
        return frozenset(true), frozenset(false)

    return build


def _item_index(
    read: Callable[[Block], Any], whole_strings: bool = True
) -> Callable[[Page], dict[Any, set[int]] | None]:
    """item -> positions whose value (a string, or an iterable of items) holds that item.

    With ``whole_strings`` a string value is one item, else it is iterated like any other value.

    None when a value cannot be indexed (an unhashable item): the caller then falls back.
    """

    def build(page: Page) -> dict[Any, set[int]] | None:
        index: dict[Any, set[int]] = {}
        try:
            for p, block in enumerate(page.blocks):
                present = read(block)
                if not whole_strings:
                    for item in present:
                        index.setdefault(item, set()).add(p)
                elif isinstance(present, str):
                    index.setdefault(present, set()).add(p)
                elif present:
                    for item in present:
                        index.setdefault(item, set()).add(p)
        except TypeError:
            return None
        return index

    return build


# ---------------------------------------------------------------- selectors


def _compare(column_key: Hashable, build: Callable[[Page], list[Any]], at_least: bool) -> Selector:
    def select(value: Any, cands: Positions | None, page: Page) -> Positions:
        col = page.column(column_key, build)
        if cands is None:
            cands = page.all()
        if at_least:
            return [p for p in cands if (v := col[p]) is not None and v >= value]
        return [p for p in cands if (v := col[p]) is not None and v <= value]

    return select


def _flag(name: str) -> Selector:
    key = ("flag", name)
    build = _flag_index(name)

    def select(value: Any, cands: Positions | None, page: Page) -> Positions:
        if cands is not None:  # only the candidates: bool() of an odd signal may raise
            signals = page.signals
            return [
                p for p in cands if (s := signals[p].get(name)) is not None and bool(s) == value
            ]
        true, false = page.column(key, build)
        return sorted(true if value else false)

    return select


def _any_in(
    key: Hashable, read: Callable[[Block], Any], predicate: Predicate, whole_strings: bool = True
) -> Selector:
    build = _item_index(read, whole_strings)
    slow = _fallback(predicate)

    def select(value: tuple[Any, ...], cands: Positions | None, page: Page) -> Positions:
        index = page.column(key, build)
        if index is None:
            return slow(value, cands, page)
        found = [index[item] for item in value if item in index]
        if not found:
            return []
        hits = found[0] if len(found) == 1 else set().union(*found)
        return _keep(cands, page, hits)

    return select


def _class_tokens_select(value: Any, cands: Positions | None, page: Page) -> Positions:
    """Positions whose class/id tokens hold one of ``value``'s tokens.

    Not an index of every token (a page has thousands of them, and a rule asks for a few): each
    block's tokens are tested against the rule's set, once per distinct tuple object, since the
    blocks of one element share theirs.
    """
    try:
        wanted = frozenset(value)
    except TypeError:
        return _fallback(MATCHERS["class_tokens"].predicate)(value, cands, page)
    blocks = page.blocks
    seen: dict[int, bool] = {}
    out: list[int] = []
    try:
        if wanted.isdisjoint(page.column(("class_tokens", "all"), _all_class_tokens)):
            return out  # the usual case: no block of the page carries any of them
        for p in range(len(blocks)) if cands is None else cands:
            tokens = blocks[p].class_tokens
            hit = seen.get(id(tokens))
            if hit is None:
                hit = seen[id(tokens)] = not wanted.isdisjoint(tokens)
            if hit:
                out.append(p)
    except TypeError:  # an unhashable token: the plain predicate decides
        return _fallback(MATCHERS["class_tokens"].predicate)(value, cands, page)
    return out


def _all_class_tokens(page: Page) -> set[Any]:
    """Every class/id token on the page (each distinct tuple object read once)."""
    everything: set[Any] = set()
    seen: set[int] = set()
    for block in page.blocks:
        tokens = block.class_tokens
        if id(tokens) not in seen:
            seen.add(id(tokens))
            everything.update(tokens)
    return everything


def _signal_reader(name: str) -> Callable[[Block], Any]:
    return lambda block: block.signals.get(name)


def _widget_select(value: Any, cands: Positions | None, page: Page) -> Positions:
    index = page.column(("item", "widget"), _widget_index)
    if value is True:
        hits = index[1]
    elif value is False:
        hits = index[0].get("", frozenset())
    else:
        found = [index[0][c] for c in value if c in index[0]]
        if not found:
            return []
        hits = found[0] if len(found) == 1 else set().union(*found)
    return _keep(cands, page, hits)


def _widget_index(page: Page) -> tuple[dict[str, set[int]], set[int]]:
    """category -> positions for string ``widget`` signals, and the positions with a category."""
    by: dict[str, set[int]] = {}
    named: set[int] = set()
    for p, signals in enumerate(page.signals):
        category = signals.get("widget")
        if isinstance(category, str):
            by.setdefault(category, set()).add(p)
            if category != "":
                named.add(p)
    return by, named


def _repeated_select(value: Any, cands: Positions | None, page: Page) -> Positions:
    col = page.column(("num", "repeat_size"), _number_column("repeat_size"))
    if cands is None:
        cands = page.all()
    return [p for p in cands if (v := col[p]) is not None and (v > 1) == value]


def _tag_select(value: Any, cands: Positions | None, page: Page) -> Positions:
    col = page.column("tag", lambda pg: [b.tag.lower() for b in pg.blocks])
    return [p for p in (page.all() if cands is None else cands) if col[p] in value]


def _bullet_select(value: Any, cands: Positions | None, page: Page) -> Positions:
    col = page.column("bullet", lambda pg: [bool(b.bullet) for b in pg.blocks])
    return [p for p in (page.all() if cands is None else cands) if col[p] == value]


def _link_density(at_least: bool) -> Selector:
    def build(page: Page) -> list[float]:
        return [b.link_density for b in page.blocks]

    def select(value: Any, cands: Positions | None, page: Page) -> Positions:
        col = page.column("link_density", build)
        if cands is None:
            cands = page.all()
        if at_least:
            return [p for p in cands if col[p] >= value]
        return [p for p in cands if col[p] <= value]

    return select


class RegexCheck:
    """A ``text_regex`` check: the rule's compiled pattern, its untimed prefilter (see
    ``unboil.rules.prefilter``) and the union of the prefilters of every regex rule of the rule
    set with the same flags, which one search per text answers for all of them when none match.
    ``lead`` is the lead filter (``prefilter.LeadFilter``) of the union, or of the prefilter when
    there is no union: it rules most texts out without a search call.
    """

    __slots__ = ("lead", "own_lead", "parts", "pattern", "prefilter", "union")

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern
        self.parts = prefilter_parts(pattern)
        self.prefilter = None if self.parts is None else compile_prefilter(pattern)
        self.union: Any = None
        self.lead: LeadFilter | None = None
        if self.parts is not None:
            self.lead = lead_filter(self.prefilter, [self.parts[1]], self.parts[0])
        self.own_lead = self.lead  # the prefilter's own, asked after the union's says maybe


def share_prefilters(checks: list[RegexCheck]) -> None:
    """Give checks whose prefilters have the same flags one union pattern of all of them."""
    by_flags: dict[str, list[RegexCheck]] = {}
    for check in checks:
        if check.parts is not None and check.prefilter is not None:
            by_flags.setdefault(check.parts[0], []).append(check)
    for group in by_flags.values():
        distinct = {id(c.pattern): c for c in group}
        if len(distinct) > 1:
            parts: list[tuple[str, str]] = [c.parts for c in distinct.values()]  # type: ignore[misc]
            union = compile_union(parts)
            lead = None if union is None else lead_filter(union, [b for _, b in parts], parts[0][0])
            for check in group:
                check.union = union
                if union is not None:
                    check.lead = lead


def _regex_select(check: RegexCheck, cands: Positions | None, page: Page) -> Positions:
    # the same text gives the same answer: search each distinct text once per page (a search cut
    # short by the regex limits is not remembered, so a later copy is tried again). A text the
    # untimed prefilter rejects cannot match the whole pattern (see unboil.rules.prefilter);
    # the union of all prefilters, asked once per text, rejects most texts for every rule.
    pattern = check.pattern
    blocks, ctx = page.blocks, page.ctx
    memo = page.memo
    seen: dict[str, bool] = memo.setdefault(("regex", id(pattern)), {})
    holds = _m._regex_holds
    quick = check.prefilter.search if check.prefilter is not None else None
    union = check.union
    lead = check.lead.may_match if check.lead is not None else None
    own_lead = check.own_lead.may_match if check.own_lead is not None else None
    if union is not None:
        any_seen: dict[str, bool] = memo.setdefault(("union", id(union)), {})
        any_search = union.search
    longest = MAX_TEXT
    out: list[int] = []
    for p in page.all() if cands is None else cands:
        block = blocks[p]
        text = block.text
        found = seen.get(text)
        if found is None:
            if quick is not None and len(text) <= longest:
                if union is not None:
                    maybe = any_seen.get(text)
                    if maybe is None:
                        maybe = any_seen[text] = (lead is None or lead(text)) and (
                            any_search(text) is not None)
                    if not maybe or own_lead is not None and not own_lead(text):
                        found = False
                elif lead is not None and not lead(text):
                    found = False
                if found is None and quick(text) is None:
                    found = False
            if found is None:
                found = holds(pattern, block, p, ctx)
                if ctx.timed_out:  # not evaluated: the rule's safe answer, not remembered
                    ctx.timed_out = False
                    if found:
                        out.append(p)
                    continue
            seen[text] = found
        if found:
            out.append(p)
    return out


def _compiled_selectors(kernel: Any) -> dict[str, Selector]:
    """The selectors the compiled kernel runs over per-page columns of the signal dicts."""

    def _compiled_lead(lead: LeadFilter | None) -> Any:
        if lead is None:
            return None
        if lead.kernel is None:
            try:
                lead.kernel = kernel.Lead(lead)
            except ValueError:  # too many distinct atoms for its tables
                lead.kernel = False
        return lead.kernel or None

    def column(page: Page, name: str) -> list[Any]:
        key = ("column", name)
        found = page.memo.get(key)
        if found is None:
            found = page.memo[key] = kernel.signal_column(page.signals, name)
        return found  # type: ignore[no-any-return]

    def flag(name: str) -> Selector:
        def select(value: Any, cands: Positions | None, page: Page) -> Positions:
            return kernel.flag_select(column(page, name), value, cands)  # type: ignore[no-any-return]

        return select

    def number(name: str, op: int) -> Selector:
        def select(value: Any, cands: Positions | None, page: Page) -> Positions:
            return kernel.number_select(column(page, name), value, cands, op)  # type: ignore[no-any-return]

        return select

    def any_in(name: str) -> Selector:
        def masks(page: Page) -> Any:
            return kernel.item_masks(column(page, name))

        def select(value: Any, cands: Positions | None, page: Page) -> Positions:
            masked = page.column(("masks", name), masks)
            if masked is not None:
                try:
                    return kernel.masked_select(masked[0], masked[1], value, cands)  # type: ignore[no-any-return]
                except TypeError:  # an unhashable item in the rule's value
                    pass
            return kernel.any_in_select(column(page, name), value, cands)  # type: ignore[no-any-return]

        return select

    def words_of(page: Page) -> list[int]:
        return kernel.words_column(page.blocks, column(page, "words"), page.ctx.words)  # type: ignore[no-any-return]

    def words(at_least: bool) -> Selector:
        def select(value: Any, cands: Positions | None, page: Page) -> Positions:
            return kernel.compare_select(page.column("words", words_of), value, cands, at_least)  # type: ignore[no-any-return]

        return select

    def widget(value: Any, cands: Positions | None, page: Page) -> Positions:
        return kernel.widget_select(column(page, "widget"), value, cands)  # type: ignore[no-any-return]

    def regex(check: RegexCheck, cands: Positions | None, page: Page) -> Positions:
        memo = page.memo
        union = check.union
        known = memo.get(("regex", id(check.pattern)))
        if known is None:
            known = memo[("regex", id(check.pattern))] = {}
        any_known = memo.get(("union", id(union)))
        if any_known is None:
            any_known = memo[("union", id(union))] = {}
        lead_known = memo.get(("lead", id(check.lead)))
        if lead_known is None:
            lead_known = memo[("lead", id(check.lead))] = bytearray(page.n)
        return kernel.regex_select(  # type: ignore[no-any-return]
            page.blocks,
            cands,
            known,
            any_known,
            lead_known,
            None if union is None else union.search,
            None if check.prefilter is None else check.prefilter.search,
            MAX_TEXT,
            _m._regex_holds,
            check.pattern,
            page.ctx,
            _compiled_lead(check.lead),
            _compiled_lead(check.own_lead) if check.union is not None else None,
        )

    table: dict[str, Selector] = {
        "min_words": words(True),
        "max_words": words(False),
        "text_regex": regex,
        "widget": widget,
        "repeated_in_page": number("repeat_size", 2),
        "lexicon": any_in("lexicon_hits"),
        "markup": any_in("markup"),
    }
    for name in ("repeat_of_title", "repeat_first", "is_title", "in_main"):
        table[name] = flag(name)
    for name, signal in _AT_LEAST:
        table[name] = number(signal, 0)
    table["max_content_score"] = number("content_score", 1)
    return table


#: matcher -> the signal its compiled selector reads as a column
SIGNAL_OF = {
    "min_words": "words",
    "max_words": "words",
    "widget": "widget",
    "repeated_in_page": "repeat_size",
    "lexicon": "lexicon_hits",
    "markup": "markup",
    "repeat_of_title": "repeat_of_title",
    "repeat_first": "repeat_first",
    "is_title": "is_title",
    "in_main": "in_main",
    "max_content_score": "content_score",
}


def prefill_columns(page: Page, names: tuple[str, ...]) -> None:
    """Read the signal columns the compiled selectors will ask for, all in one pass over the
    blocks' signal dicts (each dict is visited once instead of once per column)."""
    kernel = _KERNEL
    if kernel is None or _FAST is _PURE or not names:
        return
    memo = page.memo
    for name, col in zip(names, kernel.signal_columns(page.signals, names)):
        memo[("column", name)] = col


_AT_LEAST = (
    ("min_title_similarity", "title_similarity"),
    ("min_title_containment", "title_containment"),
    ("site_frequency", "site_frequency"),
    ("min_widget_score", "widget_score"),
    ("min_content_score", "content_score"),
)


def _build_selectors(kernel: Any = None) -> dict[str, tuple[Predicate, Selector]]:
    """matcher name -> (the predicate the selector stands for, the selector)."""
    table: dict[str, Selector] = {
        "min_words": _compare("words", _words_column, True),
        "max_words": _compare("words", _words_column, False),
        "min_chars": _compare("chars", _chars_column, True),
        "max_chars": _compare("chars", _chars_column, False),
        "min_link_density": _link_density(True),
        "max_link_density": _link_density(False),
        "tag": _tag_select,
        "bullet": _bullet_select,
        "text_regex": _regex_select,
        "widget": _widget_select,
        "repeated_in_page": _repeated_select,
        "lexicon": _any_in(
            ("item", "lexicon_hits"), _signal_reader("lexicon_hits"), MATCHERS["lexicon"].predicate
        ),
        "markup": _any_in(("item", "markup"), _signal_reader("markup"), MATCHERS["markup"].predicate),
        "class_tokens": _class_tokens_select,
    }
    for name in ("repeat_of_title", "repeat_first", "is_title", "in_main"):
        table[name] = _flag(name)
    for name, signal in _AT_LEAST:
        table[name] = _compare(("num", signal), _number_column(signal), True)
    table["max_content_score"] = _compare(("num", "content_score"), _number_column("content_score"), False)
    if kernel is not None:
        table.update(_compiled_selectors(kernel))
    return {name: (MATCHERS[name].predicate, select) for name, select in table.items()}


#: the compiled kernel (None: pure Python); both selector tables exist so tests compare them
_KERNEL = compiled("rules._engine")
SIGNAL_OF.update(_AT_LEAST)
_signals_of = _KERNEL.signals_of if _KERNEL is not None else _signals_of_blocks
_PURE = _build_selectors()
_FAST = _build_selectors(_KERNEL) if _KERNEL is not None else _PURE


def selector(
    name: str, predicate: Predicate, prepared: Any, *, pure_python: bool = False
) -> tuple[Selector, Any]:
    """The page-at-once selector for matcher ``name`` and the value it takes for ``prepared``.

    A matcher without a selector, or whose predicate is not the one the selector stands for, gets
    a selector that calls its predicate block by block. ``pure_python`` skips the compiled ones.
    """
    known = (_PURE if pure_python else _FAST).get(name)
    if known is None or known[0] is not predicate:
        return _fallback(predicate), prepared
    if name == "text_regex":
        return known[1], RegexCheck(prepared)
    return known[1], prepared


def pure(name: str) -> bool:
    """Whether a check's result on all blocks may be shared by rules (no logging side effects)."""
    return name != "text_regex"
