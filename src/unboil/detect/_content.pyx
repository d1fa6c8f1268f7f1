# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernels of the density and content stages.

Every function here has a pure-Python twin in density.py, markup.py, features.py or content.py
that gives the same results (tests/detect/test_content_speedups.py compares them on real pages);
these only remove the per-block interpreter work: tokenising, counting, walking the tree.
"""

cimport cython
from cpython.dict cimport PyDict_GetItem, PyDict_SetItem
from cpython.object cimport PyObject
from cpython.set cimport PySet_Contains
from cpython.unicode cimport Py_UNICODE_ISALNUM, Py_UNICODE_TOLOWER
from libc.math cimport fabs, floor, nearbyint, sqrt
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memcmp, strcmp

cimport lxml.includes.etreepublic as cetree
from lxml.includes cimport tree

cdef extern from "Python.h":
    ctypedef unsigned short Py_UCS2
    PyObject* PyTuple_GET_ITEM(object, Py_ssize_t)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    Py_UCS4 PyUnicode_READ(int, void*, Py_ssize_t)
    bint PyUnicode_IS_ASCII(object)

cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset
    int T_OBJECT_EX

cdef extern from "Python.h":
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member
    PyObject* Py_TYPE(object)

import types

import numpy as np

from unboil.document import Block

cetree.import_lxml__etree()


# ---------------------------------------------------------------- Block slots without getattr
# Every pass reads a few attributes of each Block; a generic getattr goes through the type's
# attribute lookup and the slot descriptor each time. For a Block itself (not a subclass or a
# stand-in), the kernels read the slot at the descriptor's offset instead: the same object.

cdef enum:
    F_TEXT
    F_SIGNALS
    F_CLASS_TOKENS
    F_TAG
    F_PATH
    F_ELEMENT
    F_LINKS
    F_LINK_DENSITY
    F_INDEX
    NFIELDS

_FIELDS = ("text", "signals", "class_tokens", "tag", "path", "element", "links", "link_density",
           "index")
cdef Py_ssize_t _OFFSET[NFIELDS]
cdef object _BLOCK_TYPE = None


def block_layout(type cls):
    """Read the slots ``_FIELDS`` of exact ``cls`` instances at their descriptors' offsets (a
    field that is no plain object slot keeps the getattr)."""
    global _BLOCK_TYPE
    cdef Py_ssize_t k
    cdef PyMemberDef* member
    for k, name in enumerate(_FIELDS):
        d = cls.__dict__.get(name)
        _OFFSET[k] = -1
        if type(d) is types.MemberDescriptorType:
            member = (<PyMemberDescrObject*><PyObject*>d).d_member
            if member.type == T_OBJECT_EX:
                _OFFSET[k] = member.offset
    _BLOCK_TYPE = cls


cdef inline object _get(object b, int field, str name):
    """``getattr(b, name)``, from the slot directly when ``b`` is exactly a Block."""
    cdef Py_ssize_t off = _OFFSET[field]
    cdef PyObject* v
    if off >= 0 and <PyObject*>Py_TYPE(b) == <PyObject*>_BLOCK_TYPE:
        v = (<PyObject**>((<char*><PyObject*>b) + off))[0]
        if v is not NULL:
            return <object>v
    return getattr(b, name)


block_layout(Block)

cdef unsigned char _ASCII_WORD[128]
for _c in range(128):
    _ASCII_WORD[_c] = (48 <= _c <= 57) or (65 <= _c <= 90) or (97 <= _c <= 122) or _c == 95


cdef inline bint _is_word(Py_UCS4 ch) noexcept:
    """re's \\w on str patterns: alphanumeric (Py_UNICODE_ISALNUM) or underscore."""
    if ch < 128:
        return _ASCII_WORD[ch]
    return Py_UNICODE_ISALNUM(ch)


cdef Py_ssize_t _count_tokens(str text) noexcept:
    """How many \\w+ runs ``text`` holds."""
    cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(text), count = 0
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef bint inside = False, w
    for i in range(n):
        w = _is_word(PyUnicode_READ(kind, data, i))
        if w and not inside:
            count += 1
        inside = w
    return count


cpdef list tokens(str text):
    """``TOKEN_RE.findall(text.lower())``: the lowercased \\w+ tokens of ``text``."""
    cdef str low = text.lower()
    cdef Py_ssize_t i, start = -1, n = PyUnicode_GET_LENGTH(low)
    cdef int kind = PyUnicode_KIND(low)
    cdef void* data = PyUnicode_DATA(low)
    cdef list out = []
    for i in range(n):
        if _is_word(PyUnicode_READ(kind, data, i)):
            if start < 0:
                start = i
        elif start >= 0:
            out.append(low[start:i])
            start = -1
    if start >= 0:
        out.append(low[start:n])
    return out


cpdef object round4(double x):
    """``round(x, 4)`` exactly: a fast path away from decimal ties, Python's own round near one."""
    cdef double y, f
    if fabs(x) < 1e4:
        y = x * 10000.0
        f = y - floor(y)
        if fabs(f - 0.5) > 1e-6:
            return nearbyint(y) / 10000.0
    return round(x, 4)


def density(list blocks, const unsigned char[::1] flags, object astral):
    """Write words, chars, position and punct_ratio on every block (density.py's loop).

    ``flags`` holds, per BMP code point, 1 for punctuation or symbol and 2 for white space (as
    density's regexes classify it), 4 for a word character and 8 when lowercasing changes the
    character's length or word-ness; ``astral(ch)`` gives the first two for code points above
    U+FFFF. Words are counted on the text itself unless an 8-flagged or astral character makes
    ``text.lower()`` tokenise differently; then on the lowered text, as the pure path does.
    """
    cdef Py_ssize_t n = len(blocks), last = max(n - 1, 1), i, length, punct, space, words, index
    cdef int kind
    cdef void* data
    cdef const unsigned char* latin
    cdef Py_UCS4 ch
    cdef unsigned char f
    cdef bint inside, word, redo
    cdef str text
    cdef dict sig
    for b in blocks:
        text = _get(b, F_TEXT, "text")
        length = PyUnicode_GET_LENGTH(text)
        kind = PyUnicode_KIND(text)
        data = PyUnicode_DATA(text)
        punct = space = words = 0
        inside = redo = False
        if kind == 1:
            latin = <const unsigned char*>data
            for i in range(length):
                f = flags[latin[i]]
                punct += f & 1
                space += (f >> 1) & 1
                word = (f >> 2) & 1
                if word and not inside:
                    words += 1
                inside = word
        else:
            for i in range(length):
                ch = PyUnicode_READ(kind, data, i)
                if ch <= 0xFFFF:
                    f = flags[ch]
                else:
                    f = astral(<long>ch) | 8
                punct += f & 1
                space += (f >> 1) & 1
                if f & 8:
                    redo = True
                word = (f >> 2) & 1
                if word and not inside:
                    words += 1
                inside = word
            if redo:
                words = _count_tokens(text.lower())
        sig = _get(b, F_SIGNALS, "signals")
        sig["words"] = words
        sig["chars"] = length
        index = _get(b, F_INDEX, "index")
        sig["position"] = index / <double>last if n > 1 else 0.0
        sig["punct_ratio"] = round4(punct / <double>(length - space)) if length - space > 0 else 0.0


def count_in(list items, object members):
    """How many of ``items`` are in the set ``members``."""
    cdef Py_ssize_t count = 0
    for item in items:
        if PySet_Contains(members, item):
            count += 1
    return count


