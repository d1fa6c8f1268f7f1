# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled twin of ``widgets._scan_folded``: one folded text judged against the lexicon.

The pure-Python reference runs several regexes over every block; this kernel reads each text
once, classifying characters through a table filled lazily *by the same regex classes* (so the
two cannot disagree on what a letter or a word character is), and falls back to the very same
compiled regexes for the rare parts (urls and handles, lead-ins, program text, CJK phrases).
The lexicon's first words and filler words sit in hash tables probed with a span of the text,
so most tokens are judged without building a string. Results are the tuples of ``TextVerdict`` fields, identical to the reference.
"""

cimport cython
from cpython.unicode cimport PyUnicode_READ, PyUnicode_KIND, PyUnicode_DATA, Py_UNICODE_ISSPACE

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object o)
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND
from libc.stdlib cimport malloc, calloc, realloc, free
from cpython.object cimport PyObject, Py_TYPE
from cpython.ref cimport Py_INCREF, Py_DECREF

from libc.string cimport memset
from libc.stdint cimport uint64_t, uint32_t
from libc.math cimport floor, fabs
import types as _types

cdef extern from "Python.h":
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset
    ctypedef struct PyMemberDescrObject:
        PyMemberDef *d_member


cdef class _Slots:
    """Where some ``__slots__`` fields of one class sit in its instances, read without the
    attribute machinery; any other object (a subclass included) is read with ``getattr``."""

    cdef type cls
    cdef tuple names, descrs
    cdef Py_ssize_t offs[8]

    def __cinit__(self, type cls, tuple names):
        cdef Py_ssize_t k
        cdef PyMemberDef *member
        self.cls = cls
        self.names = names
        self.descrs = tuple(cls.__dict__.get(name) for name in names)
        for k, descr in enumerate(self.descrs):
            self.offs[k] = -1
            if isinstance(descr, _types.MemberDescriptorType):
                member = (<PyMemberDescrObject *> <PyObject *> descr).d_member
                if member.type == 16 and member.offset > 0:  # T_OBJECT_EX: a plain slot
                    self.offs[k] = member.offset

    cdef bint current(self, object cls) except -1:
        """Whether this layout still describes ``cls`` (same class, same slot descriptors)."""
        if cls is not self.cls:
            return False
        for name, descr in zip(self.names, self.descrs):
            if self.cls.__dict__.get(name) is not descr:
                return False
        return True

    cdef inline object get(self, object obj, Py_ssize_t k):
        cdef PyObject *value
        cdef Py_ssize_t off = self.offs[k]
        if off > 0 and <void *> Py_TYPE(obj) == <void *> self.cls:
            value = (<PyObject **> ((<char *> <PyObject *> obj) + off))[0]
            if value != NULL:
                return <object> value
        return getattr(obj, <str> self.names[k])


cdef enum:
    B_TEXT = 0
    B_LINKS = 1
    B_DENSITY = 2
    B_TOKENS = 3
    B_SIGNALS = 4

_BLOCK_FIELDS = ("text", "links", "link_density", "class_tokens", "signals")

cdef enum:
    KNOWN = 1
    WORD = 2     # [^\W\p{Han}\p{Hiragana}\p{Katakana}]  (a word character outside CJK)
    CJK = 4      # [\p{Han}\p{Hiragana}\p{Katakana}]     (one word per character)
    ALPHA = 8    # lexicon_loader.ALPHA: a letter or digit of a delimited script
    UNB = 16     # lexicon_loader._UNBOUNDED: CJK, Hangul, Thai
    LETTER = 32  # [\p{L}\p{M}]
    SEP = 64     # lexicon_loader.LEAD_IN_SEPARATORS: a text without one opens no lead-in


cdef Py_ssize_t _KEEP_CHARS = 1 << 16  # per-text buffers above this size are not kept

cdef unsigned char _cls[0x110000]
cdef object _classify = None

SKIPPED = 1
COVERED = 2


def set_classifier(fn):
    """Install the function mapping one character to its class bits (built from the regexes)."""
    global _classify
    if _classify is fn:
        return  # already in use (maybe by another thread right now): keep its table
    _classify = fn
    memset(_cls, 0, sizeof(_cls))


cdef unsigned char _fill_class(Py_UCS4 c) except 0:
    cdef unsigned char v = (<unsigned char> _classify(c)) | KNOWN
    _cls[c] = v
    return v


cdef inline unsigned char _class_of(Py_UCS4 c) except 0:
    cdef unsigned char v = _cls[c]
    if v:
        return v
    return _fill_class(c)


cdef object _py_round = round


cdef double _round4(double x) except? -1.0:
    """``round(x, 4)`` exactly: the quick way unless ``x`` is within a hair of a tie."""
    cdef double y, f, frac
    if not (0.0 <= x <= 1e6):
        return _py_round(x, 4)
    y = x * 10000.0
    f = floor(y)
    frac = y - f
    if fabs(frac - 0.5) < 1e-6:
        return _py_round(x, 4)
    if frac > 0.5:
        f += 1.0
    return f / 10000.0


cdef inline uint64_t _mix(uint64_t h, Py_UCS4 c) noexcept:
    return (h ^ <uint64_t> c) * <uint64_t> 1099511628211ULL


cdef uint64_t _FNV = 1469598103934665603ULL


cdef uint64_t _hash(str s):
    cdef uint64_t h = _FNV
    cdef Py_UCS4 c
    for c in s:
        h = _mix(h, c)
    return h


@cython.final
cdef class _StrSet:
    """A set of strings probed with a span of another string and its running hash, so a
    membership test builds no substring. Open addressing on the 64-bit FNV hash; equal hashes
    are confirmed character by character, so the answer is exact."""

    cdef uint64_t *keys
    cdef PyObject **vals
    cdef int *ids
    cdef Py_ssize_t mask
    cdef list items  # the strings, in id order (keeps them alive)
    cdef unsigned char bloom[8192]  # 65536 bits of the hashes: most misses stop here, in L1

    def __cinit__(self, strings):
        self.items = sorted({str(x) for x in strings})
        memset(self.bloom, 0, sizeof(self.bloom))
        cdef Py_ssize_t cap = 16, slot, ident
        cdef uint64_t h
        while cap < 4 * len(self.items):
            cap *= 2
        self.mask = cap - 1
        self.keys = <uint64_t *> calloc(cap, sizeof(uint64_t))
        self.vals = <PyObject **> calloc(cap, sizeof(PyObject *))
        self.ids = <int *> calloc(cap, sizeof(int))
        if self.keys == NULL or self.vals == NULL or self.ids == NULL:
            raise MemoryError()
        for ident, item in enumerate(self.items):
            h = _hash(item)
            slot = _spread(h) & self.mask
            while self.vals[slot] != NULL:
                slot = (slot + 1) & self.mask
            self.keys[slot] = h
            self.vals[slot] = <PyObject *> item
            self.ids[slot] = <int> ident
            self.bloom[(h >> 3) & 8191] |= 1 << (h & 7)

    def __dealloc__(self):
        free(self.keys)
        free(self.vals)
        free(self.ids)

    cdef int find(self, uint64_t h, int kind, void *data, Py_ssize_t start, Py_ssize_t end) noexcept:
        """The id (index in ``items``) of the string equal to ``data[start:end]``, or -1."""
        if not (self.bloom[(h >> 3) & 8191] >> (h & 7)) & 1:
            return -1
        cdef Py_ssize_t slot = _spread(h) & self.mask
        while self.vals[slot] != NULL:
            if self.keys[slot] == h and _same(<str> self.vals[slot], kind, data, start, end):
                return self.ids[slot]
            slot = (slot + 1) & self.mask
        return -1

    cdef inline bint has(self, uint64_t h, int kind, void *data, Py_ssize_t start, Py_ssize_t end) noexcept:
        return self.find(h, kind, data, start, end) >= 0


@cython.final
cdef class _Trie:
    """The lexicon's delimited phrases as a trie over word ids: (node, word) -> child node,
    in an open-addressing table; ``keys[node]`` is the phrase key ending there, or None."""

    cdef uint64_t *slots_key
    cdef int *slots_val
    cdef Py_ssize_t mask
    cdef list keys

    def __cinit__(self, dict index, _StrSet vocab):
        cdef dict ids = {w: i for i, w in enumerate(vocab.items)}
        cdef dict edges = {}
        self.keys = [None]
        cdef int node, child
        for tup, key in index.items():
            node = 0
            for word in tup:
                child = edges.get((node, ids[word]), -1)
                if child < 0:
                    child = len(self.keys)
                    edges[(node, ids[word])] = child
                    self.keys.append(None)
                node = child
            self.keys[node] = key
        cdef Py_ssize_t cap = 16, slot
        cdef uint64_t k
        while cap < 4 * len(edges):
            cap *= 2
        self.mask = cap - 1
        self.slots_key = <uint64_t *> calloc(cap, sizeof(uint64_t))
        self.slots_val = <int *> calloc(cap, sizeof(int))
        if self.slots_key == NULL or self.slots_val == NULL:
            raise MemoryError()
        for (parent, word_id), child in edges.items():
            k = _edge(parent, word_id)
            slot = _spread(k * <uint64_t> 0x9E3779B97F4A7C15ULL) & self.mask
            while self.slots_val[slot] != 0:
                slot = (slot + 1) & self.mask
            self.slots_key[slot] = k
            self.slots_val[slot] = child  # never 0: the root is no child

    def __dealloc__(self):
        free(self.slots_key)
        free(self.slots_val)

    cdef int child(self, int node, int word_id) noexcept:
        """The node under ``node`` along word ``word_id``, or -1."""
        if word_id < 0:
            return -1
        cdef uint64_t k = _edge(node, word_id)
        cdef Py_ssize_t slot = _spread(k * <uint64_t> 0x9E3779B97F4A7C15ULL) & self.mask
        while self.slots_val[slot] != 0:
            if self.slots_key[slot] == k:
                return self.slots_val[slot]
            slot = (slot + 1) & self.mask
        return -1


@cython.final
@cython.no_gc
cdef class _PtrMap:
    """Object identity -> small int, for the objects of one page: class tokens are shared
    string objects within a page, so most look-ups hit here first. The map keeps a reference
    to every key, so no address can be reused by another object while it lives."""

    cdef size_t *keys
    cdef int *vals
    cdef Py_ssize_t mask, used
    cdef PyObject **keep  # a strong reference to every key, released by clear()
    cdef Py_ssize_t keep_cap

    def __cinit__(self, Py_ssize_t cap=256):
        self.mask = cap - 1
        self.used = 0
        self.keep_cap = cap
        self.keep = <PyObject **> malloc(cap * sizeof(PyObject *))
        self.keys = <size_t *> calloc(cap, sizeof(size_t))
        self.vals = <int *> calloc(cap, sizeof(int))
        if self.keys == NULL or self.vals == NULL or self.keep == NULL:
            raise MemoryError()

    def __dealloc__(self):
        self.clear()
        free(self.keys)
        free(self.vals)
        free(self.keep)

    cdef void clear(self) noexcept:
        """Forget every key and release it (the arrays stay: a page costs no allocation)."""
        cdef Py_ssize_t i
        if self.used:
            memset(self.keys, 0, (self.mask + 1) * sizeof(size_t))
            for i in range(self.used):
                Py_DECREF(<object> self.keep[i])
            self.used = 0

    cdef inline Py_ssize_t _home(self, size_t k) noexcept:
        return <Py_ssize_t> (((k >> 4) * <size_t> 0x9E3779B97F4A7C15ULL) >> 20) & self.mask

    cdef int get(self, object obj) noexcept:
        cdef size_t k = <size_t> <PyObject *> obj
        cdef Py_ssize_t slot = self._home(k)
        while self.keys[slot] != 0:
            if self.keys[slot] == k:
                return self.vals[slot]
            slot = (slot + 1) & self.mask
        return -1

    cdef int put(self, object obj, int value) except -1:
        cdef size_t k = <size_t> <PyObject *> obj
        cdef Py_ssize_t slot, cap, i
        cdef size_t *old_keys
        cdef int *old_vals
        cdef PyObject **grown
        if 2 * (self.used + 1) > self.mask + 1:  # grow to stay at most half full
            old_keys, old_vals, cap = self.keys, self.vals, self.mask + 1
            self.keys = <size_t *> calloc(2 * cap, sizeof(size_t))
            self.vals = <int *> calloc(2 * cap, sizeof(int))
            if self.keys == NULL or self.vals == NULL:
                raise MemoryError()
            self.mask = 2 * cap - 1
            for i in range(cap):
                if old_keys[i] != 0:
                    slot = self._home(old_keys[i])
                    while self.keys[slot] != 0:
                        slot = (slot + 1) & self.mask
                    self.keys[slot] = old_keys[i]
                    self.vals[slot] = old_vals[i]
            free(old_keys)
            free(old_vals)
        slot = self._home(k)
        while self.keys[slot] != 0 and self.keys[slot] != k:
            slot = (slot + 1) & self.mask
        if self.keys[slot] == 0:
            if self.used == self.keep_cap:
                self.keep_cap *= 2
                grown = <PyObject **> realloc(self.keep, self.keep_cap * sizeof(PyObject *))
                if grown == NULL:
                    raise MemoryError()
                self.keep = grown
            Py_INCREF(obj)
            self.keep[self.used] = <PyObject *> obj
            self.used += 1
        self.keys[slot] = k
        self.vals[slot] = value
        return 0


@cython.final
@cython.no_gc
cdef class _ObjMap:
    """A string-keyed map for one page (texts -> verdicts, hrefs -> kinds) whose arrays are
    reused from page to page, so the per-page work allocates nothing. Holds strong references
    to its keys and values until clear()."""

    cdef Py_hash_t *hashes
    cdef PyObject **keys
    cdef PyObject **vals
    cdef Py_ssize_t *used_slots
    cdef Py_ssize_t mask, used

    def __cinit__(self, Py_ssize_t cap=1024):
        self.used = 0
        self._alloc(cap)

    cdef int _alloc(self, Py_ssize_t cap) except -1:
        self.mask = cap - 1
        self.hashes = <Py_hash_t *> malloc(cap * sizeof(Py_hash_t))
        self.keys = <PyObject **> calloc(cap, sizeof(PyObject *))
        self.vals = <PyObject **> malloc(cap * sizeof(PyObject *))
        self.used_slots = <Py_ssize_t *> malloc(cap * sizeof(Py_ssize_t))
        if not (self.hashes and self.keys and self.vals and self.used_slots):
            raise MemoryError()
        return 0

    def __dealloc__(self):
        self.clear()
        free(self.hashes)
        free(self.keys)
        free(self.vals)
        free(self.used_slots)

    cdef void clear(self) noexcept:
        cdef Py_ssize_t i, slot
        for i in range(self.used):
            slot = self.used_slots[i]
            Py_DECREF(<object> self.keys[slot])
            Py_DECREF(<object> self.vals[slot])
            self.keys[slot] = NULL
        self.used = 0

    cdef Py_ssize_t _find(self, object key, Py_hash_t h) except -3:
        """The slot holding ``key``, or -1."""
        cdef Py_ssize_t slot = <Py_ssize_t> (<size_t> h * <size_t> 0x9E3779B97F4A7C15ULL >> 16) & self.mask
        cdef PyObject *k
        while True:
            k = self.keys[slot]
            if k == NULL:
                return -1
            if k == <PyObject *> key or (self.hashes[slot] == h and <object> k == key):
                return slot
            slot = (slot + 1) & self.mask

    cdef object get(self, object key, Py_hash_t h):
        """The value for ``key`` (whose hash is ``h``), or None."""
        cdef Py_ssize_t slot = self._find(key, h)
        if slot < 0:
            return None
        return <object> self.vals[slot]

    cdef int put(self, object key, Py_hash_t h, object value) except -1:
        """Add ``key`` (not present yet) with ``value``."""
        cdef Py_ssize_t slot, i, cap
        cdef Py_hash_t *old_hashes
        cdef PyObject **old_keys
        cdef PyObject **old_vals
        cdef Py_ssize_t *old_used
        cdef Py_ssize_t n
        if 2 * (self.used + 1) > self.mask + 1:  # grow (rare: the arrays are kept across pages)
            old_hashes, old_keys, old_vals, old_used = self.hashes, self.keys, self.vals, self.used_slots
            n = self.used
            cap = 2 * (self.mask + 1)
            self._alloc(cap)
            self.used = 0
            for i in range(n):
                slot = old_used[i]
                self._place(<object> old_keys[slot], old_hashes[slot], old_vals[slot])
            free(old_hashes)
            free(old_keys)
            free(old_vals)
            free(old_used)
        Py_INCREF(key)
        Py_INCREF(value)
        self._place(key, h, <PyObject *> value)
        return 0

    cdef void _place(self, object key, Py_hash_t h, PyObject *value) noexcept:
        """Put a key whose references are already owned by the map into a free slot."""
        cdef Py_ssize_t slot = <Py_ssize_t> (<size_t> h * <size_t> 0x9E3779B97F4A7C15ULL >> 16) & self.mask
        while self.keys[slot] != NULL:
            slot = (slot + 1) & self.mask
        self.hashes[slot] = h
        self.keys[slot] = <PyObject *> key
        self.vals[slot] = value
        self.used_slots[self.used] = slot
        self.used += 1


cdef bint _dot_letters_slash(int kind, void *data, Py_ssize_t n) noexcept:
    """True when the text holds "." then two or more of a-z then "/" (``\\.[a-z]{2,}/``)."""
    cdef Py_ssize_t i = 0, j
    cdef Py_UCS4 c
    while i < n:
        if PyUnicode_READ(kind, data, i) == 46:
            j = i + 1
            while j < n:
                c = PyUnicode_READ(kind, data, j)
                if not (97 <= c <= 122):
                    break
                j += 1
            if j - i - 1 >= 2 and j < n and PyUnicode_READ(kind, data, j) == 47:
                return True
        i += 1
    return False


cdef inline uint64_t _edge(int parent, int word_id) noexcept:
    return ((<uint64_t> <unsigned int> parent) << 32) | (<uint64_t> <unsigned int> word_id)


cdef inline Py_ssize_t _spread(uint64_t h) noexcept:
    return <Py_ssize_t> ((h ^ (h >> 29) ^ (h >> 47)) & 0x7FFFFFFF)


cdef bint _same(str item, int kind, void *data, Py_ssize_t start, Py_ssize_t end):
    cdef Py_ssize_t m = end - start, k
    if len(item) != m:
        return False
    cdef int ikind = PyUnicode_KIND(item)
    cdef void *idata = PyUnicode_DATA(item)
    for k in range(m):
        if PyUnicode_READ(ikind, idata, k) != PyUnicode_READ(kind, data, start + k):
            return False
    return True


@cython.no_gc
@cython.final
cdef class _Entry:
    """A text's verdict fields (those of ``TextVerdict``) and its content score (0.45 x
    coverage, rounded), judged once. Not tracked by the garbage collector: it holds only
    strings, tuples of strings and floats."""
    cdef object category, hits, score
    cdef bint covered, lead_in, platform_only
    cdef Py_ssize_t strength, words
    cdef double coverage

    cdef tuple fields(self):
        return (self.category, self.covered, self.strength, self.coverage, self.words, self.hits,
                self.lead_in, self.platform_only)


cdef inline int _fill(_Entry e, object category, bint covered, Py_ssize_t strength,
                      double coverage, Py_ssize_t words, object hits, bint lead_in,
                      bint platform_only) except -1:
    e.category = category
    e.covered = covered
    e.strength = strength
    e.coverage = coverage
    e.words = words
    e.hits = hits
    e.lead_in = lead_in
    e.platform_only = platform_only
    return 0


cdef class Scanner:
    """The lexicon and thresholds prepared for ``scan``; build one per (lexicon, config)."""

    cdef _StrSet vocab, filler_set
    cdef _Trie trie
    cdef object table, ambiguous, is_filler, filler_memo
    cdef object skip_re, code_re, lead_re, lead_tokens, lead_first, cjk_find, platform
    cdef object categories, tie_order, order
    cdef Py_ssize_t max_words, lead_max
    cdef bint skip_stretches
    cdef Py_ssize_t cap
    cdef Py_ssize_t *starts
    cdef Py_ssize_t *ends
    cdef int *wids
    cdef unsigned char *mask

    def __cinit__(self):
        self.cap = 0
        self.starts = NULL
        self.ends = NULL
        self.wids = NULL
        self.mask = NULL

    def __dealloc__(self):
        free(self.starts)
        free(self.ends)
        free(self.wids)
        free(self.mask)

    def __init__(self, *, index, table, ambiguous, fillers, is_filler,
                 skip_re, code_re, lead_re, lead_tokens, lead_first, cjk_find, platform,
                 categories,
                 tie_order, max_words, lead_max, skip_stretches=False):
        self.vocab = _StrSet({word for tup in index for word in tup})
        self.trie = _Trie(dict(index), self.vocab)
        self.filler_set = _StrSet(fillers)
        self.table = table
        self.ambiguous = ambiguous
        self.is_filler = is_filler
        self.filler_memo = {}
        self.skip_re = skip_re
        self.code_re = code_re
        self.lead_re = lead_re
        self.lead_tokens = lead_tokens
        self.lead_first = lead_first
        self.cjk_find = cjk_find
        self.platform = platform
        self.categories = categories
        self.tie_order = tie_order
        self.order = (*categories, platform)
        self.max_words = max_words
        self.lead_max = lead_max
        self.skip_stretches = skip_stretches

    cdef int _reserve(self, Py_ssize_t n) except -1:
        cdef Py_ssize_t cap = n + 1
        if cap <= self.cap:
            return 0
        cap = max(cap, 2 * self.cap, 256)
        free(self.starts)
        free(self.ends)
        free(self.wids)
        free(self.mask)
        self.starts = <Py_ssize_t *> malloc(cap * sizeof(Py_ssize_t))
        self.ends = <Py_ssize_t *> malloc(cap * sizeof(Py_ssize_t))
        self.wids = <int *> malloc(cap * sizeof(int))
        self.mask = <unsigned char *> malloc(cap)
        if not (self.starts and self.ends and self.wids and self.mask):
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
                if bounded:  # a word of a delimited script is a filler when it is one verbatim
                    if self.filler_set.has(h, kind, data, start, i):
                        continue
                elif self._filler(s[start:i]):  # CJK runs may be made of several fillers
                    continue
                left += i - start
        return left

    cpdef tuple scan(self, str s):
        """The ``TextVerdict`` fields of folded text ``s``, as ``widgets._scan_folded`` gives them."""
        cdef _Entry e = _Entry.__new__(_Entry)
        self.scan_into(s, e)
        return e.fields()

    cdef int scan_into(self, str s, _Entry e) except -1:
        """``scan`` writing the fields into ``e`` (no tuple is built)."""
        self._scan(s, e)
        if self.cap > _KEEP_CHARS:  # a huge text: give its buffers back rather than keep them
            self._release()
        return 0

    cdef void _release(self) noexcept:
        free(self.starts)
        free(self.ends)
        free(self.wids)
        free(self.mask)
        self.starts = self.ends = NULL
        self.wids = NULL
        self.mask = NULL
        self.cap = 0

    cdef int _scan(self, str s, _Entry e) except -1:
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
        cdef Py_ssize_t fs, fe, lstart = 0, filler_letters = 0
        cdef bint in_letter = False, lbounded = False, unbounded_run = False, skipped = False
        cdef uint64_t hl = _FNV
        cdef int node
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
                if v & LETTER:  # letter runs and the filler words among them, for "left"
                    total += 1
                    if not in_letter:
                        in_letter = True
                        lstart = i
                        hl = _FNV
                        lbounded = False
                    hl = _mix(hl, c)
                    if v & ALPHA:
                        lbounded = True
                elif in_letter:
                    in_letter = False
                    if not lbounded:
                        unbounded_run = True  # CJK runs need the word-break check: _left
                    elif self.filler_set.has(hl, kind, data, lstart, i):
                        filler_letters += i - lstart
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
            if i == n and in_letter:
                in_letter = False
                if not lbounded:
                    unbounded_run = True
                elif self.filler_set.has(hl, kind, data, lstart, i):
                    filler_letters += i - lstart
            if in_alpha:
                in_alpha = False
                self.starts[ntok] = tstart
                self.ends[ntok] = i
                self.wids[ntok] = self.vocab.find(h, kind, data, tstart, i)
                if self.wids[ntok] >= 0 and self.trie.child(0, self.wids[ntok]) >= 0:
                    cand = True
                ntok += 1

        found = None
        if cand:  # the longest phrase starting at each token, as Lexicon.find walks it
            found = []
            trie_keys = self.trie.keys
            for t in range(ntok):
                node = self.trie.child(0, self.wids[t])
                if node < 0:
                    continue
                best = trie_keys[node]
                best_end = self.ends[t]
                for j in range(t + 1, ntok):
                    node = self.trie.child(node, self.wids[j])
                    if node < 0:
                        break
                    key = trie_keys[node]
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
                return _fill(e, "", False, 0, 0.0, words, (), False, False)
            hits = set()
            for _, _, key in found:
                hits.update(table[key][0])
            return _fill(e, "", False, 0, 0.0, words, self._ordered(hits), False, False)

        memset(mask, 0, n + 1)
        # urls and handles: a match needs "@", "www.", "://" or ".xx/" (skip_re's alternatives)
        if has_at or (has_dot and u"www." in s) or (has_slash and (
                u"://" in s or (has_dot and _dot_letters_slash(kind, data, n)))):
            if self.skip_stretches:
                skipped = self._mask_skips(s, kind, data, n)
            else:
                for m in self.skip_re.finditer(s):
                    skipped = True
                    memset(mask + <Py_ssize_t> m.start(), SKIPPED | COVERED,
                           <Py_ssize_t> m.end() - <Py_ssize_t> m.start())

        if not found:
            if skipped or unbounded_run:
                left = self._left(s, n, COVERED)
            else:  # nothing masked: the letter runs seen above are the residue's
                left = total - filler_letters
            lead = has_sep and self._lead(s, n, words, ntok)
            return _fill(e, "related" if lead else "", False, 0,
                         _round4(1.0 - (<double> left) / total) if total else 0.0,
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
        lead = (not is_covered) and has_sep and self._lead(s, n, words, ntok)
        if lead:
            category = "related"
        return _fill(e, category, is_covered, strength, _round4(coverage), words,
                     self._ordered(hits), lead, is_covered and not any(weights.values()))

    cdef bint _mask_skips(self, str s, int kind, void *data, Py_ssize_t n) except -1:
        """Mask the matches of ``skip_re`` in ``s`` SKIPPED | COVERED; True when there is one.

        For the detector's own ``skip_re`` (``skip_stretches``): no match holds a space (its
        parts are \\S, \\w, ".", "/", ":" and "@"), so the matches in the whole text are those
        found in each space-delimited stretch alone, and only a stretch with "@", "/" or "www."
        (one of which every match holds) can have any. The regex runs on those stretches only
        (``finditer`` with pos and endpos), not over every position of a long text.
        """
        cdef Py_ssize_t i = 0, start, run_w
        cdef bint found = False, hint
        cdef Py_UCS4 c
        while i < n:
            if PyUnicode_READ(kind, data, i) == 32:
                i += 1
                continue
            start = i
            hint = False
            run_w = 0  # "w" characters just before i
            while i < n:
                c = PyUnicode_READ(kind, data, i)
                if c == 32:
                    break
                if c == u'@' or c == u'/' or (c == u'.' and run_w >= 3):
                    hint = True
                run_w = run_w + 1 if c == u'w' else 0
                i += 1
            if hint:
                for m in self.skip_re.finditer(s, start, i):
                    found = True
                    memset(self.mask + <Py_ssize_t> m.start(), SKIPPED | COVERED,
                           <Py_ssize_t> m.end() - <Py_ssize_t> m.start())
        return found

    cdef bint _lead(self, str s, Py_ssize_t n, Py_ssize_t words, Py_ssize_t ntok) except -1:
        """Whether ``s`` opens with a lead-in; the regex runs only when the first token (or, for
        a text opening with another character, that character) can start one."""
        if words > self.lead_max or n == 0:
            return False
        if ntok and self.starts[0] == 0:
            if s[0:self.ends[0]] not in self.lead_tokens:
                return False
        elif s[0] not in self.lead_first:
            return False
        return self.lead_re.match(s) is not None

    cdef tuple _ordered(self, set hits):
        return tuple([c for c in self.order if c in hits])


cdef inline Py_ssize_t _fold7(Py_UCS4 c) noexcept:
    """A character's bucket: ASCII letters lowercased, everything past ASCII in one bucket."""
    if 65 <= c <= 90:
        return <Py_ssize_t> c + 32
    return (<Py_ssize_t> c) if c < 127 else 127


