"""Array creation, conversion and introspection.

Creation functions take their arguments as constants (no derivative flows into a shape or a
fill value); ``array``/``asarray`` of a list holding traced values is a differentiable
``stack``; ``shape``, ``ndim``, ``result_type`` read a tracer's metadata.

    >>> asarray([1.0, 2.0])
    array([1., 2.])
"""

from __future__ import annotations

import numpy as _np

from ..core.primitive import Primitive
from ..core.trace import Tracer, getval
from .shape import stack


def _contains_tracer(a) -> bool:
    if isinstance(a, Tracer):
        return True
    if isinstance(a, (list, tuple)):
        return any(_contains_tracer(v) for v in a)
    return False


def asarray(a, dtype=None, order=None, *, like=None):
    """``numpy.asarray``; a list holding traced values becomes a differentiable ``stack``."""
    if isinstance(a, Tracer):
        return a if dtype is None else astype(a, dtype)
    if isinstance(a, (list, tuple)) and _contains_tracer(a):
        return stack([asarray(v, dtype) for v in a])
    if like is not None:
        return _np.asarray(a, dtype=dtype, like=like)
    return _np.asarray(a, dtype=dtype)


def array(a, dtype=None, copy=True, ndmin=0, **kwargs):
    """``numpy.array``; differentiable when ``a`` holds traced values."""
    if _contains_tracer(a):
        out = asarray(a, dtype)
        nd = _np.ndim(out)
        if nd < ndmin:
            from .shape import reshape

            out = reshape(out, (1,) * (ndmin - nd) + tuple(_np.shape(out)))
        return out
    return _np.array(a, dtype=dtype, copy=copy, ndmin=ndmin, **kwargs)


def asanyarray(a, dtype=None, order=None, *, like=None):
    """``numpy.asanyarray``; as ``asarray``."""
    return asarray(a, dtype, order, like=like)


def ascontiguousarray(a, dtype=None, *, like=None):
    """``numpy.ascontiguousarray``; as ``asarray`` (a traced value has no memory layout)."""
    return asarray(a, dtype, like=like)


def _astype_impl(x, dtype):
    return x.astype(dtype) if hasattr(x, "astype") else _np.asarray(x, dtype=dtype)


# A cast to an integer or boolean dtype carries no derivative.
_astype_discrete = Primitive("astype_discrete", _astype_impl, nondiff=True)
_astype_discrete.defbatch(lambda vals, dims, dtype: (_astype_discrete(vals[0], dtype=dtype),
                                                     dims[0]))


def astype(x, dtype, copy=True):
    """Cast; differentiable between float and complex dtypes (the cotangent is cast back to
    x's dtype, so narrowing float64 -> float32 and complex -> real both work); a cast to an
    integer or boolean dtype is not differentiable."""
    if not isinstance(x, Tracer):
        return _np.asarray(x).astype(dtype, copy=copy)
    dtype = _np.dtype(dtype)
    if dtype == x.dtype:
        return x
    if not _np.issubdtype(dtype, _np.inexact):
        return _astype_discrete(x, dtype=dtype)
    from .elementwise import cast

    return cast(x, dtype)


def copy(a, order="K"):
    """``numpy.copy``; differentiable (a traced value is immutable, so it is its own copy)."""
    return a if isinstance(a, Tracer) else _np.copy(a, order=order)


def shape(a):
    return a.shape if isinstance(a, Tracer) else _np.shape(a)


def ndim(a):
    return len(shape(a))


def size(a, axis=None):
    s = shape(a)
    return int(_np.prod(s, dtype=_np.int64)) if axis is None else s[axis]


def result_type(*arrays_and_dtypes):
    return _np.result_type(*[a.dtype if isinstance(a, Tracer) else a for a in arrays_and_dtypes])


def iscomplexobj(x):
    return _np.issubdtype(result_type(x), _np.complexfloating)


def isrealobj(x):
    return not iscomplexobj(x)


def _creation(name):
    fn = getattr(_np, name)

    def make(*args, **kwargs):
        return fn(*[getval(a) for a in args], **kwargs)

    make.__name__ = name
    make.__doc__ = f"``numpy.{name}``; not differentiable (its arguments are constants)."
    return make


zeros = _creation("zeros")
ones = _creation("ones")
empty = _creation("empty")
eye = _creation("eye")
identity = _creation("identity")
arange = _creation("arange")
tri = _creation("tri")
tril_indices = _creation("tril_indices")
triu_indices = _creation("triu_indices")
diag_indices = _creation("diag_indices")
indices = _creation("indices")
ix_ = _creation("ix_")
unravel_index = _creation("unravel_index")
ravel_multi_index = _creation("ravel_multi_index")


