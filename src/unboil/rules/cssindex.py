"""Answering simple CSS rules from one index of the page instead of one XPath per rule.

An EasyList import holds tens of thousands of ``css`` rules, nearly all of the form ``.x``,
``#x``, ``tag.x`` or ``[attr=v]``. The plain path evaluates each rule's XPath over the page
(``matchers._css_holds``); here the page's elements are indexed once (by class token, id, tag
and attribute name) and a simple selector looks up its candidates and tests them in Python.

Exactness: a selector is answered here only when its meaning is reproduced exactly; the meaning
is the XPath cssselect's ``HTMLTranslator`` gives it, evaluated by libxml2 from the document root:

- element names are lowercased in the selector and compared case-sensitively with the tag;
- ``.x`` is ``contains(concat(' ', normalize-space(@class), ' '), ' x ')``: the class value is
  split on XPath whitespace only (space, tab, CR, LF - not form feed or Unicode spaces, which
  HTML's own splitting would also use), case-sensitively; a class name that is empty or holds
  space, tab, CR, LF or form feed never matches (cssselect writes ``0`` for it);
- ``#x`` is ``@id = 'x'`` (the whole value, case-sensitive);
- ``[a]``, ``[a=v]``, ``[a~=v]``, ``[a|=v]``, ``[a^=v]``, ``[a$=v]``, ``[a*=v]`` as cssselect
  translates them (an empty value makes ``^=``, ``$=``, ``*=`` and ``~=`` never match);
- descendant (`` ``) and child (``>``) combinators, with every element of the chain inside the
  root's subtree (the XPath starts with ``descendant-or-self::`` from the root);
- groups (``a, b``) when every member is simple.

Anything else (pseudo-classes, sibling combinators, namespaces, ``!=``, odd names) keeps its
XPath. A matched element applies to the blocks whose element is it or lies inside it, exactly as
``_css_holds`` tests the block's element and its ancestors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cssselect import parse
from cssselect.parser import (
    Attrib,
    Class,
    CombinedSelector,
    Element,
    Function,
    Hash,
    Matching,
    Negation,
    Pseudo,
    Relation,
    SelectorError,
    SpecificityAdjustment,
)
from cssselect.xpath import is_non_whitespace, is_safe_name
from lxml import etree

#: set False to compile rule sets with the plain XPath path for every css rule (tests compare)
ENABLED = True

# normalize-space() in XPath 1.0 treats exactly these four characters as whitespace
_XPATH_SPACE = str.maketrans("\t\n\r", "   ")


def xpath_tokens(value: str) -> list[str]:
    """The tokens ``normalize-space`` leaves in an attribute value, in order."""
    return [t for t in value.translate(_XPATH_SPACE).split(" ") if t]


@dataclass(frozen=True, slots=True)
class Compound:
    """One compound selector: every condition must hold on the same element."""

    tag: str | None = None  # None: any element
    ids: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    attrs: tuple[tuple[str, str, str | None], ...] = ()  # (name, operator, value)
    never: bool = False  # a condition cssselect translates to false


@dataclass(frozen=True, slots=True)
class Chain:
    """A subject compound and the compounds left of it, nearest first, with their combinators."""

    subject: Compound
    left: tuple[tuple[str, Compound], ...] = ()  # (" " or ">", compound)


# ---------------------------------------------------------------- parsing


class _Unsupported(Exception):
    pass


def _compound_from_tree(tree: Any) -> tuple[Compound, Any]:
    """The compound at the top of a cssselect tree and what lies left of it (or None)."""
    ids: list[str] = []
    classes: list[str] = []
    attrs: list[tuple[str, str, str | None]] = []
    never = False
    node = tree
    while True:
        if isinstance(node, Class):
            name = node.class_name
            if not (name and is_non_whitespace(name)):
                never = True
            classes.append(name)
            node = node.selector
        elif isinstance(node, Hash):
            ids.append(node.id)
            node = node.selector
        elif isinstance(node, Attrib):
            if node.namespace:
                raise _Unsupported
            name = node.attrib.lower()
            if not is_safe_name(name):
                raise _Unsupported
            op = node.operator
            value = None if node.value is None else node.value.value
            if op == "exists":
                attrs.append((name, op, None))
            elif op in ("=", "|="):
                attrs.append((name, op, value))
            elif op in ("^=", "$=", "*=", "~="):
                if not value or (op == "~=" and not is_non_whitespace(value)):
                    never = True
                attrs.append((name, op, value))
            else:
                raise _Unsupported
            node = node.selector
        elif isinstance(node, Element):
            if node.namespace:
                raise _Unsupported
            tag = None
            if node.element:
                if not is_safe_name(node.element):
                    raise _Unsupported
                tag = node.element.lower()
            # collected right to left: keep the order they are written in
            compound = Compound(
                tag, tuple(ids[::-1]), tuple(classes[::-1]), tuple(attrs[::-1]), never
            )
            return compound, None
        elif isinstance(node, CombinedSelector):
            # a combined selector's subject is its right side; it cannot carry more conditions
            if ids or classes or attrs:
                raise _Unsupported
            subject, rest = _compound_from_tree(node.subselector)
            if rest is not None:
                raise _Unsupported
            if node.combinator not in (" ", ">"):
                raise _Unsupported
            return subject, (node.combinator, node.selector)
        else:
            raise _Unsupported


def _chain_from_tree(tree: Any) -> Chain:
    subject, rest = _compound_from_tree(tree)
    left: list[tuple[str, Compound]] = []
    while rest is not None:
        combinator, tree = rest
        compound, rest = _compound_from_tree(tree)
        left.append((combinator, compound))
    return Chain(subject, tuple(left))


def _parse_slow(selector: str) -> tuple[Chain, ...] | None:
    try:
        parsed = parse(selector)
        if any(s.pseudo_element for s in parsed):
            return None
        return tuple(_chain_from_tree(s.parsed_tree) for s in parsed)
    except (_Unsupported, SelectorError):
        return None


_IDENT = r"-?[_a-zA-Z][_a-zA-Z0-9-]*"
_TOKEN = re.compile(
    rf"(?P<ws>[ \t\r\n\f]+)|(?P<gt>>)|(?P<tag>[_a-zA-Z][_a-zA-Z0-9-]*|\*)|\.(?P<cls>{_IDENT})|#(?P<hash>[_a-zA-Z0-9-]+)"
)


def _parse_fast(selector: str) -> tuple[Chain, ...] | None:
    """The common plain forms (ASCII names, no escapes), without running cssselect's parser.

    Returns None when the text is anything else; tests check it agrees with ``_parse_slow``."""
    compounds: list[Compound] = []
    combinators: list[str] = []
    tag: str | None = None
    ids: list[str] = []
    classes: list[str] = []
    started = False
    pending = ""  # combinator seen since the last compound
    at = 0
    end = len(selector)
    while at < end:
        m = _TOKEN.match(selector, at)
        if m is None:
            return None
        at = m.end()
        kind = m.lastgroup
        if kind in ("ws", "gt"):
            if not started and not compounds:
                return None
            if started:
                compounds.append(Compound(tag, tuple(ids), tuple(classes)))
                tag, ids, classes, started = None, [], [], False
            if kind == "gt":
                if pending == ">":
                    return None
                pending = ">"
            elif not pending:
                pending = " "
            continue
        if kind == "tag":
            if started:
                return None  # a name glued after a class or id: leave it to cssselect
            value = m.group("tag")
            tag = None if value == "*" else value.lower()
        elif kind == "cls":
            classes.append(m.group("cls"))
        else:
            ids.append(m.group("hash"))
        if not started and compounds:
            combinators.append(pending)
        if not started:
            pending = ""
        started = True
    if not started or pending:
        return None
    compounds.append(Compound(tag, tuple(ids), tuple(classes)))
    subject = compounds[-1]
    left = tuple(zip(reversed(combinators), reversed(compounds[:-1])))
    return (Chain(subject, left),)


_MEMO: dict[str, tuple[Chain, ...] | None] = {}


def parse_simple(selector: str) -> tuple[Chain, ...] | None:
    """The selector as chains this module answers exactly, or None (keep its XPath)."""
    try:
        return _MEMO[selector]
    except KeyError:
        pass
    found = _parse_fast(selector)
    if found is None:
        found = _parse_slow(selector)
    if len(_MEMO) < 1 << 17:
        _MEMO[selector] = found
    return found


# ---------------------------------------------------------------- matching one element


def _attr_holds(value: str | None, op: str, want: str | None) -> bool:
    if value is None:
        return False
    if op == "exists":
        return True
    assert want is not None
    if op == "=":
        return value == want
    if op == "^=":
        return value.startswith(want)
    if op == "$=":
        return value.endswith(want)
    if op == "*=":
        return want in value
    if op == "~=":
        return want in xpath_tokens(value)
    return value == want or value.startswith(want + "-")  # |=


def compound_holds(el: Any, c: Compound, ix: PageIndex) -> bool:
    """Whether the element satisfies every condition of the compound."""
    if c.never:
        return False
    if c.tag is not None and el.tag != c.tag:
        return False
    if c.ids:
        got = el.get("id")
        for want in c.ids:
            if got != want:
                return False
    if c.classes:
        tokens = ix.classes_of(el)
        for want in c.classes:
            if want not in tokens:
                return False
    for name, op, want in c.attrs:
        if not _attr_holds(el.get(name), op, want):
            return False
    return True


def _left_holds(
    el: Any, left: tuple[tuple[str, Compound], ...], i: int, root: Any, ix: PageIndex
) -> bool:
    if i == len(left):
        return True
    combinator, compound = left[i]
    if combinator == ">":
        if el is root:
            return False
        parent = el.getparent()
        return (
            parent is not None
            and compound_holds(parent, compound, ix)
            and _left_holds(parent, left, i + 1, root, ix)
        )
    node = el
    while node is not root:
        node = node.getparent()
        if node is None:
            return False
        if compound_holds(node, compound, ix) and _left_holds(
            node, left, i + 1, root, ix
        ):
            return True
    return False


# ---------------------------------------------------------------- the page index


class PageIndex:
    """The elements of the root's subtree (root included) by class token, id, tag, attribute."""

    __slots__ = (
        "_attrs",
        "_blobs",
        "_classes",
        "_under",
        "block_at",
        "by_class",
        "by_id",
        "by_tag",
        "root",
    )

    def __init__(self, root: Any, blocks: list[Any]) -> None:
        self.root = root
        by_class: dict[str, list[Any]] = {}
        by_id: dict[str, list[Any]] = {}
        by_tag: dict[str, list[Any]] = {}
        # elements only: comments and processing instructions are not XPath's *
        for el in root.iter(_ELEMENTS):
            tag = el.tag
            found = by_tag.get(tag)
            if found is None:
                by_tag[tag] = [el]
            else:
                found.append(el)
            get = el.get
            value = get("class")
            if value:
                # a printable ASCII value has no whitespace but the space (fast, exact split)
                tokens = (
                    value.split(" ")
                    if value.isascii() and value.isprintable()
                    else xpath_tokens(value)
                )
                for token in tokens:
                    if token:
                        found = by_class.get(token)
                        if found is None:
                            by_class[token] = [el]
                        else:
                            found.append(
                                el
                            )  # a token twice in one value lists it twice
            value = get("id")
            if value is not None:
                found = by_id.get(value)
                if found is None:
                    by_id[value] = [el]
                else:
                    found.append(el)
        self.by_class = by_class
        self.by_id = by_id
        self.by_tag = by_tag
        self._classes: dict[Any, frozenset[str]] = {}
        self._attrs: dict[str, list[Any]] | None = None
        self._blobs: dict[str, str] = {}
        # the positions of the blocks whose element is this element
        block_at: dict[Any, list[int]] = {}
        for p, block in enumerate(blocks):
            el = block.element
            if el is not None:
                block_at.setdefault(el, []).append(p)
        self.block_at = block_at
        self._under: dict[Any, list[int]] | None = None

    def classes_of(self, el: Any) -> frozenset[str]:
        """The element's class tokens as normalize-space splits them."""
        found = self._classes.get(el)
        if found is None:
            value = el.get("class")
            found = self._classes[el] = frozenset(xpath_tokens(value) if value else ())
        return found

    @property
    def by_attr(self) -> dict[str, list[Any]]:
        """Elements by the names of their attributes (built on first use)."""
        found = self._attrs
        if found is None:
            found = {}
            for els in self.by_tag.values():
                for el in els:
                    for name in el.keys():  # noqa: SIM118 (iterating an element gives children)
                        got = found.get(name)
                        if got is None:
                            found[name] = [el]
                        else:
                            got.append(el)
            self._attrs = found
        return found

    def blob(self, name: str) -> str:
        """Every value of the attribute on the page, each between NULs (values hold no NUL)."""
        found = self._blobs.get(name)
        if found is None:
            values = {el.get(name) for el in self.by_attr.get(name, ())}
            found = self._blobs[name] = "\0" + "\0".join(values) + "\0"
        return found

    def candidates(self, c: Compound) -> list[Any]:
        """Elements that may satisfy the compound (every one that does is among them)."""
        if c.ids:
            return self.by_id.get(c.ids[0], [])
        if c.classes:
            return self.by_class.get(c.classes[0], [])
        if c.attrs:
            name, op, want = c.attrs[0]
            found = self.by_attr.get(name)
            if found is None:
                return []
            # when no value on the page can hold the wanted text, there is nothing to test
            if want and op in _IN_BLOB and _IN_BLOB[op](want) not in self.blob(name):
                return []
            return found
        if c.tag is not None:
            return self.by_tag.get(c.tag, [])
        return [el for els in self.by_tag.values() for el in els]

    def positions(self, elements: Any) -> list[int]:
        """Positions of the blocks whose element is one of these elements or lies inside one
        (the block's element or one of its ancestors is among them), ascending."""
        at = self._under
        if at is None:
            # every block under each of its element's ancestors, once per page
            at = self._under = {}
            for el, found in self.block_at.items():
                for node in (el, *el.iterancestors()):
                    got = at.get(node)
                    if got is None:
                        at[node] = list(found)
                    else:
                        got.extend(found)
        out: set[int] = set()
        for el in elements:
            found = at.get(el)
            if found is not None:
                out.update(found)
        return sorted(out)


