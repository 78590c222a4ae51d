"""Activation functions, written in differentiable chainrule ops (so every order works).

Why composites and not primitives: each is a line of ``where``/``exp``/``tanh``; the core
differentiates them to any order and batches them under ``vmap`` with no rules of their own.
Each is written so that no branch overflows (``where`` evaluates both sides).

Conventions where the derivative is undefined: ``relu'(0) = 0``, ``leaky_relu'(0) = slope``,
``elu'(0) = alpha`` (the left derivative; equal to the right one for alpha = 1).

    >>> import numpy
    >>> relu(numpy.array([-1.0, 2.0]))
    array([0., 2.])
    >>> float(sigmoid(0.0))
    0.5
"""

from __future__ import annotations

import math

from .. import numpy as cnp
from ._ops import _relu_p, logsumexp, stop_max
from ._ops import elu as _elu
from ._ops import leaky_relu as _leaky_relu
from ._ops import softplus as _softplus

__all__ = ["elu", "gelu", "leaky_relu", "log_softmax", "logsumexp", "relu", "sigmoid", "silu",
           "softmax", "softplus", "tanh"]


def relu(x):
    """max(x, 0); derivative 0 at x = 0. NaN stays NaN (as in PyTorch and JAX), an integer
    array stays integer."""
    return _relu_p(x)  # one primitive: see _ops


def leaky_relu(x, negative_slope: float = 0.01):
    """x for x > 0, ``negative_slope * x`` otherwise (derivative ``negative_slope`` at 0).
    The slope may be a traced value (a learned slope)."""
    return _leaky_relu(x, negative_slope)


def elu(x, alpha: float = 1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise (the exponential never overflows)."""
    return _elu(x, alpha)


def sigmoid(x):
    """1 / (1 + exp(-x)), computed as (1 + tanh(x / 2)) / 2: stable for every x."""
    return 0.5 * (cnp.tanh(0.5 * x) + 1.0)


def tanh(x):
    return cnp.tanh(x)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return x * sigmoid(x)


def softplus(x):
    """log(1 + exp(x)), stable for large |x|."""
    return _softplus(x)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit, x * Phi(x).

    ``approximate=True`` (JAX's default) uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)));
    ``approximate=False`` uses erf from ``chainrule.scipy.special`` and needs it installed.
    """
    if approximate:
        return 0.5 * x * (1.0 + cnp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
    try:
        from ..scipy.special import erf
    except ImportError as e:  # pragma: no cover - depends on what is installed
        raise NotImplementedError("gelu(approximate=False) needs chainrule.scipy.special.erf; "
                                  "use approximate=True") from e
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis``; the max shift is a constant, so it is exact and stable."""
    c = stop_max(x, axis)
    z = x - c
    return z - cnp.log(cnp.sum(cnp.exp(z), axis=axis, keepdims=True))


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the max (no overflow)."""
    e = cnp.exp(x - stop_max(x, axis))
    return e / cnp.sum(e, axis=axis, keepdims=True)


ACTIVATIONS = {"relu": relu, "leaky_relu": leaky_relu, "elu": elu, "gelu": gelu, "silu": silu,
               "sigmoid": sigmoid, "tanh": tanh, "softplus": softplus, "identity": lambda x: x}


def get(name_or_fn):
    """An activation by name (``"relu"``) or the callable itself."""
    if callable(name_or_fn):
        return name_or_fn
    try:
        return ACTIVATIONS[name_or_fn]
    except KeyError:
        raise ValueError(f"unknown activation {name_or_fn!r}; choose one of "
                         f"{sorted(ACTIVATIONS)}") from None

