"""Reductions. ``sum`` is the linear primitive; ``mean`` and friends are built from it.

    >>> sum_p(numpy.ones((2, 3)), axis=0)
    array([2., 2., 2.])
"""

from __future__ import annotations

import numpy as _np

from ..core.batching import shift_axis
from ..core.primitive import Primitive, deflinear
from ._util import keepdims_shape, normalize_axes

numpy = _np  # for the doctest


def _sum_impl(x, axis=None, keepdims=False, dtype=None):
    return _np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype)


def _sum_vjp(g, ans, x, axis=None, keepdims=False, dtype=None):
    from .shape import broadcast_to, reshape

    shape = _np.shape(x)
    if not keepdims:
        g = reshape(g, shape=keepdims_shape(shape, normalize_axes(axis, len(shape))))
    return broadcast_to(g, shape=shape)


def _sum_batch(vals, dims, axis=None, keepdims=False, dtype=None):
    (x,), (d,) = vals, dims
    return sum_p(x, axis=shift_axis(axis, _np.ndim(x) - 1), keepdims=keepdims, dtype=dtype), 0


sum_p = deflinear(Primitive("sum", _sum_impl), _sum_vjp)
sum_p.defbatch(_sum_batch)


def sum(x, axis=None, dtype=None, keepdims=False):
    """``numpy.sum``; differentiable."""
    if isinstance(axis, list):
        axis = tuple(axis)
    return sum_p(x, axis=axis, keepdims=keepdims, dtype=dtype)


def mean(x, axis=None, dtype=None, keepdims=False):
    """``numpy.mean``; differentiable."""
    if isinstance(axis, list):
        axis = tuple(axis)
    shape = _np.shape(x)
    count = 1
    for a in normalize_axes(axis, len(shape)):
        count *= shape[a]
    return sum_p(x, axis=axis, keepdims=keepdims, dtype=dtype) / count

DIFFERENTIABLE = ["mean", "sum"]
NONDIFFERENTIABLE: list = []
