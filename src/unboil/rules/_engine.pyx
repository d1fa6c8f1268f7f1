# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled twin of the last step of ``RuleSet.decide``: from each rule's matching blocks to the
blocks' ``Decision`` objects (``unboil.rules.engine`` holds the pure-Python twin).

The rules' hits arrive as one list of block positions per rule, in evaluation order. Each block's
matched rules are gathered in C arrays; its action is that of the first matched rule with an
effect (keep, drop, or drop_repeats on a later member of a repeat group), exactly as the engine
decides; consecutive blocks with the same matched rules share one ``matched`` tuple.
"""

from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject, Py_TYPE
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_New, PyTuple_SET_ITEM
from cpython.ref cimport Py_INCREF
from cpython.unicode cimport PyUnicode_READ, PyUnicode_KIND, PyUnicode_DATA
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc

cdef extern from "Python.h":
    int PyObject_GenericSetAttr(object, object, object) except -1
    PyObject *PyDict_GetItemWithError(object, object) except? NULL
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset
    ctypedef struct PyMemberDescrObject:
        PyMemberDef *d_member
    ctypedef struct PyTypeObject:
        PyObject *(*tp_alloc)(PyTypeObject *, Py_ssize_t)

from cpython.ref cimport Py_XDECREF, Py_DECREF
import types as _types

cdef int _T_OBJECT_EX = 16


cdef Py_ssize_t _slot_offset(type cls, str name) except -2:
    """The byte offset of ``cls``'s ``__slots__`` entry ``name`` (an object slot), else -1."""
    descr = cls.__dict__.get(name)
    if not isinstance(descr, _types.MemberDescriptorType):
        return -1
    cdef PyMemberDef *member = (<PyMemberDescrObject *> <PyObject *> descr).d_member
    if member.type != _T_OBJECT_EX or member.offset <= 0:
        return -1
    return member.offset


cdef Py_ssize_t _reader_offset(object obj, str name) except -2:
    """The slot offset ``_read`` may use for ``name`` on objects of exactly ``type(obj)`` (-1:
    none; always none for a class with its own attribute lookup)."""
    cls = type(obj)
    if cls.__getattribute__ is not object.__getattribute__:
        return -1
    return _slot_offset(cls, name)


cdef inline object _read(object obj, void *cls, Py_ssize_t off, str name):
    """``getattr(obj, name)``, straight from the slot at ``off`` when ``obj`` is exactly of type
    ``cls`` (see ``_reader_offset``) and the slot is set."""
    cdef PyObject *value
    if off > 0 and <void *> Py_TYPE(obj) == cls:
        value = (<PyObject **> ((<char *> <PyObject *> obj) + off))[0]
        if value != NULL:
            return <object> value
    return getattr(obj, name)


cdef dict _layouts = {}  # decision class -> (offsets of index, action, rule, matched) or None


cdef object _layout(type cls):
    """The slot offsets of a Decision-like class (None: set its fields the generic way)."""
    found = _layouts.get(cls, False)
    if found is False:
        offsets = tuple(_slot_offset(cls, name) for name in ("index", "action", "rule", "matched"))
        # only the class's own slots, on instances object.__new__ makes of exactly that class
        # (not abstract either: object.__new__ refuses those, and so must we)
        found = (None if min(offsets) < 0 or cls.__new__ is not object.__new__
                 or getattr(cls, "__abstractmethods__", None) else offsets)
        _layouts[cls] = found
    return found


cdef inline void _put(object obj, Py_ssize_t offset, object value) noexcept:
    """Set an object slot (a fresh object's slot is NULL) the way the slot descriptor does."""
    cdef PyObject **at = <PyObject **> ((<char *> <PyObject *> obj) + offset)
    cdef PyObject *old = at[0]
    Py_INCREF(value)
    at[0] = <PyObject *> value
    Py_XDECREF(old)

cdef enum:
    EFFECT_KEEP = 0
    EFFECT_DROP = 1
    EFFECT_REPEATS = 2


