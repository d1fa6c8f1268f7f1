# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled twin of the repeats detector's hot loops (``unboil.detect.repeats`` is the reference).

``split_ascii`` tokenises an ASCII text and builds its comparison key in one pass; other texts
are left to the Python functions. ``fuzzy_edges`` finds the pairs of short blocks the reference
compares (they share a word bigram whose posting list is short enough, at most ``cap`` per block)
by sorting hashed bigrams instead of filling dicts of tuples, verifies every bigram behind a hash
against the tokens (a collision returns None: the caller then runs the reference), and tests
each pair with the reference's very checks. ``aligned`` is difflib's alignment count, computed
by the same recursion on small integer arrays.
"""

from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject
from libc.stdint cimport int32_t, uint64_t
from libc.stdlib cimport free, malloc, qsort
from libc.string cimport memcpy


cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object)
    const unsigned char* PyUnicode_1BYTE_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    object PyUnicode_FromStringAndSize(const char*, Py_ssize_t)
    Py_ssize_t PyObject_Hash(object) except -1
    object PyUnicode_New(Py_ssize_t, Py_UCS4)
    unsigned char* PyUnicode_1BYTE_DATA_W "PyUnicode_1BYTE_DATA"(object)


cdef unsigned char _WORD[128]   # [A-Za-z0-9_]  (\w on ASCII)
cdef unsigned char _ALNUM[128]  # [A-Za-z0-9]   (kept by comparison_key)


cdef void _tables():
    cdef int c
    for c in range(128):
        _ALNUM[c] = (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122)
        _WORD[c] = _ALNUM[c] or c == 95


_tables()


cdef inline unsigned char _lower(unsigned char c):
    return c + 32 if 65 <= c <= 90 else c


def split_ascii(str text):
    """``(tokens, key)`` of an ASCII text as ``_tokens`` and ``comparison_key`` give; else None."""
    if not PyUnicode_IS_ASCII(text):
        return None
    return _split_ascii(text)


cdef inline str _ascii_str(const char* chars, Py_ssize_t size):
    cdef str out = PyUnicode_New(size, 127)
    memcpy(PyUnicode_1BYTE_DATA_W(out), chars, size)
    return out


cdef tuple _split_ascii(str text):
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
    cdef const unsigned char* data = PyUnicode_1BYTE_DATA(text)
    cdef char small[1024]
    cdef char* buf = small
    if 2 * n + 2 > 1024:
        buf = <char*> malloc(2 * n + 2)
        if buf == NULL:
            raise MemoryError()
    cdef char* key = buf + n + 1
    cdef Py_ssize_t i = 0, start, k = 0
    cdef unsigned char c
    cdef list tokens = []
    cdef bint underscore = False
    try:
        # tokens: runs of [a-z0-9_] of the lowered text; the key: runs of [a-z0-9], one space apart
        while i < n:
            c = data[i]
            if _WORD[c]:
                start = i
                while i < n and _WORD[data[i]]:
                    c = data[i]
                    buf[i] = <char> _lower(c)
                    underscore |= c == 95
                    i += 1
                tokens.append(_ascii_str(buf + start, i - start))
            else:
                i += 1
        if not underscore:
            for i in range(PyList_GET_SIZE(tokens)):
                if k:
                    key[k] = 32
                    k += 1
                start = PyUnicode_GET_LENGTH(<object> PyList_GET_ITEM(tokens, i))
                memcpy(key + k, PyUnicode_1BYTE_DATA(<object> PyList_GET_ITEM(tokens, i)), start)
                k += start
        else:
            i = 0
            while i < n:
                if _ALNUM[data[i]]:
                    if k:
                        key[k] = 32
                        k += 1
                    while i < n and _ALNUM[data[i]]:
                        key[k] = <char> _lower(data[i])
                        k += 1
                        i += 1
                else:
                    i += 1
        return tokens, _ascii_str(key, k)
    finally:
        if buf != small:
            free(buf)


ctypedef struct Entry:
    uint64_t key
    int32_t block
    int32_t pos


cdef int _by_key(const void* a, const void* b) noexcept nogil:
    cdef const Entry* x = <const Entry*> a
    cdef const Entry* y = <const Entry*> b
    if x.key != y.key:
        return -1 if x.key < y.key else 1
    if x.block != y.block:
        return -1 if x.block < y.block else 1
    return (x.pos > y.pos) - (x.pos < y.pos)


cdef int _by_pair(const void* a, const void* b) noexcept nogil:
    cdef uint64_t x = (<const uint64_t*> a)[0]
    cdef uint64_t y = (<const uint64_t*> b)[0]
    return (x > y) - (x < y)


cdef inline uint64_t _mix(uint64_t a, uint64_t b):
    cdef uint64_t h = a * 0x9E3779B97F4A7C15ULL
    h ^= (h >> 32)
    h ^= b * 0xC2B2AE3D27D4EB4FULL
    return h ^ (h >> 29)


cdef int32_t _find(int32_t* parent, int32_t i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def fuzzy_edges(list tokens, list roots, Py_ssize_t low, Py_ssize_t high, Py_ssize_t max_freq,
                Py_ssize_t cap, double ratio, double similarity):
    """The pairs ``(i, j)`` the reference's fuzzy grouping joins, in its order; None on a collision.

    ``roots`` holds each block's group root before fuzzy grouping (pairs already in one group
    are not compared, as in the reference).
    """
    cdef Py_ssize_t n = PyList_GET_SIZE(tokens)
    cdef Py_ssize_t i, j, k, m, total = 0, used = 0, start, end, distinct, npairs = 0, x, y
    cdef Py_ssize_t size_a, size_b, count, aligned_count
    cdef list toks, a_toks, b_toks, shorter, longer
    cdef Entry* entries = NULL
    cdef uint64_t* pairs = NULL
    cdef int32_t* parent = NULL
    cdef int32_t* members = NULL
    cdef object first_a, first_b
    cdef set shared
    cdef list edges = []
    cdef int32_t ri, rj, last_i
    cdef Py_ssize_t taken
    for i in range(n):
        m = PyList_GET_SIZE(<list> PyList_GET_ITEM(tokens, i))
        if low <= m <= high and m > 1:
            total += m - 1
    if total == 0:
        return edges
    entries = <Entry*> malloc(total * sizeof(Entry))
    members = <int32_t*> malloc((max_freq + 1) * sizeof(int32_t))
    parent = <int32_t*> malloc(n * sizeof(int32_t))
    if entries == NULL or members == NULL or parent == NULL:
        free(entries); free(members); free(parent)
        raise MemoryError()
    try:
        for i in range(n):
            toks = <list> PyList_GET_ITEM(tokens, i)
            m = PyList_GET_SIZE(toks)
            if not (low <= m <= high) or m < 2:
                continue
            for k in range(m - 1):
                entries[used].key = _mix(<uint64_t> PyObject_Hash(<object> PyList_GET_ITEM(toks, k)),
                                         <uint64_t> PyObject_Hash(<object> PyList_GET_ITEM(toks, k + 1)))
                entries[used].block = <int32_t> i
                entries[used].pos = <int32_t> k
                used += 1
        qsort(entries, used, sizeof(Entry), _by_key)
        # groups of equal keys: verify the bigram, count distinct blocks, emit the later pairs
        start = 0
        while start < used:
            end = start + 1
            while end < used and entries[end].key == entries[start].key:
                end += 1
            toks = <list> PyList_GET_ITEM(tokens, entries[start].block)
            first_a = <object> PyList_GET_ITEM(toks, entries[start].pos)
            first_b = <object> PyList_GET_ITEM(toks, entries[start].pos + 1)
            distinct = 0
            last_i = -1
            for k in range(start, end):
                if k > start:
                    toks = <list> PyList_GET_ITEM(tokens, entries[k].block)
                    if not (<object> PyList_GET_ITEM(toks, entries[k].pos) == first_a
                            and <object> PyList_GET_ITEM(toks, entries[k].pos + 1) == first_b):
                        return None  # two bigrams share a hash: let the reference decide
                if entries[k].block != last_i:
                    last_i = entries[k].block
                    if distinct < max_freq + 1:
                        members[distinct] = last_i
                    distinct += 1
            if 1 < distinct <= max_freq:
                npairs += distinct * (distinct - 1) // 2
            start = end
        if npairs == 0:
            return edges
        pairs = <uint64_t*> malloc(npairs * sizeof(uint64_t))
        if pairs == NULL:
            raise MemoryError()
        npairs = 0
        start = 0
        while start < used:
            end = start + 1
            while end < used and entries[end].key == entries[start].key:
                end += 1
            distinct = 0
            last_i = -1
            for k in range(start, end):
                if entries[k].block != last_i:
                    last_i = entries[k].block
                    if distinct < max_freq + 1:
                        members[distinct] = last_i
                    distinct += 1
            if 1 < distinct <= max_freq:
                for x in range(distinct - 1):
                    for y in range(x + 1, distinct):
                        pairs[npairs] = (<uint64_t> members[x] << 32) | <uint64_t> members[y]
                        npairs += 1
            start = end
        qsort(pairs, npairs, sizeof(uint64_t), _by_pair)
        for i in range(n):
            parent[i] = <int32_t> <Py_ssize_t> roots[i]
        k = 0
        while k < npairs:
            i = <Py_ssize_t> (pairs[k] >> 32)
            taken = 0
            while k < npairs and <Py_ssize_t> (pairs[k] >> 32) == i:
                if k > 0 and pairs[k] == pairs[k - 1]:
                    k += 1
                    continue
                j = <Py_ssize_t> (pairs[k] & 0xFFFFFFFFULL)
                k += 1
                if taken >= cap:
                    continue
                taken += 1
                ri = _find(parent, <int32_t> i)
                rj = _find(parent, <int32_t> j)
                if ri == rj:
                    continue
                a_toks = <list> PyList_GET_ITEM(tokens, i)
                b_toks = <list> PyList_GET_ITEM(tokens, j)
                size_a = PyList_GET_SIZE(a_toks)
                size_b = PyList_GET_SIZE(b_toks)
                if size_a <= size_b:
                    shorter, longer = a_toks, b_toks
                else:
                    shorter, longer = b_toks, a_toks
                size_a = PyList_GET_SIZE(shorter)
                size_b = PyList_GET_SIZE(longer)
                if size_a < ratio * size_b:
                    continue
                shared = set(longer)
                count = 0
                for x in range(size_a):
                    if <object> PyList_GET_ITEM(shorter, x) in shared:
                        count += 1
                if count < similarity * size_a:
                    continue
                if shorter == longer:
                    aligned_count = size_a
                else:
                    aligned_count = _aligned(shorter, longer)
                if <double> aligned_count / <double> size_a >= similarity:
                    edges.append((i, j))
                    if ri < rj:
                        parent[rj] = ri
                    else:
                        parent[ri] = rj
        return edges
    finally:
        free(entries)
        free(members)
        free(parent)
        free(pairs)


def aligned(list a, list b):
    """``sum(size for *_, size in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())``.

    The same recursion as difflib: the longest common run (the earliest in ``a``, then in ``b``,
    on ties), then the same on the parts before and after it.
    """
    return _aligned(a, b)


cdef Py_ssize_t _aligned(list a, list b) except -1:
    cdef Py_ssize_t la = PyList_GET_SIZE(a), lb = PyList_GET_SIZE(b), i, j
    if la == 0 or lb == 0:
        return 0
    cdef dict ids = {}
    cdef object token, found
    cdef int32_t* av = <int32_t*> malloc((la + lb) * sizeof(int32_t))
    cdef int32_t* rows = <int32_t*> malloc(2 * (lb + 1) * sizeof(int32_t))
    if av == NULL or rows == NULL:
        free(av); free(rows)
        raise MemoryError()
    cdef int32_t* bv = av + la
    cdef Py_ssize_t total
    try:
        for j in range(lb):
            token = <object> PyList_GET_ITEM(b, j)
            found = ids.get(token)
            if found is None:
                found = len(ids)
                ids[token] = found
            bv[j] = <int32_t> <Py_ssize_t> found
        for i in range(la):
            found = ids.get(<object> PyList_GET_ITEM(a, i))
            av[i] = -1 if found is None else <int32_t> <Py_ssize_t> found
        total = _matching(av, bv, rows, 0, la, 0, lb)
        return total
    finally:
        free(av)
        free(rows)


cdef Py_ssize_t _matching(const int32_t* a, const int32_t* b, int32_t* rows,
                          Py_ssize_t alo, Py_ssize_t ahi, Py_ssize_t blo, Py_ssize_t bhi):
    """Sum of the matching block sizes of a[alo:ahi] against b[blo:bhi] (difflib's recursion)."""
    cdef Py_ssize_t total = 0, i, j, besti, bestj, bestsize, k, width
    cdef int32_t* prev
    cdef int32_t* cur
    cdef int32_t* swap
    cdef int32_t x
    while alo < ahi and blo < bhi:
        besti, bestj, bestsize = alo, blo, 0
        width = bhi - blo
        prev = rows
        cur = rows + width + 1
        for j in range(width + 1):
            prev[j] = 0
        for i in range(alo, ahi):
            x = a[i]
            cur[0] = 0
            for j in range(blo, bhi):
                if b[j] == x and x >= 0:
                    k = prev[j - blo] + 1
                    cur[j - blo + 1] = <int32_t> k
                    if k > bestsize:
                        besti, bestj, bestsize = i - k + 1, j - k + 1, k
                else:
                    cur[j - blo + 1] = 0
            swap = prev
            prev = cur
            cur = swap
        if bestsize == 0:
            break
        total += bestsize
        # the part before the match recursively, the part after it by looping
        if alo < besti and blo < bestj:
            total += _matching(a, b, rows, alo, besti, blo, bestj)
        alo = besti + bestsize
        blo = bestj + bestsize
    return total


cdef extern from "Python.h":
    int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    Py_UCS4 PyUnicode_READ(int, void*, Py_ssize_t)
    bint Py_UNICODE_ISALNUM(Py_UCS4)
    object PyUnicode_Substring(object, Py_ssize_t, Py_ssize_t)


import unicodedata as _unicodedata

_normalize = _unicodedata.normalize


cdef list _runs(str text, bint underscore):
    """Runs of word characters (``\\w``: alphanumeric, plus "_" when ``underscore``) of ``text``."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, start
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_UCS4 c
    cdef list out = []
    while i < n:
        c = PyUnicode_READ(kind, data, i)
        if Py_UNICODE_ISALNUM(c) or (underscore and c == 95):
            start = i
            i += 1
            while i < n:
                c = PyUnicode_READ(kind, data, i)
                if not (Py_UNICODE_ISALNUM(c) or (underscore and c == 95)):
                    break
                i += 1
            out.append(PyUnicode_Substring(text, start, i))
        else:
            i += 1
    return out


cdef bint _has_zero_width(str text):
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_UCS4 c
    for i in range(n):
        c = PyUnicode_READ(kind, data, i)
        if c == 0x200B or c == 0x200C or c == 0x200D or c == 0x2060 or c == 0xFEFF:
            return True
    return False


def split_all(list blocks, comparison_key):
    """``[_tokens(b.text)]`` and ``[comparison_key(b.text)]`` for every block.

    Tokens are the ``\\w+`` runs of NFKC(text).lower(); the key is the alphanumeric runs of
    NFKC(text).casefold() joined by one space (the regex module's ``\\w`` is exactly "alphanumeric
    or underscore", and no such character is whitespace). A text holding zero-width characters,
    which comparison_key strips before normalising, gets its key from ``comparison_key`` itself.
    """
    cdef list tokens = [], keys = []
    cdef object pair
    cdef str text, folded
    for block in blocks:
        text = block.text
        pair = _split_ascii(text) if PyUnicode_IS_ASCII(text) else None
        if pair is not None:
            tokens.append((<tuple> pair)[0])
            keys.append((<tuple> pair)[1])
            continue
        folded = _normalize("NFKC", text)
        tokens.append(_runs(folded.lower(), True))
        if _has_zero_width(text):
            keys.append(comparison_key(text))
        else:
            keys.append(" ".join(_runs(folded.casefold(), False)))
    return tokens, keys


cdef Py_ssize_t _root(list parent, Py_ssize_t i) except -1:
    cdef Py_ssize_t p
    while True:
        p = <Py_ssize_t> parent[i]
        if p == i:
            return i
        parent[i] = parent[p]
        i = <Py_ssize_t> parent[p]


def union_exact(list keys, list parent):
    """Join blocks whose non-empty keys are equal into the first such block's group."""
    cdef dict first = {}
    cdef Py_ssize_t i, j, ri, rj
    cdef object key, found
    for i in range(PyList_GET_SIZE(keys)):
        key = <object> PyList_GET_ITEM(keys, i)
        if not key:
            continue
        found = first.get(key)
        if found is None:
            first[key] = i
            continue
        j = <Py_ssize_t> found
        ri = _root(parent, j)
        rj = _root(parent, i)
        if ri != rj:
            if ri < rj:
                parent[rj] = ri
            else:
                parent[ri] = rj


def title_scan(list blocks, list tokens, set title_set, bint has_title, double reject_below,
               double floor, rounder):
    """Write the title signals of blocks the cheap overlap test rejects; return the other indices.

    For a rejected block (title_match's first test) the signals are those title_match gives:
    similarity ``round(min(overlap * 0.5, floor), 4)``, containment 0.0, no copy, not the title.
    A block without tokens (or a page without a title) gets title_match's (0.0, False, False).
    """
    cdef list rest = []
    cdef Py_ssize_t i, j, count, m
    cdef list toks
    cdef set distinct
    cdef dict signals
    cdef double overlap
    cdef object token
    cdef object empty_sim = rounder(0.0, 4)
    cdef object none_shared = rounder(min(0.0 * 0.5, floor), 4)
    cdef object similarity
    cdef object zero = 0.0
    for i in range(PyList_GET_SIZE(blocks)):
        toks = <list> PyList_GET_ITEM(tokens, i)
        m = PyList_GET_SIZE(toks)
        if m == 0 or not has_title:
            similarity = empty_sim
        else:
            # most blocks share no word with the title: no set needed to know the overlap is 0
            count = 0
            for j in range(m):
                if <object> PyList_GET_ITEM(toks, j) in title_set:
                    count = 1
                    break
            if count == 0:
                similarity = none_shared if 0.0 < reject_below else None
            else:
                distinct = set(toks)
                count = 0
                for token in distinct:
                    if token in title_set:
                        count += 1
                overlap = <double> count / <double> len(distinct)
                similarity = rounder(min(overlap * 0.5, floor), 4) if overlap < reject_below else None
            if similarity is None:
                rest.append(i)
                continue
        signals = (<object> PyList_GET_ITEM(blocks, i)).signals
        signals["title_similarity"] = similarity
        signals["title_containment"] = zero
        signals["repeat_of_title"] = False
        signals["is_title"] = False
    return rest


def write_groups(list blocks, list parent):
    """Write repeat_group / repeat_size / repeat_first from the final groups."""
    cdef Py_ssize_t n = PyList_GET_SIZE(blocks), i, r, next_id = 0
    cdef Py_ssize_t* roots = <Py_ssize_t*> malloc(4 * (n + 1) * sizeof(Py_ssize_t))
    if roots == NULL:
        raise MemoryError()
    cdef Py_ssize_t* size = roots + n + 1
    cdef Py_ssize_t* first = size + n + 1
    cdef Py_ssize_t* ids = first + n + 1
    cdef dict signals
    try:
        for i in range(n):
            size[i] = 0
            ids[i] = -1
        for i in range(n):
            r = _root(parent, i)
            roots[i] = r
            if size[r] == 0:
                first[r] = i
            size[r] += 1
        for i in range(n):  # group ids in order of each group's first block
            r = roots[i]
            if size[r] > 1 and first[r] == i:
                ids[r] = next_id
                next_id += 1
        for i in range(n):
            r = roots[i]
            signals = (<object> PyList_GET_ITEM(blocks, i)).signals
            signals["repeat_group"] = ids[r]
            signals["repeat_size"] = size[r]
            signals["repeat_first"] = first[r] == i
    finally:
        free(roots)
