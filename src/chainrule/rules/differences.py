"""Finite differences and integrals of samples: ``diff``, ``ediff1d``, ``gradient``,
``trapezoid``, ``unwrap``.

Why composites: each is a few slices, subtractions and products, so it inherits the rules
of ``getitem``, ``subtract`` and ``concatenate`` (every order, vmap) at no cost. With plain
arguments NumPy's own function runs. Coordinates are differentiable too: ``gradient(f, x)``
and ``trapezoid(y, x)`` with a traced ``x`` differentiate through the spacings. (NumPy
replaces evenly spaced coordinates by one scalar spacing, a shortcut that would drop the
derivative with respect to all but the first two coordinates; traced coordinates always take
the general, non-uniform formulas, which give the same values.)

``unwrap`` adds multiples of the period, chosen from the values but constant in them, so its
derivative is the identity (the jumps are not differentiated; at an exact half-period jump
the choice follows NumPy's).

    >>> gradient(numpy.array([1.0, 2.0, 4.0, 7.0]))
    array([1. , 1.5, 2.5, 3. ])
"""

from __future__ import annotations

import numpy as _np

from ..core.trace import Tracer
from ._passthrough import has_tracer
from .shape import broadcast_to, concatenate, getitem, ravel, reshape

numpy = _np  # for the doctest

_NOVALUE = _np._NoValue


def _slice(x, axis, start=None, stop=None):
    return getitem(x, idx=(slice(None),) * axis + (slice(start, stop),))


def _at(x, axis, i):
    """x[..., i, ...] along ``axis`` keeping the axis (length 1)."""
    n = _np.shape(x)[axis]
    i = i % n
    return _slice(x, axis, i, i + 1)


def _axis(axis, nd, name):
    axis = int(axis)
    if not -nd <= axis < nd:
        raise _np.exceptions.AxisError(f"{name}: axis {axis} is out of bounds for array of "
                                       f"dimension {nd}")
    return axis % nd


def _dtype(x):
    d = getattr(x, "dtype", None)
    return d if d is not None else _np.result_type(x)


def _as_value(x):
    return x if isinstance(x, Tracer) else _np.asarray(x)


# --- diff / ediff1d --------------------------------------------------------------------------

def diff(a, n=1, axis=-1, prepend=_NOVALUE, append=_NOVALUE):
    """``numpy.diff``; differentiable in ``a``, ``prepend`` and ``append``."""
    if not has_tracer(a, prepend, append):
        return _np.diff(a, n, axis, prepend, append)
    from .elementwise import not_equal

    if n == 0:
        return a
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n!r}")
    a = _as_value(a)
    nd = _np.ndim(a)
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _axis(axis, nd, "diff")
    parts = []
    for extra in (prepend, None, append):
        if extra is None:
            parts.append(a)
        elif extra is not _NOVALUE:
            extra = _as_value(extra)
            if _np.ndim(extra) == 0:
                shape = list(_np.shape(a))
                shape[axis] = 1
                extra = broadcast_to(extra, tuple(shape))
            parts.append(extra)
    if len(parts) > 1:
        a = concatenate(parts, axis)
    for _ in range(n):
        hi, lo = _slice(a, axis, 1, None), _slice(a, axis, None, -1)
        a = not_equal(hi, lo) if _dtype(a) == _np.bool_ else hi - lo
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """``numpy.ediff1d``; differentiable in all three arguments."""
    if not has_tracer(ary, to_end, to_begin):
        return _np.ediff1d(ary, to_end, to_begin)
    from .creation import astype

    ary = ravel(_as_value(ary))
    dt = _dtype(ary)
    parts = []
    if to_begin is not None:
        parts.append(_edge(to_begin, dt, "to_begin"))
    parts.append(getitem(ary, idx=slice(1, None)) - getitem(ary, idx=slice(None, -1)))
    if to_end is not None:
        parts.append(_edge(to_end, dt, "to_end"))
    out = concatenate(parts, 0) if len(parts) > 1 else parts[0]
    return out if _dtype(out) == dt else astype(out, dt)


def _edge(v, dt, name):
    v = _as_value(v)
    if not _np.can_cast(_dtype(v), dt, casting="same_kind"):
        raise TypeError(f"dtype of `{name}` must be compatible with input `ary` under the "
                        f"`same_kind` rule.")
    return ravel(v)


# --- gradient ----------------------------------------------------------------------------------