_ELEMENTS = etree.Element
# what must occur in ``blob(name)`` when some value of the attribute satisfies the operator
_IN_BLOB = {
    "=": lambda v: "\0" + v + "\0",
    "^=": lambda v: "\0" + v,
    "$=": lambda v: v + "\0",
    "*=": lambda v: v,
    "|=": lambda v: "\0" + v,
}


def select_elements(chains: tuple[Chain, ...], ix: PageIndex) -> list[Any]:
    """The elements of the page the selector selects (one may be listed twice: a class token
    written twice in one value, or an element two members of a group select)."""
    root = ix.root
    out: list[Any] = []
    for chain in chains:
        subject = chain.subject
        if subject.never:
            continue
        for el in ix.candidates(subject):
            if compound_holds(el, subject, ix) and (
                not chain.left or _left_holds(el, chain.left, 0, root, ix)
            ):
                out.append(el)
    return out


# ---------------------------------------------------------------- gating whole rules per page


def _compound_key(c: Compound) -> tuple[int, tuple[str, str]] | None:
    """The most selective key the compound needs on the page, with its rank (lower: rarer)."""
    if c.ids:
        return 0, ("id", c.ids[0])
    if c.classes:
        return 1, ("class", c.classes[0])
    if c.attrs:
        return 2, ("attr", c.attrs[0][0])
    if c.tag is not None:
        return 3, ("tag", c.tag)
    return None


