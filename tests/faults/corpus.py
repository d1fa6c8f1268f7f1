"""The fault corpus: inputs that break crawlers, generated at test time from real text (nothing
large is committed). Each case is a set of files plus what must survive cleaning them.

Every generator is deterministic from its seed. Paragraphs come from the real article texts in
``examples/sample.jsonl``; pages from ``examples/pages``.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@dataclass
class Case:
    """Files to feed ``unboil clean`` and the facts about them a correct run must keep.

    ``keep``: per record id, paragraphs that must appear in that record's cleaned text unless the
    record is an error record. ``records``: ids that must each come out as an output or an error
    record. ``min_out``: at least this many output (not error) records.
    """

    name: str
    files: dict[str, bytes]
    records: set[str] = field(default_factory=set)
    keep: dict[str, list[str]] = field(default_factory=dict)
    min_out: int = 0
    args: tuple[str, ...] = ()
    must_error: set[str] = field(default_factory=set)


def paragraphs() -> list[str]:
    """Distinct real paragraphs (at least 12 words) from the bundled sample articles that unboil
    keeps in a short, well-formed article: the faults must not cost what a clean page keeps."""
    import unboil

    candidates = _candidate_paragraphs()
    kept: list[str] = []
    for start in range(0, len(candidates), 10):
        chunk = candidates[start:start + 10]
        text = " ".join(unboil.clean_html(article(chunk)).text.split())
        kept.extend(p for p in chunk if p in text)
    return kept


def _candidate_paragraphs() -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for line in (EXAMPLES / "sample.jsonl").read_text("utf-8").splitlines():
        for para in json.loads(line)["text"].split("\n"):
            para = " ".join(para.split())
            bullet = para[:1] in "-•*·–—" or para.split(" ", 1)[0].rstrip(".)").isdigit()  # text input records bullets apart
            if len(para.split()) >= 12 and para not in seen and not bullet and "<" not in para and "&" not in para:
                seen.add(para)
                out.append(para)
    return out


def article(paras: list[str], title: str = "A report from the archive", charset: str | None = "utf-8") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{p}</p>\n" for p in paras)
    return (f"<!doctype html><html><head>{meta}<title>{title}</title></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav>"
            f"<article><h1>{title}</h1>\n{body}</article>"
            f"<footer><p>Copyright 2026 The Archive. All rights reserved.</p></footer></body></html>")


def real_pages() -> dict[str, bytes]:
    return {p.name.removesuffix(".gz"): gzip.decompress(p.read_bytes()) for p in sorted((EXAMPLES / "pages").glob("*.html.gz"))}


def _jsonl(records: list[dict]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records)


def _text_records(paras: list[str], n: int, rng: random.Random, prefix: str) -> list[dict]:
    recs = []
    for i in range(n):
        chosen = rng.sample(paras, 4)
        recs.append({"id": f"{prefix}{i}", "text": "Headline number %d\n" % i + "\n".join(chosen)})
    return recs


def case_bad_lines(paras: list[str], rng: random.Random) -> Case:
    """Good records between broken lines: bad JSON, invalid UTF-8, a non-object, no text, junk html,
    a metadata that is not an object."""
    good = _text_records(paras, 6, rng, "good-")
    lines = [json.dumps(good[0]).encode(), b'{"id": "broken", "text": "cut', json.dumps(good[1]).encode(),
             b'{"id": "bad-utf8", "text": "caf\xe9 au lait"}', json.dumps(good[2]).encode(), b"[1, 2, 3]",
             json.dumps({"id": "no-text", "title": "x"}).encode(), json.dumps(good[3]).encode(),
             json.dumps({"id": "junk-html", "html": "".join(chr(rng.randrange(0x80, 0x2FF)) for _ in range(3000))}).encode(),
             json.dumps({"id": "meta-not-object", "text": "Odd metadata\n" + paras[0], "metadata": "yesterday"}).encode(),
             json.dumps(good[4]).encode(),
             json.dumps(good[5]).encode()]
    return Case("bad-lines", {"mixed.jsonl": b"\n".join(lines) + b"\n"},
                records={r["id"] for r in good} | {"no-text", "junk-html", "meta-not-object"},
                keep={r["id"]: r["text"].split("\n")[1:] for r in good}, min_out=6,
                must_error={"junk-html", "meta-not-object"})


def case_truncated_gzip(paras: list[str], rng: random.Random) -> Case:
    recs = _text_records(paras, 400, rng, "gz-")
    data = gzip.compress(_jsonl(recs))
    cut = data[: int(len(data) * 0.6)]
    return Case("truncated-gzip", {"cut.jsonl.gz": cut}, min_out=150)


def case_truncated_zstd(paras: list[str], rng: random.Random) -> Case | None:
    try:
        import zstandard
    except ImportError:
        return None
    recs = _text_records(paras, 400, rng, "zs-")
    data = zstandard.ZstdCompressor().compress(_jsonl(recs))
    return Case("truncated-zstd", {"cut.jsonl.zst": data[: int(len(data) * 0.6)]})


def case_truncated_warc(paras: list[str], rng: random.Random) -> Case | None:
    try:
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter
    except ImportError:
        return None
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for i in range(12):
        page = article(rng.sample(paras, 5), title=f"Story {i}").encode("utf-8")
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"https://news.example/{i}", "response",
                                                      payload=io.BytesIO(page), http_headers=http))
    data = buf.getvalue()
    return Case("truncated-warc", {"cut.warc.gz": data[: int(len(data) * 0.7)]}, min_out=6)


def case_invalid_utf8(paras: list[str], rng: random.Random) -> Case:
    """Pages with one to three invalid bytes at random offsets inside paragraphs: every paragraph
    the bytes did not touch is kept."""
    files, keep = {}, {}
    for n in range(6):
        chosen = rng.sample(paras, 8)
        page = article(chosen, title=f"Invalid bytes {n}").encode("utf-8")
        hit: set[int] = set()
        for _ in range(rng.randint(1, 3)):
            target = rng.choice([i for i in range(len(chosen)) if i not in hit])
            start = page.index(chosen[target].encode("utf-8"))
            offset = start + rng.randrange(len(chosen[target].encode("utf-8")))
            page = page[:offset] + bytes([rng.choice([0xE9, 0xFF, 0xC3, 0x80])]) + page[offset:]
            hit.add(target)
        name = f"bad-bytes-{n}.html"
        files[name] = page
        keep[name] = [p for i, p in enumerate(chosen) if i not in hit]
    return Case("invalid-utf8", files, records=set(files), keep=keep, min_out=6)


def case_charsets(paras: list[str], rng: random.Random) -> Case:
    """Declared, undeclared and wrongly declared legacy charsets, and a BOM that disagrees with meta."""
    czech = "Příliš žluťoučký kůň úpěl ďábelské ódy u řeky Vltavy, kde se lidé procházeli celé odpoledne."
    russian = "Съешь же ещё этих мягких французских булок да выпей чаю, сказал старый учитель своим ученикам."
    french = "Le cœur déçu mais l'âme plutôt naïve, Louÿs rêva de crapaüter en canoë au delà des îles."
    files = {
        "iso-8859-2.html": article([czech] * 3, "Zprávy", "iso-8859-2").encode("iso-8859-2"),
        "windows-1251.html": article([russian] * 3, "Новости", "windows-1251").encode("cp1251"),
        "undeclared-1252.html": article([french] * 3, "Nouvelles", None).encode("cp1252"),
        "bom-beats-meta.html": b"\xef\xbb\xbf" + article([french] * 3, "BOM", "iso-8859-1").encode("utf-8"),
        "meta-lies-utf8.html": article([french] * 3, "Menteur", "iso-8859-5").encode("utf-8"),
    }
    keep = {"iso-8859-2.html": [czech], "windows-1251.html": [russian], "undeclared-1252.html": [french],
            "bom-beats-meta.html": [french], "meta-lies-utf8.html": [french]}
    return Case("charsets", files, records=set(files), keep=keep, min_out=len(files))


def case_binary_junk(paras: list[str], rng: random.Random) -> Case:
    """Images, archives and random bytes under .html names: error records, never empty 'cleaned' text."""
    noise = bytes(rng.randrange(256) for _ in range(20000))
    files = {"photo.html": b"\x89PNG\r\n\x1a\n" + noise[:5000], "random.html": noise,
             "archive.html": b"PK\x03\x04" + noise[:3000], "good.html": article(paras[:5]).encode()}
    return Case("binary-junk", files, records=set(files), keep={"good.html": paras[:5]}, min_out=1,
                must_error={"photo.html", "random.html", "archive.html"})


def case_huge_page(paras: list[str], rng: random.Random) -> Case:
    """A 60 MB page (over the default size cap): an error record naming the cap, the rest goes on."""
    big = article(paras * (60_000_000 // (sum(map(len, paras)) + 8 * len(paras)) + 1)).encode()
    return Case("huge-page", {"huge.html": big, "small.html": article(paras[:4]).encode()},
                records={"huge.html", "small.html"}, keep={"small.html": paras[:4]}, min_out=1, must_error={"huge.html"})


def case_deep_nesting(paras: list[str], rng: random.Random) -> Case:
    """10^5 nested elements between real paragraphs: the text after the nest is not lost silently."""
    before, inside, after = paras[0:3], paras[3], paras[4:7]
    depth = 100_000
    page = ("<html><head><title>Nested</title></head><body><article><h1>Nested</h1>"
            + "".join(f"<p>{p}</p>" for p in before) + "<div>" * depth + f"<p>{inside}</p>" + "</div>" * depth
            + "".join(f"<p>{p}</p>" for p in after) + "</article></body></html>")
    return Case("deep-nesting", {"nested.html": page.encode()}, records={"nested.html"},
                keep={"nested.html": before + after})


def case_long_article(paras: list[str], rng: random.Random) -> Case:
    """2,000 real paragraphs in one article: all of them are content."""
    chosen = [f"{p} (part {i})" for i, p in enumerate(rng.choices(paras, k=2000))]
    return Case("long-article", {"book.html": article(chosen, "The long report").encode()}, records={"book.html"},
                keep={"book.html": chosen}, min_out=1)


def case_hostile_rules(paras: list[str], rng: random.Random) -> Case:
    """A user's rule with a catastrophically backtracking regex over many hostile blocks: the run
    finishes in bounded time and the real paragraphs are kept."""
    rules = b'[[rule]]\nid = "slow"\ndescription = "a slow pattern"\naction = "drop"\nmatch = { text_regex = "^(a+)+$" }\n'
    hostile = ["a" * 28 + "b"] * 100
    text = "Hostile page\n" + "\n".join(paras[:4] + hostile)
    recs = [{"id": "hostile", "text": text}, {"id": "plain", "text": "Plain page\n" + "\n".join(paras[4:8])}]
    return Case("hostile-rules", {"hostile.jsonl": _jsonl(recs), "slow.toml": rules},
                records={"hostile", "plain"}, keep={"hostile": paras[:4], "plain": paras[4:8]}, min_out=2,
                args=("-r", "{rules}/slow.toml"))


CASES: list[Callable[[list[str], random.Random], Case | None]] = [
    case_bad_lines, case_truncated_gzip, case_truncated_zstd, case_truncated_warc, case_invalid_utf8,
    case_charsets, case_binary_junk, case_huge_page, case_deep_nesting, case_long_article, case_hostile_rules,
]
