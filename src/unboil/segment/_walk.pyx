# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
# cython: cdivision=True, infer_types=False
"""Compiled twin of ``unboil.segment.html._Walker.walk``: the same blocks, made in C.

The walk runs over libxml2's nodes directly (lxml's public C API) instead of lxml's Python-level
iterwalk: no Python object is made for an element unless it owns a block (``Block.element``) or
its attributes feed a Python helper (ordered lists, page metadata). Run text stays UTF-8 bytes
until a block is flushed. Every rule of the Python walker is kept; html.py documents them and
tests/segment/test_compiled_walk.py checks that both walkers give identical blocks.
"""

from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.object cimport PyTypeObject
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memchr, memcmp, memcpy, memset, strcmp, strlen

from lxml.includes cimport tree
from lxml.includes.etreepublic cimport (
    _Document, _Element, attributeValue, elementFactory, import_lxml__etree,
)

import dataclasses
from types import MemberDescriptorType

from unboil.document import Block, Link

import_lxml__etree()


cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset
        int flags

cdef extern from "Python.h":
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member
    void PyObject_GC_UnTrack(void* op)
    object PyUnicode_New(Py_ssize_t size, unsigned int maxchar)
    void* PyUnicode_DATA(object u)
    object PyType_GenericAlloc(PyTypeObject* t, Py_ssize_t nitems)
    object _PyDict_NewPresized(Py_ssize_t minused)


cdef inline object _untracked(object obj):
    """obj, no longer watched by the cycle collector: it holds only strings (or such objects),
    so it can never be part of a cycle; the collector then has less to walk."""
    PyObject_GC_UnTrack(<void*>obj)
    return obj


# -- Block and Link without their dataclass __init__ -------------------------------------------
# Both are slotted dataclasses whose __init__ only stores its arguments; calling it (a Python
# frame per object) was a third of the walk. When the classes still look like that (checked
# here, once), new objects are allocated and their slots filled directly; else __init__ runs.

cdef Py_ssize_t[12] _BLOCK_SLOT
cdef Py_ssize_t[2] _LINK_SLOT
cdef bint _DIRECT = False
cdef object _BLOCK_START = -1
cdef object _BLOCK_END = -1
_BLOCK_FIELDS = ("index", "text", "bullet", "tag", "path", "class_tokens", "links",
                 "link_density", "start", "end", "signals", "element")


cdef bint _slots_of(cls, tuple names, Py_ssize_t* out) except -1:
    """Fill ``out`` with the slot offsets of a plain slotted dataclass; False when it is not one."""
    cdef PyMemberDef* member
    if cls.__new__ is not object.__new__ or hasattr(cls, "__post_init__"):
        return False
    if tuple(f.name for f in dataclasses.fields(cls)) != names:
        return False
    for i, name in enumerate(names):
        descr = cls.__dict__.get(name)
        if type(descr) is not MemberDescriptorType:
            return False
        member = (<PyMemberDescrObject*>descr).d_member
        if member.type != 16 or member.flags & 1:  # T_OBJECT_EX, not READONLY
            return False
        out[i] = member.offset
    return True


cdef int _setup_direct() except -1:
    global _DIRECT, _BLOCK_START, _BLOCK_END
    defaults = {f.name: f.default for f in dataclasses.fields(Block)}
    _BLOCK_START = defaults["start"]
    _BLOCK_END = defaults["end"]
    _DIRECT = (_slots_of(Block, _BLOCK_FIELDS, _BLOCK_SLOT)
               and _slots_of(Link, ("text", "href"), _LINK_SLOT))
    return 0


_setup_direct()


cdef inline void _put(object obj, Py_ssize_t offset, object value) noexcept:
    """Store ``value`` in the (empty) slot at ``offset`` of a new object."""
    Py_INCREF(value)
    (<PyObject**>((<char*><PyObject*>obj) + offset))[0] = <PyObject*>value


cdef object _new_block(index, text, bullet, tag, path, tokens, links, density, signals, element):
    """Block(index, text, bullet, tag, path, tokens, links, density, signals=, element=)."""
    if not _DIRECT:
        return Block(index, text, bullet, tag, path, tokens, links, density, signals=signals,
                     element=element)
    obj = PyType_GenericAlloc(<PyTypeObject*>Block, 0)
    _put(obj, _BLOCK_SLOT[0], index)
    _put(obj, _BLOCK_SLOT[1], text)
    _put(obj, _BLOCK_SLOT[2], bullet)
    _put(obj, _BLOCK_SLOT[3], tag)
    _put(obj, _BLOCK_SLOT[4], path)
    _put(obj, _BLOCK_SLOT[5], tokens)
    _put(obj, _BLOCK_SLOT[6], links)
    _put(obj, _BLOCK_SLOT[7], density)
    _put(obj, _BLOCK_SLOT[8], _BLOCK_START)
    _put(obj, _BLOCK_SLOT[9], _BLOCK_END)
    _put(obj, _BLOCK_SLOT[10], signals)
    _put(obj, _BLOCK_SLOT[11], element)
    # Not watched by the cycle collector: a block holds strings, tuples of strings, numbers, its
    # lxml element and a signals dict of plain values, none of which can lead back to it. A
    # tracked block lived through two or three collections per page and pushed the collector
    # into full collections of the whole process (about 3% of clean_html's instructions).
    return _untracked(obj)


cdef object _new_link(text, href):
    """Link(text, href)."""
    if not _DIRECT:
        return Link(text, href)
    obj = PyType_GenericAlloc(<PyTypeObject*>Link, 0)
    _put(obj, _LINK_SLOT[0], text)
    _put(obj, _LINK_SLOT[1], href)
    return _untracked(obj)  # two strings, frozen


# A block's signals dict ends up with about twenty entries (every detector adds a few); made with
# room for them, it is never resized on the way (a plain {} grows twice: 8, 16, then 32 slots).
DEF SIGNALS_ROOM = 16  # what _PyDict_NewPresized needs for 32 slots (room for 21 entries)


cdef inline dict _signals(object ancestors):
    """{"ancestors": ancestors}, with room for the entries the detectors add."""
    cdef dict d = _PyDict_NewPresized(SIGNALS_ROOM)
    d["ancestors"] = ancestors
    return d


def new_signals(ancestors: object) -> dict:
    """The signals dict the walk gives a new block (for tests)."""
    return _signals(ancestors)


def direct_construction() -> bool:
    """Whether Blocks and Links are made without their __init__ (for tests)."""
    return _DIRECT

# Element kinds: the values of html.py's _INLINE.._HR and _BLOCK.._PRE (checked on first use).
cdef enum:
    K_INLINE = 0
    K_SEP = 1
    K_SKIP = 2
    K_HEAD = 3
    K_META = 4
    K_BR = 5
    K_HR = 6
    K_BLOCK = 10
    K_CELL = 11
    K_ROW = 12
    K_LIST = 13
    K_LI = 14
    K_PRE = 15

# Per-tag flags.
cdef enum:
    F_A = 1            # <a>: opens a link when it has href
    F_HTML_BODY = 2    # html or body: never hidden
    F_OL = 4           # an ordered list
    F_SCRIPT = 8       # the page-metadata tags (html._METADATA_TAGS)
    F_TITLE = 16
    F_META = 32
    F_LINK = 64
    F_METADATA = 8 | 16 | 32 | 64

