"""Weight initializers: Glorot (Xavier), He (Kaiming) and LeCun, uniform and normal, seeded.

Every initializer has the signature ``init(rng, shape, dtype=float64) -> ndarray`` where
``rng`` is an integer seed or a ``numpy.random.Generator``. Fans follow the layouts used in
``chainrule.nn``: a Dense weight is ``(fan_in, fan_out)``; a convolution weight is
``(out_channels, in_channels, *kernel)``, so fan_in = in_channels * prod(kernel) and
fan_out = out_channels * prod(kernel) (PyTorch's layout).

The variance is ``scale / n`` with n = fan_in, fan_out or their mean: uniform draws come from
[-sqrt(3 scale / n), sqrt(3 scale / n)], normal draws from N(0, scale / n) (not truncated).

    >>> w = he_normal(0, (256, 128))
    >>> round(float(w.var() * 256), 1)   # 2 / fan_in
    2.0
"""

from __future__ import annotations

import math

import numpy as _np

from ._rng import generator

__all__ = ["constant", "fans", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
           "lecun_normal", "lecun_uniform", "normal", "ones", "uniform", "variance_scaling",
           "xavier_normal", "xavier_uniform", "zeros"]


def fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of this shape (see the module docstring for layouts)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def variance_scaling(scale: float, mode: str, distribution: str):
    """An initializer with variance ``scale / n``; ``mode`` picks n, ``distribution`` the law."""
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
    if distribution not in ("uniform", "normal"):
        raise ValueError(f"distribution must be 'uniform' or 'normal', got {distribution!r}")

    def init(rng, shape, dtype=_np.float64):
        fan_in, fan_out = fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        var = scale / max(n, 1)
        g = generator(rng)
        if distribution == "uniform":
            lim = math.sqrt(3.0 * var)
            return g.uniform(-lim, lim, size=shape).astype(dtype)
        return (g.standard_normal(size=shape) * math.sqrt(var)).astype(dtype)

    init.__name__ = f"variance_scaling_{scale}_{mode}_{distribution}"
    return init


def _named(init, name: str, doc: str):
    init.__name__, init.__doc__ = name, doc
    return init


glorot_uniform = _named(variance_scaling(1.0, "fan_avg", "uniform"), "glorot_uniform",
                        "Glorot/Xavier uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)).")
glorot_normal = _named(variance_scaling(1.0, "fan_avg", "normal"), "glorot_normal",
                       "Glorot/Xavier normal: N(0, 2 / (fan_in + fan_out)).")
he_uniform = _named(variance_scaling(2.0, "fan_in", "uniform"), "he_uniform",
                    "He/Kaiming uniform: U(-a, a), a = sqrt(6 / fan_in) (for ReLU nets).")
he_normal = _named(variance_scaling(2.0, "fan_in", "normal"), "he_normal",
                   "He/Kaiming normal: N(0, 2 / fan_in) (for ReLU nets).")
lecun_uniform = _named(variance_scaling(1.0, "fan_in", "uniform"), "lecun_uniform",
                       "LeCun uniform: U(-a, a), a = sqrt(3 / fan_in).")
lecun_normal = _named(variance_scaling(1.0, "fan_in", "normal"), "lecun_normal",
                      "LeCun normal: N(0, 1 / fan_in) (for SELU / tanh nets).")
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal


def zeros(rng, shape, dtype=_np.float64):
    return _np.zeros(shape, dtype=dtype)


def ones(rng, shape, dtype=_np.float64):
    return _np.ones(shape, dtype=dtype)


def constant(value: float):
    """An initializer filling with ``value``."""
    def init(rng, shape, dtype=_np.float64):
        return _np.full(shape, value, dtype=dtype)
    return init


def normal(stddev: float = 1.0):
    """An initializer drawing from N(0, stddev^2)."""
    def init(rng, shape, dtype=_np.float64):
        return (generator(rng).standard_normal(size=shape) * stddev).astype(dtype)
    return init


def uniform(scale: float = 1.0):
    """An initializer drawing from U(-scale, scale)."""
    def init(rng, shape, dtype=_np.float64):
        return generator(rng).uniform(-scale, scale, size=shape).astype(dtype)
    return init


INITIALIZERS = {"glorot_uniform": glorot_uniform, "glorot_normal": glorot_normal,
                "xavier_uniform": glorot_uniform, "xavier_normal": glorot_normal,
                "he_uniform": he_uniform, "he_normal": he_normal,
                "lecun_uniform": lecun_uniform, "lecun_normal": lecun_normal,
                "zeros": zeros, "ones": ones}


def get(name_or_fn):
    if callable(name_or_fn):
        return name_or_fn
    try:
        return INITIALIZERS[name_or_fn]
    except KeyError:
        raise ValueError(f"unknown initializer {name_or_fn!r}; choose one of "
                         f"{sorted(INITIALIZERS)}") from None
