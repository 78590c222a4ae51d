"""Reductions and scans: sum, prod, max/min, cumsum, cumprod, and everything built on them.

Why so few primitives: ``sum`` and ``cumsum`` are linear (only their transposes are
written); ``prod`` and the extrema (``max``, ``min``, ``nanmax``, ``nanmin``) are the only
nonlinear reduction primitives; ``mean``, ``var``, ``std``, ``average``, ``ptp`` and the
``nan*`` family are composites of them, so their derivatives of every order come for free.

Conventions (docs/conventions.md): ties in max/min share the derivative evenly (the
gradient of ``max([1, 3, 3])`` is ``[0, .5, .5]``); ``std`` of a constant slice has
derivative 0; ``prod`` and ``cumprod`` are exact with any number of zeros in the input:
the product of "all the others" is computed by prefix and suffix product scans, never by
dividing ``ans / x``.

    >>> sum_p(numpy.ones((2, 3)), axis=0)
    array([2., 2., 2.])
    >>> import chainrule
    >>> chainrule.grad(lambda x: prod(x))(numpy.array([2.0, 0.0, 3.0]))
    array([0., 6., 0.])
"""

from __future__ import annotations

import builtins

import numpy as _np

from ..core.batching import shift_axis
from ..core.primitive import Primitive, deflinear
from ..core.trace import Tracer, dtype_of, getval, shape_of
from ._util import _add_reduce, broadcast_view, keepdims_shape, lift_lists_in, normalize_axes
from .elementwise import (
    _fit,
    _is_complex,
    cast,
    conj,
    equal,
    greater,
    isnan,
    logical_and,
    logical_not,
    ones_like,
    real,
    sqrt,
    where_p,
    zeros_like,
)
from .shape import broadcast_to, concatenate, getitem, moveaxis, reshape

numpy = _np  # for the doctest

_NOVALUE = _np._NoValue


def _pre_cast(a, dtype):
    """Apply a reduction's ``dtype=`` to a traced input first (then the cotangent comes back
    in the input's dtype through the cast's transpose)."""
    if dtype is not None and isinstance(a, Tracer) and _np.dtype(dtype).kind in "fc":
        return cast(a, dtype), None
    return a, dtype


def _axis_param(axis):
    if isinstance(axis, list):
        return tuple(axis)
    if isinstance(axis, _np.integer):
        return int(axis)
    return axis


def _kd(keepdims) -> bool:
    return keepdims is not _NOVALUE and bool(keepdims)


def _given(v):
    return v is not _NOVALUE and v is not None


def _no_out(name, out):
    if out is not None:
        raise TypeError(f"{name}(..., out=...) writes in place, which chainrule cannot "
                        "differentiate: drop `out=` and use the returned array.")


def _expand(g, shape, axis, keepdims):
    """``g`` (a reduction's output or cotangent) reshaped so that it broadcasts against the
    input of shape ``shape``."""
    if keepdims:
        return g
    return reshape(g, shape=keepdims_shape(shape, normalize_axes(axis, len(shape))))


def _count(shape, axis) -> int:
    n = 1
    for a in normalize_axes(axis, len(shape)):
        n *= shape[a]
    return n


def _batch_reduce(prim):
    """Batching rule of a reduction whose ``axis`` param is None, an int or a tuple."""

    def rule(vals, dims, axis=None, **params):
        x = vals[0]
        return prim(x, axis=shift_axis(axis, _np.ndim(x) - 1), **params), 0

    return rule


# --- sum --------------------------------------------------------------------------------------

def _sum_impl(x, axis=None, keepdims=False, dtype=None):
    if type(x) is _np.ndarray:
        if x.dtype.kind in "fc":  # the reduction itself: no Python-level NumPy wrapper
            return _add_reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)
        return x.sum(axis=axis, dtype=dtype, keepdims=keepdims)
    return _np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype)


