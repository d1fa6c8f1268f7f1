"""datatrove step and filter on real Documents, alone and inside a LocalPipelineExecutor run."""

from __future__ import annotations

import gzip
import json

import pytest

import unboil

pytest.importorskip("datatrove", reason="datatrove is not installed: install unboil[datatrove]")

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.writers import JsonlWriter

from unboil.integrations.datatrove import UnboilCleaner, UnboilNearDupFilter


def _docs(texts: list[str], prefix: str = "d") -> list[Document]:
    return [Document(text=t, id=f"{prefix}{i}", metadata={"url": f"https://news.example/{i}"}) for i, t in enumerate(texts)]


def _read_jsonl(folder) -> list[dict]:
    rows = []
    for path in sorted(folder.rglob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh]
    return rows


def test_cleaner_step_matches_clean_record_and_counts_rules(framed, rule_file):
    cleaner = unboil.Cleaner(rules=[rule_file])
    docs = _docs(framed)
    step = UnboilCleaner(cleaner)
    out = list(step.run(iter(docs)))
    assert [d.id for d in out] == [d.id for d in docs]
    totals: dict[str, int] = {}
    for doc, text in zip(out, framed):
        want = unboil.clean_record({"text": text, "url": doc.metadata["url"]}, cleaner=cleaner)
        assert doc.text == want["text"]
        assert doc.metadata["unboil"] == want["metadata"]["unboil"]
        for rule, n in want["metadata"]["unboil"]["removed"].items():
            totals[rule] = totals.get(rule, 0) + n
    assert totals["ad-label"] == len(framed) and "share-widget" in totals
    for rule, n in totals.items():
        assert step.stats[f"removed/{rule}"].total == n
    assert step.stats["documents"].total == len(framed)


def test_a_document_that_cannot_be_cleaned_passes_on_with_the_reason():
    docs = [Document(text="\x00\x01\x02" * 50, id="bin"), Document(text="Title\nShare on Facebook\n", id="ok")]
    step = UnboilCleaner(drop_empty=True)
    out = list(step.run(iter(docs)))
    assert out[0].text == "\x00\x01\x02" * 50 and "binary" in out[0].metadata["unboil"]["error"]
    assert [d.id for d in out] == ["bin", "ok"]  # "Title" is left, so nothing is empty
    assert step.stats["unboil_errors"].total == 1
    empty = list(UnboilCleaner(drop_empty=True).run(iter([Document(text="Share on Facebook", id="e")])))
    assert empty == []


def test_near_dup_filter_drops_what_the_index_calls_a_copy(dup_corpus):
    docs = _docs(dup_corpus)
    reference = unboil.NearDupIndex()
    expected = [reference.add(d.id, d.text) for d in docs]
    filt = UnboilNearDupFilter()
    kept = [d.id for d in filt.run(iter(docs))]
    assert kept == [d.id for d, e in zip(docs, expected) if e is None]
    dropped = [d for d, e in zip(docs, expected) if e is not None]
    assert len(dropped) >= 60
    for doc, earlier in zip(docs, expected):
        if earlier is not None:
            note = doc.metadata["unboil"]
            assert note["duplicate_of"] == earlier
            assert note["duplicate"] == ("exact_duplicate" if note["similarity"] >= 1.0 else "near_duplicate")
    exact = sum(d.metadata["unboil"]["duplicate"] == "exact_duplicate" for d in dropped)
    assert filt.stats["dropped_exact_duplicate"].total == exact >= 10
    assert filt.stats["dropped_near_duplicate"].total == len(dropped) - exact >= 40


def test_batched_filtering_gives_the_same_verdicts(dup_corpus):
    one = [d.id for d in UnboilNearDupFilter().run(iter(_docs(dup_corpus)))]
    many = [d.id for d in UnboilNearDupFilter(batch_size=32).run(iter(_docs(dup_corpus)))]
    assert one == many


def test_a_saved_index_drops_pages_seen_in_an_earlier_run(aeb_texts, tmp_path):
    path = tmp_path / "seen.npz"
    first = UnboilNearDupFilter(storage=path)
    assert len(list(first.run(iter(_docs(aeb_texts[:20]))))) == 20
    first.index.save()
    again = UnboilNearDupFilter(storage=path, batch_size=8)
    later = _docs(aeb_texts[:25])  # the same ids and texts, and five new pages
    assert [d.id for d in again.run(iter(later))] == [f"d{i}" for i in range(20, 25)]
    assert later[3].metadata["unboil"]["duplicate_of"] == "d3"


def test_pipeline_run_with_executor_and_exclusion_writer(framed, tmp_path):
    pytest.importorskip("orjson", reason="datatrove's JsonlWriter needs orjson: install unboil[datatrove]")
    texts = framed[:12] + framed[:4]  # four pages crawled twice
    docs = _docs(texts)
    pipeline = [
        docs,
        UnboilCleaner(),
        UnboilNearDupFilter(exclusion_writer=JsonlWriter(str(tmp_path / "removed"))),
        JsonlWriter(str(tmp_path / "out")),
    ]
    LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=str(tmp_path / "logs")).run()
    out = _read_jsonl(tmp_path / "out")
    assert [r["id"] for r in out] == [f"d{i}" for i in range(12)]
    assert [r["text"] for r in out] == [unboil.clean(t).text for t in framed[:12]]
    removed = _read_jsonl(tmp_path / "removed")
    assert [(r["id"], r["metadata"]["filter_reason"]) for r in removed] == [(f"d{i}", "exact_duplicate") for i in range(12, 16)]
    stats = json.loads((tmp_path / "logs" / "stats.json").read_text())
    names = {k for step in stats for k in step.get("stats", {})}
    assert "removed/share-widget" in names and "dropped_exact_duplicate" in names
