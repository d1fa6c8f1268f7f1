"""The on-disk form of a near-duplicate index: a ``.npz`` archive (no pickle) read with every part
checked, and written atomically (hidden temporary file, fsync, rename) so a crash never leaves half
an index under the real name.

Members: ``meta`` (JSON: format and parameters), ``keys`` (JSON list, one key per entry; keys may
repeat, each with other content), ``sigs`` (uint32, entries x num_perm), ``digests`` (16 bytes per
entry, all zero for a text without content). Format 1 files (keys unique) are read as well.
"""

from __future__ import annotations

import glob
import json
import os
import struct
import tokenize
import zipfile
import zlib
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unboil.errors import InputError
from unboil.io.safety import atomic_path

__all__ = ["FORMAT", "MATCHING", "IndexEntries", "IndexFileError", "file_stamp", "read_entries", "read_meta",
           "write_entries"]

FORMAT = "unboil.neardup/2"
_READABLE = ("unboil.neardup/1", FORMAT)
_NO_DIGEST = bytes(16)
_MEMBERS = ("meta", "keys", "sigs", "digests")
# What numpy and zipfile raise on a file that is empty, cut short or overwritten with other bytes.
_DAMAGE = (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, OverflowError, SyntaxError, MemoryError,
           zipfile.BadZipFile, zlib.error, struct.error, tokenize.TokenError)


class IndexFileError(InputError):
    """An index file that cannot be used: not an index, damaged, or built with other parameters."""


@dataclass(slots=True)
class IndexEntries:
    """The entries of an index file, checked: one key, digest and signature row each."""

    meta: dict[str, Any]
    keys: list[Hashable]
    digests: list[bytes]
    sigs: np.ndarray


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """Identity of a file's current version (inode, size, mtime), None when absent: a save under
    another name (the atomic rename) always changes it."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _open(path: Path) -> Any:
    if not path.exists():
        raise IndexFileError(f"index file {path} does not exist")
    if path.is_dir():
        raise IndexFileError(f"index file {path} is a directory")
    try:
        data = np.load(path, allow_pickle=False)
    except _DAMAGE as err:
        raise IndexFileError(f"{path} is not an unboil index file ({_what(err)})") from err
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise IndexFileError(f"{path} is not an unboil index file (a single numpy array, not an index archive)")
    missing = [m for m in _MEMBERS if m not in data.files]
    if missing:
        data.close()
        raise IndexFileError(f"{path} is not an unboil index file (no {', '.join(missing)} in the archive)")
    return data


def _what(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _meta_of(data: Any, path: Path) -> dict[str, Any]:
    meta = json.loads(data["meta"].tobytes())
    if not isinstance(meta, dict):
        raise IndexFileError(f"index file {path} is damaged: its meta is not a JSON object")
    if meta.get("format") not in _READABLE:
        raise IndexFileError(f"index file {path} has format {meta.get('format')!r}, expected {FORMAT!r}")
    return meta


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The format and parameters an index file was built with; IndexFileError naming the file."""
    path = Path(path)
    data = _open(path)
    try:
        with data:
            return _meta_of(data, path)
    except IndexFileError:
        raise
    except _DAMAGE as err:
        raise IndexFileError(f"index file {path} is damaged ({_what(err)})") from err


#: The parameters an index file must share with the index that reads it.
MATCHING = ("num_perm", "seed", "shingle_size", "compat", "bands", "rows")


def read_entries(path: str | os.PathLike[str], params: dict[str, Any]) -> IndexEntries:
    """Every entry of an index file, checked: built with ``params`` (see MATCHING), and parts of the
    right type and shape that agree with one another."""
    path = Path(path)
    data = _open(path)
    try:
        with data:
            meta = _meta_of(data, path)
            keys = json.loads(data["keys"].tobytes())
            sigs = data["sigs"]
            raw = data["digests"].tobytes()
    except IndexFileError:
        raise
    except _DAMAGE as err:
        raise IndexFileError(f"index file {path} is damaged ({_what(err)})") from err
    for name in MATCHING:
        if meta.get(name) != params[name]:
            raise IndexFileError(f"index file {path} was built with {name}={meta.get(name)!r}, not {params[name]!r}")
    num_perm = params["num_perm"]
    if not isinstance(keys, list) or not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
        raise IndexFileError(f"index file {path} is damaged: its keys are not a list of strings and integers")
    if sigs.dtype != np.uint32 or sigs.ndim != 2 or sigs.shape[1] != num_perm:
        raise IndexFileError(
            f"index file {path} is damaged: signatures are {sigs.dtype} {sigs.shape}, expected uint32 (n, {num_perm})"
        )
    if len(sigs) != len(keys) or len(raw) != 16 * len(keys):
        raise IndexFileError(
            f"index file {path} is damaged: {len(keys)} keys, {len(sigs)} signatures, {len(raw) / 16:g} digests"
        )
    digests = [b"" if raw[i : i + 16] == _NO_DIGEST else raw[i : i + 16] for i in range(0, len(raw), 16)]
    if len(set(zip(keys, digests))) != len(keys):
        raise IndexFileError(f"index file {path} is damaged: it holds one key with the same content twice")
    return IndexEntries(meta, keys, digests, np.ascontiguousarray(sigs))


def write_entries(path: str | os.PathLike[str], meta: dict[str, Any], keys: list[Hashable], digests: list[bytes],
                  sigs: np.ndarray) -> Path:
    """Write an index file atomically: the old file stays whole until the new one is on disk."""
    target = Path(path)
    _remove_stale_temporaries(target)
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        np.savez(
            fh,
            meta=np.frombuffer(json.dumps({**meta, "format": FORMAT}).encode(), dtype=np.uint8),
            keys=np.frombuffer(json.dumps(keys).encode(), dtype=np.uint8),
            sigs=np.ascontiguousarray(sigs, dtype=np.uint32),
            digests=np.frombuffer(b"".join(d or _NO_DIGEST for d in digests), dtype=np.uint8),
        )
    return target


def _remove_stale_temporaries(target: Path) -> None:
    """Temporary files of earlier writers that were killed mid-save (the caller holds the lock, so
    no live writer owns one)."""
    for stale in target.parent.glob(glob.escape(f".{target.name}.") + "*.tmp"):
        if stale.name != f".{target.name}.{os.getpid()}.tmp":
            stale.unlink(missing_ok=True)
