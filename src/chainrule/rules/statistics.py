"""Order statistics, covariances and histograms: ``median``, ``quantile``, ``percentile`` and
their NaN-ignoring forms, ``cov``, ``corrcoef``, ``histogram`` (1-, 2- and n-D),
``bincount``, ``digitize``.

Why composites: a quantile is a sort (a differentiable gather: each order statistic's
cotangent goes to the input that landed there) followed by a linear interpolation between
two neighbouring order statistics, whose positions depend only on the sample size and on
``q``. So every order works, ``q`` is differentiable too (its derivative is the slope of the
segment it falls in), and vmap batches the sort, never a loop. ``cov`` and ``corrcoef`` are
NumPy's own formulas written with differentiable ops; histograms are scatter-adds of the
weights into bins chosen from the (constant) sample positions.

Conventions where the derivative is undefined:

- ``median`` of an even count averages the two middle order statistics, so each receives
  half of the cotangent; of an odd count, the middle one receives all of it.
- ``quantile``/``percentile`` at an exact data point (the virtual index k is an integer): the
  value is that order statistic alone, so it receives the whole cotangent (as in NumPy's
  index rule ``floor``); the derivative in ``q`` there is the slope of the segment to the
  right, k..k+1. At ``q = 1`` (and wherever a method clamps the index to the ends) the value
  is the extreme order statistic and the derivative in ``q`` is 0.
- Ties among the data: the stable sort decides which of the equal inputs fills each order
  statistic (equal values keep their input order), and that input receives its cotangent.
- Methods: the continuous ones ('linear', 'weibull', 'hazen', 'interpolated_inverted_cdf',
  'median_unbiased', 'normal_unbiased') are differentiable in ``a`` and ``q``; the discrete
  ones ('lower', 'higher', 'nearest', 'midpoint', 'inverted_cdf',
  'averaged_inverted_cdf', 'closest_observation') pick (or average) order statistics at
  indices that are piecewise constant in ``q``, so they are differentiable in ``a`` and have
  derivative 0 in ``q``. ``weights=`` (NumPy allows it only for 'inverted_cdf') is not
  differentiable and raises on traced input.
- A slice holding a NaN gives NaN (``median``, ``quantile``) and the derivative 0 there;
  the ``nan*`` forms skip NaNs, and an all-NaN slice gives NaN.
- Histograms: counts are piecewise constant in the sample (derivative 0); they are
  differentiable in ``weights``, and bin edges computed from the data (``bins`` an integer
  or a string) are ``linspace(min, max)`` of the sample, differentiable through ``min`` and
  ``max`` (so ``density=True`` is differentiable in the sample through the bin widths).

    >>> import chainrule
    >>> chainrule.grad(median)(numpy.array([3.0, 1.0, 4.0, 2.0]))
    array([0.5, 0. , 0. , 0.5])
"""

from __future__ import annotations

import warnings

import numpy as _np

from ..core.trace import Tracer, getval
from ._passthrough import has_tracer, passthrough
from ._util import lift_lists_in
from .shape import (
    atleast_2d,
    broadcast_to,
    concatenate,
    getitem,
    moveaxis,
    ravel,
    reshape,
    take,
    take_along_axis,
    transpose,
)

numpy = _np  # for the doctest

_NOVALUE = _np._NoValue


def _dtype(x):
    d = getattr(x, "dtype", None)
    return d if d is not None else _np.result_type(x)


def _as_value(x):
    return x if isinstance(x, Tracer) else _np.asarray(x)


def _concrete(x):
    """The plain value of ``x``, or None when it is batched (differs across a vmap batch)."""
    v = getval(x)
    return None if isinstance(v, Tracer) else v


def _no_out(name, out):
    if out is not None:
        raise TypeError(f"{name}(..., out=...) writes in place; use the returned array")


# --- quantiles ---------------------------------------------------------------------------------

_CONTINUOUS = {
    "linear": None,
    "weibull": (0.0, 0.0),
    "hazen": (0.5, 0.5),
    "interpolated_inverted_cdf": (0.0, 1.0),
    "median_unbiased": (1 / 3.0, 1 / 3.0),
    "normal_unbiased": (3 / 8.0, 3 / 8.0),
}
_DISCRETE = ("lower", "higher", "nearest", "midpoint", "inverted_cdf", "averaged_inverted_cdf",
             "closest_observation")


