"""Split already-extracted text into blocks: one block per line (or per paragraph)."""

from __future__ import annotations

from typing import Literal

from unboil.document import Block, Document
from unboil.normalize import SPACE_RUN, split_bullet

SplitMode = Literal["lines", "paragraphs"]


def segment_text(
    text: str,
    *,
    title: str | None = None,
    url: str = "",
    split: SplitMode = "lines",
) -> Document:
    """Split ``text`` into blocks.

    ``split="lines"`` (the default, matching what extractors such as trafilatura emit) makes every
    non-empty line a block; ``"paragraphs"`` joins consecutive lines and breaks at blank lines and at
    lines that start with a bullet. Bullets are recorded on the block, not kept in its text; runs of
    horizontal whitespace fold to one space. The title is the caller's, else the first block's text.
    """
    if split not in ("lines", "paragraphs"):
        raise ValueError(f"split must be 'lines' or 'paragraphs', got {split!r}")
    blocks: list[Block] = []
    pending: list[tuple[int, int, str]] = []  # (start, end, stripped line) of the open paragraph
    pending_bullet = ""

    def flush() -> None:
        nonlocal pending, pending_bullet
        if pending:
            body = " ".join(part for _, _, part in pending)
            blocks.append(
                Block(index=len(blocks), text=body, bullet=pending_bullet,
                      start=pending[0][0], end=pending[-1][1])
            )
        pending = []
        pending_bullet = ""

    offset = 0
    for raw in text.splitlines(keepends=True):
        line_start = offset
        offset += len(raw)
        line = raw.rstrip("\r\n")
        bullet, rest = split_bullet(line)
        body = SPACE_RUN.sub(" ", rest).strip()
        if not body:
            if bullet:  # a bare marker such as "-" alone on a line is text, not a bullet
                body, bullet = bullet, ""
            else:
                flush()
                continue
        lead = len(line) - len(line.lstrip())
        start = line_start + lead
        end = line_start + len(line.rstrip())
        if split == "lines" or bullet:
            flush()
        pending.append((start, end, body))
        if bullet:
            pending_bullet = bullet
        if split == "lines":
            flush()
    flush()

    if title is None:
        title = blocks[0].text if blocks else ""
    return Document(blocks=blocks, title=" ".join(title.split()), url=url or "")
