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


def _sequence_prefix(
    seq: str, anchored: bool, budget: tuple[int, int]
) -> tuple[str, bool, tuple[int, int]]:
    """A safe prefix of one sequence of items: (prefix, whether it is all of seq, budget used).

    ``budget`` counts the unbounded repeats (at most one) and the repeated atoms (at most two)
    on the way to here, so the prefix cannot backtrack much; an unbounded repeat is only taken
    when the branch is ``anchored`` at the start of the text.
    """
    out: list[str] = []
    unbounded, quantified = budget
    i = 0
    n = len(seq)
    while i < n:
        c = seq[i]
        if c in "^$":
            out.append(c)
            i += 1
            continue
        if c == "\\":
            nxt = seq[i + 1 : i + 2]
            if nxt in _ANCHOR_ESCAPES and nxt:
                out.append(seq[i : i + 2])
                i += 2
                continue
            if not nxt or (nxt.isalnum() or nxt == "_") and nxt not in _CLASS_ESCAPES:
                break
            atom, j = seq[i : i + 2], i + 2
        elif c == "[":
            try:
                j = _class_end(seq, i)
            except _Unsure:
                break
            atom = seq[i:j]
        elif c == "(":
            close = _group_end(seq, i)
            if close < 0:
                break
            inner = seq[i + 1 : close]
            if inner.startswith("?") and not inner.startswith("?:"):
                break  # lookaround, named, atomic or flagged group: stop before it
            body = inner.removeprefix("?:")
            quant, k = _quantifier(seq, close + 1)
            parts: list[str] = []
            complete = True
            after = (unbounded, quantified)
            for alternative in _split_top(body):
                part, done, used = _sequence_prefix(alternative, anchored, (unbounded, quantified))
                parts.append(part)
                complete = complete and done
                after = (max(after[0], used[0]), max(after[1], used[1]))
            group = "(?:" + "|".join(parts) + ")"
            if not quant:
                out.append(group)
                if not complete:
                    return "".join(out), False, after
                unbounded, quantified = after
                i = close + 1
                continue
            if quant == "+" or (quant.startswith("{") and quant[1] != "0"):
                out.append(group)  # X+ starts with one X
                return "".join(out), False, after
            # an optional group: a match starts either with the group or with what follows it
            rest, _, used = _sequence_prefix(seq[k:], anchored, (unbounded, quantified))
            out.append("(?:" + group + "|" + rest + ")")
            return "".join(out), False, (max(after[0], used[0]), max(after[1], used[1]))
        elif c in _META:
            break
        else:
            atom, j = c, i + 1
        quant, k = _quantifier(seq, j)
        if quant:
            repeats_at_least_once = quant == "+" or (quant.startswith("{") and quant[1] != "0")
            unbounded_here = quant in ("*", "+") or quant.endswith(",}")
            high = quant[1:-1].partition(",")[2] or quant[1:-1] if quant.startswith("{") else ""
            if (
                quantified == 2
                or (unbounded_here and (unbounded or not anchored))
                or (high and int(high) > 64)
            ):
                # keep the backtracking of the prefix small: cut here (X+ still starts with X)
                if repeats_at_least_once:
                    out.append(atom)
                return "".join(out), False, (unbounded, quantified)
            quantified += 1
            unbounded += unbounded_here
        out.append(atom + quant)
        i = k
    return "".join(out), i >= n, (unbounded, quantified)


def _branch_prefix(branch: str) -> str:
    """The safe prefix of one top-level branch (may be empty)."""
    anchored = branch.startswith(("^", "\\A"))
    return _sequence_prefix(branch, anchored, (0, 0))[0]


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


def prefilter_parts(pattern: Any) -> tuple[str, str] | None:
    """``(leading inline flags, prefix body)`` of a compiled ``text_regex``'s prefilter, or None."""
    try:
        source = pattern.pattern
        if not isinstance(source, str) or pattern.flags != regex.compile(source).flags:
            return None  # compiled with flags of its own: not cut from its source alone
        prefix = prefix_pattern(source)
        if prefix is None:
            return None
        flags, _ = _leading_flags(source)
        regex.compile(prefix)
        return flags, prefix[len(flags) :]
    except (regex.error, AttributeError, TypeError, ValueError, _Unsure):
        return None


def compile_prefilter(pattern: Any) -> Any:
    """The compiled prefilter of a compiled ``text_regex``, or None (always run the full search)."""
    parts = prefilter_parts(pattern)
    return None if parts is None else regex.compile(parts[0] + parts[1])


def compile_union(parts: list[tuple[str, str]]) -> Any:
    """One pattern matching where any of these prefilters (all with the same flags) matches."""
    flags = parts[0][0]
    if any(f != flags for f, _ in parts):
        raise ValueError("prefilters with different flags cannot share a union")
    try:
        return regex.compile(flags + "|".join(f"(?:{body})" for _, body in parts))
    except regex.error:
        return None


# ---------------------------------------------------------------- lead filter
# Every top-level branch of a prefilter (or of a union of prefilters) that reads ``^\W*`` then a
# run of literal characters (or ``\d``), possibly inside a group of such alternatives, can match
# a text only if one of those "heads" matches right after a stretch of non-word characters at
# the start. The lead filter tests exactly that in one pass over the first characters, each
# character judged by the very same engine and flags (memoised per code point), so it rejects
# most texts without a search call. Whatever it cannot decide it answers "maybe".

_LEAD = "^\\W*"


