"""Sorting and searching: ``sort``, ``unique`` and ``interp`` are differentiable gathers;
``searchsorted``, ``nonzero`` and friends are integer-valued and pass through.

Why gathers: the derivative of sorting is the permutation that sorted the values, so
``sort(x) = take_along_axis(x, argsort(x))`` with the permutation a constant; vmap batches the
argsort and the gather, never a loop.

Conventions at ties (where the derivative is undefined):

- ``sort``: NumPy's *stable* order decides which input lands in which output position (equal
  values keep their input order), and each output position's cotangent goes to that one
  input. E.g. ``sort([1., 1., 0.])`` routes output 1 to x[0] and output 2 to x[1].
- ``unique``: each unique value's cotangent goes to its first occurrence in ``x``.
- ``interp``: at a knot xp[k] the slope used is that of the segment to its right (the last
  knot uses the segment to its left); outside [xp[0], xp[-1]] the slope in x is 0.

    >>> sort(numpy.array([3.0, 1.0, 2.0]))
    array([1., 2., 3.])
"""

from __future__ import annotations

import numpy as _np

from ..core.batching import materialize
from ..core.primitive import Primitive
from ..core.trace import Tracer, getval
from .shape import getitem, ravel, reshape, take, take_along_axis

numpy = _np  # for the doctest


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``numpy.sort``; differentiable (a gather by the stable argsort; see the tie rule)."""
    if order is not None:
        raise NotImplementedError("sort(order=...) applies to structured arrays only")
    from .reductions import argsort

    if axis is None:
        a = ravel(a)
        axis = -1
    if _np.ndim(a) == 0:
        raise _np.exceptions.AxisError("sort: axis -1 is out of bounds for a 0-d array")
    perm = argsort(a, axis=axis, kind="stable")
    return take_along_axis(a, perm, axis)


# --- searchsorted ---------------------------------------------------------------------------

def _count_sorted(a, v, side):
    """searchsorted of each row of ``a`` (B, n) for the matching row of ``v`` (B, ...), by
    counting comparisons (exact, vectorized; memory B * n * size(v_row))."""
    b = _np.shape(a)[0]
    q = _np.asarray(v).reshape(b, -1, 1)
    cmp = _np.less if side == "left" else _np.less_equal
    return cmp(_np.asarray(a)[:, None, :], q).sum(-1).reshape(_np.shape(v))


_rows_p = Primitive("searchsorted_rows", _count_sorted, nondiff=True)


def _rows_batch(vals, dims, side):
    size = next(_np.shape(v)[0] for v, d in zip(vals, dims, strict=True) if d is not None)
    a, v = (materialize(x, d, size) for x, d in zip(vals, dims, strict=True))
    sa, sv = _np.shape(a), _np.shape(v)
    out = _rows_p(reshape(a, (-1,) + sa[2:]), reshape(v, (sa[0] * sa[1],) + sv[2:]), side=side)
    return reshape(out, sv), 0


_rows_p.defbatch(_rows_batch)


def _searchsorted_impl(a, v, side="left"):
    return _np.searchsorted(a, v, side=side)


def _searchsorted_batch(vals, dims, side="left"):
    a, v = vals
    if dims[0] is None:  # one sorted array, a batch of queries: a single call
        return _searchsorted_p(a, v, side=side), 0
    size = _np.shape(a)[0]
    return _rows_p(a, materialize(v, dims[1], size), side=side), 0


_searchsorted_p = Primitive("searchsorted", _searchsorted_impl, nondiff=True)
_searchsorted_p.defbatch(_searchsorted_batch)


def searchsorted(a, v, side="left", sorter=None):
    """``numpy.searchsorted``; integer-valued (not differentiable). Under ``vmap`` a batched
    sorted array ``a`` is searched row by row by counting comparisons (no loop)."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right' (got {side!r})")
    if sorter is not None:
        a = take(a, sorter)
    return _searchsorted_p(a, v, side=side)


# --- data-dependent shapes: nonzero, unique ---------------------------------------------------

def _concrete(x, name):
    v = getval(x)
    if isinstance(v, Tracer):
        raise TypeError(f"{name}: its result's shape depends on the values of a vmapped "
                        f"(batched) array; inside vmap use a fixed-shape form (where, a mask, "
                        f"or size=...) instead")
    return v


def nonzero(a):
    """``numpy.nonzero``; integer-valued (not differentiable; not under vmap)."""
    return _np.nonzero(_concrete(a, "nonzero"))


def flatnonzero(a):
    """``numpy.flatnonzero``; integer-valued."""
    return _np.flatnonzero(_concrete(a, "flatnonzero"))


def argwhere(a):
    """``numpy.argwhere``; integer-valued."""
    return _np.argwhere(_concrete(a, "argwhere"))


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True):
    """``numpy.unique``; the unique values are differentiable (a gather of each value's first
    occurrence, which receives its cotangent); indices, inverse and counts are integers."""
    val = _concrete(ar, "unique")
    res = _np.unique(val, return_index=True, return_inverse=return_inverse,
                     return_counts=return_counts, axis=axis, equal_nan=equal_nan)
    first = res[1]
    if axis is None:
        values = getitem(ravel(ar), idx=first)
    else:
        values = take(ar, first, axis=axis)
    extra = []
    if return_index:
        extra.append(first)
    extra.extend(res[2:])
    return values if not extra else (values, *extra)


# --- interp -------------------------------------------------------------------------------------

def _interp_index_impl(xp, x):
    n = _np.shape(xp)[-1]
    return _np.clip(_np.searchsorted(xp, x, side="right"), 1, max(n - 1, 1))


def _interp_index_batch(vals, dims):
    xp, x = vals
    n = _np.shape(xp)[-1]
    if dims[0] is None:
        return _interp_index_p(xp, x), 0
    i = _rows_p(xp, materialize(x, dims[1], _np.shape(xp)[0]), side="right")
    return _clip_index(i, n), 0


def _clip_index(i, n):
    from .elementwise import clip

    return clip(i, 1, max(n - 1, 1))


_interp_index_p = Primitive("interp_index", _interp_index_impl, nondiff=True)
_interp_index_p.defbatch(_interp_index_batch)


def interp(x, xp, fp, left=None, right=None, period=None):
    """``numpy.interp``; differentiable in ``x``, ``xp`` and ``fp`` (see the knot rule)."""
    if period is not None:
        raise NotImplementedError("interp(period=...) is not differentiable in chainrule")
    if _np.ndim(xp) != 1 or _np.ndim(fp) != 1:
        raise ValueError(f"interp: xp and fp must be 1-D (got shapes {_np.shape(xp)} and "
                         f"{_np.shape(fp)})")
    if _np.shape(xp)[0] != _np.shape(fp)[0]:
        raise ValueError("interp: fp and xp are not of the same length.")
    if _np.shape(xp)[0] == 0:
        raise ValueError("interp: array of sample points is empty")
    from .elementwise import greater, less, where

    if _np.shape(xp)[0] == 1:
        y = fp[0] + 0.0 * x
    else:
        i = _interp_index_p(xp, x)
        x0, x1 = take(xp, i - 1), take(xp, i)
        f0, f1 = take(fp, i - 1), take(fp, i)
        y = f0 + (x - x0) * ((f1 - f0) / (x1 - x0))
    lo = fp[0] if left is None else left
    hi = fp[-1] if right is None else right
    y = where(less(x, xp[0]), lo, y)
    return where(greater(x, xp[-1]), hi, y)


DIFFERENTIABLE = ["interp", "sort", "unique"]
NONDIFFERENTIABLE = ["argwhere", "flatnonzero", "nonzero", "searchsorted"]