cdef struct Frame:
    tree.xmlNode* node
    tree.xmlAttr* cls       # the class and id attributes, NULL when absent
    tree.xmlAttr* ident
    Py_ssize_t tag          # index in the walker's tag table
    Py_ssize_t nth          # position among same-tag siblings
    Py_ssize_t undo         # length of the sibling-count undo log when this frame opened
    long long serial
    int kind
    int link                # 1 when the frame opened a link
    PyObject* path          # filled by describe(); NULL until then
    PyObject* tokens
    PyObject* anc
    PyObject* child_anc     # anc + (tag,): the ancestors of every child, made once
    PyObject* last_own      # a child's own class tokens, and its tokens (last_own + tokens),
    PyObject* last_tokens   # reused by the next child with the same class and id

cdef struct LinkRec:
    Py_ssize_t lid
    unsigned char* buf
    Py_ssize_t len
    Py_ssize_t cap

cdef struct Row:
    Py_ssize_t first
    Py_ssize_t pos
    int has_blocks

cdef struct OwnEntry:  # the class tokens of one (class, id) pair seen on the page
    unsigned char* key
    Py_ssize_t len
    unsigned long hash
    PyObject* tokens

cdef struct Undo:
    Py_ssize_t tag
    long long owner
    Py_ssize_t val

# html.py, imported on first use (it imports this module at its end).
cdef object _html = None
cdef object _KIND = None
cdef object _split_tokens = None
cdef object _hides = None
cdef object _pre_text = None
cdef object _ordered_list = None
cdef object _ordered_bullet = None
cdef Py_ssize_t _MAX_CELL = 0
cdef object _CELL_SEP = None
cdef object _META_KEYS = None


cdef int _load_html() except -1:
    global _html, _KIND, _split_tokens, _hides, _pre_text, _ordered_list, _ordered_bullet
    global _MAX_CELL, _CELL_SEP, _META_KEYS
    from unboil.segment import html
    expected = (html._INLINE, html._SEP, html._SKIP, html._HEAD, html._META, html._BR,
                html._HR, html._BLOCK, html._CELL, html._ROW, html._LIST, html._LI, html._PRE)
    if expected != (K_INLINE, K_SEP, K_SKIP, K_HEAD, K_META, K_BR, K_HR, K_BLOCK, K_CELL,
                    K_ROW, K_LIST, K_LI, K_PRE):
        raise RuntimeError("unboil.segment._walk is out of date with html.py: rebuild it")
    if tuple(html._METADATA_TAGS) != ("script", "title", "meta", "link"):
        raise RuntimeError("unboil.segment._walk is out of date with html.py: rebuild it")
    _KIND = html._KIND
    _split_tokens = html._split_tokens
    _hides = html._hides
    _pre_text = html._pre_text
    _ordered_list = html._ordered_list
    _ordered_bullet = html._ordered_bullet
    _MAX_CELL = html.MAX_MERGED_CELL_CHARS
    _CELL_SEP = html.CELL_SEPARATOR
    from unboil.segment.htmlmeta import META_KEYS
    _META_KEYS = frozenset(META_KEYS)
    _html = html
    return 0


# -- text helpers on UTF-8 bytes ---------------------------------------------------------------

# Byte classes: 0 a byte of a non-space character, 1 an ASCII space (str.isspace), 2 the lead
# byte of a multi-byte character that may be a space (U+0085, U+00A0, U+1680, U+2000..U+3000).
cdef unsigned char[256] _BYTE_CLASS
for _b in range(256):
    _BYTE_CLASS[_b] = 0
for _b in (9, 10, 11, 12, 13, 28, 29, 30, 31, 32):
    _BYTE_CLASS[_b] = 1
for _b in (0xC2, 0xE1, 0xE2, 0xE3):
    _BYTE_CLASS[_b] = 2