def _sum_vjp(g, ans, x, axis=None, keepdims=False, dtype=None):
    shape = shape_of(x)
    if dtype is None and (type(g) is _np.ndarray or isinstance(g, _np.generic)):
        # plain values (a first-order backward pass): NumPy directly, a broadcast view
        g = _np.asarray(g)
        if not keepdims and axis is not None:
            g = g.reshape(keepdims_shape(shape, normalize_axes(axis, len(shape))))
        return _fit(broadcast_view(g, shape), x)
    if dtype is not None:
        g = cast(_fit(g, x), dtype_of(x))
    return _fit(broadcast_to(_expand(g, shape, axis, keepdims), shape=shape), x)


sum_p = deflinear(Primitive("sum", _sum_impl), _sum_vjp).defresiduals(False, (False,))
sum_p.defbatch(_batch_reduce(sum_p))


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE, where=_NOVALUE):
    """``numpy.sum``; differentiable."""
    if dtype is None and out is None and initial is _NOVALUE and where is _NOVALUE and \
            type(keepdims) is bool and (axis is None or type(axis) is int):
        return sum_p(a, axis=axis, keepdims=keepdims, dtype=None)  # the common call, no checks
    _no_out("sum", out)
    a, dtype = _pre_cast(a, dtype)
    if _given(where):
        a = where_p(where, a, 0)
    s = sum_p(a, axis=_axis_param(axis), keepdims=_kd(keepdims), dtype=dtype)
    return s + initial if _given(initial) else s


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NOVALUE):
    """``numpy.mean``; differentiable."""
    _no_out("mean", out)
    a, dtype = _pre_cast(a, dtype)
    axis = _axis_param(axis)
    if _given(where):
        w = where_p(where, ones_like(a), zeros_like(a))
        return (sum(a, axis, dtype, keepdims=keepdims, where=where)
                / sum_p(w, axis=axis, keepdims=_kd(keepdims)))
    if dtype is None and not _np.issubdtype(dtype_of(a), _np.inexact):
        dtype = _np.float64
    return sum_p(a, axis=axis, keepdims=_kd(keepdims), dtype=dtype) / _count(_np.shape(a), axis)


_mean = mean


# --- prod: exact with zeros ---------------------------------------------------------------------

def _slice(x, axis, start, stop, step=None):
    return getitem(x, idx=(slice(None),) * axis + (slice(start, stop, step),))


def _scan_prod(x, axis):
    """Inclusive product scan along ``axis`` in log2(n) vectorized steps (Hillis-Steele):
    only multiplications, so it is exact with zeros and differentiable to every order."""
    n = _np.shape(x)[axis]
    s = 1
    while s < n:
        head = _slice(x, axis, 0, s)
        tail = _slice(x, axis, s, None) * _slice(x, axis, 0, n - s)
        x = concatenate([head, tail], axis=axis)
        s *= 2
    return x


def _others_along(x, axis):
    """``out[i] = prod_{k != i} x[k]`` along ``axis``, from a prefix and a suffix scan."""
    n = _np.shape(x)[axis]
    if n == 1:
        return ones_like(x)
    left = _scan_prod(_slice(x, axis, 0, n - 1), axis)
    rev = _slice(x, axis, None, None, -1)
    right = _slice(_scan_prod(_slice(rev, axis, 0, n - 1), axis), axis, None, None, -1)
    one = ones_like(_slice(x, axis, 0, 1))
    return (concatenate([one, left], axis=axis) * concatenate([right, one], axis=axis))


def _prod_others(x, ans, axis, keepdims):
    """d prod / d x: for each element, the product of all the others in its slice."""
    shape = _np.shape(x)
    v = getval(x)
    if not isinstance(v, Tracer) and _np.all(v != 0):
        # no zero (checked on the concrete value): ans / x is exact here and nearby
        return _expand(ans, shape, axis, keepdims) / x
    axes = normalize_axes(axis, len(shape))
    if not axes:
        return ones_like(x)
    k = len(axes)
    # gather the reduced axes at the end, as one axis, and scan along it
    moved = moveaxis(x, source=axes, destination=tuple(range(-k, 0)))
    mshape = _np.shape(moved)
    flat = reshape(moved, shape=mshape[:len(mshape) - k] + (-1,))
    others = reshape(_others_along(flat, _np.ndim(flat) - 1), shape=mshape)
    return moveaxis(others, source=tuple(range(-k, 0)), destination=axes)


