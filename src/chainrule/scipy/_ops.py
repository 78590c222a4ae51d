"""The differentiable NumPy-level helpers ``chainrule.scipy`` is written with.

Why one module: the SciPy namespace reads as ``o.exp``, ``o.where``, ``o.log1p`` ... from one
place; everything here is ``chainrule.numpy``'s own function, plus two helpers of our own:
``max_const`` (a maximum taken as a constant, registered as ``scipy._ops.amax_const``: a
shift that cancels in every derivative, as in logsumexp) and small index helpers.

    >>> float(log1p(1e-20))
    1e-20
"""

from __future__ import annotations

import numpy as _np

import chainrule.numpy as cnp
from chainrule.core.batching import shift_axis
from chainrule.core.primitive import Primitive
from chainrule.transforms import stop_gradient

# Always present in the core namespace.
add, subtract, multiply, divide = cnp.add, cnp.subtract, cnp.multiply, cnp.divide
exp, log, sqrt, sin, cos, tanh = cnp.exp, cnp.log, cnp.sqrt, cnp.sin, cnp.cos, cnp.tanh
where, sign, absolute = cnp.where, cnp.sign, cnp.absolute
sum, reshape, transpose, swapaxes = cnp.sum, cnp.reshape, cnp.transpose, cnp.swapaxes
concatenate, stack, broadcast_to = cnp.concatenate, cnp.stack, cnp.broadcast_to
expand_dims, squeeze, matmul, moveaxis = cnp.expand_dims, cnp.squeeze, cnp.matmul, cnp.moveaxis
zeros_like, ones_like, asarray = cnp.zeros_like, cnp.ones_like, cnp.asarray
equal, less, greater, less_equal = cnp.equal, cnp.less, cnp.greater, cnp.less_equal


# Added to the NumPy namespace by its own family modules.
log1p, expm1, arctan = cnp.log1p, cnp.expm1, cnp.arctan
isfinite, floor, logical_and, conj = cnp.isfinite, cnp.floor, cnp.logical_and, cnp.conj


# --- a maximum taken as a constant ------------------------------------------------------------

def _amax_impl(x, axis=None, keepdims=False):
    return _np.max(x, axis=axis, keepdims=keepdims)


def _amax_batch(vals, dims, axis=None, keepdims=False):
    x = vals[0]
    return _amax_p(x, axis=shift_axis(axis, _np.ndim(x) - 1), keepdims=keepdims), 0


# No derivative: used only as a shift that cancels in every derivative (logsumexp).
_amax_p = Primitive("scipy._ops.amax_const", _amax_impl, nondiff=True)
_amax_p.defbatch(_amax_batch)


def max_const(x, axis=None, keepdims=False):
    """``max(x)`` as a constant (no derivative flows through it)."""
    if isinstance(axis, list):
        axis = tuple(axis)
    return _amax_p(stop_gradient(x), axis=axis, keepdims=keepdims)


# --- shape helpers ------------------------------------------------------------------------------

def flip(x, axis=None):
    """``numpy.flip``; differentiable."""
    return cnp.flip(x, axis=axis)


def getitem(x, idx):
    """``x[idx]`` with a static index; differentiable."""
    return cnp.getitem(x, idx=idx)


def diagonal(x):
    """The diagonal of the last two axes, ``x[..., i, i]``."""
    n = _np.shape(x)[-1]
    i = _np.arange(n)
    return cnp.getitem(x, idx=(Ellipsis, i, i))


def mT(x):
    return swapaxes(x, -1, -2)


def tril_mask(n, k=0, dtype=float):
    return _np.tri(n, n, k, dtype=dtype)


def triu_mask(n, k=0, dtype=float):
    return 1.0 - _np.tri(n, n, k - 1, dtype=dtype)


def as_float(x):
    """Promote integer or bool inputs to float64; floats and tracers pass unchanged."""
    if _is_tracer(x):
        return x
    x = _np.asarray(x)
    return x if _np.issubdtype(x.dtype, _np.inexact) else x.astype(float)


def _is_tracer(x):
    from chainrule.core.trace import Tracer

    return isinstance(x, Tracer)


__all__ = [
    "absolute", "add", "arctan", "as_float", "asarray", "broadcast_to", "concatenate", "conj",
    "cos", "diagonal", "divide", "equal", "exp", "expand_dims", "expm1", "flip", "floor",
    "greater", "isfinite", "less", "less_equal", "log", "log1p", "logical_and", "matmul",
    "max_const", "moveaxis", "mT", "multiply", "ones_like", "reshape", "sign", "sin", "sqrt",
    "squeeze", "stack", "subtract", "sum", "swapaxes", "tanh", "transpose", "tril_mask",
    "triu_mask", "where", "zeros_like",
]
