"""``chainrule.numpy.random``: NumPy's random functions, passed through without derivatives.

Why refuse traced parameters: a draw such as ``normal(loc, scale)`` has no pathwise derivative
in NumPy's sampler, and returning a zero would silently stop training (the classic trap).
So a traced ``loc``/``scale`` raises an error that names the argument and shows the
reparameterized form, whose derivative is exact:

    >>> import chainrule, numpy
    >>> from chainrule.numpy import random as rnd
    >>> rng = rnd.default_rng(0)
    >>> eps = rng.standard_normal(3)                     # the randomness: a constant
    >>> chainrule.grad(lambda loc: numpy.sum(loc + 2.0 * eps))(0.5)
    np.float64(3.0)

Draws with constant parameters pass through unchanged (same streams as NumPy's: seeding
``numpy.random`` or a ``default_rng`` gives NumPy's numbers). ``permutation`` and ``choice``
of a traced array are differentiable in that array (a random index, then a differentiable
gather); ``shuffle`` (in place) refuses a traced array.
"""

from __future__ import annotations

import functools
import inspect

import numpy as _np

from ..core.staging import note_impure
from ..core.trace import Tracer

# Reparameterized forms, shown in the error for a traced parameter.
_HINTS = {
    "normal": "loc + scale * standard_normal(size)",
    "uniform": "low + (high - low) * random(size)",
    "exponential": "scale * standard_exponential(size)",
    "lognormal": "exp(mean + sigma * standard_normal(size))",
    "laplace": "loc + scale * laplace(0.0, 1.0, size)",
    "gumbel": "loc + scale * gumbel(0.0, 1.0, size)",
    "logistic": "loc + scale * logistic(0.0, 1.0, size)",
    "rayleigh": "scale * rayleigh(1.0, size)",
    "weibull": "standard_exponential(size) ** (1 / a)",
    "pareto": "expm1(standard_exponential(size) / a)",
    "power": "random(size) ** (1 / a)",
    "standard_t": "standard_normal(size) / sqrt(chisquare(df, size) / df) with a constant df",
    "gamma": "scale * standard_gamma(shape, size) (differentiable in scale; shape must be a "
             "constant)",
    "multivariate_normal": "mean + standard_normal(size + (n,)) @ cholesky(cov).T",
    "triangular": "left + (right - left) * triangular(0.0, mode_fraction, 1.0, size) with a "
                  "constant mode_fraction",
}
_GENERIC = ("it has no reparameterized form here, so its parameters must be constants "
            "(chainrule.stop_gradient(x) makes a constant when the cut is intended)")


def _contains_tracer(x) -> bool:
    if isinstance(x, Tracer):
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_tracer(v) for v in x)
    return False


def _traced_argument(sig, args, kwargs):
    """The name of the first argument holding a traced value, or None."""
    names = []
    if sig is not None:
        names = list(sig.parameters)
    for i, a in enumerate(args):
        if _contains_tracer(a):
            return names[i] if i < len(names) else f"#{i}"
    for k, v in kwargs.items():
        if _contains_tracer(v):
            return k
    return None


def _message(where, name, arg):
    hint = _HINTS.get(name)
    how = (f"write the draw in reparameterized form, {hint}, whose derivative is exact; or pass "
           f"a constant (chainrule.stop_gradient) when no derivative is wanted" if hint
           else _GENERIC)
    return (f"{where}.{name}: argument '{arg}' is a traced value, but a random draw has no "
            f"derivative with respect to its parameters here (it would silently be zero); {how}.")


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _checked(fn, name, where):
    sig = _signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        arg = _traced_argument(sig, args, kwargs)
        if arg is not None:
            raise TypeError(_message(where, name, arg))
        note_impure(f"a random draw ({where}.{name})")  # jit could replay only this draw
        return fn(*args, **kwargs)

    return wrapper


def _take(x, idx, axis=0):
    nd = len(x.shape)
    return x[(slice(None),) * (axis % nd) + (idx,)]


# --- module-level functions ----------------------------------------------------------------

_FUNCTIONS = [n for n in _np.random.__all__
              if callable(getattr(_np.random, n)) and not isinstance(getattr(_np.random, n), type)
              and n != "default_rng"]
_CLASSES = ["BitGenerator", "MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64", "SeedSequence"]

for _name in _FUNCTIONS:
    globals()[_name] = _checked(getattr(_np.random, _name), _name, "numpy.random")
for _name in _CLASSES:
    globals()[_name] = getattr(_np.random, _name)


def permutation(x):
    """``numpy.random.permutation``; differentiable in a traced array ``x`` (the order is
    drawn from NumPy's global stream exactly as NumPy would)."""
    note_impure("a random draw (numpy.random.permutation)")
    if isinstance(x, Tracer):
        return _take(x, _np.random.permutation(x.shape[0]))
    return _np.random.permutation(x)