def _to_end(a, axis):
    """``a`` with the reduced axes moved to the end and merged into one; the kept shape and
    the keepdims shape."""
    a = _as_value(a)
    nd = _np.ndim(a)
    shape = _np.shape(a)
    if axis is None:
        return ravel(a), (), (1,) * nd
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    norm = []
    for ax in axes:
        ax = int(ax)
        if not -nd <= ax < nd:
            raise _np.exceptions.AxisError(f"axis {ax} is out of bounds for array of "
                                           f"dimension {nd}")
        norm.append(ax % nd)
    if len(set(norm)) != len(norm):
        raise ValueError("repeated axis")
    kept = [i for i in range(nd) if i not in norm]
    moved = moveaxis(a, tuple(norm), tuple(range(nd - len(norm), nd))) if norm else a
    kshape = tuple(shape[i] for i in kept)
    merged = reshape(moved, kshape + (-1,))
    kd = tuple(1 if i in norm else n for i, n in enumerate(shape))
    return merged, kshape, kd


def _floor_int(x):
    from .creation import astype
    from .elementwise import floor

    return astype(floor(x), _np.intp)


def _positions(n, q, method):
    """(prev, next, gamma): the two order statistics to interpolate and the weight of the
    second. ``n`` is an int or an integer array (per slice, shape S); ``q`` has shape Q; the
    results have shape Q (n an int) or S + Q."""
    from .creation import astype
    from .elementwise import greater_equal, less, where

    if not isinstance(n, (int, _np.integer)):
        n = reshape(n, _np.shape(n) + (1,) * _np.ndim(q)) if isinstance(n, Tracer) else \
            _np.reshape(n, _np.shape(n) + (1,) * _np.ndim(q))
    if method in _CONTINUOUS:
        ab = _CONTINUOUS[method]
        if ab is None:
            vi = (n - 1) * q
        else:
            alpha, beta = ab
            vi = n * q + (alpha + q * (1 - alpha - beta)) - 1
        prev = _floor_int(vi)
        above = greater_equal(vi, n - 1)
        below = less(vi, 0)
        last = astype(n - 1 + 0 * prev, _np.intp)
        prev = where(above, last, where(below, 0, prev))
        nxt = where(above, last, where(below, 0, prev + 1))
        return prev, nxt, vi - prev
    # Discrete methods: the virtual index is piecewise constant in q; NumPy itself gives it
    # as the quantile of 0, 1, ..., n-1 (exact: an integer or a midpoint).
    qv = _concrete(q)
    nv = _concrete(n)
    if qv is None or nv is None:
        raise NotImplementedError(f"quantile(method={method!r}) under vmap with a batched q "
                                  f"or a batched NaN pattern; use a continuous method "
                                  f"('linear')")
    if isinstance(nv, (int, _np.integer)):
        vi = _np.quantile(_np.arange(nv, dtype=_np.float64), qv, method=method)
    else:
        nv = _np.asarray(nv)
        vi = _np.full(_np.broadcast_shapes(nv.shape, _np.shape(qv)), _np.nan)
        for u in _np.unique(nv):
            if u > 0:
                sel = _np.broadcast_to(nv == u, vi.shape)
                vals = _np.broadcast_to(_np.quantile(_np.arange(u, dtype=_np.float64), qv,
                                                     method=method), vi.shape)
                vi[sel] = vals[sel]
        vi = _np.nan_to_num(vi, nan=0.0)
    prev = _np.floor(vi).astype(_np.intp)
    nxt = _np.ceil(vi).astype(_np.intp)
    return prev, nxt, vi - prev


def _counts(xs, n, nan_skip):
    """Valid (non-NaN) entries per slice of the sorted ``xs``: a Python int when it is one
    number for every slice (always so without NaN skipping), else an integer array (or a
    batched one under vmap)."""
    if not nan_skip:
        return n
    from .elementwise import isnan, logical_not
    from .reductions import count_nonzero

    counts = count_nonzero(logical_not(isnan(xs)), axis=-1)
    cv = _concrete(counts)
    if cv is not None and _np.size(cv) and _np.all(cv == _np.ravel(cv)[0]):
        return int(_np.ravel(cv)[0])
    return counts


def _lerp(a, b, t):
    """NumPy's two-sided lerp (exact at both ends): a + (b-a) t below 1/2, b - (b-a)(1-t)
    from 1/2 on."""
    from .elementwise import greater_equal, where

    d = b - a
    return where(greater_equal(t, 0.5), b - d * (1 - t), a + d * t)


