"""What an HTML page says about itself: title, canonical URL, language and JSON-LD article.

The walk in :mod:`unboil.segment.html` hands each ``<meta>``, ``<link>``, ``<title>`` and JSON-LD
``<script>`` it meets to a :class:`PageMeta`; once the blocks are known (the ``<h1>`` headings are
evidence for trimming the title), :meth:`PageMeta.resolve` fills the Document's fields.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..document import Document

__all__ = ["PageMeta", "jsonld_article", "trim_title"]

TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " / ", " » ", " « ")
#: schema.org types whose ``articleBody``/``text`` is the page's main content.
ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle",
    "liveblogposting", "scholarlyarticle", "techarticle", "report", "socialmediaposting",
    "discussionforumposting",
})
#: The <meta> names (or properties) PageMeta keeps.
META_KEYS = ("og:title", "og:url", "og:site_name", "application-name", "content-language")
#: At most this many JSON values are visited per JSON-LD script (a guard against huge graphs).
JSONLD_MAX_NODES = 5000
_HOST_NOISE = frozenset({"www", "com", "org", "net", "edu", "gov", "co", "ac", "info", "html"})
_SQUASH = re.compile(r"\W+")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _squash(text: str) -> str:
    """Text reduced to lowercase letters and digits, for comparing titles and site names."""
    return _SQUASH.sub("", text.casefold())


def _site_like(part: str, site_names: list[str], host_labels: list[str]) -> bool:
    """Whether a short title fragment names the site (its og:site_name or a label of its host)."""
    squashed = _squash(part)
    if not squashed or len(part.split()) > 5:
        return False
    return squashed in site_names or any(label in squashed for label in host_labels)


def trim_title(title: str, headings: list[str], site_name: str = "", host: str = "") -> str:
    """Drop a " | Site" suffix (or "Site | " prefix) from a page title when there is evidence.

    Evidence is a heading equal to the remainder, or the dropped part naming the site
    (``og:site_name``, or a label of the host such as "example" for news.example.com). Without
    evidence the title is returned unchanged: "Covid - what we know" keeps its dash.
    """
    heads = {_squash(h) for h in headings if h}
    heads.discard("")
    site_names = [n for n in (_squash(site_name),) if n]
    host_labels = [lb for lb in host.lower().split(".") if len(lb) > 2 and lb not in _HOST_NOISE]
    for _ in range(3):  # "Story - Section | Site" may need two steps
        if _squash(title) in heads:
            return title
        trimmed = title
        for sep in TITLE_SEPARATORS:
            if sep not in title:
                continue
            head, tail = title.rsplit(sep, 1)
            first, rest = title.split(sep, 1)
            for keep, drop in ((head, tail), (rest, first)):
                keep = keep.strip()
                if keep and (_squash(keep) in heads or _site_like(drop, site_names, host_labels)):
                    trimmed = keep
                    break
            if trimmed != title:
                break
        if trimmed == title:
            return title
        title = trimmed
    return title


def _article_fields(node: dict[str, Any]) -> dict[str, str]:
    """headline/articleBody/text (non-empty strings) and the type of an Article-like object."""
    kind = node.get("@type")
    kinds = [k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)]
    if not any(k.lower() in ARTICLE_TYPES for k in kinds):
        return {}
    item = {key: node[key].strip() for key in ("headline", "articleBody", "text")
            if isinstance(node.get(key), str) and node[key].strip()}
    if item:
        item["type"] = kinds[0]
    return item


def jsonld_article(scripts: list[str]) -> dict[str, str]:
    """The first Article-like JSON-LD object's fields; one with a body beats one with a headline.

    Each script may hold one object, a list, or an ``@graph``; nested objects are searched too.
    Scripts that are not valid JSON are skipped.
    """
    found: dict[str, str] = {}
    for raw in scripts:
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        todo, seen = [data], 0
        while todo and seen < JSONLD_MAX_NODES:
            node = todo.pop()
            seen += 1
            if isinstance(node, list):
                todo.extend(reversed(node))
                continue
            if not isinstance(node, dict):
                continue
            item = _article_fields(node)
            if "articleBody" in item or "text" in item:
                return item
            found = found or item
            todo.extend(v for v in reversed(list(node.values())) if isinstance(v, (dict, list)))
    return found


def _absolute(url: str) -> str:
    """The URL when it is absolute http(s), else empty (a relative one cannot be resolved here)."""
    url = url.strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


class PageMeta:
    """What the page's head (and JSON-LD anywhere) declares, gathered during the walk."""

    __slots__ = ("fields", "jsonld")

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.jsonld: list[str] = []

    def element(self, tag: str, el: Any) -> None:
        """Record what a <meta>, <link>, <title> or JSON-LD <script> says; first one wins."""
        fields = self.fields
        if tag == "script":
            if el.text and "ld+json" in (el.get("type") or "").lower():
                self.jsonld.append(el.text)
        elif tag == "title":
            if "title" not in fields:
                fields["title"] = " ".join("".join(el.itertext()).split())
        elif tag == "link":
            href = el.get("href")
            if href and "canonical" not in fields and "canonical" in (el.get("rel") or "").lower():
                fields["canonical"] = href
        elif tag == "meta":
            content = el.get("content")
            if content is None:
                return
            key = (el.get("property") or el.get("name") or el.get("http-equiv") or "").lower()
            key = key.strip()
            if key in META_KEYS and key not in fields:
                fields[key] = " ".join(content.split())

    def resolve(self, root: Any, headings: list[str], url: str, title: str | None,
                metadata: dict[str, Any]) -> tuple[str, str]:
        """The page's (title, url); adds "lang" and "jsonld" to ``metadata`` when known."""
        fields = self.fields
        lang = (root.get("lang") or root.get(_XML_LANG) or root.get("xml:lang")
                or fields.get("content-language", "").split(",")[0]).strip()
        if lang:
            metadata["lang"] = lang.lower()
        article = jsonld_article(self.jsonld) if self.jsonld else {}
        if article:
            metadata["jsonld"] = article
        url = url or _absolute(fields.get("canonical", "")) or _absolute(fields.get("og:url", ""))
        if title is None:
            candidate = fields.get("og:title") or fields.get("title") or ""
            if candidate:
                host = Document(blocks=[], url=url).host
                site = fields.get("og:site_name") or fields.get("application-name") or ""
                evidence = headings + [article.get("headline", "")]
                title = trim_title(candidate, evidence, site, host)
            else:
                title = headings[0] if headings else ""
        return title, url
