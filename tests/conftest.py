"""Shared test fixtures: where the real pages live, and how to skip when they are absent."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"
LOCAL_FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared fixtures not found at {path} (clone the repo beside ../shared)")
    return path


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """``../shared/fixtures`` next to the repo; skips the test with a reason when missing."""
    return _need(SHARED_FIXTURES)


@pytest.fixture(scope="session")
def seed_input() -> str:
    return (LOCAL_FIXTURES / "seed" / "input.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_expected() -> str:
    return (LOCAL_FIXTURES / "seed" / "expected.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def aeb_articles(shared_fixtures: Path) -> dict[str, dict]:
    """AEB ground truth: ``{id: {"articleBody", "url"}}``."""
    return json.loads((_need(shared_fixtures / "aeb" / "ground-truth.json")).read_text("utf-8"))


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


def read_gz_html(path: Path) -> bytes:
    with gzip.open(path, "rb") as fh:
        return fh.read()
