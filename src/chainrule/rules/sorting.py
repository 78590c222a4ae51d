"""Sorting, searching and sets: ``sort``, ``partition``, ``unique``, the set operations and
``interp`` are differentiable gathers; ``searchsorted``, ``nonzero``, ``argpartition``,
``lexsort``, ``isin`` and friends are integer- or boolean-valued and pass through.

Why gathers: the derivative of sorting is the permutation that sorted the values, so
``sort(x) = take_along_axis(x, argsort(x))`` with the permutation a constant; vmap batches the
argsort and the gather, never a loop.

Conventions at ties (where the derivative is undefined):

- ``sort``: NumPy's *stable* order decides which input lands in which output position (equal
  values keep their input order), and each output position's cotangent goes to that one
  input. E.g. ``sort([1., 1., 0.])`` routes output 1 to x[0] and output 2 to x[1].
- ``unique`` and ``unique_values``/``_counts``/``_inverse``/``_all``: each unique value's
  cotangent goes to its first occurrence in ``x``.
- ``union1d``, ``setxor1d``: to the value's first occurrence in ``ar1``, else in ``ar2``;
  ``intersect1d``: to its first occurrence in ``ar1`` (``ar2`` receives none);
  ``setdiff1d``: to its first occurrence in ``ar1``. These read the values to decide the
  output's shape, so under ``vmap`` a batched argument raises a clear TypeError.
- ``partition``: a gather by ``argpartition`` (NumPy's own arrangement); equal values go
  where introselect put them.
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


# --- partition -------------------------------------------------------------------------------

def _argpartition_impl(x, kth, axis=-1, kind="introselect"):
    return _np.argpartition(x, kth, axis=axis, kind=kind)


def _argpartition_batch(vals, dims, kth, axis=-1, kind="introselect"):
    x = vals[0]
    ax = axis % (_np.ndim(x) - 1) + 1 if axis is not None else None
    if ax is None:
        raise TypeError("argpartition(axis=None) under vmap: flatten each example first")
    return _argpartition_p(x, kth=kth, axis=ax, kind=kind), 0


_argpartition_p = Primitive("argpartition", _argpartition_impl, nondiff=True)
_argpartition_p.defbatch(_argpartition_batch)


def _kth(kth):
    k = getval(kth)
    if isinstance(k, Tracer):
        raise TypeError("partition: kth must be the same for every example under vmap")
    return tuple(int(i) for i in _np.ravel(k)) if _np.ndim(k) else int(k)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.argpartition``; integer-valued (not differentiable); batches under vmap."""
    if order is not None:
        raise NotImplementedError("argpartition(order=...) applies to structured arrays only")
    if axis is None:
        a = ravel(a)
        axis = -1
    return _argpartition_p(a, kth=_kth(kth), axis=int(axis), kind=kind)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.partition``; differentiable: a gather by ``argpartition`` (the same
    arrangement NumPy's ``partition`` produces), so each output position's cotangent goes to
    the input that landed there (ties: whichever of the equal inputs introselect placed)."""
    if not isinstance(a, Tracer):
        return _np.partition(a, kth, axis=axis, kind=kind, order=order)
    if axis is None:
        a = ravel(a)
        axis = -1
    return take_along_axis(a, argpartition(a, kth, axis, kind, order), axis)


def sort_complex(a):
    """``numpy.sort_complex``: sort by real part, then imaginary part; the result is
    complex. Differentiable (a gather, with ``sort``'s tie rule)."""
    if not isinstance(a, Tracer):
        return _np.sort_complex(a)
    from .creation import astype

    b = sort(a)
    if not _np.issubdtype(b.dtype, _np.complexfloating):
        char = b.dtype.char
        target = "F" if char in "bhBH" else ("G" if char == "g" else "D")
        b = astype(b, _np.dtype(target))
    return b


# --- values of set operations: gathers of first occurrences -------------------------------------

def _first_occurrence(src_val, out_val):
    """For each value of ``out_val``, the index of its first occurrence in the 1-D ``src_val``
    (NaNs: the first NaN)."""
    su, first = _np.unique(src_val, return_index=True)
    pos = _np.searchsorted(su, out_val)
    return first[_np.clip(pos, 0, max(len(su) - 1, 0))]


def _flat_concrete(x, name):
    return _np.ravel(_concrete(x, name))


def _from_sources(name, out_val, *sources):
    """``out_val`` (values NumPy computed) as a gather from the concatenated raveled
    sources: each value's cotangent goes to its first occurrence (in the first source,
    then the next)."""
    from .shape import concatenate

    flat = [ravel(s) if isinstance(s, Tracer) else _np.ravel(s) for s in sources]
    src = flat[0] if len(flat) == 1 else concatenate(flat, axis=0)
    src_val = _np.concatenate([_flat_concrete(s, name) for s in sources])
    idx = _first_occurrence(src_val, _np.asarray(out_val))
    return getitem(src, idx=idx)


def unique_values(x):
    """``numpy.unique_values``; differentiable (each value's first occurrence receives its
    cotangent)."""
    if not isinstance(x, Tracer):
        return _np.unique_values(x)
    return _from_sources("unique_values", _np.unique_values(_concrete(x, "unique_values")), x)


def unique_counts(x):
    """``numpy.unique_counts`` -> (values, counts); values differentiable, counts integers."""
    if not isinstance(x, Tracer):
        return _np.unique_counts(x)
    r = _np.unique_counts(_concrete(x, "unique_counts"))
    return type(r)(getitem(ravel(x), idx=_first_idx(x, r.values)), r.counts)


def unique_inverse(x):
    """``numpy.unique_inverse`` -> (values, inverse_indices); values differentiable."""
    if not isinstance(x, Tracer):
        return _np.unique_inverse(x)
    r = _np.unique_inverse(_concrete(x, "unique_inverse"))
    return type(r)(getitem(ravel(x), idx=_first_idx(x, r.values)), r.inverse_indices)


def unique_all(x):
    """``numpy.unique_all`` -> (values, indices, inverse_indices, counts); values
    differentiable (a gather at ``indices``, the first occurrences)."""
    if not isinstance(x, Tracer):
        return _np.unique_all(x)
    r = _np.unique_all(_concrete(x, "unique_all"))
    return type(r)(getitem(ravel(x), idx=r.indices), r.indices, r.inverse_indices, r.counts)


def _first_idx(x, values):
    return _first_occurrence(_flat_concrete(x, "unique"), _np.asarray(values))


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False):
    """``numpy.intersect1d``; the common values are differentiable as a gather from ``ar1``
    (each value's first occurrence there receives its cotangent; ``ar2`` receives none)."""
    if not isinstance(ar1, Tracer) and not isinstance(ar2, Tracer):
        return _np.intersect1d(ar1, ar2, assume_unique, return_indices)
    v1, v2 = _concrete(ar1, "intersect1d"), _concrete(ar2, "intersect1d")
    res = _np.intersect1d(v1, v2, assume_unique, return_indices=True)
    vals = getitem(ravel(ar1), idx=res[1]) if isinstance(ar1, Tracer) else res[0]
    return (vals, res[1], res[2]) if return_indices else vals


def union1d(ar1, ar2):
    """``numpy.union1d``; differentiable (first occurrences in ``ar1``, then ``ar2``)."""
    if not isinstance(ar1, Tracer) and not isinstance(ar2, Tracer):
        return _np.union1d(ar1, ar2)
    out = _np.union1d(_concrete(ar1, "union1d"), _concrete(ar2, "union1d"))
    return _from_sources("union1d", out, ar1, ar2)


def setdiff1d(ar1, ar2, assume_unique=False):
    """``numpy.setdiff1d``; differentiable in ``ar1`` (a gather of first occurrences)."""
    if not isinstance(ar1, Tracer) and not isinstance(ar2, Tracer):
        return _np.setdiff1d(ar1, ar2, assume_unique)
    v1 = _concrete(ar1, "setdiff1d")
    out = _np.setdiff1d(v1, _concrete(ar2, "setdiff1d"), assume_unique)
    if assume_unique:  # NumPy keeps ar1's order and repeats; gather by position
        keep = _np.flatnonzero(~_np.isin(_np.ravel(v1), _concrete(ar2, "setdiff1d"),
                                         assume_unique=True))
        return getitem(ravel(ar1), idx=keep)
    return _from_sources("setdiff1d", out, ar1)


def setxor1d(ar1, ar2, assume_unique=False):
    """``numpy.setxor1d``; differentiable (first occurrences in ``ar1``, then ``ar2``)."""
    if not isinstance(ar1, Tracer) and not isinstance(ar2, Tracer):
        return _np.setxor1d(ar1, ar2, assume_unique)
    out = _np.setxor1d(_concrete(ar1, "setxor1d"), _concrete(ar2, "setxor1d"), assume_unique)
    return _from_sources("setxor1d", out, ar1, ar2)


from ._passthrough import passthrough  # noqa: E402

isin = passthrough(_np.isin, "isin")
lexsort = passthrough(_np.lexsort, "lexsort")


DIFFERENTIABLE = [
    "interp", "intersect1d", "partition", "setdiff1d", "setxor1d", "sort", "sort_complex",
    "union1d", "unique", "unique_all", "unique_counts", "unique_inverse", "unique_values",
]
NONDIFFERENTIABLE = [
    "argpartition", "argwhere", "flatnonzero", "isin", "lexsort", "nonzero", "searchsorted",
]
