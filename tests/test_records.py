"""Record adapters: clean_record, clean_records (generator), clean_batch (datasets.map shape)."""

from __future__ import annotations

import unboil
from unboil.records import RecordKeys


def test_clean_record_replaces_text_and_records_provenance(seed_input, seed_expected):
    rec = {"id": "a1", "text": seed_input, "url": "https://example.com/x", "metadata": {"lang": "en"}}
    out = unboil.clean_record(rec)
    assert out["text"].rstrip() == seed_expected.rstrip()
    assert out["id"] == "a1" and out["metadata"]["lang"] == "en"
    info = out["metadata"]["unboil"]
    assert info["removed"]["title-copy"] == 9 and info["kept"] == info["blocks"] - 16
    assert info["ruleset"] == unboil.Cleaner().rules.hash
    assert rec["text"] == seed_input  # input untouched


def test_custom_keys_and_url_fallback():
    rec = {"doc": "d", "body": "Headline here now\nshare on Facebook\nBody.", "metadata": {"url": "https://e.org"}}
    out = unboil.clean_record(rec, keys=RecordKeys(text="body", id="doc"))
    assert out["body"] == "Headline here now\n\nBody."


def test_clean_records_yields_one_output_per_input_including_errors():
    recs = [{"id": "1", "text": "Title of one\nshare on Facebook\nfine."},
            {"id": "2"},  # no text
            {"id": "3", "text": "\x00\x01\x02" * 50},  # binary
            {"id": "4", "text": "Another title\nok text."}]
    out = list(unboil.clean_records(iter(recs)))
    assert [o["id"] for o in out] == ["1", "2", "3", "4"]
    assert "error" not in out[0] and "error" not in out[3]
    assert "expected a string under 'text' or 'html'" in out[1]["error"]["reason"]
    assert "binary" in out[2]["error"]["reason"]


def test_clean_batch_matches_clean_record():
    batch = {"id": ["a", "b"], "text": ["Head one\nsend to Telegram\nBody a.", "Head two\nBody b."]}
    out = unboil.clean_batch(batch)
    assert out["text"] == ["Head one\n\nBody a.", "Head two\n\nBody b."]
    assert out["id"] == ["a", "b"]
    assert out["metadata"][0]["unboil"]["removed"] == {"share-widget": 1}
    assert out["metadata"][1]["unboil"]["removed"] == {}
