"""The closed registry of matchers a rule may name, each with its value check and its test.

A matcher is one registration: a name, a validator that turns the value written in a rule file
into a canonical plain value (or says what is wrong), a predicate that tests one block, and, for
values that need it (regexes, CSS selectors), a ``prepare`` step that builds the compiled object.
Compiled objects are built lazily by the engine, once per rule set and thread, never per block,
and are never pickled. Rule files can only name what is registered here.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import regex
from cssselect import HTMLTranslator, SelectorError
from lxml import etree

from unboil.document import Block, Document
from unboil.rules.limits import NO_CUTS, RegexReport

_WORD = re.compile(r"\w+")
_clock = time.perf_counter


class InvalidValue(ValueError):
    """A matcher's value has the wrong type or form; the message says what was expected."""


class MatchContext:
    """Per-document scratch space for one ``decide`` call: counts, selector results, regex time.

    It lives only for one call, so no state leaks between documents or threads. ``regex_left``
    is what is left of the document's regex budget; ``keeping`` says whether the rule being
    tested is a keep rule (a regex check that cannot be evaluated then holds: see ``limits``).
    """

    __slots__ = (
        "_css",
        "_words",
        "cut",
        "doc",
        "keeping",
        "n",
        "over_budget",
        "regex_budget",
        "regex_left",
        "regex_timeout",
        "rule_id",
        "timed_out",
        "timeouts",
    )

    def __init__(self, doc: Document, regex_timeout: float, regex_budget: float = math.inf) -> None:
        self.doc = doc
        self.n = len(doc.blocks)
        self.regex_timeout = regex_timeout
        self.regex_budget = regex_budget
        self.regex_left = regex_budget
        self.rule_id = ""
        self.keeping = False
        self.timed_out = False  # set when the last text_regex check was cut short (not remembered)
        self.cut: dict[str, list[int]] = {}  # rule id -> indexes of the blocks it could not test
        self.timeouts = 0  # searches stopped by the per-match limit
        self.over_budget = 0  # checks stopped or not run because the document's budget ran out
        self._words: dict[int, int] = {}
        self._css: dict[int, frozenset[Any]] = {}

    def cut_short(self, block: Block, timed_out: bool) -> bool:
        """Record that the current rule's regex could not test ``block`` (``timed_out``: stopped
        by the per-match limit, else by the budget); returns the rule's safe answer."""
        self.timed_out = True
        if timed_out:
            self.timeouts += 1
        else:
            self.over_budget += 1
        at = self.cut.get(self.rule_id)
        if at is None:
            self.cut[self.rule_id] = [block.index]
        else:
            at.append(block.index)
        return self.keeping

    def regex_report(self) -> RegexReport:
        """What the regex limits cut short in this document (``NO_CUTS`` when nothing)."""
        if not self.cut:
            return NO_CUTS
        return RegexReport(
            {rule: tuple(at) for rule, at in self.cut.items()},
            self.timeouts,
            self.over_budget,
            self.regex_left <= 0.0,
            self.regex_timeout,
            self.regex_budget,
        )

    def words(self, block: Block) -> int:
        """The block's ``words`` signal, counted from its text (``\\w+`` tokens) when absent."""
        value = block.signals.get("words")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        key = id(block)
        if key not in self._words:
            self._words[key] = sum(1 for _ in _WORD.finditer(block.text))
        return self._words[key]

    def css_hits(self, xpath: Any, root: Any) -> frozenset[Any]:
        """The elements under ``root`` a compiled selector selects, computed once per document."""
        key = id(xpath)
        hits = self._css.get(key)
        if hits is None:
            hits = frozenset(xpath(root))
            self._css[key] = hits
        return hits


Predicate = Callable[[Any, Block, int, MatchContext], bool]


@dataclass(frozen=True, slots=True)
class Matcher:
    """One registered matcher: how to check its value and how to test a block."""

    name: str
    validate: Callable[[Any], Any]  # raw value -> canonical plain value, or raises InvalidValue
    predicate: Predicate  # (prepared value, block, block position, context) -> holds?
    help: str
    prepare: Callable[[Any], Any] | None = None  # canonical value -> compiled object
    dump: Callable[[Any], Any] | None = None  # canonical value -> TOML/JSON value
    cost: int = 0  # cheaper matchers are tested first