def _prod_impl(x, axis=None, keepdims=False, dtype=None):
    return _np.prod(x, axis=axis, keepdims=keepdims, dtype=dtype)


def _prod_vjp(g, ans, x, axis=None, keepdims=False, dtype=None):
    shape = _np.shape(x)
    if dtype is not None:
        g = cast(_fit(g, x), dtype_of(x))
    return _fit(_expand(g, shape, axis, keepdims) * _prod_others(x, ans, axis, keepdims), x)


def _prod_jvp(g, ans, x, axis=None, keepdims=False, dtype=None):
    return sum_p(g * _prod_others(x, ans, axis, keepdims), axis=axis, keepdims=keepdims,
                 dtype=dtype)  # the tangent takes the output's dtype


prod_p = Primitive("prod", _prod_impl).defvjp(_prod_vjp).defjvp(_prod_jvp)
prod_p.defbatch(_batch_reduce(prod_p))


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE, where=_NOVALUE):
    """``numpy.prod``; differentiable, exact with zeros in the input (any number of them)."""
    _no_out("prod", out)
    a, dtype = _pre_cast(a, dtype)
    if _given(where):
        a = where_p(where, a, 1)
    p = prod_p(a, axis=_axis_param(axis), keepdims=_kd(keepdims), dtype=dtype)
    return p * initial if _given(initial) else p


# --- max / min: ties share evenly -----------------------------------------------------------------

def _tie_weights(x, ans, axis, keepdims):
    """1/k for each of the k elements equal to the extremum of their slice, 0 elsewhere."""
    shape = _np.shape(x)
    hit = where_p(equal(x, _expand(ans, shape, axis, keepdims)), 1.0, 0.0)
    count = sum_p(hit, axis=axis, keepdims=True)
    # count is 0 only where the extremum came from `initial` (or is NaN): no derivative
    return hit / where_p(equal(count, 0), 1.0, count)


