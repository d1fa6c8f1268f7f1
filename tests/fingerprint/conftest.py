"""The real-text corpus for the fingerprint tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def real_texts(shared_fixtures: Path) -> list[str]:
    """AEB article bodies and WCXB dev main contents, in a fixed order."""
    aeb = json.loads((shared_fixtures / "aeb" / "ground-truth.json").read_text("utf-8"))
    texts = [aeb[k]["articleBody"] for k in sorted(aeb)]
    for path in sorted((shared_fixtures / "wcxb-dev" / "ground-truth").glob("*.json")):
        main = json.loads(path.read_text("utf-8"))["ground_truth"].get("main_content")
        if main:
            texts.append(main)
    return texts
