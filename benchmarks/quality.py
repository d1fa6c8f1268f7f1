"""Quality harness: unboil and peer extractors side by side on AEB and WCXB-dev, one process.

Run from the repository root::

    .venv/bin/python benchmarks/quality.py                       # all tools, both benchmarks
    .venv/bin/python benchmarks/quality.py --tools unboil,trafilatura --bench aeb --limit 50
    .venv/bin/python benchmarks/quality.py --record              # also pin unboil's F1 baseline
    .venv/bin/python benchmarks/quality.py --passes 3            # time each tool 3 times, keep the fastest

``benchmarks/`` is not a package. To use this module from a test, load it by path::

    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("unboil_quality", "benchmarks/quality.py")
    quality = importlib.util.module_from_spec(spec)
    sys.modules["unboil_quality"] = quality          # dataclasses need the module registered
    spec.loader.exec_module(quality)
    quality.unboil_scores(Path("../shared/fixtures"), limit=20)

Benchmarks: the Scrapinghub/Zyte "article-extraction-benchmark" (AEB, 181 pages) and the dev split
of the "web-content-extraction-benchmark" (WCXB, 1,497 pages), each scored with its own metric
(see ``scoring.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import gzip
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import peers  # noqa: E402  (sibling module; benchmarks/ is not a package)
import scoring  # noqa: E402

REPO = HERE.parent
DEFAULT_FIXTURES = REPO.parent / "shared" / "fixtures"
DEFAULT_OUT = HERE / "results" / "quality.json"
DEFAULT_PNG = HERE / "results" / "quality.png"
BASELINE = HERE / "quality_baseline.json"
BENCH_NAMES = ("aeb", "wcxb")
WCXB_TYPES = ("article", "forum", "product", "collection", "listing", "documentation", "service")

# Published figures quoted in the fixtures README, for the side-by-side "pub" column.
PUBLISHED: dict[str, dict[str, float]] = {
    "aeb": {"trafilatura": 0.958, "readability": 0.922, "justext": 0.804},
    "wcxb": {"trafilatura": 0.791, "justext": 0.707, "boilerpy3": 0.687, "readability": 0.675},
}
PUBLISHED_WCXB_TYPES = {
    "trafilatura": {
        "article": 0.926, "documentation": 0.888, "service": 0.763, "forum": 0.585,
        "listing": 0.589, "collection": 0.553, "product": 0.567,
    }
}  # fmt: skip
# The scorer check: trafilatura's AEB F1 measured with the fixtures README's settings.
AEB_TRAFILATURA_EXPECTED = (0.958, 0.960)
AEB_TOLERANCE = 0.01
QUIET_LOGGERS = ("boilerpy3", "trafilatura", "readability", "readability.readability", "justext", "htmldate")


def log(msg: str) -> None:
    """Progress and diagnostics go to stderr so stdout keeps only the tables."""
    print(msg, file=sys.stderr, flush=True)


# --- loading -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Bench:
    """One benchmark's pages and the scorer that turns aligned predictions into a result dict."""

    name: str
    label: str
    pages: list[peers.Page]
    score: Callable[[Sequence[str]], dict[str, Any]]
    page_scores: Callable[[Sequence[str]], list[float]]


def _read_gz(path: Path) -> str:
    """Decompress and decode one ``.html.gz`` page (UTF-8; undecodable bytes replaced)."""
    with gzip.open(path, "rb") as fh:
        return fh.read().decode("utf-8", errors="replace")


def _page(pid: str, html: str, url: str) -> peers.Page:
    """A page with its language and title read once, outside any timing."""
    return peers.Page(pid, html, url, peers.page_language(html), peers.page_title(html))


def _need_dir(path: Path, what: str) -> Path:
    """Fail with a clear message naming the missing fixtures folder."""
    if not path.is_dir():
        raise FileNotFoundError(f"{what} fixtures not found at {path} (see --fixtures)")
    return path


