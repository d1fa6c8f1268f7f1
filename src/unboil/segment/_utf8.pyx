# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled twins of charset's byte checks: is a page's byte string UTF-8, and how nearly?

Most pages are UTF-8 and lxml parses their bytes as they are, so checking them is enough;
decoding them to a str only to throw it away was most of the cost of reading the charset.
``utf8_scan`` counts, in the same one pass, the bytes that are not UTF-8 and the characters
that are, which is what deciding between UTF-8 with a few stray bytes and a legacy charset needs.
"""

from libc.stdint cimport uint64_t
from libc.string cimport memcpy


cdef inline Py_ssize_t _skip_ascii(const unsigned char* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """The first position at or after i whose 8-byte word holds a non-ASCII byte (or near n)."""
    cdef uint64_t word, w1, w2, w3
    while i + 32 <= n:  # ASCII, thirty-two bytes at a time
        memcpy(&word, s + i, 8)
        memcpy(&w1, s + i + 8, 8)
        memcpy(&w2, s + i + 16, 8)
        memcpy(&w3, s + i + 24, 8)
        if (word | w1 | w2 | w3) & 0x8080808080808080ULL:
            break
        i += 32
    while i + 8 <= n:  # then eight at a time
        memcpy(&word, s + i, 8)
        if word & 0x8080808080808080ULL:
            break
        i += 8
    return i


cdef inline Py_ssize_t _sequence(const unsigned char* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """The length of the well-formed UTF-8 sequence starting at the non-ASCII byte s[i] (2 to 4),
    0 when none starts there: a continuation byte, an overlong form, a surrogate, a code point
    above U+10FFFF, or a sequence cut short, exactly as Python's strict decoder judges."""
    cdef unsigned char c = s[i], c1
    cdef Py_ssize_t k = 0
    if 0xC2 <= c < 0xE0:
        if i + 1 < n and (s[i + 1] & 0xC0) == 0x80:
            k = 2
    elif 0xE0 <= c < 0xF0:
        if i + 2 < n:
            c1 = s[i + 1]
            if c == 0xE0:
                if 0xA0 <= c1 <= 0xBF:  # else overlong
                    k = 3
            elif c == 0xED:
                if 0x80 <= c1 <= 0x9F:  # else a surrogate
                    k = 3
            elif (c1 & 0xC0) == 0x80:
                k = 3
            if k and (s[i + 2] & 0xC0) != 0x80:
                k = 0
    elif 0xF0 <= c < 0xF5:
        if i + 3 < n:
            c1 = s[i + 1]
            if c == 0xF0:
                if 0x90 <= c1 <= 0xBF:  # else overlong
                    k = 4
            elif c == 0xF4:
                if 0x80 <= c1 <= 0x8F:  # else above U+10FFFF
                    k = 4
            elif (c1 & 0xC0) == 0x80:
                k = 4
            if k and ((s[i + 2] & 0xC0) != 0x80 or (s[i + 3] & 0xC0) != 0x80):
                k = 0
    return k


cdef bint _valid(const unsigned char* s, Py_ssize_t n) noexcept nogil:
    """Whether s[:n] is well-formed UTF-8: what Python's strict utf-8 decoder accepts."""
    cdef Py_ssize_t i = 0, k
    while i < n:
        i = _skip_ascii(s, i, n)
        if i >= n:
            break
        if s[i] < 0x80:
            i += 1
            continue
        k = _sequence(s, i, n)
        if not k:
            return False
        i += k
    return True


cdef Py_ssize_t _scan(const unsigned char* s, Py_ssize_t n, Py_ssize_t* multibyte) noexcept nogil:
    """The bytes of s[:n] that are no part of a well-formed UTF-8 sequence (the ones Python's
    decoder replaces or escapes), and in ``multibyte`` the well-formed characters above U+007F.

    A byte that starts no sequence is counted alone: what follows it is a continuation byte
    (which starts nothing either, so it is counted next) or a new start, as Python's decoder goes."""
    cdef Py_ssize_t i = 0, bad = 0, wide = 0, k
    while i < n:
        i = _skip_ascii(s, i, n)
        if i >= n:
            break
        if s[i] < 0x80:
            i += 1
            continue
        k = _sequence(s, i, n)
        if k:
            wide += 1
            i += k
        else:
            bad += 1
            i += 1
    multibyte[0] = wide
    return bad


def utf8_scan(data: bytes) -> tuple:
    """``(invalid bytes, characters above U+007F)`` of ``data`` read as UTF-8, in one pass: the
    first is 0 exactly when ``data.decode("utf-8")`` succeeds (charset._utf8_scan)."""
    cdef bytes b = data
    cdef const unsigned char* s = <const unsigned char*>b
    cdef Py_ssize_t n = len(b), wide = 0, bad
    with nogil:
        bad = _scan(s, n, &wide)
    return bad, wide


