"""Dask adapters on a real LocalCluster (two worker processes): the same answers as one machine."""

from __future__ import annotations

import json

import pytest

import unboil

dask = pytest.importorskip("dask", reason="Dask is not installed: install unboil[dask]")
db = pytest.importorskip("dask.bag", reason="dask.bag is not installed: install unboil[dask]")
dd = pytest.importorskip("dask.dataframe", reason="dask.dataframe is not installed: install unboil[dask]")
distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed: install unboil[dask]")
pd = pytest.importorskip("pandas", reason="pandas is not installed: install unboil[dask]")

from unboil.dedup import DedupConfig
from unboil.integrations.dask import clean_bag, clean_dataframe, find_duplicates_dask

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def client():
    """A real two-process cluster; each test that takes it computes there."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster, distributed.Client(cluster) as c:
        yield c


def test_duplicates_on_the_cluster_match_the_single_machine_path(client, dup_corpus):
    expected = unboil.find_duplicates(dup_corpus)
    kinds = {len(g) for g in expected}
    assert len(expected) >= 60 and kinds == {2} | (kinds - {2})  # many groups: near, cut and exact copies
    assert find_duplicates_dask(db.from_sequence(dup_corpus, npartitions=6)) == expected


@pytest.mark.parametrize("npartitions", [1, 4, 17])
def test_partitioning_does_not_change_the_groups(dup_corpus, npartitions):
    with dask.config.set(scheduler="threads"):
        got = find_duplicates_dask(dup_corpus, npartitions=npartitions)
    assert got == unboil.find_duplicates(dup_corpus)


@pytest.mark.parametrize(
    "config",
    [
        DedupConfig(threshold=0.5, num_perm=64, seed=3),
        DedupConfig(threshold=0.95),
        DedupConfig(threshold=0.8, compat="datasketch"),
    ],
    ids=["t0.5-p64-s3", "t0.95", "datasketch"],
)
def test_other_thresholds_and_schemes_match(dup_corpus, config):
    with dask.config.set(scheduler="threads"):
        got = find_duplicates_dask(dup_corpus, config=config, npartitions=5)
    assert got == unboil.find_duplicates(dup_corpus, config=config)


def test_bags_of_records_and_series_read_the_text(dup_corpus):
    records = [{"id": i, "body": t} for i, t in enumerate(dup_corpus[:120])]
    series = dd.from_pandas(pd.Series(dup_corpus[:120]), npartitions=3)
    expected = unboil.find_duplicates(dup_corpus[:120])
    with dask.config.set(scheduler="threads"):
        assert find_duplicates_dask(db.from_sequence(records, npartitions=4), text_key="body") == expected
        assert find_duplicates_dask(series) == expected


def test_empty_partitions_and_empty_input():
    texts = ["one two three four five six", "", "one two three four five six", "seven"]
    bag = db.from_sequence(texts, npartitions=4).filter(lambda t: t != "seven")
    with dask.config.set(scheduler="threads"):
        assert find_duplicates_dask(bag) == [[0, 2]]
        assert find_duplicates_dask([]) == []


def test_refuses_what_it_cannot_do_the_same_way():
    with pytest.raises(ValueError, match="containment"):
        find_duplicates_dask(["a b"], config=DedupConfig(containment=0.9))
    with pytest.raises(TypeError, match="sequence of texts"):
        find_duplicates_dask("one text")
    with dask.config.set(scheduler="threads"), pytest.raises(TypeError, match="position 1"):
        find_duplicates_dask(db.from_sequence(["fine", 3], npartitions=1))


def test_clean_bag_with_user_rules_matches_clean_records(client, framed, rule_file):
    cleaner = unboil.Cleaner(rules=[rule_file])
    records = [{"id": f"r{i}", "text": t, "url": f"https://news.example/{i}"} for i, t in enumerate(framed)]
    records.append({"id": "bad"})  # no text: an error record, not a lost one
    expected = list(unboil.clean_records(records, cleaner=cleaner))
    bag = db.from_sequence(records, npartitions=4)
    got = clean_bag(bag, cleaner=cleaner).compute()
    assert got[:-1] == expected[:-1]
    assert got[0]["metadata"]["unboil"]["removed"].get("ad-label") == 1
    last = bag.npartitions - 1
    in_last = len(bag.to_delayed()[last].compute())
    assert got[-1]["error"] == {**expected[-1]["error"], "position": f"partition {last}, record {in_last - 1}"}


def test_clean_dataframe_text_and_provenance_column(client, framed, rule_file):
    cleaner = unboil.Cleaner(rules=[rule_file])
    frame = pd.DataFrame(
        {"text": framed[:24] + [None], "url": [f"https://news.example/{i}" for i in range(25)], "n": range(25)}
    )
    out = clean_dataframe(dd.from_pandas(frame, npartitions=3), cleaner=cleaner).compute()
    assert list(out.columns) == ["text", "url", "n", "unboil"]
    assert out["n"].tolist() == list(range(25))
    for i in range(24):
        want = unboil.clean_record({"text": framed[i], "url": f"https://news.example/{i}"}, cleaner=cleaner)
        assert out["text"].iloc[i] == want["text"]
        assert json.loads(out["unboil"].iloc[i]) == want["metadata"]["unboil"]
    assert json.loads(out["unboil"].iloc[0])["removed"]["ad-label"] == 1
    assert out["text"].iloc[24] == "" and "error" in json.loads(out["unboil"].iloc[24])


def test_clean_dataframe_reads_html_where_text_is_missing(aeb_articles, shared_fixtures):
    import gzip

    ids = list(aeb_articles)[:6]
    pages = [gzip.decompress((shared_fixtures / "aeb" / "html" / f"{i}.html.gz").read_bytes()).decode("utf-8", "replace")
             for i in ids]
    urls = [aeb_articles[i]["url"] for i in ids]
    frame = pd.DataFrame({"html": pages, "url": urls})
    with dask.config.set(scheduler="threads"):
        out = clean_dataframe(dd.from_pandas(frame, npartitions=2), html_column="html").compute()
    assert out["text"].tolist() == [unboil.clean_html(p, url=u).text for p, u in zip(pages, urls)]
    with pytest.raises(unboil.InputError, match="no column 'text'"):
        clean_dataframe(dd.from_pandas(frame, npartitions=1))
