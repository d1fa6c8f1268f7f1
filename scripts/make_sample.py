"""Build examples/sample.jsonl: trafilatura's extraction (recall-leaning) of a few real AEB pages.

Run once by a maintainer (needs the `bench` extra and ../shared/fixtures); the output is committed so
`make demo` works offline. AEB pages are from Scrapinghub's article-extraction-benchmark (MIT).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
AEB = ROOT.parent / "shared" / "fixtures" / "aeb"


def main(n: int = 8) -> None:
    truth = json.loads((AEB / "ground-truth.json").read_text("utf-8"))
    out = ROOT / "examples" / "sample.jsonl"
    written = 0
    with out.open("w", encoding="utf-8") as fh:
        for page_id in sorted(truth):
            html = gzip.decompress((AEB / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
            text = trafilatura.extract(html, include_comments=False, favor_recall=True)
            meta = trafilatura.extract_metadata(html)
            if not text or len(text) < 800:
                continue
            rec = {"id": f"aeb-{page_id[:12]}", "url": truth[page_id]["url"],
                   "title": (meta.title if meta else None) or "", "text": text,
                   "metadata": {"source": "article-extraction-benchmark (MIT), trafilatura favor_recall"}}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            written += 1
            if written >= n:
                break
    print(f"wrote {written} records to {out}", file=sys.stderr)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
