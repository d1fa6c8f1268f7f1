"""Adapters that turn each extraction tool into one ``Page -> str`` call, for side-by-side runs.

Every adapter is built lazily: a tool that cannot be imported comes back with status
``"missing"`` (a peer) or ``"not available"`` (unboil, while its entry point is not there yet),
never an exception, so one absent tool never stops a run.

Settings (kept here, in one place):
- ``unboil``: ``unboil.clean_html(html, url=url).text``.
- ``trafilatura``: ``extract(html, include_comments=False)``, the call behind its published AEB
  figure.
- ``resiliparse``: ``extract_plain_text(html, main_content=True)``.
- ``readability``: ``Document(html).summary()``, then block-aware text of that HTML.
- ``justext``: default thresholds, the stoplist of the page's ``<html lang>`` when jusText has
  one, English otherwise; kept paragraphs joined by blank lines.
- ``boilerpy3``: ``ArticleExtractor().get_content(html)``.
- ``trafilatura+unboil``: trafilatura's text, then ``unboil.clean(text, title=..., url=...)`` with
  trafilatura's title metadata, or the page's ``<title>`` when it has none.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

OK = "ok"
MISSING = "missing"
NOT_AVAILABLE = "not available"


@dataclass(slots=True)
class Page:
    """One benchmark page, already decompressed and decoded, with what adapters may need."""

    id: str
    html: str
    url: str = ""
    lang: str | None = None
    title: str = ""


Extract = Callable[[Page], str]
PostProcess = Callable[[Page, str, str], str]


@dataclass(slots=True)
class Tool:
    """A named extractor: a direct ``run(page)``, or ``post(page, base_text, title)`` on a base tool.

    For post-processing tools, ``title(page)`` looks up the title passed to ``post``; the harness
    times the base tool, the title lookup and the post step separately.
    """

    name: str
    status: str
    version: str = ""
    reason: str = ""
    run: Extract | None = None
    base: str | None = None
    post: PostProcess | None = None
    title: Extract | None = None

    @property
    def ok(self) -> bool:
        """Whether the tool can run in this environment."""
        return self.status == OK


# --- page facts read once at load time (never timed) -----------------------------------------

_HTML_LANG = re.compile(r"<html\b[^>]*?[\s:]lang\s*=\s*[\"']?\s*([A-Za-z]{2,3})", re.I | re.S)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_SPACES = re.compile(r"\s+")


def page_language(html: str) -> str | None:
    """ISO 639 code from the page's ``<html lang>`` attribute, lowercased, or None."""
    m = _HTML_LANG.search(html, 0, 20000)
    return m.group(1).lower() if m else None


def page_title(html: str) -> str:
    """The page's ``<title>`` text, unescaped with whitespace collapsed ('' when absent)."""
    m = _TITLE.search(html)
    return _SPACES.sub(" ", htmllib.unescape(m.group(1))).strip() if m else ""


# --- HTML fragment to text ---------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody "
    "thead tfoot tr td th ul caption".split()
)


def html_fragment_text(markup: str) -> str:
    """Visible text of an HTML fragment with line breaks at block boundaries, so words never glue."""
    import lxml.html

    if not markup or not markup.strip():
        return ""
    root = lxml.html.fromstring(markup)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "br":
            el.tail = "\n" + (el.tail or "")
        elif el.tag in _BLOCK_TAGS:
            el.text = "\n" + (el.text or "")
            el.tail = "\n" + (el.tail or "")
    lines = (_SPACES.sub(" ", line).strip() for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


# --- adapters ----------------------------------------------------------------------------------

_JUSTEXT_LANGS = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan",
    "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "ga": "Irish", "gl": "Galician", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian", "is": "Icelandic",
    "it": "Italian", "ka": "Georgian", "kk": "Kazakh", "ko": "Korean", "la": "Latin",
    "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian", "ms": "Malay", "nb": "Norwegian_Bokmal",
    "nl": "Dutch", "nn": "Norwegian_Nynorsk", "no": "Norwegian_Bokmal", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian",
    "sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil",
    "te": "Telugu", "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu",
    "vi": "Vietnamese",
}  # fmt: skip


def _version(dist: str) -> str:
    """Installed distribution version, or '' when unknown."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


def _missing(name: str, dist: str, exc: BaseException) -> Tool:
    """A tool entry for a peer that cannot be imported here."""
    return Tool(name, MISSING, reason=f"{dist} not importable: {exc}")


_PROBE_HTML = "<html><head><title>Probe</title></head><body><p>One short probe paragraph.</p></body></html>"
_PROBE_TEXT = "Probe\n\nOne short probe paragraph."


def _probe(call: Callable[[], object]) -> str:
    """'' if a tiny call works; else why the code behind it is unfinished (import/not implemented).

    Other exceptions are left to the run, where they count as per-page errors.
    """
    try:
        call()
    except (ImportError, NotImplementedError) as exc:
        return f"is unfinished: {type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001 - a real bug shows up as per-page errors instead
        return ""
    return ""


def _unboil() -> Tool:
    """unboil's own HTML entry point, or 'not available' until ``unboil.clean_html`` exists."""
    try:
        import unboil
    except Exception as exc:  # noqa: BLE001 - any import failure means "not available"
        return Tool("unboil", NOT_AVAILABLE, reason=f"import unboil failed: {exc}")
    clean_html = getattr(unboil, "clean_html", None)
    if clean_html is None:
        return Tool("unboil", NOT_AVAILABLE, reason="unboil.clean_html does not exist yet")
    problem = _probe(lambda: clean_html(_PROBE_HTML, url="https://example.com/a").text)
    if problem:
        return Tool("unboil", NOT_AVAILABLE, reason=f"unboil.clean_html {problem}")

    def run(page: Page) -> str:
        return clean_html(page.html, url=page.url or None).text

    return Tool("unboil", OK, _version("unboil"), run=run)


