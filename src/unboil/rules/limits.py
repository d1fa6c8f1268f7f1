"""Time limits on ``text_regex`` matching, per match and per document, and what hitting them did.

A catastrophic pattern (``(a+)+$`` on ``"aaaa…ab"``) can run for minutes on one block. Each timed
search stops after ``regex_timeout`` seconds, and all of a document's timed searches together
stop after ``regex_budget`` seconds: once the budget is spent, the document's remaining
``text_regex`` checks are not run at all. A check that was stopped or not run was not evaluated,
and the engine takes the choice that loses nothing: a drop rule does not match (the block stays)
and a keep rule does (the block stays). The ``RegexReport`` says which rules were cut short, on
how many blocks, and why, so a result never hides it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Seconds one ``text_regex`` search may run on one block before it is stopped.
DEFAULT_REGEX_TIMEOUT = 0.25
#: Seconds all the ``text_regex`` searches of one document may run together.
DEFAULT_REGEX_BUDGET = 1.0

#: How many block indexes of one rule a warning lists before it says "and N more".
_SHOWN = 5


def check_seconds(name: str, value: object, *, unlimited: bool = False) -> float:
    """``value`` as a positive number of seconds (``inf`` only when ``unlimited``), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    if math.isinf(value) and not unlimited:
        raise ValueError(f"{name} must be a finite number of seconds, got {value!r}")
    return float(value)


def seconds(value: float) -> str:
    """A duration as the warning prints it: ``0.25 s``, ``1 s``, ``no limit``."""
    return "no limit" if math.isinf(value) else f"{value:g} s"


@dataclass(frozen=True, slots=True)
class RegexReport:
    """The ``text_regex`` checks of one document that were cut short, and why.

    ``blocks`` maps each rule id to the indexes of the blocks it could not test, in the order
    they came up; ``timed_out`` counts the searches stopped by the per-match limit,
    ``over_budget`` the checks stopped or not run because the document's budget ran out, and
    ``budget_spent`` says whether it did.
    """

    blocks: dict[str, tuple[int, ...]] = field(default_factory=dict)
    timed_out: int = 0
    over_budget: int = 0
    budget_spent: bool = False
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT
    regex_budget: float = DEFAULT_REGEX_BUDGET

    def __bool__(self) -> bool:
        return bool(self.blocks)

    @property
    def cut_short(self) -> dict[str, int]:
        """Rule id -> how many of the document's blocks that rule's ``text_regex`` could not test."""
        return {rule: len(at) for rule, at in self.blocks.items()}

    def describe(self, name: str) -> str:
        """The one-line warning naming the document, each rule and what happened."""
        rules = "; ".join(f"rule {rule!r} on {_blocks(at)}" for rule, at in self.blocks.items())
        why = []
        if self.timed_out:
            why.append(f"{self.timed_out} timed out (limit {seconds(self.regex_timeout)} per match)")
        spent = f"the regex budget of {seconds(self.regex_budget)} per document was spent"
        if self.over_budget:
            why.append(f"{self.over_budget} stopped or not run: {spent}")
        elif self.budget_spent:
            why.append(spent)
        return f"text_regex cut short on {name}: {rules}: {', '.join(why)}; those blocks were kept"


def _blocks(at: tuple[int, ...]) -> str:
    """``1 block (7)`` or ``12 blocks (2, 3, 4, 5, 6 and 7 more)``."""
    shown = ", ".join(str(i) for i in at[:_SHOWN])
    more = f" and {len(at) - _SHOWN} more" if len(at) > _SHOWN else ""
    return f"{len(at)} block{'s' if len(at) != 1 else ''} ({shown}{more})"


#: the report of a document whose regexes all ran to the end
NO_CUTS = RegexReport()