def _extremum(name, impl):
    def vjp(g, ans, x, axis=None, keepdims=False, **kw):
        return _fit(_expand(g, _np.shape(x), axis, keepdims)
                    * _tie_weights(x, ans, axis, keepdims), x)

    def jvp(g, ans, x, axis=None, keepdims=False, **kw):
        return sum_p(g * _tie_weights(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)

    p = Primitive(name, impl).defvjp(vjp).defjvp(jvp)
    p.defbatch(_batch_reduce(p))
    return p


def _red_impl(fn):
    def impl(x, axis=None, keepdims=False, initial=None):
        if initial is None:
            return fn(x, axis=axis, keepdims=keepdims)
        return fn(x, axis=axis, keepdims=keepdims, initial=initial)

    return impl


max_p = _extremum("max", _red_impl(_np.max))
min_p = _extremum("min", _red_impl(_np.min))
nanmax_p = _extremum("nanmax", _red_impl(_np.nanmax))
nanmin_p = _extremum("nanmin", _red_impl(_np.nanmin))


def _extremum_fn(p, name):
    def fn(a, axis=None, out=None, keepdims=False, initial=_NOVALUE, where=_NOVALUE):
        _no_out(name, out)
        init = initial if _given(initial) else None
        if _given(where):
            if init is None:
                raise ValueError(f"{name}: reduction with `where` needs an `initial` value")
            a = where_p(where, a, init)
        return p(a, axis=_axis_param(axis), keepdims=_kd(keepdims), initial=init)

    fn.__name__ = name
    fn.__doc__ = (f"``numpy.{name}``; differentiable. Ties share the derivative evenly: "
                  "each of k equal extreme elements gets 1/k of it.")
    return fn


max = amax = _extremum_fn(max_p, "max")
min = amin = _extremum_fn(min_p, "min")
nanmax = _extremum_fn(nanmax_p, "nanmax")
nanmin = _extremum_fn(nanmin_p, "nanmin")


def ptp(a, axis=None, out=None, keepdims=False):
    """``numpy.ptp`` = max - min; differentiable (ties share evenly)."""
    _no_out("ptp", out)
    return max(a, axis, keepdims=keepdims) - min(a, axis, keepdims=keepdims)


# --- variance and friends ---------------------------------------------------------------------

def _ddof(ddof, correction):
    return correction if _given(correction) else ddof


def _abs2(d):
    return real(d * conj(d)) if _is_complex(d) else d * d


def _safe_sqrt(v):
    """sqrt with derivative 0 where v == 0 (a constant slice has std 0, derivative 0)."""
    pos = greater(v, 0)
    return where_p(pos, sqrt(where_p(pos, v, 1.0)), 0.0)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NOVALUE,
        mean=_NOVALUE, correction=_NOVALUE):
    """``numpy.var``; differentiable (complex input: the variance of |x - mean|)."""
    _no_out("var", out)
    if _given(where):
        raise NotImplementedError("var(..., where=...) is not supported by chainrule")
    axis = _axis_param(axis)
    if dtype is not None:
        a = cast(a, dtype)
    m = _mean(a, axis, keepdims=True) if not _given(mean) else mean
    n = _count(_np.shape(a), axis) - _ddof(ddof, correction)
    return sum_p(_abs2(a - m), axis=axis, keepdims=_kd(keepdims)) / builtins.max(n, 0)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NOVALUE,
        mean=_NOVALUE, correction=_NOVALUE):
    """``numpy.std``; differentiable. Where the slice is constant (std 0) the derivative is
    taken as 0, a subgradient (as for a norm at 0)."""
    return _safe_sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean,
                          correction=correction))


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """``numpy.average``; differentiable in ``a`` and ``weights``."""
    axis = _axis_param(axis)
    shape = _np.shape(a)
    if weights is None:
        avg = _mean(a, axis, keepdims=keepdims)
        scl = _np.full(_np.shape(avg), _count(shape, axis), dtype=dtype_of(avg))
    else:
        wshape = _np.shape(weights)
        if wshape != shape:
            if axis is None:
                raise TypeError("average: axis must be given when weights and a differ in "
                                f"shape (a {shape}, weights {wshape})")
            axes = normalize_axes(axis, len(shape))
            if wshape != tuple(shape[i] for i in axes):
                raise ValueError(f"average: weights of shape {wshape} do not match a of shape "
                                 f"{shape} along axis {axis}")
            weights = reshape(weights, shape=tuple(n if i in axes else 1
                                                   for i, n in enumerate(shape)))
        weights = broadcast_to(weights, shape=shape) if _np.shape(weights) != shape else weights
        scl = sum_p(weights, axis=axis, keepdims=_kd(keepdims))
        avg = sum_p(a * weights, axis=axis, keepdims=_kd(keepdims)) / scl
        if returned and _np.shape(scl) != _np.shape(avg):
            scl = broadcast_to(scl, shape=_np.shape(avg))
    return (avg, scl) if returned else avg


# --- NaN-ignoring reductions ------------------------------------------------------------------

def _drop_nan(a, fill):
    return where_p(isnan(a), fill, a) if _np.issubdtype(dtype_of(a), _np.inexact) else a


def _valid(a):
    return where_p(isnan(a), 0.0, 1.0)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE,
           where=_NOVALUE):
    """``numpy.nansum``: NaNs count as 0 (and get derivative 0)."""
    return sum(_drop_nan(a, 0), axis, dtype, out, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE,
            where=_NOVALUE):
    """``numpy.nanprod``: NaNs count as 1 (and get derivative 0)."""
    return prod(_drop_nan(a, 1), axis, dtype, out, keepdims, initial, where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NOVALUE):
    """``numpy.nanmean``; differentiable in the non-NaN entries."""
    _no_out("nanmean", out)
    if _given(where):
        raise NotImplementedError("nanmean(..., where=...) is not supported by chainrule")
    axis = _axis_param(axis)
    return (sum_p(_drop_nan(a, 0), axis=axis, keepdims=_kd(keepdims), dtype=dtype)
            / sum_p(_valid(a), axis=axis, keepdims=_kd(keepdims)))


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NOVALUE,
           mean=_NOVALUE, correction=_NOVALUE):
    """``numpy.nanvar``; differentiable in the non-NaN entries."""
    _no_out("nanvar", out)
    if _given(where) or _given(mean):
        raise NotImplementedError("nanvar(..., where=/mean=) is not supported by chainrule")
    axis = _axis_param(axis)
    if dtype is not None:
        a = cast(a, dtype)
    d = _drop_nan(a - nanmean(a, axis, keepdims=True), 0)
    n = sum_p(_valid(a), axis=axis, keepdims=_kd(keepdims)) - _ddof(ddof, correction)
    return sum_p(_abs2(d), axis=axis, keepdims=_kd(keepdims)) / n


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NOVALUE,
           mean=_NOVALUE, correction=_NOVALUE):
    """``numpy.nanstd``; derivative 0 where the non-NaN entries are constant."""
    return _safe_sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean,
                             correction=correction))


