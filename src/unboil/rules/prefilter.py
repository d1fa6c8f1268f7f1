"""A cheap necessary condition for a ``text_regex``: a prefix of the pattern, run without a timer.

A search with a time limit costs several microseconds more than one without (the ``regex`` module
reads the process clock), and most blocks of a page fail a rule's pattern at its first words. If
a pattern matches a text, then so does every prefix of each of its top-level branches (a prefix
of a sequence matches wherever the whole sequence does). So a search for such prefixes that finds
nothing proves the full pattern finds nothing, and the timed search runs only on the rest.

The prefix is cut from the pattern's own source, so it is compiled by the same engine with the
same flags. Only a small, linear subset of the syntax is taken into a prefix: anchors, single
characters and character classes (at most one of them repeated without bound), and groups that
are plain alternations of literal words. Anything else ends the prefix; a pattern whose branches
cannot be told apart with certainty gets no prefilter at all.
"""

from __future__ import annotations

from typing import Any

import regex

#: texts longer than this skip the prefilter and go straight to the timed search
MAX_TEXT = 4096

_FLAGS_OK = frozenset("isu")
_META = frozenset(".^$*+?{}[]\\|()")
_CLASS_ESCAPES = frozenset("wWdDsS")
_ANCHOR_ESCAPES = frozenset("bBA")


class _Unsure(Exception):
    """The pattern uses syntax the splitter does not follow with certainty."""


def _split_top(source: str) -> list[str]:
    """The top-level branches of ``source`` (split at ``|`` outside groups and classes)."""
    if "(?#" in source or "\\Q" in source:
        raise _Unsure
    branches: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(source)
    while i < n:
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _class_end(source, i)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise _Unsure
        elif c == "|" and depth == 0:
            branches.append(source[start:i])
            start = i + 1
        i += 1
    if depth:
        raise _Unsure
    branches.append(source[start:])
    return branches


