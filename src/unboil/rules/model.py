"""Rules as plain data: the ``Rule`` record, its Python builder, and the errors of a bad rule.

A rule is ``id`` + ``action`` + a ``match`` table of registered matchers that must all hold, with
optional ``priority``, ``hosts`` scope and ``enabled`` flag. The same objects come from TOML files
(``unboil.rules.loader``) and from the builder::

    Rule.drop("short-share", description="Short share bars").where(max_words=8, widget="share")
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from unboil.errors import UnboilError
from unboil.rules.matchers import MATCHERS, InvalidValue, dump_value

DROP = "drop"
KEEP = "keep"
DROP_REPEATS = "drop_repeats"
#: The closed set of rule actions.
ACTIONS: tuple[str, ...] = (DROP, KEEP, DROP_REPEATS)

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@+-]*\Z")
_HOST = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\Z")


class RuleError(UnboilError, ValueError):
    """A rule or rule file is invalid; the message names the source, the rule and the field.

    When several problems were found, ``errors`` holds one ``RuleError`` per problem and the
    message lists them all, one per line.
    """

    def __init__(
        self,
        reason: str,
        *,
        source: str = "",
        rule: str = "",
        field: str = "",
        errors: Iterable[RuleError] = (),
    ) -> None:
        self.reason = reason
        self.source = source
        self.rule = rule
        self.field = field
        self.errors: tuple[RuleError, ...] = tuple(errors) or (self,)
        super().__init__(self._format())

    def _format(self) -> str:
        if len(self.errors) > 1 or self.errors[0] is not self:
            return "\n".join(str(e) for e in self.errors)
        parts = [self.source or "<rules>"]
        if self.rule:
            parts.append(f"rule {self.rule}")
        if self.field:
            parts.append(self.field)
        return ": ".join(parts) + ": " + self.reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_error,
            (
                self.reason,
                self.source,
                self.rule,
                self.field,
                self.errors if self.errors[0] is not self else (),
            ),
        )

    @classmethod
    def combine(cls, errors: Iterable[RuleError]) -> RuleError:
        """One error standing for several, so callers can raise once and still list each problem."""
        flat = [inner for e in errors for inner in e.errors]
        if len(flat) == 1:
            return flat[0]
        return cls(f"{len(flat)} problems", errors=flat)


def _rebuild_error(
    reason: str, source: str, rule: str, field: str, errors: tuple[RuleError, ...]
) -> RuleError:
    return RuleError(reason, source=source, rule=rule, field=field, errors=errors)


def rule_label(rule_id: str, position: int = 0) -> str:
    """How messages name a rule: its quoted id, with its 1-based place in the file when known."""
    if rule_id and position:
        return f"{rule_id!r} (#{position})"
    if rule_id:
        return repr(rule_id)
    return f"#{position} (no id)" if position else "(no id)"


def suggest(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean ...?)' hint naming the closest valid names, or ''."""
    close = difflib.get_close_matches(name, sorted(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


class FrozenMatch(dict):  # type: ignore[type-arg]
    """A read-only ``{matcher: canonical value}`` table; picklable, hashable and ordered by name."""

    __slots__ = ()

    def _readonly(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a rule's match table is read-only; use Rule.where() to build a new rule")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMatch, (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenMatch({dict.__repr__(self)})"


def validate_match(match: Any) -> tuple[FrozenMatch, list[tuple[str, str]]]:
    """Check a match table against the registry: (canonical table, [(field, problem), ...])."""
    problems: list[tuple[str, str]] = []
    if not isinstance(match, Mapping):
        return FrozenMatch(), [
            ("match", f"expected a table of matchers, got {type(match).__name__}")
        ]
    canonical: dict[str, Any] = {}
    for name in sorted(match, key=str):
        value = match[name]
        if not isinstance(name, str) or name not in MATCHERS:
            problems.append((f"match.{name}", "unknown matcher" + suggest(str(name), MATCHERS)))
            continue
        try:
            canonical[name] = MATCHERS[name].validate(value)
        except InvalidValue as exc:
            problems.append((f"match.{name}", str(exc)))
    return FrozenMatch(canonical), problems


def normalize_host(host: str) -> str:
    """Lowercase a host and strip a leading ``www.`` and trailing dot, as ``Document.host`` does."""
    host = host.strip().lower().rstrip(".")
    return host.removeprefix("www.")


def _check_fields(rule: Rule) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not isinstance(rule.id, str) or not rule.id:
        problems.append(("id", "missing or empty"))
    elif not _ID.match(rule.id):
        problems.append(
            (
                "id",
                f"{rule.id!r} is not a valid id (letters, digits and _ . : / @ + -, "
                "starting with a letter or digit)",
            )
        )
    if rule.action not in ACTIONS:
        problems.append(
            (
                "action",
                f"unknown action {rule.action!r}; expected one of "
                + ", ".join(ACTIONS)
                + suggest(str(rule.action), ACTIONS),
            )
        )
    if not isinstance(rule.description, str):
        problems.append(
            ("description", f"expected a string, got {type(rule.description).__name__}")
        )
    if isinstance(rule.priority, bool) or not isinstance(rule.priority, int):
        problems.append(("priority", f"expected a whole number, got {rule.priority!r}"))
    if not isinstance(rule.enabled, bool):
        problems.append(("enabled", f"expected true or false, got {rule.enabled!r}"))
    if not isinstance(rule.replace, bool):
        problems.append(("replace", f"expected true or false, got {rule.replace!r}"))
    return problems


def _check_hosts(hosts: Any) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    items = [hosts] if isinstance(hosts, str) else hosts
    if not isinstance(items, (list, tuple)):
        return (), [("hosts", f"expected a list of host names, got {type(hosts).__name__}")]
    out: list[str] = []
    for item in items:
        host = normalize_host(item) if isinstance(item, str) else ""
        if not _HOST.match(host):
            return (), [("hosts", f'{item!r} is not a host name (such as "example.com")')]
        if host not in out:
            out.append(host)
    return tuple(out), []


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: when every matcher in ``match`` holds for a block, ``action`` applies to it.

    ``source`` and ``position`` record where the rule was read (file, 1-based place) and take no
    part in equality; ``replace`` only matters while merging files.
    """

    id: str
    action: str
    match: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    priority: int = 0
    hosts: tuple[str, ...] = ()
    enabled: bool = True
    replace: bool = field(default=False, compare=False)
    source: str = field(default="", compare=False)
    position: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        problems = _check_fields(self)
        hosts, host_problems = _check_hosts(self.hosts)
        match, match_problems = validate_match(self.match)
        problems += host_problems + match_problems
        if problems:
            label = rule_label(self.id if isinstance(self.id, str) else "", self.position)
            raise RuleError.combine(
                RuleError(reason, source=self.source or "<python>", rule=label, field=name)
                for name, reason in problems
            )
        object.__setattr__(self, "hosts", hosts)
        object.__setattr__(self, "match", match)

    def __reduce__(self) -> tuple[Any, ...]:
        # Explicit, so frozen slotted rules pickle the same on every Python >= 3.10; the values
        # are already canonical, so unpickling skips validation (no regex or XPath compiling).
        return (_restore, (Rule, tuple(getattr(self, n) for n in Rule.__dataclass_fields__)))

    def __hash__(self) -> int:
        return hash(
            (
                self.id,
                self.action,
                self.match,
                self.description,
                self.priority,
                self.hosts,
                self.enabled,
            )
        )

    # ---- builder

    @classmethod
    def drop(cls, id: str, **fields: Any) -> Rule:
        """A drop rule with no matchers yet; add them with ``.where(...)``."""
        return cls(id=id, action=DROP, **fields)

    @classmethod
    def keep(cls, id: str, **fields: Any) -> Rule:
        """A keep rule (an exception that wins over drops); add matchers with ``.where(...)``."""
        return cls(id=id, action=KEEP, **fields)

    @classmethod
    def drop_repeats(cls, id: str, **fields: Any) -> Rule:
        """A rule that keeps the first block of each repeat group it matches and drops the rest."""
        return cls(id=id, action=DROP_REPEATS, **fields)

    def where(self, **matchers: Any) -> Rule:
        """A copy of this rule with more matchers (later values replace earlier ones)."""
        return replace(self, match={**self.match, **matchers})

    def on_hosts(self, *hosts: str) -> Rule:
        """A copy of this rule scoped to these hosts (and their subdomains)."""
        return replace(self, hosts=hosts)

    # ---- data

    def to_dict(self) -> dict[str, Any]:
        """The canonical plain data of the rule (what a TOML file would say), without provenance."""
        data: dict[str, Any] = {"id": self.id, "action": self.action}
        if self.description:
            data["description"] = self.description
        if self.priority:
            data["priority"] = self.priority
        if self.hosts:
            data["hosts"] = list(self.hosts)
        if not self.enabled:
            data["enabled"] = False
        data["match"] = {name: dump_value(name, value) for name, value in self.match.items()}
        return data

    def applies_to(self, host: str) -> bool:
        """Whether the rule's scope covers ``host`` (equal to or a subdomain of a listed host)."""
        if not self.hosts:
            return True
        return any(host == h or host.endswith("." + h) for h in self.hosts)


def _restore(cls: type, values: tuple[Any, ...]) -> Any:
    obj = object.__new__(cls)
    for name, value in zip(cls.__dataclass_fields__, values, strict=True):
        object.__setattr__(obj, name, value)
    return obj


@dataclass(frozen=True, slots=True)
class RuleOverride:
    """A later file switching an earlier rule on or off by id, without restating it."""

    id: str
    enabled: bool
    source: str = field(default="", compare=False)
    position: int = field(default=0, compare=False)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (RuleOverride, (self.id, self.enabled, self.source, self.position)))
