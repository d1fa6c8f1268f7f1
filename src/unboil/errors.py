"""Exceptions unboil raises for bad input; each message names the input and what is wrong."""

from __future__ import annotations

import importlib
from types import ModuleType


class UnboilError(Exception):
    """Base class for unboil's own errors."""


class InputError(UnboilError, ValueError):
    """The input cannot be cleaned (binary data, wrong type, too large...)."""


class DocumentTooLarge(InputError):
    """The document exceeds the configured size cap."""


class MissingExtraError(UnboilError, ImportError):
    """An optional dependency is missing; the message names the extra that installs it."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import an optional dependency, or fail with the ``pip install`` line that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{purpose} needs the {module.split('.')[0]!r} package: pip install 'unboil[{extra}]'"
        ) from exc
