"""Argument handling shared by the transforms: argnums, input checks, error messages."""

from __future__ import annotations

import numpy as _np

from ..core.pytree import tree_flatten, tree_paths
from ..core.trace import Tracer
from ..core.valuetypes import value_types


def resolve_argnums(argnums, argnum):
    """``argnum`` (autograd's spelling) is a synonym of ``argnums``."""
    if argnum is not None:
        return argnum
    return argnums


def split_args(args: tuple, argnums):
    """The differentiated arguments (a tuple) and a function that rebuilds the full args."""
    if type(argnums) is int and 0 <= argnums < len(args):  # the common call: one argument
        def rebuild_one(diff):
            return args[:argnums] + tuple(diff) + args[argnums + 1:]

        return (args[argnums],), rebuild_one, (argnums,)
    if isinstance(argnums, bool) or not (
            isinstance(argnums, int) or (isinstance(argnums, (tuple, list))
                                         and all(isinstance(i, int) for i in argnums))):
        raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    n = len(args)
    for i in nums:
        if not -n <= i < n:
            raise ValueError(f"argnums={argnums!r} asks for argument {i}, but the function was "
                             f"called with {n} positional argument(s)")
    nums = tuple(i % n for i in nums)
    if len(set(nums)) != len(nums):
        raise ValueError(f"argnums={argnums!r} names an argument twice")

    def rebuild(diff):
        full = list(args)
        for i, v in zip(nums, diff):
            full[i] = v
        return tuple(full)

    return tuple(args[i] for i in nums), rebuild, nums


def check_differentiable(leaves, treedef, argnames, what: str) -> None:
    """Raise a TypeError naming the leaf whose dtype cannot carry a derivative."""
    for k, x in enumerate(leaves):
        if type(x) is _np.ndarray and x.dtype.kind in "fc":
            continue
        if type(x) in value_types:
            continue
        d = getattr(x, "dtype", None)
        if not isinstance(d, _np.dtype):
            d = x.dtype if isinstance(x, Tracer) else _np.result_type(x)
        if d.kind not in "fc":  # paths are worked out only for the message
            path = tree_paths(treedef)[k]
            raise TypeError(
                f"{what}: argument {_name(path, argnames)} has dtype {d}; only float and complex "
                f"inputs can be differentiated. Pass floats (e.g. x.astype(float)), or leave this "
                f"argument out of argnums.")


def _name(path: str, argnames) -> str:
    # path starts with "[i]" for the i-th differentiated argument; argnames (None: the
    # positions themselves) names it
    if path.startswith("["):
        close = path.index("]")
        i = int(path[1:close])
        return f"{i if argnames is None else argnames[i]}{path[close + 1:]}"
    return path


def as_array_leaf(x):
    """Python scalars and lists become arrays so that shapes and dtypes are defined."""
    if isinstance(x, Tracer) or hasattr(x, "shape"):
        return x
    return _np.asarray(x)


def flatten_inputs(primals):
    leaves, td = tree_flatten(primals)
    return [x if type(x) is _np.ndarray or not isinstance(x, (list, int, float, complex, bool))
            else as_array_leaf(x) for x in leaves], td


def named(wrapper, transform: str, fun):
    """``wrapper`` named after what it computes (``grad(loss)``), for reprs and warnings."""
    inner = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or "f"
    wrapper.__name__ = wrapper.__qualname__ = f"{transform}({inner})"
    return wrapper
