# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled twin of the repeats detector's hot loops (``unboil.detect.repeats`` is the reference).

``TokenPage`` tokenises every block of a page once, as ``_tokens`` does, but interns the tokens
as small integers in a per-page table instead of building Python strings (only the few blocks
that need ``title_match`` ask for strings), and builds each block's ``comparison_key``. On those
integers it runs the cheap title-overlap test of ``title_match`` and the fuzzy grouping: word
bigrams are exact id pairs, sorted instead of hashed into dicts, and each candidate pair gets the
reference's very checks, with difflib's alignment count computed by the same recursion.
``write_groups`` writes the group signals.
"""

from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject
from libc.stdint cimport int32_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy
from libc.math cimport fabs, floor as c_floor


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


ctypedef struct Entry:
    uint64_t key
    int32_t block
    int32_t pos


ctypedef fused Keyed:
    Entry
    uint64_t


cdef inline uint64_t _key(Keyed* items, Py_ssize_t i) noexcept:
    """The sort key of item ``i``: a bigram entry's ``key``, a block pair's own value."""
    if Keyed is Entry:
        return items[i].key
    else:
        return items[i]


cdef int _counting_sort(Keyed* items, Py_ssize_t used, Py_ssize_t bound) except -1:
    """Sort ``items`` ascending by their 64-bit key, whose two 32-bit halves are both at most
    ``bound``: two stable counting sorts, low half first. Equal keys keep their order, so bigram
    entries stay in (block, position) order and block pairs come out as ``qsort`` by value gives."""
    cdef Py_ssize_t* counts = <Py_ssize_t*> malloc((bound + 1) * sizeof(Py_ssize_t))
    cdef Keyed* tmp = <Keyed*> malloc(used * sizeof(Keyed))
    cdef Keyed* src
    cdef Keyed* dst
    cdef Py_ssize_t i, t, total, c
    cdef int shift, round_
    if counts == NULL or tmp == NULL:
        free(counts); free(tmp)
        raise MemoryError()
    try:
        for round_ in range(2):
            shift = 0 if round_ == 0 else 32
            src = items if round_ == 0 else tmp
            dst = tmp if round_ == 0 else items
            for t in range(bound + 1):
                counts[t] = 0
            for i in range(used):
                counts[<Py_ssize_t> ((_key(src, i) >> shift) & 0xFFFFFFFFULL)] += 1
            total = 0
            for t in range(bound + 1):
                c = counts[t]
                counts[t] = total
                total += c
            for i in range(used):
                t = <Py_ssize_t> ((_key(src, i) >> shift) & 0xFFFFFFFFULL)
                dst[counts[t]] = src[i]
                counts[t] += 1
    finally:
        free(counts)
        free(tmp)
    return 0


cdef object _py_round = round


cdef double _round4(double x) except? -1.0:
    """``round(x, 4)`` exactly: x * 10000 rounded half to even, unless ``x`` lies within a hair
    of a tie (or outside 0..1e6), where ``round`` itself decides."""
    cdef double y, f, frac
    if not (0.0 <= x <= 1e6):
        return _py_round(x, 4)
    y = x * 10000.0
    f = c_floor(y)
    frac = y - f
    if fabs(frac - 0.5) < 1e-6:
        return _py_round(x, 4)
    if frac > 0.5:
        f += 1.0
    return f / 10000.0


cdef inline object _rounded(object rounder, double x):
    """``rounder(x, 4)``; the builtin ``round`` without the call (its decimal conversion is
    most of the title signals' cost)."""
    if rounder is _py_round:
        return _round4(x)
    return rounder(x, 4)


def round4(double x):
    """``round(x, 4)`` as the kernel computes it (for tests)."""
    return _round4(x)


cdef int32_t _find(int32_t* parent, int32_t i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


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


cdef extern from "Python.h":
    Py_UCS4 Py_UNICODE_TOLOWER(Py_UCS4)


_is_normalized = _unicodedata.is_normalized

cdef enum:
    KNOWN = 1
    SIMPLE = 2
    ALNUM = 4  # the lowered character is alphanumeric

cdef unsigned char _simple_cls[0x110000]
cdef Py_UCS4 _lower_bmp[0x10000]  # Py_UNICODE_TOLOWER of the simple BMP characters seen


cdef unsigned char _simple_class(Py_UCS4 c) except 0:
    """KNOWN, plus SIMPLE when ``c`` lowers and case-folds to the same single character (the
    simple lower mapping), is no zero-width character and not capital sigma (whose lowering
    depends on its neighbours), plus ALNUM when that character is alphanumeric; learnt from
    str.lower / str.casefold the first time a character is seen."""
    cdef unsigned char v = _simple_cls[c]
    cdef str ch
    if v == 0:
        ch = chr(c)
        low = ch.lower()
        v = KNOWN
        if (len(low) == 1 and ch.casefold() == low and ord(low) == Py_UNICODE_TOLOWER(c)
                and c not in (0x03A3, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)):
            v |= SIMPLE
            if Py_UNICODE_ISALNUM(Py_UNICODE_TOLOWER(c)):
                v |= ALNUM
            if c < 0x10000:
                _lower_bmp[c] = Py_UNICODE_TOLOWER(c)
        _simple_cls[c] = v
    return v


cdef str _key_of(str folded):
    """The alphanumeric runs of ``folded`` joined by one space (comparison_key's last step)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(folded), i = 0, k = 0
    cdef int kind = PyUnicode_KIND(folded)
    cdef void* data = PyUnicode_DATA(folded)
    cdef Py_UCS4 c
    cdef Py_UCS4 small[512]
    cdef Py_UCS4* buf = small
    if n > 512:
        buf = <Py_UCS4*> malloc(n * sizeof(Py_UCS4))
        if buf == NULL:
            raise MemoryError()
    try:
        while i < n:
            c = PyUnicode_READ(kind, data, i)
            if Py_UNICODE_ISALNUM(c):
                if k:
                    buf[k] = 32
                    k += 1
                buf[k] = c
                k += 1
                i += 1
                while i < n:
                    c = PyUnicode_READ(kind, data, i)
                    if not Py_UNICODE_ISALNUM(c):
                        break
                    buf[k] = c
                    k += 1
                    i += 1
            else:
                i += 1
        return PyUnicode_FromKindAndData(4, buf, k)
    finally:
        if buf != small:
            free(buf)


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


cdef Py_UCS4 _last_char(str text):
    """The last character of ``text`` once closing quotes, brackets and spaces are stripped
    (``_last_char`` in repeats.py); 0 when nothing is left."""
    cdef Py_ssize_t i = PyUnicode_GET_LENGTH(text) - 1
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_UCS4 c
    while i >= 0:
        c = PyUnicode_READ(kind, data, i)
        if not (c == 32 or c == 9 or c == 10 or c == 34 or c == 39 or c == 0x201D or c == 0x2019
                or c == 0xBB or c == 41 or c == 93):
            return c
        i -= 1
    return 0


cdef inline bint _sentence_end(Py_UCS4 c):
    """``c in ".!?:;。！？："`` (repeats._SENTENCE_END)."""
    return (c == 46 or c == 33 or c == 63 or c == 58 or c == 59 or c == 0x3002 or c == 0xFF01
            or c == 0xFF1F or c == 0xFF1A)


cdef Py_ssize_t _root(list parent, Py_ssize_t i) except -1:
    cdef Py_ssize_t p
    while True:
        p = <Py_ssize_t> parent[i]
        if p == i:
            return i
        parent[i] = parent[p]
        i = <Py_ssize_t> parent[p]


def shingle_hashes(str key, xxh3):
    """``{s: xxh3(s.encode("utf-8")) for s in char_shingles(key, 4)}`` for a folded key (single
    spaces, no whitespace at either end, as ``comparison_key`` returns it)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(key), j
    cdef dict out = {}
    cdef object shingle
    if n == 0:
        return out
    if n <= 4:
        out[key] = xxh3(key.encode("utf-8"))
        return out
    for j in range(n - 3):
        shingle = PyUnicode_Substring(key, j, j + 4)
        if shingle not in out:
            out[shingle] = xxh3(shingle.encode("utf-8"))
    return out


def write_groups(list signal_dicts, list parent):
    """Write repeat_group / repeat_size / repeat_first into each block's signals."""
    cdef Py_ssize_t n = PyList_GET_SIZE(signal_dicts), i, r, next_id = 0
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
            signals = <dict> PyList_GET_ITEM(signal_dicts, i)
            signals["repeat_group"] = ids[r]
            signals["repeat_size"] = size[r]
            signals["repeat_first"] = first[r] == i
    finally:
        free(roots)


cdef extern from "Python.h":
    object PyUnicode_FromKindAndData(int, const void*, Py_ssize_t)
    int PyUnicode_4BYTE_KIND


from libc.stdlib cimport realloc


cdef int _grow(void** buf, Py_ssize_t* cap, Py_ssize_t need, size_t item) except -1:
    cdef Py_ssize_t new_cap
    cdef void* grown
    if need <= cap[0]:
        return 0
    new_cap = cap[0] * 2 if cap[0] else 64
    while new_cap < need:
        new_cap *= 2
    grown = realloc(buf[0], new_cap * item)
    if grown == NULL:
        raise MemoryError()
    buf[0] = grown
    cap[0] = new_cap
    return 0


cdef class TokenPage:
    """One page's block tokens as small integers (equal tokens get equal ids), plus their keys.

    Tokens are those of ``_tokens`` (the ``\\w+`` runs of NFKC(text).lower()); they are interned
    into a per-page table instead of becoming Python strings, which only the few blocks that need
    ``title_match`` ask for (``tokens(i)``). ``keys`` holds every block's ``comparison_key``.
    """

    cdef Py_UCS4* chars
    cdef Py_ssize_t nchars, cap_chars
    cdef Py_ssize_t* type_off
    cdef int32_t* type_len
    cdef uint64_t* type_hash
    cdef Py_ssize_t ntypes, cap_types, cap_len, cap_hash
    cdef int32_t* table
    cdef Py_ssize_t table_size
    cdef int32_t* ids
    cdef Py_ssize_t nids, cap_ids
    cdef Py_ssize_t* starts
    cdef Py_ssize_t n
    cdef int32_t* stamp
    cdef int32_t generation
    cdef unsigned char* in_title
    cdef list strings
    cdef Py_UCS4* kchars  # every block's comparison key, one after the other
    cdef Py_ssize_t nkchars, cap_kchars
    cdef Py_ssize_t* kstarts
    cdef int32_t* title_ids
    cdef Py_ssize_t ntitle
    cdef public list signals  # every block's signal dict
    cdef public bint has_title

    def __cinit__(self):
        self.chars = NULL
        self.type_off = NULL
        self.type_len = NULL
        self.type_hash = NULL
        self.table = NULL
        self.ids = NULL
        self.starts = NULL
        self.stamp = NULL
        self.in_title = NULL
        self.kchars = NULL
        self.kstarts = NULL
        self.title_ids = NULL

    def __dealloc__(self):
        free(self.chars); free(self.type_off); free(self.type_len); free(self.type_hash)
        free(self.table); free(self.ids); free(self.starts); free(self.stamp); free(self.in_title)
        free(self.kchars); free(self.kstarts); free(self.title_ids)

    def __init__(self, list blocks, list title_tokens, comparison_key):
        cdef Py_ssize_t i, j, n = PyList_GET_SIZE(blocks), m
        cdef str text, folded, low
        cdef object key, block
        cdef char small[1024]
        cdef char* buf
        self.n = n
        self.signals = []
        self.starts = <Py_ssize_t*> malloc((n + 1) * sizeof(Py_ssize_t))
        self.kstarts = <Py_ssize_t*> malloc((n + 1) * sizeof(Py_ssize_t))
        if self.starts == NULL or self.kstarts == NULL:
            raise MemoryError()
        self._rehash(256)
        for i in range(n):
            self.starts[i] = self.nids
            self.kstarts[i] = self.nkchars
            block = <object> PyList_GET_ITEM(blocks, i)
            text = block.text
            self.signals.append(block.signals)
            if PyUnicode_IS_ASCII(text):
                m = PyUnicode_GET_LENGTH(text)
                if m < 1024:
                    buf = small
                else:
                    buf = <char*> malloc(m + 1)
                if buf == NULL:
                    raise MemoryError()
                try:
                    self._ascii(text, buf)
                finally:
                    if buf != small:
                        free(buf)
            elif self._simple(text):
                pass
            else:
                folded = _normalize("NFKC", text)
                low = folded.lower()
                self._runs(PyUnicode_KIND(low), PyUnicode_DATA(low), PyUnicode_GET_LENGTH(low))
                if _has_zero_width(text):
                    key = comparison_key(text)
                else:
                    key = _key_of(folded.casefold())
                self._key_str(key)
        self.starts[n] = self.nids
        self.kstarts[n] = self.nkchars
        self.has_title = PyList_GET_SIZE(title_tokens) > 0
        cdef Py_ssize_t before = self.ntypes
        cdef list title_ids = []
        for j in range(PyList_GET_SIZE(title_tokens)):
            low = <str> PyList_GET_ITEM(title_tokens, j)
            title_ids.append(self._intern(PyUnicode_KIND(low), PyUnicode_DATA(low), 0,
                                          PyUnicode_GET_LENGTH(low)))
        self.in_title = <unsigned char*> malloc(self.ntypes + 1)
        self.stamp = <int32_t*> malloc((self.ntypes + 1) * sizeof(int32_t))
        if self.in_title == NULL or self.stamp == NULL:
            raise MemoryError()
        for j in range(self.ntypes + 1):
            self.in_title[j] = 0
            self.stamp[j] = 0
        self.ntitle = len(title_ids)
        self.title_ids = <int32_t*> malloc((self.ntitle + 1) * sizeof(int32_t))
        if self.title_ids == NULL:
            raise MemoryError()
        for j in range(self.ntitle):
            self.title_ids[j] = <int32_t> <Py_ssize_t> title_ids[j]
            self.in_title[self.title_ids[j]] = 1
        self.generation = 0
        self.strings = None  # token strings, made on demand by tokens()

    cdef int _rehash(self, Py_ssize_t size) except -1:
        cdef Py_ssize_t i, slot, mask = size - 1
        free(self.table)
        self.table = <int32_t*> malloc(size * sizeof(int32_t))
        if self.table == NULL:
            raise MemoryError()
        self.table_size = size
        for i in range(size):
            self.table[i] = -1
        for i in range(self.ntypes):
            slot = <Py_ssize_t> (self.type_hash[i] & <uint64_t> mask)
            while self.table[slot] != -1:
                slot = (slot + 1) & mask
            self.table[slot] = <int32_t> i
        return 0

    cdef int32_t _intern(self, int kind, void* data, Py_ssize_t start, Py_ssize_t length) except -1:
        cdef uint64_t h = 1469598103934665603ULL
        cdef Py_ssize_t i, slot, mask = self.table_size - 1, off
        cdef int32_t t
        cdef Py_UCS4* stored
        for i in range(start, start + length):
            h = (h ^ <uint64_t> PyUnicode_READ(kind, data, i)) * 1099511628211ULL
        h ^= h >> 31
        slot = <Py_ssize_t> (h & <uint64_t> mask)
        while True:
            t = self.table[slot]
            if t == -1:
                break
            if self.type_hash[t] == h and self.type_len[t] == length:
                stored = self.chars + self.type_off[t]
                for i in range(length):
                    if stored[i] != PyUnicode_READ(kind, data, start + i):
                        break
                else:
                    return t
            slot = (slot + 1) & mask
        return self._insert(h, slot, kind, data, start, length)

    cdef int32_t _insert(self, uint64_t h, Py_ssize_t slot, int kind, const void* data,
                         Py_ssize_t start, Py_ssize_t length) except -1:
        """Add a new token type (hash ``h``) at the free table ``slot`` a probe ended on."""
        cdef Py_ssize_t i, off
        cdef int32_t t
        _grow(<void**> &self.chars, &self.cap_chars, self.nchars + length, sizeof(Py_UCS4))
        _grow(<void**> &self.type_off, &self.cap_types, self.ntypes + 1, sizeof(Py_ssize_t))
        _grow(<void**> &self.type_len, &self.cap_len, self.ntypes + 1, sizeof(int32_t))
        _grow(<void**> &self.type_hash, &self.cap_hash, self.ntypes + 1, sizeof(uint64_t))
        off = self.nchars
        for i in range(length):
            self.chars[off + i] = PyUnicode_READ(kind, data, start + i)
        self.nchars += length
        t = <int32_t> self.ntypes
        self.type_off[t] = off
        self.type_len[t] = <int32_t> length
        self.type_hash[t] = h
        self.ntypes += 1
        self.table[slot] = t
        if 2 * self.ntypes > self.table_size:
            self._rehash(2 * self.table_size)
        return t

    cdef int32_t _intern_ucs4(self, const Py_UCS4* chars, Py_ssize_t length) except -1:
        """``_intern`` for a run of UCS4 characters (the same hash, so both find the same type)."""
        cdef uint64_t h = 1469598103934665603ULL
        cdef Py_ssize_t i, slot, mask = self.table_size - 1
        cdef int32_t t
        cdef Py_UCS4* stored
        for i in range(length):
            h = (h ^ <uint64_t> chars[i]) * 1099511628211ULL
        h ^= h >> 31
        slot = <Py_ssize_t> (h & <uint64_t> mask)
        while True:
            t = self.table[slot]
            if t == -1:
                return self._insert(h, slot, PyUnicode_4BYTE_KIND, chars, 0, length)
            if self.type_hash[t] == h and self.type_len[t] == length:
                stored = self.chars + self.type_off[t]
                for i in range(length):
                    if stored[i] != chars[i]:
                        break
                else:
                    return t
            slot = (slot + 1) & mask

    cdef int32_t _probe_ascii(self, const char* chars, Py_ssize_t length, uint64_t h) except -1:
        """``_intern`` for a run of ASCII bytes whose hash (the same as ``_intern``'s) is known."""
        cdef Py_ssize_t i, slot, mask = self.table_size - 1
        cdef int32_t t
        cdef Py_UCS4* stored
        slot = <Py_ssize_t> (h & <uint64_t> mask)
        while True:
            t = self.table[slot]
            if t == -1:
                return self._insert(h, slot, 1, chars, 0, length)
            if self.type_hash[t] == h and self.type_len[t] == length:
                stored = self.chars + self.type_off[t]
                for i in range(length):
                    if stored[i] != <Py_UCS4> <unsigned char> chars[i]:
                        break
                else:
                    return t
            slot = (slot + 1) & mask

    cdef inline int _add(self, int32_t t) except -1:
        if self.nids >= self.cap_ids:
            _grow(<void**> &self.ids, &self.cap_ids, self.nids + 1, sizeof(int32_t))
        self.ids[self.nids] = t
        self.nids += 1
        return 0

    cdef int _key_str(self, str key) except -1:
        cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(key)
        cdef int kind = PyUnicode_KIND(key)
        cdef void* data = PyUnicode_DATA(key)
        _grow(<void**> &self.kchars, &self.cap_kchars, self.nkchars + n, sizeof(Py_UCS4))
        for i in range(n):
            self.kchars[self.nkchars + i] = PyUnicode_READ(kind, data, i)
        self.nkchars += n
        return 0

    cdef int _key_chars(self, const Py_UCS4* key, Py_ssize_t n) except -1:
        _grow(<void**> &self.kchars, &self.cap_kchars, self.nkchars + n, sizeof(Py_UCS4))
        memcpy(self.kchars + self.nkchars, key, n * sizeof(Py_UCS4))
        self.nkchars += n
        return 0

    def key(self, Py_ssize_t i):
        """Block ``i``'s comparison key (as ``comparison_key`` gives it)."""
        if not 0 <= i < self.n:
            raise IndexError(i)
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, self.kchars + self.kstarts[i],
                                         self.kstarts[i + 1] - self.kstarts[i])

    def containment(self, Py_ssize_t i, dict known, frozenset title_hashes, xxh3):
        """``containment(shingle_set(char_shingles(key, 4)), title_hashes)`` for block ``i``'s
        key; shingles in ``known`` (the title's, by shingle) take their hash from it."""
        cdef Py_ssize_t start = self.kstarts[i], length = self.kstarts[i + 1] - start, j, last
        cdef set hashes = set()
        cdef object shingle, h
        cdef Py_ssize_t inside = 0
        if not 0 <= i < self.n:
            raise IndexError(i)
        if length == 0:
            return 0.0
        # the key is already folded (runs of letters and digits, one space apart)
        last = 0 if length <= 4 else length - 4
        for j in range(last + 1):
            shingle = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, self.kchars + start + j,
                                                length if length <= 4 else 4)
            h = known.get(shingle)
            if h is None:
                h = xxh3(shingle.encode("utf-8"))
            hashes.add(h)
        for h in hashes:
            if h in title_hashes:
                inside += 1
        return <double> inside / <double> len(hashes)

    def union_exact(self, list parent):
        """Join blocks whose non-empty keys are equal into the first such block's group."""
        cdef Py_ssize_t n = self.n, size = 4, i, j, slot, length, k, ri, rj
        cdef int32_t* table
        cdef uint64_t h
        cdef uint64_t* hashes
        cdef const Py_UCS4* a
        cdef const Py_UCS4* b
        cdef bint same
        while size < 2 * n:
            size *= 2
        table = <int32_t*> malloc(size * sizeof(int32_t))
        hashes = <uint64_t*> malloc((n + 1) * sizeof(uint64_t))
        if table == NULL or hashes == NULL:
            free(table); free(hashes)
            raise MemoryError()
        try:
            for slot in range(size):
                table[slot] = -1
            for i in range(n):
                length = self.kstarts[i + 1] - self.kstarts[i]
                if length == 0:
                    continue
                a = self.kchars + self.kstarts[i]
                h = 1469598103934665603ULL
                for k in range(length):
                    h = (h ^ <uint64_t> a[k]) * 1099511628211ULL
                h ^= h >> 31
                hashes[i] = h
                slot = <Py_ssize_t> (h & <uint64_t> (size - 1))
                while True:
                    j = table[slot]
                    if j == -1:
                        table[slot] = <int32_t> i
                        break
                    if hashes[j] == h and self.kstarts[j + 1] - self.kstarts[j] == length:
                        b = self.kchars + self.kstarts[j]
                        same = True
                        for k in range(length):
                            if a[k] != b[k]:
                                same = False
                                break
                        if same:
                            ri = _root(parent, j)
                            rj = _root(parent, i)
                            if ri != rj:
                                if ri < rj:
                                    parent[rj] = ri
                                else:
                                    parent[ri] = rj
                            break
                    slot = (slot + 1) & (size - 1)
        finally:
            free(table)
            free(hashes)

    cdef int _ascii(self, str text, char* buf) except -1:
        """Intern the tokens of an ASCII text and store its key, in one pass over the text.

        Tokens are the runs of [a-z0-9_] of the lowered text; the key is its runs of [a-z0-9]
        (a "_" ends one), one space apart.
        """
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, start
        cdef const unsigned char* data = PyUnicode_1BYTE_DATA(text)
        cdef unsigned char c, lc
        cdef uint64_t h
        cdef Py_UCS4* key
        cdef Py_ssize_t k = 0
        cdef bint in_run = False
        _grow(<void**> &self.kchars, &self.cap_kchars, self.nkchars + n, sizeof(Py_UCS4))
        key = self.kchars + self.nkchars
        while i < n:
            c = data[i]
            if not _WORD[c]:
                in_run = False
                i += 1
                continue
            start = i
            h = 1469598103934665603ULL
            while True:
                lc = _lower(c)
                buf[i] = <char> lc
                h = (h ^ <uint64_t> lc) * 1099511628211ULL
                if c == 95:
                    in_run = False
                else:
                    if not in_run:
                        if k:
                            key[k] = 32
                            k += 1
                        in_run = True
                    key[k] = lc
                    k += 1
                i += 1
                if i >= n:
                    break
                c = data[i]
                if not _WORD[c]:
                    break
            h ^= h >> 31
            self._add(self._probe_ascii(buf + start, i - start, h))
        self.nkchars += k
        return 0

    cdef bint _simple(self, str text) except -1:
        """Tokens and key of a text whose characters each lower- and case-fold to one same
        character and which NFKC leaves alone; False (nothing done) for any other text."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i, k = 0, start
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef Py_UCS4 c
        cdef unsigned char cls
        cdef Py_UCS4 small[512]
        cdef unsigned char small_word[256]
        cdef Py_UCS4* low = small
        cdef unsigned char* word = small_word  # 1: alphanumeric, 2: "_", 0: neither
        if n > 256:
            low = <Py_UCS4*> malloc(2 * n * sizeof(Py_UCS4) + n)
            if low == NULL:
                raise MemoryError()
            word = <unsigned char*> (low + 2 * n)
        cdef Py_UCS4* key = low + n
        try:
            for i in range(n):
                c = PyUnicode_READ(kind, data, i)
                cls = _simple_class(c)
                if not cls & SIMPLE:
                    return False
                low[i] = _lower_bmp[c] if c < 0x10000 else Py_UNICODE_TOLOWER(c)
                word[i] = 1 if cls & ALNUM else (2 if c == 95 else 0)
            if not _is_normalized("NFKC", text):
                return False
            i = 0
            while i < n:  # tokens: runs of \w (alphanumeric or "_") of the lowered text
                if word[i]:
                    start = i
                    i += 1
                    while i < n and word[i]:
                        i += 1
                    self._add(self._intern_ucs4(low + start, i - start))
                else:
                    i += 1
            i = 0
            while i < n:  # the key: alphanumeric runs, one space apart
                if word[i] == 1:
                    if k:
                        key[k] = 32
                        k += 1
                    while i < n and word[i] == 1:
                        key[k] = low[i]
                        k += 1
                        i += 1
                else:
                    i += 1
            self._key_chars(key, k)
            return True
        finally:
            if low != small:
                free(low)

    cdef int _runs(self, int kind, void* data, Py_ssize_t n) except -1:
        cdef Py_ssize_t i = 0, start
        cdef Py_UCS4 c
        while i < n:
            c = PyUnicode_READ(kind, data, i)
            if Py_UNICODE_ISALNUM(c) or c == 95:
                start = i
                i += 1
                while i < n:
                    c = PyUnicode_READ(kind, data, i)
                    if not (Py_UNICODE_ISALNUM(c) or c == 95):
                        break
                    i += 1
                self._add(self._intern(kind, data, start, i - start))
            else:
                i += 1
        return 0

    def __len__(self):
        return self.n

    def tokens(self, Py_ssize_t i):
        """Block ``i``'s tokens as strings (as ``_tokens`` gives them)."""
        cdef list out = []
        cdef Py_ssize_t k
        cdef int32_t t
        cdef object s
        if not 0 <= i < self.n:
            raise IndexError(i)
        for k in range(self.starts[i], self.starts[i + 1]):
            t = self.ids[k]
            if self.strings is None:
                self.strings = [None] * self.ntypes
            s = self.strings[t]
            if s is None:
                s = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, self.chars + self.type_off[t],
                                              self.type_len[t])
                self.strings[t] = s
            out.append(s)
        return out

    def count(self, Py_ssize_t i):
        """How many tokens block ``i`` has."""
        return self.starts[i + 1] - self.starts[i]

    def title_scan(self, double reject_below, double floor, rounder):
        """Write the title signals of blocks the cheap overlap test rejects; return the others.

        For a rejected block (title_match's first test) the signals are what title_match gives:
        similarity ``round(min(overlap * 0.5, floor), 4)``, containment 0.0, no copy, not the
        title. A block without tokens (or a page without a title) gets (0.0, False, False).
        """
        cdef list rest = []
        cdef Py_ssize_t i, k, count, distinct
        cdef int32_t t
        cdef dict signals
        cdef double overlap
        cdef object empty_sim = rounder(0.0, 4)
        cdef object none_shared = rounder(min(0.0 * 0.5, floor), 4)
        cdef object similarity
        cdef object zero = 0.0
        for i in range(self.n):
            if self.starts[i] == self.starts[i + 1] or not self.has_title:
                similarity = empty_sim
            else:
                count = 0
                for k in range(self.starts[i], self.starts[i + 1]):
                    if self.in_title[self.ids[k]]:
                        count = 1
                        break
                if count == 0:
                    similarity = none_shared if 0.0 < reject_below else None
                else:
                    self.generation += 1
                    distinct = 0
                    count = 0
                    for k in range(self.starts[i], self.starts[i + 1]):
                        t = self.ids[k]
                        if self.stamp[t] != self.generation:
                            self.stamp[t] = self.generation
                            distinct += 1
                            count += self.in_title[t]
                    overlap = <double> count / <double> distinct
                    similarity = (_rounded(rounder, min(overlap * 0.5, floor))
                                  if overlap < reject_below else None)
                if similarity is None:
                    rest.append(i)
                    continue
            signals = <dict> PyList_GET_ITEM(self.signals, i)
            signals["title_similarity"] = similarity
            signals["title_containment"] = zero
            signals["repeat_of_title"] = False
            signals["is_title"] = False
        return rest

    def title_rest(self, list rest, list blocks, double title_similarity,
                   double sentence_similarity, Py_ssize_t min_copy_tokens,
                   double max_length_ratio, double length_slack, double min_title_coverage,
                   title_end, rounder):
        """``title_match`` for the blocks ``title_scan`` left (they passed its cheap test).

        Writes title_similarity, title_containment (0.0: the caller fills it in where the
        similarity calls for it), repeat_of_title and is_title; returns the (index, similarity)
        pairs and the indices of the copies, both in block order.
        """
        cdef Py_ssize_t i, k, nb, nt = self.ntitle, aligned, low_copy
        cdef double similarity, required
        cdef bint in_window, is_copy, is_full
        cdef int32_t* rows = <int32_t*> malloc(2 * (nt + 2) * sizeof(int32_t))
        cdef list scored = [], copies = []
        cdef dict signals
        cdef Py_UCS4 end
        cdef long title_last = -1 if not title_end else <long> ord(title_end)
        cdef object zero = 0.0
        if rows == NULL:
            raise MemoryError()
        try:
            low_copy = min_copy_tokens if min_copy_tokens < nt else nt
            for k in range(PyList_GET_SIZE(rest)):
                i = <Py_ssize_t> <object> PyList_GET_ITEM(rest, k)
                nb = self.starts[i + 1] - self.starts[i]
                aligned = _matching(self.ids + self.starts[i], self.title_ids, rows, 0, nb, 0, nt)
                similarity = <double> aligned / <double> nb
                end = _last_char((<object> PyList_GET_ITEM(blocks, i)).text)
                if end != 0 and _sentence_end(end) and <long> end != title_last:
                    required = sentence_similarity
                else:
                    required = title_similarity
                in_window = low_copy <= nb and nb <= max_length_ratio * nt + length_slack
                is_copy = (in_window and similarity >= required and aligned >= low_copy
                           and <double> aligned / <double> nt >= min_title_coverage)
                is_full = is_copy and similarity >= 0.9 and <double> aligned / <double> nt >= 0.9
                signals = <dict> PyList_GET_ITEM(self.signals, i)
                signals["title_similarity"] = _rounded(rounder, similarity)
                signals["title_containment"] = zero
                signals["repeat_of_title"] = is_copy
                signals["is_title"] = is_full
                scored.append((i, similarity))
                if is_copy:
                    copies.append(i)
            return scored, copies
        finally:
            free(rows)

    def fuzzy_edges(self, list roots, Py_ssize_t low, Py_ssize_t high, Py_ssize_t max_freq,
                    Py_ssize_t cap, double ratio, double similarity):
        """The pairs ``(i, j)`` the reference's fuzzy grouping joins, in its order.

        ``roots`` is the union-find parent list of the groups before fuzzy grouping (pairs
        already in one group are not compared, as in the reference; the list is only read and
        path-halved). Bigrams are exact id pairs here.
        """
        cdef Py_ssize_t n = self.n, i, j, k, m, total = 0, used = 0, start, end, distinct
        cdef Py_ssize_t npairs = 0, x, y, size_a, size_b, count, aligned_count, taken, sa, sb
        cdef Entry* entries = NULL
        cdef uint64_t* pairs = NULL
        cdef int32_t* parent = NULL
        cdef int32_t* members = NULL
        cdef int32_t* rows = NULL
        cdef const int32_t* shorter
        cdef const int32_t* longer
        cdef list edges = []
        cdef int32_t ri, rj, last_i
        cdef bint same
        for i in range(n):
            m = self.starts[i + 1] - self.starts[i]
            if low <= m <= high and m > 1:
                total += m - 1
        if total == 0:
            return edges
        entries = <Entry*> malloc(total * sizeof(Entry))
        members = <int32_t*> malloc((max_freq + 2) * sizeof(int32_t))
        parent = <int32_t*> malloc(n * sizeof(int32_t))
        rows = <int32_t*> malloc(2 * (high + 2) * sizeof(int32_t))
        if entries == NULL or members == NULL or parent == NULL or rows == NULL:
            free(entries); free(members); free(parent); free(rows)
            raise MemoryError()
        try:
            for i in range(n):
                m = self.starts[i + 1] - self.starts[i]
                if not (low <= m <= high) or m < 2:
                    continue
                for k in range(self.starts[i], self.starts[i + 1] - 1):
                    entries[used].key = (<uint64_t> <uint32_t> self.ids[k] << 32) | <uint64_t> <uint32_t> self.ids[k + 1]
                    entries[used].block = <int32_t> i
                    entries[used].pos = <int32_t> k
                    used += 1
            _counting_sort(entries, used, self.ntypes)
            for k in range(2):  # count the pairs, then fill them
                start = 0
                while start < used:
                    end = start + 1
                    while end < used and entries[end].key == entries[start].key:
                        end += 1
                    distinct = 0
                    last_i = -1
                    for x in range(start, end):
                        if entries[x].block != last_i:
                            last_i = entries[x].block
                            if distinct <= max_freq:
                                members[distinct] = last_i
                            distinct += 1
                    if 1 < distinct <= max_freq:
                        if k == 0:
                            npairs += distinct * (distinct - 1) // 2
                        else:
                            for x in range(distinct - 1):
                                for y in range(x + 1, distinct):
                                    pairs[npairs] = (<uint64_t> members[x] << 32) | <uint64_t> members[y]
                                    npairs += 1
                    start = end
                if k == 0:
                    if npairs == 0:
                        return edges
                    pairs = <uint64_t*> malloc(npairs * sizeof(uint64_t))
                    if pairs == NULL:
                        raise MemoryError()
                    npairs = 0
            _counting_sort(pairs, npairs, n)
            for i in range(n):
                parent[i] = <int32_t> _root(roots, i)
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
                    size_a = self.starts[i + 1] - self.starts[i]
                    size_b = self.starts[j + 1] - self.starts[j]
                    if size_a <= size_b:
                        shorter, longer = self.ids + self.starts[i], self.ids + self.starts[j]
                        sa, sb = size_a, size_b
                    else:
                        shorter, longer = self.ids + self.starts[j], self.ids + self.starts[i]
                        sa, sb = size_b, size_a
                    if sa < ratio * sb:
                        continue
                    self.generation += 1
                    for x in range(sb):
                        self.stamp[longer[x]] = self.generation
                    count = 0
                    for x in range(sa):
                        if self.stamp[shorter[x]] == self.generation:
                            count += 1
                    if count < similarity * sa:
                        continue
                    same = sa == sb
                    if same:
                        for x in range(sa):
                            if shorter[x] != longer[x]:
                                same = False
                                break
                    if same:
                        aligned_count = sa
                    else:
                        aligned_count = _matching(shorter, longer, rows, 0, sa, 0, sb)
                    if <double> aligned_count / <double> sa >= similarity:
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
            free(rows)