def load_aeb(fixtures: Path, limit: int | None = None) -> Bench:
    """AEB pages (sorted by id) with its shingle scorer bound to their ``articleBody``."""
    root = _need_dir(fixtures / "aeb", "AEB")
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[:limit] if limit else sorted(truth)
    pages = [_page(i, _read_gz(root / "html" / f"{i}.html.gz"), truth[i].get("url", "")) for i in ids]
    bodies = [truth[i].get("articleBody") or "" for i in ids]

    def score(preds: Sequence[str]) -> dict[str, Any]:
        s = scoring.aeb_score(bodies, preds)
        return {"f1": s.f1, "precision": s.precision, "recall": s.recall}

    def page_scores(preds: Sequence[str]) -> list[float]:
        out = []
        for t, p in zip(bodies, preds):
            c = scoring.aeb_page(t, p)
            out.append(scoring.harmonic_f1(c.precision, c.recall))
        return out

    return Bench("aeb", "AEB (article-extraction-benchmark)", pages, score, page_scores)


def _wcxb_type(gt: dict[str, Any], meta: dict[str, Any]) -> str:
    """Page type as WCXB's evaluator reads it (``category`` counts as ``collection``)."""
    pt = (gt.get("_internal") or {}).get("page_type")
    if isinstance(pt, dict):
        pt = pt.get("primary")
    pt = pt or meta.get("page_type") or "article"
    return "collection" if pt == "category" else str(pt)


def load_wcxb(fixtures: Path, limit: int | None = None) -> Bench:
    """WCXB-dev pages (sorted by id) with its bag-of-words scorer bound to their ground truth."""
    root = _need_dir(fixtures / "wcxb-dev", "WCXB-dev")
    meta_path = root / "metadata.json"
    files = json.loads(meta_path.read_text("utf-8")).get("files", {}) if meta_path.exists() else {}
    ids = sorted(p.name[: -len(".html.gz")] for p in (root / "html").glob("*.html.gz"))
    ids = [i for i in ids if (root / "ground-truth" / f"{i}.json").exists()]
    if limit:
        ids = ids[:limit]
    pages, truths = [], []
    for i in ids:
        gt = json.loads((root / "ground-truth" / f"{i}.json").read_text("utf-8"))
        g = gt.get("ground_truth") or {}
        truths.append(
            (
                g.get("main_content") or "",
                list(g.get("with") or []),
                list(g.get("without") or []),
                _wcxb_type(gt, files.get(i, {})),
            )
        )
        pages.append(_page(i, _read_gz(root / "html" / f"{i}.html.gz"), gt.get("url") or ""))

    def per_page(preds: Sequence[str]) -> list[scoring.WcxbPage]:
        return [
            scoring.wcxb_page(p, main, with_, without, ptype)
            for p, (main, with_, without, ptype) in zip(preds, truths)
        ]

    def score(preds: Sequence[str]) -> dict[str, Any]:
        s = scoring.wcxb_aggregate(per_page(preds))
        return {
            "f1": s.f1,
            "precision": s.precision,
            "recall": s.recall,
            "with_rate": s.with_rate,
            "without_rate": s.without_rate,
            "per_type": s.per_type,
        }

    def page_scores(preds: Sequence[str]) -> list[float]:
        return [p.f1 for p in per_page(preds)]

    return Bench("wcxb", "WCXB-dev (web-content-extraction-benchmark)", pages, score, page_scores)


LOADERS: dict[str, Callable[[Path, int | None], Bench]] = {"aeb": load_aeb, "wcxb": load_wcxb}


# --- timing --------------------------------------------------------------------------------------


@dataclass(slots=True)
class TimedRun:
    """Outputs of one tool over a list of inputs, the summed call time, and the errors."""

    outputs: list[str]
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time over the same calls (immune to other processes)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)


def _item_id(item: Any) -> str:
    """A page id for error messages: the page's, the paired page's, or the item's repr."""
    if isinstance(item, peers.Page):
        return item.id
    if isinstance(item, tuple) and item and isinstance(item[0], peers.Page):
        return item[0].id
    return repr(item)[:40]


