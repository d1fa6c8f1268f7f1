"""MinHash signatures of many texts at once, in numpy batches.

Two hashing schemes share one permutation engine:

* the default scheme tokenizes a whole batch of texts in numpy (code points looked up in
  tables built from ``\\w`` and ``str.lower`` themselves), hashes each token from its code
  points, combines token hashes into 5-gram hashes arithmetically, and never builds a shingle
  string in Python;
* ``compat="datasketch"`` builds the shingle strings, hashes them with ``xxh32`` and applies
  datasketch 2.0's default ``affine32`` scheme (MurmurHash3 finalizer, then ``a*h+b mod 2**32``
  with the same ``a``, ``b`` drawn from ``RandomState(seed)``), so the rows are bit-identical to
  ``datasketch.MinHash(num_perm, seed, hashfunc=xxhash.xxh32_intdigest)``.

Both use the shingle contract of :func:`unboil.fingerprint.shingles.word_shingles`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import xxhash

from unboil.fingerprint.shingles import tokenize, word_shingles

__all__ = [
    "COMPAT_SCHEMES",
    "EMPTY_HASH",
    "MinHashConfig",
    "estimate_jaccard",
    "permutations",
    "shingle_hashes",
    "signatures",
    "to_datasketch",
]

EMPTY_HASH = np.uint32(0xFFFFFFFF)  # every slot of an empty text's signature
COMPAT_SCHEMES = (None, "datasketch")

_PERIOD = 1 << 16  # character positions per block of precomputed powers
# Odd 64-bit multipliers, one per token position inside a shingle.
_TOKEN_MULT = np.random.Generator(np.random.PCG64(0x7368696E676C)).integers(
    0, 1 << 63, 16, dtype=np.uint64
) * np.uint64(2) + np.uint64(1)
_LEN_MULT = np.uint64(0x9E3779B97F4A7C15)

_SEP = "\n"  # non-word separator between the texts of a batch
_DOTTED_CAPITAL_I = "\u0130"  # the one code point whose lower() is two code points


@dataclass(frozen=True, slots=True)
class MinHashConfig:
    """How signatures are made: permutations, seed, shingle size and hashing scheme.

    ``batch_chars`` bounds the characters tokenized per numpy batch and ``chunk_shingles`` the
    shingles permuted at once; both trade memory for speed and never change results.
    """

    num_perm: int = 128
    seed: int = 1
    shingle_size: int = 5
    compat: str | None = None
    batch_chars: int = 1 << 22
    chunk_shingles: int = 4096

    def __post_init__(self) -> None:
        if not isinstance(self.num_perm, int) or self.num_perm < 2:
            raise ValueError(f"MinHashConfig.num_perm must be an int >= 2, got {self.num_perm!r} (try 128)")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise ValueError(f"MinHashConfig.seed must be an int in [0, 2**32), got {self.seed!r}")
        if not isinstance(self.shingle_size, int) or not 1 <= self.shingle_size <= len(_TOKEN_MULT):
            raise ValueError(
                f"MinHashConfig.shingle_size must be an int in [1, {len(_TOKEN_MULT)}], "
                f"got {self.shingle_size!r} (the default is 5)"
            )
        if self.compat not in COMPAT_SCHEMES:
            raise ValueError(
                f"MinHashConfig.compat must be one of {COMPAT_SCHEMES}, got {self.compat!r}"
            )
        if self.batch_chars < 1 or self.chunk_shingles < 1:
            raise ValueError("MinHashConfig.batch_chars and chunk_shingles must be >= 1")


def permutations(num_perm: int, seed: int, compat: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The affine permutation parameters ``(a, b)`` (uint32, ``a`` odd) for a scheme and seed."""
    if compat == "datasketch":
        # datasketch 2.0 "affine32": RandomState(seed), a = 2*k+1 then b, both uint32.
        gen = np.random.RandomState(seed)
        a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        return a, b
    rng = np.random.Generator(np.random.PCG64([seed, 0x6D696E68]))
    a = rng.integers(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = rng.integers(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


@lru_cache(maxsize=1)
def _word_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per code point: its lowercase if ``\\w`` matches it, else 0 (uint32, uint16, uint8 tables).

    Built once from the regex engine and ``str.lower`` themselves, so tokens match
    :func:`unboil.fingerprint.shingles.tokenize` exactly. A constant, not state.
    """
    every = "".join(map(chr, range(0x110000)))
    marked = re.sub(r"\w", "\0", every)  # one code point for one: positions stay put
    is_word = np.frombuffer(marked.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 0
    is_word[0] = False  # U+0000 itself is not a word character
    lowered = "".join(c if len(low := c.lower()) != 1 else low for c in every)
    table = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    table[~is_word] = 0
    # Below U+10000 every lowercase stays below U+10000, so the narrow tables are exact.
    return table, table[:0x10000].astype(np.uint16), table[:256].astype(np.uint8)


_G = 0x9E3779B97F4A7C1D  # odd, = 5 (mod 8): its powers repeat only after 2**62 steps
_MASK64 = (1 << 64) - 1


@lru_cache(maxsize=1)
def _position_powers() -> tuple[np.ndarray, np.ndarray]:
    """Powers g**i and g**-i (mod 2**64) for i in [0, 2**16): one block of positions."""
    g_inv = pow(_G, -1, 1 << 64)
    powers = np.empty(_PERIOD, dtype=np.uint64)
    inverse = np.empty(_PERIOD, dtype=np.uint64)
    p = q = 1
    for i in range(_PERIOD):
        powers[i], inverse[i] = p, q
        p, q = (p * _G) & _MASK64, (q * g_inv) & _MASK64
    return powers, inverse


def _block_powers(blocks: int, inverse: bool) -> np.ndarray:
    """g**(j * 2**16) (or its inverse) for each block j of positions."""
    step = pow(_G, _PERIOD * (-1 if inverse else 1), 1 << 64)
    out = np.empty(blocks, dtype=np.uint64)
    p = 1
    for j in range(blocks):
        out[j] = p
        p = (p * step) & _MASK64
    return out


def _code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per character of the texts joined by a separator: its lowercase if a word character
    else 0; and where each text starts."""
    lowered_texts = texts
    joined = _SEP.join(texts)
    if _DOTTED_CAPITAL_I in joined:  # lower() makes it two code points: let str.lower do it
        lowered_texts = [t.lower() for t in texts]
        joined = _SEP.join(lowered_texts)
    lengths = np.fromiter(map(len, lowered_texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    wide, narrow, ascii_ = _word_tables()
    if joined.isascii():
        return ascii_[np.frombuffer(joined.encode("ascii"), dtype=np.uint8)], starts
    units = np.frombuffer(joined.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    if len(units) == len(joined):  # no code point above U+FFFF: one unit per character
        return narrow[units], starts
    return wide[np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)], starts


def _token_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every ``\\w+`` token of the texts (in order) and the token count per text.

    A token's hash is the polynomial sum of its code points times powers of an odd g, computed for
    the whole batch at global positions and rotated back by g**-start, then mixed with fmix64.
    """
    chars, starts = _code_points(texts)
    word = chars != 0
    edges = np.diff(word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    tok_start = np.flatnonzero(edges == 1)
    counts = np.diff(np.searchsorted(tok_start, starts), append=len(tok_start))
    if len(tok_start) == 0:
        return np.zeros(0, dtype=np.uint64), counts
    tok_len = np.flatnonzero(edges == -1) - tok_start
    powers, inverse = _position_powers()
    size = len(chars)
    values = np.zeros(-(-size // _PERIOD) * _PERIOD, dtype=np.uint64)
    values[:size] = chars
    blocks = values.reshape(-1, _PERIOD)
    blocks *= powers
    blocks *= _block_powers(len(blocks), inverse=False)[:, None]
    hashes = np.add.reduceat(values, tok_start)  # trailing non-word characters add 0
    hashes *= inverse[tok_start & (_PERIOD - 1)]
    hashes *= _block_powers(len(blocks), inverse=True)[tok_start >> 16]
    hashes ^= tok_len.astype(np.uint64) * _LEN_MULT
    return _fmix64(hashes), counts


def _combine_shingles(tok: np.ndarray, counts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of word n-grams built from token hashes, and the shingle count per text."""
    per_doc = np.where(counts >= n, counts - n + 1, np.minimum(counts, 1))
    total = int(per_doc.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint32), per_doc
    tok_first = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=tok_first[1:])
    sh_first = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(per_doc[:-1], out=sh_first[1:])
    start = np.arange(total, dtype=np.int64) + np.repeat(tok_first - sh_first, per_doc)
    width = np.repeat(np.minimum(counts, n), per_doc)
    padded = np.concatenate([tok, np.zeros(n, dtype=np.uint64)])
    acc = padded[start] * _TOKEN_MULT[0]
    short = bool((width < n).any())
    for j in range(1, n):
        term = padded[start + j] * _TOKEN_MULT[j]
        if short:
            term[width <= j] = 0
        acc += term
    acc ^= width.astype(np.uint64) * _LEN_MULT
    return (_fmix64(acc) >> np.uint64(32)).astype(np.uint32), per_doc


def _datasketch_hashes(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """xxh32 of every shingle's UTF-8 bytes, passed through datasketch's fmix32 pre-mix."""
    h32 = xxhash.xxh32_intdigest
    parts: list[np.ndarray] = []
    per_doc = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        shingles = word_shingles(tokenize(text), n)
        per_doc[i] = len(shingles)
        parts.append(np.fromiter(map(h32, map(str.encode, shingles)), dtype=np.uint32, count=len(shingles)))
    hashes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)
    return _fmix32(hashes), per_doc


def shingle_hashes(texts: Sequence[str], shingle_size: int = 5, compat: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every shingle of every text (uint32, concatenated) and the count per text.

    Duplicated shingles within a text are kept; MinHash ignores repeats. These are the values
    the permutations are applied to (for ``compat="datasketch"``, after datasketch's pre-mix).
    """
    texts = _check_texts(texts)
    if compat == "datasketch":
        return _datasketch_hashes(texts, shingle_size)
    tok, counts = _token_hashes(texts)
    return _combine_shingles(tok, counts, shingle_size)


def _minhash(hashes: np.ndarray, per_doc: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int) -> np.ndarray:
    """Per-text minimum of ``a*h+b mod 2**32`` over each text's hashes: shape (texts, num_perm)."""
    num_perm = len(a)
    out = np.full((num_perm, len(per_doc)), EMPTY_HASH, dtype=np.uint32)
    if len(hashes) == 0:
        return out.T.copy()
    owner = np.repeat(np.arange(len(per_doc)), per_doc)
    buf = np.empty((num_perm, chunk), dtype=np.uint32)
    col_a, col_b = a[:, None], b[:, None]
    for lo in range(0, len(hashes), chunk):
        hi = min(lo + chunk, len(hashes))
        view = buf[:, : hi - lo]
        np.multiply(col_a, hashes[None, lo:hi], out=view)
        view += col_b
        owners = owner[lo:hi]
        seg = np.flatnonzero(np.diff(owners, prepend=-1))
        docs = owners[seg]
        mins = np.minimum.reduceat(view, seg, axis=1)
        np.minimum(out[:, docs], mins, out=mins)
        out[:, docs] = mins
    return out.T.copy()


def _check_texts(texts: Sequence[str]) -> Sequence[str]:
    if isinstance(texts, str):
        raise TypeError("signatures() takes a sequence of texts, got one str (wrap it in a list)")
    texts = texts if isinstance(texts, Sequence) else list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"text at position {i} is {type(t).__name__}, not str")
    return texts


def signatures(
    texts: Sequence[str],
    num_perm: int = 128,
    seed: int = 1,
    compat: str | None = None,
    *,
    shingle_size: int = 5,
    config: MinHashConfig | None = None,
) -> np.ndarray:
    """MinHash signatures of ``texts``: uint32 array of shape ``(len(texts), num_perm)``.

    A text without tokens gets an all-``0xFFFFFFFF`` row. ``compat="datasketch"`` gives rows
    bit-identical to datasketch 2.0's ``MinHash(num_perm, seed, hashfunc=xxh32_intdigest)``.
    """
    cfg = config or MinHashConfig(num_perm=num_perm, seed=seed, shingle_size=shingle_size, compat=compat)
    texts = _check_texts(texts)
    a, b = permutations(cfg.num_perm, cfg.seed, cfg.compat)
    out = np.empty((len(texts), cfg.num_perm), dtype=np.uint32)
    lo = 0
    while lo < len(texts):
        hi, size = lo, 0
        while hi < len(texts) and (hi == lo or size + len(texts[hi]) <= cfg.batch_chars):
            size += len(texts[hi]) + 1
            hi += 1
        hashes, per_doc = shingle_hashes(texts[lo:hi], cfg.shingle_size, cfg.compat)
        out[lo:hi] = _minhash(hashes, per_doc, a, b, cfg.chunk_shingles)
        lo = hi
    return out


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray | float:
    """Share of equal slots between signatures (rows broadcast): the MinHash Jaccard estimate."""
    sig_a, sig_b = np.asarray(sig_a), np.asarray(sig_b)
    if sig_a.shape[-1] != sig_b.shape[-1]:
        raise ValueError(f"signatures differ in num_perm: {sig_a.shape[-1]} vs {sig_b.shape[-1]}")
    est = (sig_a == sig_b).mean(axis=-1)
    return float(est) if np.ndim(est) == 0 else est


def to_datasketch(signature: np.ndarray, seed: int = 1):  # -> datasketch.LeanMinHash
    """A datasketch ``LeanMinHash`` holding one ``compat="datasketch"`` signature row."""
    from datasketch import LeanMinHash, MinHash

    row = np.asarray(signature, dtype=np.uint32)
    if row.ndim != 1:
        raise ValueError(f"to_datasketch takes one signature row, got shape {row.shape}")
    a, b = permutations(len(row), seed, "datasketch")
    m = MinHash(hashvalues=row, permutations=np.array([a, b]), seed=seed, scheme="affine32")
    return LeanMinHash(m)