def choice(a, size=None, replace=True, p=None):
    """``numpy.random.choice``; differentiable in a traced array ``a`` (not in ``p``)."""
    if _contains_tracer(p):
        raise TypeError(_message("numpy.random", "choice", "p")
                        + " (a discrete draw has no pathwise derivative in its probabilities)")
    note_impure("a random draw (numpy.random.choice)")
    if isinstance(a, Tracer):
        if len(a.shape) != 1:
            raise ValueError("numpy.random.choice: a must be 1-dimensional")
        return _take(a, _np.random.choice(a.shape[0], size, replace, p))
    return _np.random.choice(a, size, replace, p)


def shuffle(x):
    """``numpy.random.shuffle`` (in place); refuses a traced array."""
    if isinstance(x, Tracer):
        raise TypeError("numpy.random.shuffle: cannot shuffle a traced array in place; use the "
                        "functional form x = x[permutation(len(x))] (differentiable in x).")
    return _np.random.shuffle(x)


# --- Generator and RandomState: NumPy's classes with checked methods --------------------------

_NO_PARAMS = {"bit_generator", "spawn", "bytes", "get_state", "set_state", "seed", "tomaxint"}


def _install_checked_methods(cls, base, where):
    for name in dir(base):
        if name.startswith("_") or name in _NO_PARAMS or name in cls.__dict__:
            continue
        fn = getattr(base, name)
        if callable(fn):
            setattr(cls, name, _checked(fn, name, where))


class Generator(_np.random.Generator):
    """``numpy.random.Generator`` whose draws refuse traced parameters with a clear error
    (see the module docstring); ``permutation``/``choice`` of a traced array are
    differentiable in that array."""

    def permutation(self, x, axis=0):
        note_impure("a random draw (Generator.permutation)")
        if isinstance(x, Tracer):
            return _take(x, _np.random.Generator.permutation(self, x.shape[axis]), axis)
        return _np.random.Generator.permutation(self, x, axis)

    def choice(self, a, size=None, replace=True, p=None, axis=0, shuffle=True):
        if _contains_tracer(p):
            raise TypeError(_message("Generator", "choice", "p")
                            + " (a discrete draw has no pathwise derivative in its "
                            "probabilities)")
        note_impure("a random draw (Generator.choice)")
        if isinstance(a, Tracer):
            idx = _np.random.Generator.choice(self, a.shape[axis], size, replace, p, 0, shuffle)
            return _take(a, idx, axis)
        return _np.random.Generator.choice(self, a, size, replace, p, axis, shuffle)

    def shuffle(self, x, axis=0):
        if isinstance(x, Tracer):
            raise TypeError("Generator.shuffle: cannot shuffle a traced array in place; use the "
                            "functional form x = rng.permutation(x) (differentiable in x).")
        return _np.random.Generator.shuffle(self, x, axis)


class RandomState(_np.random.RandomState):
    """``numpy.random.RandomState`` whose draws refuse traced parameters with a clear error."""

    def permutation(self, x):
        note_impure("a random draw (RandomState.permutation)")
        if isinstance(x, Tracer):
            return _take(x, _np.random.RandomState.permutation(self, x.shape[0]))
        return _np.random.RandomState.permutation(self, x)

    def choice(self, a, size=None, replace=True, p=None):
        if _contains_tracer(p):
            raise TypeError(_message("RandomState", "choice", "p"))
        note_impure("a random draw (RandomState.choice)")
        if isinstance(a, Tracer):
            if len(a.shape) != 1:
                raise ValueError("RandomState.choice: a must be 1-dimensional")
            return _take(a, _np.random.RandomState.choice(self, a.shape[0], size, replace, p))
        return _np.random.RandomState.choice(self, a, size, replace, p)

    def shuffle(self, x):
        if isinstance(x, Tracer):
            raise TypeError("RandomState.shuffle: cannot shuffle a traced array in place; use "
                            "x = x[rs.permutation(len(x))] (differentiable in x).")
        return _np.random.RandomState.shuffle(self, x)


_install_checked_methods(Generator, _np.random.Generator, "Generator")
_install_checked_methods(RandomState, _np.random.RandomState, "RandomState")


def default_rng(seed=None):
    """``numpy.random.default_rng``: the same stream as NumPy's, as a checked ``Generator``."""
    if isinstance(seed, Generator):
        return seed
    return Generator(_np.random.default_rng(seed).bit_generator)


DIFFERENTIABLE = ["choice", "permutation"]
NONDIFFERENTIABLE = sorted(
    [n for n in _FUNCTIONS if n not in DIFFERENTIABLE]
    + _CLASSES + ["Generator", "RandomState", "default_rng"])

__all__ = DIFFERENTIABLE + NONDIFFERENTIABLE
del _name
