"""The repeats detector's fast paths (compiled kernel, pure-Python shortcuts) equal the reference."""

from __future__ import annotations

import gzip
import random
from difflib import SequenceMatcher
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.detect import repeats
from unboil.detect.repeats import RepeatsConfig, annotate_repeats
from unboil.document import Block, Document
from unboil.normalize import comparison_key

AEB = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aeb" / "html"
SIGNALS = (
    "title_similarity",
    "title_containment",
    "repeat_of_title",
    "is_title",
    "repeat_group",
    "repeat_size",
    "repeat_first",
)
KERNEL = repeats._KERNEL
needs_kernel = pytest.mark.skipif(KERNEL is None, reason="detect._repeats is not compiled here")


def _signals(doc: Document) -> list[list[tuple[object, type]]]:
    return [[(b.signals[k], type(b.signals[k])) for k in SIGNALS] for b in doc.blocks]


def _all_paths(doc: Document, config: RepeatsConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    """Annotate with the reference, the pure-Python fast path and the kernel; all must agree."""
    monkeypatch.setattr(repeats, "_KERNEL", None)
    repeats._annotate_reference(doc, config)
    expected = _signals(doc)
    annotate_repeats(doc, config)
    assert _signals(doc) == expected
    if KERNEL is not None:
        monkeypatch.setattr(repeats, "_KERNEL", KERNEL)
        annotate_repeats(doc, config)
        assert _signals(doc) == expected


def _doc(texts: list[str], title: str) -> Document:
    return Document(blocks=[Block(index=i, text=t) for i, t in enumerate(texts)], title=title)


def _aeb_docs(limit: int) -> list[Document]:
    from unboil.segment.html import segment_html

    paths = sorted(AEB.glob("*.html.gz"))[:limit]
    if not paths:
        pytest.skip("AEB pages not available")
    return [segment_html(gzip.decompress(p.read_bytes()), "") for p in paths]


def test_real_pages_get_the_reference_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    for doc in _aeb_docs(60):
        _all_paths(doc, RepeatsConfig(), monkeypatch)


def test_seed_page_gets_the_reference_signals(seed_input, monkeypatch: pytest.MonkeyPatch) -> None:
    from unboil.segment.text import segment_text

    _all_paths(segment_text(seed_input, title=None), RepeatsConfig(), monkeypatch)


WORDS = ["run", "away", "Run", "en", "masse", "officials", "_x", "a_b", "ß", "Straße", "İ", "ﬁne",
         "café", "cafe\u0301", "１２", "x\u200by", "données", "мобилизация", "Мобилизация", "42",
         "ΟΔΟΣ", "Σ", "™", "½", "\u00a0", "’", "“quoted”", "ǅ", "ﬀ"]
SEPARATORS = [" ", "  ", ", ", ". ", "! ", "\n", " - ", "’s ", "\u00a0", "_", "\t"]


@st.composite
def _texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=14))
    out = ""
    for w in words:
        out += w + draw(st.sampled_from(SEPARATORS))
    return out + draw(st.sampled_from(["", ".", "!", "?", "”", ":"]))


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(_texts(), min_size=1, max_size=25),
    title=_texts(),
    dup=st.integers(0, 5),
    seed=st.integers(0, 10**6),
)
def test_generated_pages_get_the_reference_signals(texts, title, dup, seed) -> None:
    rng = random.Random(seed)
    texts = texts + [rng.choice(texts) for _ in range(dup)] + [title] * (dup % 3)
    rng.shuffle(texts)
    with pytest.MonkeyPatch.context() as mp:
        _all_paths(_doc(texts, title), RepeatsConfig(), mp)
        # looser settings make more groups and title copies
        loose = RepeatsConfig(title_similarity=0.3, fuzzy_similarity=0.5, fuzzy_min_tokens=1,
                              fuzzy_length_ratio=0.2, max_key_frequency=3, max_candidates=2)
        _all_paths(_doc(texts, title), loose, mp)