def _quantile(a, q, axis, method, keepdims, nan_skip, name, weights=None):
    from .creation import astype
    from .elementwise import isnan, where
    from .sorting import sort

    if method not in _CONTINUOUS and method not in _DISCRETE:
        raise ValueError(f"{name}: {method!r} is not a valid method. Use one of: "
                         f"{sorted(list(_CONTINUOUS) + list(_DISCRETE))}")
    if weights is not None:
        raise NotImplementedError(f"{name}(..., weights=...) is not differentiable in "
                                  f"chainrule (NumPy allows it only for 'inverted_cdf')")
    q_in = q
    q = _as_value(q)
    if _np.ndim(q) > 2:
        raise ValueError("q must be a scalar or 1d")
    qv = _concrete(q)
    if qv is not None and not (_np.all(0 <= qv) and _np.all(qv <= 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    a = _as_value(a)
    out_dtype = _np.result_type(_dtype(a), q_in if isinstance(q_in, (int, float)) else
                                _dtype(q))
    if not _np.issubdtype(out_dtype, _np.inexact):
        out_dtype = _np.float64
    xs, kshape, kdshape = _to_end(a, axis)
    n = _np.shape(xs)[-1]
    inexact = _np.issubdtype(_dtype(xs), _np.inexact)
    xs = sort(xs, axis=-1)  # NaNs sort to the end
    nq = _np.ndim(q)
    counts = _counts(xs, n, nan_skip and inexact)
    if n == 0:
        raise ValueError(f"{name}: cannot take a quantile of an empty slice")
    if isinstance(counts, int) and counts == 0:  # every slice all-NaN
        shape = tuple(_np.shape(q)) + tuple(kdshape if keepdims else kshape)
        return _np.full(shape, _np.nan, dtype=out_dtype)
    prev, nxt, gamma = _positions(counts, q, method)
    if isinstance(counts, (int, _np.integer)):
        flat_p, flat_n = ravel(prev), ravel(nxt)
        lo = take(xs, flat_p, axis=-1)
        hi = take(xs, flat_n, axis=-1)
        lo = reshape(lo, tuple(kshape) + tuple(_np.shape(q)))
        hi = reshape(hi, tuple(kshape) + tuple(_np.shape(q)))
    else:
        full = tuple(kshape) + tuple(_np.shape(q))
        k = int(_np.prod(_np.shape(q), dtype=_np.int64))
        lo = take_along_axis(xs, reshape(broadcast_to(prev, full), tuple(kshape) + (k,)), -1)
        hi = take_along_axis(xs, reshape(broadcast_to(nxt, full), tuple(kshape) + (k,)), -1)
        lo, hi = reshape(lo, full), reshape(hi, full)
    res = _lerp(lo, hi, gamma)
    if inexact:
        if nan_skip:
            if not isinstance(counts, (int, _np.integer)):
                empty = reshape(counts, tuple(kshape) + (1,) * nq) == 0
                res = where(empty, _np.nan, res)
        else:
            bad = isnan(getitem(xs, idx=(Ellipsis, -1)))
            bv = _concrete(bad)
            if bv is None or _np.any(bv):
                res = where(reshape(bad, tuple(kshape) + (1,) * nq), _np.nan, res)
    if nq:
        res = moveaxis(res, tuple(range(len(kshape), len(kshape) + nq)), tuple(range(nq)))
    if keepdims:
        res = reshape(res, tuple(_np.shape(q)) + tuple(kdshape))
    if _dtype(res) != out_dtype:
        res = astype(res, out_dtype)
    return res


def _plain(np_fn, a, q, axis, out, overwrite_input, method, keepdims, weights):
    """NumPy's own quantile function, when nothing is traced (``weights`` only if given)."""
    kw = {} if weights is None else {"weights": weights}
    return np_fn(a, q, axis=axis, out=out, overwrite_input=overwrite_input, method=method,
                 keepdims=keepdims, **kw)


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None):
    """``numpy.quantile``; differentiable in ``a`` and (continuous methods) in ``q``. See
    the module docstring for the conventions at data points and ties."""
    if not has_tracer(a, q, weights):
        return _plain(_np.quantile, a, q, axis, out, overwrite_input, method, keepdims,
                      weights)
    _no_out("quantile", out)
    return _quantile(a, q, axis, method,
                     keepdims, False, "quantile", weights)


def _fraction_of_percent(q):
    """``q / 100`` after NumPy's range check (on the concrete value, when there is one)."""
    qv = _concrete(q)
    if qv is not None and not (_np.all(0 <= _np.asarray(qv)) and _np.all(_np.asarray(qv) <= 100)):
        raise ValueError("Percentiles must be in the range [0, 100]")
    return q / 100.0 if isinstance(q, (Tracer, float, int)) else _np.true_divide(q, 100)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):
    """``numpy.percentile``: ``quantile(a, q / 100)``; differentiable in ``a`` and ``q``."""
    if not has_tracer(a, q, weights):
        return _plain(_np.percentile, a, q, axis, out, overwrite_input, method, keepdims,
                      weights)
    _no_out("percentile", out)
    q100 = _fraction_of_percent(q)
    return _quantile(a, q100, axis, method,
                     keepdims, False, "percentile", weights)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=_NOVALUE, *, weights=None):
    """``numpy.nanquantile``; NaNs are skipped (each slice uses its own count of valid
    values); differentiable in the valid entries and in ``q``."""
    if not has_tracer(a, q, weights):
        return _plain(_np.nanquantile, a, q, axis, out, overwrite_input, method, keepdims,
                      weights)
    _no_out("nanquantile", out)
    return _quantile(a, q, axis, method,
                     keepdims is True, True, "nanquantile", weights)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=_NOVALUE, *, weights=None):
    """``numpy.nanpercentile``; as ``nanquantile`` with ``q / 100``."""
    if not has_tracer(a, q, weights):
        return _plain(_np.nanpercentile, a, q, axis, out, overwrite_input, method, keepdims,
                      weights)
    _no_out("nanpercentile", out)
    q100 = _fraction_of_percent(q)
    return _quantile(a, q100, axis, method,
                     keepdims is True, True, "nanpercentile", weights)


