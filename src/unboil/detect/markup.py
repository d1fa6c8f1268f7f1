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
from typing import Any

import numpy as np

from unboil.detect.density import KERNEL
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
    # classes only rules read (``feature = false``): the content model has no column for them
    rule_only: frozenset[str] = frozenset()
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
        rule_only=frozenset(name for name, spec in raw.items() if spec.get("feature", True) is False),
    )


def _role_paths(doc: Document, vocab: MarkupVocabulary, kernel: Any = None) -> dict[str, tuple[str, ...]]:
    """Element path -> classes named by its ``role`` / ``itemprop`` attributes.

    The compiled ``kernel`` looks only at the blocks' elements and their ancestors (a C walk up
    the tree, no XPath): a marked element elsewhere has a path that is no prefix of any block's
    path, so it never adds a class, and both ways give every block the same classes.
    """
    root = doc.root
    if root is None:
        return {}
    try:
        marked = kernel.role_ancestors(doc.blocks) if kernel is not None else root.xpath(_ROLE_XPATH)
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
    return _block_markup(doc, vocab or load_vocabulary(), KERNEL)


def _block_markup(
    doc: Document, vocab: MarkupVocabulary, kernel: Any
) -> tuple[list[tuple[str, ...]], list[frozenset[str]]]:
    """``block_markup`` with the compiled ``kernel``, or in plain Python when it is None."""
    if kernel is not None:
        bits = markup_bits(doc, vocab, kernel)
        return bits.tuples(), bits.inner_sets()
    return block_markup_pure(doc, vocab)


def block_markup_pure(
    doc: Document, vocab: MarkupVocabulary
) -> tuple[list[tuple[str, ...]], list[frozenset[str]]]:
    """``block_markup`` in plain Python: the reference the compiled path must match."""
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


class _Bits:
    """Per vocabulary (and ancestor-tag list): each class as one bit, and memos shared by pages.

    The memos are pure functions of their keys (a class/id token, a tag, a bit mask), so sharing
    them across pages never changes a result; the token memo is cleared when it grows large.
    """

    __slots__ = ("vocab", "classes", "bit", "marker", "ancestors", "token_memo", "tag_memo",
                 "tuple_memo", "set_memo", "exact", "contains")

    def __init__(self, vocab: MarkupVocabulary, ancestors: tuple[str, ...], kernel: Any = None) -> None:
        self.vocab = vocab
        self.classes = vocab.classes
        self.bit = {name: 1 << k for k, name in enumerate(vocab.classes)}
        self.marker = self.bit.get("content", 0) | self.bit.get("article", 0)
        self.ancestors = {tag: 1 << (32 + k) for k, tag in enumerate(ancestors)}
        self.token_memo: dict[str, int] = {}
        self.tag_memo: dict[str, int] = {}
        self.tuple_memo: dict[int, tuple[str, ...]] = {}
        self.set_memo: dict[int, frozenset[str]] = {}
        bit = self.bit
        self.exact = {token: sum(bit[name] for name in set(names))
                      for token, names in vocab.tokens.items()}
        # the substring rule of MarkupVocabulary.token_classes, in C when compiled
        self.contains = None if kernel is None else kernel.ContainsTable(
            [part for part, _ in vocab.contains], [bit[name] for _, name in vocab.contains])

    def token_mask(self, token: str) -> int:
        """The class bits one class/id token names (the classes ``vocab.token_classes`` gives)."""
        if self.contains is None:
            bit = self.bit
            mask = 0
            for name in self.vocab.token_classes(token):
                mask |= bit[name]
            return mask
        mask = self.exact.get(token, 0)
        return mask | self.contains.mask(token) if len(token) > 3 else mask

    def tag_mask(self, tag: str) -> int:
        """The class bits a tag names, plus its ancestor-column bit (above bit 32)."""
        bit = self.bit
        mask = self.ancestors.get(tag, 0)
        for name in self.vocab.tags.get(tag, ()):
            mask |= bit[name]
        return mask

    def names(self, mask: int) -> tuple[str, ...]:
        """The sorted class names of a mask."""
        hit = self.tuple_memo.get(mask)
        if hit is None:
            hit = self.tuple_memo[mask] = tuple(sorted(
                name for k, name in enumerate(self.classes) if mask >> k & 1))
        return hit

    def name_set(self, mask: int) -> frozenset[str]:
        """The class names of a mask, as a set."""
        hit = self.set_memo.get(mask)
        if hit is None:
            hit = self.set_memo[mask] = frozenset(self.names(mask))
        return hit


