"""Name the page regions a block sits in (nav, footer, cookie banner, article...) from its markup.

The vocabulary is data (``lexicon/boilerplate.toml``): class/id tokens, tags and ARIA roles per
region class. A block's classes come from its own element and every ancestor, so a paragraph in
``<footer><div class="links">`` is "footer". Work is shared across blocks of one page: each
distinct token, tag and element path is classified once.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field
from importlib import resources

from unboil.document import Document

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["MarkupVocabulary", "annotate_markup", "block_markup", "load_vocabulary"]

_ROLE_XPATH = "//*[@role or @itemprop]"


@dataclass(frozen=True, slots=True)
class MarkupVocabulary:
    """Region classes and what names them: exact tokens, token substrings, tags and roles."""

    classes: tuple[str, ...]
    tokens: dict[str, tuple[str, ...]]
    contains: tuple[tuple[str, str], ...]
    tags: dict[str, tuple[str, ...]]
    roles: dict[str, tuple[str, ...]]
    # token -> classes, shared across pages (class names such as "container" recur on every site);
    # a pure function of the token, so it never changes a result; cleared when it grows large
    memo: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def token_classes(self, token: str) -> tuple[str, ...]:
        """The classes one class/id token names (exact match first, then substrings)."""
        known = self.memo.get(token)
        if known is not None:
            return known
        if len(self.memo) >= 100_000:
            self.memo.clear()
        known = self.memo[token] = self._token_classes(token)
        return known

    def _token_classes(self, token: str) -> tuple[str, ...]:
        found = list(self.tokens.get(token, ()))
        if len(token) > 3:
            for part, name in self.contains:
                if part in token and name not in found:
                    found.append(name)
        return tuple(found)


def _invert(table: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for name, words in table.items():
        for word in words:
            out.setdefault(word.lower(), []).append(name)
    return {k: tuple(v) for k, v in out.items()}


@functools.cache
def load_vocabulary() -> MarkupVocabulary:
    """The shipped vocabulary (read once; immutable)."""
    text = resources.files("unboil.detect").joinpath("lexicon/boilerplate.toml").read_text("utf-8")
    raw = tomllib.loads(text)["classes"]
    tokens = {name: spec.get("tokens", []) for name, spec in raw.items()}
    tags = {name: spec.get("tags", []) for name, spec in raw.items()}
    roles = {name: spec.get("roles", []) for name, spec in raw.items()}
    contains = tuple(
        (part.lower().replace("-", "").replace("_", ""), name)
        for name, spec in raw.items()
        for part in spec.get("contains", [])
    )
    return MarkupVocabulary(
        classes=tuple(raw), tokens=_invert(tokens), contains=contains, tags=_invert(tags),
        roles=_invert(roles),
    )


def _role_paths(doc: Document, vocab: MarkupVocabulary) -> dict[str, tuple[str, ...]]:
    """Element path -> classes named by its ``role`` / ``itemprop`` attributes."""
    root = doc.root
    if root is None:
        return {}
    try:
        marked = root.xpath(_ROLE_XPATH)
    except Exception:  # noqa: BLE001 - a broken tree only loses this evidence
        return {}
    if not marked:
        return {}
    tree = root.getroottree()
    out: dict[str, tuple[str, ...]] = {}
    for el in marked:
        names: list[str] = []
        for attr in ("role", "itemprop"):
            for value in (el.get(attr) or "").lower().split():
                names.extend(vocab.roles.get(value, ()))
        if names:
            out[tree.getpath(el).lstrip("/")] = tuple(names)
    return out


def block_markup(
    doc: Document, vocab: MarkupVocabulary | None = None
) -> tuple[list[tuple[str, ...]], list[frozenset[str]]]:
    """The region classes of every block (sorted tuples), from tokens, tags and roles, and the
    classes named *inside* the nearest content marker (tokens before the first "content" or
    "article" token, innermost first): boilerplate nested in the article, such as its comments."""
    vocab = vocab or load_vocabulary()
    token_cache: dict[str, tuple[str, ...]] = {}
    by_tokens: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {}
    by_tags: dict[tuple[str, ...], frozenset[str]] = {}
    role_paths = _role_paths(doc, vocab)
    role_cache: dict[str, frozenset[str]] = {"": frozenset()}
    out: list[tuple[str, ...]] = []
    inner_out: list[frozenset[str]] = []
    memo: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}

    def roles_of(path: str) -> frozenset[str]:
        """Roles of the element at ``path`` and its ancestors; iterative, so depth is no limit."""
        pending: list[str] = []
        probe = path
        while probe not in role_cache:
            pending.append(probe)
            probe = probe.rpartition("/")[0]
        inherited = role_cache[probe]
        for p in reversed(pending):
            own = role_paths.get(p)
            inherited = inherited | frozenset(own) if own else inherited
            role_cache[p] = inherited
        return inherited

    for block in doc.blocks:
        key = block.path
        hit = memo.get(key) if key else None
        if hit is None:
            toks = block.class_tokens
            cached = by_tokens.get(toks)
            if cached is None:
                found: set[str] = set()
                inner: set[str] = set()
                outside = True
                for token in toks:
                    names = token_cache.get(token)
                    if names is None:
                        names = token_cache[token] = vocab.token_classes(token)
                    found.update(names)
                    if outside and names:
                        if "content" in names or "article" in names:
                            outside = False
                        else:
                            inner.update(names)
                cached = by_tokens[toks] = (frozenset(found), frozenset(inner))
            from_tokens, inner_classes = cached
            tags = (*block.signals.get("ancestors", ()), block.tag)
            from_tags = by_tags.get(tags)
            if from_tags is None:
                from_tags = by_tags[tags] = frozenset(
                    name for tag in set(tags) for name in vocab.tags.get(tag, ())
                )
            found_all = from_tokens | from_tags
            if role_paths and key:
                found_all = found_all | roles_of(key)
            hit = (tuple(sorted(found_all)), inner_classes)
            if key:
                memo[key] = hit
        out.append(hit[0])
        inner_out.append(hit[1])
    return out, inner_out


def annotate_markup(doc: Document, vocab: MarkupVocabulary | None = None) -> list[tuple[str, ...]]:
    """Write the ``markup`` signal on every block and return the per-block classes."""
    classes, _ = block_markup(doc, vocab)
    for block, names in zip(doc.blocks, classes):
        block.signals["markup"] = names
    return classes