_REGISTRY: dict[str, Matcher] = {}

#: The registered matchers by name (read-only).
MATCHERS: Mapping[str, Matcher] = MappingProxyType(_REGISTRY)


def _register(
    name: str, validate: Callable[[Any], Any], predicate: Predicate, help: str, **extra: Any
) -> None:
    if name in _REGISTRY:
        raise RuntimeError(f"matcher {name!r} registered twice")
    _REGISTRY[name] = Matcher(name, validate, predicate, help, **extra)


def dump_value(name: str, value: Any) -> Any:
    """A matcher's canonical value as plain TOML/JSON data (lists, tables, scalars)."""
    matcher = _REGISTRY[name]
    if matcher.dump is not None:
        return matcher.dump(value)
    return list(value) if isinstance(value, tuple) else value


# ---------------------------------------------------------------- value validators


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"expected a whole number >= 0, got {_describe(value)}")
    if value < 0:
        raise InvalidValue(f"expected a whole number >= 0, got {value}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidValue(f"expected a number, got {_describe(value)}")
    if value != value:  # NaN
        raise InvalidValue("expected a number, got nan")
    return float(value)


def _fraction(value: Any) -> float:
    number = _number(value)
    if not 0.0 <= number <= 1.0:
        raise InvalidValue(f"expected a number between 0 and 1, got {value}")
    return number


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"expected true or false, got {_describe(value)}")
    return value