def _heads(seq: str) -> list[str] | None:
    """The heads (literal atoms; ``\\d`` kept as is) one of which ``seq`` starts with, or None."""
    if seq.startswith("("):
        close = _group_end(seq, 0)
        if close < 0:
            return None
        inner = seq[1:close]
        if inner.startswith("?"):
            if not inner.startswith("?:"):
                return None  # lookaround, named, atomic or flagged group
            inner = inner[2:]
        if close + 1 < len(seq) and seq[close + 1] in "?*+{":
            return None  # a repeated group: keep it simple
        try:
            alternatives = _split_top(inner)
        except _Unsure:
            return None
        out: list[str] = []
        for alternative in alternatives:
            found = _heads(alternative)
            if found is None:
                return None
            out.extend(found)
        return out
    if seq.startswith("\\d"):
        return None if seq[2:3] in ("?", "*", "{") else ["\\d"]
    head: list[str] = []
    for i, c in enumerate(seq):
        if c in _META:
            break
        after = seq[i + 1 : i + 2]
        if after and after in "?*{":
            break  # this character may be absent
        head.append(c)
        if after == "+":
            break
    return ["".join(head)] if head else None


def lead_heads(bodies: list[str]) -> list[tuple[str, ...]] | None:
    """Each head as a tuple of atoms (single characters or ``\\d``) over all top-level branches
    of these prefilter bodies, all of which must read ``^\\W*`` then heads; None otherwise."""
    out: list[tuple[str, ...]] = []
    for body in bodies:
        try:
            branches = _split_top(body)
        except _Unsure:
            return None
        for branch in branches:
            if not branch.startswith(_LEAD):
                return None
            found = _heads(branch[len(_LEAD) :])
            if not found:
                return None
            for head in found:
                out.append(("\\d",) if head == "\\d" else tuple(head))
    return out or None


class LeadFilter:
    """A necessary condition for a prefilter (or union of prefilters) of the ``^\\W*`` form.

    ``may_match(text)`` is False only when no branch can match: no head matches at any position
    reached over the text's leading non-word characters. ASCII characters are judged by tables
    filled from the engine; a non-ASCII character is judged only as a non-word character or as a
    head's first character (memoised), and anywhere else the answer is "maybe" (True).
    """

    __slots__ = (
        "_first",
        "_nonword",
        "atoms",
        "first_ascii",
        "heads",
        "kernel",
        "memo",
        "nonword_ascii",
    )

    def __init__(self, flags: str, heads: list[tuple[str, ...]]) -> None:
        atoms = sorted({a for h in heads for a in h})
        index = {a: i for i, a in enumerate(atoms)}
        self.atoms = [
            bytes(regex.fullmatch(flags + (a if a == "\\d" else regex.escape(a)), chr(c)) is not None
                  for c in range(128))
            for a in atoms
        ]
        self.heads = [tuple(index[a] for a in h) for h in heads]
        self.nonword_ascii = bytes(regex.fullmatch(flags + "\\W", chr(c)) is not None for c in range(128))
        self.first_ascii = bytes(any(self.atoms[h[0]][c] for h in self.heads) for c in range(128))
        firsts = sorted({atoms[h[0]] for h in self.heads})
        self._first = regex.compile(
            flags + "(?:" + "|".join(a if a == "\\d" else regex.escape(a) for a in firsts) + ")")
        self._nonword = regex.compile(flags + "\\W")
        self.memo: dict[int, int] = {}  # non-ASCII code point -> 1 + non-word bit + 2 * first bit
        self.kernel: Any = None  # the compiled twin, built by the rules kernel when present

    def char_bits(self, c: int) -> int:
        """For a non-ASCII code point: bit 1 set when it is a non-word character, bit 2 set when
        some head's first atom matches it (memoised; the engine decides)."""
        bits = self.memo.get(c)
        if bits is None:
            ch = chr(c)
            bits = (1 + (self._nonword.fullmatch(ch) is not None)
                    + 2 * (self._first.fullmatch(ch) is not None))
            if len(self.memo) < 1 << 16:
                self.memo[c] = bits
        return bits - 1

    def may_match(self, text: str) -> bool:
        """False only when no branch of the filtered pattern can match ``text``."""
        n = len(text)
        for j in range(n):
            c = ord(text[j])
            if c < 128:
                if self.first_ascii[c] and self._heads_at(text, j, n):
                    return True
                if not self.nonword_ascii[c]:
                    return False
            else:
                bits = self.char_bits(c)
                if bits & 2:
                    return True  # a non-ASCII head start: let the search decide
                if not bits & 1:
                    return False
        return False

    def _heads_at(self, text: str, j: int, n: int) -> bool:
        atoms = self.atoms
        for head in self.heads:
            if j + len(head) > n:
                continue
            for i, a in enumerate(head):
                c = ord(text[j + i])
                if c >= 128:
                    return True  # not judged here: maybe
                if not atoms[a][c]:
                    break
            else:
                return True
        return False


def lead_filter(pattern: Any, bodies: list[str], flags: str) -> LeadFilter | None:
    """The ``LeadFilter`` of ``pattern`` (a compiled prefilter or union of these ``bodies`` with
    these leading flags), or None when its branches are not all of the ``^\\W*`` form or its
    engine settings could make one character match several."""
    try:
        if pattern is None or pattern.flags & (regex.FULLCASE | regex.V1 | regex.MULTILINE
                                               | regex.VERBOSE):
            return None
        if set(flags[2:-1]) - _FLAGS_OK:
            return None
        heads = lead_heads(bodies)
        return None if heads is None else LeadFilter(flags, heads)
    except (regex.error, _Unsure, ValueError):
        return None
