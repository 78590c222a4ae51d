"""``chainrule.numpy``: NumPy's functions, differentiable.

The namespace is assembled from the rule families in ``chainrule.rules``, each with two
explicit lists: ``DIFFERENTIABLE`` (wrapped with rules) and ``NONDIFFERENTIABLE`` (passed
through: their outputs carry no derivative). A test fails on a public name in neither.
Plain ``numpy`` calls on traced values dispatch here too.

    >>> import chainrule.numpy as cnp, chainrule
    >>> chainrule.grad(lambda x: cnp.sum(cnp.tanh(x)))(cnp.zeros(2))
    array([1., 1.])
"""

from __future__ import annotations

import numpy as _np

# Constants and dtypes, exactly NumPy's.
from numpy import (  # noqa: F401
    bool_,
    complex64,
    complex128,
    dtype,
    e,
    euler_gamma,
    float16,
    float32,
    float64,
    inf,
    int8,
    int16,
    int32,
    int64,
    intp,
    nan,
    newaxis,
    pi,
    uint8,
    uint16,
    uint32,
    uint64,
)

from ..core import tracer_ops as _tracer_ops
from ..rules import NUMPY_FAMILIES as _FAMILIES

DIFFERENTIABLE: list[str] = []
NONDIFFERENTIABLE: list[str] = []
for _fam in _FAMILIES:
    for _name in _fam.DIFFERENTIABLE:
        globals()[_name] = getattr(_fam, _name)
    for _name in _fam.NONDIFFERENTIABLE:
        globals()[_name] = getattr(_fam, _name)
    DIFFERENTIABLE += _fam.DIFFERENTIABLE
    NONDIFFERENTIABLE += _fam.NONDIFFERENTIABLE

# Internal entry points used by tracer methods (x[idx], x.flatten()).
from ..rules.shape import index as getitem  # noqa: E402,F401
from ..rules.shape import ravel as flatten  # noqa: E402,F401
from ..rules.utilities import NOT_PROVIDED  # noqa: E402,F401


def _fill_function_map() -> None:
    g = globals()
    for name in DIFFERENTIABLE + NONDIFFERENTIABLE:
        np_fn = getattr(_np, name, None)
        if np_fn is not None and callable(np_fn) and not isinstance(np_fn, _np.ufunc):
            _tracer_ops.function_map[np_fn] = g[name]


_fill_function_map()
del _fam, _name

from . import fft, linalg, random  # noqa: E402,F401  (public submodules)

del annotations