def tril_indices_from(arr, k=0):
    """``numpy.tril_indices_from``; reads only the shape."""
    s = shape(arr)
    if len(s) != 2:
        raise ValueError("input array must be 2-d")
    return _np.tril_indices(s[-2], k=k, m=s[-1])


def triu_indices_from(arr, k=0):
    """``numpy.triu_indices_from``; reads only the shape."""
    s = shape(arr)
    if len(s) != 2:
        raise ValueError("input array must be 2-d")
    return _np.triu_indices(s[-2], k=k, m=s[-1])


def diag_indices_from(arr):
    """``numpy.diag_indices_from``; reads only the shape."""
    s = shape(arr)
    if len(s) < 2 or len(set(s)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return _np.diag_indices(s[0], len(s))


def full(shape, fill_value, dtype=None, order="C", *, like=None):
    """``numpy.full``; differentiable in a traced ``fill_value`` (a broadcast)."""
    if isinstance(fill_value, Tracer):
        from .shape import broadcast_to

        shape = (shape,) if isinstance(shape, (int, _np.integer)) else tuple(shape)
        out = broadcast_to(fill_value if dtype is None else astype(fill_value, dtype), shape)
        return out
    kw = {} if like is None else {"like": like}
    return _np.full(shape, fill_value, dtype=dtype, order=order, **kw)


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    """``numpy.full_like``; differentiable in a traced ``fill_value``, constant in ``a``."""
    if isinstance(fill_value, Tracer) or isinstance(a, Tracer):
        from .elementwise import zeros_like

        base = zeros_like(a, dtype=dtype) if shape is None else \
            _np.zeros(shape, dtype=dtype or result_type(a))
        out = base + fill_value
        dt = _np.dtype(dtype) if dtype is not None else result_type(a)
        return out if result_type(out) == dt else astype(out, dt)
    return _np.full_like(a, fill_value, dtype=dtype, order=order, subok=subok, shape=shape)


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None):
    """``numpy.empty_like``; not differentiable (zeros for a traced prototype)."""
    if isinstance(prototype, Tracer):
        from .elementwise import zeros_like

        if shape is None:
            return zeros_like(prototype, dtype=dtype)
        return _np.zeros(shape, dtype=dtype or result_type(prototype))
    return _np.empty_like(prototype, dtype=dtype, order=order, subok=subok, shape=shape)


# --- ranges with traced endpoints -------------------------------------------------------------

def _as_value(x):
    return x if isinstance(x, Tracer) else _np.asarray(x)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """``numpy.linspace``; differentiable in ``start`` and ``stop`` (scalars or arrays).

    The last sample is exactly ``stop`` when ``endpoint``, as in NumPy.
    """
    from .shape import concatenate, expand_dims, getitem, moveaxis, reshape

    num = int(num)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative.")
    start, stop = _as_value(start), _as_value(stop)
    if not (isinstance(start, Tracer) or isinstance(stop, Tracer)):
        return _np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype,
                            axis=axis)
    div = (num - 1) if endpoint else num
    delta = stop - start
    nd = len(_np.broadcast_shapes(shape(start), shape(stop)))
    t = _np.arange(num, dtype=float).reshape((-1,) + (1,) * nd)
    if div > 0:
        step = delta / div
        y = start + t * step
        if endpoint and num > 1:
            y = concatenate([getitem(y, idx=slice(0, -1)),
                             expand_dims(stop + 0.0 * start, 0)], axis=0)
    else:
        step = _np.nan * delta
        y = start + t * delta
    if nd and axis != 0:
        y = moveaxis(y, 0, axis)
    if not nd:
        y = reshape(y, (num,))
    if dtype is not None:
        y = astype(y, dtype)
    return (y, step) if retstep else y


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``numpy.logspace``; differentiable in ``start``, ``stop`` and ``base``."""
    from .elementwise import power

    y = power(_as_value(base), linspace(start, stop, num, endpoint, axis=axis))
    return y if dtype is None else astype(y, dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``numpy.geomspace`` for real endpoints of one sign; differentiable in both."""
    from .elementwise import exp, log, sign

    start, stop = _as_value(start), _as_value(stop)
    if not (isinstance(start, Tracer) or isinstance(stop, Tracer)):
        return _np.geomspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    if iscomplexobj(start) or iscomplexobj(stop):
        raise NotImplementedError("geomspace: complex endpoints are not differentiable here")
    s = sign(start)  # not differentiable: a constant
    s0, s1 = getval(s), getval(sign(stop))
    if not isinstance(s0, Tracer) and not isinstance(s1, Tracer) and (
            _np.any(s0 != s1) or _np.any(s0 == 0)):
        raise ValueError("geomspace: start and stop must be nonzero and of the same sign")
    y = s * exp(linspace(log(s * start), log(s * stop), num, endpoint, axis=axis))
    return y if dtype is None else astype(y, dtype)


