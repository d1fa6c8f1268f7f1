"""Dolma-style attribute spans: offsets point at exactly the removed blocks of the source text."""

from __future__ import annotations

import pytest

import unboil
from unboil.errors import InputError
from unboil.integrations.dolma import dolma_attribute_records, dolma_attributes


def test_spans_cover_exactly_the_removed_blocks(seed_input, seed_expected):
    result = unboil.clean(seed_input)
    attrs = dolma_attributes("seed", result)["attributes"]
    assert {name: len(spans) for name, spans in attrs.items()} == {
        f"unboil__{rule}": n for rule, n in result.removed_by_rule().items()}
    spans = sorted(span for group in attrs.values() for span in group)
    # every span is a removed block's text (its bullet included) in the source
    removed = [b for b in result.removed]
    for (start, end, score), block in zip(spans, removed):
        assert score == 1.0 and seed_input[start:end].endswith(block.text)
    # dropping the spans from the source leaves the cleaned text, line by line
    kept, cursor = [], 0
    for start, end, _ in spans:
        kept.append(seed_input[cursor:start])
        cursor = end
    kept.append(seed_input[cursor:])
    lines = [line.strip() for line in "".join(kept).splitlines() if line.strip()]
    assert "\n\n".join(lines) == seed_expected.rstrip("\n")


def test_records_stream_with_errors_in_place():
    recs = [{"id": "a", "text": "Headline words here\nsend to Telegram\nBody."}, {"id": "b", "html": "<p>x</p>"}]
    out = list(dolma_attribute_records(recs))
    assert out[0] == {"id": "a", "attributes": {"unboil__share-widget": [[20, 36, 1.0]]}}
    assert out[1]["id"] == "b" and out[1]["attributes"] == {} and "text" in out[1]["error"]


def test_html_results_have_no_text_offsets():
    import gzip
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "examples" / "pages" / "sciencealert-water-plumes.html.gz"
    result = unboil.clean_html(gzip.decompress(page.read_bytes()))
    assert result.removed
    with pytest.raises(InputError, match="offsets"):
        dolma_attributes("h", result)