def utf8_valid(data: bytes) -> bool:
    """Whether ``data.decode("utf-8")`` would succeed, without making the str."""
    cdef bytes b = data
    return _valid(<const unsigned char*>b, len(b))


def sniff_counts(data: bytes, Py_ssize_t window) -> tuple:
    """Over ``data[:window]``: (length, NULs at even offsets, NULs at odd offsets, control
    bytes that never occur in text), in one pass and without slicing (charset._sniff_counts)."""
    cdef bytes b = data
    cdef const unsigned char* s = <const unsigned char*>b
    cdef Py_ssize_t n = min(len(b), window), i
    cdef Py_ssize_t even = 0, odd = 0, bad = 0
    cdef unsigned char c
    for i in range(n):
        c = s[i]
        if c < 32:
            if c == 0:
                if i & 1:
                    odd += 1
                else:
                    even += 1
            if c != 9 and c != 10 and c != 12 and c != 13 and c != 27:
                bad += 1
    return n, even, odd, bad


# -- str to UTF-8 --------------------------------------------------------------------------------
# Pages handed in as str (most HTTP clients decode them) are encoded for lxml. Python's encoder
# takes a branch per character; markup is mostly ASCII, which this one copies a word at a time
# (four characters of a two-byte str, two of a four-byte one, eight of a one-byte one).

from libc.stdint cimport uint16_t, uint32_t
from cpython.ref cimport PyObject, Py_INCREF, Py_DECREF

cdef extern from "Python.h":
    int PyUnicode_KIND(object u)
    void* PyUnicode_DATA(object u)
    Py_ssize_t PyUnicode_GET_LENGTH(object u)
    bint PyUnicode_IS_ASCII(object u)
    bytes PyBytes_FromStringAndSize(const char* s, Py_ssize_t n)
    char* PyBytes_AS_STRING(object b)
    int _PyBytes_Resize(PyObject** b, Py_ssize_t newsize) except -1
    const Py_ssize_t PY_SSIZE_T_MAX


cdef inline Py_ssize_t _put(unsigned char* o, uint32_t c) noexcept nogil:
    """Write code point c as UTF-8 (a surrogate as "?"); the number of bytes written."""
    if c < 0x80:
        o[0] = <unsigned char>c
        return 1
    if c < 0x800:
        o[0] = <unsigned char>(0xC0 | (c >> 6))
        o[1] = <unsigned char>(0x80 | (c & 0x3F))
        return 2
    if c < 0x10000:
        if 0xD800 <= c <= 0xDFFF:
            o[0] = 63
            return 1
        o[0] = <unsigned char>(0xE0 | (c >> 12))
        o[1] = <unsigned char>(0x80 | ((c >> 6) & 0x3F))
        o[2] = <unsigned char>(0x80 | (c & 0x3F))
        return 3
    o[0] = <unsigned char>(0xF0 | (c >> 18))
    o[1] = <unsigned char>(0x80 | ((c >> 12) & 0x3F))
    o[2] = <unsigned char>(0x80 | ((c >> 6) & 0x3F))
    o[3] = <unsigned char>(0x80 | (c & 0x3F))
    return 4


cdef Py_ssize_t _fill1(const unsigned char* s, Py_ssize_t n, unsigned char* o) noexcept nogil:
    cdef Py_ssize_t i = 0, k = 0
    cdef uint64_t w
    while i < n:
        if i + 8 <= n:
            memcpy(&w, s + i, 8)
            if w & 0x8080808080808080ULL == 0:
                memcpy(o + k, &w, 8)
                i += 8
                k += 8
                continue
        k += _put(o + k, s[i])
        i += 1
    return k


