"""Small differentiable helpers shared by rules (broadcast-undoing, axis handling)."""

from __future__ import annotations

import numpy as _np

from ..core.primitive import registry


def unbroadcast(g, x):
    """Sum ``g`` down to ``x``'s shape, undoing NumPy broadcasting (the VJP of a broadcast)."""
    gshape = g.shape if hasattr(g, "shape") else _np.shape(g)
    xshape = x.shape if hasattr(x, "shape") else _np.shape(x)
    if gshape == xshape:
        return g
    lead = len(gshape) - len(xshape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(xshape) if n == 1 and gshape[i + lead] != 1)
    if axes:
        g = registry["sum"](g, axis=axes, keepdims=False)
    if _np.shape(g) != xshape:
        g = registry["reshape"](g, shape=xshape)
    return g


def normalize_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, tuple):
        axis = (axis,)
    return tuple(sorted(a % ndim if ndim else a for a in axis))


def keepdims_shape(shape, axes) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def accepts_traced_lists(fn):
    """Let a NumPy-style function take a list holding traced values as its first argument
    (``mean([x[0], 2 * x[1]])``), as NumPy takes lists of numbers: the list is stacked first."""
    import functools

    from ..core.primitive import _holds_tracer

    @functools.wraps(fn)
    def wrapped(a, *args, **kwargs):
        if type(a) in (list, tuple) and _holds_tracer(a):
            from .creation import asarray

            a = asarray(a)
        return fn(a, *args, **kwargs)

    return wrapped


def lift_lists_in(namespace: dict, names) -> None:
    """Apply ``accepts_traced_lists`` to the plain-function entries ``names`` of a module."""
    import types

    for name in names:
        fn = namespace[name]
        if isinstance(fn, types.FunctionType):
            namespace[name] = accepts_traced_lists(fn)