def _median(a, axis, keepdims, nan_skip, name):
    from .creation import astype
    from .elementwise import isnan, where
    from .sorting import sort

    a = _as_value(a)
    dt = _dtype(a)
    xs, kshape, kdshape = _to_end(a, axis)
    n = _np.shape(xs)[-1]
    inexact = _np.issubdtype(dt, _np.inexact)
    if not inexact:
        xs = astype(xs, _np.float64)
    xs = sort(xs, axis=-1)
    if n == 0:
        return _np.full(kdshape if keepdims else kshape, _np.nan)
    counts = _counts(xs, n, nan_skip and inexact)
    if isinstance(counts, int):
        if counts == 0:
            return _np.full(kdshape if keepdims else kshape, _np.nan)
        c = counts
        lo = getitem(xs, idx=(Ellipsis, (c - 1) // 2))
        hi = getitem(xs, idx=(Ellipsis, c // 2))
        # the average of the two middle order statistics (one, twice, for an odd count)
        res = (lo + hi) / 2.0 if c % 2 == 0 else lo
        if inexact and not nan_skip:
            bad = isnan(getitem(xs, idx=(Ellipsis, -1)))
            bv = _concrete(bad)
            if bv is None or _np.any(bv):
                res = where(bad, _np.nan, res)
    else:
        from .elementwise import equal, maximum

        pi = reshape((maximum(counts, 1) - 1) // 2, tuple(kshape) + (1,))
        ni = reshape(maximum(counts, 1) // 2, tuple(kshape) + (1,))
        lo = reshape(take_along_axis(xs, pi, -1), kshape)
        hi = reshape(take_along_axis(xs, ni, -1), kshape)
        res = where(equal(counts, 0), _np.nan, (lo + hi) / 2.0)
    if keepdims:
        res = reshape(res, kdshape)
    return res


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``numpy.median``; differentiable. An even count averages the two middle order
    statistics (each receives half of the cotangent); a slice with a NaN gives NaN."""
    if not isinstance(a, Tracer):
        return _np.median(a, axis=axis, out=out, overwrite_input=overwrite_input,
                          keepdims=keepdims)
    _no_out("median", out)
    return _median(a, axis, keepdims, False, "median")


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=_NOVALUE):
    """``numpy.nanmedian``; the median of each slice's non-NaN entries (all-NaN: NaN)."""
    if not isinstance(a, Tracer):
        return _np.nanmedian(a, axis=axis, out=out, overwrite_input=overwrite_input,
                             keepdims=keepdims)
    _no_out("nanmedian", out)
    return _median(a, axis, keepdims is True, True, "nanmedian")


# --- cov / corrcoef ------------------------------------------------------------------------------

def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """``numpy.cov``; differentiable in ``m``, ``y`` and ``aweights`` (NumPy's formula)."""
    if not has_tracer(m, y, fweights, aweights):
        return _np.cov(m, y, rowvar, bias, ddof, fweights, aweights, dtype=dtype)
    from .creation import astype
    from .elementwise import conj
    from .products import dot
    from .reductions import average
    from .reductions import sum as _sum

    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = _as_value(m)
    if _np.ndim(m) > 2:
        raise ValueError("m has more than 2 dimensions")
    if y is not None:
        y = _as_value(y)
        if _np.ndim(y) > 2:
            raise ValueError("y has more than 2 dimensions")
    if dtype is None:
        dtype = _np.result_type(_dtype(m), _np.float64) if y is None else \
            _np.result_type(_dtype(m), _dtype(y), _np.float64)
    X = atleast_2d(astype(m, dtype))
    if not rowvar and _np.ndim(m) != 1:
        X = transpose(X)
    if _np.shape(X)[0] == 0:
        return _np.array([]).reshape(0, 0)
    if y is not None:
        Y = atleast_2d(astype(y, dtype))
        if not rowvar and _np.shape(Y)[0] != 1:
            Y = transpose(Y)
        X = concatenate([X, Y], axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    nobs = _np.shape(X)[1]
    w = None
    if fweights is not None:
        fweights = _as_value(fweights)
        fv = _concrete(fweights)
        if fv is not None:
            fv = _np.asarray(fv, dtype=float)
            if not _np.all(fv == _np.around(fv)):
                raise TypeError("fweights must be integer")
            if _np.any(fv < 0):
                raise ValueError("fweights cannot be negative")
        if _np.ndim(fweights) > 1:
            raise RuntimeError("cannot handle multidimensional fweights")
        if _np.shape(fweights)[0] != nobs:
            raise RuntimeError("incompatible numbers of samples and fweights")
        w = astype(fweights, float) if isinstance(fweights, Tracer) else \
            _np.asarray(fweights, dtype=float)
    if aweights is not None:
        aweights = _as_value(aweights)
        av = _concrete(aweights)
        if _np.ndim(aweights) > 1:
            raise RuntimeError("cannot handle multidimensional aweights")
        if _np.shape(aweights)[0] != nobs:
            raise RuntimeError("incompatible numbers of samples and aweights")
        if av is not None and _np.any(_np.asarray(av) < 0):
            raise ValueError("aweights cannot be negative")
        if not isinstance(aweights, Tracer):
            aweights = _np.asarray(aweights, dtype=float)
        w = aweights if w is None else w * aweights
    if w is None:
        avg = average(X, axis=1)
        fact = nobs - ddof
    else:
        avg, w_sum = average(X, axis=1, weights=w, returned=True)
        w_sum = getitem(w_sum, idx=0)
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * _sum(w * aweights) / w_sum
    fv = _concrete(fact)
    if fv is not None and _np.all(_np.asarray(fv) <= 0):
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = 0.0
    X = X - reshape(avg, (-1, 1))
    XT = transpose(X) if w is None else transpose(X * w)
    if _np.issubdtype(_dtype(XT), _np.complexfloating):
        XT = conj(XT)
    c = dot(X, XT) * (1.0 / fact if not isinstance(fact, Tracer) else 1.0 / fact)
    shape = _np.shape(c)
    squeezed = tuple(s for s in shape if s != 1)
    return reshape(c, squeezed) if squeezed != shape else c


def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """``numpy.corrcoef``; differentiable (``cov`` scaled by the standard deviations; the
    real and imaginary parts are clipped to [-1, 1] as in NumPy, with ``clip``'s convention
    at the bounds)."""
    if not has_tracer(x, y):
        return _np.corrcoef(x, y, rowvar, dtype=dtype)
    from .assembly import diagonal
    from .elementwise import clip, imag, real, sqrt

    c = cov(x, y, rowvar, dtype=dtype)
    if _np.ndim(c) != 2:
        return c / c
    stddev = sqrt(real(diagonal(c)))
    c = c / reshape(stddev, (-1, 1))
    c = c / reshape(stddev, (1, -1))
    if _np.issubdtype(_dtype(c), _np.complexfloating):
        return clip(real(c), -1, 1) + 1j * clip(imag(c), -1, 1)
    return clip(c, -1, 1)


# --- histograms ------------------------------------------------------------------------------

def _edges(a_col, np_edges, bins, rng):
    """Bin edges that carry the derivative: traced ``bins`` edges themselves; edges NumPy
    computes from the data (``bins`` an integer or a string, no ``range``) as
    ``linspace(min, max)`` of the traced sample (widened by 1/2 each way when min == max, as
    NumPy does); otherwise NumPy's edges, constants."""
    from .creation import linspace
    from .elementwise import equal, where
    from .reductions import max as _max
    from .reductions import min as _min

    if isinstance(bins, Tracer):
        return bins
    if rng is not None or not isinstance(a_col, Tracer) or _np.size(a_col) == 0 or \
            not isinstance(bins, (int, _np.integer, str)):
        return np_edges
    if isinstance(bins, str):
        if isinstance(np_edges, Tracer):  # batched: the count of bins may differ per example
            return np_edges
        nb = len(np_edges) - 1
    else:
        nb = int(bins)
    lo, hi = _min(a_col), _max(a_col)
    same = equal(lo, hi)
    return linspace(where(same, lo - 0.5, lo), where(same, hi + 0.5, hi), nb + 1)


def _bin_sums(coords, edges_np, weights):
    """Sums of ``weights`` into the bins of the plain sample ``coords`` (N, D) by NumPy's
    rule (bin i holds edges[i] <= x < edges[i+1], the last bin closed, values outside
    dropped); a scatter-add, differentiable in ``weights``."""
    from .shape import at

    D = len(edges_np)
    idx = []
    for i in range(D):
        k = _np.searchsorted(edges_np[i], coords[:, i], side="right")
        k[coords[:, i] == edges_np[i][-1]] -= 1
        idx.append(k)
    nbin = _np.array([len(e) + 1 for e in edges_np])
    flat = _np.ravel_multi_index(idx, nbin)
    zeros = _np.zeros(int(nbin.prod()), dtype=_np.result_type(_dtype(weights), float))
    hist = reshape(at(zeros)[flat].add(ravel(weights)), tuple(int(b) for b in nbin))
    return getitem(hist, idx=(slice(1, -1),) * D)


def _density(hist, edges):
    from .creation import astype
    from .reductions import sum as _sum

    if not _np.issubdtype(_dtype(hist), _np.inexact):
        hist = astype(hist, _np.float64) if isinstance(hist, Tracer) else hist.astype(float)
    D = len(edges)
    s = _sum(hist)
    for i in range(D):
        shape = [1] * D
        shape[i] = -1
        e = edges[i]
        width = getitem(e, idx=slice(1, None)) - getitem(e, idx=slice(None, -1))
        hist = hist / reshape(width, tuple(shape))
    return hist / s


def _concrete_sample(cols, name):
    vals = [getval(c) for c in cols]
    if any(isinstance(v, Tracer) for v in vals):
        raise TypeError(f"{name}: with traced weights, the sample must be the same for every "
                        f"example under vmap (it decides which bin each weight goes to); "
                        f"loop over the examples instead")
    return _np.stack([_np.ravel(v) for v in vals], axis=1)


def _split_dd(fn):
    def run(*args, **kwargs):
        hist, edges = fn(*args, **kwargs)
        return (hist, *edges)

    return run


_histogram_np = passthrough(_np.histogram, "histogram", multiple=True)
_histogramdd_np = passthrough(_split_dd(_np.histogramdd), "histogramdd", multiple=True)
_bin_edges_np = passthrough(_np.histogram_bin_edges, "histogram_bin_edges")


def histogram(a, bins=10, range=None, density=None, weights=None):
    """``numpy.histogram``; differentiable in ``weights``, and in ``a`` through edges computed
    from the data (counts themselves are piecewise constant in ``a``: derivative 0)."""
    if not has_tracer(a, bins, weights):
        return _np.histogram(a, bins, range, density, weights)
    if isinstance(weights, Tracer):
        coords = _concrete_sample([a], "histogram")
        np_edges = _np.histogram_bin_edges(coords[:, 0], getval(bins), range)
        hist = _bin_sums(coords, [np_edges], weights)
    else:
        hist, np_edges = _histogram_np(a, bins, range, None, weights)
    edges = _edges(ravel(a) if isinstance(a, Tracer) else a, np_edges, bins, range)
    if density:
        hist = _density(hist, [edges])
    return hist, edges


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """``numpy.histogram_bin_edges``; edges computed from the data are differentiable in
    ``a`` through its min and max."""
    if not has_tracer(a, bins):
        return _np.histogram_bin_edges(a, bins, range, getval(weights))
    if isinstance(bins, Tracer):
        return bins
    np_edges = _bin_edges_np(a, bins, range)
    return _edges(ravel(a), np_edges, bins, range)


def _columns(sample):
    """NumPy's histogramdd sample (an (N, D) array or a sequence of D arrays) as columns."""
    if isinstance(sample, (list, tuple)):
        return [ravel(_as_value(s)) for s in sample]
    sample = _as_value(sample)
    if _np.ndim(sample) == 1:
        return [sample]
    return [getitem(sample, idx=(slice(None), i)) for i in range(_np.shape(sample)[1])]


def histogramdd(sample, bins=10, range=None, density=None, weights=None):
    """``numpy.histogramdd``; differentiable in ``weights``, and in the sample through
    edges computed from the data (as ``histogram``)."""
    if not has_tracer(sample, bins, weights):
        return _np.histogramdd(sample, bins, range, density, weights)
    cols = _columns(sample)
    D = len(cols)
    if isinstance(weights, Tracer):
        coords = _concrete_sample(cols, "histogramdd")
        bins_v = [getval(b) for b in bins] if isinstance(bins, (list, tuple)) else getval(bins)
        _, np_edges = _np.histogramdd(coords, bins_v, range)
        hist = _bin_sums(coords, list(np_edges), weights)
    else:
        hist, *np_edges = _histogramdd_np(sample, bins, range, None, weights)
    per_bins = list(bins) if isinstance(bins, (list, tuple)) and len(bins) == D else [bins] * D
    rngs = [None] * D if range is None else list(range)
    edges = [_edges(c, e, b, r) for c, e, b, r in zip(cols, np_edges, per_bins, rngs,
                                                       strict=True)]
    if density:
        hist = _density(hist, edges)
    return hist, tuple(edges)


def histogram2d(x, y, bins=10, range=None, density=None, weights=None):
    """``numpy.histogram2d``: ``histogramdd`` of (x, y), with NumPy's reading of ``bins``."""
    if not has_tracer(x, y, bins, weights):
        return _np.histogram2d(x, y, bins, range, density, weights)
    try:
        N = len(bins)
    except TypeError:
        N = 1
    if N not in (1, 2):
        bins = [bins, bins]
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]


def bincount(x, weights=None, minlength=0):
    """``numpy.bincount``; differentiable in ``weights`` (a scatter-add into the bins)."""
    if not has_tracer(x, weights):
        return _np.bincount(x, weights, minlength)
    if not isinstance(weights, Tracer):
        return _bincount_np(x, weights, minlength)
    from .shape import at

    xv = _concrete(x)
    if xv is None:
        raise TypeError("bincount: under vmap the bin indices x must be the same for every "
                        "example (the output length depends on their values)")
    xv = _np.asarray(xv)
    if xv.ndim != 1:
        raise ValueError(f"bincount: x must be 1-D, got shape {xv.shape}")
    if xv.size and xv.min() < 0:
        raise ValueError("bincount: 'x' must not contain negative values")
    n = max(int(xv.max()) + 1 if xv.size else 0, int(minlength))
    if _np.shape(weights) != xv.shape:
        raise ValueError(f"bincount: weights (shape {_np.shape(weights)}) and x (shape "
                         f"{xv.shape}) must have the same length")
    zeros = _np.zeros(n, dtype=_np.result_type(_dtype(weights), float))
    return at(zeros)[xv].add(weights)


_bincount_np = passthrough(_np.bincount, "bincount", batch="error",
                           reason="the output length depends on the values of x")
digitize = passthrough(_np.digitize, "digitize")


DIFFERENTIABLE = [
    "bincount", "corrcoef", "cov", "histogram", "histogram2d", "histogram_bin_edges",
    "histogramdd", "median", "nanmedian", "nanpercentile", "nanquantile", "percentile",
    "quantile",
]
NONDIFFERENTIABLE = ["digitize"]

# (histograms read a list of coordinate arrays differently from an array: not lifted)
lift_lists_in(globals(), ["median", "nanmedian", "percentile", "nanpercentile", "quantile",
                          "nanquantile", "cov", "corrcoef"])
