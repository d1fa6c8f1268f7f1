"""The records every stage passes along: blocks, documents, decisions and results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, frozen=True)
class Link:
    """One hyperlink inside a block: its visible text and its target."""

    text: str
    href: str


@dataclass(slots=True)
class Block:
    """A unit of page content that is kept or dropped as a whole.

    Segmenters fill the structural fields; detectors only add entries to ``signals``.
    """

    index: int
    text: str
    bullet: str = ""  # list marker seen before the text ("•", "-", "1.", "a)"), not part of text
    tag: str = "p"  # HTML tag name; "p" for plain-text blocks, "h1".."h6" for headings
    path: str = ""  # DOM path such as "html/body/div[2]/p[3]"; empty for text
    class_tokens: tuple[str, ...] = ()  # lowercased class/id tokens of the element and its ancestors
    links: tuple[Link, ...] = ()
    link_density: float = 0.0  # share of the block's characters that sit inside links
    start: int = -1  # character offset of the block in the source text (text input), else -1
    end: int = -1
    signals: dict[str, Any] = field(default_factory=dict)
    element: Any = field(default=None, repr=False, compare=False)  # lxml element (HTML only)

    def __getstate__(self) -> dict[str, Any]:
        # lxml elements cannot be pickled; everything else is plain data.
        return {name: getattr(self, name) for name in self.__slots__ if name != "element"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "element", None)


@dataclass(slots=True)
class Document:
    """A page after segmentation: its blocks plus what we know about it."""

    blocks: list[Block]
    title: str = ""
    url: str = ""
    id: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    root: Any = field(default=None, repr=False, compare=False)  # lxml root (HTML only)

    @property
    def host(self) -> str:
        """The lowercased host of ``url`` without ``www.``; empty when unknown."""
        from urllib.parse import urlsplit

        try:
            host = (urlsplit(self.url).hostname or "").lower()
        except ValueError:
            return ""
        return host[4:] if host.startswith("www.") else host


KEEP = "keep"
DROP = "drop"


@dataclass(slots=True, frozen=True)
class Decision:
    """What happened to one block and why.

    ``rule`` is the id of the deciding rule ("" when no rule matched and the block was kept by
    default); ``matched`` lists every rule that matched, in evaluation order.
    """

    index: int
    action: str  # "keep" or "drop"
    rule: str = ""
    matched: tuple[str, ...] = ()

    @property
    def dropped(self) -> bool:
        return self.action == DROP


@dataclass(slots=True)
class CleanResult:
    """The outcome of cleaning one document."""

    text: str
    blocks: list[Block]
    decisions: list[Decision]
    title: str = ""
    url: str = ""
    ruleset: str = ""  # hash of the rule set that decided, for provenance
    # rule id -> blocks whose text_regex the regex limits cut short (those blocks were kept)
    regex_cut_short: dict[str, int] = field(default_factory=dict)
    regex_budget_spent: bool = False  # the document's regex time budget ran out

    @property
    def removed(self) -> list[Block]:
        """The dropped blocks, in document order."""
        return [self.blocks[d.index] for d in self.decisions if d.dropped]

    @property
    def kept(self) -> list[Block]:
        """The kept blocks, in document order."""
        return [self.blocks[d.index] for d in self.decisions if not d.dropped]

    def removed_by_rule(self) -> dict[str, int]:
        """How many blocks each rule removed."""
        counts: dict[str, int] = {}
        for d in self.decisions:
            if d.dropped:
                counts[d.rule] = counts.get(d.rule, 0) + 1
        return counts

    def regex_limits(self) -> dict[str, Any]:
        """``regex_cut_short`` and ``regex_budget_spent`` as plain data; empty when nothing was cut."""
        if not self.regex_cut_short:
            return {}
        return {"regex_cut_short": dict(self.regex_cut_short), "regex_budget_spent": self.regex_budget_spent}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (text, decisions and per-rule counts)."""
        return {
            "text": self.text,
            "title": self.title,
            "ruleset": self.ruleset,
            "removed_by_rule": self.removed_by_rule(),
            **self.regex_limits(),
            "decisions": [
                {"index": d.index, "action": d.action, "rule": d.rule, "matched": list(d.matched),
                 "text": self.blocks[d.index].text}
                for d in self.decisions
            ],
        }
