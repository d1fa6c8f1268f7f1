"""What a full-size EasyList import costs: import, first plan, and ``decide`` per AEB page.

Run: taskset -c 1 .venv/bin/python benchmarks/bench_easylist.py [--lines 40000] [--pages N]
     [--repeat K] [--plain]

There is no real EasyList in the repository (and no network), so ``synthetic_list`` writes one
with the shapes real lists have: mostly network filters and ``##.class`` / ``###id`` hides, many
domain-scoped ``site.com##...`` lines (a few for the AEB pages' own hosts), ``#@#`` exceptions,
some compound, attribute and descendant selectors, a few pseudo-class and sibling selectors, and
lines the importer skips (procedural filters, negated domains, broken selectors, comments).
Times are process CPU time, the best of K passes (the machine is shared). ``--plain`` also times
the plain path (one XPath per css rule; slow: about two seconds a page for 20k rules).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time
from pathlib import Path

AEB = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "aeb"

_WORDS = [
    "ad",
    "ads",
    "advert",
    "advertisement",
    "banner",
    "sponsor",
    "sponsored",
    "promo",
    "dfp",
    "gpt",
    "taboola",
    "outbrain",
    "native",
    "popup",
    "cookie",
    "gdpr",
    "consent",
    "newsletter",
    "social",
    "share",
    "related",
    "widget",
    "sidebar",
    "footer",
    "header",
    "top",
    "bottom",
    "box",
    "wrap",
    "container",
    "slot",
    "unit",
    "block",
    "leaderboard",
    "skyscraper",
    "mpu",
    "rectangle",
    "billboard",
    "teaser",
    "partner",
    "affiliate",
    "commercial",
    "marketing",
    "paid",
    "premium",
    "inline",
    "sticky",
    "overlay",
    "modal",
    "signup",
    "subscribe",
    "notice",
]
_TAGS = (
    "div",
    "aside",
    "section",
    "span",
    "iframe",
    "ins",
    "a",
    "li",
    "p",
    "ul",
    "figure",
)


def _name(rng: random.Random) -> str:
    parts = [rng.choice(_WORDS) for _ in range(rng.choice((1, 2, 2, 3)))]
    joiner = rng.choice(("-", "-", "_", ""))
    name = joiner.join(parts)
    if rng.random() < 0.45:
        name += rng.choice(("-", "_", "")) + str(rng.randrange(1, 400))
    if rng.random() < 0.08:
        name = name.title().replace("-", "")  # CamelCase names exist too
    return name


def _host(rng: random.Random, hosts: list[str]) -> str:
    if hosts and rng.random() < 0.05:
        return rng.choice(hosts)
    return f"{rng.choice(_WORDS)}{rng.randrange(1, 5000)}.{rng.choice(('com', 'net', 'org', 'de', 'co.uk'))}"


def _selector(rng: random.Random) -> str:
    """A selector with roughly the shapes of EasyList's element-hiding rules."""
    r = rng.random()
    if r < 0.50:
        return "." + _name(rng)
    if r < 0.75:
        return "#" + _name(rng)
    if r < 0.83:
        return rng.choice(_TAGS) + rng.choice(".#") + _name(rng)
    if r < 0.88:
        op = rng.choice(("", "=", "^=", "^=", "*=", "$="))
        tag = rng.choice(("", "", "div", "a", "iframe"))
        if not op:
            return f"{tag}[data-{_name(rng)}]"
        attr = rng.choice(("id", "class", "href", "src", "aria-label", "data-ad-slot"))
        return f'{tag}[{attr}{op}"{_name(rng)}"]'
    if r < 0.93:
        return f"{'.' + _name(rng)}{rng.choice((' ', ' > '))}{rng.choice(('.', '#', ''))}{_name(rng) if rng.random() < 0.8 else rng.choice(_TAGS)}"
    if r < 0.96:
        return "." + _name(rng) + "." + _name(rng)
    if r < 0.98:
        return rng.choice(
            (
                f".{_name(rng)}:not(.{_name(rng)})",
                f".{_name(rng)} + .{_name(rng)}",
                f"{rng.choice(_TAGS)}:nth-child({rng.randrange(1, 5)}) > .{_name(rng)}",
                f".{_name(rng)} ~ div",
                f".{_name(rng)}:first-child",
            )
        )
    return "." + _name(rng) + ", #" + _name(rng)