cdef object _new_decision(object cls, object index, object action, object rule, object matched,
                          tuple layout=None):
    cdef object d
    cdef PyObject *fresh
    if layout is not None:  # a slots class: write the slots themselves
        # what object.__new__(cls) does for a class whose __new__ is object.__new__ (checked by
        # _layout): allocate through the type's tp_alloc, without the call and argument checks
        fresh = (<PyTypeObject *> <PyObject *> cls).tp_alloc(<PyTypeObject *> <PyObject *> cls, 0)
        if fresh == NULL:
            raise MemoryError()
        d = <object> fresh
        Py_DECREF(d)  # <object> took a new reference; tp_alloc's is the one d keeps
        _put(d, <Py_ssize_t> layout[0], index)
        _put(d, <Py_ssize_t> layout[1], action)
        _put(d, <Py_ssize_t> layout[2], rule)
        _put(d, <Py_ssize_t> layout[3], matched)
        return d
    d = cls.__new__(cls)
    PyObject_GenericSetAttr(d, "index", index)
    PyObject_GenericSetAttr(d, "action", action)
    PyObject_GenericSetAttr(d, "rule", rule)
    PyObject_GenericSetAttr(d, "matched", matched)
    return d


def assemble(list blocks, list hits, list ids, list effects, decision_cls, str keep, str drop):
    """One Decision per block from the rules' hits (a list of positions per rule, or None: all)."""
    cdef Py_ssize_t n = PyList_GET_SIZE(blocks), nrules = PyList_GET_SIZE(hits)
    cdef Py_ssize_t r, p, k, total = 0, m, prev_start = 0, prev_len = -1, start
    cdef list positions
    cdef object entry, block, signals, group, action, rule, matched, empty = ()
    cdef Py_ssize_t* counts = <Py_ssize_t*> malloc((2 * n + 2) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* offsets
    cdef int* which = NULL
    cdef int effect
    cdef bint same
    cdef list out = []
    cdef tuple layout = _layout(decision_cls) if isinstance(decision_cls, type) else None
    cdef void *block_cls = NULL
    cdef Py_ssize_t index_at = -1
    if counts == NULL:
        raise MemoryError()
    if n:
        block = <object> PyList_GET_ITEM(blocks, 0)
        block_cls = <void *> Py_TYPE(block)
        index_at = _reader_offset(block, "index")
    offsets = counts + n + 1
    try:
        for p in range(n + 1):
            counts[p] = 0
        for r in range(nrules):
            entry = <object> PyList_GET_ITEM(hits, r)
            if entry is None:
                for p in range(n):
                    counts[p] += 1
                total += n
            else:
                positions = <list> entry
                for k in range(PyList_GET_SIZE(positions)):
                    counts[<Py_ssize_t> <object> PyList_GET_ITEM(positions, k)] += 1
                total += PyList_GET_SIZE(positions)
        offsets[0] = 0
        for p in range(n):
            offsets[p + 1] = offsets[p] + counts[p]
            counts[p] = offsets[p]  # the next free slot of block p
        which = <int*> malloc((total + 1) * sizeof(int))
        if which == NULL:
            raise MemoryError()
        for r in range(nrules):  # rules in evaluation order: each block's list stays in order
            entry = <object> PyList_GET_ITEM(hits, r)
            if entry is None:
                for p in range(n):
                    which[counts[p]] = <int> r
                    counts[p] += 1
            else:
                positions = <list> entry
                for k in range(PyList_GET_SIZE(positions)):
                    p = <Py_ssize_t> <object> PyList_GET_ITEM(positions, k)
                    which[counts[p]] = <int> r
                    counts[p] += 1
        matched = empty
        for p in range(n):
            block = <object> PyList_GET_ITEM(blocks, p)
            start = offsets[p]
            m = offsets[p + 1] - start
            if m == 0:
                out.append(_new_decision(decision_cls, _read(block, block_cls, index_at, "index"),
                                         keep, "", empty, layout))
                continue
            same = m == prev_len
            if same:
                for k in range(m):
                    if which[start + k] != which[prev_start + k]:
                        same = False
                        break
            if not same:
                matched = PyTuple_New(m)
                for k in range(m):
                    rule = <object> PyList_GET_ITEM(ids, which[start + k])
                    Py_INCREF(rule)
                    PyTuple_SET_ITEM(matched, k, rule)
                prev_start = start
                prev_len = m
            action = None
            rule = ""
            for k in range(m):
                effect = <int> <object> PyList_GET_ITEM(effects, which[start + k])
                if effect == EFFECT_KEEP:
                    action = keep
                elif effect == EFFECT_DROP:
                    action = drop
                else:
                    signals = block.signals
                    group = signals.get("repeat_group", -1)
                    if isinstance(group, int) and group >= 0 and signals.get("repeat_first") is False:
                        action = drop
                if action is not None:
                    rule = <object> PyList_GET_ITEM(ids, which[start + k])
                    break
            out.append(_new_decision(decision_cls, _read(block, block_cls, index_at, "index"),
                                     keep if action is None else action, rule, matched, layout))
        return out
    finally:
        free(counts)
        free(which)


# ---------------------------------------------------------------- selectors over signal dicts
# Each returns the positions (ascending) among ``cands`` (None: every block) where the matcher's
# predicate in ``unboil.rules.matchers`` holds, with that predicate's exact semantics.


cdef inline Py_ssize_t _count(object cands, Py_ssize_t n):
    return n if cands is None else PyList_GET_SIZE(<list> cands)


cdef inline Py_ssize_t _at(object cands, Py_ssize_t k):
    return k if cands is None else <Py_ssize_t> <object> PyList_GET_ITEM(<list> cands, k)


def flag_select(list column, bint value, cands):
    """``signal is not None and bool(signal) == value`` on a ``signal_column``."""
    cdef Py_ssize_t k, p, m = _count(cands, PyList_GET_SIZE(column))
    cdef list out = []
    cdef object s
    for k in range(m):
        p = _at(cands, k)
        s = <object> PyList_GET_ITEM(column, p)
        if s is not None and bool(s) == value:
            out.append(p)
    return out


def number_select(list column, value, cands, int op):
    """On a numeric signal (bools and non-numbers never hold): op 0 ``>= value``, 1 ``<= value``,
    2 ``(signal > 1) == value`` (repeated_in_page)."""
    cdef Py_ssize_t k, p, m = _count(cands, PyList_GET_SIZE(column))
    cdef list out = []
    cdef object s
    cdef bint hit
    for k in range(m):
        p = _at(cands, k)
        s = <object> PyList_GET_ITEM(column, p)
        if isinstance(s, bool) or not isinstance(s, (int, float)):
            continue
        if op == 0:
            hit = s >= value
        elif op == 1:
            hit = s <= value
        else:
            hit = (s > 1) == value
        if hit:
            out.append(p)
    return out


def signal_column(list signals, str name):
    """Every block's value of one signal (None when absent)."""
    cdef Py_ssize_t p, n = PyList_GET_SIZE(signals)
    cdef list out = [None] * n
    for p in range(n):
        out[p] = (<dict> <object> PyList_GET_ITEM(signals, p)).get(name)
    return out


def signals_of(list blocks):
    """``[b.signals for b in blocks]``, read straight from the slot for exact ``type(blocks[0])``
    instances (any other object goes through ``getattr``)."""
    cdef Py_ssize_t p, n = PyList_GET_SIZE(blocks), off = -1
    cdef list out = [None] * n
    cdef object block
    cdef void *cls = NULL
    cdef PyObject *value
    if n:
        first = type(<object> PyList_GET_ITEM(blocks, 0))
        off = _slot_offset(first, "signals")
        cls = <void *> first
    for p in range(n):
        block = <object> PyList_GET_ITEM(blocks, p)
        value = NULL
        if off > 0 and <void *> Py_TYPE(block) == cls:
            value = (<PyObject **> ((<char *> <PyObject *> block) + off))[0]
        out[p] = <object> value if value != NULL else block.signals
    return out


def signal_columns(list signals, tuple names):
    """``signal_column`` for each of ``names`` (str keys), reading every block's dict once."""
    cdef Py_ssize_t p, c, n = PyList_GET_SIZE(signals), ncol = len(names)
    cdef list cols = [[None] * n for _ in range(ncol)]
    cdef list col
    cdef dict d
    cdef PyObject *found
    for p in range(n):
        d = <dict> <object> PyList_GET_ITEM(signals, p)
        for c in range(ncol):
            found = PyDict_GetItemWithError(d, <object> PyTuple_GET_ITEM(names, c))
            if found != NULL:
                col = <list> <object> PyList_GET_ITEM(cols, c)
                col[p] = <object> found
    return cols


def any_in_select(list column, value, cands):
    """A string signal is one of ``value``; another (non-empty) signal holds one of ``value``.

    ``column`` holds the signal of every block (``signal_column``). Membership is tested in a
    set of ``value`` (the same answer as in the tuple for hashable items; an unhashable item
    falls back to the tuple).
    """
    cdef Py_ssize_t k, p, m = _count(cands, PyList_GET_SIZE(column))
    cdef list out = []
    cdef object present, item
    cdef frozenset wanted
    try:
        wanted = frozenset(value)
    except TypeError:
        wanted = None
    for k in range(m):
        p = _at(cands, k)
        present = <object> PyList_GET_ITEM(column, p)
        if isinstance(present, str):
            if _member(present, wanted, value):
                out.append(p)
            continue
        if not present:
            continue
        for item in present:
            if _member(item, wanted, value):
                out.append(p)
                break
    return out


def item_masks(list column):
    """Each block's items (its string, or the items of its value) as bits of a 64-bit mask, and
    item -> bit; None when there are more than 64 distinct items or one is unhashable."""
    cdef Py_ssize_t p, n = PyList_GET_SIZE(column)
    cdef dict bits = {}
    cdef object present, item, bit
    cdef list masks = [0] * n
    cdef uint64_t mask
    try:
        for p in range(n):
            present = <object> PyList_GET_ITEM(column, p)
            mask = 0
            if isinstance(present, str):
                mask = _bit(bits, present)
            elif present:
                for item in present:
                    mask |= _bit(bits, item)
            masks[p] = mask
    except (TypeError, OverflowError):
        return None
    return masks, bits


cdef uint64_t _bit(dict bits, object item) except? 0:
    cdef object bit = bits.get(item)
    if bit is None:
        if len(bits) == 64:
            raise OverflowError
        bit = len(bits)
        bits[item] = bit
    return (<uint64_t> 1) << <int> <Py_ssize_t> bit


def masked_select(list masks, dict bits, value, cands):
    """The positions whose mask shares a bit with the items of ``value`` (see ``item_masks``).

    An item equal to a block's item hashes alike, so it finds that item's bit; an item no block
    holds has none.
    """
    cdef Py_ssize_t k, p, m = _count(cands, PyList_GET_SIZE(masks))
    cdef uint64_t want = 0
    cdef object item, bit
    cdef list out = []
    for item in value:
        bit = bits.get(item)
        if bit is not None:
            want |= (<uint64_t> 1) << <int> <Py_ssize_t> bit
    if want == 0:
        return out
    for k in range(m):
        p = _at(cands, k)
        if (<uint64_t> <object> PyList_GET_ITEM(masks, p)) & want:
            out.append(p)
    return out


cdef inline bint _member(object item, frozenset wanted, object value) except -1:
    if wanted is not None:
        try:
            return item in wanted
        except TypeError:
            pass
    return item in value


def widget_select(list column, value, cands):
    """The ``widget`` signal is a string and: any category (True), none (False), or in value."""
    cdef Py_ssize_t k, p, m = _count(cands, PyList_GET_SIZE(column))
    cdef list out = []
    cdef object category
    cdef bint hit
    for k in range(m):
        p = _at(cands, k)
        category = <object> PyList_GET_ITEM(column, p)
        if not isinstance(category, str):
            continue
        if value is True:
            hit = category != ""
        elif value is False:
            hit = category == ""
        else:
            hit = category in value
        if hit:
            out.append(p)
    return out


def words_column(list blocks, list column, count_words):
    """Every block's word count: its int ``words`` signal (``column``), else ``count_words``."""
    cdef Py_ssize_t p, n = PyList_GET_SIZE(column)
    cdef list out = [None] * n
    cdef object s
    for p in range(n):
        s = <object> PyList_GET_ITEM(column, p)
        if not (isinstance(s, int) and not isinstance(s, bool)):
            s = count_words(<object> PyList_GET_ITEM(blocks, p))
        out[p] = s
    return out


def compare_select(list column, value, cands, bint at_least):
    """``column[p] >= value`` (or ``<=``) on a column of plain numbers."""
    cdef Py_ssize_t k, p, m = _count(cands, PyList_GET_SIZE(column))
    cdef list out = []
    cdef object s
    cdef bint hit
    for k in range(m):
        p = _at(cands, k)
        s = <object> PyList_GET_ITEM(column, p)
        hit = s >= value if at_least else s <= value
        if hit:
            out.append(p)
    return out


def regex_select(list blocks, cands, dict known, dict any_known, bytearray lead_known,
                 any_search, quick, Py_ssize_t longest, holds, pattern, ctx, Lead lead=None,
                 Lead own_lead=None):
    """``text_regex``: each distinct text searched once per page (``known``: text -> found); the
    ``lead`` filter (of the union, or of the prefilter when there is no union; its verdict kept
    per position in ``lead_known``: 0 not yet, 1 ruled out, 2 maybe), then the union of
    prefilters (``any_known``: text -> may match), then the lead filter of the rule's own
    prefilter (``own_lead``, with a union) and the prefilter itself may prove no match before
    the timed search (see ``columns``). A search the regex limits cut short (``ctx.timed_out``)
    counts with the answer ``holds`` gave and is not remembered."""
    cdef Py_ssize_t k, p, m = _count(cands, PyList_GET_SIZE(blocks))
    cdef list out = []
    cdef object block, text, found, maybe
    cdef unsigned char lv
    cdef unsigned char* lead_seen = lead_known
    cdef bint screened = lead is not None and quick is not None
    cdef void *block_cls = NULL
    cdef Py_ssize_t text_at = -1
    if m:
        block = <object> PyList_GET_ITEM(blocks, _at(cands, 0))
        block_cls = <void *> Py_TYPE(block)
        text_at = _reader_offset(block, "text")
    for k in range(m):
        p = _at(cands, k)
        block = <object> PyList_GET_ITEM(blocks, p)
        if screened:
            lv = lead_seen[p]
            if lv == 0:
                text = _read(block, block_cls, text_at, "text")
                lv = 1 if len(text) <= longest and not lead.may_match(text) else 2
                lead_seen[p] = lv
            if lv == 1:
                continue  # no branch of the prefilter (or union) can match: no match
        text = _read(block, block_cls, text_at, "text")
        found = known.get(text)
        if found is None:
            if quick is not None and len(text) <= longest:
                if any_search is not None:
                    maybe = any_known.get(text)
                    if maybe is None:
                        maybe = any_known[text] = any_search(text) is not None
                    if not maybe:
                        found = False
                    elif own_lead is not None and not own_lead.may_match(text):
                        found = False  # the union may match, this rule's prefilter cannot
                if found is None and quick(text) is None:
                    found = False
            if found is None:
                found = holds(pattern, block, p, ctx)
                if ctx.timed_out:  # not evaluated: the rule's safe answer, not remembered
                    ctx.timed_out = False
                    if found:
                        out.append(p)
                    continue
            known[text] = found
        if found:
            out.append(p)
    return out


cdef class Lead:
    """Compiled twin of ``prefilter.LeadFilter.may_match`` over the filter's own tables (its
    memo of non-ASCII characters is shared: ``char_bits`` fills it)."""

    cdef object filt, char_bits
    cdef unsigned char atom[64][128]
    cdef unsigned char nonword[128]
    cdef unsigned char first[128]
    cdef int nheads
    cdef int *starts  # head h's atoms are atoms_of[starts[h]:starts[h + 1]]
    cdef int *atoms_of
    # the heads whose first atom matches ASCII character c: by_first[first_at[c]:first_at[c + 1]]
    # (a head whose first atom does not match the character there cannot answer "maybe")
    cdef int first_at[129]
    cdef int *by_first

    def __cinit__(self, filt):
        cdef Py_ssize_t a, c, h, k, total = 0
        self.starts = NULL
        self.atoms_of = NULL
        self.by_first = NULL
        if len(filt.atoms) > 64:
            raise ValueError("too many atoms for the compiled lead filter")
        self.filt = filt
        self.char_bits = filt.char_bits
        for a, table in enumerate(filt.atoms):
            for c in range(128):
                self.atom[a][c] = table[c]
        for c in range(128):
            self.nonword[c] = filt.nonword_ascii[c]
            self.first[c] = filt.first_ascii[c]
        heads = filt.heads
        self.nheads = len(heads)
        for head in heads:
            total += len(head)
        self.starts = <int*> malloc((self.nheads + 1) * sizeof(int))
        self.atoms_of = <int*> malloc((total + 1) * sizeof(int))
        if self.starts == NULL or self.atoms_of == NULL:
            raise MemoryError()
        k = 0
        for h in range(self.nheads):
            self.starts[h] = <int> k
            for a in heads[h]:
                self.atoms_of[k] = <int> a
                k += 1
        self.starts[self.nheads] = <int> k
        self.by_first = <int*> malloc((128 * self.nheads + 1) * sizeof(int))
        if self.by_first == NULL:
            raise MemoryError()
        k = 0
        for c in range(128):
            self.first_at[c] = <int> k
            for h in range(self.nheads):
                if (self.starts[h] == self.starts[h + 1]  # an empty head (none are made) fits anywhere
                        or self.atom[self.atoms_of[self.starts[h]]][c]):
                    self.by_first[k] = <int> h
                    k += 1
        self.first_at[128] = <int> k

    def __dealloc__(self):
        free(self.starts)
        free(self.atoms_of)
        free(self.by_first)

    cdef bint _heads_at(self, int kind, void* data, Py_ssize_t j, Py_ssize_t n) noexcept:
        """Whether a head may match at ``j``, where the text holds an ASCII character."""
        cdef int b, h, k, s, e
        cdef Py_UCS4 c
        cdef Py_ssize_t at = <Py_ssize_t> PyUnicode_READ(kind, data, j)  # < 128: the caller checks
        cdef int lo = self.first_at[at], hi = self.first_at[at + 1]
        for b in range(lo, hi):
            h = self.by_first[b]
            s = self.starts[h]
            e = self.starts[h + 1]
            if j + (e - s) > n:
                continue
            for k in range(s, e):
                c = PyUnicode_READ(kind, data, j + k - s)
                if c >= 128:
                    return True  # not judged here: maybe
                if not self.atom[self.atoms_of[k]][c]:
                    break
            else:
                return True
        return False

    cpdef bint may_match(self, str text) except -1:
        """False only when no branch of the filtered pattern can match ``text``."""
        cdef Py_ssize_t j, n = len(text)
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef Py_UCS4 c
        cdef long bits
        for j in range(n):
            c = PyUnicode_READ(kind, data, j)
            if c < 128:
                if self.first[c] and self._heads_at(kind, data, j, n):
                    return True
                if not self.nonword[c]:
                    return False
            else:
                bits = self.char_bits(<long> c)
                if bits & 2:
                    return True
                if not bits & 1:
                    return False
        return False
