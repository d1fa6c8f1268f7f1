"""The rule engine: a ``RuleSet`` decides, for every block of a document, keep or drop and why.

Order of precedence: any matching ``keep`` rule wins; otherwise the first matching rule by
priority (higher first), then by order (files in the order given, rules in file order) decides.
A ``drop_repeats`` rule drops a block only when it is a later member of its repeat group; on the
first occurrence it records the match and lets the next rule decide. Every decision carries the
deciding rule id and the ids of all rules that matched, in evaluation order.

A ``RuleSet`` is plain data (its rules) plus compiled matchers built lazily per thread and left
out of pickles, so it can be shared by threads and shipped to Dask or multiprocessing workers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from unboil._compiled import compiled
from unboil.document import DROP, KEEP, Block, Decision, Document
from unboil.rules import cssindex
from unboil.rules import matchers as _matchers
from unboil.rules.columns import (
    SIGNAL_OF,
    Page,
    RegexCheck,
    Selector,
    prefill_columns,
    pure,
    selector,
    share_prefilters,
)
from unboil.rules.limits import DEFAULT_REGEX_BUDGET, DEFAULT_REGEX_TIMEOUT, RegexReport, check_seconds
from unboil.rules.loader import Item, merge_layers, parse_rules, read_rules
from unboil.rules.matchers import MATCHERS, MatchContext, Predicate
from unboil.rules.model import (
    DROP_REPEATS,
    Rule,
    RuleError,
    RuleOverride,
    rule_label,
    suggest,
)

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "unboil/rules/default.toml"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What ``RuleSet.evaluate`` found: one decision per block, and what the regex limits cut short."""

    decisions: list[Decision]
    regex: RegexReport


@dataclass(frozen=True, slots=True)
class _Compiled:
    id: str
    action: str
    rank: int  # place in evaluation order
    checks: tuple[tuple[Predicate, Any], ...]  # cheapest first
    # the same checks, in the same order, as page-at-once selectors; shared marks the checks whose
    # result on the whole page may be reused by another rule with the same (name, value)
    selects: tuple[tuple[Selector, Any, Any], ...] = ()
    # the rule's only check is a css selector that selects nothing on a page holding none of its
    # gate keys (see cssindex.gate_keys)
    gate: bool = False
    keeps: bool = False  # a keep rule: a regex check it cannot evaluate holds (see limits)