def synthetic_list(
    lines: int = 40000, seed: int = 1, hosts: list[str] | None = None
) -> str:
    """An EasyList-like filter list of about ``lines`` lines (deterministic for a seed)."""
    rng = random.Random(seed)
    hosts = hosts or []
    out = ["[Adblock Plus 2.0]", "! Title: synthetic EasyList", "! Version: 1"]
    while len(out) < lines:
        r = rng.random()
        if r < 0.45:  # network filters: most of a real list, skipped by the importer
            out.append(
                f"||{_host(rng, [])}^$third-party"
                if rng.random() < 0.5
                else f"/{_name(rng)}/*"
            )
        elif r < 0.63:
            out.append("##" + _selector(rng))
        elif r < 0.94:
            domains = ",".join(
                _host(rng, hosts) for _ in range(rng.choice((1, 1, 1, 2, 3)))
            )
            out.append(f"{domains}##{_selector(rng)}")
        elif r < 0.965:
            out.append(f"{_host(rng, hosts)}#@#{_selector(rng)}")
        elif r < 0.975:
            out.append("! " + " ".join(rng.choice(_WORDS) for _ in range(5)))
        else:
            out.append(
                rng.choice(
                    (
                        f"~{_host(rng, [])}##.{_name(rng)}",
                        f"{_host(rng, [])}#?#div:-abp-has(.{_name(rng)})",
                        f"##.{_name(rng)}:has-text(Sponsored)",
                        f"{_host(rng, [])}##+js(aopr, {_name(rng)})",
                        f"##div[{_name(rng)}",
                        f"example.*##.{_name(rng)}",
                    )
                )
            )
    return "\n".join(out[:lines]) + "\n"


def aeb_documents(limit: int | None = None) -> list:
    """The AEB pages segmented (with their URLs, so host-scoped rules apply)."""
    from unboil.segment.html import segment_html

    truth = json.loads((AEB / "ground-truth.json").read_text("utf-8"))
    docs = []
    for path in sorted((AEB / "html").glob("*.html.gz"))[:limit]:
        key = path.name.removesuffix(".html.gz")
        with gzip.open(path, "rb") as fh:
            docs.append(segment_html(fh.read(), truth.get(key, {}).get("url", "")))
    return docs


def aeb_hosts() -> list[str]:
    from urllib.parse import urlsplit

    truth = json.loads((AEB / "ground-truth.json").read_text("utf-8"))
    return sorted(
        {
            (urlsplit(v["url"]).hostname or "").removeprefix("www.")
            for v in truth.values()
        }
        - {""}
    )


def _cpu() -> float:
    return time.process_time()


def main() -> None:
    from unboil.rules import RuleSet, cssindex
    from unboil.rules.easylist import parse_easylist

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=40000)
    parser.add_argument(
        "--pages", type=int, default=None, help="first N AEB pages (default all)"
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="passes; the fastest counts"
    )
    parser.add_argument(
        "--plain", action="store_true", help="also time the plain XPath path"
    )
    parser.add_argument(
        "--plain-pages", type=int, default=10, help="pages for the plain path"
    )
    args = parser.parse_args()

    text = synthetic_list(args.lines, hosts=aeb_hosts())
    t0 = _cpu()
    rules, skipped = parse_easylist(text, "synthetic")
    t1 = _cpu()
    unscoped = sum(1 for r in rules if not r.hosts)
    simple = sum(1 for r in rules if cssindex.parse_simple(r.match["css"]) is not None)
    print(
        f"list: {args.lines} lines, {len(rules)} css rules ({unscoped} unscoped, "
        f"{simple} simple), {len(skipped)} skipped"
    )
    print(f"import (parse_easylist): {t1 - t0:.2f} s CPU")
    docs = aeb_documents(args.pages)
    blocks = sum(len(d.blocks) for d in docs)
    print(f"AEB pages: {len(docs)} ({blocks} blocks)")

    def measure(label: str, indexed: bool, pages: list, repeat: int) -> None:
        cssindex.ENABLED = indexed
        try:
            ruleset = RuleSet(rules)
            t = _cpu()
            ruleset.decide(pages[0])  # compiles the plan, then decides the first page
            first = _cpu() - t
            best = float("inf")
            for _ in range(repeat):
                t = _cpu()
                for doc in pages:
                    ruleset.decide(doc)
                best = min(best, _cpu() - t)
        finally:
            cssindex.ENABLED = True
        print(
            f"{label}: first page (plan + decide) {first:.2f} s; "
            f"decide {best / len(pages) * 1000:.2f} ms/page over {len(pages)} pages "
            f"(best of {repeat})"
        )

    if args.plain:
        measure("plain XPath", False, docs[: args.plain_pages], 1)
    measure("indexed", True, docs, args.repeat)
    default = RuleSet.default()
    best = float("inf")
    for _ in range(args.repeat):
        t = _cpu()
        for doc in docs:
            default.decide(doc)
        best = min(best, _cpu() - t)
    print(f"default rules alone: {best / len(docs) * 1000:.3f} ms/page")


if __name__ == "__main__":
    main()