cdef struct _PtrMap:
    size_t* keys
    long long* values
    Py_ssize_t cap
    Py_ssize_t used


cdef int _ptrmap_init(_PtrMap* m, Py_ssize_t cap) except -1:
    cdef Py_ssize_t i
    m.keys = <size_t*>realloc(NULL, cap * sizeof(size_t))
    m.values = <long long*>realloc(NULL, cap * sizeof(long long))
    if m.keys is NULL or m.values is NULL:
        raise MemoryError()
    for i in range(cap):
        m.keys[i] = 0
    m.cap = cap
    m.used = 0
    return 0


cdef inline Py_ssize_t _ptrmap_slot(_PtrMap* m, size_t key) noexcept:
    cdef Py_ssize_t mask = m.cap - 1
    cdef Py_ssize_t h = <Py_ssize_t>((key >> 4) * <size_t>11400714819323198485ULL >> 24) & mask
    while m.keys[h] != 0 and m.keys[h] != key:
        h = (h + 1) & mask
    return h


cdef int _ptrmap_put(_PtrMap* m, size_t key, long long value) except -1:
    cdef Py_ssize_t h, i, old_cap
    cdef size_t* old_keys
    cdef long long* old_values
    if 2 * (m.used + 1) > m.cap:
        old_keys, old_values, old_cap = m.keys, m.values, m.cap
        m.keys = NULL
        m.values = NULL
        try:
            _ptrmap_init(m, 2 * old_cap)
            for i in range(old_cap):
                if old_keys[i]:
                    h = _ptrmap_slot(m, old_keys[i])
                    m.keys[h] = old_keys[i]
                    m.values[h] = old_values[i]
                    m.used += 1
        finally:
            free(old_keys)
            free(old_values)
    h = _ptrmap_slot(m, key)
    if m.keys[h] == 0:
        m.keys[h] = key
        m.used += 1
    m.values[h] = value
    return 0


cdef long long _lookup(dict memo, object key, object compute) except? -1:
    cdef PyObject* hit = PyDict_GetItem(memo, key)
    if hit is not NULL:
        return <long long><object>hit
    value = compute(key)
    PyDict_SetItem(memo, key, value)
    return value


def markup_masks(list blocks, dict token_memo, object token_mask, dict tag_memo, object tag_mask,
                 long long marker, long long[::1] found_out, long long[::1] inner_out,
                 long long[::1] anc_out):
    """Per block: the class bits named by its class/id tokens and tags (``found_out``), those named
    before its first content marker (``inner_out``) and its ancestors' tag bits (``anc_out``).

    Consecutive blocks share their common ancestors' tokens (the same string objects at the end
    of the tuple) and tags (the start of ``ancestors``), so only the new part of each is read.
    """
    cdef Py_ssize_t cap_t = 0, cap_a = 0, L, M = 0, k, j, A, PA = 0, i = 0
    cdef long long* cum = NULL
    cdef long long* inn = NULL
    cdef long long* pcum = NULL
    cdef long long* pinn = NULL
    cdef long long* acum = NULL
    cdef long long* pacum = NULL
    cdef long long* swap
    cdef long long m
    cdef tuple toks, prev = (), anc, panc = ()
    cdef long long tf = 0, ti = 0, ab = 0, tb = 0
    cdef dict sig
    cdef PyObject* hit
    cdef object tag, ptag = None
    cdef _PtrMap seen
    cdef PyObject* tok
    cdef Py_ssize_t slot
    seen.keys = NULL
    seen.values = NULL
    _ptrmap_init(&seen, 1024)
    try:
        for b in blocks:
            toks = _get(b, F_CLASS_TOKENS, "class_tokens")
            if <PyObject*>toks != <PyObject*>prev or i == 0:
                # blocks of one element context share the tuple object: nothing new to read
                L = len(toks)
                if L + 1 > cap_t:
                    cap_t = 2 * (L + 1)
                    cum = <long long*>realloc(cum, cap_t * sizeof(long long))
                    inn = <long long*>realloc(inn, cap_t * sizeof(long long))
                    pcum = <long long*>realloc(pcum, cap_t * sizeof(long long))
                    pinn = <long long*>realloc(pinn, cap_t * sizeof(long long))
                    if cum is NULL or inn is NULL or pcum is NULL or pinn is NULL:
                        raise MemoryError()
                k = 0  # compare borrowed pointers: touching the strings would cost a cache miss each
                while k < L and k < M and (PyTuple_GET_ITEM(toks, L - 1 - k)
                                           == PyTuple_GET_ITEM(prev, M - 1 - k)):
                    k += 1
                cum[L] = 0
                inn[L] = 0
                if k:
                    cum[L - k] = pcum[M - k]
                    inn[L - k] = pinn[M - k]
                for j in range(L - k - 1, -1, -1):
                    # the same token objects recur across a page's elements: a pointer-keyed map
                    # answers those without touching the strings or the large shared memo
                    tok = PyTuple_GET_ITEM(toks, j)
                    slot = _ptrmap_slot(&seen, <size_t>tok)
                    if seen.keys[slot] == <size_t>tok:
                        m = seen.values[slot]
                    else:
                        m = _lookup(token_memo, <object>tok, token_mask)
                        _ptrmap_put(&seen, <size_t>tok, m)
                    cum[j] = cum[j + 1] | m
                    inn[j] = 0 if m & marker else (m | inn[j + 1])
                tf = cum[0]
                ti = inn[0]
                # keep the full arrays for the next block: positions below L - k were just filled,
                # the shared tail must be copied (it lives in the previous buffers)
                for j in range(L - k + 1, L):
                    cum[j] = pcum[j - L + M]
                    inn[j] = pinn[j - L + M]
                swap = cum; cum = pcum; pcum = swap
                swap = inn; inn = pinn; pinn = swap
                prev = toks
                M = L
            found_out[i] = tf
            inner_out[i] = ti
            sig = _get(b, F_SIGNALS, "signals")
            hit = PyDict_GetItem(sig, "ancestors")
            anc = <tuple?>hit if hit is not NULL else ()
            if <PyObject*>anc != <PyObject*>panc or i == 0:
                A = len(anc)
                if A + 1 > cap_a:
                    cap_a = 2 * (A + 1)
                    acum = <long long*>realloc(acum, cap_a * sizeof(long long))
                    pacum = <long long*>realloc(pacum, cap_a * sizeof(long long))
                    if acum is NULL or pacum is NULL:
                        raise MemoryError()
                k = 0
                while k < A and k < PA and PyTuple_GET_ITEM(anc, k) == PyTuple_GET_ITEM(panc, k):
                    k += 1
                acum[0] = 0
                for j in range(1, k + 1):
                    acum[j] = pacum[j]
                for j in range(k, A):
                    acum[j + 1] = acum[j] | _lookup(tag_memo, anc[j], tag_mask)
                ab = acum[A]
                swap = acum; acum = pacum; pacum = swap
                panc = anc
                PA = A
            tag = _get(b, F_TAG, "tag")
            if <PyObject*>tag != <PyObject*>ptag or i == 0:
                tb = _lookup(tag_memo, tag, tag_mask)
                ptag = tag
            anc_out[i] = ab
            found_out[i] |= ab | tb
            i += 1
    finally:
        free(cum); free(inn); free(pcum); free(pinn); free(acum); free(pacum)
        free(seen.keys); free(seen.values)


