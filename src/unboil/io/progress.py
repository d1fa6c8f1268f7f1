"""An optional progress bar on stderr that never touches stdout (which may carry JSON lines)."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterable
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


def progress(
    iterable: Iterable[T], total: int | None = None, desc: str = "", enabled: bool | None = None
) -> Iterable[T]:
    """Wrap ``iterable`` in a tqdm bar on stderr when wanted and possible, else return it unchanged.

    ``enabled=None`` shows the bar only when stderr is a terminal; ``True`` forces it on and
    ``False`` off. Without the optional ``tqdm`` package (``unboil[progress]``) there is no bar.
    """
    stderr = sys.stderr
    if enabled is None:
        isatty = getattr(stderr, "isatty", None)
        enabled = bool(isatty and isatty())
    if not enabled:
        return iterable
    try:
        tqdm = importlib.import_module("tqdm").tqdm
    except ImportError:
        logger.debug("no progress bar: tqdm is not installed (pip install 'unboil[progress]')")
        return iterable
    return tqdm(
        iterable, total=total, desc=desc or None, file=stderr, unit="rec", dynamic_ncols=True
    )
