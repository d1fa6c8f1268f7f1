"""Whitespace, bullet and comparison normalisation shared by segmenters and detectors."""

from __future__ import annotations

import re
import unicodedata

# A bullet is a marker at the start of a line followed by whitespace: symbols, dashes, numbers
# ("1.", "12)") and single letters ("a)", "b.").
BULLET_RE = re.compile(
    r"^[ \t\u00a0]*("
    r"[•·●◦▪▫■□►▸‣⁃○∙*+\-]"  # symbol bullets and the hyphen (not en/em dashes: dialogue)
    r"|\d{1,3}[.)]"  # 1.  12)
    r"|[a-zA-Z][)]"  # a)
    r")[ \t\u00a0]+(?=\S)"
)

SPACE_RUN = re.compile(r"[^\S\n]+")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_NON_WORD = re.compile(r"[\W_]+")


def collapse_spaces(text: str) -> str:
    """Fold runs of horizontal whitespace into one space and strip the ends; keep newlines."""
    lines = (SPACE_RUN.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def split_bullet(line: str) -> tuple[str, str]:
    """Return ``(bullet, rest)`` for a line that starts with a list marker, else ``("", line)``."""
    m = BULLET_RE.match(line)
    if not m:
        return "", line
    return m.group(1), line[m.end() :]


def strip_zero_width(text: str) -> str:
    """Remove zero-width characters and BOMs that make equal texts compare unequal."""
    return text.translate(_ZERO_WIDTH)


def comparison_key(text: str) -> str:
    """A key for "same text" comparisons: NFKC, casefolded, punctuation and spacing removed."""
    text = unicodedata.normalize("NFKC", strip_zero_width(text)).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def control_ratio(text: str) -> float:
    """Share of characters that are control characters (other than tab/newline/CR) or U+FFFD."""
    if not text:
        return 0.0
    return len(_CONTROL.findall(text)) / len(text)
