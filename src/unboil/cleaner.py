"""The one-document pipeline: segment, annotate with every detector, decide by rules, render."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

from unboil.detect.density import annotate_density
from unboil.detect.repeats import RepeatsConfig, annotate_repeats
from unboil.document import CleanResult, Document
from unboil.errors import DocumentTooLarge, InputError
from unboil.normalize import control_ratio
from unboil.segment.text import segment_text

log = logging.getLogger(__name__)

RulesArg = Any  # None | RuleSet | Rule | path | TOML string | an iterable of those


@dataclass(frozen=True, slots=True)
class CleanerConfig:
    """Every default of the cleaner, in one place.

    - ``split``: how text becomes blocks, ``"lines"`` (each line a block, as extractors emit it) or
      ``"paragraphs"`` (blank lines and bullets separate blocks).
    - ``max_chars``: text longer than this many characters is refused with :class:`DocumentTooLarge`.
    - ``max_control_ratio``: text whose share of control characters exceeds this is refused as binary.
    - ``max_html_bytes``: HTML larger than this many bytes is refused with :class:`DocumentTooLarge`.
    - ``regex_timeout``: seconds one ``text_regex`` search may run on one block; None takes the
      rule set's own (``RuleSet(regex_timeout=...)``, 0.25 s unless set).
    - ``regex_budget``: seconds all the ``text_regex`` searches of one document may run together
      (1 s; ``math.inf``: no budget). Past it the document's remaining regex checks are not run:
      their blocks are kept, and the result says so (``CleanResult.regex_cut_short``).
    - ``repeats``: thresholds of the repeats detector.
    """

    split: str = "lines"
    max_chars: int = 20_000_000
    max_control_ratio: float = 0.05
    max_html_bytes: int = 20_000_000
    regex_timeout: float | None = None
    regex_budget: float = 1.0  # rules.limits.DEFAULT_REGEX_BUDGET (not imported: keeps `import unboil` light)
    repeats: RepeatsConfig = field(default_factory=RepeatsConfig)

    def __post_init__(self) -> None:
        if self.split not in ("lines", "paragraphs"):
            raise ValueError(f"CleanerConfig.split must be 'lines' or 'paragraphs', got {self.split!r}")
        for name in ("max_chars", "max_html_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"CleanerConfig.{name} must be a positive whole number, got {value!r}")
        from unboil.rules.limits import check_seconds

        if self.regex_timeout is not None:
            object.__setattr__(self, "regex_timeout", check_seconds("CleanerConfig.regex_timeout", self.regex_timeout))
        object.__setattr__(
            self, "regex_budget", check_seconds("CleanerConfig.regex_budget", self.regex_budget, unlimited=True)
        )


#: The record id the document being cleaned in this context came from, for log messages (set by
#: the record adapters around one call; a context variable, so threads and tasks keep their own).
_RECORD_ID: ContextVar[str] = ContextVar("unboil_record_id", default="")


@contextmanager
def naming(record_id: str) -> Iterator[None]:
    """Within this block, warnings about the document being cleaned name it by ``record_id`` too."""
    token = _RECORD_ID.set(record_id)
    try:
        yield
    finally:
        _RECORD_ID.reset(token)


def _name(doc: Document) -> str:
    """The document as a warning names it: record id and URL, whichever are known."""
    rid = _RECORD_ID.get() or doc.id
    if rid and doc.url:
        return f"record {rid!r} ({doc.url})"
    if rid:
        return f"record {rid!r}"
    from unboil.rules.engine import document_name

    return document_name(doc)


def _build_ruleset(rules: RulesArg, include_default: bool) -> Any:
    """A RuleSet from what a user passes: a RuleSet, rule files, Rule objects, or a mix.

    Files load after the defaults (unless ``include_default`` is false), in order; Rule objects and
    RuleSets given alongside files come after all files.
    """
    from unboil.rules import Rule, RuleSet

    if isinstance(rules, RuleSet):
        return rules
    if rules is None:
        items: list[Any] = []
    elif isinstance(rules, (str, PathLike, Rule)):
        items = [rules]
    elif isinstance(rules, Iterable):
        items = list(rules)
    else:
        raise TypeError(f"rules must be a RuleSet, Rule, path or a list of them, got {type(rules).__name__}")
    paths = [item for item in items if isinstance(item, (str, PathLike))]
    extra = [item for item in items if not isinstance(item, (str, PathLike))]
    for item in extra:
        if not isinstance(item, (Rule, RuleSet)):
            raise TypeError(f"rules items must be paths, Rule or RuleSet objects, got {type(item).__name__}")
    ruleset = RuleSet.load(*paths, include_default=include_default)
    if extra:
        ruleset = ruleset.extend(*[[item] if isinstance(item, Rule) else item for item in extra])
    return ruleset


class Cleaner:
    """A reusable cleaner: rules, site model and configuration fixed at construction.

    Thread-safe (``clean`` keeps no state between calls) and picklable (configuration is plain data;
    compiled regexes and selectors are rebuilt lazily after unpickling).
    """

    def __init__(
        self,
        rules: RulesArg = None,
        site_model: Any = None,
        *,
        config: CleanerConfig | None = None,
        include_default_rules: bool = True,
        lexicon: Any = None,
    ) -> None:
        self.rules = _build_ruleset(rules, include_default_rules)
        self.site_model = site_model
        self.config = config or CleanerConfig()
        self._lexicon = lexicon

    @property
    def lexicon(self) -> Any:
        """The widget lexicon (loaded on first use, shared read-only)."""
        if self._lexicon is None:
            from unboil.detect.widgets import load_lexicon

            self._lexicon = load_lexicon()
        return self._lexicon

    def __getstate__(self) -> dict[str, Any]:
        return {"rules": self.rules, "site_model": self.site_model, "config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.rules = state["rules"]
        self.site_model = state["site_model"]
        self.config = state["config"]
        self._lexicon = None

    # -- entry points -------------------------------------------------------------------------

    def clean(self, text: str | bytes, title: str | None = None, url: str | None = None) -> CleanResult:
        """Clean already-extracted text.

        ``title=None`` takes the first line that is not a widget as the title; ``title=""`` means the
        text has none.
        """
        text = self._check_text(text)
        doc = segment_text(text, title=title, url=url or "", split=self.config.split)  # type: ignore[arg-type]
        if title is None:
            doc.metadata["title_inferred"] = True
        return self.clean_document(doc)

    def clean_html(
        self, html: str | bytes, url: str | None = None, title: str | None = None, *, encoding: str | None = None
    ) -> CleanResult:
        """Clean an HTML page (str, or bytes whose charset is detected; ``encoding`` is the HTTP charset)."""
        from unboil.segment.html import segment_html

        if not isinstance(html, (str, bytes)):
            raise InputError(f"html must be str or bytes, got {type(html).__name__}")
        doc = segment_html(html, url or "", title=title, max_bytes=self.config.max_html_bytes, encoding=encoding)
        return self.clean_document(doc)

    def clean_document(self, doc: Document) -> CleanResult:
        """Annotate a segmented document, let the rules decide, and render the kept blocks."""
        self.annotate(doc)
        found = self.rules.evaluate(
            doc, regex_timeout=self.config.regex_timeout, regex_budget=self.config.regex_budget
        )
        if found.regex:
            log.warning("%s", found.regex.describe(_name(doc)))
        decisions = found.decisions
        kept = [doc.blocks[d.index].text for d in decisions if not d.dropped]
        return CleanResult(
            text="\n\n".join(kept),
            blocks=doc.blocks,
            decisions=decisions,
            title=doc.title,
            url=doc.url,
            ruleset=self.rules.hash,
            regex_cut_short=found.regex.cut_short,
            regex_budget_spent=found.regex.budget_spent,
        )

    def annotate(self, doc: Document) -> None:
        """Run every detector over ``doc`` (signals only; nothing is removed here)."""
        from unboil.detect.widgets import annotate_widgets

        annotate_density(doc)
        annotate_widgets(doc, self.lexicon)
        if doc.metadata.get("title_inferred"):
            # the title of bare text is its first line that is not a widget, so that cleaning
            # twice finds the same title (a leading "Share on Facebook" is no headline)
            doc.title = next((b.text for b in doc.blocks if not b.signals.get("widget")), doc.title)
        annotate_repeats(doc, self.config.repeats)
        if doc.root is not None:
            from unboil.detect.content import annotate_content

            annotate_content(doc)
        if self.site_model is not None:
            self.site_model.annotate(doc)

    # -- input checks -------------------------------------------------------------------------

    def _check_text(self, text: str | bytes) -> str:
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"text is not valid UTF-8 (byte {exc.start}: {exc.reason}); decode it first"
                ) from None
        if not isinstance(text, str):
            raise InputError(f"text must be str, got {type(text).__name__}")
        if len(text) > self.config.max_chars:
            raise DocumentTooLarge(
                f"document has {len(text):,} characters, over the cap of {self.config.max_chars:,} "
                "(CleanerConfig.max_chars; --max-chars on the command line)"
            )
        sample = text[:65536]
        ratio = control_ratio(sample)
        if ratio > self.config.max_control_ratio:
            raise InputError(
                f"text looks like binary data: {ratio:.0%} of its first {len(sample):,} characters are "
                "control or replacement characters"
            )
        return text


_DEFAULT: Cleaner | None = None


def default_cleaner() -> Cleaner:
    """The cleaner behind ``unboil.clean``: default rules, no site model (immutable once built)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Cleaner()
    return _DEFAULT
