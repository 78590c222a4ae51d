"""``chainrule.numpy``: NumPy's functions, differentiable.

Two explicit lists make up the namespace: ``DIFFERENTIABLE`` (wrapped with rules) and
``NONDIFFERENTIABLE`` (passed through: their outputs carry no derivative). A test fails on a
public name in neither. Plain ``numpy`` calls on traced values dispatch here too.

    >>> import chainrule.numpy as cnp, chainrule
    >>> chainrule.grad(lambda x: cnp.sum(cnp.tanh(x)))(cnp.zeros(2))
    array([1., 1.])
"""

from __future__ import annotations

import numpy as _np

from ..core import tracer_ops as _tracer_ops
from ..core.trace import Tracer as _Tracer
from ..core.trace import getval as _getval
from ..rules import elementwise as _ew
from ..rules import products as _prod
from ..rules import reductions as _red
from ..rules import shape as _shape
from ..rules.elementwise import (  # noqa: F401
    abs, absolute, add, cos, divide, equal, exp, greater, greater_equal, less, less_equal, log,
    multiply, negative, not_equal, ones_like, power, sign, sin, sqrt, subtract, tanh,
    true_divide, where, zeros_like,
)
from ..rules.products import dot, matmul, tensordot  # noqa: F401
from ..rules.reductions import mean, sum  # noqa: F401
from ..rules.shape import at, concatenate, expand_dims, squeeze, stack, swapaxes  # noqa: F401

# Constants and dtypes, exactly NumPy's.
from numpy import (  # noqa: F401
    bool_, complex64, complex128, dtype, e, euler_gamma, float16, float32, float64, inf,
    int8, int16, int32, int64, intp, nan, newaxis, pi, uint8, uint32, uint64,
)


def reshape(a, shape=None, order="C", *, newshape=None):
    """``numpy.reshape``; differentiable."""
    if shape is None:
        shape = newshape
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is differentiable")
    if isinstance(shape, (int, _np.integer)):
        shape = (int(shape),)
    return _shape.reshape(a, shape=tuple(shape))


def transpose(a, axes=None):
    """``numpy.transpose``; differentiable."""
    return _shape.transpose(a, axes=None if axes is None else tuple(axes))


def moveaxis(a, source, destination):
    """``numpy.moveaxis``; differentiable."""
    if isinstance(source, list):
        source = tuple(source)
    if isinstance(destination, list):
        destination = tuple(destination)
    return _shape.moveaxis(a, source=source, destination=destination)


def broadcast_to(array, shape):
    """``numpy.broadcast_to``; differentiable."""
    shape = (shape,) if isinstance(shape, (int, _np.integer)) else tuple(shape)
    return _shape.broadcast_to(array, shape=shape)


def ravel(a, order="C"):
    return reshape(a, (-1,), order)


flatten = ravel


def getitem(x, idx):
    """``x[idx]`` for basic, advanced and boolean indices; differentiable in ``x``."""
    if isinstance(idx, list):
        idx = _np.asarray(idx)
    elif isinstance(idx, tuple):
        idx = tuple(_np.asarray(i) if isinstance(i, list) else _getval(i) for i in idx)
    else:
        idx = _getval(idx)
    return _shape.getitem(x, idx=idx)


def asarray(a, dtype=None):
    """``numpy.asarray``; a list holding traced values becomes a differentiable ``stack``."""
    if isinstance(a, _Tracer):
        return a if dtype is None else astype(a, dtype)
    if isinstance(a, (list, tuple)) and _contains_tracer(a):
        return stack([asarray(v, dtype) for v in a])
    return _np.asarray(a, dtype=dtype)


def array(a, dtype=None, copy=True, ndmin=0):
    if isinstance(a, _Tracer) or (isinstance(a, (list, tuple)) and _contains_tracer(a)):
        return asarray(a, dtype)
    return _np.array(a, dtype=dtype, copy=copy, ndmin=ndmin)


def _contains_tracer(a) -> bool:
    if isinstance(a, _Tracer):
        return True
    if isinstance(a, (list, tuple)):
        return any(_contains_tracer(v) for v in a)
    return False


def astype(x, dtype, copy=True):
    """Cast; differentiable between float (and complex) dtypes."""
    if not isinstance(x, _Tracer):
        return _np.asarray(x).astype(dtype, copy=copy)
    if _np.dtype(dtype) == x.dtype:
        return x
    return x * _np.ones((), dtype=dtype)  # a cast through a differentiable product


def copy(a):
    return a if isinstance(a, _Tracer) else _np.copy(a)


def shape(a):
    return _np.shape(a) if not isinstance(a, _Tracer) else a.shape


def ndim(a):
    return len(shape(a))


def size(a, axis=None):
    s = shape(a)
    return int(_np.prod(s, dtype=_np.int64)) if axis is None else s[axis]


def result_type(*arrays_and_dtypes):
    return _np.result_type(*[a.dtype if isinstance(a, _Tracer) else a for a in arrays_and_dtypes])


def iscomplexobj(x):
    return _np.issubdtype(result_type(x), _np.complexfloating)


def isrealobj(x):
    return not iscomplexobj(x)


def _creation(name):
    fn = getattr(_np, name)

    def make(*args, **kwargs):
        return fn(*[_getval(a) for a in args], **kwargs)

    make.__name__ = name
    make.__doc__ = f"``numpy.{name}``; not differentiable (values are taken as constants)."
    return make


zeros = _creation("zeros")
ones = _creation("ones")
empty = _creation("empty")
full = _creation("full")
eye = _creation("eye")
identity = _creation("identity")
arange = _creation("arange")
linspace = _creation("linspace")


DIFFERENTIABLE = [
    "abs", "absolute", "add", "array", "asarray", "astype", "at", "broadcast_to", "concatenate",
    "copy", "cos", "divide", "dot", "exp", "expand_dims", "flatten", "getitem", "log", "matmul",
    "mean", "moveaxis", "multiply", "negative", "power", "ravel", "reshape", "sin", "sqrt",
    "squeeze", "stack", "subtract", "sum", "swapaxes", "tanh", "tensordot", "transpose",
    "true_divide", "where",
]
NONDIFFERENTIABLE = [
    "arange", "empty", "equal", "eye", "full", "greater", "greater_equal", "identity", "less",
    "less_equal", "linspace", "ndim", "result_type", "iscomplexobj", "isrealobj", "not_equal", "ones", "ones_like", "shape", "sign", "size",
    "zeros", "zeros_like",
]


def _fill_function_map() -> None:
    g = globals()
    for name in DIFFERENTIABLE + NONDIFFERENTIABLE:
        np_fn = getattr(_np, name, None)
        if np_fn is not None and callable(np_fn) and not isinstance(np_fn, _np.ufunc):
            _tracer_ops.function_map[np_fn] = g[name]


_fill_function_map()
del _ew, _prod, _red
