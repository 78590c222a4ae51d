"""The examples in chainrule.scipy's docstrings run and print what they say (docs/scipy.md is
checked with every docs page in tests/test_docs.py)."""

import doctest
import importlib

import pytest

MODULES = ["chainrule.scipy", "chainrule.scipy.special", "chainrule.scipy.stats",
           "chainrule.scipy.linalg", "chainrule.scipy.signal", "chainrule.scipy.integrate",
           "chainrule.scipy._ops"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


@pytest.mark.parametrize("name", ["special", "stats", "linalg", "signal", "integrate"])
def test_namespace_lists(name):
    """Every public function a module defines is in DIFFERENTIABLE or NONDIFFERENTIABLE."""
    from chainrule.core.primitive import Primitive

    module = importlib.import_module(f"chainrule.scipy.{name}")
    listed = set(module.DIFFERENTIABLE) | set(module.NONDIFFERENTIABLE)
    assert not set(module.DIFFERENTIABLE) & set(module.NONDIFFERENTIABLE)
    for attr in dir(module):
        obj = getattr(module, attr)
        own = (isinstance(obj, Primitive) or type(obj).__name__ == "_Distribution"
               or getattr(obj, "__module__", None) == module.__name__ and callable(obj)
               and not isinstance(obj, type))
        if own and not attr.startswith("_"):
            assert attr in listed, f"chainrule.scipy.{name}.{attr} is in neither list"
    for attr in listed:
        assert callable(getattr(module, attr)), attr