cdef extern from *:
    """
    #if defined(__SSE2__)
    #include <emmintrin.h>
    /* Copy the ASCII characters at the start of a two-byte str to o, eight at a time (their low
       bytes); the number copied, a multiple of eight. */
    static inline Py_ssize_t unboil_ascii_run2(const uint16_t* s, Py_ssize_t n, unsigned char* o) {
        Py_ssize_t i = 0;
        const __m128i high = _mm_set1_epi16((short)0xFF80);
        const __m128i zero = _mm_setzero_si128();
        while (i + 8 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i*)(s + i));
            if (_mm_movemask_epi8(_mm_cmpeq_epi16(_mm_and_si128(v, high), zero)) != 0xFFFF)
                break;
            _mm_storel_epi64((__m128i*)(o + i), _mm_packus_epi16(v, v));
            i += 8;
        }
        return i;
    }
    /* The same for a four-byte str. */
    static inline Py_ssize_t unboil_ascii_run4(const uint32_t* s, Py_ssize_t n, unsigned char* o) {
        Py_ssize_t i = 0;
        const __m128i high = _mm_set1_epi32((int)0xFFFFFF80);
        const __m128i zero = _mm_setzero_si128();
        while (i + 8 <= n) {
            __m128i a = _mm_loadu_si128((const __m128i*)(s + i));
            __m128i b = _mm_loadu_si128((const __m128i*)(s + i + 4));
            __m128i hi = _mm_or_si128(_mm_and_si128(a, high), _mm_and_si128(b, high));
            if (_mm_movemask_epi8(_mm_cmpeq_epi32(hi, zero)) != 0xFFFF)
                break;
            __m128i w = _mm_packs_epi32(a, b);  /* all below 0x80: no saturation */
            _mm_storel_epi64((__m128i*)(o + i), _mm_packus_epi16(w, w));
            i += 8;
        }
        return i;
    }
    #else
    static inline Py_ssize_t unboil_ascii_run2(const uint16_t* s, Py_ssize_t n, unsigned char* o) {
        (void)s; (void)n; (void)o;
        return 0;
    }
    static inline Py_ssize_t unboil_ascii_run4(const uint32_t* s, Py_ssize_t n, unsigned char* o) {
        (void)s; (void)n; (void)o;
        return 0;
    }
    #endif
    """
    Py_ssize_t unboil_ascii_run2(const uint16_t* s, Py_ssize_t n, unsigned char* o) nogil
    Py_ssize_t unboil_ascii_run4(const uint32_t* s, Py_ssize_t n, unsigned char* o) nogil


cdef Py_ssize_t _fill2(const uint16_t* s, Py_ssize_t n, unsigned char* o) noexcept nogil:
    cdef Py_ssize_t i = 0, k = 0, m, stop
    cdef uint64_t w
    cdef uint32_t packed
    while i < n:
        m = unboil_ascii_run2(s + i, n - i, o + k)  # SSE2: eight at a time
        i += m
        k += m
        if i + 4 <= n:
            memcpy(&w, s + i, 8)
            if w & 0xFF80FF80FF80FF80ULL == 0:  # four ASCII characters: their low bytes
                packed = <uint32_t>((w & 0xFF) | ((w >> 8) & 0xFF00) | ((w >> 16) & 0xFF0000)
                                    | ((w >> 24) & 0xFF000000ULL))
                memcpy(o + k, &packed, 4)
                i += 4
                k += 4
                continue
        # a non-ASCII character is near: the next eight one by one, then try the fast path again
        stop = i + 8 if i + 8 < n else n
        while i < stop:
            k += _put(o + k, s[i])
            i += 1
    return k


cdef Py_ssize_t _fill4(const uint32_t* s, Py_ssize_t n, unsigned char* o) noexcept nogil:
    cdef Py_ssize_t i = 0, k = 0, m, stop
    cdef uint64_t w
    while i < n:
        m = unboil_ascii_run4(s + i, n - i, o + k)  # SSE2: eight at a time
        i += m
        k += m
        if i + 2 <= n:
            memcpy(&w, s + i, 8)
            if w & 0xFFFFFF80FFFFFF80ULL == 0:
                o[k] = <unsigned char>(w & 0xFF)
                o[k + 1] = <unsigned char>((w >> 32) & 0xFF)
                i += 2
                k += 2
                continue
        stop = i + 8 if i + 8 < n else n  # see _fill2
        while i < stop:
            k += _put(o + k, s[i])
            i += 1
    return k


def encode_utf8(str text) -> bytes:
    """``text.encode("utf-8", errors="replace")``: the same bytes, made faster for markup.

    Room for the longest encoding is taken first (as Python's encoder does), then trimmed.
    """
    if PyUnicode_IS_ASCII(text) or PyUnicode_GET_LENGTH(text) > PY_SSIZE_T_MAX // 4:
        return text.encode("utf-8", "replace")  # ASCII: already stored as its UTF-8 bytes
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), k
    cdef object out = PyBytes_FromStringAndSize(NULL, n * (kind + 1 if kind < 4 else 4))
    cdef unsigned char* o = <unsigned char*>PyBytes_AS_STRING(out)
    with nogil:
        if kind == 1:
            k = _fill1(<const unsigned char*>data, n, o)
        elif kind == 2:
            k = _fill2(<const uint16_t*>data, n, o)
        else:
            k = _fill4(<const uint32_t*>data, n, o)
    # _PyBytes_Resize needs the only reference: hand ours over, then take the result back
    cdef PyObject* raw = <PyObject*>out
    Py_INCREF(out)
    out = None
    _PyBytes_Resize(&raw, k)  # on failure it has released the object and set raw to NULL
    out = <object>raw
    Py_DECREF(out)
    return out