cdef inline Py_UCS4 _lower_ascii(Py_UCS4 c) noexcept:
    return <Py_UCS4> (<unsigned int> c + 32) if 65 <= c <= 90 else c


cdef bint _starts_with_folded(str s, int kind, void *data, Py_ssize_t n, Py_ssize_t at, str lit):
    """``s.lower()[at:].startswith(lit.lower())`` for ASCII letters (other characters exact)."""
    cdef Py_ssize_t m = len(lit), k
    cdef int lkind = PyUnicode_KIND(lit)
    cdef void *ldata = PyUnicode_DATA(lit)
    if at + m > n:
        return False
    for k in range(m):
        if _lower_ascii(PyUnicode_READ(kind, data, at + k)) != _lower_ascii(PyUnicode_READ(lkind, ldata, k)):
            return False
    return True


cdef inline bint _ascii_space(Py_UCS4 c) noexcept:
    return c == 32 or 9 <= c <= 13 or 28 <= c <= 31


cdef class LiteralFilter:
    """Answers "does ``s`` contain any of these literals?" with a bigram bitmap, so a string
    that contains none of them (most links) costs one pass of table look-ups. ASCII letters
    compare case-insensitively (a looser test, as the callers only need a necessary condition).
    Literals must be at least two characters long."""

    cdef unsigned char bigrams[2048]  # 128 x 128 bits: (first, second) character, folded to 7 bits
    cdef dict buckets  # (first, second) folded -> literals starting with that pair
    # the ASCII literals lowered, as C bytes for ascii_verdict: those of bigram key k are
    # numbers first[k] to first[k + 1] - 1, literal j at chars[off[j]:off[j] + size[j]]
    # (a literal with a character past ASCII never occurs in ASCII text)
    cdef unsigned short *first
    cdef Py_ssize_t *off
    cdef Py_ssize_t *size
    cdef unsigned char *chars

    def __cinit__(self):
        self.first = NULL
        self.off = NULL
        self.size = NULL
        self.chars = NULL

    def __dealloc__(self):
        free(self.first)
        free(self.off)
        free(self.size)
        free(self.chars)

    def __init__(self, literals):
        memset(self.bigrams, 0, sizeof(self.bigrams))
        self.buckets = {}
        cdef Py_ssize_t key
        for lit in literals:
            lit = str(lit)
            if len(lit) < 2:
                raise ValueError("LiteralFilter literals need two characters or more")
            key = _fold7(lit[0]) * 128 + _fold7(lit[1])
            self.bigrams[key >> 3] |= 1 << (key & 7)
            self.buckets.setdefault(key, []).append(lit)
        cdef list ascii = sorted((k, lit.lower()) for k, lits in self.buckets.items()
                                 for lit in lits if lit.isascii())
        if len(ascii) >= 0xFFFF:
            raise ValueError("LiteralFilter: too many literals")
        cdef Py_ssize_t j, total = sum(len(lit) for _, lit in ascii), at = 0, m, q
        free(self.first)
        free(self.off)
        free(self.size)
        free(self.chars)
        self.first = <unsigned short *> calloc(128 * 128 + 1, sizeof(unsigned short))
        self.off = <Py_ssize_t *> malloc((len(ascii) + 1) * sizeof(Py_ssize_t))
        self.size = <Py_ssize_t *> malloc((len(ascii) + 1) * sizeof(Py_ssize_t))
        self.chars = <unsigned char *> malloc(total + 1)
        if not (self.first and self.off and self.size and self.chars):
            raise MemoryError()
        for j, (key, lit) in enumerate(ascii):
            self.first[key + 1] = <unsigned short> (j + 1)  # the end of key's run, for now
            m = len(lit)
            self.off[j] = at
            self.size[j] = m
            for q in range(m):
                self.chars[at + q] = <unsigned char> ord(lit[q])
            at += m
        for key in range(1, 128 * 128 + 1):  # keys without literals end where the last one did
            if self.first[key] < self.first[key - 1]:
                self.first[key] = self.first[key - 1]

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
                    if _starts_with_folded(s, kind, data, n, i - 1, <str> lit):
                        return True
            prev = cur
        return False

    def kernel_ascii_verdict(self, str s):
        """``ascii_verdict`` of a 1-byte string (for tests: it must agree with ``may_contain``)."""
        if PyUnicode_KIND(s) != 1:
            raise ValueError("ascii_verdict takes 1-byte strings")
        return self.ascii_verdict(<const unsigned char *> PyUnicode_DATA(s), len(s))

    cdef int ascii_verdict(self, const unsigned char *d, Py_ssize_t n) noexcept:
        """For 1-byte text: -1 when it holds a non-ASCII character, 1 when it may contain a
        literal (or holds a tab, CR or LF), 0 when it is ASCII and contains none."""
        cdef Py_ssize_t i, key, prev = 0, cur
        cdef unsigned char c
        for i in range(n):
            c = d[i]
            if c >= 128:
                return -1
            if c == 9 or c == 10 or c == 13:
                return 1
            cur = c + 32 if 65 <= c <= 90 else c
            if i:
                key = prev * 128 + cur
                if self.bigrams[key >> 3] & (1 << (key & 7)) and self._starts_here(d, n, i - 1, key):
                    return 1
            prev = cur
        return 0

    cdef bint _starts_here(self, const unsigned char *d, Py_ssize_t n, Py_ssize_t at, Py_ssize_t key) noexcept:
        """Whether an ASCII literal of bigram ``key`` starts at ``d[at]`` (ASCII letters
        compared case-blind); the bigram itself already matched."""
        cdef Py_ssize_t j, m, k
        cdef const unsigned char *lit
        for j in range(self.first[key], self.first[key + 1]):
            m = self.size[j]
            if at + m > n:
                continue
            lit = self.chars + self.off[j]
            for k in range(2, m):
                if _lower_ascii(d[at + k]) != lit[k]:
                    break
            else:
                return True
        return False

    cpdef list found(self, str s):
        """Every literal ``s`` contains (ASCII letters compared case-blind), in no set order."""
        cdef Py_ssize_t n = len(s), i, key
        cdef list out = []
        if n < 2:
            return out
        cdef int kind = PyUnicode_KIND(s)
        cdef void *data = PyUnicode_DATA(s)
        cdef Py_ssize_t prev = _fold7(PyUnicode_READ(kind, data, 0))
        cdef Py_ssize_t cur
        for i in range(1, n):
            cur = _fold7(PyUnicode_READ(kind, data, i))
            key = prev * 128 + cur
            if self.bigrams[key >> 3] & (1 << (key & 7)):
                for lit in self.buckets[key]:
                    if _starts_with_folded(s, kind, data, n, i - 1, <str> lit):
                        out.append(lit)
            prev = cur
        return out


