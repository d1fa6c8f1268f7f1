"""Load the widget lexicon (TOML files under ``detect/lexicon/``) into an immutable ``Lexicon``.

The data says what share bars, follow boxes and related-content lists are made of; this module
checks it, folds every phrase the way block text is folded, and builds the compiled matchers
lazily so a ``Lexicon`` stays plain, picklable data.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import regex

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
SHARED_FILES = ("platforms", "markup", "boilerplate")  # boilerplate: detect/markup.py

CATEGORIES = ("share", "social", "subscribe", "related", "counter", "print", "comments")
PLATFORM = "platform"  # the lexicon category of platform names ("Telegram", "ВКонтакте")

_LANGUAGE_KEYS = {"language", "name", "fillers", "nouns", "ambiguous", "lead_ins", "prefixes",
                  "phrases"}
_PLATFORM_KEYS = {"names", "ambiguous", "hosts"}
_MARKER_KINDS = ("exact", "prefix")

# Scripts written without spaces between words (or, for Hangul, with particles glued on):
# phrases that start or end with one of their characters match without a word boundary there.
_UNBOUNDED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}"
UNBOUNDED = _UNBOUNDED  # the class body, for code that classifies characters the same way
ALPHA = rf"[^\W_{_UNBOUNDED}]"  # a letter or digit of a script whose words are delimited

# A lead-in ("Read also: ...") is followed by one of these; a text without any is no lead-in.
LEAD_IN_SEPARATORS = ":-»|>•·/"
_LEAD_IN_SEPARATOR_CLASS = r":\-»|>•·/"

_FOLD_TABLE = {
    **{ord(c): "'" for c in "\u2018\u2019\u02bc\u02b9`\u00b4\u2032"},
    **{ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043"},
    **{ord(c): None for c in "\u00ad\u200b\u200c\u200d\u2060\ufeff\u0307\u0640"},
    **{cp: None for cp in range(0x064B, 0x0660)},  # Arabic harakat
    0x0670: None,
    ord("ё"): "е",
    ord("أ"): "ا",
    ord("إ"): "ا",
    ord("آ"): "ا",
    ord("ٱ"): "ا",
}

FOLD_STRINGS = {chr(cp): to or "" for cp, to in _FOLD_TABLE.items()}  # the table, as strings
if set("".join(FOLD_STRINGS.values())) & set(FOLD_STRINGS):  # pragma: no cover - a data guard
    raise RuntimeError("fold table: a replacement is itself replaced; fold() would depend on order")
ASCII_FOLD = tuple((ch, to) for ch, to in FOLD_STRINGS.items() if ch.isascii())  # ("`", "'")
FOLD_CHARS = "".join(FOLD_STRINGS)  # every character the fold table rewrites or drops
_FOLD_CHARS = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_FOLD_TABLE)) + "]")


def fold(text: str) -> str:
    """Fold ``text`` for matching: NFKC, casefold, one apostrophe and dash, no Arabic harakat.

    Whitespace runs become one space. Block text and lexicon phrases go through the same fold,
    so matching needs no case-insensitive flags.
    """
    if text.isascii():  # NFKC is the identity and casefold is lower on ASCII
        folded = text.lower()
        for ch, to in ASCII_FOLD:
            if ch in folded:
                folded = folded.replace(ch, to)
        return " ".join(folded.split())
    folded = unicodedata.normalize("NFKC", text).casefold()
    if _FOLD_CHARS.search(folded):  # translate looks up every character: replace only those found
        # (no replacement is itself a table key, so replacing one by one equals translate)
        for ch in set(_FOLD_CHARS.findall(folded)):
            folded = folded.replace(ch, FOLD_STRINGS[ch])
    return " ".join(folded.split())


def phrase_key(folded: str) -> str:
    """The lookup key of a folded phrase or match: hyphens count as spaces ("e-mail" = "e mail")."""
    return folded.replace("-", " ")


@functools.cache
def _letters() -> Any:
    return regex.compile(r"[\p{L}\p{M}]+")


@functools.cache
def _bounded_char() -> Any:
    return regex.compile(ALPHA)


@functools.cache
def _words() -> Any:
    return regex.compile(ALPHA + "+")


@functools.cache
def _unbounded_char() -> Any:
    return regex.compile(f"[{_UNBOUNDED}]")


class LexiconError(ValueError):
    """A lexicon data file is malformed; the message names the file and the field."""


@dataclass(frozen=True, repr=False)
class Lexicon:
    """The widget vocabulary of some languages, as plain data (compiled matchers built lazily).

    ``phrases`` holds ``(key, category, platform)`` triples: ``key`` is the folded phrase with
    hyphens as spaces, ``category`` one of ``CATEGORIES`` or ``"platform"``, ``platform`` the
    platform id for platform names ("" otherwise).
    """

    languages: tuple[str, ...]
    phrases: tuple[tuple[str, str, str], ...]
    ambiguous: frozenset[str]
    fillers: frozenset[str]
    lead_ins: tuple[str, ...]
    share_endpoints: tuple[str, ...]
    platform_hosts: tuple[tuple[str, str], ...]
    markers: tuple[tuple[str, str, str], ...]  # (category, "exact" | "prefix", token)

    def __repr__(self) -> str:
        return (f"Lexicon(languages={self.languages!r}, phrases={len(self.phrases)}, "
                f"share_endpoints={len(self.share_endpoints)}, markers={len(self.markers)})")

    def __getstate__(self) -> dict[str, Any]:
        # Only the data travels; compiled matchers are rebuilt on first use after unpickling.
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    @cached_property
    def scan_memo(self) -> dict[Any, Any]:
        """The widgets detector's memos shared across pages (verdicts of short texts, since menu
        labels recur on every site; class tokens already looked up). Each memoises a pure
        function, so this never changes a result. Bounded by the detector; not pickled."""
        return {}

    @cached_property
    def scan_cache(self) -> dict[Any, Any]:
        """The widgets detector's prepared scanners per (config, kernel); rebuilt after unpickling."""
        return {}

    @cached_property
    def table(self) -> dict[str, tuple[tuple[str, ...], str]]:
        """Phrase key -> (its categories in lexicon order, platform id or "")."""
        cats: dict[str, list[str]] = {}
        platforms: dict[str, str] = {}
        for key, category, platform in self.phrases:
            bucket = cats.setdefault(key, [])
            if category not in bucket:
                bucket.append(category)
            if platform and key not in platforms:
                platforms[key] = platform
        order = {c: i for i, c in enumerate((*CATEGORIES, PLATFORM))}
        return {k: (tuple(sorted(v, key=order.__getitem__)), platforms.get(k, ""))
                for k, v in cats.items()}

    @cached_property
    def token_index(self) -> tuple[dict[tuple[str, ...], str], frozenset[tuple[str, ...]]]:
        """Phrases of delimited scripts as word tuples: (tuple -> phrase key, all tuple prefixes)."""
        index: dict[tuple[str, ...], str] = {}
        prefixes: set[tuple[str, ...]] = set()
        words = _words()
        for key in self.table:
            if _unbounded_char().search(key):
                continue
            tup = tuple(words.findall(key))
            if not tup:
                continue
            index.setdefault(tup, key)
            prefixes.update(tup[:n] for n in range(1, len(tup) + 1))
        return index, frozenset(prefixes)

    @cached_property
    def matcher(self) -> Any:
        """One regex (a character trie) over the phrases that contain CJK or Hangul characters."""
        keys = {k: v for k, v in self.table.items() if _unbounded_char().search(k)}
        return regex.compile(_trie_pattern(keys)) if keys else None

    def find(self, folded: str) -> list[tuple[int, int, str]]:
        """Every phrase occurrence in folded text as (start, end, key), the longest at each start.

        Delimited scripts are matched word by word (a dictionary walk, fast on long text);
        phrases with CJK or Hangul characters by the trie regex, only when such characters occur.
        """
        index, prefixes = self.token_index
        tokens = [(m.start(), m.end(), m.group()) for m in _words().finditer(folded)]
        found: list[tuple[int, int, str]] = []
        for i, (start, end, word) in enumerate(tokens):
            if (word,) not in prefixes:
                continue
            best = index.get((word,))
            best_end = end
            seq = [word]
            for _, end_j, word_j in tokens[i + 1:]:
                seq.append(word_j)
                tup = tuple(seq)
                if tup not in prefixes:
                    break
                if tup in index:
                    best, best_end = index[tup], end_j
            if best is not None:
                found.append((start, best_end, best))
        if self.matcher is not None and _unbounded_char().search(folded):
            found.extend(self.find_unbounded(folded))
        return found

    def find_unbounded(self, folded: str) -> list[tuple[int, int, str]]:
        """The occurrences of phrases with CJK or Hangul characters, as (start, end, key)."""
        if self.matcher is None:
            return []
        return [(m.start(), m.end(), phrase_key(m.group()))
                for m in self.matcher.finditer(folded, overlapped=True)]

    @cached_property
    def lead_in_matcher(self) -> Any:
        """Matches a text that opens with a lead-in phrase and a separator ("Read also: ...")."""
        body = _trie_pattern({k: ((), "") for k in self.lead_ins}) or r"(?!)"
        return regex.compile(rf"^(?:{body}) ?[{_LEAD_IN_SEPARATOR_CLASS}] ?\S")

    @cached_property
    def endpoint_matcher(self) -> Any:
        """Searches a lowercased href for any share endpoint."""
        pattern = "|".join(f"(?:{p})" for p in self.share_endpoints) or r"(?!)"
        try:  # the standard engine searches these unanchored alternations about twice as fast
            return re.compile(pattern)
        except re.error:
            return regex.compile(pattern)

    @cached_property
    def host_platforms(self) -> dict[str, str]:
        """Link host -> platform id, for telling profile links from other links."""
        return dict(self.platform_hosts)

    @cached_property
    def marker_index(self) -> tuple[dict[str, str], dict[str, str]]:
        """(exact token -> category, prefix -> category with prefixes longest first)."""
        exact: dict[str, str] = {}
        prefixes: list[tuple[str, str]] = []
        for category, kind, token in self.markers:
            if kind == "exact":
                exact.setdefault(token, category)
            else:
                prefixes.append((token, category))
        prefixes.sort(key=lambda p: -len(p[0]))
        first: dict[str, str] = {}
        for token, category in prefixes:
            first.setdefault(token, category)
        return exact, first

    @cached_property
    def marker_prefix_matcher(self) -> Any:
        """One regex matching the longest marker prefix at a token's start (None when none)."""
        _, prefixes = self.marker_index
        if not prefixes:
            return None
        return regex.compile("|".join(regex.escape(p) for p in prefixes))

    def is_filler(self, token: str) -> bool:
        """True when ``token`` is a filler word, or a CJK run made only of fillers ("件の")."""
        if token in self.fillers:
            return True
        if _bounded_char().search(token):
            return False
        return _splits_into(token, self.fillers)


