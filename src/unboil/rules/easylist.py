"""Import the cosmetic subset of EasyList-style filter lists as rules.

Supported lines:

- ``##.selector`` - hide everywhere: a ``drop`` rule with ``css``;
- ``example.com,example.org##.selector`` - the same, scoped with ``hosts``;
- ``example.com#@#.selector`` - an exception: a ``keep`` rule (keep rules win over every drop, so
  an exception keeps the block whatever else matched it, a little broader than in a browser).

Everything else - network filters, comments, ``~negated`` or wildcard domains, extended and
procedural selectors (``#?#``, ``:has-text()``, ``:-abp-...``), scriptlets (``#$#``, ``##+js``) -
is skipped and reported, never guessed at. Rule ids are ``easylist:`` plus a hash of the line, so
they stay the same when the list is reordered or grows.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from unboil.rules.matchers import MATCHERS, InvalidValue
from unboil.rules.model import DROP, KEEP, Rule, RuleError, normalize_host

log = logging.getLogger(__name__)

_DOMAIN = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)+\Z")
_UNSUPPORTED_SEPARATORS = ("#?#", "#@?#", "#$#", "#@$#", "#%#", "#@%#", "$$", "$@$")
_PROCEDURAL = re.compile(
    r":(-abp-|has-text|matches-|xpath|style|remove|upward|watch-attr|"
    r"min-text-length|others|if|if-not|nth-ancestor|matches-path)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A list line that was not imported, with its 1-based line number and the reason."""

    line_number: int
    line: str
    reason: str


def _rule_id(line: str) -> str:
    return "easylist:" + hashlib.sha1(line.encode("utf-8")).hexdigest()[:12]


def _split(line: str) -> tuple[str, str, str] | str:
    """(domains, separator, selector) of a cosmetic line, or the reason it is not one."""
    for separator in _UNSUPPORTED_SEPARATORS:
        if separator in line:
            return f"unsupported filter type {separator!r}"
    for separator in ("#@#", "##"):
        at = line.find(separator)
        if at >= 0:
            return line[:at], separator, line[at + len(separator) :].strip()
    return "not a cosmetic filter"


def _hosts(domains: str) -> tuple[str, ...] | str:
    hosts: list[str] = []
    for domain in filter(None, (d.strip() for d in domains.split(","))):
        if domain.startswith("~"):
            return "negated domains are not supported"
        host = normalize_host(domain)
        if not _DOMAIN.match(host):
            return f"unsupported domain {domain!r}"
        hosts.append(host)
    return tuple(hosts)


def _convert(line: str, source: str, number: int) -> Rule | str:
    parts = _split(line)
    if isinstance(parts, str):
        return parts
    domains, separator, selector = parts
    if not selector:
        return "empty selector"
    if selector.startswith(("+js(", "^")) or _PROCEDURAL.search(selector):
        return "scriptlet, HTML or procedural filter"
    hosts = _hosts(domains)
    if isinstance(hosts, str):
        return hosts
    try:
        MATCHERS["css"].validate(selector)
    except InvalidValue as exc:
        return str(exc)
    action = KEEP if separator == "#@#" else DROP
    description = line if len(line) <= 200 else line[:197] + "..."
    return Rule(
        id=_rule_id(line),
        action=action,
        match={"css": selector},
        description=description,
        hosts=hosts,
        source=source,
        position=number,
    )


def parse_easylist(
    text: str | Iterable[str], source: str = "<easylist>"
) -> tuple[list[Rule], list[Skipped]]:
    """Rules from the cosmetic lines of a filter list, and the lines skipped with their reasons."""
    lines = text.splitlines() if isinstance(text, str) else text
    rules: list[Rule] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("!") or (line.startswith("[") and line.endswith("]")):
            continue
        try:
            result = _convert(line, source, number)
        except RuleError as exc:
            result = exc.reason
        if isinstance(result, str):
            skipped.append(Skipped(number, line, result))
            continue
        if result.id in seen:
            continue  # the same line twice
        seen.add(result.id)
        rules.append(result)
    if skipped:
        log.info(
            "%s: imported %d cosmetic rules, skipped %d lines", source, len(rules), len(skipped)
        )
    return rules, skipped
