"""Record adapters: clean_record, clean_records (generator), clean_batch (datasets.map shape)."""

from __future__ import annotations

import base64
import json
import random
import re
import subprocess
import sys

import pytest

import unboil
from unboil import InputError
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


# -- the record's charset reaches the HTML decoder (issue 10, case 10) -------------------------------

POLISH = ("Zażółć gęślą jaźń, powiedział przewodnik. Łódź jest pięknym miastem w środkowej Polsce, "
          "a Kraków leży na południu kraju. Wiślą płyną statki, źródła są czyste, a ludzie uprzejmi.")


def polish_page() -> bytes:
    body = "".join(f"<p>{POLISH} ({i})</p>" for i in range(4))
    return f"<html><head><title>Łódź</title></head><body><article>{body}</article></body></html>".encode("iso-8859-2")


@pytest.mark.parametrize("metadata", [
    {"encoding": "iso-8859-2"},
    {"content_type": "text/html; charset=ISO-8859-2"},
    {"encoding": "latin2", "content_type": "text/html; charset=utf-8"},  # the explicit label wins
])
def test_a_records_charset_decodes_its_html_bytes(metadata):
    rec = {"id": "pl", "html": polish_page(), "metadata": metadata}
    out = unboil.clean_record(rec)
    assert POLISH in out["text"]
    (streamed,) = unboil.clean_records([rec])
    assert streamed["text"] == out["text"]
    batch = unboil.clean_batch({"id": ["pl"], "html": [rec["html"]], "metadata": [metadata]})
    assert batch["text"] == [out["text"]]


# -- a metadata value that is not an object is reported, not replaced (issue 10, case 17) ------------

@pytest.mark.parametrize("value, shown", [("x", "str 'x'"), ([1, 2], "list [1, 2]"), (3, "int 3")])
def test_metadata_that_is_not_an_object_is_an_error_everywhere(value, shown):
    rec = {"id": "m1", "text": "Headline here\nShare on Facebook\nBody text.", "metadata": value}
    with pytest.raises(InputError, match=f"'metadata' is {re.escape(shown)}, not an object"):
        unboil.clean_record(rec)
    (out,) = unboil.clean_records([rec])
    assert out["id"] == "m1" and "'metadata' is" in out["error"]["reason"]
    batch = unboil.clean_batch({"id": ["m1", "ok"], "text": [rec["text"], "Head\nBody."], "metadata": [value, {}]})
    assert batch["text"] == ["", "Head\n\nBody."]
    assert "'metadata' is" in batch["metadata"][0]["unboil"]["error"]
    assert "error" not in batch["metadata"][1]["unboil"]


def test_null_metadata_is_no_metadata():
    out = unboil.clean_record({"id": "n", "text": "Head\nBody.", "metadata": None})
    assert out["metadata"]["unboil"]["kept"] == 2


# -- junk in an html string is an error record, not empty text (issue 10, case 17) -------------------

def _junk_strings() -> dict[str, str]:
    rnd = random.Random(7)
    binary = bytes(rnd.randrange(256) for _ in range(3000))
    page = "<html><body>" + f"<p>{POLISH}</p>" * 5 + "</body></html>"
    return {
        "base64": base64.b64encode(page.encode()).decode(),
        "base64 with line breaks": base64.encodebytes(page.encode()).decode(),
        "binary read as latin-1": binary.decode("latin-1"),
        "binary read as utf-8": binary.decode("utf-8", "replace"),
        "utf-16 read as latin-1": page.encode("utf-16-le").decode("latin-1"),
    }


@pytest.mark.parametrize("kind", sorted(_junk_strings()))
def test_an_html_string_that_is_junk_is_an_error_record(kind):
    recs = [{"id": "junk", "html": _junk_strings()[kind]}, {"id": "ok", "html": f"<p>{POLISH}</p>"}]
    junk, ok = unboil.clean_records(recs)
    assert junk["id"] == "junk" and "does not look like HTML or text" in junk["error"]["reason"]
    assert POLISH in ok["text"]


def test_the_cli_reports_junk_lines_and_its_counts_add_up(tmp_path):
    lines = [{"id": f"j{i}", "html": s} for i, s in enumerate(_junk_strings().values())]
    lines += [{"id": "good", "html": f"<p>{POLISH}</p>"}, {"id": "meta", "text": "A\nB.", "metadata": "x"}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "out.jsonl"
    run = subprocess.run([sys.executable, "-m", "unboil", "clean", str(src), "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    written = [json.loads(line) for line in out.read_text().splitlines()]
    errors = {w["id"]: w["error"]["reason"] for w in written if "error" in w}
    assert sorted(errors) == sorted(line["id"] for line in lines if line["id"] != "good")
    assert [w["id"] for w in written if "error" not in w] == ["good"]
    assert f"{len(lines)} in, 1 cleaned, {len(lines) - 1} errors" in run.stderr
