"""Batch dedup on real texts plus edited copies, checked against brute-force exact Jaccard."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from unboil.dedup import DedupConfig, dedup_batch, find_contained, find_duplicates
from unboil.fingerprint.shingles import shingle_set, tokenize, word_shingles


def _edit(text: str, rng: random.Random) -> str:
    """A realistic copy: verbatim, reworded here and there, with a template around it, or cut."""
    words = text.split()
    kind = rng.random()
    if kind < 0.25:
        return text
    if kind < 0.55:
        for _ in range(max(1, len(words) // rng.choice([25, 50, 100]))):
            words[rng.randrange(len(words))] = rng.choice(["foo", "update", "Reuters"])
        return " ".join(words)
    if kind < 0.8:
        return "Home | World | Sports | Login\n" + text + "\nShare this story. © 2024 Example Media."
    return " ".join(words[: int(len(words) * rng.uniform(0.85, 0.97))])


def _exact_jaccard_matrix(texts: list[str]) -> np.ndarray:
    """Exact Jaccard of every pair, from the incidence matrix of shingle hashes."""
    sets = [shingle_set(word_shingles(tokenize(t))) for t in texts]
    vocab: dict[int, int] = {}
    rows, cols = [], []
    for i, s in enumerate(sets):
        for h in s:
            rows.append(i)
            cols.append(vocab.setdefault(h, len(vocab)))
    m = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(texts), len(vocab)))
    inter = (m @ m.T).toarray()
    size = np.diag(inter)
    union = size[:, None] + size[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


@pytest.fixture(scope="module")
def jaccard_truth(crawl):
    return _exact_jaccard_matrix(crawl[0]), _exact_jaccard_matrix(crawl[2])


@pytest.fixture(scope="module")
def crawl(real_texts):
    rng = random.Random(11)
    originals = [t for t in real_texts[::2] if len(tokenize(t)) >= 30]
    texts, origin = [], []
    for o, text in enumerate(originals):
        texts.append(text)
        origin.append(o)
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            texts.append(_edit(text, rng))
            origin.append(o)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], np.array([origin[i] for i in order]), originals


@pytest.mark.parametrize("compat", [None, "datasketch"])
def test_groups_match_brute_force_jaccard(crawl, jaccard_truth, compat):
    texts, origin, originals = crawl
    jac, ojac = jaccard_truth
    groups = find_duplicates(texts, threshold=0.8, compat=compat)
    gid = np.full(len(texts), -1)
    for g, members in enumerate(groups):
        assert len(members) >= 2 and members == sorted(members)
        assert (gid[members] == -1).all()
        gid[members] = g
    iu = np.triu_indices(len(texts), 1)
    high = jac[iu] >= 0.9
    together = (gid[iu[0]] >= 0) & (gid[iu[0]] == gid[iu[1]])
    assert high.sum() > 500
    recall = together[high].mean()
    print(f"\n[{compat or 'default'}] recall {recall:.4f} over {high.sum()} pairs with Jaccard >= 0.9")
    assert recall >= 0.98, f"only {recall:.4f} of {high.sum()} pairs with Jaccard >= 0.9 grouped"
    # Originals that are themselves near copies of each other (pages of one site) share an origin.
    same_origin = (origin[iu[0]] == origin[iu[1]]) | (ojac[origin[iu[0]], origin[iu[1]]] >= 0.8)
    precision = same_origin[together].mean()
    print(f"[{compat or 'default'}] precision {precision:.4f} over {together.sum()} grouped pairs")
    assert precision >= 0.99, f"only {precision:.4f} of {together.sum()} grouped pairs share an origin"


def test_exact_copies_and_keep_policies():
    base = "The council approved the new budget on Tuesday after a long debate about schools and roads."
    longer = base + " The mayor said the plan would be reviewed in spring with residents."
    texts = [base, "unrelated words about gardening tomatoes and peppers in a small backyard plot", "  " + base + "\n",
             "", "", longer]
    groups = dedup_batch(texts)
    assert [g.members for g in groups] == [[0, 2]]
    assert groups[0].kind == "exact" and groups[0].similarity == (1.0,)
    assert dedup_batch(texts, keep="longest")[0].kept == 2  # whitespace makes it longer
    with pytest.raises(ValueError, match="keep"):
        dedup_batch(texts, keep="newest")


def test_containment_finds_a_page_inside_a_longer_one(real_texts):
    inner = next(t for t in real_texts if 150 <= len(tokenize(t)) <= 400)
    host = next(t for t in real_texts if len(tokenize(t)) > 1500)
    outer = host[: len(host) // 2] + "\n" + inner + "\n" + host[len(host) // 2 :]
    other = next(t for t in real_texts if len(tokenize(t)) > 100 and t not in (inner, host))
    texts = [outer, inner, other]
    assert find_duplicates(texts, threshold=0.8) == []  # Jaccard alone misses it
    triples = find_contained(texts, 0.9)
    assert [(i, o) for i, o, _ in triples] == [(1, 0)] and triples[0][2] >= 0.9
    groups = dedup_batch(texts, DedupConfig(containment=0.9))
    assert [g.members for g in groups] == [[0, 1]] and groups[0].kind == "contained"


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="one str"):
        find_duplicates("a single text")
    with pytest.raises(TypeError, match="position 2"):
        find_duplicates(["a", "b", 3])
    with pytest.raises(ValueError, match="containment"):
        DedupConfig(containment=2.0)
