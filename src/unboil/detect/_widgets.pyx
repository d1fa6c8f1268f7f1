# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled twin of ``widgets._scan_folded``: one folded text judged against the lexicon.

The pure-Python reference runs several regexes over every block; this kernel reads each text
once, classifying characters through a table filled lazily *by the same regex classes* (so the
two cannot disagree on what a letter or a word character is), and falls back to the very same
compiled regexes for the rare parts (urls and handles, lead-ins, program text, CJK phrases).
Bloom bitsets of the lexicon's first words and filler words let most tokens be dismissed without
building a string. Results are the tuples of ``TextVerdict`` fields, identical to the reference.
"""

from cpython.unicode cimport PyUnicode_READ, PyUnicode_KIND, PyUnicode_DATA
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memset
from libc.stdint cimport uint64_t

cdef enum:
    KNOWN = 1
    WORD = 2     # [^\W\p{Han}\p{Hiragana}\p{Katakana}]  (a word character outside CJK)
    CJK = 4      # [\p{Han}\p{Hiragana}\p{Katakana}]     (one word per character)
    ALPHA = 8    # lexicon_loader.ALPHA: a letter or digit of a delimited script
    UNB = 16     # lexicon_loader._UNBOUNDED: CJK, Hangul, Thai
    LETTER = 32  # [\p{L}\p{M}]
    SEP = 64     # lexicon_loader.LEAD_IN_SEPARATORS: a text without one opens no lead-in
    BLOOM_BITS = 65536


cdef unsigned char _cls[0x110000]
cdef object _classify = None

SKIPPED = 1
COVERED = 2


def set_classifier(fn):
    """Install the function mapping one character to its class bits (built from the regexes)."""
    global _classify
    _classify = fn
    memset(_cls, 0, sizeof(_cls))


cdef inline unsigned char _class_of(Py_UCS4 c) except 0:
    cdef unsigned char v = _cls[c]
    if v == 0:
        v = (<unsigned char> _classify(c)) | KNOWN
        _cls[c] = v
    return v


cdef inline uint64_t _mix(uint64_t h, Py_UCS4 c):
    return (h ^ <uint64_t> c) * <uint64_t> 1099511628211ULL


cdef inline Py_ssize_t _slot(uint64_t h):
    return <Py_ssize_t> ((h ^ (h >> 29) ^ (h >> 47)) & (BLOOM_BITS - 1))


cdef uint64_t _FNV = 1469598103934665603ULL


cdef uint64_t _hash(str s):
    cdef uint64_t h = _FNV
    cdef Py_UCS4 c
    for c in s:
        h = _mix(h, c)
    return h


cdef class Scanner:
    """The lexicon and thresholds prepared for ``scan``; build one per (lexicon, config)."""

    cdef unsigned char first_bloom[8192]
    cdef unsigned char filler_bloom[8192]
    cdef object first_words, index, prefixes, table, ambiguous, is_filler, filler_memo
    cdef object skip_re, code_re, lead_re, lead_first, cjk_find, platform, categories
    cdef object tie_order, order, round_
    cdef Py_ssize_t max_words, lead_max
    cdef Py_ssize_t cap
    cdef Py_ssize_t *starts
    cdef Py_ssize_t *ends
    cdef unsigned char *tflag
    cdef unsigned char *mask

    def __cinit__(self):
        self.cap = 0
        self.starts = NULL
        self.ends = NULL
        self.tflag = NULL
        self.mask = NULL

    def __dealloc__(self):
        free(self.starts)
        free(self.ends)
        free(self.tflag)
        free(self.mask)

    def __init__(self, *, first_words, index, prefixes, table, ambiguous, fillers, is_filler,
                 skip_re, code_re, lead_re, lead_first, cjk_find, platform, categories,
                 tie_order, max_words, lead_max):
        memset(self.first_bloom, 0, sizeof(self.first_bloom))
        memset(self.filler_bloom, 0, sizeof(self.filler_bloom))
        cdef Py_ssize_t k
        for w in first_words:
            k = _slot(_hash(w))
            self.first_bloom[k >> 3] |= 1 << (k & 7)
        for w in fillers:
            k = _slot(_hash(w))
            self.filler_bloom[k >> 3] |= 1 << (k & 7)
        self.first_words = first_words
        self.index = index
        self.prefixes = prefixes
        self.table = table
        self.ambiguous = ambiguous
        self.is_filler = is_filler
        self.filler_memo = {}
        self.skip_re = skip_re
        self.code_re = code_re
        self.lead_re = lead_re
        self.lead_first = lead_first
        self.cjk_find = cjk_find
        self.platform = platform
        self.categories = categories
        self.tie_order = tie_order
        self.order = (*categories, platform)
        self.round_ = round
        self.max_words = max_words
        self.lead_max = lead_max

    cdef int _reserve(self, Py_ssize_t n) except -1:
        cdef Py_ssize_t cap = n + 1
        if cap <= self.cap:
            return 0
        cap = max(cap, 2 * self.cap, 256)
        free(self.starts)
        free(self.ends)
        free(self.tflag)
        free(self.mask)
        self.starts = <Py_ssize_t *> malloc(cap * sizeof(Py_ssize_t))
        self.ends = <Py_ssize_t *> malloc(cap * sizeof(Py_ssize_t))
        self.tflag = <unsigned char *> malloc(cap)
        self.mask = <unsigned char *> malloc(cap)
        if not (self.starts and self.ends and self.tflag and self.mask):
            self.cap = 0
            raise MemoryError()
        self.cap = cap
        return 0

    cdef bint _filler(self, str token):
        memo = self.filler_memo
        hit = memo.get(token)
        if hit is None:
            if len(memo) >= 100_000:
                memo.clear()
            hit = memo[token] = bool(self.is_filler(token))
        return hit is True

    cdef Py_ssize_t _left(self, str s, Py_ssize_t n, unsigned char bit) except -1:
        """Letters of the residue (chars not masked with ``bit``) outside filler words."""
        cdef int kind = PyUnicode_KIND(s)
        cdef void *data = PyUnicode_DATA(s)
        cdef Py_ssize_t i, start = 0, left = 0
        cdef bint run = False, bounded = False
        cdef uint64_t h = _FNV
        cdef Py_UCS4 c
        cdef unsigned char v
        cdef Py_ssize_t k
        for i in range(n + 1):
            if i < n and not (self.mask[i] & bit):
                c = PyUnicode_READ(kind, data, i)
                v = _class_of(c)
                if v & LETTER:
                    if not run:
                        run = True
                        start = i
                        bounded = False
                        h = _FNV
                    h = _mix(h, c)
                    if v & ALPHA:
                        bounded = True
                    continue
            if run:
                run = False
                k = _slot(h)
                if (not bounded) or (self.filler_bloom[k >> 3] & (1 << (k & 7))):
                    if self._filler(s[start:i]):
                        continue
                left += i - start
        return left

    cpdef tuple scan(self, str s):
        """The ``TextVerdict`` fields of folded text ``s``, as ``widgets._scan_folded`` gives them."""
        cdef Py_ssize_t n = len(s)
        self._reserve(n)
        cdef int kind = PyUnicode_KIND(s)
        cdef void *data = PyUnicode_DATA(s)
        cdef Py_ssize_t i, j, t, ntok = 0, words = 0, total = 0, tstart = 0, k, left
        cdef bint in_word = False, in_alpha = False, has_unb = False, cand = False
        cdef bint has_at = False, has_slash = False, has_dot = False, has_sep = False
        cdef uint64_t h = _FNV
        cdef Py_UCS4 c
        cdef unsigned char v
        cdef unsigned char *mask = self.mask
        cdef Py_ssize_t fs, fe
        for i in range(n + 1):
            if i < n:
                c = PyUnicode_READ(kind, data, i)
                v = _class_of(c)
                if v & CJK:
                    words += 1
                    in_word = False
                elif v & WORD:
                    if not in_word:
                        words += 1
                        in_word = True
                else:
                    in_word = False
                if v & SEP:
                    has_sep = True
                if v & LETTER:
                    total += 1
                if v & UNB:
                    has_unb = True
                if c == u'@':
                    has_at = True
                elif c == u'/':
                    has_slash = True
                elif c == u'.':
                    has_dot = True
                if v & ALPHA:
                    if not in_alpha:
                        in_alpha = True
                        tstart = i
                        h = _FNV
                    h = _mix(h, c)
                    continue
            if in_alpha:
                in_alpha = False
                self.starts[ntok] = tstart
                self.ends[ntok] = i
                k = _slot(h)
                if (self.first_bloom[k >> 3] & (1 << (k & 7))) and s[tstart:i] in self.first_words:
                    self.tflag[ntok] = 1
                    cand = True
                else:
                    self.tflag[ntok] = 0
                ntok += 1

        found = None
        if cand:
            found = []
            index = self.index
            prefixes = self.prefixes
            for t in range(ntok):
                if not self.tflag[t]:
                    continue
                word = s[self.starts[t]:self.ends[t]]
                best = index.get((word,))
                best_end = self.ends[t]
                seq = [word]
                for j in range(t + 1, ntok):
                    seq.append(s[self.starts[j]:self.ends[j]])
                    tup = tuple(seq)
                    if tup not in prefixes:
                        break
                    key = index.get(tup)
                    if key is not None:
                        best = key
                        best_end = self.ends[j]
                if best is not None:
                    found.append((self.starts[t], best_end, best))
        if has_unb and self.cjk_find is not None:
            extra = self.cjk_find(s)
            if extra:
                if found is None:
                    found = []
                found.extend(extra)

        table = self.table
        if words > self.max_words:
            if not found:
                return ("", False, 0, 0.0, words, (), False, False)
            hits = set()
            for _, _, key in found:
                hits.update(table[key][0])
            return ("", False, 0, 0.0, words, self._ordered(hits), False, False)

        memset(mask, 0, n + 1)
        if has_at or has_slash or (has_dot and u"www." in s):
            for m in self.skip_re.finditer(s):
                memset(mask + <Py_ssize_t> m.start(), SKIPPED | COVERED,
                       <Py_ssize_t> m.end() - <Py_ssize_t> m.start())

        if not found:
            left = self._left(s, n, COVERED)
            lead = has_sep and self._lead(s, n, words)
            return ("related" if lead else "", False, 0,
                    self.round_(1.0 - (<double> left) / total, 4) if total else 0.0,
                    words, (), lead, False)

        hits = set()
        weights = dict.fromkeys(self.categories, 0)
        strong = set()
        platforms = set()
        evidence = False
        platform = self.platform
        ambiguous = self.ambiguous
        for fs, fe, key in found:
            categories, pid = table[key]
            hits.update(categories)
            if mask[fs] & SKIPPED:
                continue
            evidence = True
            if fe > fs:
                for i in range(fs, fe):
                    mask[i] |= COVERED
            first = categories[0]
            if first != platform:
                weights[first] += len(key)
            if key in ambiguous:
                continue
            if first == platform:
                platforms.add(pid)
            else:
                strong.add(key)
        left = self._left(s, n, COVERED)
        coverage = 1.0 - (<double> left) / total if total else 0.0
        is_covered = evidence and left == 0 and self.code_re.search(s) is None
        strength = 2 * len(strong) + len(platforms)
        category = ""
        if is_covered:
            best_weight = max(weights.values())
            if best_weight:
                for cat in self.tie_order:
                    if weights[cat] == best_weight:
                        category = cat
                        break
            else:
                category = "share"
        lead = (not is_covered) and has_sep and self._lead(s, n, words)
        if lead:
            category = "related"
        return (category, is_covered, strength, self.round_(coverage, 4), words,
                self._ordered(hits), lead, is_covered and not any(weights.values()))

    cdef bint _lead(self, str s, Py_ssize_t n, Py_ssize_t words) except -1:
        if words > self.lead_max or n == 0 or s[0] not in self.lead_first:
            return False
        return self.lead_re.match(s) is not None

    cdef tuple _ordered(self, set hits):
        return tuple([c for c in self.order if c in hits])


cdef inline Py_ssize_t _fold7(Py_UCS4 c):
    return (<Py_ssize_t> c) if c < 127 else 127


cdef class LiteralFilter:
    """Answers "does ``s`` contain any of these literals?" with a bigram bitmap, so a string
    that contains none of them (most links) costs one pass of table look-ups. Literals must be
    at least two characters long."""

    cdef unsigned char bigrams[2048]  # 128 x 128 bits: (first, second) character, folded to 7 bits
    cdef dict buckets  # (first, second) folded -> literals starting with that pair

    def __init__(self, literals):
        memset(self.bigrams, 0, sizeof(self.bigrams))
        self.buckets = {}
        cdef Py_ssize_t key
        for lit in literals:
            if len(lit) < 2:
                raise ValueError("LiteralFilter literals need two characters or more")
            key = _fold7(lit[0]) * 128 + _fold7(lit[1])
            self.bigrams[key >> 3] |= 1 << (key & 7)
            self.buckets.setdefault(key, []).append(lit)

    cpdef bint may_contain(self, str s):
        """False only when ``s`` contains none of the literals, even with tabs and line breaks
        taken out (urlsplit drops those): any tab, CR or LF answers True."""
        cdef Py_ssize_t n = len(s), i, key
        cdef int kind = PyUnicode_KIND(s)
        cdef void *data = PyUnicode_DATA(s)
        cdef Py_UCS4 c
        for i in range(n):
            c = PyUnicode_READ(kind, data, i)
            if c == 9 or c == 10 or c == 13:
                return True
        if n < 2:
            return False
        cdef Py_ssize_t prev = _fold7(PyUnicode_READ(kind, data, 0))
        cdef Py_ssize_t cur
        for i in range(1, n):
            cur = _fold7(PyUnicode_READ(kind, data, i))
            key = prev * 128 + cur
            if self.bigrams[key >> 3] & (1 << (key & 7)):
                for lit in self.buckets[key]:
                    if s.startswith(lit, i - 1):
                        return True
            prev = cur
        return False
