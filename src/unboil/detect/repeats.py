"""Find blocks that repeat inside one document, above all copies of the page title.

Machine-translated pages repeat their title worded a little differently each time ("run away" /
"are running away" / "are fleeing") and often cut short, so a copy is recognised by in-order token
alignment against the title, not by exact equality. Long paragraphs that merely share words with the
title, or quote it inside a longer sentence, fall outside the length window and are never copies.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from unboil._compiled import compiled
from unboil.document import Document
from unboil.fingerprint.shingles import (
    _xxh3_64,
    char_shingles,
    containment,
    shingle_set,
    tokenize,
)
from unboil.normalize import comparison_key


@dataclass(frozen=True, slots=True)
class RepeatsConfig:
    """Thresholds of the repeats detector; every default is documented here."""

    title_similarity: float = 0.6  # share of a block's tokens aligned, in order, with the title
    sentence_similarity: float = 0.85  # ... for a block ending a sentence where the title does not
    min_title_coverage: float = 0.4  # share of the title's tokens a copy must cover
    min_copy_tokens: int = 4  # a copy has at least min(this, title length) tokens
    max_length_ratio: float = 1.3  # a copy has at most ratio * title tokens + slack
    length_slack: int = 2
    fuzzy_similarity: float = 0.8  # two short blocks group when this share of the shorter aligns
    fuzzy_length_ratio: float = 0.6  # ... and the shorter has at least this share of the longer's tokens
    fuzzy_max_tokens: int = 60  # only blocks up to this length take part in fuzzy grouping
    fuzzy_min_tokens: int = 3
    max_key_frequency: int = 20  # candidate keys shared by more blocks than this are ignored
    max_candidates: int = 50  # fuzzy comparisons per block at most


#: the compiled twin of the hot loops (None: pure Python); tests swap it to compare both paths
_KERNEL = compiled("detect._repeats")


def _tokens(text: str) -> list[str]:
    return tokenize(unicodedata.normalize("NFKC", text))


def _aligned_reference(a: list[str], b: list[str]) -> int:
    """How many tokens of ``a`` align, in order, with ``b`` (difflib's matching blocks)."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return sum(size for _, _, size in matcher.get_matching_blocks())


def _aligned(a: list[str], b: list[str]) -> int:
    """How many tokens of ``a`` align, in order, with ``b``; the compiled twin when built."""
    kernel = _KERNEL
    if kernel is not None:
        return kernel.aligned(a, b)
    return _aligned_reference(a, b)


def _last_char(text: str) -> str:
    stripped = text.rstrip(" \t\n\"'”’»)]")
    return stripped[-1] if stripped else ""


class _UnionFind:
    __slots__ = ("parent",)

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


_PREFILTER_FLOOR = 0.25  # similarities below this come from the cheap overlap test, not alignment


_SENTENCE_END = frozenset(".!?:;。！？：")


def title_match(
    block_tokens: list[str],
    title_tokens: list[str],
    config: RepeatsConfig,
    block_end: str = "",
    title_end: str = "",
) -> tuple[float, bool, bool]:
    """Return ``(similarity, is_copy, is_full_title)`` of a block against the title.

    ``block_end`` / ``title_end`` are the last visible characters of each, used to tell a finished
    sentence from a copy cut short.
    """
    nb, nt = len(block_tokens), len(title_tokens)
    if not nb or not nt:
        return 0.0, False, False
    title_set = set(title_tokens)
    overlap = sum(1 for t in set(block_tokens) if t in title_set) / len(set(block_tokens))
    if overlap < config.title_similarity * 0.75:  # cheap reject before alignment
        return min(overlap * 0.5, _PREFILTER_FLOOR - 1e-4), False, False
    aligned = _aligned(block_tokens, title_tokens)
    similarity = aligned / nb
    if block_end and block_end in _SENTENCE_END and block_end != title_end:
        # a finished sentence ("Here are 15 tips to help overcome binge eating.") that shares the
        # title's words is a lead or a heading, not a copy cut short: ask for near-identity
        required = config.sentence_similarity
    else:
        required = config.title_similarity
    in_window = min(config.min_copy_tokens, nt) <= nb <= config.max_length_ratio * nt + config.length_slack
    is_copy = (
        in_window
        and similarity >= required
        and aligned >= min(config.min_copy_tokens, nt)
        and aligned / nt >= config.min_title_coverage
    )
    is_full = is_copy and similarity >= 0.9 and aligned / nt >= 0.9
    return similarity, is_copy, is_full


# every ASCII character that is not a word character (\\w: letters, digits, underscore) -> space,
# so that, on ASCII text, translate + split gives the \\w+ tokens; the key table also drops "_"
_ASCII_GAPS = {c: " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
_TOKEN_GAPS = str.maketrans(_ASCII_GAPS)
_KEY_GAPS = str.maketrans({**_ASCII_GAPS, ord("_"): " "})


def _tokens_and_key(text: str) -> tuple[list[str], str]:
    """``(_tokens(text), comparison_key(text))``, cheaply for ASCII text (most blocks).

    On ASCII text NFKC changes nothing, casefold is lower, there are no zero-width characters,
    and ``\\w`` is ``[A-Za-z0-9_]``: both reduce to splitting the lowered text at non-word runs.
    """
    if text.isascii():
        lowered = text.lower()
        tokens = lowered.translate(_TOKEN_GAPS).split()
        if "_" in lowered:
            return tokens, " ".join(lowered.translate(_KEY_GAPS).split())
        return tokens, " ".join(tokens)
    return _tokens(text), comparison_key(text)


def _shingle_hashes(key: str, known: dict[str, int]) -> frozenset[int]:
    """``shingle_set(char_shingles(key, 4))``, taking the hashes of ``known`` shingles as given."""
    return frozenset(
        known[s] if s in known else _xxh3_64(s.encode("utf-8")) for s in char_shingles(key, 4)
    )


class _LazyKeys:
    """A page's comparison keys, built as strings only for the blocks that are read."""

    __slots__ = ("page",)

    def __init__(self, page: Any) -> None:
        self.page = page

    def __getitem__(self, i: int) -> str:
        return self.page.key(i)


class _LazyTokens:
    """A page's token lists, built as strings only for the blocks that are read."""

    __slots__ = ("page",)

    def __init__(self, page: Any) -> None:
        self.page = page

    def __getitem__(self, i: int) -> list[str]:
        return self.page.tokens(i)


def annotate_repeats(doc: Document, config: RepeatsConfig = RepeatsConfig()) -> None:
    """Group near-duplicate blocks of ``doc`` and mark copies of its title (signals only)."""
    blocks = doc.blocks
    n = len(blocks)
    if not n:
        return
    kernel = _KERNEL
    title = doc.title
    title_tokens = _tokens(title) if title else []
    title_end = _last_char(title)
    title_shingles: frozenset[int] | None = None  # built when a block first needs them
    title_hash: dict[str, int] = {}
    groups = _UnionFind(n)
    title_set = set(title_tokens)
    reject_below = config.title_similarity * 0.75
    floor = _PREFILTER_FLOOR - 1e-4

    # 1. exact repeats (after case/punctuation/space folding), any length
    if kernel is not None:
        page = kernel.TokenPage(blocks, title_tokens, comparison_key)
        page.union_exact(groups.parent)
        keys: Any = _LazyKeys(page)
        # blocks the cheap overlap test of title_match rejects get their signals here; only
        # the others need their tokens as strings
        rest: Iterable[int] = page.title_scan(reject_below, floor, round)
        tokens: Any = _LazyTokens(page)
    else:
        split = [_tokens_and_key(b.text) for b in blocks]
        tokens = [t for t, _ in split]
        keys = [k for _, k in split]
        first_by_key: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key:
                j = first_by_key.setdefault(key, i)
                if j != i:
                    groups.union(j, i)
        rest = range(n)

    # 2. title copies: reworded and cut short. Blocks the cheap overlap test of title_match
    # rejects get its answer here without the call; the others go through title_match.
    title_copies: list[int] = []
    scored: list[tuple[int, float]] = []
    numbers = (config.title_similarity, config.sentence_similarity, config.min_copy_tokens,
               config.max_length_ratio, config.length_slack, config.min_title_coverage)
    if kernel is not None and all(type(v) in (int, float) for v in numbers) and (
        type(config.min_copy_tokens) is int
    ):
        # the kernel runs title_match on token ids and writes the signals (containment: 0.0)
        scored, title_copies = page.title_rest(list(rest), blocks, *numbers, title_end, round)
        rest = ()
    for i in rest:
        b = blocks[i]
        toks = tokens[i]
        signals = b.signals
        if toks and title_tokens:
            distinct = set(toks)
            overlap = len(distinct & title_set) / len(distinct)
            if overlap < reject_below:
                signals["title_similarity"] = round(min(overlap * 0.5, floor), 4)
                signals["title_containment"] = 0.0
                signals["repeat_of_title"] = False
                signals["is_title"] = False
                continue
            sim, is_copy, is_full = title_match(toks, title_tokens, config, _last_char(b.text), title_end)
        else:
            sim, is_copy, is_full = 0.0, False, False
        signals["title_similarity"] = round(sim, 4)
        signals["title_containment"] = 0.0
        signals["repeat_of_title"] = is_copy
        signals["is_title"] = is_full
        scored.append((i, sim))
        if is_copy:
            title_copies.append(i)
    # containment in the title, for blocks that resemble it (near zero for the others)
    for i, sim in scored:
        if sim >= _PREFILTER_FLOOR and title:
            if title_shingles is None:
                # the title's shingle hashes, kept by shingle: a title copy's shingles are
                # mostly the title's, so most need no hashing of their own
                title_key = comparison_key(title)
                if kernel is not None and title_key == " ".join(title_key.split()):
                    title_hash = kernel.shingle_hashes(title_key, _xxh3_64)
                else:
                    title_hash = {s: _xxh3_64(s.encode("utf-8")) for s in char_shingles(title_key, 4)}
                title_shingles = frozenset(title_hash.values())
            if title_shingles:
                blocks[i].signals["title_containment"] = round(
                    page.containment(i, title_hash, title_shingles, _xxh3_64)
                    if kernel is not None
                    else containment(_shingle_hashes(keys[i], title_hash), title_shingles),
                    4,
                )
    for i in title_copies[1:]:
        groups.union(title_copies[0], i)

    # 3. fuzzy repeats among short blocks: candidates share a word bigram, verified by alignment
    if kernel is not None:
        ints = (config.fuzzy_min_tokens, config.fuzzy_max_tokens, config.max_key_frequency,
                config.max_candidates)
        if all(type(v) is int for v in ints):
            edges = page.fuzzy_edges(
                groups.parent, *ints,
                float(config.fuzzy_length_ratio), float(config.fuzzy_similarity),
            )
            for i, j in edges:
                groups.union(i, j)
        else:
            _fuzzy_group([page.tokens(i) for i in range(n)], groups, config)
        kernel.write_groups(page.signals, groups.parent)
        return
    _fuzzy_group(tokens, groups, config)

    members: dict[int, list[int]] = {}
    roots = [groups.find(i) for i in range(n)]
    for i, root in enumerate(roots):
        found = members.get(root)
        if found is None:
            members[root] = [i]
        else:
            found.append(i)
    group_id: dict[int, int] = {}
    for root, ids in members.items():  # roots appear in order of their first member
        if len(ids) > 1:
            group_id[root] = len(group_id)
    for i, b in enumerate(blocks):
        ids = members[roots[i]]
        signals = b.signals
        signals["repeat_group"] = group_id.get(roots[i], -1)
        signals["repeat_size"] = len(ids)
        signals["repeat_first"] = ids[0] == i


def _fuzzy_group(tokens: list[list[str]], groups: _UnionFind, config: RepeatsConfig) -> None:
    """Join short blocks that share a word bigram and align closely (as the reference does).

    Which pairs are compared is the reference's rule: for each block, the later blocks sharing
    one of its bigrams whose posting list is not too long, the first ``max_candidates`` of them.
    The pairs come straight from the posting lists, and the union of all pairs that pass does not
    depend on the order they are tested in.
    """
    low, high = config.fuzzy_min_tokens, config.fuzzy_max_tokens
    postings: dict[tuple[str, str], list[int]] = {}
    for i, toks in enumerate(tokens):
        if low <= len(toks) <= high:
            for key in set(zip(toks, toks[1:])):
                plist = postings.get(key)
                if plist is None:
                    postings[key] = [i]
                else:
                    plist.append(i)
    max_freq = config.max_key_frequency
    later: dict[int, set[int]] = {}
    for plist in postings.values():
        size = len(plist)
        if 1 < size <= max_freq:
            for k in range(size - 1):
                i = plist[k]
                found = later.get(i)
                if found is None:
                    later[i] = set(plist[k + 1 :])
                else:
                    found.update(plist[k + 1 :])
    if not later:
        return
    ratio, similarity, cap = config.fuzzy_length_ratio, config.fuzzy_similarity, config.max_candidates
    find = groups.find
    for i in sorted(later):
        for j in sorted(later[i])[:cap]:
            if find(i) == find(j):
                continue
            a, b = tokens[i], tokens[j]
            shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
            if len(shorter) < ratio * len(longer):
                continue
            shared = set(shorter).intersection(longer)
            if sum(1 for t in shorter if t in shared) < similarity * len(shorter):
                continue  # alignment can never reach the threshold
            if _aligned(shorter, longer) / len(shorter) >= similarity:
                groups.union(i, j)


def _annotate_reference(doc: Document, config: RepeatsConfig = RepeatsConfig()) -> None:
    """``annotate_repeats`` the straightforward way (tests check the fast path against it)."""
    blocks = doc.blocks
    n = len(blocks)
    if not n:
        return
    tokens = [_tokens(b.text) for b in blocks]
    title_tokens = _tokens(doc.title) if doc.title else []
    title_end = _last_char(doc.title)
    title_shingles = shingle_set(char_shingles(comparison_key(doc.title), 4)) if doc.title else frozenset()
    groups = _UnionFind(n)

    # 1. exact repeats (after case/punctuation/space folding), any length
    first_by_key: dict[str, int] = {}
    for i, b in enumerate(blocks):
        key = comparison_key(b.text)
        if not key:
            continue
        j = first_by_key.setdefault(key, i)
        if j != i:
            groups.union(j, i)

    # 2. title copies: reworded and cut short
    title_copies: list[int] = []
    for i, b in enumerate(blocks):
        sim, is_copy, is_full = title_match(tokens[i], title_tokens, config, _last_char(b.text), title_end)
        b.signals["title_similarity"] = round(sim, 4)
        # containment is only worth computing for blocks that share most of their words with
        # the title (the cheap test in title_match); for the others it is near zero anyway
        b.signals["title_containment"] = round(
            containment(shingle_set(char_shingles(comparison_key(b.text), 4)), title_shingles), 4
        ) if title_shingles and sim >= _PREFILTER_FLOOR else 0.0
        b.signals["repeat_of_title"] = is_copy
        b.signals["is_title"] = is_full
        if is_copy:
            title_copies.append(i)
    for i in title_copies[1:]:
        groups.union(title_copies[0], i)

    # 3. fuzzy repeats among short blocks: candidates share a word bigram, verified by alignment
    _fuzzy_group_reference(tokens, groups, config)

    members: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        members[groups.find(i)].append(i)
    group_id: dict[int, int] = {}
    for root in sorted(members, key=lambda r: members[r][0]):
        if len(members[root]) > 1:
            group_id[root] = len(group_id)
    for i, b in enumerate(blocks):
        root = groups.find(i)
        size = len(members[root])
        b.signals["repeat_group"] = group_id.get(root, -1)
        b.signals["repeat_size"] = size
        b.signals["repeat_first"] = members[root][0] == i


def _fuzzy_group_reference(tokens: list[list[str]], groups: _UnionFind, config: RepeatsConfig) -> None:
    postings: dict[tuple[str, str], list[int]] = defaultdict(list)
    short = [
        i for i, toks in enumerate(tokens)
        if config.fuzzy_min_tokens <= len(toks) <= config.fuzzy_max_tokens
    ]
    for i in short:
        toks = tokens[i]
        for key in set(zip(toks, toks[1:])):
            postings[key].append(i)
    for i in short:
        toks = tokens[i]
        seen: set[int] = set()
        for key in set(zip(toks, toks[1:])):
            plist = postings[key]
            if len(plist) > config.max_key_frequency:
                continue
            for j in plist:
                if j > i and j not in seen:
                    seen.add(j)
        for j in sorted(seen)[: config.max_candidates]:
            if groups.find(i) == groups.find(j):
                continue
            a, b = tokens[i], tokens[j]
            shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
            if len(shorter) < config.fuzzy_length_ratio * len(longer):
                continue
            shared = set(shorter) & set(longer)
            if sum(1 for t in shorter if t in shared) < config.fuzzy_similarity * len(shorter):
                continue  # alignment can never reach the threshold
            if _aligned(shorter, longer) / len(shorter) >= config.fuzzy_similarity:
                groups.union(i, j)