def _trafilatura() -> Tool:
    """trafilatura with the settings of its published AEB run."""
    try:
        from trafilatura import extract
    except ImportError as exc:
        return _missing("trafilatura", "trafilatura", exc)

    def run(page: Page) -> str:
        return extract(page.html, include_comments=False) or ""

    return Tool("trafilatura", OK, _version("trafilatura"), run=run)


def _resiliparse() -> Tool:
    """Resiliparse's main-content plain-text extraction."""
    try:
        from resiliparse.extract.html2text import extract_plain_text
    except ImportError as exc:
        return _missing("resiliparse", "resiliparse", exc)

    def run(page: Page) -> str:
        return extract_plain_text(page.html, main_content=True) or ""

    return Tool("resiliparse", OK, _version("resiliparse"), run=run)


def _readability() -> Tool:
    """readability-lxml's article summary, converted to text."""
    try:
        from readability import Document
    except ImportError as exc:
        return _missing("readability", "readability-lxml", exc)

    def run(page: Page) -> str:
        return html_fragment_text(Document(page.html).summary())

    return Tool("readability", OK, _version("readability-lxml"), run=run)


def _justext() -> Tool:
    """jusText with the page language's stoplist (English when unknown or unsupported)."""
    try:
        import justext
    except ImportError as exc:
        return _missing("justext", "justext", exc)
    available = set(justext.get_stoplists())
    stoplists: dict[str, frozenset[str]] = {}

    def stoplist(lang: str | None) -> frozenset[str]:
        name = _JUSTEXT_LANGS.get(lang or "", "English")
        if name not in available:
            name = "English"
        if name not in stoplists:
            stoplists[name] = frozenset(justext.get_stoplist(name))
        return stoplists[name]

    def run(page: Page) -> str:
        paragraphs = justext.justext(page.html, stoplist(page.lang))
        return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    return Tool("justext", OK, _version("justext"), run=run)


def _boilerpy3() -> Tool:
    """BoilerPy3's ArticleExtractor (the boilerpipe article model)."""
    try:
        from boilerpy3 import extractors
    except ImportError as exc:
        return _missing("boilerpy3", "boilerpy3", exc)
    extractor = extractors.ArticleExtractor()

    def run(page: Page) -> str:
        return extractor.get_content(page.html) or ""

    return Tool("boilerpy3", OK, _version("boilerpy3"), run=run)


def _trafilatura_unboil() -> Tool:
    """Post-processing mode: trafilatura's text passed through ``unboil.clean``."""
    name = "trafilatura+unboil"
    try:
        from trafilatura import extract_metadata
    except ImportError as exc:
        return _missing(name, "trafilatura", exc)
    try:
        import unboil
    except Exception as exc:  # noqa: BLE001
        return Tool(name, NOT_AVAILABLE, reason=f"import unboil failed: {exc}", base="trafilatura")
    clean = getattr(unboil, "clean", None)
    if clean is None:
        return Tool(name, NOT_AVAILABLE, reason="unboil.clean does not exist yet", base="trafilatura")
    problem = _probe(lambda: clean(_PROBE_TEXT, title="Probe", url="https://example.com/a").text)
    if problem:
        return Tool(name, NOT_AVAILABLE, reason=f"unboil.clean {problem}", base="trafilatura")

    def title(page: Page) -> str:
        meta = extract_metadata(page.html, default_url=page.url or None)
        return (meta.title if meta is not None else None) or page.title

    def post(page: Page, text: str, title: str) -> str:
        if not text:
            return ""
        return clean(text, title=title or None, url=page.url or None).text

    version = f"{_version('trafilatura')}+{_version('unboil')}"
    return Tool(name, OK, version, base="trafilatura", post=post, title=title)


BUILDERS: dict[str, Callable[[], Tool]] = {
    "unboil": _unboil,
    "trafilatura": _trafilatura,
    "trafilatura+unboil": _trafilatura_unboil,
    "readability": _readability,
    "justext": _justext,
    "resiliparse": _resiliparse,
    "boilerpy3": _boilerpy3,
}

DEFAULT_TOOLS = tuple(BUILDERS)


def build_tools(names: list[str] | tuple[str, ...] = DEFAULT_TOOLS) -> list[Tool]:
    """Build the named tools in order; unknown names raise with the list of known ones."""
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        raise ValueError(f"unknown tool(s) {unknown}; known: {', '.join(BUILDERS)}")
    return [BUILDERS[n]() for n in names]