# --- scans ----------------------------------------------------------------------------------

def _cumsum_impl(x, axis, dtype=None):
    return _np.cumsum(x, axis=axis, dtype=dtype)


def _cumsum_vjp(g, ans, x, axis, dtype=None):
    # the transpose of a prefix sum is a suffix sum
    return _fit(_slice(cumsum_p(_slice(g, axis, None, None, -1), axis=axis), axis,
                       None, None, -1), x)


cumsum_p = deflinear(Primitive("cumsum", _cumsum_impl), _cumsum_vjp)
cumsum_p.defbatch(lambda vals, dims, axis, dtype=None: (
    cumsum_p(vals[0], axis=axis % (_np.ndim(vals[0]) - 1) + 1, dtype=dtype), 0))


def _scan_args(a, axis, dtype):
    if axis is None:
        a = reshape(a, shape=(-1,))
        axis = 0
    if dtype is not None:
        a = cast(a, dtype)
    return a, int(axis) % builtins.max(_np.ndim(a), 1)


def cumsum(a, axis=None, dtype=None, out=None):
    """``numpy.cumsum``; differentiable (linear)."""
    _no_out("cumsum", out)
    if not isinstance(a, Tracer):
        return _np.cumsum(a, axis=axis, dtype=dtype)
    a, axis = _scan_args(a, axis, dtype)
    return cumsum_p(a, axis=axis)


def cumprod(a, axis=None, dtype=None, out=None):
    """``numpy.cumprod``; differentiable, exact with zeros.

    On traced values it is a log-depth product scan (only multiplications), so every order
    of derivative is exact whatever the zeros; the value equals NumPy's up to rounding.
    """
    _no_out("cumprod", out)
    if not isinstance(a, Tracer):
        return _np.cumprod(a, axis=axis, dtype=dtype)
    a, axis = _scan_args(a, axis, dtype)
    return _scan_prod(a, axis)


def nancumsum(a, axis=None, dtype=None, out=None):
    """``numpy.nancumsum``: NaNs count as 0."""
    return cumsum(_drop_nan(a, 0), axis, dtype, out)


def nancumprod(a, axis=None, dtype=None, out=None):
    """``numpy.nancumprod``: NaNs count as 1."""
    return cumprod(_drop_nan(a, 1), axis, dtype, out)