# --- conversions that keep the values ----------------------------------------------------------

def asfortranarray(a, dtype=None, *, like=None):
    """``numpy.asfortranarray``; as ``asarray`` (a traced value has no memory layout)."""
    if _contains_tracer(a):
        return asarray(a, dtype)
    kw = {} if like is None else {"like": like}
    return _np.asfortranarray(a, dtype=dtype, **kw)


def require(a, dtype=None, requirements=None, *, like=None):
    """``numpy.require``; as ``asarray`` for traced values (layout and writeability flags
    do not apply to an immutable traced value)."""
    if _contains_tracer(a):
        return asarray(a, dtype)
    kw = {} if like is None else {"like": like}
    return _np.require(a, dtype=dtype, requirements=requirements, **kw)


def _check_finite(v):
    if not _np.isfinite(v).all():
        raise ValueError("array must not contain infs or NaNs")
    return True


def asarray_chkfinite(a, dtype=None, order=None):
    """``numpy.asarray_chkfinite``: ``asarray`` that raises on inf or NaN (checked on the
    values of each example under vmap)."""
    if not _contains_tracer(a):
        return _np.asarray_chkfinite(a, dtype=dtype, order=order)
    out = asarray(a, dtype)
    if _np.issubdtype(result_type(out), _np.inexact):
        _chkfinite(out)
    return out


def _all_small_impl(x, tol):
    return bool(_np.all(_np.absolute(_np.imag(x)) < tol))


# Under vmap the test covers the whole batch at once (one dtype for the batch).
_all_small = Primitive("real_if_close_test", _all_small_impl, nondiff=True, register=False)
_all_small.defbatch(lambda vals, dims, tol: (_all_small(vals[0], tol=tol), None))


def real_if_close(a, tol=100):
    """``numpy.real_if_close``: the real part when every imaginary part is within ``tol``
    machine epsilons of 0; differentiable. Under vmap the test covers the whole batch (one
    dtype for all examples): the result is real only if every example's is."""
    if not isinstance(a, Tracer):
        return _np.real_if_close(a, tol)
    from .elementwise import real

    if not iscomplexobj(a):
        return a
    if tol > 1:
        tol = _np.finfo(result_type(a)).eps * tol
    return real(a) if _all_small(a, tol=float(tol)) else a


def fromfunction(function, shape, *, dtype=float, like=None, **kwargs):
    """``numpy.fromfunction``: ``function(*indices(shape))``; differentiable through what
    ``function`` computes (it may close over traced values)."""
    kw = {} if like is None else {"like": like}
    args = _np.indices(shape, dtype=dtype, **kw)
    return function(*args, **kwargs)


def fromiter(iter, dtype, count=-1, *, like=None):
    """``numpy.fromiter``; an iterator yielding traced scalars gives a differentiable
    ``stack``."""
    import itertools

    items = list(itertools.islice(iter, None if count < 0 else int(count)))
    if _contains_tracer(items):
        if 0 <= count and len(items) < count:
            raise ValueError(f"iterator too short: Expected {count} but iterator had only "
                             f"{len(items)} items.")
        return asarray(items, dtype)
    kw = {} if like is None else {"like": like}
    return _np.fromiter(items, dtype, count, **kw)


DIFFERENTIABLE = [
    "array", "asanyarray", "asarray", "asarray_chkfinite", "ascontiguousarray", "asfortranarray",
    "astype", "copy", "fromfunction", "fromiter", "full", "full_like", "geomspace", "linspace",
    "logspace", "real_if_close", "require",
]
NONDIFFERENTIABLE = [
    "arange", "diag_indices", "diag_indices_from", "empty", "empty_like", "eye", "identity",
    "indices", "iscomplexobj", "isrealobj", "ix_", "ndim", "ones", "ravel_multi_index",
    "result_type", "shape", "size", "tri", "tril_indices", "tril_indices_from",
    "triu_indices", "triu_indices_from", "unravel_index", "zeros",
]

from ._passthrough import passthrough  # noqa: E402

_chkfinite = passthrough(_check_finite, "asarray_chkfinite")
