"""The cleaner's limits on the command line: size caps and regex time limits, checked by argparse.

Each option is a ``CleanerConfig`` field of the same name; left out, the field keeps its default
(the help text shows it). A bad value is argparse's one-line error naming the option.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

#: the option names, as ``CleanerConfig`` fields (and argparse destinations)
LIMITS = ("max_chars", "max_html_bytes", "regex_timeout", "regex_budget")


def limit_values(args: argparse.Namespace) -> dict[str, Any]:
    """The limits given on the command line, as ``CleanerConfig`` keywords."""
    return {name: value for name in LIMITS if (value := getattr(args, name, None)) is not None}


def _field_default(name: str) -> Any:
    from unboil.cleaner import CleanerConfig

    return CleanerConfig.__dataclass_fields__[name].default


def add_limit_options(p: argparse.ArgumentParser) -> None:
    """The cleaner's size caps and regex time limits (CleanerConfig fields; defaults from there)."""
    from unboil.rules.limits import DEFAULT_REGEX_TIMEOUT

    limits = p.add_argument_group("limits", "a document over a size cap becomes an error record; "
                                            "regex checks past a time limit keep their blocks")
    limits.add_argument("--max-chars", type=_whole, default=None, metavar="N",
                        help=f"refuse text longer than N characters (default {_field_default('max_chars'):,})")
    limits.add_argument("--max-html-bytes", type=_whole, default=None, metavar="N",
                        help=f"refuse HTML larger than N bytes (default {_field_default('max_html_bytes'):,})")
    limits.add_argument("--regex-timeout", type=_seconds, default=None, metavar="SECONDS",
                        help=f"stop one text_regex search after this long (default {DEFAULT_REGEX_TIMEOUT:g})")
    limits.add_argument("--regex-budget", type=_budget, default=None, metavar="SECONDS",
                        help="stop running a document's text_regex checks once they took this long together "
                             f"(default {_field_default('regex_budget'):g}; inf: no budget)")


def _whole(value: str) -> int:
    try:
        n = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value!r}")
    return n


def _seconds(value: str, unlimited: bool = False) -> float:
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not n > 0 or (math.isinf(n) and not unlimited):
        kind = "a positive number of seconds" + (" or inf" if unlimited else "")
        raise argparse.ArgumentTypeError(f"must be {kind}, got {value!r}")
    return n


def _budget(value: str) -> float:
    return _seconds(value, unlimited=True)