def timed_run(
    fn: Callable[[Any], str | None],
    items: Sequence[Any],
    progress: Callable[[int, int], None] | None = None,
) -> TimedRun:
    """Call ``fn`` on each item, timing only the call; a raising call yields '' and counts an error.

    The one timing helper every tool goes through: inputs are already decompressed, calls run one
    after another in this process, and ``progress(done, total)`` is called outside the timed span.
    """
    run = TimedRun(outputs=[])
    total = len(items)
    step = max(1, total // 4)
    clock, cpu = time.perf_counter, time.process_time
    for n, item in enumerate(items, 1):
        c0, t0 = cpu(), clock()
        try:
            out = fn(item)
            run.seconds += clock() - t0
            run.cpu_seconds += cpu() - c0
        except Exception as exc:  # noqa: BLE001 - a tool's failure on one page is data
            run.seconds += clock() - t0
            run.cpu_seconds += cpu() - c0
            out = ""
            run.errors += 1
            if len(run.error_samples) < 3:
                why = str(exc) or repr(exc.__cause__ or exc.__context__ or "")
                run.error_samples.append(f"{_item_id(item)}: {type(exc).__name__}: {why}"[:300])
        run.outputs.append(out if isinstance(out, str) else "")
        if progress is not None and (n % step == 0 or n == total):
            progress(n, total)
    return run


def best_of(fn: Callable[[Any], str | None], items: Sequence[Any], passes: int,
            progress: Callable[[int, int], None] | None = None) -> TimedRun:
    """``timed_run`` repeated ``passes`` times: the first pass's outputs and errors, the fastest time.

    Every tool gets the same number of passes, so the ratio between tools stays fair while a
    noisy machine's slow passes (another process, a frequency dip) stop deciding the figure.
    """
    if passes < 1:
        raise ValueError(f"passes must be at least 1, got {passes}")
    first = timed_run(fn, items, progress)
    for _ in range(passes - 1):
        gc.collect()
        again = timed_run(fn, items)
        first.seconds = min(first.seconds, again.seconds)
        first.cpu_seconds = min(first.cpu_seconds, again.cpu_seconds)
    return first


def pages_per_second(pages: int, seconds: float) -> float | None:
    """Throughput, or None when nothing was timed."""
    return pages / seconds if seconds > 0 else None


# --- running -------------------------------------------------------------------------------------


def _progress(bench: str, tool: str) -> Callable[[int, int], None]:
    """A stderr progress printer for one tool on one benchmark."""
    start = time.perf_counter()

    def show(done: int, total: int) -> None:
        log(f"  [{bench}] {tool:<20} {done:>5}/{total} pages  ({time.perf_counter() - start:6.1f}s wall)")

    return show


def _run_tool(bench: Bench, tool: peers.Tool, runs: dict[str, TimedRun], passes: int = 1) -> TimedRun:
    """Run one tool (or a post step on its base tool's outputs), reusing runs already made.

    Each timed step is run ``passes`` times and its fastest pass counts (see ``best_of``).
    """
    if tool.name in runs:
        return runs[tool.name]
    gc.collect()
    if tool.post is None:
        assert tool.run is not None
        result = best_of(tool.run, bench.pages, passes, _progress(bench.name, tool.name))
    else:
        assert tool.base is not None
        base_tool = next(iter(peers.build_tools([tool.base])))
        if not base_tool.ok:
            raise RuntimeError(f"base tool {tool.base} is {base_tool.status}")
        base = _run_tool(bench, base_tool, runs, passes)
        n = len(bench.pages)
        titles = (
            best_of(tool.title, bench.pages, passes, _progress(bench.name, f"{tool.name} title"))
            if tool.title is not None
            else TimedRun([""] * n)
        )
        post = best_of(
            lambda item: tool.post(*item),  # type: ignore[misc]
            list(zip(bench.pages, base.outputs, titles.outputs)),
            passes,
            _progress(bench.name, tool.name),
        )
        result = TimedRun(
            post.outputs,
            base.seconds + titles.seconds + post.seconds,
            base.cpu_seconds + titles.cpu_seconds + post.cpu_seconds,
            base.errors + titles.errors + post.errors,
            (base.error_samples + titles.error_samples + post.error_samples)[:3],
            {tool.base: base.seconds, "title": titles.seconds, "post": post.seconds},
        )
    runs[tool.name] = result
    return result


def run_bench(bench: Bench, tools: Sequence[peers.Tool], passes: int = 1) -> dict[str, dict[str, Any]]:
    """Run and score every tool on one benchmark; absent tools get a row with their status."""
    runs: dict[str, TimedRun] = {}
    rows: dict[str, dict[str, Any]] = {}
    n = len(bench.pages)
    for tool in tools:
        row: dict[str, Any] = {"status": tool.status, "version": tool.version}
        if tool.reason:
            row["reason"] = tool.reason
        if tool.ok:
            try:
                r = _run_tool(bench, tool, runs, passes)
            except RuntimeError as exc:
                row.update(status=peers.NOT_AVAILABLE, reason=str(exc))
                rows[tool.name] = row
                continue
            row.update(bench.score(r.outputs))
            row.update(
                pages=n,
                errors=r.errors,
                error_samples=r.error_samples,
                seconds=r.seconds,
                pages_per_s=pages_per_second(n, r.seconds),
                cpu_seconds=r.cpu_seconds,
                cpu_pages_per_s=pages_per_second(n, r.cpu_seconds),
            )
            if r.parts:
                row["seconds_parts"] = r.parts
                row["post_pages_per_s"] = pages_per_second(n, r.parts["post"])
            if tool.name.startswith("unboil") or tool.post is not None:
                f1s = bench.page_scores(r.outputs)
                worst = sorted(range(n), key=lambda k: f1s[k])[:10]
                row["worst_pages"] = [[bench.pages[k].id, round(f1s[k], 4)] for k in worst]
            log(
                f"  [{bench.name}] {tool.name:<20} F1={row['f1']:.3f} "
                f"errors={r.errors} {r.seconds:.1f}s timed"
            )
        rows[tool.name] = row
    for tool in tools:
        base = rows.get(tool.base or "")
        row = rows[tool.name]
        if tool.base and base and base.get("status") == peers.OK and row.get("status") == peers.OK:
            row["delta_vs_base"] = {
                k: row[k] - base[k] for k in ("f1", "precision", "recall")
            } | {"base": tool.base}
    return rows


def validation(results: dict[str, dict[str, dict[str, Any]]], limit: int | None) -> dict[str, Any]:
    """Compare trafilatura's scores with the published figures (meaningful only without --limit)."""
    out: dict[str, Any] = {"full_run": limit is None}
    t_aeb = results.get("aeb", {}).get("trafilatura", {})
    if "f1" in t_aeb:
        lo, hi = AEB_TRAFILATURA_EXPECTED
        f1 = t_aeb["f1"]
        out["aeb_trafilatura"] = {
            "measured": f1,
            "expected": [lo, hi],
            "tolerance": AEB_TOLERANCE,
            "pass": (lo - AEB_TOLERANCE <= f1 <= hi + AEB_TOLERANCE) if limit is None else None,
        }
    t_w = results.get("wcxb", {}).get("trafilatura", {})
    if "f1" in t_w:
        out["wcxb_trafilatura"] = {
            "measured": t_w["f1"],
            "published": PUBLISHED["wcxb"]["trafilatura"],
            "delta": t_w["f1"] - PUBLISHED["wcxb"]["trafilatura"],
            "per_type": {
                t: {
                    "measured": t_w["per_type"].get(t, {}).get("f1"),
                    "published": pub,
                }
                for t, pub in PUBLISHED_WCXB_TYPES["trafilatura"].items()
            },
        }
    return out


# --- reporting -----------------------------------------------------------------------------------


def _fmt(x: float | None, spec: str = ".3f") -> str:
    """Format a number or show '-' for missing values."""
    return "-" if x is None else format(x, spec)


def format_tables(
    results: dict[str, dict[str, dict[str, Any]]],
    labels: dict[str, str],
    pages: dict[str, int],
) -> str:
    """Plain-text tables: per benchmark F1/P/R/pages/s per tool, WCXB snippets and page types."""
    lines: list[str] = []
    for bname, rows in results.items():
        wcxb = bname == "wcxb"
        lines.append(f"\n{labels[bname]} — {pages[bname]} pages")
        head = f"{'tool':<20} {'F1':>6} {'P':>6} {'R':>6} {'pages/s':>8} {'cpu p/s':>8} {'errors':>6}"
        if wcxb:
            head += f" {'with':>6} {'without':>7}"
        head += f" {'pub F1':>6}  version"
        lines += [head, "-" * len(head)]
        for name, r in rows.items():
            pub = PUBLISHED.get(bname, {}).get(name)
            if r.get("status") != peers.OK:
                lines.append(f"{name:<20} {r['status']}" + (f" ({r['reason']})" if r.get("reason") else ""))
                continue
            line = (
                f"{name:<20} {_fmt(r['f1']):>6} {_fmt(r['precision']):>6} {_fmt(r['recall']):>6} "
                f"{_fmt(r['pages_per_s'], '.1f'):>8} {_fmt(r.get('cpu_pages_per_s'), '.1f'):>8} {r['errors']:>6}"
            )
            if wcxb:
                line += f" {_fmt(r['with_rate']):>6} {_fmt(r['without_rate']):>7}"
            line += f" {_fmt(pub):>6}  {r.get('version', '')}"
            lines.append(line)
        for name, r in rows.items():
            d = r.get("delta_vs_base")
            if d:
                lines.append(
                    f"  {name} vs {d['base']}: ΔP={d['precision']:+.3f} ΔR={d['recall']:+.3f} "
                    f"ΔF1={d['f1']:+.3f}"
                )
            parts = dict(r.get("seconds_parts", {}))
            if parts.get("post"):
                post, title = parts.pop("post"), parts.pop("title")
                base = ", ".join(f"{k} {v:.1f}s" for k, v in parts.items())
                lines.append(
                    f"  {name} time: post step alone {pages[bname] / post:.1f} pages/s ({post:.1f}s); "
                    f"title lookup {title:.1f}s; {base}"
                )
        if wcxb:
            types = [t for t in WCXB_TYPES if any(t in r.get("per_type", {}) for r in rows.values())]
            if types:
                lines.append("\nWCXB-dev F1 per page type")
                th = f"{'tool':<20}" + "".join(f" {t[:11]:>11}" for t in types)
                lines += [th, "-" * len(th)]
                for name, r in rows.items():
                    if r.get("status") != peers.OK:
                        continue
                    pt = r.get("per_type", {})
                    lines.append(
                        f"{name:<20}" + "".join(f" {_fmt(pt.get(t, {}).get('f1')):>11}" for t in types)
                    )
                counts = next((r["per_type"] for r in rows.values() if r.get("per_type")), {})
                lines.append(f"{'(pages)':<20}" + "".join(f" {counts.get(t, {}).get('pages', 0):>11}" for t in types))
                pubs = PUBLISHED_WCXB_TYPES["trafilatura"]
                lines.append(f"{'trafilatura pub.':<20}" + "".join(f" {_fmt(pubs.get(t)):>11}" for t in types))
    return "\n".join(lines)


def format_validation(v: dict[str, Any]) -> str:
    """Plain-text summary of the scorer check against published trafilatura figures."""
    lines = ["\nScorer check (trafilatura vs published figures)"]
    if not v.get("full_run"):
        lines.append("  partial run (--limit): figures are not comparable")
    a = v.get("aeb_trafilatura")
    if a:
        lo, hi = a["expected"]
        lines.append(
            f"  AEB: F1 {a['measured']:.4f}, expected {lo:.3f}–{hi:.3f} ± {a['tolerance']}: "
            f"{ {True: 'PASS', False: 'FAIL', None: 'n/a (partial run)'}[a['pass']] }"
        )
    w = v.get("wcxb_trafilatura")
    if w:
        lines.append(f"  WCXB-dev: F1 {w['measured']:.4f} vs published {w['published']:.3f} (Δ {w['delta']:+.4f})")
        for t, d in w["per_type"].items():
            lines.append(f"    {t:<14} {_fmt(d['measured'])} vs {d['published']:.3f}")
    return "\n".join(lines)


def write_png(results: dict[str, dict[str, dict[str, Any]]], labels: dict[str, str], path: Path) -> None:
    """Chart: F1 per tool and benchmark, throughput (log scale), and WCXB-dev F1 per page type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tools = list(dict.fromkeys(t for rows in results.values() for t in rows))
    benches = list(results)
    wcxb = results.get("wcxb", {})
    ran = [t for t in tools if wcxb.get(t, {}).get("per_type")]
    panels = 3 if ran else 2
    fig, axes = plt.subplots(1, panels, figsize=(6.5 * panels, 5.2))
    ax1, ax2 = axes[0], axes[1]
    width = 0.8 / max(1, len(benches))
    for k, b in enumerate(benches):
        xs = [i + k * width for i in range(len(tools))]
        f1 = [results[b].get(t, {}).get("f1") for t in tools]
        pps = [results[b].get(t, {}).get("pages_per_s") or 0.0 for t in tools]
        bars = ax1.bar(xs, [v or 0.0 for v in f1], width, label=labels[b])
        ax1.bar_label(bars, labels=["n/a" if v is None else f"{v:.2f}" for v in f1], fontsize=7)
        ax2.bar(xs, pps, width, label=labels[b])
    for ax in (ax1, ax2):
        ax.set_xticks([i + width * (len(benches) - 1) / 2 for i in range(len(tools))])
        ax.set_xticklabels(tools, rotation=30, ha="right", fontsize=8)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1, frameon=False)
    ax1.set_ylabel("F1 (each benchmark's own metric)")
    ax1.set_ylim(0, 1.08)
    ax1.set_title("F1", fontsize=9)
    ax2.set_ylabel("pages / second (log)")
    if any((results[b].get(t, {}).get("pages_per_s") or 0) > 0 for b in benches for t in tools):
        ax2.set_yscale("log")
    ax2.set_title("throughput, extraction call only, one process", fontsize=9)
    if ran:
        ax3 = axes[2]
        types = [t for t in WCXB_TYPES if any(t in wcxb[r]["per_type"] for r in ran)]
        grid = [[wcxb[r]["per_type"].get(t, {}).get("f1", float("nan")) for t in types] for r in ran]
        im = ax3.imshow(grid, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                ax3.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                         color="white" if v < 0.6 else "black")
        ax3.set_xticks(range(len(types)))
        ax3.set_xticklabels(types, rotation=30, ha="right", fontsize=8)
        ax3.set_yticks(range(len(ran)))
        ax3.set_yticklabels(ran, fontsize=8)
        ax3.set_title("WCXB-dev F1 per page type", fontsize=9)
        fig.colorbar(im, ax=ax3, fraction=0.04)
    fig.suptitle("unboil quality harness — " + " and ".join(labels[b] for b in benches), fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def environment() -> dict[str, Any]:
    """Where and when the numbers were measured."""
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


# --- API for tests and the regression gate -------------------------------------------------------


def evaluate(
    fixtures: Path,
    tool_names: Sequence[str] = peers.DEFAULT_TOOLS,
    benches: Iterable[str] = BENCH_NAMES,
    limit: int | None = None,
    passes: int = 1,
) -> dict[str, Any]:
    """Run the named tools on the named benchmarks and return the full result document.

    ``passes``: how many times each tool's timed run is repeated (the fastest pass counts).
    """
    tools = peers.build_tools(list(tool_names))
    for t in tools:
        if not t.ok:
            log(f"  {t.name}: {t.status} ({t.reason})")
    results: dict[str, dict[str, dict[str, Any]]] = {}
    labels: dict[str, str] = {}
    pages: dict[str, int] = {}
    for b in benches:
        t0 = time.perf_counter()
        bench = LOADERS[b](fixtures, limit)
        log(f"[{b}] loaded {len(bench.pages)} pages in {time.perf_counter() - t0:.1f}s")
        labels[b], pages[b] = bench.label, len(bench.pages)
        results[b] = run_bench(bench, tools, passes)
        del bench
        gc.collect()
    return {
        "environment": environment(),
        "limit": limit,
        "timing": f"each tool's fastest of {passes} pass(es) over the benchmark, one process, one call at a time",
        "benchmarks": {b: {"label": labels[b], "pages": pages[b], "tools": results[b]} for b in results},
        "validation": validation(results, limit),
    }


def unboil_scores(fixtures_dir: Path | str, limit: int | None = None) -> dict[str, dict[str, float]]:
    """unboil's F1/P/R on AEB and WCXB-dev; raises RuntimeError when unboil cannot run yet."""
    tool = peers.build_tools(["unboil"])[0]
    if not tool.ok:
        raise RuntimeError(f"unboil is {tool.status}: {tool.reason}")
    doc = evaluate(Path(fixtures_dir), ["unboil"], BENCH_NAMES, limit)
    keys = ("f1", "precision", "recall", "pages", "errors")
    return {b: {k: v["tools"]["unboil"][k] for k in keys} for b, v in doc["benchmarks"].items()}


def record_baseline(doc: dict[str, Any], path: Path = BASELINE) -> dict[str, Any]:
    """Write unboil's AEB and WCXB-dev F1 from a result document as the regression baseline."""
    b = doc["benchmarks"]
    rows = {k: b.get(k, {}).get("tools", {}).get("unboil", {}) for k in BENCH_NAMES}
    missing = [k for k, r in rows.items() if r.get("status") != peers.OK]
    if missing:
        raise RuntimeError(f"cannot record: unboil has no score on {', '.join(missing)}")
    baseline = {
        "aeb_f1": round(rows["aeb"]["f1"], 4),
        "wcxb_dev_f1": round(rows["wcxb"]["f1"], 4),
        "limit": doc["limit"],
        "unboil_version": rows["aeb"].get("version", ""),
        "recorded": doc["environment"]["date"],
    }
    if doc["limit"] is not None:
        raise RuntimeError("cannot record: the baseline comes from full runs only (drop --limit)")
    if path.exists():  # the gate's floor may only be raised
        old = json.loads(path.read_text("utf-8"))
        lower = [k for k in ("aeb_f1", "wcxb_dev_f1") if baseline[k] < old.get(k, 0.0)]
        if lower:
            raise RuntimeError(f"cannot record: {', '.join(f'{k} {baseline[k]} < {old[k]}' for k in lower)}; "
                               "the baseline may only be raised")
    path.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
    return baseline


# --- command line --------------------------------------------------------------------------------


def _csv(value: str) -> list[str]:
    """Split a comma-separated option, dropping blanks."""
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tools", type=_csv, default=list(peers.DEFAULT_TOOLS), help="comma-separated tool names")
    ap.add_argument("--bench", type=_csv, default=list(BENCH_NAMES), help="aeb,wcxb")
    ap.add_argument("--limit", type=int, default=None, help="first N pages (by id) of each benchmark")
    ap.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--png", type=Path, default=DEFAULT_PNG)
    ap.add_argument("--record", action="store_true", help=f"write unboil's F1 to {BASELINE.name}")
    ap.add_argument("--passes", type=int, default=1,
                    help="timed passes per tool; the fastest counts (default 1; scores come from the first)")
    args = ap.parse_args(argv)
    if args.passes < 1:
        ap.error(f"--passes must be at least 1, got {args.passes}")
    args.bench = ["wcxb" if b in ("wcxb-dev", "wcxb_dev") else b for b in args.bench]
    bad = [b for b in args.bench if b not in BENCH_NAMES]
    if bad:
        ap.error(f"unknown benchmark(s) {bad}; choose from {', '.join(BENCH_NAMES)}")
    bad = [t for t in args.tools if t not in peers.BUILDERS]
    if bad:
        ap.error(f"unknown tool(s) {bad}; choose from {', '.join(peers.BUILDERS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the harness, print the tables, write JSON and PNG, optionally record the baseline."""
    args = parse_args(argv)
    for name in QUIET_LOGGERS:  # peers' per-page parser warnings would drown the progress lines
        logging.getLogger(name).setLevel(logging.ERROR)
    t0 = time.perf_counter()
    try:
        doc = evaluate(args.fixtures, args.tools, args.bench, args.limit, args.passes)
    except FileNotFoundError as exc:
        log(f"error: {exc}")
        return 2
    doc["wall_seconds"] = time.perf_counter() - t0
    bs = doc["benchmarks"]
    results = {b: v["tools"] for b, v in bs.items()}
    labels = {b: v["label"] for b, v in bs.items()}
    print(format_tables(results, labels, {b: v["pages"] for b, v in bs.items()}))
    print(format_validation(doc["validation"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {args.out}")
    try:
        write_png(results, labels, args.png)
        log(f"wrote {args.png}")
    except ImportError as exc:
        log(f"no chart: matplotlib missing ({exc})")
    log(f"total wall time {doc['wall_seconds']:.0f}s")
    if args.record:
        try:
            baseline = record_baseline(doc)
        except RuntimeError as exc:
            log(f"error: {exc}")
            return 2
        log(f"recorded {BASELINE}: {baseline}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
