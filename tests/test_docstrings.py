"""The examples in the core's and the transforms' docstrings run and print what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "chainrule", "chainrule.core.pytree", "chainrule.core.reverse", "chainrule.core.forward",
    "chainrule.core.batching", "chainrule.transforms.reverse_mode",
    "chainrule.transforms.forward_mode", "chainrule.transforms.vmap",
    "chainrule.transforms.jacobians", "chainrule.transforms.custom", "chainrule.test_util",
    "chainrule.rules.identity_seed", "chainrule.seed_tour",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