def _splits_into(token: str, words: frozenset[str], longest: int = 6) -> bool:
    """True when ``token`` is a concatenation of ``words`` (a tiny word-break check for CJK)."""
    ok = [True] + [False] * len(token)
    for end in range(1, len(token) + 1):
        for start in range(max(0, end - longest), end):
            if ok[start] and token[start:end] in words:
                ok[end] = True
                break
    return ok[-1]


def _trie_pattern(table: dict[str, Any]) -> str:
    """A regex alternation of ``table``'s keys, built as a trie so it stays fast at thousands.

    A phrase edge made of a delimited-script letter gets a word boundary on that side; a CJK
    edge gets none. A space inside a phrase also matches a hyphen.
    """
    bounded = _bounded_char()
    heads: dict[bool, dict[str, Any]] = {True: {}, False: {}}
    for key in table:
        if not key:
            continue
        node = heads[bool(bounded.fullmatch(key[0]))]
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any], last: str) -> str:
        alts = [(r"[ \-]" if ch == " " else regex.escape(ch)) + emit(child, ch)
                for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append(f"(?!{ALPHA})" if bounded.fullmatch(last) else "")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    parts = []
    if heads[True]:
        parts.append(f"(?<!{ALPHA})" + emit(heads[True], ""))
    if heads[False]:
        parts.append(emit(heads[False], ""))
    return "|".join(parts)


def available_languages(directory: Path = LEXICON_DIR) -> tuple[str, ...]:
    """The language codes that ship a lexicon file, sorted."""
    return tuple(sorted(p.stem for p in directory.glob("*.toml") if p.stem not in SHARED_FILES))


def load_lexicon(languages: Iterable[str] | None = None,
                 extra_files: Sequence[str | Path] = ()) -> Lexicon:
    """Load the shipped lexicon for ``languages`` (all when None) plus any extra language files.

    The shipped part is cached (it is pure data), so repeated calls are cheap and return equal
    objects. Raises ``LexiconError`` naming the file and field for malformed data, and
    ``ValueError`` for an unknown language code.
    """
    known = available_languages()
    wanted = known if languages is None else tuple(dict.fromkeys(languages))
    unknown = [code for code in wanted if code not in known]
    if unknown:
        raise ValueError(f"no widget lexicon for language(s) {unknown}; available: "
                         f"{', '.join(known)} (or pass extra_files=[...])")
    base = _load_cached(tuple(sorted(wanted)))
    if not extra_files:
        return base
    return _build(tuple(sorted(wanted)), tuple(Path(p) for p in extra_files))


@functools.lru_cache(maxsize=32)
def _load_cached(languages: tuple[str, ...]) -> Lexicon:
    return _build(languages, ())


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LexiconError(f"{path}: cannot read lexicon file: {exc}") from exc


def _strings(path: Path, field: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LexiconError(f"{path}: {field} must be a list of non-empty strings")
    return value


def _build(languages: tuple[str, ...], extra: tuple[Path, ...]) -> Lexicon:
    phrases: list[tuple[str, str, str]] = []
    ambiguous: set[str] = set()
    fillers: set[str] = set()
    lead_ins: list[str] = []
    hosts: list[tuple[str, str]] = []

    platforms_path = LEXICON_DIR / "platforms.toml"
    for pid, entry in _read(platforms_path).get("platforms", {}).items():
        where = f"platforms.{pid}"
        bad = set(entry) - _PLATFORM_KEYS
        if bad:
            raise LexiconError(f"{platforms_path}: {where} has unknown key(s) {sorted(bad)}; "
                               f"allowed: {sorted(_PLATFORM_KEYS)}")
        names = _strings(platforms_path, f"{where}.names", entry.get("names", []))
        weak = _strings(platforms_path, f"{where}.ambiguous", entry.get("ambiguous", []))
        for name in (*names, *weak):
            phrases.append((phrase_key(fold(name)), PLATFORM, pid))
        ambiguous.update(phrase_key(fold(n)) for n in weak)
        hosts.extend((h.lower(), pid) for h in
                     _strings(platforms_path, f"{where}.hosts", entry.get("hosts", [])))

    paths = [LEXICON_DIR / f"{code}.toml" for code in languages] + list(extra)
    codes = list(languages)
    for path in paths:
        code = _load_language(path, phrases, ambiguous, fillers, lead_ins)
        if path in extra:
            codes.append(code)

    markup_path = LEXICON_DIR / "markup.toml"
    markup = _read(markup_path)
    endpoints = _strings(markup_path, "share_endpoints", markup.get("share_endpoints", []))
    for pattern in endpoints:
        try:
            regex.compile(pattern)
        except regex.error as exc:
            raise LexiconError(f"{markup_path}: share_endpoints: bad pattern {pattern!r}: {exc}") \
                from exc
    markers: list[tuple[str, str, str]] = []
    for category, entry in markup.get("markers", {}).items():
        if category not in CATEGORIES:
            raise LexiconError(f"{markup_path}: markers.{category} is not a widget category; "
                               f"use one of {', '.join(CATEGORIES)}")
        for kind in _MARKER_KINDS:
            for token in _strings(markup_path, f"markers.{category}.{kind}", entry.get(kind, [])):
                markers.append((category, kind, token.lower()))

    return Lexicon(
        languages=tuple(dict.fromkeys(codes)),
        phrases=tuple(phrases),
        ambiguous=frozenset(ambiguous),
        fillers=frozenset(fillers),
        lead_ins=tuple(dict.fromkeys(lead_ins)),
        share_endpoints=tuple(endpoints),
        platform_hosts=tuple(hosts),
        markers=tuple(markers),
    )


def _load_language(path: Path, phrases: list[tuple[str, str, str]], ambiguous: set[str],
                   fillers: set[str], lead_ins: list[str]) -> str:
    """Check one language file and add its entries to the accumulators; returns its code."""
    data = _read(path)
    bad = set(data) - _LANGUAGE_KEYS
    if bad:
        raise LexiconError(f"{path}: unknown key(s) {sorted(bad)}; allowed: "
                           f"{sorted(_LANGUAGE_KEYS)}")
    code = data.get("language")
    if not isinstance(code, str) or not code:
        raise LexiconError(f"{path}: language must be the language code, e.g. language = \"en\"")
    table = data.get("phrases", {})
    if not isinstance(table, dict) or not table:
        raise LexiconError(f"{path}: [phrases] must map categories to lists of phrases")
    prefixes = [fold(p) for p in _strings(path, "prefixes", data.get("prefixes", []))]
    own: set[str] = set()
    for category, items in table.items():
        if category not in CATEGORIES:
            raise LexiconError(f"{path}: phrases.{category} is not a widget category; "
                               f"use one of {', '.join(CATEGORIES)}")
        for item in _strings(path, f"phrases.{category}", items):
            key = phrase_key(fold(item))
            own.add(key)
            for prefix in ("", *prefixes):
                phrases.append((prefix + key, category, ""))
    platform_keys = {k for k, c, _ in phrases if c == PLATFORM}
    for item in _strings(path, "ambiguous", data.get("ambiguous", [])):
        key = phrase_key(fold(item))
        if key not in own and key not in platform_keys:
            raise LexiconError(f"{path}: ambiguous entry {item!r} is not one of its phrases")
        ambiguous.update(prefix + key for prefix in ("", *prefixes))
    letters = _letters()
    for field in ("fillers", "nouns"):
        for item in _strings(path, field, data.get(field, [])):
            word = fold(item)
            if not letters.fullmatch(word):
                raise LexiconError(f"{path}: {field} entry {item!r} must be one word of letters")
            fillers.add(word)
    lead_ins.extend(phrase_key(fold(p)) for p in _strings(path, "lead_ins", data.get("lead_ins", [])))
    return code
