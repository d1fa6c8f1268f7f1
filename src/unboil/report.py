"""A self-contained HTML report of one cleaning: kept blocks plain, dropped ones struck through."""

from __future__ import annotations

import html
from collections.abc import Sequence

from unboil.document import CleanResult, Decision

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.2rem}.meta{color:#666;font-size:.85rem}
.b{margin:.35rem 0;padding:.25rem .5rem;border-left:3px solid #3a3}
.b.drop{border-color:#c33;background:#fdf3f3;color:#888}
.b.drop .t{text-decoration:line-through}
.rule{display:inline-block;font:12px monospace;background:#c33;color:#fff;border-radius:3px;padding:0 .35rem;margin-right:.5rem}
.also{font:11px monospace;color:#999;margin-left:.5rem}
.i{font:11px monospace;color:#aaa;margin-right:.5rem}.tag{font:11px monospace;color:#69c;margin-right:.5rem}
table{border-collapse:collapse;font-size:.85rem}td{padding:0 .6rem}
"""


def matched_note(result: CleanResult, decision: Decision) -> str:
    """What the rules that matched but did not decide mean for this block ("" when there are none).

    A block kept by default despite matching rules is the first of a repeat group: drop_repeats
    rules match every member but drop only the later ones.
    """
    others = [m for m in decision.matched if m != decision.rule]
    if not others:
        return ""
    block = result.blocks[decision.index]
    if not decision.dropped and not decision.rule and block.signals.get("repeat_first") is True:
        return f"first of its repeat group, kept (later copies dropped by: {', '.join(others)})"
    return f"also matched: {', '.join(others)}"


def render_report(results: Sequence[tuple[str, CleanResult]], *, title: str = "unboil explain") -> str:
    """An HTML page explaining each (name, result): every block, its verdict and deciding rule."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_STYLE}</style></head><body>"]
    for name, result in results:
        parts.append(_render_one(name, result))
    parts.append("</body></html>")
    return "".join(parts)


def _render_one(name: str, result: CleanResult) -> str:
    out = [f"<section><h1>{html.escape(name)}</h1>"]
    if result.title:
        out.append(f"<p class='meta'>title: {html.escape(result.title)}"
                   + (f" · url: {html.escape(result.url)}" if result.url else "")
                   + f" · rule set {html.escape(result.ruleset)}</p>")
    removed = result.removed_by_rule()
    kept = len(result.blocks) - sum(removed.values())
    out.append(f"<p class='meta'>kept {kept} of {len(result.blocks)} blocks</p>")
    if removed:
        rows = "".join(f"<tr><td><span class='rule'>{html.escape(rule)}</span></td><td>{n}</td></tr>"
                       for rule, n in sorted(removed.items(), key=lambda kv: -kv[1]))
        out.append(f"<table>{rows}</table>")
    for d in result.decisions:
        block = result.blocks[d.index]
        text = html.escape(block.text).replace("\n", "<br>")
        label = f"<span class='rule'>{html.escape(d.rule)}</span>" if d.dropped else ""
        note = matched_note(result, d)
        also = f"<span class='also'>{html.escape(note)}</span>" if note else ""
        tag = f"<span class='tag'>{html.escape(block.tag)}</span>" if block.tag != "p" or block.path else ""
        body = f"<del class='t'>{text}</del>" if d.dropped else f"<span class='t'>{text}</span>"
        cls = "b drop" if d.dropped else "b"
        out.append(f"<div class='{cls}' data-rule='{html.escape(d.rule)}' data-index='{d.index}'>"
                   f"<span class='i'>{d.index}</span>{tag}{label}{body}{also}</div>")
    out.append("</section>")
    return "".join(out)