cdef inline Py_ssize_t _last_slash(str p) noexcept:
    cdef Py_ssize_t i = PyUnicode_GET_LENGTH(p) - 1
    cdef int kind = PyUnicode_KIND(p)
    cdef void* data = PyUnicode_DATA(p)
    while i >= 0 and PyUnicode_READ(kind, data, i) != 47:
        i -= 1
    return i


def path_tree(list paths):
    """The element paths of a page's blocks (``paths``: the path strings, or the blocks) and all
    their ancestors, in the order
    ``best_container`` meets them: (node paths, path -> node, node of each block, parent node of
    each node or -1, the nodes deepest first (stable), each node path's length, each block's
    parent as a dense label numbered by first appearance)."""
    cdef dict index = {}
    cdef list nodes = []
    cdef Py_ssize_t n = len(paths), i, j, nb, cut, N, d, maxd = 0, slot, child, x
    cdef str p, probe
    cdef PyObject* hit
    block_node = np.empty(n, dtype=np.intp)
    cdef Py_ssize_t[::1] bn = block_node
    for i in range(n):
        item = paths[i]
        p = item if type(item) is str else _get(item, F_PATH, "path")
        hit = PyDict_GetItem(index, p)
        if hit is NULL:
            j = len(nodes)
            index[p] = j
            nodes.append(p)
        else:
            j = <object>hit
        bn[i] = j
    nb = len(nodes)
    cdef Py_ssize_t cap_p = 2 * nb + 16, last_parent = -1, m
    cdef Py_ssize_t* pars = <Py_ssize_t*>realloc(NULL, cap_p * sizeof(Py_ssize_t))
    cdef Py_ssize_t* grown
    cdef str last_path = None
    if pars is NULL:
        raise MemoryError()
    try:
        for i in range(nb):
            pars[i] = -1
        # every ancestor of a block path, walking up until a known one (best_container's order);
        # a path's parent is the text before its last "/" ("" -- no parent -- when that is empty)
        for i in range(nb):
            p = nodes[i]
            child = i
            cut = _last_slash(p)
            # siblings come one after another: a parent path equal to the last one found is
            # that node (index maps each path to one node), with no substring made or hashed
            if (cut > 0 and last_path is not None and PyUnicode_GET_LENGTH(last_path) == cut
                    and PyUnicode_KIND(last_path) == PyUnicode_KIND(p)
                    and memcmp(PyUnicode_DATA(last_path), PyUnicode_DATA(p),
                               cut * PyUnicode_KIND(p)) == 0):
                pars[child] = last_parent
                continue
            m = -1
            while cut > 0:
                probe = p[:cut]
                hit = PyDict_GetItem(index, probe)
                if hit is not NULL:
                    pars[child] = <object>hit
                    if m < 0:
                        m = pars[child]
                        last_path = probe
                    break
                j = len(nodes)
                index[probe] = j
                nodes.append(probe)
                if j >= cap_p:
                    cap_p *= 2
                    grown = <Py_ssize_t*>realloc(pars, cap_p * sizeof(Py_ssize_t))
                    if grown is NULL:
                        raise MemoryError()
                    pars = grown
                pars[j] = -1
                pars[child] = j
                if m < 0:
                    m = j
                    last_path = probe
                child = j
                p = probe
                cut = _last_slash(p)
            if m >= 0:
                last_parent = m
        N = len(nodes)
        parent = np.empty(N, dtype=np.intp)
        bn = parent
        for i in range(N):
            bn[i] = pars[i]
    finally:
        free(pars)
    bn = block_node
    length = np.empty(N, dtype=np.intp)
    order = np.empty(N, dtype=np.intp)
    group = np.empty(n, dtype=np.intp)
    cdef Py_ssize_t[::1] par = parent, ln = length, od = order, gr = group
    cdef Py_ssize_t* depth = <Py_ssize_t*>realloc(NULL, (N + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* start = NULL
    if depth is NULL:
        raise MemoryError()
    try:
        for i in range(N):
            ln[i] = PyUnicode_GET_LENGTH(<str>nodes[i])
            depth[i] = -1
        # depth = number of "/": one more than the parent's (the part after the last "/" holds
        # none), counted outright at the top; ``start`` first serves as the climbing chain
        start = <Py_ssize_t*>realloc(NULL, (N + 1) * sizeof(Py_ssize_t))
        if start is NULL:
            raise MemoryError()
        for i in range(N):
            if depth[i] >= 0:
                continue
            x = i
            d = 0
            while depth[x] < 0 and par[x] >= 0:
                start[d] = x
                d += 1
                x = par[x]
            if depth[x] < 0:
                depth[x] = _count_slashes(nodes[x])
            slot = depth[x]
            for j in range(d - 1, -1, -1):
                slot += 1
                depth[start[j]] = slot
        free(start)
        start = NULL
        for i in range(N):
            if depth[i] > maxd:
                maxd = depth[i]
        # deepest first, ties in node order: sorted(..., key=depth, reverse=True) is stable
        start = <Py_ssize_t*>realloc(NULL, (maxd + 2) * sizeof(Py_ssize_t))
        if start is NULL:
            raise MemoryError()
        for d in range(maxd + 2):
            start[d] = 0
        for i in range(N):
            start[maxd - depth[i] + 1] += 1
        for d in range(1, maxd + 2):
            start[d] += start[d - 1]
        for i in range(N):
            slot = maxd - depth[i]
            od[start[slot]] = i
            start[slot] += 1
        # each block's parent element as a dense label, numbered by first appearance
        for i in range(N + 1):
            depth[i] = -1
        d = 0
        for i in range(n):
            j = par[bn[i]]
            if j < 0:
                j = N  # blocks at the top (no parent) share one label
            if depth[j] < 0:
                depth[j] = d
                d += 1
            gr[i] = depth[j]
    finally:
        free(depth)
        free(start)
    return nodes, index, block_node, parent, order, length, group


cdef Py_ssize_t _count_slashes(str p) noexcept:
    cdef Py_ssize_t i, c = 0, n = PyUnicode_GET_LENGTH(p)
    cdef int kind = PyUnicode_KIND(p)
    cdef void* data = PyUnicode_DATA(p)
    for i in range(n):
        if PyUnicode_READ(kind, data, i) == 47:
            c += 1
    return c


def best_node(const double[::1] mass, const Py_ssize_t[::1] block_node,
              const Py_ssize_t[::1] parent, const Py_ssize_t[::1] order,
              const Py_ssize_t[::1] length):
    """``best_container`` over a ``path_tree``: the node with the largest subtree mass (-1 if none),
    with the same summation order and tie-breaks (``region_containers`` uses the same code)."""
    cdef Py_ssize_t n = mass.shape[0], N = parent.shape[0]
    cdef double* buf = <double*>realloc(NULL, (n + N + 2) * sizeof(double))
    cdef Py_ssize_t i
    if buf is NULL:
        raise MemoryError()
    try:
        for i in range(n):
            buf[i] = mass[i]
        return _best(buf, n, block_node, parent, order, length, buf + n + 1)
    finally:
        free(buf)


def subtree_or(const long long[::1] own, const Py_ssize_t[::1] block_node,
               const Py_ssize_t[::1] parent, long long[::1] out):
    """OR into ``out`` the bits ``own`` gives each block's node and its ancestors."""
    cdef Py_ssize_t i, x
    cdef long long m
    for i in range(block_node.shape[0]):
        x = block_node[i]
        m = 0
        while x >= 0:
            m |= own[x]
            x = parent[x]
        out[i] |= m


def fill_rows(double[:, ::1] X, list blocks, const double[::1] words, const double[::1] stop_ratio,
              const long long[::1] found, const long long[::1] inner, const long long[::1] anc,
              tuple cols, const Py_ssize_t[::1] mk_cols, const Py_ssize_t[::1] inner_cols,
              const Py_ssize_t[::1] anc_cols, dict tag_cols, object sentence_end, const double[::1] log1p,
              object log1p_slow):
    """The per-block columns of ``page_features`` (its main loop), row by row into ``X``."""
    cdef Py_ssize_t n = len(blocks), last = max(n - 1, 1), i = 0, k, nw, nl, c
    cdef Py_ssize_t c_widget = cols[0], c_score = cols[1], c_rep = cols[2], c_rt = cols[3]
    cdef Py_ssize_t c_title = cols[4]
    cdef Py_ssize_t nlog = log1p.shape[0], nmk = mk_cols.shape[0], ninner = inner_cols.shape[0]
    cdef Py_ssize_t nanc = anc_cols.shape[0]
    cdef double ld, pos
    cdef long long m
    cdef dict sig
    cdef str text
    cdef PyObject* hit
    for b in blocks:
        nw = <Py_ssize_t>words[i]
        sig = _get(b, F_SIGNALS, "signals")
        text = _get(b, F_TEXT, "text")
        X[i, 0] = log1p[nw] if nw < nlog else log1p_slow(nw)
        ld = _get(b, F_LINK_DENSITY, "link_density")
        X[i, 1] = ld
        X[i, 2] = ld >= 0.5
        if nw:
            X[i, 3] = stop_ratio[i]
        X[i, 4] = sig.get("punct_ratio", 0.0)
        X[i, 5] = nw <= 3
        nl = PyUnicode_GET_LENGTH(text)
        X[i, 6] = nl > 0 and PySet_Contains(sentence_end, text[nl - 1:]) == 1
        nl = len(_get(b, F_LINKS, "links"))
        X[i, 7] = log1p[nl] if nl < nlog else log1p_slow(nl)
        pos = i / <double>last
        X[i, 8] = pos
        X[i, 9] = 4 * pos * (1 - pos)
        X[i, 10] = min(len(sig.get("ancestors", ())), 40) / 10.0
        hit = PyDict_GetItem(tag_cols, _get(b, F_TAG, "tag"))
        if hit is not NULL:
            X[i, <Py_ssize_t><object>hit] = 1.0
        m = anc[i]
        for k in range(nanc):
            if m >> k & 1:
                X[i, anc_cols[k]] = 1.0
        m = found[i]
        for k in range(nmk):
            if m >> k & 1:
                c = mk_cols[k]
                if c >= 0:
                    X[i, c] = 1.0
        m = inner[i]
        for k in range(ninner):
            if m >> k & 1:
                c = inner_cols[k]
                if c >= 0:
                    X[i, c] = 1.0
        X[i, c_widget] = 1.0 if sig.get("widget") else 0.0
        X[i, c_score] = sig.get("widget_score", 0.0)
        X[i, c_rep] = 1.0 if (sig.get("repeat_size") or 1) > 1 else 0.0
        X[i, c_rt] = 1.0 if sig.get("repeat_of_title") else 0.0
        X[i, c_title] = 1.0 if sig.get("is_title") else 0.0
        i += 1


def detect_counts(list sample, dict masks, Py_ssize_t nlang):
    """Per language bit of ``masks`` (word -> bits), how many of ``sample`` it holds."""
    cdef Py_ssize_t k
    cdef long long m
    cdef PyObject* hit
    counts = [0] * nlang
    cdef Py_ssize_t* c = <Py_ssize_t*>realloc(NULL, (nlang + 1) * sizeof(Py_ssize_t))
    if c is NULL:
        raise MemoryError()
    try:
        for k in range(nlang):
            c[k] = 0
        for t in sample:
            hit = PyDict_GetItem(masks, t)
            if hit is not NULL:
                m = <long long><object>hit
                for k in range(nlang):
                    if m >> k & 1:
                        c[k] += 1
        for k in range(nlang):
            counts[k] = c[k]
    finally:
        free(c)
    return counts


def role_ancestors(list blocks):
    """The elements carrying a ``role`` or ``itemprop`` attribute among the blocks' elements and
    their ancestors, each once (the only ones whose path can prefix a block's path)."""
    cdef Py_ssize_t cap = 1024, used = 0, h, mask
    cdef size_t* seen = <size_t*>realloc(NULL, cap * sizeof(size_t))
    cdef size_t* grown
    cdef size_t key
    cdef tree.xmlNode* node
    cdef tree.xmlAttr* attr
    cdef const char* name
    cdef cetree._Element el
    cdef list out = []
    cdef Py_ssize_t j
    if seen is NULL:
        raise MemoryError()
    try:
        for j in range(cap):
            seen[j] = 0
        for b in blocks:
            element = _get(b, F_ELEMENT, "element")
            if element is None:
                continue
            el = element
            node = el._c_node
            while node is not NULL and node.type == tree.XML_ELEMENT_NODE:
                key = <size_t>node
                mask = cap - 1
                h = <Py_ssize_t>((key >> 4) * <size_t>11400714819323198485ULL >> 20) & mask
                while seen[h] != 0 and seen[h] != key:
                    h = (h + 1) & mask
                if seen[h] == key:
                    break  # this node and its ancestors were seen with an earlier block
                seen[h] = key
                used += 1
                attr = node.properties
                while attr is not NULL:
                    name = <const char*>attr.name
                    if attr.ns is NULL and ((name[0] == c'r' and strcmp(name, b"role") == 0)
                                            or (name[0] == c'i' and strcmp(name, b"itemprop") == 0)):
                        out.append(cetree.elementFactory(el._doc, node))
                        break
                    attr = attr.next
                node = node.parent
                if 2 * used >= cap:  # grow and rehash
                    grown = <size_t*>realloc(NULL, 2 * cap * sizeof(size_t))
                    if grown is NULL:
                        raise MemoryError()
                    for j in range(2 * cap):
                        grown[j] = 0
                    mask = 2 * cap - 1
                    for j in range(cap):
                        key = seen[j]
                        if key:
                            h = <Py_ssize_t>((key >> 4) * <size_t>11400714819323198485ULL >> 20) & mask
                            while grown[h] != 0:
                                h = (h + 1) & mask
                            grown[h] = key
                    free(seen)
                    seen = grown
                    cap *= 2
    finally:
        free(seen)
    return out


cdef inline void _window(const double* v, Py_ssize_t n, Py_ssize_t radius, double* c,
                         double* out) noexcept:
    """features._window_mean: cumulative sums, then (c[hi] - c[lo]) / (hi - lo)."""
    cdef Py_ssize_t i, lo, hi
    c[0] = 0.0
    for i in range(n):
        c[i + 1] = c[i] + v[i]
    for i in range(n):
        lo = i - radius if i - radius > 0 else 0
        hi = i + radius + 1 if i + radius + 1 < n else n
        out[i] = (c[hi] - c[lo]) / <double>(hi - lo)


def context(double[:, ::1] X, const double[::1] words, const Py_ssize_t[::1] group,
            const Py_ssize_t[::1] cols, const double[::1] log1p, object log1p_slow):
    """features._context over the block columns, written into ``X`` (same arithmetic order).

    ``cols``: log_words, link_density, stopword_ratio, then win2 words/link/stop, win6
    words/link/stop, prev_words, next_words, prev_link, next_link, grp_size, grp_link, grp_words,
    grp_stop.
    """
    cdef Py_ssize_t n = X.shape[0], i, g, ng = 0, k, r, nlog = log1p.shape[0]
    cdef Py_ssize_t c_lw = cols[0], c_ld = cols[1], c_sw = cols[2]
    cdef double* buf = <double*>realloc(NULL, (10 * n + 10) * sizeof(double))
    cdef double* lw
    cdef double* ld
    cdef double* sw
    cdef double* cs
    cdef double* out
    cdef double* size
    cdef double* wsum
    cdef double* lsum
    cdef double* ssum
    cdef double* wds
    cdef double w, v
    if buf is NULL:
        raise MemoryError()
    try:
        lw = buf
        ld = buf + n
        sw = buf + 2 * n
        cs = buf + 3 * n          # n + 1
        out = buf + 4 * n + 1
        for i in range(n):
            lw[i] = X[i, c_lw]
            ld[i] = X[i, c_ld]
            sw[i] = X[i, c_sw]
            if group[i] + 1 > ng:
                ng = group[i] + 1
        for r in range(2):
            for k in range(3):
                _window(lw if k == 0 else (ld if k == 1 else sw), n, 2 if r == 0 else 6, cs, out)
                for i in range(n):
                    X[i, cols[3 + 3 * r + k]] = out[i]
        for i in range(1, n):
            X[i, cols[9]] = lw[i - 1]
            X[i, cols[11]] = ld[i - 1]
        for i in range(n - 1):
            X[i, cols[10]] = lw[i + 1]
            X[i, cols[12]] = ld[i + 1]
        # per parent group: sums in block order, as np.bincount adds them
        size = buf + 5 * n + 1
        wsum = buf + 6 * n + 2
        lsum = buf + 7 * n + 3
        ssum = buf + 8 * n + 4
        wds = buf + 9 * n + 5
        for g in range(ng):
            size[g] = 0.0
            wsum[g] = 0.0
            lsum[g] = 0.0
            ssum[g] = 0.0
            wds[g] = 0.0
        for i in range(n):
            g = group[i]
            w = words[i] + 1.0
            size[g] += 1.0
            wsum[g] += w
            lsum[g] += ld[i] * w
            ssum[g] += sw[i] * w
            wds[g] += words[i]
        for i in range(n):
            g = group[i]
            k = <Py_ssize_t>size[g]
            X[i, cols[13]] = log1p[k] if k < nlog else log1p_slow(k)
            X[i, cols[14]] = lsum[g] / wsum[g]
            v = wds[g]
            k = <Py_ssize_t>v
            X[i, cols[15]] = log1p[k] if (k < nlog and <double>k == v) else log1p_slow(v)
            X[i, cols[16]] = ssum[g] / wsum[g]
    finally:
        free(buf)


cdef int region_basic(double[:, ::1] R, const double[::1] p1, const double[::1] words,
                      const Py_ssize_t[::1] group) except -1:
    """Columns 1-5 of content.region_features: word-weighted windows of the stage-1 scores, the
    weighted mean under the same parent, the best of the next two and the previous score."""
    cdef Py_ssize_t n = p1.shape[0], i, g, ng = 0, lo, hi, r, col
    cdef double* buf = <double*>realloc(NULL, (6 * n + 6) * sizeof(double))
    cdef double* w
    cdef double* cp
    cdef double* cw
    cdef double* gs
    cdef double* gw
    cdef double a
    if buf is NULL:
        raise MemoryError()
    try:
        w = buf
        cp = buf + n
        cw = buf + 2 * n + 1
        gs = buf + 3 * n + 2
        gw = buf + 4 * n + 3
        for i in range(n):
            w[i] = words[i] + 1.0
            if group[i] + 1 > ng:
                ng = group[i] + 1
        cp[0] = 0.0
        cw[0] = 0.0
        for i in range(n):
            cp[i + 1] = cp[i] + p1[i] * w[i]
            cw[i + 1] = cw[i] + w[i]
        for r in range(1, 4, 2):
            col = 1 if r == 1 else 2
            for i in range(n):
                lo = i - r if i - r > 0 else 0
                hi = i + r + 1 if i + r + 1 < n else n
                R[i, col] = (cp[hi] - cp[lo]) / (cw[hi] - cw[lo])
        for g in range(ng):
            gs[g] = 0.0
            gw[g] = 0.0
        for i in range(n):
            g = group[i]
            gs[g] += p1[i] * w[i]
            gw[g] += w[i]
        for i in range(n):
            g = group[i]
            R[i, 3] = gs[g] / gw[g]
        for i in range(n):
            a = p1[i + 1] if i + 1 < n else 0.0
            if i + 2 < n and p1[i + 2] > a:
                a = p1[i + 2]
            R[i, 4] = a
            R[i, 5] = p1[i - 1] if i > 0 else 0.0
    finally:
        free(buf)
    return 0


# ---------------------------------------------------------------- word counting without tokens

cdef Py_UCS4 _LATIN_LOWER[256]
for _c in range(256):
    _LATIN_LOWER[_c] = ord(chr(_c).lower())  # one Latin-1 character for every Latin-1 input

cdef unsigned long long FNV_OFFSET = 14695981039346656037ULL
cdef unsigned long long FNV_PRIME = 1099511628211ULL


@cython.final
cdef class WordSet:
    """A set of words (each with an integer value) probed by the code points of a token inside a
    larger string, so counting needs no token strings: an open-addressing table of FNV-1a hashes,
    each hit confirmed character by character."""

    cdef unsigned long long* hashes
    cdef Py_ssize_t* slots  # word index + 1, 0 when empty
    cdef Py_ssize_t mask
    cdef list words
    cdef long long* values
    cdef Py_UCS4* chars  # every word's code points, one after another: probes stay in one block
    cdef Py_ssize_t* wstart
    cdef Py_ssize_t* wlen

    def __cinit__(self, words, values=None):
        cdef list ws = list(words)
        cdef list vs = list(values) if values is not None else [1] * len(ws)
        cdef Py_ssize_t cap = 16, i, j, h
        cdef unsigned long long hv
        cdef str w
        while cap < 2 * len(ws) + 2:
            cap *= 2
        self.mask = cap - 1
        self.hashes = <unsigned long long*>realloc(NULL, cap * sizeof(unsigned long long))
        self.slots = <Py_ssize_t*>realloc(NULL, cap * sizeof(Py_ssize_t))
        self.values = <long long*>realloc(NULL, (len(ws) + 1) * sizeof(long long))
        if self.hashes is NULL or self.slots is NULL or self.values is NULL:
            raise MemoryError()
        for i in range(cap):
            self.slots[i] = 0
            self.hashes[i] = 0
        self.words = []
        for i in range(len(ws)):
            w = ws[i]
            hv = _hash_str(w)
            h = <Py_ssize_t>(hv & <unsigned long long>self.mask)
            while self.slots[h] != 0:
                j = self.slots[h] - 1
                if self.hashes[h] == hv and self.words[j] == w:
                    self.values[j] |= <long long>vs[i]
                    break
                h = (h + 1) & self.mask
            else:
                j = len(self.words)
                self.words.append(w)
                self.values[j] = <long long>vs[i]
                self.slots[h] = j + 1
                self.hashes[h] = hv
        cdef Py_ssize_t nw = len(self.words), total = 0, k, m
        for j in range(nw):
            total += PyUnicode_GET_LENGTH(<str>self.words[j])
        self.chars = <Py_UCS4*>realloc(NULL, (total + 1) * sizeof(Py_UCS4))
        self.wstart = <Py_ssize_t*>realloc(NULL, (nw + 1) * sizeof(Py_ssize_t))
        self.wlen = <Py_ssize_t*>realloc(NULL, (nw + 1) * sizeof(Py_ssize_t))
        if self.chars is NULL or self.wstart is NULL or self.wlen is NULL:
            raise MemoryError()
        total = 0
        for j in range(nw):
            w = self.words[j]
            m = PyUnicode_GET_LENGTH(w)
            self.wstart[j] = total
            self.wlen[j] = m
            for k in range(m):
                self.chars[total + k] = PyUnicode_READ(PyUnicode_KIND(w), PyUnicode_DATA(w), k)
            total += m

    def __dealloc__(self):
        free(self.hashes)
        free(self.slots)
        free(self.values)
        free(self.chars)
        free(self.wstart)
        free(self.wlen)

    def __len__(self):
        return len(self.words)

    cdef inline long long find(self, int kind, void* data, Py_ssize_t start, Py_ssize_t n,
                               unsigned long long hv, int latin):
        """The value of the word equal to the code points data[start:start + n], lowercased by
        ``latin`` (0: as they are, 1: Latin-1 table, 2: Py_UNICODE_TOLOWER), or 0."""
        cdef Py_ssize_t h = <Py_ssize_t>(hv & <unsigned long long>self.mask), j, k
        cdef const Py_UCS4* w
        cdef Py_UCS4 ch
        while self.slots[h] != 0:
            if self.hashes[h] == hv:
                j = self.slots[h] - 1
                if self.wlen[j] == n:
                    w = self.chars + self.wstart[j]
                    for k in range(n):
                        ch = PyUnicode_READ(kind, data, start + k)
                        if latin == 1:
                            ch = _LATIN_LOWER[ch]
                        elif latin == 2:
                            ch = Py_UNICODE_TOLOWER(ch)
                        if ch != w[k]:
                            break
                    else:
                        return self.values[j]
            h = (h + 1) & self.mask
        return 0


cdef unsigned long long _hash_str(str w) noexcept:
    cdef unsigned long long h = FNV_OFFSET
    cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(w)
    cdef int kind = PyUnicode_KIND(w)
    cdef void* data = PyUnicode_DATA(w)
    for i in range(n):
        h = (h ^ <unsigned long long>PyUnicode_READ(kind, data, i)) * FNV_PRIME
    return h


cdef class _Scan:
    """Token-by-token walk over one block's lowercased text."""
    cdef str text  # the string read: the block text when Latin-1 (lowered on the fly), else text.lower()
    cdef int kind
    cdef void* data
    cdef bint latin
    cdef Py_ssize_t n, pos
    cdef Py_ssize_t start, length
    cdef unsigned long long hv

    cdef void reset(self, str text):
        if PyUnicode_KIND(text) == 1:
            self.text = text
            self.latin = True
        else:
            self.text = text.lower()
            self.latin = False
        self.kind = PyUnicode_KIND(self.text)
        self.data = PyUnicode_DATA(self.text)
        self.n = PyUnicode_GET_LENGTH(self.text)
        self.pos = 0

    cdef bint next(self) noexcept:
        """Move to the next token (start, length, hash of its lowercased code points)."""
        cdef Py_ssize_t i = self.pos, n = self.n
        cdef Py_UCS4 ch
        cdef unsigned long long h = FNV_OFFSET
        while i < n:
            ch = PyUnicode_READ(self.kind, self.data, i)
            if self.latin:
                ch = _LATIN_LOWER[ch]
            if _is_word(ch):
                break
            i += 1
        if i >= n:
            self.pos = n
            return False
        self.start = i
        while i < n:
            ch = PyUnicode_READ(self.kind, self.data, i)
            if self.latin:
                ch = _LATIN_LOWER[ch]
            if not _is_word(ch):
                break
            h = (h ^ <unsigned long long>ch) * FNV_PRIME
            i += 1
        self.length = i - self.start
        self.hv = h
        self.pos = i
        return True


def sample_counts(list blocks, Py_ssize_t max_blocks, Py_ssize_t max_tokens, WordSet words,
                  Py_ssize_t nbits):
    """Over the first ``max_tokens`` tokens of the first ``max_blocks`` blocks: how many tokens,
    and per value bit of ``words`` how many of them it holds."""
    cdef _Scan scan = _Scan()
    cdef Py_ssize_t seen = 0, k, b_i = 0
    cdef long long v
    cdef list counts = [0] * nbits
    cdef Py_ssize_t* c = <Py_ssize_t*>realloc(NULL, (nbits + 1) * sizeof(Py_ssize_t))
    if c is NULL:
        raise MemoryError()
    try:
        for k in range(nbits):
            c[k] = 0
        for b in blocks:
            if b_i >= max_blocks or seen >= max_tokens:
                break
            b_i += 1
            scan.reset(_get(b, F_TEXT, "text"))
            while seen < max_tokens and scan.next():
                seen += 1
                v = words.find(scan.kind, scan.data, scan.start, scan.length, scan.hv, scan.latin)
                if v:
                    for k in range(nbits):
                        if v >> k & 1:
                            c[k] += 1
        for k in range(nbits):
            counts[k] = c[k]
    finally:
        free(c)
    return seen, counts


cdef unsigned char _LATIN_ISWORD[256]
for _c in range(256):
    _LATIN_ISWORD[_c] = _is_word(_LATIN_LOWER[_c])


def block_counts(list blocks, WordSet stop, WordSet body, double[::1] words,
                 double[::1] stop_ratio, double[::1] overlap, Py_ssize_t max_blocks=0,
                 Py_ssize_t max_tokens=0, const unsigned char[::1] flags=None):
    """Per block: its token count, the share of its tokens in ``stop`` and (``body`` not None)
    the share in ``body``; returns (sampled, hits): how many of the first ``max_tokens`` tokens
    of the first ``max_blocks`` blocks there are and how many of them ``stop`` holds.

    ``flags`` (density.char_flags) lets a two-byte text be read as it is: when none of its
    characters changes length or word-ness on lowering (flag 8) and none is a capital sigma
    (lowered by context), ``text.lower()`` is each character's Py_UNICODE_TOLOWER and its words
    are the flag-4 runs, so no lowered copy is made."""
    cdef Py_ssize_t i = 0, nw, hits, shared, n, start, j, sampled = 0, sample_hits = 0
    cdef bint has_body = body is not None, hit, wide
    cdef int latin
    cdef str text
    cdef int kind
    cdef void* data
    cdef const unsigned char* p
    cdef const Py_UCS2* u
    cdef const unsigned char* fl = NULL
    cdef Py_UCS4 ch
    cdef unsigned long long h
    if flags is not None and flags.shape[0] >= 0x10000:
        fl = &flags[0]
    for b in blocks:
        text = _get(b, F_TEXT, "text")
        latin = 1
        if PyUnicode_KIND(text) != 1:
            wide = False
            if fl is not NULL and PyUnicode_KIND(text) == 2:
                u = <const Py_UCS2*>PyUnicode_DATA(text)
                n = PyUnicode_GET_LENGTH(text)
                wide = True
                for j in range(n):
                    if fl[u[j]] & 8 or u[j] == 0x3A3:
                        wide = False
                        break
            if wide:
                latin = 2
            else:
                text = text.lower()
                latin = 0
        kind = PyUnicode_KIND(text)
        data = PyUnicode_DATA(text)
        n = PyUnicode_GET_LENGTH(text)
        nw = hits = shared = 0
        j = 0
        while True:
            # next token: [start, j) with its FNV-1a hash over lowercased code points
            if latin == 1:
                p = <const unsigned char*>data
                while j < n and not _LATIN_ISWORD[p[j]]:
                    j += 1
                if j >= n:
                    break
                start = j
                h = FNV_OFFSET
                while j < n and _LATIN_ISWORD[p[j]]:
                    h = (h ^ <unsigned long long>_LATIN_LOWER[p[j]]) * FNV_PRIME
                    j += 1
            elif latin == 2:
                u = <const Py_UCS2*>data
                while j < n and not (fl[u[j]] & 4):
                    j += 1
                if j >= n:
                    break
                start = j
                h = FNV_OFFSET
                while j < n and fl[u[j]] & 4:
                    h = (h ^ <unsigned long long>Py_UNICODE_TOLOWER(u[j])) * FNV_PRIME
                    j += 1
            else:
                while j < n and not _is_word(PyUnicode_READ(kind, data, j)):
                    j += 1
                if j >= n:
                    break
                start = j
                h = FNV_OFFSET
                while j < n:
                    ch = PyUnicode_READ(kind, data, j)
                    if not _is_word(ch):
                        break
                    h = (h ^ <unsigned long long>ch) * FNV_PRIME
                    j += 1
            nw += 1
            hit = stop.find(kind, data, start, j - start, h, latin) != 0
            if hit:
                hits += 1
            if i < max_blocks and sampled < max_tokens:
                sampled += 1
                if hit:
                    sample_hits += 1
            if has_body and body.find(kind, data, start, j - start, h, latin):
                shared += 1
        words[i] = nw
        if nw:
            stop_ratio[i] = hits / <double>nw
            if has_body:
                overlap[i] = shared / <double>nw
        i += 1
    return sampled, sample_hits


cdef tuple page_sums(const double[::1] p1, const double[::1] words, const double[:, ::1] X,
                     Py_ssize_t c_tag_p, Py_ssize_t c_link):
    """The word sums of content.page_vector (whole numbers, so exact in any order): blocks with
    a stage-1 score >= 0.5, their words, their words in <p>, words of link-heavy blocks, all."""
    cdef Py_ssize_t i, npos = 0
    cdef double pos_words = 0.0, pos_p = 0.0, heavy = 0.0, total = 0.0, w
    for i in range(p1.shape[0]):
        w = words[i]
        total += w
        if p1[i] >= 0.5:
            npos += 1
            pos_words += w
            pos_p += w * X[i, c_tag_p]
        if X[i, c_link] >= 0.5:
            heavy += w
    return npos, pos_words, pos_p, heavy, total


def mask_tuples(const long long[::1] masks, dict memo, object make):
    """``[memo.get(m) or make(m) for m in masks]``: the class-name tuple of every mask."""
    cdef Py_ssize_t i, n = masks.shape[0]
    cdef PyObject* hit
    cdef list out = [None] * n
    for i in range(n):
        key = masks[i]
        hit = PyDict_GetItem(memo, key)
        if hit is NULL:
            out[i] = make(key)
        else:
            out[i] = <object>hit
    return out


cdef class ContainsTable:
    """Substrings naming markup classes: ``mask(token)`` ORs the bits of those inside ``token``."""

    cdef list parts
    cdef long long* bits
    cdef Py_ssize_t n

    def __cinit__(self, parts, bits):
        cdef Py_ssize_t i
        self.parts = list(parts)
        self.n = len(self.parts)
        self.bits = <long long*>realloc(NULL, (self.n + 1) * sizeof(long long))
        if self.bits is NULL:
            raise MemoryError()
        for i, b in enumerate(bits):
            self.bits[i] = b

    def __dealloc__(self):
        free(self.bits)

    def mask(self, str token):
        """The OR of the bits of every part that occurs in ``token``."""
        cdef Py_ssize_t i
        cdef long long m = 0
        for i in range(self.n):
            if self.bits[i] & ~m and (<str>self.parts[i]) in token:
                m |= self.bits[i]
        return m


cdef Py_ssize_t _best(const double* mass, Py_ssize_t n, const Py_ssize_t[::1] block_node,
                      const Py_ssize_t[::1] parent, const Py_ssize_t[::1] order,
                      const Py_ssize_t[::1] length, double* sub) noexcept:
    """best_node on a mass buffer, with ``sub`` as scratch (one slot per node)."""
    cdef Py_ssize_t N = parent.shape[0], i, j, p, best = -1
    cdef double best_total = 0.0, t
    for j in range(N):
        sub[j] = 0.0
    for i in range(n):
        sub[block_node[i]] = sub[block_node[i]] + mass[i]
    for i in range(N):
        j = order[i]
        p = parent[j]
        if p >= 0:
            sub[p] += sub[j]
    for j in range(N):
        t = sub[j]
        if t > best_total or (t == best_total and best >= 0 and length[best] > 0
                              and length[j] > length[best]):
            best = j
            best_total = t
    return best


cdef int region_containers(double[:, ::1] R, const double[::1] p1, const double[::1] words,
                      double margin, const Py_ssize_t[::1] block_node,
                      const Py_ssize_t[::1] parent, const Py_ssize_t[::1] order,
                           const Py_ssize_t[::1] length, list nodes, const long long[::1] found,
                           long long comments_bit) except -1:
    """Columns 6-14 of content.region_features: the best containers at the three margins, where
    the blocks lie against the main one, and the comment blocks outside it (same arithmetic)."""
    cdef Py_ssize_t n = p1.shape[0], N = parent.shape[0], i, x, best, first, last, r, column
    cdef double total = 0.0, inside_words, comment_words = 0.0, offset
    cdef double offsets[3]
    cdef Py_ssize_t columns[3]
    offsets[0] = 0.0
    offsets[1] = 0.2
    offsets[2] = -0.2
    columns[0] = 6
    columns[1] = 11
    columns[2] = 12
    cdef double* buf = <double*>realloc(NULL, (n + N + 2) * sizeof(double))
    cdef double* mass
    cdef double* sub
    if buf is NULL:
        raise MemoryError()
    try:
        mass = buf
        sub = buf + n + 1
        for i in range(n):
            total += words[i]
        for r in range(3):
            offset = offsets[r]
            column = columns[r]
            for i in range(n):
                mass[i] = words[i] * ((p1[i] - margin) - offset)
            best = _best(mass, n, block_node, parent, order, length, sub)
            if best < 0 or length[best] == 0:
                continue
            inside_words = 0.0
            first = -1
            last = -1
            for i in range(n):
                x = block_node[i]
                while x >= 0 and x != best:
                    x = parent[x]
                if x == best:
                    R[i, column] = 1.0
                    inside_words += words[i]
                    if first < 0:
                        first = i
                    last = i
            if column == 6:
                for i in range(n):
                    R[i, 7] = inside_words / total if total else 0.0
                    R[i, 8] = 1.0 if _count_slashes(nodes[best]) <= 1 else 0.0
                for i in range(first):
                    R[i, 9] = 1.0
                for i in range(last + 1, n):
                    R[i, 10] = 1.0
        for i in range(n):
            if found[i] & comments_bit:
                comment_words += words[i]
                if R[i, 6] == 0:
                    R[i, 13] = 1.0
        for i in range(n):
            R[i, 14] = comment_words / total if total else 0.0
    finally:
        free(buf)
    return 0


# ---------------------------------------------------------------- scoring without small numpy calls
# The model's matrix products, exp and log stay in numpy (their values are BLAS's and numpy's own);
# everything between them is done here with the same IEEE operations in the same order.

def neg_clip(double[::1] z, double bias):
    """``z <- -min(max(z + bias, -30), 30)``: the argument content._sigmoid hands to np.exp."""
    cdef Py_ssize_t i
    cdef double t
    for i in range(z.shape[0]):
        t = z[i] + bias
        if t < -30.0:
            t = -30.0
        if t > 30.0:
            t = 30.0
        z[i] = -t


def stage1_finish(const double[::1] e, double[::1] p1, double[::1] q):
    """From ``e = exp(-z)``: the stage-1 scores ``p1 = 1 / (1 + e)`` and, for np.log, the odds of
    the scores clipped to [1e-6, 1 - 1e-6] (content.region_features' first column)."""
    cdef Py_ssize_t i
    cdef double p, c
    cdef double hi = 1 - 1e-6
    for i in range(e.shape[0]):
        p = 1.0 / (1.0 + e[i])
        p1[i] = p
        c = p if p > 1e-6 else 1e-6
        if c > hi:
            c = hi
        q[i] = c / (1 - c)


def region_page(double[:, ::1] R, const double[::1] logodds, const double[::1] p1,
                const double[::1] words, const Py_ssize_t[::1] group, double margin,
                const Py_ssize_t[::1] block_node, const Py_ssize_t[::1] parent,
                const Py_ssize_t[::1] order, const Py_ssize_t[::1] length, list nodes,
                const long long[::1] found, long long comments_bit, const double[:, ::1] X,
                Py_ssize_t c_tag_p, Py_ssize_t c_link):
    """Columns 0-14 of content.region_features (``logodds``: np.log of stage1_finish's odds),
    then ``page_sums``: one call for what took several."""
    cdef Py_ssize_t i
    for i in range(R.shape[0]):
        R[i, 0] = logodds[i]
    region_basic(R, p1, words, group)
    region_containers(R, p1, words, margin, block_node, parent, order, length, nodes, found,
                      comments_bit)
    return page_sums(p1, words, X, c_tag_p, c_link)


def page_type(double[:, ::1] R, const double[:, ::1] X, double p_article,
              const Py_ssize_t[::1] art_cols):
    """content.add_page_type: the page-type columns 15 onwards of the region matrix."""
    cdef Py_ssize_t i, k, na = art_cols.shape[0]
    for i in range(R.shape[0]):
        R[i, 15] = p_article
        R[i, 16] = p_article * R[i, 0]
        R[i, 17] = p_article * R[i, 6]
        R[i, 18] = p_article * R[i, 10]
        for k in range(na):
            R[i, 19 + k] = p_article * X[i, art_cols[k]]


def bias_relu(double[:, ::1] H, const double[::1] bias):
    """``H <- max(H + bias, 0)`` row by row (Layer.logit's hidden layer after its product)."""
    cdef Py_ssize_t i, j, m = H.shape[1]
    cdef double t
    for i in range(H.shape[0]):
        for j in range(m):
            t = H[i, j] + bias[j]
            H[i, j] = t if t > 0.0 else 0.0


def page_columns(double[:, ::1] X, const double[::1] words, object overlap, Py_ssize_t c_jp,
                 Py_ssize_t c_jo, Py_ssize_t c_lpw, Py_ssize_t c_share,
                 const double[::1] log1p, object log1p_slow):
    """The page-wide columns of features.page_features: JSON-LD flag and overlap, log of the
    page's words and each block's share (whole-number word sums, exact in any order)."""
    cdef Py_ssize_t i, n = X.shape[0], k
    cdef double total = 0.0, lt
    cdef const double[::1] ov
    for i in range(n):
        total += words[i]
    if overlap is not None:
        ov = overlap
        for i in range(n):
            X[i, c_jp] = 1.0
            X[i, c_jo] = ov[i]
    k = <Py_ssize_t>total
    lt = log1p[k] if (k < log1p.shape[0] and <double>k == total) else log1p_slow(total)
    for i in range(n):
        X[i, c_lpw] = lt
    if total:
        for i in range(n):
            X[i, c_share] = sqrt(words[i] / total)


def write_scores(list blocks, list markup, const double[::1] stop_ratio, object overlap,
                 const double[::1] e, double threshold, double[::1] score):
    """write_content from ``e = exp(-z)`` of the region scorer: each score ``1 / (1 + e)`` is kept
    in ``score`` and written with the other per-block signals."""
    cdef Py_ssize_t i = 0
    cdef const double[::1] ov
    cdef bint has_overlap = overlap is not None
    cdef dict sig
    cdef double s
    if has_overlap:
        ov = overlap
    for b in blocks:
        sig = _get(b, F_SIGNALS, "signals")
        sig["markup"] = markup[i]
        sig["stopword_ratio"] = round4(stop_ratio[i])
        if has_overlap:
            sig["jsonld_overlap"] = round4(ov[i])
        s = 1.0 / (1.0 + e[i])
        score[i] = s
        sig["content_score"] = round4(s)
        sig["in_main"] = s >= threshold
        i += 1


def tree_articles(list nodes, const Py_ssize_t[::1] block_node, const Py_ssize_t[::1] parent,
                  const Py_ssize_t[::1] order, const Py_ssize_t[::1] length):
    """``len({p[: p.index("/article") + 8] for p in paths if "/article" in p})`` over the block
    paths of a ``path_tree`` (content.page_vector's article count), with no scan of the paths.

    The first "/article" in a path starts at a "/", so it lies in one step: it is the parent's
    when the parent path holds one, else it begins where the node's own step does (at the
    parent's length). Its prefix is then the parent path of that step plus "/article": one prefix
    per such parent node. A top node (no parent; never from HTML) is scanned outright; its only
    possible match is the path "/article..." itself, whose prefix "/article" is no tree prefix.
    """
    cdef Py_ssize_t N = parent.shape[0], n = block_node.shape[0], i, j, p, lp, count = 0
    cdef const char* pat = b"/article"
    cdef str s
    cdef Py_ssize_t* art = <Py_ssize_t*>realloc(NULL, (N + 1) * sizeof(Py_ssize_t))
    cdef unsigned char* seen = NULL
    if art is NULL:
        raise MemoryError()
    try:
        seen = <unsigned char*>calloc(N + 2, 1)
        if seen is NULL:
            raise MemoryError()
        for i in range(N - 1, -1, -1):  # shallowest first: parents before children
            j = order[i]
            p = parent[j]
            if p >= 0:
                if art[p] >= 0:
                    art[j] = art[p]
                    continue
                s = <str>nodes[j]
                lp = length[p]
                art[j] = p if (length[j] >= lp + 8 and _starts_article(s, lp, pat)) else -1
            else:
                s = <str>nodes[j]
                art[j] = N if (length[j] >= 8 and _starts_article(s, 0, pat)) else -1
        for i in range(n):
            j = art[block_node[i]]
            if j >= 0 and not seen[j]:
                seen[j] = 1
                count += 1
    finally:
        free(art)
        free(seen)
    return count


cdef inline bint _starts_article(str s, Py_ssize_t at, const char* pat) noexcept:
    """Whether ``s[at:at + 8] == "/article"`` (the caller checks the length)."""
    cdef int kind = PyUnicode_KIND(s)
    cdef void* data = PyUnicode_DATA(s)
    cdef Py_ssize_t k
    if kind == 1:
        return memcmp(<const char*>data + at, pat, 8) == 0
    for k in range(8):
        if PyUnicode_READ(kind, data, at + k) != <Py_UCS4>pat[k]:
            return False
    return True