def gate_keys(chains: tuple[Chain, ...]) -> list[tuple[str, str]] | None:
    """Keys of which at least one must be on a page for the selector to select anything there
    (("class", token), ("id", value), ("attr", name) or ("tag", name)), or None: no such key.

    Every compound of a chain must hold on some element of the page, so any of them may give
    the chain's key; the rarest kind is taken."""
    keys: list[tuple[str, str]] = []
    for chain in chains:
        if chain.subject.never or any(c.never for _, c in chain.left):
            continue  # selects nothing anywhere
        found = [
            k
            for k in map(_compound_key, (chain.subject, *(c for _, c in chain.left)))
            if k
        ]
        if not found:
            return None
        keys.append(min(found)[1])
    return keys


def _necessary_key(tree: Any) -> tuple[int, tuple[str, str]] | None:
    """A key a (not simple) cssselect tree needs on the page: from the conditions cssselect ANDs
    onto each compound (pseudo-classes, functions and negations add conditions; ``:is()`` and
    ``:where()`` OR theirs with everything below them, so nothing below them counts), and from
    both sides of every combinator (each side must match some element of the page)."""
    if isinstance(tree, CombinedSelector):
        keys = [
            k
            for k in (_necessary_key(tree.selector), _necessary_key(tree.subselector))
            if k
        ]
        return min(keys) if keys else None
    best = None
    node = tree
    while node is not None:
        key = None
        if isinstance(node, Class):
            key = 1, ("class", node.class_name)
        elif isinstance(node, Hash):
            key = 0, ("id", node.id)
        elif isinstance(node, Attrib):
            name = node.attrib.lower()
            if not node.namespace and is_safe_name(name) and node.operator != "!=":
                key = 2, ("attr", name)
        elif isinstance(node, Element):
            if node.element and not node.namespace and is_safe_name(node.element):
                key = 3, ("tag", node.element.lower())
        elif isinstance(node, (Matching, SpecificityAdjustment, Relation)):
            break
        elif not isinstance(node, (Pseudo, Function, Negation)):
            return None
        if key is not None and (best is None or key < best):
            best = key
        node = getattr(node, "selector", None)
    return best


