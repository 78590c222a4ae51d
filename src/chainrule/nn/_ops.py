"""Small differentiable building blocks for ``chainrule.nn``, written with public chainrule ops.

Why this module: the NumPy namespace grows while ``nn`` is written. Each helper here uses the
``chainrule.numpy`` function of the same name when it exists and otherwise a composite of
functions that do (``where``, ``exp``, ``log``, ``concatenate`` ...), so ``nn`` never depends on
what another family has shipped yet. ``stop_max`` is a non-differentiable primitive of our own:
the shift in a stable log-sum-exp cancels in every derivative, so it needs no rule at all.

    >>> import numpy
    >>> stop_max(numpy.array([[1.0, 3.0], [2.0, 0.0]]), axis=-1)
    array([[3.],
           [2.]])
"""

from __future__ import annotations

import numpy as _np

from .. import numpy as cnp
from ..core.batching import batch_elementwise
from ..core.primitive import Primitive
from ..core.trace import is_tracer
from ..rules.elementwise import _where_impl, masked


def _has(name: str) -> bool:
    return name in cnp.DIFFERENTIABLE


def _negative_axes(axis, ndim: int) -> tuple:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for an array of {ndim} dimensions")
        out.append(a - ndim if a >= 0 else a)
    return tuple(out)


def _stop_max_impl(x, axes=(-1,)):
    return _np.max(x, axis=axes, keepdims=True)


def _stop_max_batch(vals, dims, axes=(-1,)):
    # axes are negative, so a leading batch axis does not move them.
    return _stop_max_p(vals[0], axes=axes), dims[0]


_stop_max_p = Primitive("nn_stop_max", _stop_max_impl, nondiff=True)
_stop_max_p.defbatch(_stop_max_batch)


def stop_max(x, axis=-1):
    """``max(x, axis, keepdims=True)`` as a constant (no derivative flows through it)."""
    return _stop_max_p(x, axes=_negative_axes(axis, _np.ndim(x)))


def _relu_impl(x):
    return _np.maximum(x, 0)


def _relu_derivative(g, ans, x):
    # 1 where x > 0 (read from the output: ans > 0 exactly there), else 0, also at x = 0
    # (PyTorch's and JAX's convention; maximum(x, 0) would give 1/2 there).
    return masked(g, ans > 0)


# A primitive rather than where(x > 0, x, 0): NumPy's where runs ~8x slower than maximum on
# the random signs of a layer's pre-activations, and the tape keeps only the output.
_relu_p = Primitive("nn_relu", _relu_impl).defvjp(_relu_derivative).defjvp(_relu_derivative)
_relu_p.defresiduals(True, (False,))
_relu_p.defbatch(batch_elementwise(_relu_p))


def _leaky_relu_impl(x, slope):
    if 0.0 <= slope <= 1.0:  # max(x, slope * x) is x for x >= 0 and slope * x below
        return _np.maximum(x, slope * x)
    return _np.where(x > 0, x, slope * x)


def _leaky_relu_derivative(g, ans, x, slope):
    # 1 where x > 0, slope elsewhere (also at x = 0)
    m = x > 0
    if slope == 0.0:
        return masked(g, m)
    if type(g) is _np.ndarray and type(m) is _np.ndarray and g.dtype.kind in "fc":
        d = m.astype(g.dtype)  # 0/1 -> slope/1 in place: one product with g, exact for inf
        d *= 1.0 - slope
        d += slope
        return g * d
    return g * cnp.where(m, 1.0, slope)


# A primitive for a constant slope (a traced, learned slope takes the where composition).
_leaky_relu_p = Primitive("nn_leaky_relu", _leaky_relu_impl)
_leaky_relu_p.defvjp(_leaky_relu_derivative).defjvp(_leaky_relu_derivative)
_leaky_relu_p.defresiduals(False, (True,))
_leaky_relu_p.defbatch(batch_elementwise(_leaky_relu_p))


def _elu_impl(x, alpha):
    # no where (see relu): above 0 this is x + alpha * expm1(0) = x exactly, at and below
    # 0 it is 0 + alpha * expm1(x)
    return _np.maximum(x, 0) + alpha * _np.expm1(_np.minimum(x, 0))


