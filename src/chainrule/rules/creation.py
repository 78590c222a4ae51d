"""Array creation, conversion and introspection.

Creation functions take their arguments as constants (no derivative flows into a shape or a
fill value); ``array``/``asarray`` of a list holding traced values is a differentiable
``stack``; ``shape``, ``ndim``, ``result_type`` read a tracer's metadata.

    >>> asarray([1.0, 2.0])
    array([1., 2.])
"""

from __future__ import annotations

import numpy as _np

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
        return asarray(a, dtype)
    return _np.array(a, dtype=dtype, copy=copy, ndmin=ndmin, **kwargs)


def astype(x, dtype, copy=True):
    """Cast; differentiable between float (and complex) dtypes."""
    if not isinstance(x, Tracer):
        return _np.asarray(x).astype(dtype, copy=copy)
    if _np.dtype(dtype) == x.dtype:
        return x
    return x * _np.ones((), dtype=dtype)  # a cast through a differentiable product


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
full = _creation("full")
eye = _creation("eye")
identity = _creation("identity")
arange = _creation("arange")

DIFFERENTIABLE = ["array", "asarray", "astype", "copy"]
NONDIFFERENTIABLE = [
    "arange", "empty", "eye", "full", "identity", "iscomplexobj", "isrealobj", "ndim", "ones",
    "result_type", "shape", "size", "zeros",
]
