"""Optional compiled speed-ups: every ``src/unboil/**/*.pyx`` becomes an extension module.

Each compiled module has a pure-Python counterpart that unboil uses when the extension is
missing, so a machine without a C compiler still installs (and runs slower). Set
``UNBOIL_NO_EXTENSIONS=1`` to skip compiling; ``UNBOIL_REQUIRE_EXTENSIONS=1`` makes a failed
build an error instead of a warning (CI sets it so a broken extension cannot pass unnoticed).
While working on one module, ``UNBOIL_BUILD_ONLY=segment._walk`` compiles just the modules whose
dotted name contains that text:

    UNBOIL_BUILD_ONLY=segment._walk .venv/bin/python setup.py build_ext --inplace -q
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


def _extensions() -> list:
    if os.environ.get("UNBOIL_NO_EXTENSIONS"):
        return []
    try:
        import lxml
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError as exc:  # build requirements missing: fall back to pure Python
        if os.environ.get("UNBOIL_REQUIRE_EXTENSIONS"):
            raise
        print(f"unboil: not compiling speed-ups ({exc})", file=sys.stderr)
        return []
    only = os.environ.get("UNBOIL_BUILD_ONLY", "")
    modules = []
    for path in sorted((HERE / "src").rglob("*.pyx")):
        name = ".".join(path.relative_to(HERE / "src").with_suffix("").parts)
        if only not in name:
            continue
        ext = Extension(name, [str(path.relative_to(HERE))], include_dirs=lxml.get_include(),
                        extra_compile_args=["-O2"])
        try:
            modules.extend(cythonize([ext], language_level=3, quiet=True))
        except Exception as exc:  # noqa: BLE001 - a module that fails to translate is skipped
            if os.environ.get("UNBOIL_REQUIRE_EXTENSIONS"):
                raise
            print(f"unboil: {name} not compiled ({exc})", file=sys.stderr)
    return modules


class OptionalBuildExt(build_ext):
    """Build the extensions, but let installation go on without them when compiling fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any compiler failure means "no speed-ups"
            self._give_up(exc)

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            self._give_up(exc)

    @staticmethod
    def _give_up(exc: Exception) -> None:
        if os.environ.get("UNBOIL_REQUIRE_EXTENSIONS"):
            raise exc
        print(f"unboil: speed-ups not built, using pure Python ({exc})", file=sys.stderr)


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
