"""A missing optional dependency names the extra that installs it."""

from __future__ import annotations

import pytest

from unboil.integrations import require


def test_missing_module_names_the_extra():
    with pytest.raises(ImportError, match=r"clean_things needs the 'unboil_no_such_pkg' package: pip install 'unboil\[things\]'"):
        require("unboil_no_such_pkg.sub", "things", "clean_things")


def test_present_module_is_returned():
    assert require("json", "none", "x").dumps([1]) == "[1]"
