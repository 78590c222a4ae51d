"""Small differentiable helpers shared by rules (broadcast-undoing, axis handling)."""

from __future__ import annotations

import numpy as _np

from ..core.primitive import registry
from ..core.trace import shape_of

_add_reduce = _np.add.reduce  # ndarray.sum without its Python-level wrapper
_broadcast_axes: dict = {}  # (g's shape, x's shape) -> x's axes of length 1 that g broadcast


def unbroadcast(g, x):
    """Sum ``g`` down to ``x``'s shape, undoing NumPy broadcasting (the VJP of a broadcast)."""
    gshape = shape_of(g)
    xshape = shape_of(x)
    if gshape == xshape:
        return g
    lead = len(gshape) - len(xshape)
    key = (gshape, xshape)
    ones = _broadcast_axes.get(key)
    if ones is None:
        if len(_broadcast_axes) > 4096:
            _broadcast_axes.clear()
        ones = _broadcast_axes[key] = tuple(
            i + lead for i, n in enumerate(xshape) if n == 1 and gshape[i + lead] != 1)
    if type(g) is _np.ndarray:  # plain values (a first-order backward pass): NumPy directly
        if lead + len(ones) == 1 and g.ndim == 2:  # a bias's gradient, a row sum
            s = _matvec_sum(g, 0 if lead else ones[0])
            if s is not None:
                return s.reshape(xshape)
        if not ones:
            return _add_reduce(g, axis=tuple(range(lead)) if lead != 1 else 0)
        g = _add_reduce(g, axis=tuple(range(lead)) + ones, keepdims=True)
        return g.reshape(xshape) if lead else g
    axes = tuple(range(lead)) + ones
    if axes:
        g = registry["sum"](g, axis=axes, keepdims=False)
    if shape_of(g) != xshape:
        g = registry["reshape"](g, shape=xshape)
    return g


_ones_vectors: dict = {}  # (length, dtype) -> a read-only vector of ones


def _matvec_sum(g, axis: int):
    """The sum of a C-contiguous 2-D float32/float64 array over one axis as a product with a
    vector of ones (one BLAS gemv), or None where that does not apply. For a (128, 256)
    float32 gradient it takes 2.8 µs against NumPy's 7.8 µs for ``sum(axis=0)``, and it is no
    less accurate: NumPy adds the rows of an axis-0 sum one after another; along the last
    axis it sums pairwise, so that axis is taken only up to 128 long (NumPy's unrolled
    block, before pairwise summation starts)."""
    dt = g.dtype
    if dt.kind != "f" or dt.itemsize not in (4, 8) or not g.flags.c_contiguous:
        return None
    n = g.shape[axis]
    if axis == 1 and n > 128:
        return None
    key = (n, dt)
    ones = _ones_vectors.get(key)
    if ones is None:
        if len(_ones_vectors) > 64:
            _ones_vectors.clear()
        ones = _ones_vectors[key] = _np.ones(n, dt)
        ones.flags.writeable = False
    return ones @ g if axis == 0 else g @ ones


def broadcast_view(x, shape: tuple):
    """``numpy.broadcast_to(x, shape)`` (a read-only view). For a contiguous ndarray the view
    is made directly from strides: NumPy's own spends ~3 µs in Python per call, and every
    reduction's VJP broadcasts."""
    if type(x) is _np.ndarray and x.flags.c_contiguous and not x.dtype.hasobject:
        lead = len(shape) - x.ndim
        if lead >= 0:
            strides = [0] * lead
            for n, m, s in zip(x.shape, shape[lead:], x.strides):
                if n == m:
                    strides.append(s)
                elif n == 1:
                    strides.append(0)
                else:
                    break  # not broadcastable: NumPy raises its own error below
            else:
                v = _np.ndarray(shape, x.dtype, x, 0, tuple(strides))
                v.flags.writeable = False
                return v
    return _np.broadcast_to(x, shape)


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