_BITS: dict[tuple[int, tuple[str, ...], bool], _Bits] = {}


def _bits_for(vocab: MarkupVocabulary, ancestors: tuple[str, ...], kernel: Any = None) -> _Bits:
    key = (id(vocab), ancestors, kernel is not None)
    bits = _BITS.get(key)
    if bits is None or bits.vocab is not vocab:
        if len(vocab.classes) > 32 or len(ancestors) > 30:
            raise ValueError("markup bit masks hold at most 32 classes and 30 ancestor tags")
        if len(_BITS) >= 16:
            _BITS.clear()
        bits = _BITS[key] = _Bits(vocab, ancestors, kernel)
    elif len(bits.token_memo) >= 100_000:
        bits.token_memo.clear()
    return bits


class PageMarkup:
    """A page's markup classes as bit masks, with the element-path tree they were read along."""

    __slots__ = ("bits", "found", "inner", "anc", "nodes", "block_node", "parent", "order",
                 "length", "group")

    def __init__(self, bits: _Bits, found: np.ndarray, inner: np.ndarray, anc: np.ndarray,
                 nodes: list[str], block_node: np.ndarray, parent: np.ndarray,
                 order: np.ndarray, length: np.ndarray, group: np.ndarray) -> None:
        self.bits = bits
        self.found = found  # class bits per block, from tokens, tags and roles
        self.inner = inner  # class bits named before the first content marker
        self.anc = anc  # ancestor-tag bits (above bit 32) per block
        self.nodes = nodes  # element paths: the blocks' and all their ancestors'
        self.block_node = block_node  # node of each block
        self.parent = parent  # parent node of each node, -1 at the top
        self.order = order  # nodes deepest first, ties in node order
        self.length = length  # length of each node's path
        self.group = group  # each block's parent element, numbered by first appearance

    def tuples(self, kernel: Any = None) -> list[tuple[str, ...]]:
        """The ``markup`` signal of every block."""
        if kernel is not None:
            return kernel.mask_tuples(self.found, self.bits.tuple_memo, self.bits.names)
        names = self.bits.names
        return [names(m) for m in self.found.tolist()]

    def inner_sets(self) -> list[frozenset[str]]:
        """The inner classes of every block, as ``block_markup`` returns them."""
        name_set = self.bits.name_set
        return [name_set(m) for m in self.inner.tolist()]


def markup_bits(doc: Document, vocab: MarkupVocabulary, kernel: Any,
                ancestors: tuple[str, ...] = ()) -> PageMarkup:
    """``block_markup`` as bit masks, computed by the compiled ``kernel`` (same classes)."""
    bits = _bits_for(vocab, ancestors, kernel)
    blocks = doc.blocks
    n = len(blocks)
    found = np.zeros(n, dtype=np.int64)
    inner = np.zeros(n, dtype=np.int64)
    anc = np.zeros(n, dtype=np.int64)
    kernel.markup_masks(blocks, bits.token_memo, bits.token_mask, bits.tag_memo, bits.tag_mask,
                        bits.marker, found, inner, anc)
    found &= 0xFFFFFFFF
    nodes, index, block_node, parent, order, length, group = kernel.path_tree(blocks)
    role_paths = _role_paths(doc, vocab, kernel)
    if role_paths:
        own = np.zeros(len(nodes), dtype=np.int64)
        for path, names in role_paths.items():
            j = index.get(path)
            if j is not None:
                for name in names:
                    own[j] |= bits.bit[name]
        if own.any():
            roles = np.zeros(n, dtype=np.int64)
            kernel.subtree_or(own, block_node, parent, roles)
            if "" in index:  # a block with no path (never from HTML) inherits no role
                rooted = np.fromiter((bool(b.path) for b in blocks), dtype=bool, count=n)
                roles = np.where(rooted, roles, 0)
            found |= roles
    return PageMarkup(bits, found, inner, anc, nodes, block_node, parent, order, length,
                      group)