def _elu_derivative(g, ans, x, alpha):
    # 1 where x > 0, alpha * exp(x) = ans + alpha elsewhere (also at 0)
    if type(x) is _np.ndarray and type(ans) is _np.ndarray:  # plain: the bitwise where
        return g * _where_impl(x > 0, 1.0, ans + alpha)
    return g * cnp.where(x > 0, 1.0, ans + alpha)


_elu_p = Primitive("nn_elu", _elu_impl).defvjp(_elu_derivative).defjvp(_elu_derivative)
_elu_p.defbatch(batch_elementwise(_elu_p))


def _constant(v) -> bool:
    """A number known now (a Python or NumPy scalar), not a traced or array value."""
    return isinstance(v, (int, float, _np.integer, _np.floating)) and not isinstance(v, bool)


def elu(x, alpha):
    if _constant(alpha):
        return _elu_p(x, alpha=float(alpha))
    return cnp.where(x > 0, x, alpha * expm1_negpart(x))


def leaky_relu(x, negative_slope):
    if _constant(negative_slope):
        return _leaky_relu_p(x, slope=float(negative_slope))
    return cnp.where(x > 0, x, negative_slope * x)


def softplus(x):
    """log(1 + exp(x)) without overflow: each branch sees only arguments it can exponentiate."""
    if _has("logaddexp"):
        return cnp.logaddexp(0.0, x)
    pos = x > 0
    xp = cnp.where(pos, x, 0.0)  # used where x > 0: exp(-xp) <= 1
    xn = cnp.where(pos, 0.0, x)  # used where x <= 0: exp(xn) <= 1
    log1p = cnp.log1p if _has("log1p") else (lambda t: cnp.log(1.0 + t))
    return cnp.where(pos, xp + log1p(cnp.exp(-xp)), log1p(cnp.exp(xn)))


def expm1_negpart(x):
    """exp(min(x, 0)) - 1: the ELU branch, finite for every x."""
    xn = cnp.where(x > 0, 0.0, x)
    if _has("expm1"):
        return cnp.expm1(xn)
    return cnp.exp(xn) - 1.0


def logsumexp(x, axis=-1, keepdims=False):
    """log(sum(exp(x))) along ``axis``, shifted by the (constant) max for stability."""
    c = stop_max(x, axis)
    out = cnp.log(cnp.sum(cnp.exp(x - c), axis=axis, keepdims=True)) + c
    if not keepdims:
        out = cnp.squeeze(out, axis=axis)
    return out


def pad_spatial(x, pads):
    """Zero-pad the trailing ``len(pads)`` axes of ``x``; ``pads`` is ((lo, hi), ...)."""
    if all(lo == 0 and hi == 0 for lo, hi in pads):
        return x
    shape = _np.shape(x)
    n = len(pads)
    if _has("pad"):
        full = [(0, 0)] * (len(shape) - n) + [tuple(p) for p in pads]
        return cnp.pad(x, full)
    dtype = cnp.result_type(x)
    for k, (lo, hi) in enumerate(pads):
        axis = len(shape) - n + k
        parts = []
        cur = _np.shape(x)
        if lo:
            parts.append(_np.zeros(cur[:axis] + (lo,) + cur[axis + 1:], dtype=dtype))
        parts.append(x)
        if hi:
            parts.append(_np.zeros(cur[:axis] + (hi,) + cur[axis + 1:], dtype=dtype))
        x = cnp.concatenate(parts, axis=axis)
    return x


def one_hot(labels, num_classes: int, dtype=_np.float64):
    """Integer labels of any shape -> one-hot rows (shape ``labels.shape + (num_classes,)``).

    Plain labels give a constant NumPy array; traced labels (integer labels batched by
    ``vmap``) go through ``equal``/``where``, which batch like any other op.
    """
    if is_tracer(labels):
        hit = cnp.expand_dims(labels, -1) == _np.arange(num_classes)
        return cnp.where(hit, _np.ones((), dtype), _np.zeros((), dtype))
    labels = _np.asarray(labels)
    if not _np.issubdtype(labels.dtype, _np.integer):
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes}), got values in "
                         f"[{labels.min()}, {labels.max()}]")
    return _np.eye(num_classes, dtype=dtype)[labels]
