"""Read rule files (TOML ``[[rule]]`` tables) into ``Rule`` objects and merge several files.

Loading is safe: TOML is parsed as data, every key is checked against a closed list, and matchers
come from the registry. Problems are collected, not stopped at, so ``unboil rules check`` can
list them all; each names the file, the rule (id, or place when the id is missing) and the field.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from unboil.rules.model import (
    Rule,
    RuleError,
    RuleOverride,
    rule_label,
    suggest,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

log = logging.getLogger(__name__)

Item = Rule | RuleOverride

#: Rule-file format versions this loader understands.
SUPPORTED_VERSIONS = (1,)
_TOP_KEYS = ("rule", "version")
_RULE_KEYS = ("id", "description", "action", "priority", "hosts", "enabled", "replace", "match")
_LINE = re.compile(r"line (\d+)")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # not allowed in TOML comments


def parse_rules(text: str, source: str = "<string>") -> tuple[list[Item], list[RuleError]]:
    """Parse rule-file text into rules and overrides, plus every problem found (never raises)."""
    if not isinstance(text, str):
        return [], [RuleError(f"expected text, got {type(text).__name__}", source=source)]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _LINE.search(str(exc))
        where = f"line {found.group(1)}" if found else ""
        return [], [RuleError(f"bad TOML: {exc}", source=source, field=where)]
    except RecursionError:  # tomllib recurses once per nesting level
        return [], [RuleError("bad TOML: arrays or tables nested too deeply to be a rule file", source=source)]
    errors: list[RuleError] = []
    for key in data:
        if key not in _TOP_KEYS:
            hint = suggest(key, _TOP_KEYS)
            if not hint and key in _RULE_KEYS:
                hint = " (rule fields go inside [[rule]] tables)"
            errors.append(RuleError("unknown top-level key" + hint, source=source, field=key))
    version = data.get("version", 1)
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        errors.append(
            RuleError(
                f"unsupported version {version!r}; this unboil reads "
                + ", ".join(map(str, SUPPORTED_VERSIONS)),
                source=source,
                field="version",
            )
        )
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        errors.append(
            RuleError(
                "expected an array of tables: write [[rule]], not [rule]",
                source=source,
                field="rule",
            )
        )
        return [], errors
    items: list[Item] = []
    seen: dict[str, int] = {}
    for position, table in enumerate(tables, start=1):
        item = _parse_table(table, source, position, errors)
        if item is None:
            continue
        if item.id in seen:
            errors.append(
                RuleError(
                    f"duplicate id: also rule #{seen[item.id]} of this file",
                    source=source,
                    rule=rule_label(item.id, position),
                    field="id",
                )
            )
            continue
        seen[item.id] = position
        items.append(item)
    return items, errors


def _parse_table(table: Any, source: str, position: int, errors: list[RuleError]) -> Item | None:
    if not isinstance(table, dict):
        errors.append(RuleError("expected a table", source=source, rule=rule_label("", position)))
        return None
    rule_id = table.get("id")
    label = rule_label(rule_id if isinstance(rule_id, str) else "", position)
    bad = False
    for key in table:
        if key not in _RULE_KEYS:
            hint = suggest(key, _RULE_KEYS)
            if not hint and key in _known_matchers():
                hint = f" ({key} is a matcher: put it under [rule.match])"
            errors.append(RuleError("unknown field" + hint, source=source, rule=label, field=key))
            bad = True
    if not isinstance(rule_id, str) or not rule_id:
        what = "missing" if rule_id is None else f"expected a non-empty string, got {rule_id!r}"
        errors.append(RuleError(what, source=source, rule=label, field="id"))
        return None
    if (
        "action" not in table
        and "match" not in table
        and set(table) <= {"id", "enabled", "description"}
    ):
        enabled = table.get("enabled")
        if not isinstance(enabled, bool):
            errors.append(
                RuleError(
                    "a rule needs an action and a [rule.match] table (or, to switch "
                    "an earlier rule on or off, just id and enabled)",
                    source=source,
                    rule=label,
                    field="action",
                )
            )
            return None
        return RuleOverride(rule_id, enabled, source=source, position=position)
    for required in ("action", "match"):
        if required not in table:
            errors.append(RuleError("missing", source=source, rule=label, field=required))
            bad = True
    match = table.get("match", {})
    if isinstance(match, dict) and "match" in table and not match:
        errors.append(
            RuleError("empty: name at least one matcher", source=source, rule=label, field="match")
        )
        bad = True
    try:
        rule = Rule(
            id=rule_id,
            action=table.get("action", "drop"),
            match=match,
            description=table.get("description", ""),
            priority=table.get("priority", 0),
            hosts=table.get("hosts", ()),
            enabled=table.get("enabled", True),
            replace=table.get("replace", False),
            source=source,
            position=position,
        )
    except RuleError as exc:
        errors.extend(exc.errors)
        return None
    return None if bad else rule


def _known_matchers() -> Iterable[str]:
    from unboil.rules.matchers import MATCHERS

    return MATCHERS


def read_rules(path: str | Path) -> tuple[list[Item], list[RuleError]]:
    """Read and parse one rule file; unreadable or non-UTF-8 files become a ``RuleError``."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [], [RuleError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source)]
    except OSError as exc:
        return [], [RuleError(f"cannot read: {exc.strerror or exc}", source=source)]
    return parse_rules(text, source)


