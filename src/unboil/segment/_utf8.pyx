# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled twin of charset._utf8_valid: is a page's byte string strict UTF-8?

Most pages are UTF-8 and lxml parses their bytes as they are, so checking them is enough;
decoding them to a str only to throw it away was most of the cost of reading the charset.
"""

from libc.stdint cimport uint64_t
from libc.string cimport memcpy


cdef bint _valid(const unsigned char* s, Py_ssize_t n) noexcept nogil:
    """Whether s[:n] is well-formed UTF-8: what Python's strict utf-8 decoder accepts."""
    cdef Py_ssize_t i = 0
    cdef uint64_t word, w1, w2, w3
    cdef unsigned char c, c1
    while i < n:
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
        if i >= n:
            break
        c = s[i]
        if c < 0x80:
            i += 1
        elif c < 0xC2:  # a continuation byte, or an overlong two-byte form
            return False
        elif c < 0xE0:
            if i + 1 >= n or (s[i + 1] & 0xC0) != 0x80:
                return False
            i += 2
        elif c < 0xF0:
            if i + 2 >= n:
                return False
            c1 = s[i + 1]
            if c == 0xE0:
                if not 0xA0 <= c1 <= 0xBF:  # overlong
                    return False
            elif c == 0xED:
                if not 0x80 <= c1 <= 0x9F:  # surrogates
                    return False
            elif (c1 & 0xC0) != 0x80:
                return False
            if (s[i + 2] & 0xC0) != 0x80:
                return False
            i += 3
        elif c < 0xF5:
            if i + 3 >= n:
                return False
            c1 = s[i + 1]
            if c == 0xF0:
                if not 0x90 <= c1 <= 0xBF:  # overlong
                    return False
            elif c == 0xF4:
                if not 0x80 <= c1 <= 0x8F:  # above U+10FFFF
                    return False
            elif (c1 & 0xC0) != 0x80:
                return False
            if (s[i + 2] & 0xC0) != 0x80 or (s[i + 3] & 0xC0) != 0x80:
                return False
            i += 4
        else:
            return False
    return True


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