def _names(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items:
        raise InvalidValue(
            f"expected a string or a non-empty list of strings, got {_describe(value)}"
        )
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise InvalidValue(f"expected non-empty strings, got {_describe(item)}")
        name = item.strip().lower()
        if name not in out:
            out.append(name)
    return tuple(out)


def _widget(value: Any) -> bool | tuple[str, ...]:
    if isinstance(value, bool):
        return value
    return _names(value)


def _position(value: Any) -> str | tuple[float, float]:
    if isinstance(value, str):
        if value not in ("first", "last"):
            raise InvalidValue(f'expected "first", "last" or a table {{min=, max=}}, got {value!r}')
        return value
    if isinstance(value, (dict, Mapping)):
        unknown = sorted(set(value) - {"min", "max"})
        if unknown:
            raise InvalidValue(f"unknown key {unknown[0]!r} in position table (use min and max)")
        low = _fraction(value.get("min", 0.0))
        high = _fraction(value.get("max", 1.0))
        if low > high:
            raise InvalidValue(f"position min {low} is above max {high}")
        return (low, high)
    if isinstance(value, tuple) and len(value) == 2:  # the canonical form, when rebuilt
        return _position({"min": value[0], "max": value[1]})
    raise InvalidValue(
        f'expected "first", "last" or a table {{min=, max=}}, got {_describe(value)}'
    )


def _dump_position(value: str | tuple[float, float]) -> Any:
    return value if isinstance(value, str) else {"min": value[0], "max": value[1]}


def _pattern(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidValue(
            f"expected a non-empty regular expression string, got {_describe(value)}"
        )
    try:
        regex.compile(value)
    except regex.error as exc:
        raise InvalidValue(f"bad regular expression {value!r}: {exc}") from None
    return value


# A selector is translated and checked when its rule is written (an EasyList import checks each
# line, then builds its Rule, which checks it again) and translated once more when a rule set is
# compiled: both steps are memoised by selector text (a failure is not remembered, so it is
# raised again each time). Big enough for a whole EasyList.
_SELECTOR_MEMO = 1 << 16


@functools.lru_cache(maxsize=_SELECTOR_MEMO)
def _selector_xpath(selector: str) -> str:
    return HTMLTranslator().css_to_xpath(selector)


@functools.lru_cache(maxsize=_SELECTOR_MEMO)
def _check_selector(selector: str) -> None:
    """Raise ``InvalidValue`` when the selector does not translate to a valid XPath."""
    try:
        etree.XPath(_selector_xpath(selector))
    except (SelectorError, etree.XPathError, ValueError) as exc:
        # ValueError: lxml refuses an XPath holding control characters (a ``\c `` escape)
        raise InvalidValue(f"bad CSS selector {selector!r}: {exc}") from None


def _selector(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"expected a non-empty CSS selector string, got {_describe(value)}")
    _check_selector(value)
    return value.strip()


# ---------------------------------------------------------------- predicates


def _signal_number(block: Block, name: str) -> float | None:
    value = block.signals.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _signal_flag(name: str) -> Predicate:
    def holds(value: bool, block: Block, pos: int, ctx: MatchContext) -> bool:
        signal = block.signals.get(name)
        return signal is not None and bool(signal) == value

    return holds


def _signal_at_least(name: str) -> Predicate:
    def holds(value: float, block: Block, pos: int, ctx: MatchContext) -> bool:
        signal = _signal_number(block, name)
        return signal is not None and signal >= value

    return holds


def _signal_at_most(name: str) -> Predicate:
    def holds(value: float, block: Block, pos: int, ctx: MatchContext) -> bool:
        signal = _signal_number(block, name)
        return signal is not None and signal <= value

    return holds


def _chars(block: Block) -> int:
    value = block.signals.get("chars")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return len(block.text)


def _position_holds(value: Any, block: Block, pos: int, ctx: MatchContext) -> bool:
    if value == "first":
        return pos == 0
    if value == "last":
        return pos == ctx.n - 1
    relative = _signal_number(block, "position")
    if relative is None:
        relative = pos / (ctx.n - 1) if ctx.n > 1 else 0.0
    return value[0] <= relative <= value[1]


def _regex_holds(pattern: Any, block: Block, pos: int, ctx: MatchContext) -> bool:
    # the search may take the per-match limit or what is left of the document's budget, whichever
    # is less; a search that is stopped, or not run once the budget is spent, was not evaluated:
    # the rule gets its safe answer (see limits) and ctx.timed_out tells the selector not to
    # remember it
    left = ctx.regex_left
    if left <= 0.0:
        return ctx.cut_short(block, False)
    timeout = ctx.regex_timeout
    budget_bound = left < timeout
    if budget_bound:
        timeout = left
    started = _clock()
    try:
        found = pattern.search(block.text, timeout=timeout) is not None
    except TimeoutError:
        ctx.regex_left = 0.0 if budget_bound else left - (_clock() - started)
        return ctx.cut_short(block, not budget_bound)
    ctx.regex_left = left - (_clock() - started)
    return found


def _css_holds(xpath: Any, block: Block, pos: int, ctx: MatchContext) -> bool:
    element = block.element
    if element is None:
        return False
    root = ctx.doc.root if ctx.doc.root is not None else element.getroottree().getroot()
    hits = ctx.css_hits(xpath, root)
    if not hits:
        return False
    if element in hits:
        return True
    return any(ancestor in hits for ancestor in element.iterancestors())


def _widget_holds(value: Any, block: Block, pos: int, ctx: MatchContext) -> bool:
    category = block.signals.get("widget")
    if not isinstance(category, str):
        return False
    if value is True:
        return category != ""
    if value is False:
        return category == ""
    return category in value


def _any_in_signal(name: str) -> Predicate:
    def holds(value: tuple[str, ...], block: Block, pos: int, ctx: MatchContext) -> bool:
        present = block.signals.get(name)
        if isinstance(present, str):
            return present in value
        if not present:
            return False
        return any(item in value for item in present)

    return holds


def _compile_pattern(pattern: str) -> Any:
    return regex.compile(pattern)


class _LazyXPath:
    """A CSS selector's compiled XPath, built on its first use in the thread that uses it.

    A rule set compiles its matchers up front, but an EasyList import holds thousands of
    host-scoped rules that most documents never reach, and each compiled XPath brings some
    twenty Python objects (a large heap makes every full garbage collection slower).
    """

    __slots__ = ("_compiled", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self._compiled: Any = None

    def __call__(self, root: Any) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = etree.XPath(self.path)
        return compiled(root)


def _compile_selector(selector: str) -> Any:
    return _LazyXPath(_selector_xpath(selector))


# ---------------------------------------------------------------- the registry

_register(
    "min_words",
    _count,
    lambda v, b, p, c: c.words(b) >= v,
    "at least this many words (\\w+ tokens)",
)
_register(
    "max_words", _count, lambda v, b, p, c: c.words(b) <= v, "at most this many words (\\w+ tokens)"
)
_register("min_chars", _count, lambda v, b, p, c: _chars(b) >= v, "at least this many characters")
_register("max_chars", _count, lambda v, b, p, c: _chars(b) <= v, "at most this many characters")
_register(
    "min_link_density",
    _fraction,
    lambda v, b, p, c: b.link_density >= v,
    "at least this share of the text inside links",
)
_register(
    "max_link_density",
    _fraction,
    lambda v, b, p, c: b.link_density <= v,
    "at most this share of the text inside links",
)
_register("tag", _names, lambda v, b, p, c: b.tag.lower() in v, "the block's tag is one of these")
_register(
    "position",
    _position,
    _position_holds,
    '"first", "last", or {min=, max=} on the relative position 0..1',
    dump=_dump_position,
)
_register("bullet", _flag, lambda v, b, p, c: bool(b.bullet) == v, "the block has a list bullet")
_register(
    "text_regex",
    _pattern,
    _regex_holds,
    "the text contains a match of this regular expression (time-limited)",
    prepare=_compile_pattern,
    cost=5,
)
_register(
    "lexicon",
    _names,
    _any_in_signal("lexicon_hits"),
    "a phrase of one of these lexicon categories occurs in the text",
    cost=1,
)
_register(
    "css",
    _selector,
    _css_holds,
    "the block's element or one of its ancestors matches this CSS selector (HTML only)",
    prepare=_compile_selector,
    cost=8,
)
_register(
    "class_tokens",
    _names,
    lambda v, b, p, c: any(token in v for token in b.class_tokens),
    "one of these class/id tokens is on the element or an ancestor",
)
_register(
    "repeat_of_title",
    _flag,
    _signal_flag("repeat_of_title"),
    "the block is a (reworded or cut-short) copy of the title",
    cost=1,
)
_register(
    "repeated_in_page",
    _flag,
    lambda v, b, p, c: (
        _signal_number(b, "repeat_size") is not None and (b.signals["repeat_size"] > 1) == v
    ),
    "the block has near-duplicates elsewhere in the page",
    cost=1,
)
_register(
    "repeat_first",
    _flag,
    _signal_flag("repeat_first"),
    "the block is the first of its repeat group",
    cost=1,
)
_register("is_title", _flag, _signal_flag("is_title"), "the block is the title itself", cost=1)
_register(
    "min_title_similarity",
    _fraction,
    _signal_at_least("title_similarity"),
    "resembles the title at least this much",
    cost=1,
)
_register(
    "min_title_containment",
    _fraction,
    _signal_at_least("title_containment"),
    "at least this share of the block is contained in the title",
    cost=1,
)
_register(
    "site_frequency",
    _fraction,
    _signal_at_least("site_frequency"),
    "occurs on at least this share of the host's pages",
    cost=1,
)
_register(
    "widget",
    _widget,
    _widget_holds,
    "true (any widget), false (no widget), or the widget category / list of categories",
    cost=1,
)
_register(
    "min_widget_score",
    _fraction,
    _signal_at_least("widget_score"),
    "the widget detector's score is at least this",
    cost=1,
)
_register(
    "markup",
    _names,
    _any_in_signal("markup"),
    "the markup vocabulary marks the block with one of these classes",
    cost=1,
)
_register(
    "min_content_score",
    _number,
    _signal_at_least("content_score"),
    "the HTML content score is at least this",
    cost=1,
)
_register(
    "max_content_score",
    _number,
    _signal_at_most("content_score"),
    "the HTML content score is at most this",
    cost=1,
)
_register("in_main", _flag, _signal_flag("in_main"), "the block is inside the main content", cost=1)