def gradient(f, *varargs, axis=None, edge_order=1):
    """``numpy.gradient`` (scalar or coordinate spacings, ``edge_order`` 1 or 2, any axes);
    differentiable in ``f`` and in the spacings."""
    if not has_tracer(f, varargs):
        return _np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    from .creation import astype
    from .elementwise import multiply

    f = _as_value(f)
    N = _np.ndim(f)
    shape = _np.shape(f)
    if axis is None:
        axes = tuple(range(N))
    else:
        axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        axes = tuple(_axis(ax, N, "gradient") for ax in axes)
        if len(set(axes)) != len(axes):
            raise ValueError("gradient: repeated axis")
    n = len(varargs)
    if n == 0:
        dx = [1.0] * len(axes)
    elif n == 1 and _np.ndim(varargs[0]) == 0:
        dx = [_as_value(varargs[0])] * len(axes)
    elif n == len(axes):
        dx = []
        for i, d in enumerate(varargs):
            d = _as_value(d)
            if _np.ndim(d) == 0:
                dx.append(d)
                continue
            if _np.ndim(d) != 1:
                raise ValueError("distances must be either scalars or 1d")
            if _np.shape(d)[0] != shape[axes[i]]:
                raise ValueError("when 1d, distances must match the length of the "
                                 "corresponding dimension")
            if _np.issubdtype(_dtype(d), _np.integer):
                d = _np.asarray(d, dtype=_np.float64)
            diffx = getitem(d, idx=slice(1, None)) - getitem(d, idx=slice(None, -1))
            if not isinstance(diffx, Tracer) and (diffx == diffx[0]).all():
                diffx = diffx[0]  # constant spacings: NumPy's scalar case (same values)
            dx.append(diffx)
    else:
        raise TypeError("invalid number of arguments")
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    if not _np.issubdtype(_dtype(f), _np.inexact):
        f = astype(f, _np.float64)

    outs = []
    for ax, h in zip(axes, dx, strict=True):
        if shape[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, at "
                             "least (edge_order + 1) elements are required.")
        uniform = _np.ndim(h) == 0
        cshape = [1] * N
        cshape[ax] = -1

        def col(c):  # a coefficient along ``ax`` that broadcasts against f
            return reshape(c, tuple(cshape)) if _np.ndim(c) else c

        f0, f1, f2 = _slice(f, ax, None, -2), _slice(f, ax, 1, -1), _slice(f, ax, 2, None)
        if uniform:
            interior = (f2 - f0) / (2.0 * h)
        else:
            h1 = getitem(h, idx=slice(0, -1))
            h2 = getitem(h, idx=slice(1, None))
            a = -h2 / (h1 * (h1 + h2))
            b = (h2 - h1) / (h1 * h2)
            c = h1 / (h2 * (h1 + h2))
            interior = multiply(col(a), f0) + col(b) * f1 + col(c) * f2
        if edge_order == 1:
            h0 = h if uniform else getitem(h, idx=slice(0, 1))
            hn = h if uniform else getitem(h, idx=slice(-1, None))
            first = (_at(f, ax, 1) - _at(f, ax, 0)) / col(h0)
            last = (_at(f, ax, -1) - _at(f, ax, -2)) / col(hn)
        else:
            if uniform:
                a, b, c = -1.5 / h, 2.0 / h, -0.5 / h
            else:
                h1, h2 = getitem(h, idx=slice(0, 1)), getitem(h, idx=slice(1, 2))
                a = -(2.0 * h1 + h2) / (h1 * (h1 + h2))
                b = (h1 + h2) / (h1 * h2)
                c = -h1 / (h2 * (h1 + h2))
            first = col(a) * _at(f, ax, 0) + col(b) * _at(f, ax, 1) + col(c) * _at(f, ax, 2)
            if uniform:
                a, b, c = 0.5 / h, -2.0 / h, 1.5 / h
            else:
                h1, h2 = getitem(h, idx=slice(-2, -1)), getitem(h, idx=slice(-1, None))
                a = h2 / (h1 * (h1 + h2))
                b = -(h2 + h1) / (h1 * h2)
                c = (2.0 * h2 + h1) / (h2 * (h1 + h2))
            last = col(a) * _at(f, ax, -3) + col(b) * _at(f, ax, -2) + col(c) * _at(f, ax, -1)
        outs.append(concatenate([first, interior, last], ax))
    return outs[0] if len(axes) == 1 else tuple(outs)


# --- trapezoid ---------------------------------------------------------------------------------

def trapezoid(y, x=None, dx=1.0, axis=-1):
    """``numpy.trapezoid``; differentiable in ``y``, ``x`` and ``dx``."""
    if not has_tracer(y, x, dx):
        return _np.trapezoid(y, x, dx, axis)
    from .reductions import sum as _sum

    y = _as_value(y)
    nd = _np.ndim(y)
    axis = _axis(axis, nd, "trapezoid")
    if x is None:
        d = _as_value(dx)
    else:
        x = _as_value(x)
        if _np.ndim(x) == 1:
            d = diff(x)
            shape = [1] * nd
            shape[axis] = _np.shape(d)[0]
            d = reshape(d, tuple(shape))
        else:
            d = diff(x, axis=axis)
    return _sum(d * (_slice(y, axis, 1, None) + _slice(y, axis, None, -1)) / 2.0, axis=axis)


# --- unwrap ------------------------------------------------------------------------------------

def unwrap(p, discont=None, axis=-1, *, period=2 * _np.pi):
    """``numpy.unwrap``; differentiable in ``p`` (derivative: the identity, since the added
    multiples of ``period`` are constant in ``p``)."""
    if not isinstance(p, Tracer):
        return _np.unwrap(p, discont, axis, period=period)
    from .elementwise import absolute, equal, floor, greater, less, logical_and, mod, where
    from .reductions import cumsum

    nd = _np.ndim(p)
    axis = _axis(axis, nd, "unwrap")
    if isinstance(discont, Tracer) or isinstance(period, Tracer):
        raise TypeError("unwrap: discont and period are constants (not differentiable)")
    dd = diff(p, axis=axis)
    if discont is None:
        discont = period / 2
    high = period / 2
    low = -high
    # ddmod = mod(dd - low, period) + low = dd - period * k, with k constant in p.
    k = floor((dd - low) / period)
    corr = -period * k
    boundary = logical_and(equal(mod(dd - low, period), 0.0), greater(dd, 0))
    corr = where(boundary, corr + period, corr)
    corr = where(less(absolute(dd), discont), 0.0, corr)
    return concatenate([_slice(p, axis, 0, 1), _slice(p, axis, 1, None) + cumsum(corr, axis)],
                       axis)


DIFFERENTIABLE = ["diff", "ediff1d", "gradient", "trapezoid", "unwrap"]
NONDIFFERENTIABLE: list = []
