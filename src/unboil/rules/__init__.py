"""The rule engine: rules as data (TOML or a Python builder) that decide which blocks to keep.

``RuleSet.default()`` is the packaged set; ``RuleSet.load(*files)`` adds users' files on top.
"""

from unboil.rules.engine import Evaluation, RuleSet
from unboil.rules.limits import DEFAULT_REGEX_BUDGET, DEFAULT_REGEX_TIMEOUT, RegexReport
from unboil.rules.loader import merge_layers, parse_rules, read_rules
from unboil.rules.matchers import MATCHERS, Matcher
from unboil.rules.model import (
    ACTIONS,
    DROP,
    DROP_REPEATS,
    KEEP,
    Rule,
    RuleError,
    RuleOverride,
)

__all__ = [
    "ACTIONS",
    "DEFAULT_REGEX_BUDGET",
    "DEFAULT_REGEX_TIMEOUT",
    "DROP",
    "DROP_REPEATS",
    "Evaluation",
    "KEEP",
    "MATCHERS",
    "Matcher",
    "RegexReport",
    "Rule",
    "RuleError",
    "RuleOverride",
    "RuleSet",
    "merge_layers",
    "parse_rules",
    "read_rules",
]
