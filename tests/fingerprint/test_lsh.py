"""LSH banding: parameters as datasketch derives them, band keys, candidate pairs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from unboil.fingerprint.lsh import LSHParams, band_keys, candidate_pairs, optimal_params, recall


@pytest.mark.parametrize("num_perm", [32, 128, 256])
@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.1, 0.9)])
def test_params_match_datasketch(num_perm, weights):
    for threshold in (0.5, 0.7, 0.8, 0.9, 0.95):
        assert optimal_params(threshold, num_perm, weights) == _optimal_param(threshold, num_perm, *weights)


def test_recall_is_the_s_curve():
    p = LSHParams(0.8, 128, (0.1, 0.9))
    assert p.bands * p.rows <= 128
    grid = np.linspace(0, 1, 21)
    curve = p.recall(grid)
    assert np.all(np.diff(curve) >= 0) and curve[0] == 0 and curve[-1] == 1
    assert p.recall(0.9) == pytest.approx(1 - (1 - 0.9**p.rows) ** p.bands)
    assert p.recall(0.9) > 0.99  # the documented recall above the threshold
    assert recall(0.8, 9, 13) == pytest.approx(0.3988, abs=1e-4)


def test_params_validation_names_the_field():
    with pytest.raises(ValueError, match="threshold"):
        LSHParams(threshold=1.5)
    with pytest.raises(ValueError, match="num_perm"):
        LSHParams(num_perm=1)
    with pytest.raises(ValueError, match="weights"):
        LSHParams(weights=(0.5, 0.6))
    with pytest.raises(ValueError, match="bands \\* rows"):
        LSHParams(num_perm=16, bands=5, rows=4)
    assert LSHParams(num_perm=16, bands=4, rows=4).bands == 4


def test_band_keys_equal_exactly_when_bands_equal():
    rng = np.random.default_rng(3)
    sig = rng.integers(0, 2**32, (3, 12), dtype=np.uint32)
    sig[1, 4:8] = sig[0, 4:8]
    keys = band_keys(sig, 3, 4)
    assert keys.shape == (3, 3)
    assert keys[0, 1] == keys[1, 1] and keys[0, 0] != keys[1, 0] and keys[0, 2] != keys[1, 2]
    same = np.tile(sig[:1, :4], (1, 3))
    k = band_keys(same, 3, 4)
    assert len(set(k[0].tolist())) == 3  # equal rows in different bands get different keys


@settings(max_examples=80, deadline=None)
@given(arrays(np.uint64, st.tuples(st.integers(0, 30), st.integers(1, 4)), elements=st.integers(0, 5)))
def test_candidate_pairs_connect_what_brute_force_connects(keys):
    u, v = candidate_pairs(keys)
    assert np.all(u < v)
    n = len(keys)
    truth = {(a, b) for a, b in itertools.combinations(range(n), 2) if set(keys[a].tolist()) & set(keys[b].tolist())}
    got = set(zip(u.tolist(), v.tolist()))
    assert got <= truth

    def components(edges):
        parent = list(range(n))

        def find(x):
            while parent[x] != x:
                x = parent[x]
            return x
        for a, b in edges:
            parent[find(a)] = find(b)
        return {frozenset(i for i in range(n) if find(i) == find(j)) for j in range(n)}

    assert components(got) == components(truth)