def merge_layers(layers: Sequence[Sequence[Item]]) -> tuple[list[Rule], list[RuleError]]:
    """Merge files given in order: later files add rules, replace (``replace = true``) or toggle.

    A replacement keeps the replaced rule's place in the order. Reusing an id without
    ``replace = true`` is an error naming both sources. Replacing or toggling an id no earlier
    file defines is logged and the replacement is added as a new rule (the override is ignored).
    """
    rules: list[Rule] = []
    where: dict[str, int] = {}
    errors: list[RuleError] = []
    for layer in layers:
        layer_ids: set[str] = set()
        for item in layer:
            label = rule_label(item.id, item.position)
            source = item.source or "<python>"
            if item.id in layer_ids:
                errors.append(RuleError("duplicate id", source=source, rule=label, field="id"))
                continue
            layer_ids.add(item.id)
            index = where.get(item.id)
            if isinstance(item, RuleOverride):
                if index is None:
                    log.warning(
                        "%s: rule %s: no earlier rule has this id; enabled=%s ignored",
                        source,
                        label,
                        item.enabled,
                    )
                    continue
                old = rules[index]
                rules[index] = Rule(**{**_fields(old), "enabled": item.enabled})
                continue
            if index is not None:
                if not item.replace:
                    earlier = rules[index]
                    errors.append(
                        RuleError(
                            f"duplicate id: already defined in {earlier.source or '<python>'} "
                            f"(#{earlier.position}); add replace = true to replace it",
                            source=source,
                            rule=label,
                            field="id",
                        )
                    )
                    continue
                rules[index] = item
                continue
            if item.replace:
                log.warning(
                    "%s: rule %s: replace = true but no earlier rule has this id; added",
                    source,
                    label,
                )
            where[item.id] = len(rules)
            rules.append(item)
    return rules, errors


def _fields(rule: Rule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in Rule.__dataclass_fields__}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string once DEL (allowed raw in JSON) is escaped too.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def dump_rules(rules: Iterable[Rule], header: str = "") -> str:
    """Rules as rule-file TOML text that ``parse_rules`` reads back into equal rules."""
    lines = [f"# {_CONTROL.sub(' ', line)}".rstrip() for line in header.splitlines()]
    lines.append("version = 1")
    for rule in rules:
        data = rule.to_dict()
        match = data.pop("match")
        lines += ["", "[[rule]]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in data.items()]
        lines.append("[rule.match]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in match.items()]
    return "\n".join(lines) + "\n"