def _class_end(source: str, i: int) -> int:
    """Index just past the character class opening at ``source[i]``."""
    j = i + 1
    if j < len(source) and source[j] == "^":
        j += 1
    if j < len(source) and source[j] == "]":
        j += 1
    while j < len(source):
        c = source[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            raise _Unsure  # nested sets or POSIX classes
        if c == "]":
            return j + 1
        j += 1
    raise _Unsure


def _quantifier(branch: str, i: int) -> tuple[str, int]:
    """The quantifier at ``branch[i]`` (possibly "") and the index after it."""
    if i >= len(branch):
        return "", i
    c = branch[i]
    if c in "*+?":
        j = i + 1
        if j < len(branch) and branch[j] in "?+":
            raise _Unsure  # lazy or possessive: keep it simple
        return c, j
    if c == "{":
        close = branch.find("}", i)
        if close < 0:
            raise _Unsure
        body = branch[i + 1 : close]
        low, _, high = body.partition(",")
        if not low.isdigit() or (high and not high.isdigit()):
            raise _Unsure
        j = close + 1
        if j < len(branch) and branch[j] in "?+":
            raise _Unsure
        return branch[i : close + 1], j
    return "", i


def _literal_group(body: str) -> bool:
    """Whether a group body is an alternation of plain literal words."""
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            nxt = body[i + 1 : i + 2]
            if not nxt or nxt.isalnum() or nxt == "_":
                return False
            i += 2
            continue
        if c in _META and c != "|":
            return False
        i += 1
    return True


def _branch_prefix(branch: str) -> str:
    """The longest safe prefix of one branch (may be empty)."""
    out: list[str] = []
    unbounded = 0  # repeats without an upper bound taken so far (at most one)
    quantified = 0  # repeated atoms taken so far (at most two)
    # an unbounded repeat is only taken when the branch can match at the start of the text alone
    anchored = branch.startswith("^") or branch.startswith("\\A")
    i = 0
    n = len(branch)
    while i < n:
        c = branch[i]
        if c in "^$":
            out.append(c)
            i += 1
            continue
        if c == "\\":
            nxt = branch[i + 1 : i + 2]
            if nxt in _ANCHOR_ESCAPES and nxt:
                out.append(branch[i : i + 2])
                i += 2
                continue
            if not nxt or (nxt.isalnum() or nxt == "_") and nxt not in _CLASS_ESCAPES:
                break
            atom, j = branch[i : i + 2], i + 2
        elif c == "[":
            try:
                j = _class_end(branch, i)
            except _Unsure:
                break
            atom = branch[i:j]
        elif c == "(":
            close = _group_end(branch, i)
            if close < 0:
                break
            inner = branch[i + 1 : close]
            body = inner[2:] if inner.startswith("?:") else inner
            if inner.startswith("?") and not inner.startswith("?:") or not _literal_group(body):
                break
            quant, _ = _quantifier(branch, close + 1)
            if quant:
                break
            out.append("(?:" + body + ")")
            i = close + 1
            continue
        elif c in _META:
            break
        else:
            atom, j = c, i + 1
        quant, k = _quantifier(branch, j)
        if quant:
            repeats_at_least_once = quant == "+" or (quant.startswith("{") and quant[1] != "0")
            unbounded_here = quant in ("*", "+") or quant.endswith(",}")
            if quantified == 2 or (unbounded_here and unbounded):
                # keep the backtracking of the prefix small: cut here (X+ still starts with X)
                if repeats_at_least_once:
                    out.append(atom)
                break
            if unbounded_here and not anchored:
                if repeats_at_least_once:
                    out.append(atom)
                break
            if quant.startswith("{"):
                high = quant[1:-1].partition(",")[2] or quant[1:-1]
                if high and int(high) > 64:
                    if repeats_at_least_once:
                        out.append(atom)
                    break
            quantified += 1
            unbounded += unbounded_here
        out.append(atom + quant)
        i = k
    return "".join(out)


def _group_end(branch: str, i: int) -> int:
    """Index of the ``)`` closing the group opening at ``branch[i]``, or -1."""
    depth = 0
    j = i
    while j < len(branch):
        c = branch[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            try:
                j = _class_end(branch, j)
            except _Unsure:
                return -1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def _leading_flags(source: str) -> tuple[str, str]:
    """Split a leading ``(?flags)`` off ``source``; raise when other inline flags appear."""
    flags = ""
    rest = source
    if rest.startswith("(?") and len(rest) > 2 and rest[2].isalpha():
        close = rest.find(")")
        letters = rest[2:close]
        if close < 0 or not letters.isalpha() or not set(letters) <= _FLAGS_OK:
            raise _Unsure
        flags, rest = rest[: close + 1], rest[close + 1 :]
    # inline flags anywhere else apply to the whole pattern in the regex module's version 0
    # (an escaped "\\(?" is refused too: being unsure only costs the prefilter)
    i = 0
    while True:
        i = rest.find("(?", i)
        if i < 0:
            break
        nxt = rest[i + 2 : i + 3]
        if nxt.isalpha() or nxt == "-" or nxt == "^":
            raise _Unsure
        i += 2
    return flags, rest


def prefix_pattern(source: str) -> str | None:
    """The prefilter pattern for a ``text_regex`` source, or None when it would not help."""
    try:
        flags, body = _leading_flags(source)
        branches = _split_top(body)
        prefixes = [_branch_prefix(b) for b in branches]
    except _Unsure:
        return None
    for prefix in prefixes:
        # a branch with no prefix, or one of only anchors and optional repeats, accepts almost
        # everything: the prefilter would only add cost
        stripped = prefix.replace("^", "").replace("\\A", "").replace("\\b", "").replace("\\B", "")
        if not stripped or _matches_empty(flags + stripped):
            return None
    return flags + "|".join(prefixes)


def _matches_empty(source: str) -> bool:
    try:
        return regex.match(source, "") is not None and regex.match(source, " ") is not None
    except regex.error:
        return True


def compile_prefilter(pattern: Any) -> Any:
    """The compiled prefilter of a compiled ``text_regex``, or None (always run the full search)."""
    try:
        source = pattern.pattern
        if not isinstance(source, str) or pattern.flags != regex.compile(source).flags:
            return None  # compiled with flags of its own: not cut from its source alone
        prefix = prefix_pattern(source)
        return None if prefix is None else regex.compile(prefix)
    except (regex.error, AttributeError, TypeError, ValueError):
        return None