@given(st.lists(_texts(), min_size=1, max_size=8))
def test_token_and_key_shortcuts_equal_the_reference_functions(texts) -> None:
    for text in texts:
        expected = (repeats._tokens(text), comparison_key(text))
        assert repeats._tokens_and_key(text) == expected
    if KERNEL is not None:
        page = KERNEL.TokenPage([Block(index=i, text=t) for i, t in enumerate(texts)], [], comparison_key)
        assert [page.tokens(i) for i in range(len(texts))] == [repeats._tokens(t) for t in texts]
        assert [page.key(i) for i in range(len(texts))] == [comparison_key(t) for t in texts]
        assert [page.count(i) for i in range(len(texts))] == [len(repeats._tokens(t)) for t in texts]


@needs_kernel
def test_compiled_alignment_equals_difflib() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        vocab = rng.randint(1, 6)
        a = [str(rng.randint(0, vocab)) for _ in range(rng.randint(0, 30))]
        b = [str(rng.randint(0, vocab)) for _ in range(rng.randint(0, 30))]
        expected = sum(m.size for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
        assert KERNEL.aligned(a, b) == expected == repeats._aligned_reference(a, b)


@needs_kernel
@given(st.lists(_texts(), min_size=1, max_size=6))
def test_compiled_shingle_hashes_and_containment_equal_the_reference(texts) -> None:
    from unboil.fingerprint.shingles import (
        _xxh3_64,
        char_shingles,
        containment,
        shingle_set,
    )

    title_key = comparison_key(texts[0])
    known = KERNEL.shingle_hashes(title_key, _xxh3_64)
    assert known == {s: _xxh3_64(s.encode("utf-8")) for s in char_shingles(title_key, 4)}
    title_hashes = frozenset(known.values())
    page = KERNEL.TokenPage([Block(index=i, text=t) for i, t in enumerate(texts)], [], comparison_key)
    for i, text in enumerate(texts):
        expected = containment(shingle_set(char_shingles(comparison_key(text), 4)), title_hashes)
        assert page.containment(i, known, title_hashes, _xxh3_64) == expected


class _SubBlock(Block):
    """Read through getattr by the kernel (only exact Blocks are read from their slots)."""

    __slots__ = ()


class _TitledBlock(Block):
    """A subclass whose text is a property: the slot value must not be used."""

    __slots__ = ()

    @property  # type: ignore[override]
    def text(self) -> str:
        return "Storm hits the coast tonight"

    @text.setter
    def text(self, value: str) -> None:
        pass


def test_subclassed_and_mixed_blocks_get_the_reference_signals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = ["Storm hits the coast tonight", "Menu", "Menu", "A long paragraph about storms.", "x"]
    title = "Storm hits the coast tonight"
    for make in (
        lambda i, t: _SubBlock(index=i, text=t),
        lambda i, t: (_SubBlock if i % 2 else Block)(index=i, text=t),
        lambda i, t: (_TitledBlock if i == 4 else Block)(index=i, text=t),
        lambda i, t: (Block if i == 4 else _TitledBlock)(index=i, text=t),
    ):
        doc = Document(blocks=[make(i, t) for i, t in enumerate(texts)], title=title)
        _all_paths(doc, RepeatsConfig(), monkeypatch)


@needs_kernel
@settings(max_examples=3000, deadline=None)
@given(st.one_of(
    st.floats(0.0, 1.0),
    # the similarities the kernel rounds: k / n and their halves (overlap * 0.5), ties included
    st.tuples(st.integers(0, 400), st.integers(1, 400)).filter(lambda t: t[0] <= t[1]).map(
        lambda t: t[0] / t[1]),
    st.tuples(st.integers(0, 400), st.integers(1, 400)).filter(lambda t: t[0] <= t[1]).map(
        lambda t: t[0] / t[1] * 0.5),
    st.integers(0, 20_000).map(lambda k: k / 20_000),
))
def test_kernel_rounding_equals_round(x: float) -> None:
    """The kernel rounds the title similarities itself; it must give ``round(x, 4)`` exactly."""
    assert KERNEL.round4(x) == round(x, 4)
    assert str(KERNEL.round4(x)) == str(round(x, 4))


@needs_kernel
def test_kernel_rounding_on_every_small_fraction() -> None:
    for n in range(1, 301):
        for k in range(n + 1):
            for x in (k / n, k / n * 0.5, min(k / n * 0.5, repeats._PREFILTER_FLOOR - 1e-4)):
                assert KERNEL.round4(x) == round(x, 4), (k, n, x)