def xpath_gate_keys(selector: str) -> list[tuple[str, str]] | None:
    """Gate keys (as ``gate_keys``) for a selector kept on its XPath, or None."""
    try:
        parsed = parse(selector)
    except SelectorError:
        return None
    keys = []
    for one in parsed:
        key = _necessary_key(one.parsed_tree)
        if key is None:
            return None
        keys.append(key[1])
    return keys


class Gates:
    """Rule ranks by gate key, for the rules whose only check is a simple css selector."""

    __slots__ = ("by_kind",)

    def __init__(self) -> None:
        self.by_kind: dict[str, dict[str, list[int]]] = {
            "class": {},
            "id": {},
            "attr": {},
            "tag": {},
        }

    def add(self, rank: int, keys: list[tuple[str, str]]) -> None:
        for kind, key in keys:
            self.by_kind[kind].setdefault(key, []).append(rank)

    def __bool__(self) -> bool:
        return any(self.by_kind.values())

    def live(self, ix: PageIndex) -> set[int]:
        """Ranks of the gated rules that may select something on this page."""
        live: set[int] = set()
        for kind, present in (
            ("class", ix.by_class),
            ("id", ix.by_id),
            ("tag", ix.by_tag),
        ):
            table = self.by_kind[kind]
            small, big = (
                (table, present) if len(table) < len(present) else (present, table)
            )
            for key in small:
                if key in big:
                    live.update(table[key])
        table = self.by_kind["attr"]
        if table:
            present = ix.by_attr
            for key, ranks in table.items():
                if key in present:
                    live.update(ranks)
        return live


