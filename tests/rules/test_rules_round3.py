"""Round-3 speed paths of the rule engine: each compiled piece answers exactly as its pure-Python
twin and as the plain Python objects it stands for."""

from __future__ import annotations

import gc
import sys
from abc import ABC, abstractmethod

import pytest

from unboil.document import Block, Decision
from unboil.rules import engine

KERNEL = engine._KERNEL
needs_kernel = pytest.mark.skipif(KERNEL is None, reason="compiled kernel not built")


@needs_kernel
def test_assembled_decisions_are_ordinary_objects() -> None:
    blocks = [Block(i, "x") for i in range(4)]
    out = KERNEL.assemble(blocks, [[1, 3], None], ["a", "b"], [1, 0], Decision, "keep", "drop")
    plain = [Decision(0, "keep", "b", ("b",)), Decision(1, "drop", "a", ("a", "b")),
             Decision(2, "keep", "b", ("b",)), Decision(3, "drop", "a", ("a", "b"))]
    assert out == plain
    for made, expected in zip(out, plain):
        assert type(made) is Decision
        assert gc.is_tracked(made) == gc.is_tracked(expected)
        assert sys.getrefcount(made) == sys.getrefcount(expected)
        assert hash(made) == hash(expected)
    del out
    gc.collect()


@needs_kernel
def test_assemble_refuses_an_abstract_decision_class_like_object_new() -> None:
    class Abstract(ABC):
        __slots__ = ("index", "action", "rule", "matched")

        @abstractmethod
        def why(self) -> str: ...

    with pytest.raises(TypeError):
        Abstract()
    with pytest.raises(TypeError):
        KERNEL.assemble([Block(0, "x")], [[0]], ["r"], [1], Abstract, "keep", "drop")