def _cumulative(fn, first):
    def cumulative(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        if axis is None:
            if _np.ndim(x) > 1:
                raise ValueError("cumulative functions need `axis` for arrays of 2 or more "
                                 f"dimensions (got shape {_np.shape(x)})")
            axis = 0
        r = fn(x, axis=axis, dtype=dtype, out=out)
        if include_initial:
            ax = axis % builtins.max(_np.ndim(x), 1)
            r = concatenate([_slice(r, ax, 0, 1) * 0 + first, r], axis=ax)
        return r

    return cumulative


cumulative_sum = _cumulative(cumsum, 0)
cumulative_prod = _cumulative(cumprod, 1)


# --- non-differentiable reductions --------------------------------------------------------------

def _nondiff_reduce(name, impl):
    p = Primitive(name, impl, nondiff=True)
    p.defbatch(_batch_reduce(p))
    return p


def _count_nonzero_impl(x, axis=None, keepdims=False):
    return _np.count_nonzero(x, axis=axis, keepdims=keepdims)


def _any_impl(x, axis=None, keepdims=False):
    return _np.any(x, axis=axis, keepdims=keepdims)


def _all_impl(x, axis=None, keepdims=False):
    return _np.all(x, axis=axis, keepdims=keepdims)


_count_nonzero_p = _nondiff_reduce("count_nonzero", _count_nonzero_impl)
_any_p = _nondiff_reduce("any", _any_impl)
_all_p = _nondiff_reduce("all", _all_impl)


def count_nonzero(a, axis=None, *, keepdims=False):
    """``numpy.count_nonzero``; not differentiable."""
    return _count_nonzero_p(a, axis=_axis_param(axis), keepdims=keepdims)


def any(a, axis=None, out=None, keepdims=False, *, where=_NOVALUE):
    """``numpy.any``; not differentiable."""
    _no_out("any", out)
    if _given(where):
        a = logical_and(a, where)
    return _any_p(a, axis=_axis_param(axis), keepdims=_kd(keepdims))


def all(a, axis=None, out=None, keepdims=False, *, where=_NOVALUE):
    """``numpy.all``; not differentiable."""
    _no_out("all", out)
    if _given(where):
        a = logical_not(logical_and(logical_not(a), where))
    return _all_p(a, axis=_axis_param(axis), keepdims=_kd(keepdims))


def _arg_batch(prim):
    """argmax-like: an int axis shifts; axis None flattens each example first."""

    def rule(vals, dims, axis=None, **params):
        x = vals[0]
        k = _np.ndim(x) - 1
        if axis is None:
            flat = reshape(x, shape=(_np.shape(x)[0], -1))
            out = prim(flat, axis=1, **params)
            if params.get("keepdims"):
                out = reshape(out, shape=(_np.shape(x)[0],) + (1,) * k)
            return out, 0
        return prim(x, axis=axis % k + 1, **params), 0

    return rule


def _arg(name, fn):
    def impl(x, axis=None, keepdims=False):
        return fn(x, axis=axis, keepdims=keepdims)

    p = Primitive(name, impl, nondiff=True)
    p.defbatch(_arg_batch(p))

    def public(a, axis=None, out=None, *, keepdims=False):
        _no_out(name, out)
        return p(a, axis=axis, keepdims=_kd(keepdims))

    public.__name__ = name
    public.__doc__ = f"``numpy.{name}``; not differentiable."
    return public


argmax = _arg("argmax", _np.argmax)
argmin = _arg("argmin", _np.argmin)
nanargmax = _arg("nanargmax", _np.nanargmax)
nanargmin = _arg("nanargmin", _np.nanargmin)


def _argsort_impl(x, axis=-1, kind=None, stable=None):
    return _np.argsort(x, axis=axis, kind=kind, stable=stable)


_argsort_p = Primitive("argsort", _argsort_impl, nondiff=True)


def _argsort_batch(vals, dims, axis=-1, **params):
    x = vals[0]
    if axis is None:
        return _argsort_p(reshape(x, shape=(_np.shape(x)[0], -1)), axis=1, **params), 0
    return _argsort_p(x, axis=axis % (_np.ndim(x) - 1) + 1, **params), 0


_argsort_p.defbatch(_argsort_batch)


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``numpy.argsort``; not differentiable."""
    if order is not None:
        raise NotImplementedError("argsort(order=...) applies to structured arrays only")
    return _argsort_p(a, axis=axis, kind=kind, stable=stable)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """``numpy.trace``: the sum of a diagonal; differentiable.

        >>> trace(numpy.arange(4.0).reshape(2, 2))
        np.float64(3.0)
    """
    if out is not None:
        raise TypeError("trace(..., out=...) writes in place, which a traced value cannot take")
    from .assembly import diagonal

    return sum(diagonal(a, offset=offset, axis1=axis1, axis2=axis2), axis=-1, dtype=dtype)


DIFFERENTIABLE = [
    "amax", "amin", "average", "cumprod", "cumsum", "cumulative_prod", "cumulative_sum", "max",
    "mean", "min", "nancumprod", "nancumsum", "nanmax", "nanmean", "nanmin", "nanprod",
    "nanstd", "nansum", "nanvar", "prod", "ptp", "std", "sum", "trace", "var",
]
NONDIFFERENTIABLE = [
    "all", "any", "argmax", "argmin", "argsort", "count_nonzero", "nanargmax", "nanargmin",
]

lift_lists_in(globals(), DIFFERENTIABLE + NONDIFFERENTIABLE)