cdef object _F10 = 1.0
cdef object _F08 = 0.8
cdef object _F07 = 0.7




cdef struct _Out:
    PyObject *entry
    PyObject *category
    PyObject *score
    Py_ssize_t shares


cdef class Annotator:
    """``widgets._annotate`` over a page's blocks with the compiled scanner; same signals."""

    cdef Scanner scanner
    cdef _Slots block_slots, link_slots  # the layouts of the last page's Block and Link classes
    cdef uint32_t *fold_map  # BMP character -> see _fill_fold (0: not filled yet)
    cdef Py_UCS4 *fold_buf
    cdef Py_ssize_t fold_cap
    cdef _PtrMap seen_tokens
    cdef _ObjMap scanned, hrefs
    cdef _Out *out
    cdef Py_ssize_t *pend
    cdef Py_ssize_t out_cap
    cdef object fold, href_kind, token_marker
    cdef LiteralFilter href_filter
    cdef unsigned char fold_special[8192]  # bitmap of BMP characters the fold table rewrites
    cdef object fold_special_set, normalize
    cdef dict fold_strings
    cdef dict marker_exact, marker_buckets
    cdef unsigned char marker_bigrams[2048]  # (first, second) characters of marker prefixes
    cdef bint marker_bigrams_ok  # every prefix has two characters, so the bitmap decides
    cdef double min_link_density
    cdef Py_ssize_t max_label_words, memo_max_chars, memo_max_entries

    def __init__(self, Scanner scanner, *, fold, fold_strings, normalize, href_kind,
                 href_filter, token_marker, marker_exact, marker_prefixes, min_link_density,
                 max_label_words, memo_max_chars, memo_max_entries):
        self.scanner = scanner
        self.fold_map = <uint32_t *> calloc(0x10000, sizeof(uint32_t))
        self.fold_buf = NULL
        self.fold_cap = 0
        if self.fold_map == NULL:
            raise MemoryError()
        self.seen_tokens = _PtrMap(1024)
        self.scanned = _ObjMap(1024)
        self.hrefs = _ObjMap(1024)
        self.out = NULL
        self.pend = NULL
        self.out_cap = 0
        self.fold = fold
        self.href_kind = href_kind
        self.token_marker = token_marker
        self.href_filter = href_filter
        memset(self.fold_special, 0, sizeof(self.fold_special))
        cdef Py_ssize_t cp
        self.fold_strings = dict(fold_strings)
        for ch in self.fold_strings:
            cp = ord(ch)
            if cp < 0x10000:
                self.fold_special[cp >> 3] |= 1 << (cp & 7)
        self.fold_special_set = frozenset(self.fold_strings)
        self.normalize = normalize
        # class/id markers: exact tokens, and prefixes longest first bucketed by first character
        # (None: let the Python twin decide, e.g. for an empty prefix)
        self.marker_exact = dict(marker_exact) if marker_exact is not None else None
        self.marker_buckets = None
        memset(self.marker_bigrams, 0, sizeof(self.marker_bigrams))
        self.marker_bigrams_ok = False
        if marker_prefixes is not None and all(p for p, _ in marker_prefixes):
            self.marker_buckets = {}
            self.marker_bigrams_ok = all(len(p) >= 2 for p, _ in marker_prefixes)
            for p, category in marker_prefixes:
                self.marker_buckets.setdefault(p[0], []).append((p, category))
                if len(p) >= 2:
                    cp = _fold7(p[0]) * 128 + _fold7(p[1])
                    self.marker_bigrams[cp >> 3] |= 1 << (cp & 7)
        self.min_link_density = min_link_density
        self.max_label_words = max_label_words
        self.memo_max_chars = memo_max_chars
        self.memo_max_entries = memo_max_entries

    cdef _Entry _entry(self, str text):
        cdef _Entry e = _Entry.__new__(_Entry)
        self.scanner.scan_into(self._fold(text), e)
        if self.fold_cap > _KEEP_CHARS:  # a huge text: give the fold buffer back
            free(self.fold_buf)
            self.fold_buf = NULL
            self.fold_cap = 0
        cdef double raw
        raw = 0.45 * e.coverage  # round(min(1.0, max(0.0, score)), 4) as the Python twin writes it
        raw = raw if raw > 0.0 else 0.0
        raw = raw if raw < 1.0 else 1.0
        e.score = _round4(raw)
        return e

    cdef str _fold(self, str text):
        """``fold(text)`` in one pass: NFKC (non-ASCII text only), then per character the
        casefold and the fold table (from a table filled from ``str.casefold`` and the fold
        strings), squeezing whitespace as ``" ".join(s.split())`` does. A character whose
        casefold is several characters (or one past the BMP) sends the text to the general
        path; a text that needs no change is returned as it is."""
        cdef str t = text
        if not PyUnicode_IS_ASCII(text):
            t = self.normalize("NFKC", text)
        cdef Py_ssize_t n = len(t), i, m = 0
        cdef int kind = PyUnicode_KIND(t)
        cdef void *data = PyUnicode_DATA(t)
        cdef Py_UCS4 c, c2
        cdef uint32_t v
        cdef bint changed = t is not text, pending = False
        if kind == 4:
            return self._fold_unicode(text)
        if n > self.fold_cap:
            free(self.fold_buf)
            self.fold_cap = max(n, 2 * self.fold_cap, 1024)
            self.fold_buf = <Py_UCS4 *> malloc(self.fold_cap * sizeof(Py_UCS4))
            if self.fold_buf == NULL:
                self.fold_cap = 0
                raise MemoryError()
        cdef Py_UCS4 *buf = self.fold_buf
        for i in range(n):
            c = PyUnicode_READ(kind, data, i)
            v = self.fold_map[c]
            if v == 0:
                v = self._fill_fold(c)
            if v == 2:
                return self._fold_unicode(text)
            if v == 1:  # dropped by the fold table
                changed = True
                continue
            c2 = <Py_UCS4> (v - 16)
            if c2 != c:
                changed = True
            if Py_UNICODE_ISSPACE(c2):
                if c2 != 32 or pending or m == 0:
                    changed = True
                pending = True
                continue
            if pending:
                if m:
                    buf[m] = 32
                    m += 1
                pending = False
            buf[m] = c2
            m += 1
        if pending:
            changed = True
        if not changed:
            return t
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, m)

    cdef uint32_t _fill_fold(self, Py_UCS4 c) except 0:
        """The fold-map entry of a BMP character: 1 dropped, 2 use the general path, else
        16 + the code point it becomes."""
        cdef uint32_t v
        folded = (<str> chr(c)).casefold()
        if len(folded) != 1:
            v = 2
        else:
            out = self.fold_strings.get(folded, folded)
            v = 1 if not out else (<uint32_t> ord(out) + 16 if len(out) == 1 else 2)
        self.fold_map[c] = v
        return v

    cdef inline bint _special(self, Py_UCS4 c):
        cdef Py_ssize_t cp = <Py_ssize_t> c
        if cp < 0x10000:
            return (self.fold_special[cp >> 3] >> (cp & 7)) & 1
        return c in self.fold_special_set

    cdef str _fold_unicode(self, str text):
        """``fold(text)`` for any text: NFKC and casefold, then the table's replacements (one
        ``str.replace`` per distinct character, as ``lexicon_loader.fold`` does) and the
        whitespace squeeze only when some character calls for them."""
        cdef str t = self.normalize("NFKC", text).casefold()
        cdef Py_ssize_t n = len(t), i
        cdef int kind = PyUnicode_KIND(t)
        cdef void *data = PyUnicode_DATA(t)
        cdef Py_UCS4 c
        cdef bint spaces = False, prev_space = True
        cdef set specials = None
        for i in range(n):
            c = PyUnicode_READ(kind, data, i)
            if self._special(c):
                if specials is None:
                    specials = set()
                specials.add(c)
                prev_space = False
            elif Py_UNICODE_ISSPACE(c):
                if prev_space or c != 32:
                    spaces = True
                prev_space = True
            else:
                prev_space = False
        if n and prev_space:
            spaces = True
        if specials is not None:
            for ch in specials:
                to = self.fold_strings[ch]
                t = t.replace(ch, to)
                if not to:
                    spaces = True  # a dropped character may leave two spaces side by side
        if spaces:
            t = " ".join(t.split())
        return t

    cdef object _token_marker(self, str token):
        """``_token_marker(token)``: an exact token, else the longest marker prefix it opens with."""
        if self.marker_exact is None or self.marker_buckets is None:
            return self.token_marker(token)
        category = self.marker_exact.get(token)
        if category is not None:
            return category
        cdef Py_ssize_t n = len(token), key
        cdef int kind
        cdef void *data
        if n and self.marker_bigrams_ok:
            if n < 2:
                return ""
            kind = PyUnicode_KIND(token)
            data = PyUnicode_DATA(token)
            key = _fold7(PyUnicode_READ(kind, data, 0)) * 128 + _fold7(PyUnicode_READ(kind, data, 1))
            if not (self.marker_bigrams[key >> 3] >> (key & 7)) & 1:
                return ""
        if n:
            bucket = self.marker_buckets.get(token[0])
            if bucket is not None:
                for p, category in bucket:
                    if token.startswith(p):
                        return category
        return ""

    cdef object _href_kind(self, str href):
        """``_href_kind(href)``, settling relative links and ASCII links that contain none of
        the filter's strings without building a string; anything else goes to the Python twin."""
        cdef Py_ssize_t n = len(href), i = 0
        cdef int kind = PyUnicode_KIND(href)
        cdef const unsigned char *data = <const unsigned char *> PyUnicode_DATA(href)
        cdef Py_UCS4 c
        cdef int verdict
        if self.href_filter is None or kind != 1:
            return self.href_kind(href)
        while i < n and _ascii_space(data[i]):
            i += 1
        if i == n:
            return 0  # empty
        c = data[i]
        if c >= 128:
            return self.href_kind(href)  # str.strip() knows more spaces than ASCII's
        if (c == u'/' or c == u'#' or c == u'?') and not (i + 1 < n and data[i + 1] == 47):
            return 0  # relative or same-page
        verdict = self.href_filter.ascii_verdict(data, n)
        if verdict == 0:
            return 0
        return self.href_kind(href)

    def kernel_fold(self, str text):
        """The kernel's ``fold`` (for tests: it must equal ``lexicon_loader.fold``)."""
        return self._fold(text)

    def kernel_href_kind(self, str href):
        """The kernel's ``_href_kind`` (for tests: it must equal the Python one)."""
        return self._href_kind(href)

    def kernel_token_marker(self, str token):
        """The kernel's ``_token_marker`` (for tests: it must equal the Python one)."""
        return self._token_marker(token)

    cdef object _marker(self, tuple tokens, dict named, _PtrMap seen, list cats, dict cat_ids):
        """The category the first marker token names ("" for none), as ``_marker_category``.
        ``named`` remembers every token's verdict across pages; ``seen`` maps this page's token
        objects to an index in ``cats`` (0 is "")."""
        cdef int idx
        for token in tokens:
            idx = seen.get(token)
            if idx < 0:
                if self.marker_buckets is not None and self.marker_exact is not None:
                    category = self._token_marker(token)  # cheaper than a big memo's look-up
                else:
                    category = named.get(token)
                    if category is None:
                        if len(named) >= self.memo_max_entries * 4:
                            named.clear()
                        category = self._token_marker(token)
                        named[token] = category
                found = cat_ids.get(category)
                if found is None:
                    found = cat_ids[category] = len(cats)
                    cats.append(category)
                idx = found
                seen.put(token, idx)
            if idx:
                return cats[idx]
        return ""

    def __dealloc__(self):
        free(self.out)
        free(self.pend)
        free(self.fold_map)
        free(self.fold_buf)

    cdef int _reserve(self, Py_ssize_t nb) except -1:
        if nb <= self.out_cap:
            return 0
        cdef Py_ssize_t cap = max(nb, 2 * self.out_cap, 512)
        free(self.out)
        free(self.pend)
        self.out = <_Out *> malloc(cap * sizeof(_Out))
        self.pend = <Py_ssize_t *> malloc(cap * sizeof(Py_ssize_t))
        if self.out == NULL or self.pend == NULL:
            self.out_cap = 0
            raise MemoryError()
        self.out_cap = cap
        return 0

    def annotate(self, list blocks, dict memo, dict named):
        """Write widget, widget_score, lexicon_hits and share_links on every block; ``memo``
        keeps short texts' verdicts and ``named`` class tokens' categories across pages.

        Per-block results live in a C array of borrowed references, each kept alive by
        ``scanned`` (verdicts), ``cats`` (marker categories) or the module (constants)."""
        cdef Py_ssize_t nb = len(blocks), i, j, n_links, share_links, profile_links, k
        cdef Py_ssize_t npend = 0, step, q
        cdef Py_ssize_t max_words = self.scanner.max_words
        cdef _ObjMap scanned = self.scanned, hrefs = self.hrefs
        scanned.clear()
        hrefs.clear()
        cdef Py_hash_t th
        cdef _PtrMap seen_tokens = self.seen_tokens
        seen_tokens.clear()
        cdef list cats = [""]
        cdef dict cat_ids = {"": 0}
        cdef object last_tokens = None, last_marker = ""
        cdef _Entry e
        cdef object kind, category, score
        self._reserve(nb)
        cdef _Out *out = self.out
        cdef Py_ssize_t *pend = self.pend
        cdef _Slots bs = self.block_slots, ls = self.link_slots
        cdef bint links_checked = False
        if nb and (bs is None or not bs.current(type(blocks[0]))):
            bs = self.block_slots = _Slots(type(blocks[0]), _BLOCK_FIELDS)
        for i in range(nb):
            block = blocks[i]
            text = bs.get(block, B_TEXT)
            th = hash(text)
            found = scanned.get(text, th)
            if found is None:  # menus and link lists repeat their labels: judge each text once
                if len(text) <= self.memo_max_chars:
                    found = memo.get(text)
                    if found is None:
                        if len(memo) >= self.memo_max_entries:
                            memo.clear()
                        found = self._entry(text)
                        memo[text] = found
                else:
                    found = self._entry(text)
                scanned.put(text, th, found)
            e = <_Entry> found
            links = bs.get(block, B_LINKS)
            n_links = len(links)
            share_links = profile_links = 0
            for link in links:
                if not links_checked:  # the first link of the page: is the layout current?
                    if ls is None or not ls.current(type(link)):
                        ls = self.link_slots = _Slots(type(link), ("href",))
                    links_checked = True
                href = ls.get(link, 0)  # other classes than the first link's: getattr
                th = hash(href)
                kind = hrefs.get(href, th)
                if kind is None:
                    kind = self._href_kind(href)
                    hrefs.put(href, th, kind)
                k = kind
                if k == 1:
                    share_links += 1
                elif k == 2:
                    profile_links += 1
            if e.covered and e.strength >= 2:
                category, score = e.category, _F10
                if e.platform_only and profile_links and not share_links:
                    category = "social"
            elif (n_links and share_links == n_links
                  and (<double> bs.get(block, B_DENSITY) >= self.min_link_density
                       or e.words <= self.max_label_words)):
                category, score = "share", _F10
            elif e.lead_in:
                category, score = "related", _F08
            else:
                category, score = "", e.score
                # the marker decides only the branches below, so look it up only when one of
                # them could take it (the lookup has no effect besides its answer)
                if (e.covered and not share_links) or (
                        not e.covered and e.words and e.words <= max_words
                        and (e.coverage >= 0.5
                             or <double> bs.get(block, B_DENSITY) >= self.min_link_density)):
                    tokens = bs.get(block, B_TOKENS)
                    if not tokens:
                        marker = ""
                    elif tokens is last_tokens:  # blocks of one element share their tuple
                        marker = last_marker
                    else:
                        marker = self._marker(tuple(tokens), named, seen_tokens, cats, cat_ids)
                        last_tokens, last_marker = tokens, marker
                else:
                    marker = ""
                if e.covered and (share_links or profile_links or marker):
                    if share_links:
                        category = "share"
                    elif profile_links and e.platform_only:
                        category = "social"
                    else:
                        category = marker or e.category
                    score = _F08
                elif (marker and e.words <= max_words and e.words
                      and (<double> bs.get(block, B_DENSITY) >= self.min_link_density
                           or e.coverage >= 0.5)):
                    category, score = marker, _F07
                elif e.covered:
                    pend[npend] = i
                    npend += 1
            out[i].entry = <PyObject *> e
            out[i].category = <PyObject *> category
            out[i].score = <PyObject *> score
            out[i].shares = share_links

        # a lone platform name joins a widget run it touches, in either direction
        for step in range(2):
            for q in range(npend):
                i = pend[q] if step == 0 else pend[npend - 1 - q]
                if len(<str> out[i].category):
                    continue
                for j in (i - 1, i + 1):
                    if 0 <= j < nb and len(<str> out[j].category):
                        out[i].category = <PyObject *> (<_Entry> out[i].entry).category
                        out[i].score = <PyObject *> _F07
                        break

        for i in range(nb):
            signals = bs.get(<object> blocks[i], B_SIGNALS)
            signals["widget"] = <object> out[i].category
            signals["widget_score"] = <object> out[i].score
            signals["lexicon_hits"] = (<_Entry> out[i].entry).hits
            signals["share_links"] = out[i].shares
        seen_tokens.clear()  # release this page's objects now
        scanned.clear()
        hrefs.clear()


def round4(double x):
    """``round(x, 4)`` as the kernel computes it (for tests)."""
    return _round4(x)
