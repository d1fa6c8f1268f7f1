"""MinHash signatures: datasketch bit-compatibility, the shingle contract, estimate accuracy."""

from __future__ import annotations

import random

import numpy as np
import pytest
import xxhash
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from unboil.fingerprint.minhash import (
    MinHashConfig,
    _token_hashes,
    estimate_jaccard,
    shingle_hashes,
    signatures,
    to_datasketch,
)
from unboil.fingerprint.shingles import jaccard, shingle_set, tokenize, word_shingles


def _datasketch(text: str, num_perm: int, seed: int) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=xxhash.xxh32_intdigest)
    m.update_batch([s.encode("utf-8") for s in word_shingles(tokenize(text))])
    return m.hashvalues


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 42), (16, 2**31 + 5)])
def test_compat_bit_identical_to_datasketch(real_texts, num_perm, seed):
    texts = real_texts[::23] + ["", "one two", "İstanbul ŞEHİR ünlü", "Ünïcödé wörds 𝔘𝔫𝔦 🎉 naïve café x"]
    sig = signatures(texts, num_perm=num_perm, seed=seed, compat="datasketch")
    assert sig.dtype == np.uint32 and sig.shape == (len(texts), num_perm)
    for row, text in zip(sig, texts):
        np.testing.assert_array_equal(row, _datasketch(text, num_perm, seed))


def test_compat_signatures_drop_into_datasketch_lsh(real_texts):
    texts = real_texts[:40]
    copy = texts[3] + " An extra closing sentence."
    sig = signatures(texts + [copy], compat="datasketch")
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for i, row in enumerate(sig[:-1]):
        lsh.insert(i, to_datasketch(row))
    assert 3 in lsh.query(to_datasketch(sig[-1]))
    plain = MinHash(num_perm=128, seed=1, hashfunc=xxhash.xxh32_intdigest)
    plain.update_batch([s.encode() for s in word_shingles(tokenize(texts[5]))])
    assert to_datasketch(sig[5]).jaccard(plain) == 1.0


@pytest.mark.parametrize("compat", [None, "datasketch"])
def test_empty_and_short_texts(compat):
    sig = signatures(["", "  ...  ", "three short words", "Three, SHORT words!"], compat=compat)
    assert (sig[0] == 0xFFFFFFFF).all() and (sig[1] == 0xFFFFFFFF).all()
    assert not (sig[2] == 0xFFFFFFFF).all()
    np.testing.assert_array_equal(sig[2], sig[3])  # same tokens after lowercasing: one shingle


def test_default_shingle_counts_follow_the_contract(real_texts):
    texts = real_texts[::7] + ["a", "a b c d", "a b c d e", "a b c d e f", ""]
    _, per_doc = shingle_hashes(texts)
    assert per_doc.tolist() == [len(word_shingles(tokenize(t))) for t in texts]


def test_token_hashes_are_injective_on_real_vocabulary(real_texts):
    hashes, counts = _token_hashes(real_texts)
    tokens = [tok for t in real_texts for tok in tokenize(t)]
    assert counts.sum() == len(tokens)
    by_hash: dict[int, str] = {}
    for h, tok in zip(hashes.tolist(), tokens):
        assert by_hash.setdefault(h, tok) == tok, f"tokens {by_hash[h]!r} and {tok!r} share a hash"
    assert len(by_hash) > 10_000


def test_equal_shingles_hash_equal_across_texts():
    a = "The quick brown fox jumps over the lazy dog near the river bank"
    b = "Yesterday THE QUICK brown fox jumps over the lazy cat"
    ha, _ = shingle_hashes([a])
    hb, _ = shingle_hashes(["padding text " * 50 + b])
    shared = set(word_shingles(tokenize(a))) & set(word_shingles(tokenize(b)))
    assert len(shared) == 4 and len(set(ha.tolist()) & set(hb.tolist())) == len(shared)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=6))
def test_default_tokenization_matches_tokenize_on_any_unicode(texts):
    _, per_doc = shingle_hashes(texts)
    assert per_doc.tolist() == [len(word_shingles(tokenize(t))) for t in texts]


def _edited_pairs(texts: list[str], rng: random.Random) -> list[tuple[str, str]]:
    pairs = []
    for text in texts:
        words = text.split()
        if len(words) < 60:
            continue
        copy = list(words)
        for _ in range(int(len(words) * rng.uniform(0.0, 0.08))):
            copy[rng.randrange(len(copy))] = f"edit{rng.randrange(10**6)}"
        pairs.append((text, " ".join(copy[: int(len(copy) * rng.uniform(0.6, 1.0))])))
    return pairs


def test_default_estimates_as_accurate_as_datasketch(real_texts):
    """Against exact Jaccard on real edited pairs: no bias, and mean squared error no larger
    (within sampling noise) than datasketch's scheme, both with 128 permutations."""
    pairs = _edited_pairs(real_texts[::3], random.Random(5))
    assert len(pairs) > 300
    left, right = [a for a, _ in pairs], [b for _, b in pairs]
    exact = np.array([jaccard(shingle_set(word_shingles(tokenize(a))), shingle_set(word_shingles(tokenize(b))))
                      for a, b in pairs])
    assert exact.min() < 0.5 and exact.max() > 0.9
    errors = {}
    for compat in (None, "datasketch"):
        est = estimate_jaccard(signatures(left, compat=compat), signatures(right, compat=compat))
        errors[compat] = est - exact
    bound = np.sqrt(exact * (1 - exact) / 128)
    for err in errors.values():
        assert abs(err.mean()) < 4 * np.sqrt(np.mean(bound**2) / len(pairs)) + 1e-3  # unbiased
        assert np.mean(np.abs(err) <= 4 * bound + 1e-9) >= 0.995
    assert np.mean(errors[None] ** 2) <= 1.3 * np.mean(errors["datasketch"] ** 2)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(50, 400), st.floats(0.05, 0.95))
def test_estimate_within_error_bound(seed, size, share):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(5000)]
    base = [rng.choice(vocab) for _ in range(size)]
    cut = int(size * share)
    other = base[:cut] + [rng.choice(vocab) for _ in range(size - cut)]
    a, b = " ".join(base), " ".join(other)
    exact = jaccard(shingle_set(word_shingles(tokenize(a))), shingle_set(word_shingles(tokenize(b))))
    sig = signatures([a, b], num_perm=256, seed=seed)
    est = estimate_jaccard(sig[0], sig[1])
    assert abs(est - exact) <= 5 * np.sqrt(exact * (1 - exact) / 256) + 0.02


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="one str"):
        signatures("not a list")
    with pytest.raises(TypeError, match="position 1"):
        signatures(["ok", None])
    with pytest.raises(ValueError, match="num_perm"):
        MinHashConfig(num_perm=1)
    with pytest.raises(ValueError, match="compat"):
        signatures(["x"], compat="rensa")


def test_batches_do_not_change_results(real_texts):
    texts = real_texts[:80]
    whole = signatures(texts)
    small = signatures(texts, config=MinHashConfig(batch_chars=5000, chunk_shingles=97))
    np.testing.assert_array_equal(whole, small)
