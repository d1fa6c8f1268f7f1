"""Exceptions unboil raises for bad input; each message names the input and what is wrong."""

from __future__ import annotations


class UnboilError(Exception):
    """Base class for unboil's own errors."""


class InputError(UnboilError, ValueError):
    """The input cannot be cleaned (binary data, wrong type, too large...)."""


class DocumentTooLarge(InputError):
    """The document exceeds the configured size cap."""