cdef inline Py_ssize_t _ws_multi(const unsigned char* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """Byte length of the multi-byte character at s[i] (lead byte of class 2) when Python's
    str.isspace() holds for it, else 0."""
    cdef unsigned char c = s[i]
    cdef unsigned char c1, c2
    if c == 0xC2:  # U+0085, U+00A0
        return 2 if i + 1 < n and (s[i + 1] == 0x85 or s[i + 1] == 0xA0) else 0
    if i + 2 >= n:
        return 0
    c1 = s[i + 1]
    c2 = s[i + 2]
    if c == 0xE1:  # U+1680
        return 3 if c1 == 0x9A and c2 == 0x80 else 0
    if c == 0xE2:  # U+2000..U+200A, U+2028, U+2029, U+202F, U+205F
        if c1 == 0x80 and (c2 <= 0x8A or c2 == 0xA8 or c2 == 0xA9 or c2 == 0xAF):
            return 3
        return 3 if c1 == 0x81 and c2 == 0x9F else 0
    return 3 if c1 == 0x80 and c2 == 0x80 else 0  # 0xE3: U+3000


cdef inline Py_ssize_t _ws(const unsigned char* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """Byte length of the character at s[i] when Python's str.isspace() holds for it, else 0."""
    cdef unsigned char k = _BYTE_CLASS[s[i]]
    if k == 0:
        return 0
    if k == 1:
        return 1
    return _ws_multi(s, i, n)


cdef inline bint _all_space(const unsigned char* s, Py_ssize_t n) noexcept nogil:
    """str.isspace() of non-empty UTF-8 text."""
    cdef Py_ssize_t i = 0, w
    while i < n:
        w = _ws(s, i, n)
        if w == 0:
            return False
        i += w
    return True


cdef extern from *:
    """
    /* How many bytes of a word loaded from memory come before its lowest flagged byte. On a
       big-endian machine the flags are not exact in memory order: 0 sends every byte of the
       word to the byte-by-byte path. */
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    #define UNBOIL_BYTES_BEFORE_FLAG(bad) 0
    #else
    #define UNBOIL_BYTES_BEFORE_FLAG(bad) (__builtin_ctzll(bad) >> 3)
    #endif
    """
    Py_ssize_t UNBOIL_BYTES_BEFORE_FLAG(uint64_t bad) nogil


cdef Py_ssize_t _squash(const unsigned char* s, Py_ssize_t n, unsigned char* out) noexcept nogil:
    """" ".join(text.split()) of UTF-8 text, written to ``out`` (room for n bytes); its length."""
    cdef Py_ssize_t i = 0, o = 0, w
    cdef bint gap = False
    cdef unsigned char c, k
    cdef uint64_t word, bad
    while i < n:
        if not gap and i + 8 <= n:  # printable ASCII bytes (no space among them), 8 at a time
            memcpy(&word, s + i, 8)
            # a flag on each byte that is not printable ASCII (below 0x21 or from 0x80); the
            # lowest flag is exact (bytes below it borrow nothing), those above it may be false
            bad = ((word - 0x2121212121212121ULL) | word) & 0x8080808080808080ULL
            memcpy(out + o, &word, 8)  # o <= i, so out has room for these 8 bytes
            if bad == 0:
                i += 8
                o += 8
                continue
            w = UNBOIL_BYTES_BEFORE_FLAG(bad)  # the printable bytes before the first other one
            i += w
            o += w  # s[i] is now a space, a control byte or part of a non-ASCII character
        c = s[i]
        k = _BYTE_CLASS[c]
        if k == 0:
            if gap:
                out[o] = 32
                o += 1
                gap = False
            out[o] = c
            o += 1
            i += 1
            continue
        w = 1 if k == 1 else _ws_multi(s, i, n)
        if w:
            i += w
            gap = o > 0
            continue
        if gap:
            out[o] = 32
            o += 1
            gap = False
        out[o] = c
        o += 1
        i += 1
    return o


cdef Py_ssize_t _squash_lines(const unsigned char* s, Py_ssize_t n, unsigned char* out) noexcept nogil:
    """The text of a run holding <br> marks (NUL): each piece squashed, empty ones left out,
    joined by newlines (html.py's ``"\\n".join(filter(None, ...))``)."""
    cdef Py_ssize_t start = 0, end, o = 0, k
    cdef const unsigned char* hit
    while start <= n:
        hit = <const unsigned char*>memchr(s + start, 0, <size_t>(n - start))
        end = (hit - s) if hit != NULL else n
        if o:
            out[o] = 10
            k = _squash(s + start, end - start, out + o + 1)
            if k:
                o += 1 + k
        else:
            o = _squash(s + start, end - start, out)
        start = end + 1
    return o


def squash(text: str) -> str:
    """" ".join(text.split()) computed by the C code the walk uses (for tests)."""
    data = text.encode("utf-8", "surrogatepass")
    cdef const unsigned char* s = data
    cdef bytearray out = bytearray(len(data) + 1)
    cdef unsigned char* o = out
    return PyUnicode_DecodeUTF8(<const char*>o, _squash(s, len(data), o), NULL)


def squash_lines(text: str) -> str:
    """The <br>-run normalisation of the walk, "\\x00" standing for a <br> (for tests)."""
    data = text.encode("utf-8", "surrogatepass")
    cdef const unsigned char* s = data
    cdef bytearray out = bytearray(len(data) + 1)
    cdef unsigned char* o = out
    return PyUnicode_DecodeUTF8(<const char*>o, _squash_lines(s, len(data), o), NULL)


def is_space(text: str) -> bool:
    """str.isspace() computed by the C code the walk uses (for tests)."""
    data = text.encode("utf-8", "surrogatepass")
    cdef const unsigned char* s = data
    return len(data) > 0 and _all_space(s, len(data))


def strip(text: str) -> str:
    """str.strip() computed by the C code the walk uses (for tests)."""
    data = text.encode("utf-8", "surrogatepass")
    cdef const unsigned char* s = data
    cdef Py_ssize_t a, b
    _strip(s, len(data), &a, &b)
    return PyUnicode_DecodeUTF8(<const char*>(s + a), b - a, NULL)


cdef inline void _strip(const unsigned char* s, Py_ssize_t n, Py_ssize_t* a, Py_ssize_t* b) noexcept nogil:
    """The bounds [a, b) of str.strip() of UTF-8 text."""
    cdef Py_ssize_t i = 0, j = n, w
    while i < n:
        w = _ws(s, i, n)
        if w == 0:
            break
        i += w
    while j > i:  # a space ends the text when its last 1, 2 or 3 bytes are one
        if _BYTE_CLASS[s[j - 1]] == 1:
            j -= 1
        elif j - 2 >= i and s[j - 2] == 0xC2 and _ws_multi(s, j - 2, j) == 2:
            j -= 2
        elif j - 3 >= i and _BYTE_CLASS[s[j - 3]] == 2 and _ws_multi(s, j - 3, j) == 3:
            j -= 3
        else:
            break
    a[0] = i
    b[0] = j


cdef inline bint _has_ci(const unsigned char* s, Py_ssize_t n, const char* word) noexcept nogil:
    """Whether ``word`` (lowercase ASCII) occurs in s, ASCII letters compared case-blind.

    Exact for ``word in s.lower()`` when word holds neither "i" followed by nothing nor "k":
    only U+0130 and U+212A lower to ASCII letters, to "i" + U+0307 and to "k".
    """
    cdef Py_ssize_t m = <Py_ssize_t>strlen(word), i, j
    cdef unsigned char c
    for i in range(n - m + 1):
        for j in range(m):
            c = s[i + j]
            if 65 <= c <= 90:
                c += 32
            if c != <unsigned char>word[j]:
                break
        else:
            return True
    return False


cdef inline bint _has(const unsigned char* s, Py_ssize_t n, const char* word) noexcept nogil:
    """Whether ``word`` (ASCII) occurs in s as it is."""
    cdef Py_ssize_t m = <Py_ssize_t>strlen(word), i, j
    for i in range(n - m + 1):
        for j in range(m):
            if s[i + j] != <unsigned char>word[j]:
                break
        else:
            return True
    return False


# -- class and id tokens ------------------------------------------------------------------------

DEF MAX_TOKENS = 64


cdef inline bint _ascii_space(unsigned char c) noexcept nogil:
    return c == 32 or 9 <= c <= 13 or 28 <= c <= 31


cdef object _ascii_tokens(const unsigned char* joined, Py_ssize_t n, unsigned char* low):
    """html._split_tokens of ASCII text ``class + " " + id``, or None for other text.

    The same tokens in the same order: each whitespace-separated token lowercased, followed by
    its non-empty parts split on "-" and "_", first occurrences kept. ``low`` has room for n.
    """
    cdef Py_ssize_t[MAX_TOKENS] starts
    cdef Py_ssize_t[MAX_TOKENS] lens
    cdef unsigned long[MAX_TOKENS] hashes
    cdef signed char[2 * MAX_TOKENS] seen  # a hash set of the kept tokens (their indexes)
    cdef unsigned long h
    cdef Py_ssize_t k = 0, i = 0, j, a, b, q, m, slot
    cdef unsigned char c
    cdef bint dup
    memset(seen, -1, sizeof(seen))
    for i in range(n):
        c = joined[i]
        if c >= 0x80:
            return None
        low[i] = c + 32 if 65 <= c <= 90 else c
    i = 0
    while i < n:
        if _ascii_space(low[i]):
            i += 1
            continue
        a = i
        while i < n and not _ascii_space(low[i]):
            i += 1
        b = i  # the raw token is low[a:b], then its parts
        q = a
        m = -1  # -1: the raw token itself, then the parts
        while True:
            if m < 0:
                starts[k] = a
                lens[k] = b - a
            else:
                while q < b and (low[q] == 45 or low[q] == 95):
                    q += 1
                if q >= b:
                    break
                m = q
                while q < b and low[q] != 45 and low[q] != 95:
                    q += 1
                if m == a and q == b:  # no separator: the part is the raw token again
                    break
                starts[k] = m
                lens[k] = q - m
            h = 2166136261
            for j in range(starts[k], starts[k] + lens[k]):
                h = (h ^ low[j]) * 16777619
            hashes[k] = h
            dup = False
            slot = <Py_ssize_t>(h & (2 * MAX_TOKENS - 1))
            while seen[slot] >= 0:
                j = seen[slot]
                if hashes[j] == h and lens[j] == lens[k] and \
                        memcmp(low + starts[j], low + starts[k], <size_t>lens[k]) == 0:
                    dup = True
                    break
                slot = (slot + 1) & (2 * MAX_TOKENS - 1)
            if not dup:
                seen[slot] = <signed char>k
                k += 1
                if k == MAX_TOKENS:
                    return None
            m = 0
    out = PyTuple_New(k)
    for j in range(k):
        tok = PyUnicode_New(lens[j], 127)  # ASCII
        memcpy(PyUnicode_DATA(tok), low + starts[j], <size_t>lens[j])
        Py_INCREF(tok)
        PyTuple_SET_ITEM(out, j, tok)
    return _untracked(out)


def split_tokens(cls: str | None, ident: str | None) -> tuple | None:
    """The C class/id tokeniser (None: not ASCII, Python's _split_tokens is used) (for tests)."""
    joined = ((cls or "") + " " + (ident or "")).encode("utf-8", "surrogatepass")
    cdef bytearray low = bytearray(len(joined) + 1)
    return _ascii_tokens(joined, len(joined), low)


# -- libxml2 nodes ------------------------------------------------------------------------------

cdef inline tree.xmlNode* _visible(tree.xmlNode* c) noexcept nogil:
    """c or the first sibling after it that iterwalk reports: an element (or entity reference);
    comments and processing instructions are passed over."""
    while c != NULL and c.type != tree.XML_ELEMENT_NODE and c.type != tree.XML_ENTITY_REF_NODE:
        c = c.next
    return c


cdef inline tree.xmlNode* _text_node(tree.xmlNode* c) noexcept nogil:
    """c when it is a text node, passing over XInclude markers; else NULL (lxml's rule)."""
    while c != NULL:
        if c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE:
            return c
        if c.type == tree.XML_XINCLUDE_START or c.type == tree.XML_XINCLUDE_END:
            c = c.next
        else:
            return NULL
    return NULL


cdef inline const unsigned char* _attr_fast(tree.xmlAttr* a) noexcept nogil:
    """An attribute's value when it is one text node (or none: ""), else NULL."""
    cdef tree.xmlNode* t = a.children
    if t == NULL:
        return <const unsigned char*>b""
    if t.next == NULL and t.content != NULL and (
            t.type == tree.XML_TEXT_NODE or t.type == tree.XML_CDATA_SECTION_NODE):
        return <const unsigned char*>t.content
    return NULL


cdef object _attr_str(tree.xmlNode* c, tree.xmlAttr* a):
    """An attribute's value as str, as lxml's el.get() gives it."""
    cdef const unsigned char* p = _attr_fast(a)
    if p != NULL:
        return PyUnicode_DecodeUTF8(<const char*>p, <Py_ssize_t>strlen(<const char*>p), NULL)
    return attributeValue(c, a)


cdef object _attr_bytes(tree.xmlNode* c, tree.xmlAttr* a):
    """An attribute's value as UTF-8 bytes (the slow path of _attr_fast)."""
    return (<unicode>attributeValue(c, a)).encode("utf-8")


cdef inline tree.xmlAttr* _find_attr(tree.xmlNode* c, const char* name) noexcept nogil:
    """The attribute (without namespace) called ``name``, or NULL."""
    cdef tree.xmlAttr* a = c.properties
    while a != NULL:
        if a.type == tree.XML_ATTRIBUTE_NODE and a.ns == NULL and \
                strcmp(<const char*>a.name, name) == 0:
            return a
        a = a.next
    return NULL


cdef bint _attr_has_ci(tree.xmlNode* c, const char* name, const char* word) except -1:
    """Whether attribute ``name`` exists and holds ``word`` ASCII-case-blind (see _has_ci)."""
    cdef tree.xmlAttr* a = _find_attr(c, name)
    if a == NULL:
        return False
    cdef const unsigned char* p = _attr_fast(a)
    cdef bytes tmp
    if p == NULL:
        tmp = _attr_bytes(c, a)
        return _has_ci(tmp, len(tmp), word)
    return _has_ci(p, <Py_ssize_t>strlen(<const char*>p), word)


cdef inline unsigned long _hash(const unsigned char* s) noexcept nogil:
    cdef unsigned long h = 2166136261
    while s[0]:
        h = (h ^ s[0]) * 16777619
        s += 1
    return h


cdef int _grow(void** p, Py_ssize_t* cap, Py_ssize_t need, size_t item) except -1:
    """Make room for ``need`` items of ``item`` bytes in the realloc'd array *p."""
    if need <= cap[0]:
        return 0
    cdef Py_ssize_t new_cap = cap[0] * 2 if cap[0] else 16
    while new_cap < need:
        new_cap *= 2
    cdef void* q = realloc(p[0], <size_t>new_cap * item)
    if q == NULL:
        raise MemoryError()
    p[0] = q
    cap[0] = new_cap
    return 0


# -- the walker ---------------------------------------------------------------------------------

cdef class _CWalker:
    """The state of one compiled segmentation pass (html._Walker's, in C arrays)."""

    cdef _Document doc
    cdef dict kind_map  # tag -> kind: html._KIND, or html._KIND_NOSCRIPT for the noscript fallback
    cdef public list blocks
    cdef public object meta
    cdef dict fields  # meta.fields and meta.jsonld, filled in place
    cdef list jsonld
    # open elements
    cdef Frame* stack
    cdef Py_ssize_t depth, stack_cap
    cdef Py_ssize_t* bpos
    cdef Py_ssize_t nbpos, bpos_cap
    cdef long long serial
    # tag table: names (libxml2's, NULL for namespaced tags), kinds, flags, str, sibling counts
    cdef const unsigned char** names
    cdef int* kinds
    cdef int* flags
    cdef long long* cnt_owner
    cdef Py_ssize_t* cnt_val
    cdef Py_ssize_t ntags, tags_cap
    cdef list tagstrs
    cdef dict ns_tags
    cdef Py_ssize_t* slots
    cdef Py_ssize_t nslots
    cdef const unsigned char* recent[64]  # a direct-mapped cache: name pointer -> tag index
    cdef Py_ssize_t recent_id[64]
    cdef Undo* undo
    cdef Py_ssize_t nundo, undo_cap
    # class-token caches: raw token -> parts (for the Python splitter); class and id -> tokens
    cdef dict seen_tokens
    cdef OwnEntry* owns
    cdef Py_ssize_t own_n, own_cap
    cdef Py_ssize_t* own_slots
    cdef Py_ssize_t own_nslots
    cdef unsigned char* kbuf
    cdef Py_ssize_t kbuf_cap
    # the current run
    cdef unsigned char* raw
    cdef Py_ssize_t raw_len, raw_cap
    cdef unsigned char* out
    cdef Py_ssize_t out_cap
    cdef unsigned char* tbuf
    cdef Py_ssize_t tbuf_cap
    cdef LinkRec* recs
    cdef Py_ssize_t nrec, recs_cap
    cdef long long run
    # links of the page
    cdef list hrefs
    cdef long long* lid_run
    cdef Py_ssize_t* lid_rec
    cdef Py_ssize_t lids_cap
    cdef Py_ssize_t* open_links
    cdef Py_ssize_t nopen, open_cap
    # lists, rows, pre
    cdef list lists
    cdef object bullet
    cdef Row* rows
    cdef Py_ssize_t nrows, rows_cap
    cdef int pre_depth
    cdef int space
    cdef bint after_br

    def __cinit__(self):
        self.blocks = []
        self.tagstrs = []
        self.ns_tags = {}
        self.seen_tokens = {}
        self.hrefs = []
        self.lists = []
        self.bullet = ""
        self.meta = _html.PageMeta()
        self.fields = self.meta.fields
        self.jsonld = self.meta.jsonld

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self.stack != NULL:
            for i in range(self.depth):
                self._clear_frame(&self.stack[i])
        if self.recs != NULL:
            for i in range(self.recs_cap):
                free(self.recs[i].buf)
        for i in range(self.own_n):
            free(self.owns[i].key)
            Py_XDECREF(self.owns[i].tokens)
        free(self.owns)
        free(self.own_slots)
        free(self.kbuf)
        free(self.stack)
        free(self.bpos)
        free(self.names)
        free(self.kinds)
        free(self.flags)
        free(self.cnt_owner)
        free(self.cnt_val)
        free(self.slots)
        free(self.undo)
        free(self.raw)
        free(self.out)
        free(self.tbuf)
        free(self.recs)
        free(self.lid_run)
        free(self.lid_rec)
        free(self.open_links)
        free(self.rows)

    cdef inline void _clear_frame(self, Frame* f) noexcept:
        Py_XDECREF(f.path)
        Py_XDECREF(f.tokens)
        Py_XDECREF(f.anc)
        Py_XDECREF(f.child_anc)
        Py_XDECREF(f.last_own)
        Py_XDECREF(f.last_tokens)
        f.path = f.tokens = f.anc = f.child_anc = f.last_own = f.last_tokens = NULL

    # -- tags --

    cdef Py_ssize_t _add_tag(self, str tagstr, const unsigned char* name) except -1:
        cdef Py_ssize_t t = self.ntags
        cdef Py_ssize_t cap = self.tags_cap
        _grow(<void**>&self.names, &cap, t + 1, sizeof(const unsigned char*))
        cap = self.tags_cap
        _grow(<void**>&self.kinds, &cap, t + 1, sizeof(int))
        cap = self.tags_cap
        _grow(<void**>&self.flags, &cap, t + 1, sizeof(int))
        cap = self.tags_cap
        _grow(<void**>&self.cnt_owner, &cap, t + 1, sizeof(long long))
        cap = self.tags_cap
        _grow(<void**>&self.cnt_val, &cap, t + 1, sizeof(Py_ssize_t))
        self.tags_cap = cap
        self.names[t] = name
        self.kinds[t] = self.kind_map.get(tagstr, K_INLINE)
        cdef int fl = 0
        if tagstr == "a":
            fl = F_A
        elif tagstr == "html" or tagstr == "body":
            fl = F_HTML_BODY
        elif tagstr == "ol":
            fl = F_OL
        elif tagstr == "script":
            fl = F_SCRIPT
        elif tagstr == "title":
            fl = F_TITLE
        elif tagstr == "meta":
            fl = F_META
        elif tagstr == "link":
            fl = F_LINK
        self.flags[t] = fl
        self.cnt_owner[t] = -1
        self.cnt_val[t] = 0
        self.tagstrs.append(tagstr)
        self.ntags = t + 1
        return t

    cdef int _rehash(self) except -1:
        cdef Py_ssize_t n = self.nslots * 2 if self.nslots else 64
        cdef Py_ssize_t* slots = <Py_ssize_t*>realloc(NULL, <size_t>n * sizeof(Py_ssize_t))
        cdef Py_ssize_t i, t
        if slots == NULL:
            raise MemoryError()
        for i in range(n):
            slots[i] = 0
        for t in range(self.ntags):
            if self.names[t] != NULL:
                i = <Py_ssize_t>(_hash(self.names[t]) & <unsigned long>(n - 1))
                while slots[i]:
                    i = (i + 1) & (n - 1)
                slots[i] = t + 1
        free(self.slots)
        self.slots = slots
        self.nslots = n
        return 0

    cdef inline Py_ssize_t _tag_id(self, tree.xmlNode* c) except -1:
        """The index of an element's tag in the tag table, adding it on first sight."""
        cdef const unsigned char* name = <const unsigned char*>c.name
        cdef Py_ssize_t i, e, t
        cdef size_t cached = (<size_t>name >> 4) & 63
        if self.recent[cached] == name:  # libxml2 interns names: same tag, same pointer
            return self.recent_id[cached]
        if c.ns != NULL:
            return self._ns_tag_id(c)
        if self.nslots == 0:
            self._rehash()
        i = <Py_ssize_t>(_hash(name) & <unsigned long>(self.nslots - 1))
        while True:
            e = self.slots[i]
            if e == 0:
                break
            if self.names[e - 1] == name or \
                    strcmp(<const char*>self.names[e - 1], <const char*>name) == 0:
                self.recent[cached] = name
                self.recent_id[cached] = e - 1
                return e - 1
            i = (i + 1) & (self.nslots - 1)
        t = self._add_tag(
            PyUnicode_DecodeUTF8(<const char*>name, <Py_ssize_t>strlen(<const char*>name), NULL),
            name)
        self.slots[i] = t + 1
        if 2 * self.ntags > self.nslots:
            self._rehash()
        self.recent[cached] = name
        self.recent_id[cached] = t
        return t

    cdef Py_ssize_t _ns_tag_id(self, tree.xmlNode* c) except -1:
        """Tag index of a namespaced element ("{href}name", as lxml names it)."""
        cdef str tagstr = (<const char*>c.name).decode("utf-8")
        if c.ns.href != NULL:
            tagstr = "{%s}%s" % ((<const char*>c.ns.href).decode("utf-8"), tagstr)
        t = self.ns_tags.get(tagstr)
        if t is None:
            t = self.ns_tags[tagstr] = self._add_tag(tagstr, NULL)
        return t

    cdef inline Py_ssize_t _nth(self, Py_ssize_t t) except -1:
        """Count a child of the top frame with tag t; its position among same-tag siblings."""
        cdef long long parent = self.stack[self.depth - 1].serial
        if self.cnt_owner[t] == parent:
            self.cnt_val[t] += 1
            return self.cnt_val[t]
        _grow(<void**>&self.undo, &self.undo_cap, self.nundo + 1, sizeof(Undo))
        self.undo[self.nundo].tag = t
        self.undo[self.nundo].owner = self.cnt_owner[t]
        self.undo[self.nundo].val = self.cnt_val[t]
        self.nundo += 1
        self.cnt_owner[t] = parent
        self.cnt_val[t] = 1
        return 1

    # -- text of the run --

    cdef inline int _append(self, const unsigned char* s, Py_ssize_t n) except -1:
        if self.raw_len + n > self.raw_cap:
            _grow(<void**>&self.raw, &self.raw_cap, self.raw_len + n, 1)
        memcpy(self.raw + self.raw_len, s, <size_t>n)
        self.raw_len += n
        return 0

    cdef LinkRec* _new_rec(self, Py_ssize_t lid) except NULL:
        """A new link of the current run (html.py: link_parts[lid] = [], link_order.append)."""
        cdef Py_ssize_t old = self.recs_cap, i
        if self.nrec + 1 > self.recs_cap:
            _grow(<void**>&self.recs, &self.recs_cap, self.nrec + 1, sizeof(LinkRec))
            for i in range(old, self.recs_cap):
                self.recs[i].buf = NULL
                self.recs[i].cap = 0
        cdef LinkRec* rec = &self.recs[self.nrec]
        rec.lid = lid
        rec.len = 0
        self.lid_run[lid] = self.run
        self.lid_rec[lid] = self.nrec
        self.nrec += 1
        return rec

    cdef int _text(self, tree.xmlNode* first) except -1:
        """Add the text of the text nodes from ``first`` on (an element's text or tail)."""
        cdef tree.xmlNode* c = _text_node(first)
        cdef tree.xmlNode* nxt
        cdef const unsigned char* s
        cdef Py_ssize_t n, k, lid
        cdef LinkRec* rec
        if c == NULL:
            return 0
        nxt = _text_node(c.next)
        if nxt == NULL:
            if c.content == NULL:
                return 0
            s = <const unsigned char*>c.content
            n = <Py_ssize_t>strlen(<const char*>s)
        else:  # several text nodes: lxml joins them
            n = 0
            while c != NULL:
                if c.content != NULL:
                    k = <Py_ssize_t>strlen(<const char*>c.content)
                    _grow(<void**>&self.tbuf, &self.tbuf_cap, n + k, 1)
                    memcpy(self.tbuf + n, c.content, <size_t>k)
                    n += k
                c = _text_node(c.next)
            s = self.tbuf
        if n == 0:
            return 0
        self.space = 0
        if self.raw_len:
            if self.after_br and not _all_space(s, n):
                self.after_br = False
        elif _all_space(s, n):
            return 0
        self._append(s, n)
        if self.nopen:
            lid = self.open_links[self.nopen - 1]
            if self.lid_run[lid] == self.run:
                rec = &self.recs[self.lid_rec[lid]]
            else:
                rec = self._new_rec(lid)
            if rec.len + n > rec.cap:
                _grow(<void**>&rec.buf, &rec.cap, rec.len + n, 1)
            memcpy(rec.buf + rec.len, s, <size_t>n)
            rec.len += n
        return 0

    cdef object _decode_squashed(self, const unsigned char* s, Py_ssize_t n, bint lines):
        _grow(<void**>&self.out, &self.out_cap, n + 1, 1)
        cdef Py_ssize_t k = _squash_lines(s, n, self.out) if lines else _squash(s, n, self.out)
        return PyUnicode_DecodeUTF8(<const char*>self.out, k, NULL)

    # -- blocks --

    cdef object own(self, Frame* f):
        """The class/id tokens of one element, cached per page by the raw class and id."""
        cdef const unsigned char* cls = _attr_fast(f.cls) if f.cls != NULL else <const unsigned char*>b""
        cdef const unsigned char* ident = _attr_fast(f.ident) if f.ident != NULL else <const unsigned char*>b""
        cdef bytes tmp_cls, tmp_ident
        cdef Py_ssize_t nc, ni
        if cls == NULL:
            tmp_cls = _attr_bytes(f.node, f.cls)
            cls = tmp_cls
        if ident == NULL:
            tmp_ident = _attr_bytes(f.node, f.ident)
            ident = tmp_ident
        nc = <Py_ssize_t>strlen(<const char*>cls)
        ni = <Py_ssize_t>strlen(<const char*>ident)
        # the key: class, a space, id (what _split_tokens joins); no attribute holds a NUL, so
        # a NUL marks where the class ends
        cdef Py_ssize_t n = nc + ni + 2, i, e
        _grow(<void**>&self.kbuf, &self.kbuf_cap, n, 1)
        cdef unsigned char* k = self.kbuf
        memcpy(k, cls, <size_t>nc)
        k[nc] = 32
        memcpy(k + nc + 1, ident, <size_t>ni)
        k[nc + ni + 1] = 0
        cdef unsigned long h = 2166136261
        for i in range(n):
            h = (h ^ k[i]) * 16777619
        if self.own_nslots == 0 or 2 * (self.own_n + 1) > self.own_nslots:
            self._own_rehash()
        i = <Py_ssize_t>(h & <unsigned long>(self.own_nslots - 1))
        while True:
            e = self.own_slots[i]
            if e == 0:
                break
            e -= 1
            if self.owns[e].hash == h and self.owns[e].len == n and \
                    memcmp(self.owns[e].key, k, <size_t>n) == 0:
                return <object>self.owns[e].tokens
            i = (i + 1) & (self.own_nslots - 1)
        _grow(<void**>&self.out, &self.out_cap, n, 1)
        found = _ascii_tokens(k, nc + ni + 1, self.out)
        if found is None:
            found = _split_tokens(
                PyUnicode_DecodeUTF8(<const char*>cls, nc, NULL) if f.cls != NULL else None,
                PyUnicode_DecodeUTF8(<const char*>ident, ni, NULL) if f.ident != NULL else None,
                self.seen_tokens)
        _grow(<void**>&self.owns, &self.own_cap, self.own_n + 1, sizeof(OwnEntry))
        e = self.own_n
        self.owns[e].key = NULL
        self.owns[e].tokens = NULL
        self.own_n += 1
        self.owns[e].key = <unsigned char*>malloc(<size_t>n)
        if self.owns[e].key == NULL:
            raise MemoryError()
        memcpy(self.owns[e].key, k, <size_t>n)
        self.owns[e].len = n
        self.owns[e].hash = h
        Py_INCREF(found)
        self.owns[e].tokens = <PyObject*>found
        self.own_slots[i] = e + 1
        return found

    cdef int _own_rehash(self) except -1:
        """Grow the class-token cache's hash table (and place every entry again)."""
        cdef Py_ssize_t n = self.own_nslots * 2 if self.own_nslots else 256
        cdef Py_ssize_t* slots = <Py_ssize_t*>realloc(NULL, <size_t>n * sizeof(Py_ssize_t))
        cdef Py_ssize_t i, e
        if slots == NULL:
            raise MemoryError()
        for i in range(n):
            slots[i] = 0
        for e in range(self.own_n):
            i = <Py_ssize_t>(self.owns[e].hash & <unsigned long>(n - 1))
            while slots[i]:
                i = (i + 1) & (n - 1)
            slots[i] = e + 1
        free(self.own_slots)
        self.own_slots = slots
        self.own_nslots = n
        return 0

    cdef int describe(self, Py_ssize_t pos) except -1:
        """Fill in path, class tokens and ancestor tags of stack[pos] and the frames above it."""
        cdef Frame* f
        cdef Frame* p
        cdef Py_ssize_t start = pos, k
        if self.stack[pos].path != NULL:
            return 0
        while start > 0 and self.stack[start - 1].path == NULL:
            start -= 1
        for k in range(start, pos + 1):
            f = &self.stack[k]
            p = &self.stack[k - 1] if k else NULL
            inherited = <object>p.tokens if p != NULL else ()
            if f.cls == NULL and f.ident == NULL:
                tokens = inherited
            else:
                own = self.own(f)
                if p != NULL and p.last_own == <PyObject*>own:  # a sibling had the same tokens
                    tokens = <object>p.last_tokens
                else:
                    tokens = _untracked(own + inherited)
                    if p != NULL:
                        Py_XDECREF(p.last_own)
                        Py_XDECREF(p.last_tokens)
                        Py_INCREF(own)
                        Py_INCREF(tokens)
                        p.last_own = <PyObject*>own
                        p.last_tokens = <PyObject*>tokens
            tag = self.tagstrs[f.tag]
            if p == NULL:
                path = tag if f.nth == 1 else f"{tag}[{f.nth}]"
                anc = ()
            else:
                path = f"{<str>p.path}/{tag}" if f.nth == 1 else f"{<str>p.path}/{tag}[{f.nth}]"
                if p.child_anc == NULL:
                    anc = _untracked(<object>p.anc + (self.tagstrs[p.tag],))
                    Py_INCREF(anc)
                    p.child_anc = <PyObject*>anc
                anc = <object>p.child_anc
            Py_INCREF(path)
            f.path = <PyObject*>path
            Py_INCREF(tokens)
            f.tokens = <PyObject*>tokens
            Py_INCREF(anc)
            f.anc = <PyObject*>anc
        return 0

    cdef inline _Element element(self, Py_ssize_t pos):
        """The lxml element of stack[pos] (``Block.element``), out of the cycle collector's sight
        when it is a plain ``_Element``: it refers only to its document, which refers to no
        element, so it can never be part of a cycle (subclasses, which may, stay tracked)."""
        cdef _Element el = elementFactory(self.doc, self.stack[pos].node)
        if type(el) is _Element:
            _untracked(el)
        return el

    cdef int flush(self) except -1:
        """End the current run: its text becomes a Block when there is any."""
        cdef Py_ssize_t i, total = 0, pos
        cdef LinkRec* rec
        cdef Frame* owner
        if self.raw_len == 0:
            self.nrec = 0
            self.run += 1
            return 0
        if self.pre_depth:
            text = _pre_text(PyUnicode_DecodeUTF8(<const char*>self.raw, self.raw_len, NULL))
        else:
            text = self._decode_squashed(
                self.raw, self.raw_len, memchr(self.raw, 0, <size_t>self.raw_len) != NULL)
        self.raw_len = 0
        links = ()
        density = 0.0
        if self.nrec:
            found = []
            for i in range(self.nrec):
                rec = &self.recs[i]
                link_text = self._decode_squashed(rec.buf, rec.len, False)
                total += len(link_text)
                found.append(_new_link(link_text, self.hrefs[rec.lid]))
            links = _untracked(tuple(found)) if _DIRECT else tuple(found)
            self.nrec = 0
            self.run += 1
            if text:
                density = min(1.0, <double>total / <double>len(text))
        if not text or self.nbpos == 0:
            return 0
        pos = self.bpos[self.nbpos - 1]
        self.describe(pos)
        owner = &self.stack[pos]
        bullet = self.bullet
        self.bullet = ""
        self.blocks.append(_new_block(
            len(self.blocks), text, bullet, self.tagstrs[owner.tag], <object>owner.path,
            <object>owner.tokens, links, density, _signals(<object>owner.anc),
            self.element(pos),
        ))
        return 0

    cdef int end_row(self) except -1:
        """Merge the cell blocks of a simple table row (no block-level content) into one block."""
        self.nrows -= 1
        cdef Row row = self.rows[self.nrows]
        cdef Py_ssize_t first = row.first
        cells = self.blocks[first:]
        if row.has_blocks or not cells:
            return 0
        for b in cells:
            if len(b.text) > _MAX_CELL:
                return 0
        pieces = []
        links = []
        prev = None
        for b in cells:
            if pieces:
                pieces.append("\n" if b.element is prev else _CELL_SEP)
            pieces.append(b.text)
            links.extend(b.links)
            prev = b.element
        text = "".join(pieces)
        self.describe(row.pos)
        cdef Frame* f = &self.stack[row.pos]
        density = min(1.0, sum([len(link.text) for link in links]) / len(text)) if links else 0.0
        del self.blocks[first:]
        signals = _signals(<object>f.anc)
        signals["cells"] = len({id(b.element) for b in cells})
        self.blocks.append(_new_block(
            first, text, cells[0].bullet, "tr", <object>f.path, <object>f.tokens, tuple(links),
            density, signals,
            self.element(row.pos),
        ))
        return 0

    cdef int open_special(self, Frame* f) except -1:
        """Enter a list, list item, table row or cell, or pre (already on the stack)."""
        cdef int kind = f.kind
        if kind == K_LI:
            entry = self.lists[len(self.lists) - 1] if self.lists else None
            if entry is None:
                self.bullet = "•"
            else:
                self.bullet = _ordered_bullet(entry, elementFactory(self.doc, f.node))
        elif kind == K_LIST:
            if self.flags[f.tag] & F_OL:
                self.lists.append(_ordered_list(elementFactory(self.doc, f.node)))
            else:
                self.lists.append(None)
        elif kind == K_ROW:
            _grow(<void**>&self.rows, &self.rows_cap, self.nrows + 1, sizeof(Row))
            self.rows[self.nrows].first = len(self.blocks)
            self.rows[self.nrows].has_blocks = 0
            self.rows[self.nrows].pos = self.depth - 1
            self.nrows += 1
        elif kind == K_PRE:
            self.pre_depth += 1
        return 0

    cdef int close_special(self, Frame* f) except -1:
        """Leave a list, list item, table row or cell, or pre (still on the stack)."""
        cdef int kind = f.kind
        if kind == K_ROW and self.nrows and self.rows[self.nrows - 1].pos == self.depth - 1:
            self.end_row()
        elif kind == K_LIST and self.lists:
            self.lists.pop()
        elif kind == K_LI:
            self.bullet = ""
        elif kind == K_PRE:
            self.pre_depth -= 1
        return 0

    # -- metadata --

    cdef int maybe_meta(self, tree.xmlNode* c, Py_ssize_t t) except -1:
        """What a <script>, <meta> or <link> says, as PageMeta.element reads it; <title> goes to
        PageMeta.element itself.

        The C checks (see _has_ci) first pass over the elements PageMeta would ignore.
        """
        cdef int fl = self.flags[t]
        cdef tree.xmlAttr* a
        cdef dict fields = self.fields
        if fl & F_SCRIPT:  # JSON-LD
            if _attr_has_ci(c, b"type", b"ld+json") and \
                    "ld+json" in _attr_str(c, _find_attr(c, b"type")).lower():
                text = self._node_text(c.children)
                if text:
                    self.jsonld.append(text)
        elif fl & F_META:
            a = _find_attr(c, b"content")
            if a == NULL or not (
                    _attr_has_ci(c, b"property", b"og:")
                    or _attr_has_ci(c, b"property", b"application-name")
                    or _attr_has_ci(c, b"property", b"content-language")
                    or _attr_has_ci(c, b"name", b"og:")
                    or _attr_has_ci(c, b"name", b"application-name")
                    or _attr_has_ci(c, b"name", b"content-language")
                    or _attr_has_ci(c, b"http-equiv", b"og:")
                    or _attr_has_ci(c, b"http-equiv", b"application-name")
                    or _attr_has_ci(c, b"http-equiv", b"content-language")):
                return 0
            key = (self._attr_or_none(c, b"property") or self._attr_or_none(c, b"name")
                   or self._attr_or_none(c, b"http-equiv") or "").lower().strip()
            if key in _META_KEYS and key not in fields:
                fields[key] = " ".join(_attr_str(c, a).split())
        elif fl & F_LINK:
            if "canonical" in fields or not _attr_has_ci(c, b"rel", b"canonical"):
                return 0
            href = self._attr_or_none(c, b"href")
            if href and "canonical" in _attr_str(c, _find_attr(c, b"rel")).lower():
                fields["canonical"] = href
        else:
            self.meta.element(self.tagstrs[t], elementFactory(self.doc, c))
        return 0

    cdef object _attr_or_none(self, tree.xmlNode* c, const char* name):
        """el.get(name): the attribute's value, or None."""
        cdef tree.xmlAttr* a = _find_attr(c, name)
        return _attr_str(c, a) if a != NULL else None

    cdef object _node_text(self, tree.xmlNode* first):
        """el.text of the element whose first child is ``first`` (lxml's joined text nodes)."""
        cdef tree.xmlNode* n = _text_node(first)
        if n == NULL:
            return None
        parts = []
        while n != NULL:
            if n.content != NULL:
                parts.append(PyUnicode_DecodeUTF8(
                    <const char*>n.content, <Py_ssize_t>strlen(<const char*>n.content), NULL))
            n = _text_node(n.next)
        return "".join(parts)

    cdef int head_meta(self, tree.xmlNode* head) except -1:
        """PageMeta for the metadata elements inside <head>, in document order."""
        cdef tree.xmlNode* c = head.children
        cdef Py_ssize_t t
        while c != NULL:
            if c.type == tree.XML_ELEMENT_NODE:
                t = self._tag_id(c)
                if self.flags[t] & F_METADATA and c.ns == NULL:
                    self.maybe_meta(c, t)
                if c.children != NULL:
                    c = c.children
                    continue
            while c != head and c.next == NULL:
                c = c.parent
            if c == head:
                break
            c = c.next
        return 0

    # -- the walk --

    cdef int start(self, tree.xmlNode* c) except -1:
        """An element starts; returns 1 when its children are to be walked."""
        cdef Py_ssize_t t, nth = 1, lid, n
        cdef int kind, fl
        cdef tree.xmlAttr* a
        cdef tree.xmlAttr* cls = NULL
        cdef tree.xmlAttr* ident = NULL
        cdef tree.xmlAttr* href = NULL
        cdef bint hidden = False
        cdef const unsigned char* name
        cdef const unsigned char* v
        cdef Py_ssize_t sa, sb
        cdef Frame* f
        cdef bytes tmp
        if c.type != tree.XML_ELEMENT_NODE:  # entity references: skipped, their tail is text
            return 0
        t = self._tag_id(c)
        kind = self.kinds[t]
        a = c.properties
        while a != NULL:
            if a.type == tree.XML_ATTRIBUTE_NODE and a.ns == NULL:
                name = <const unsigned char*>a.name
                if name[0] == b'c':
                    if cls == NULL and strcmp(<const char*>name, b"class") == 0:
                        cls = a
                elif name[0] == b'i':
                    if ident == NULL and strcmp(<const char*>name, b"id") == 0:
                        ident = a
                elif name[0] == b'h':
                    if strcmp(<const char*>name, b"href") == 0:
                        if href == NULL:
                            href = a
                    elif strcmp(<const char*>name, b"hidden") == 0:
                        hidden = True
                elif name[0] == b's':
                    if not hidden and strcmp(<const char*>name, b"style") == 0:
                        v = _attr_fast(a)
                        if v == NULL:
                            tmp = _attr_bytes(c, a)
                            v = tmp
                        n = <Py_ssize_t>strlen(<const char*>v)
                        if (_has(v, n, b"none") or _has(v, n, b"hidden")) and \
                                _hides(_attr_str(c, a)):
                            hidden = True
                elif name[0] == b'a':
                    if not hidden and strcmp(<const char*>name, b"aria-hidden") == 0:
                        v = _attr_fast(a)
                        if v == NULL:
                            tmp = _attr_bytes(c, a)
                            v = tmp
                        _strip(v, <Py_ssize_t>strlen(<const char*>v), &sa, &sb)
                        if sb - sa == 4 and _has_ci(v + sa, 4, b"true"):
                            hidden = True
            a = a.next
        if K_SKIP <= kind <= K_HR:  # never part of a block's path, so not counted
            if hidden:
                return 0
            if kind == K_BR:
                if self.raw_len:
                    if self.after_br:
                        self.flush()
                        self.after_br = False
                    else:
                        self._append(<const unsigned char*>b"\0", 1)
                        self.after_br = True
            elif kind == K_HR:
                if self.raw_len or self.nrec:
                    self.flush()
                self.after_br = False
            elif kind == K_HEAD:
                self.head_meta(c)
            elif self.flags[t] & F_METADATA:
                self.maybe_meta(c, t)
            return 0
        fl = self.flags[t]
        if self.depth:
            nth = self._nth(t)
        if hidden and not (fl & F_HTML_BODY):
            return 0
        _grow(<void**>&self.stack, &self.stack_cap, self.depth + 1, sizeof(Frame))
        f = &self.stack[self.depth]
        self.depth += 1
        f.node = c
        f.cls = cls
        f.ident = ident
        f.tag = t
        f.nth = nth
        f.undo = self.nundo
        self.serial += 1
        f.serial = self.serial
        f.kind = kind
        f.link = 0
        f.path = f.tokens = f.anc = f.child_anc = f.last_own = f.last_tokens = NULL
        if kind >= K_BLOCK:
            if self.raw_len or self.nrec:
                self.flush()
            if self.nrows and kind != K_CELL:
                self.rows[self.nrows - 1].has_blocks = 1  # the row holds block-level content
            _grow(<void**>&self.bpos, &self.bpos_cap, self.nbpos + 1, sizeof(Py_ssize_t))
            self.bpos[self.nbpos] = self.depth - 1
            self.nbpos += 1
            if kind != K_BLOCK:
                self.open_special(&self.stack[self.depth - 1])
            self.after_br = False
            self.space = 0
        else:
            if self.space and (self.space == 2 or kind == K_SEP) and self.raw_len:
                self._append(<const unsigned char*>b" ", 1)
            self.space = 0
            if href != NULL and fl & F_A:
                self.open_link(c, href)
                self.stack[self.depth - 1].link = 1
        self._text(c.children)
        return 1

    cdef int open_link(self, tree.xmlNode* c, tree.xmlAttr* href) except -1:
        """An <a href> opens: its href (stripped) is kept, and it belongs to the current run."""
        cdef Py_ssize_t lid = len(self.hrefs), sa, sb
        cdef const unsigned char* v = _attr_fast(href)
        cdef bytes tmp
        if v == NULL:
            tmp = _attr_bytes(c, href)
            v = tmp
        _strip(v, <Py_ssize_t>strlen(<const char*>v), &sa, &sb)
        self.hrefs.append(PyUnicode_DecodeUTF8(<const char*>(v + sa), sb - sa, NULL))
        _grow(<void**>&self.open_links, &self.open_cap, self.nopen + 1, sizeof(Py_ssize_t))
        self.open_links[self.nopen] = lid
        self.nopen += 1
        cdef Py_ssize_t cap = self.lids_cap
        if lid + 1 > cap:
            _grow(<void**>&self.lid_run, &cap, lid + 1, sizeof(long long))
            cap = self.lids_cap
            _grow(<void**>&self.lid_rec, &cap, lid + 1, sizeof(Py_ssize_t))
            self.lids_cap = cap
        self._new_rec(lid)
        return 0

    cdef int end(self, tree.xmlNode* c) except -1:
        """An element (or skipped node) ends; then comes its tail."""
        cdef Frame* f
        cdef int kind
        cdef Py_ssize_t i
        if self.depth and self.stack[self.depth - 1].node == c:
            f = &self.stack[self.depth - 1]
            kind = f.kind
            if kind >= K_BLOCK:
                if self.raw_len or self.nrec:
                    self.flush()
                if kind != K_BLOCK:
                    self.close_special(f)
                    f = &self.stack[self.depth - 1]
                self.nbpos -= 1
                self.after_br = False
                self.space = 0
            elif kind == K_SEP:
                if f.link:
                    self.nopen -= 1
                self.space = 2
            elif self.space != 2:
                self.space = 1
            i = self.nundo
            while i > f.undo:  # siblings counted under this element: restore the outer counts
                i -= 1
                self.cnt_owner[self.undo[i].tag] = self.undo[i].owner
                self.cnt_val[self.undo[i].tag] = self.undo[i].val
            self.nundo = f.undo
            self._clear_frame(f)
            self.depth -= 1
        self._text(c.next)
        return 0

    cdef int walk(self, tree.xmlNode* root) except -1:
        """One pass over the tree in document order, with no recursion."""
        cdef tree.xmlNode* node = root
        cdef tree.xmlNode* nxt
        cdef int descend = self.start(node)
        while True:
            if descend:
                nxt = _visible(node.children)
                if nxt != NULL:
                    node = nxt
                    descend = self.start(node)
                    continue
            while True:
                self.end(node)
                if node == root:
                    self.flush()
                    return 0
                nxt = _visible(node.next)
                if nxt != NULL:
                    node = nxt
                    descend = self.start(node)
                    break
                node = node.parent


def walk(root: object, kinds: object = None) -> tuple:
    """Segment the tree under ``root`` (an lxml element): (blocks, PageMeta), as html._Walker;
    ``kinds`` maps tags to kinds (html._KIND when None)."""
    if _html is None:
        _load_html()
    cdef _Element el = <_Element?>root
    cdef _CWalker w = _CWalker()
    w.kind_map = _KIND if kinds is None else <dict?>kinds
    w.doc = el._doc
    w.walk(el._c_node)
    return w.blocks, w.meta