@dataclass(frozen=True, slots=True)
class _Plan:
    unscoped: tuple[_Compiled, ...]
    scoped: dict[str, tuple[_Compiled, ...]]  # host -> rules scoped to it
    signals: tuple[str, ...] = ()  # signal columns the unscoped rules' selectors read
    gates: cssindex.Gates | None = None  # gate keys of the gated rules (None: no such rule)
    layout: _Layout | None = None  # of the unscoped rules, when there are gates


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where the rules of one active tuple sit, for skipping the gated ones a page cannot match."""

    ungated: tuple[int, ...]  # places of the rules without a gate
    gated: dict[int, int]  # rank -> place, for the gated rules
    ids: list[str]
    effects: list[int]


def _layout(active: tuple[_Compiled, ...]) -> _Layout:
    return _Layout(
        tuple(i for i, r in enumerate(active) if not r.gate),
        {r.rank: i for i, r in enumerate(active) if r.gate},
        [r.id for r in active],
        [_EFFECTS[r.action] for r in active],
    )


_NO_HITS: list[int] = []  # shared by every rule that selects nothing (never changed)


def _evaluation_order(rules: Iterable[Rule]) -> list[Rule]:
    ordered = [(0 if r.action == KEEP else 1, -r.priority, i, r) for i, r in enumerate(rules)]
    return [r for *_, r in sorted(ordered, key=lambda t: t[:3])]


#: the compiled twin of the decision assembly (None: pure Python); tests swap it
_KERNEL = compiled("rules._engine")
_EFFECTS = {KEEP: 0, DROP: 1, DROP_REPEATS: 2}


def _effect(action: str, block: Block) -> str:
    """What a matching rule does to the block: KEEP, DROP, or "" (pass to the next rule)."""
    if action == KEEP:
        return KEEP
    if action == DROP_REPEATS:
        group = block.signals.get("repeat_group", -1)
        later = isinstance(group, int) and group >= 0 and block.signals.get("repeat_first") is False
        return DROP if later else ""  # a first occurrence (or no group): the next rule decides
    return DROP


# the page-at-once css selectors: simple selectors from the page index, others by their XPath
_CSS_SIMPLE, _CSS_XPATH = cssindex.make_selects(selector("css", _matchers._css_holds, None)[0])


def _css_select(predicate: Predicate, selector_text: str, prepared: Any) -> tuple[Selector, Any] | None:
    """The indexed selector and value for a css check, or None to use the plain path."""
    if not cssindex.ENABLED or predicate is not _matchers._css_holds:
        return None
    chains = cssindex.parse_simple(selector_text)
    if chains is None:
        return _CSS_XPATH, prepared
    return _CSS_SIMPLE, cssindex.SimpleCss(chains, prepared)


def _share_key(name: str, value: Any) -> Any:
    """A key naming a check by matcher and canonical value, or None when the value is unhashable."""
    try:
        hash(value)
    except TypeError:
        return None
    return (name, type(value), value)


def default_items() -> list[Item]:
    """The packaged default rules as loader items; ``RuleError`` when the file is missing or bad."""
    try:
        text = resources.files("unboil.rules").joinpath("default.toml").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise RuleError(
            "the packaged default rule set is missing; reinstall unboil or load "
            "without the defaults (include_default=False / --no-default)",
            source=DEFAULT_SOURCE,
        ) from exc
    items, errors = parse_rules(text, DEFAULT_SOURCE)
    if errors:
        raise RuleError.combine(errors)
    return items


def build_rules(layers: list[list[Item]]) -> tuple[list[Rule], list[RuleError]]:
    """Merge loader layers (files in order) and check every rule is complete; never raises."""
    merged, problems = merge_layers(layers)
    for rule in merged:
        if not rule.match:
            problems.append(
                RuleError(
                    "empty: name at least one matcher",
                    source=rule.source or "<python>",
                    rule=rule_label(rule.id, rule.position),
                    field="match",
                )
            )
    return merged, problems


class RuleSet:
    """An ordered, validated set of rules that decides which blocks of a document to keep.

    Thread-safe and picklable. ``hash`` is a short sha256 of the enabled rules' canonical data,
    recorded with every result for provenance.
    """

    def __init__(
        self, rules: Iterable[Item] = (), *, regex_timeout: float = DEFAULT_REGEX_TIMEOUT
    ) -> None:
        self._setup(self._merge([list(rules)]), regex_timeout)

    # ---- construction

    @staticmethod
    def _merge(layers: list[list[Item]], errors: Iterable[RuleError] = ()) -> list[Rule]:
        merged, problems = build_rules(layers)
        problems = list(errors) + problems
        if problems:
            raise RuleError.combine(problems)
        return merged

    def _setup(self, rules: list[Rule], regex_timeout: float) -> None:
        regex_timeout = check_seconds("regex_timeout", regex_timeout)
        self._rules: tuple[Rule, ...] = tuple(rules)
        self.regex_timeout = regex_timeout
        canonical = [r.to_dict() for r in self._rules if r.enabled]
        blob = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        self.hash: str = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
        self._local = threading.local()

    @classmethod
    def _from_layers(
        cls,
        layers: list[list[Item]],
        errors: Iterable[RuleError] = (),
        regex_timeout: float = DEFAULT_REGEX_TIMEOUT,
    ) -> RuleSet:
        self = cls.__new__(cls)
        self._setup(cls._merge(layers, errors), regex_timeout)
        return self

    @classmethod
    def from_toml(
        cls, text: str, source: str = "<string>", *, regex_timeout: float = DEFAULT_REGEX_TIMEOUT
    ) -> RuleSet:
        """Rules from TOML text (no defaults); raises ``RuleError`` listing every problem."""
        items, errors = parse_rules(text, source)
        return cls._from_layers([items], errors, regex_timeout)

    @classmethod
    def load(
        cls,
        *paths: str | Path,
        include_default: bool = True,
        regex_timeout: float = DEFAULT_REGEX_TIMEOUT,
    ) -> RuleSet:
        """The default rules (unless ``include_default=False``), then these files in order."""
        layers: list[list[Item]] = [default_items()] if include_default else []
        errors: list[RuleError] = []
        for path in paths:
            items, problems = read_rules(path)
            layers.append(items)
            errors.extend(problems)
        return cls._from_layers(layers, errors, regex_timeout)

    @classmethod
    def default(cls, *, regex_timeout: float = DEFAULT_REGEX_TIMEOUT) -> RuleSet:
        """The rule set shipped with unboil (``unboil/rules/default.toml``)."""
        return cls._from_layers([default_items()], (), regex_timeout)

    @classmethod
    def from_easylist(
        cls, text: str, source: str = "<easylist>", *, regex_timeout: float = DEFAULT_REGEX_TIMEOUT
    ) -> RuleSet:
        """Rules from the cosmetic subset of an EasyList-style filter list (see ``easylist``)."""
        from unboil.rules.easylist import parse_easylist

        rules, _skipped = parse_easylist(text, source)
        return cls._from_layers([list(rules)], (), regex_timeout)

    def extend(self, *more: RuleSet | Iterable[Item]) -> RuleSet:
        """A new rule set: these rules, then each of ``more`` as a later file."""
        layers: list[list[Item]] = [list(self._rules)]
        for other in more:
            layers.append(list(other.rules if isinstance(other, RuleSet) else other))
        return self._from_layers(layers, (), self.regex_timeout)

    def disable(self, *ids: str) -> RuleSet:
        """A new rule set with these rules switched off (by id)."""
        for rule_id in ids:
            if self.get(rule_id) is None:
                raise RuleError(
                    "no rule has this id" + suggest(rule_id, (r.id for r in self._rules)),
                    source="disable()",
                    rule=repr(rule_id),
                    field="id",
                )
        return self.extend([RuleOverride(rule_id, False, source="disable()") for rule_id in ids])

    # ---- inspection

    @property
    def rules(self) -> tuple[Rule, ...]:
        """All rules in order, disabled ones included."""
        return self._rules

    def get(self, rule_id: str) -> Rule | None:
        """The rule with this id, or None."""
        return next((r for r in self._rules if r.id == rule_id), None)

    def __contains__(self, rule_id: object) -> bool:
        return any(r.id == rule_id for r in self._rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuleSet):
            return NotImplemented
        return self._rules == other._rules and self.regex_timeout == other.regex_timeout

    def __hash__(self) -> int:
        return hash((self.hash, self.regex_timeout))

    def __repr__(self) -> str:
        enabled = sum(r.enabled for r in self._rules)
        return f"RuleSet({enabled} enabled of {len(self._rules)} rules, hash={self.hash})"

    def __getstate__(self) -> dict[str, Any]:
        return {"rules": self._rules, "regex_timeout": self.regex_timeout}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup(list(state["rules"]), state["regex_timeout"])

    # ---- deciding

    def _plan(self) -> _Plan:
        plan = getattr(self._local, "plan", None)
        if plan is None:
            plan = self._compile()
            self._local.plan = plan
        return plan

    def _compile(self) -> _Plan:
        unscoped: list[_Compiled] = []
        scoped: dict[str, list[_Compiled]] = {}
        regex_checks: list[RegexCheck] = []
        names: set[str] = set()
        gates = cssindex.Gates()
        for rank, rule in enumerate(_evaluation_order(r for r in self._rules if r.enabled)):
            checks = []
            selects = []
            gate = False
            for name in sorted(rule.match, key=lambda n: (MATCHERS[n].cost, n)):
                matcher = MATCHERS[name]
                value = rule.match[name]
                prepared = matcher.prepare(value) if matcher.prepare else value
                checks.append((matcher.predicate, prepared))
                share = _share_key(name, value) if pure(name) and matcher.prepare is None else None
                css = _css_select(matcher.predicate, value, prepared) if name == "css" else None
                if css is None:
                    select, select_value = selector(name, matcher.predicate, prepared)
                else:
                    select, select_value = css
                    if len(rule.match) == 1:
                        if isinstance(select_value, cssindex.SimpleCss):
                            keys = cssindex.gate_keys(select_value.chains)
                        else:
                            keys = cssindex.xpath_gate_keys(value)
                        if keys is not None:
                            gates.add(rank, keys)
                            gate = True
                selects.append((select, select_value, share))
            regex_checks.extend(v for _, v, _ in selects if isinstance(v, RegexCheck))
            compiled = _Compiled(rule.id, rule.action, rank, tuple(checks), tuple(selects), gate,
                                 rule.action == KEEP)
            if rule.hosts:
                for host in rule.hosts:
                    scoped.setdefault(host, []).append(compiled)
            else:
                unscoped.append(compiled)
                names.update(SIGNAL_OF[n] for n in rule.match if n in SIGNAL_OF)
        share_prefilters(regex_checks)
        return _Plan(
            tuple(unscoped),
            {h: tuple(rs) for h, rs in scoped.items()},
            tuple(sorted(names)),
            gates if gates else None,
            _layout(tuple(unscoped)) if gates else None,
        )

    def applicable(self, host: str) -> tuple[str, ...]:
        """Ids of the enabled rules that apply to documents of ``host``, in evaluation order."""
        return tuple(c.id for c in self._active(self._plan(), host))

    @staticmethod
    def _active(plan: _Plan, host: str) -> tuple[_Compiled, ...]:
        if not plan.scoped or not host:
            return plan.unscoped
        found: list[_Compiled] = []
        parts = host.split(".")
        for i in range(len(parts)):
            found.extend(plan.scoped.get(".".join(parts[i:]), ()))
        if not found:
            return plan.unscoped
        unique = {c.rank: c for c in (*plan.unscoped, *found)}
        return tuple(unique[rank] for rank in sorted(unique))

    def decide(self, doc: Document) -> list[Decision]:
        """One ``Decision`` per block of ``doc``, in block order.

        ``text_regex`` checks run within the rule set's ``regex_timeout`` per match and
        ``DEFAULT_REGEX_BUDGET`` per document; what they cut short is logged as one warning
        naming the document and the rules (``evaluate`` returns it instead).
        """
        found = self.evaluate(doc)
        if found.regex:
            log.warning("%s", found.regex.describe(document_name(doc)))
        return found.decisions

    def evaluate(
        self,
        doc: Document,
        *,
        regex_timeout: float | None = None,
        regex_budget: float | None = None,
    ) -> Evaluation:
        """``decide``, with the regex limits given here (None: the rule set's timeout and
        ``DEFAULT_REGEX_BUDGET``), returning the decisions and the ``RegexReport``; logs nothing."""
        timeout = self.regex_timeout if regex_timeout is None else check_seconds("regex_timeout", regex_timeout)
        budget = (DEFAULT_REGEX_BUDGET if regex_budget is None
                  else check_seconds("regex_budget", regex_budget, unlimited=True))
        ctx = MatchContext(doc, timeout, budget)
        return Evaluation(self._decide(doc, ctx), ctx.regex_report())

    def _decide(self, doc: Document, ctx: MatchContext) -> list[Decision]:
        plan = self._plan()
        # the host (a URL parse) matters only when some rule is scoped to hosts
        active = self._active(plan, doc.host) if plan.scoped else plan.unscoped
        blocks = doc.blocks
        page = Page(blocks, ctx)
        prefill_columns(page, plan.signals)
        # each rule's checks run over the whole page at once, narrowing a list of positions
        shared: dict[Any, list[int]] = {}
        hits: list[list[int] | None] = [_NO_HITS] * len(active)
        layout = plan.layout if active is plan.unscoped else None
        run: Iterable[int] = range(len(active))
        if plan.gates is not None:
            index = cssindex.page_index(page)
            if index is not None:
                # css rules none of whose gate keys is on the page select nothing: skip them
                live = plan.gates.live(index)
                if layout is not None:  # the unscoped rules: places laid out once
                    gated = layout.gated
                    run = sorted([*layout.ungated, *(gated[r] for r in live if r in gated)])
                else:  # a host's own mix of rules
                    run = [i for i, r in enumerate(active) if not r.gate or r.rank in live]
        for i in run:
            rule = active[i]
            ctx.rule_id = rule.id
            ctx.keeping = rule.keeps
            cands: list[int] | None = None
            for select, value, share in rule.selects:
                if cands is None and share is not None:
                    found = shared.get(share)
                    if found is None:
                        found = shared[share] = select(value, None, page)
                    cands = found
                else:
                    cands = select(value, cands, page)
                if not cands:
                    break
            hits[i] = cands
        kernel = _KERNEL
        if kernel is not None:
            return kernel.assemble(  # type: ignore[no-any-return]
                blocks, hits,
                layout.ids if layout is not None else [r.id for r in active],
                layout.effects if layout is not None else [_EFFECTS[r.action] for r in active],
                Decision, KEEP, DROP,
            )
        matched_at: dict[int, list[_Compiled]] = {}
        for rule, cands in zip(active, hits):
            if cands is None or cands:
                for pos in page.all() if cands is None else cands:
                    at = matched_at.get(pos)
                    if at is None:
                        matched_at[pos] = [rule]
                    else:
                        at.append(rule)
        decisions: list[Decision] = []
        append = decisions.append
        for pos, block in enumerate(blocks):
            at = matched_at.get(pos)
            if at is None:
                append(Decision(block.index, KEEP, "", ()))
                continue
            action = ""
            deciding = ""
            for rule in at:
                action = _effect(rule.action, block)
                if action:
                    deciding = rule.id
                    break
            append(Decision(block.index, action or KEEP, deciding, tuple(r.id for r in at)))
        return decisions

    def _decide_reference(self, doc: Document) -> list[Decision]:
        """``decide`` the straightforward way, rule by rule on each block (tests compare both)."""
        return self._evaluate_reference(doc).decisions

    def _evaluate_reference(
        self, doc: Document, *, regex_timeout: float | None = None, regex_budget: float | None = None
    ) -> Evaluation:
        """``evaluate`` the straightforward way, rule by rule on each block (tests compare both)."""
        active = self._active(self._plan(), doc.host)
        ctx = MatchContext(
            doc,
            self.regex_timeout if regex_timeout is None else regex_timeout,
            DEFAULT_REGEX_BUDGET if regex_budget is None else regex_budget,
        )
        decisions = [self._decide_block(block, pos, active, ctx) for pos, block in enumerate(doc.blocks)]
        return Evaluation(decisions, ctx.regex_report())

    @staticmethod
    def _decide_block(
        block: Block, pos: int, active: tuple[_Compiled, ...], ctx: MatchContext
    ) -> Decision:
        matched: list[str] = []
        action = ""
        deciding = ""
        for rule in active:
            ctx.rule_id = rule.id
            ctx.keeping = rule.keeps
            for predicate, value in rule.checks:
                if not predicate(value, block, pos, ctx):
                    break
            else:
                matched.append(rule.id)
                if not action:
                    action = _effect(rule.action, block)
                    deciding = rule.id if action else ""
        return Decision(block.index, action or KEEP, deciding, tuple(matched))


def document_name(doc: Document) -> str:
    """How log messages name a document: its URL, else its id, else a stand-in."""
    return doc.url or doc.id or "a document without url or id"