# ---------------------------------------------------------------- the engine's selectors


class SimpleCss:
    """A css rule's value on the indexed path: its chains and its plain XPath (for pages
    without a root, which keep the plain path)."""

    __slots__ = ("chains", "xpath")

    def __init__(self, chains: tuple[Chain, ...], xpath: Any) -> None:
        self.chains = chains
        self.xpath = xpath


_KEY = ("cssindex",)


def page_index(page: Any) -> PageIndex | None:
    """The page's index, built once per document; None when the document has no root."""
    memo = page.memo
    found = memo.get(_KEY, _KEY)
    if found is _KEY:
        root = page.ctx.doc.root
        found = memo[_KEY] = None if root is None else PageIndex(root, page.blocks)
    return found  # type: ignore[no-any-return]


def _narrow(cands: list[int] | None, found: list[int]) -> list[int]:
    if cands is None or not found:
        return found
    keep = set(found)
    return [p for p in cands if p in keep]


def make_selects(plain: Any) -> tuple[Any, Any]:
    """The page-at-once selectors for simple and for XPath css values; ``plain`` is the
    block-by-block selector of the css predicate (used when a document has no root)."""

    def simple(value: SimpleCss, cands: list[int] | None, page: Any) -> list[int]:
        ix = page_index(page)
        if ix is None:
            return plain(value.xpath, cands, page)  # type: ignore[no-any-return]
        elements = select_elements(value.chains, ix)
        if not elements:
            return []
        return _narrow(cands, ix.positions(elements))

    def xpath(value: Any, cands: list[int] | None, page: Any) -> list[int]:
        ix = page_index(page)
        if ix is None:
            return plain(value, cands, page)  # type: ignore[no-any-return]
        hits = page.ctx.css_hits(value, ix.root)
        if not hits:
            return []
        return _narrow(cands, ix.positions(hits))

    return simple, xpath
