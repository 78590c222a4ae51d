"""``chainrule.numpy.linalg``: NumPy's linear algebra, differentiable (stacks of matrices too).

The rules live in ``chainrule.rules.linalg`` (inv, solve, det, slogdet, cholesky, eigh, eig,
svd, qr, pinv are primitives; norm, lstsq, matrix_power, multi_dot, tensorsolve, ... are
written with them). Plain ``numpy.linalg.inv(x)`` on a traced ``x`` dispatches here too.
Conventions (symmetric tangents, repeated eigenvalues, sign choices, norm at 0): see
``chainrule.rules.linalg`` and docs/linalg.md.

    >>> import numpy, chainrule
    >>> chainrule.grad(lambda a: numpy.linalg.slogdet(a)[1])(numpy.diag([2.0, 4.0]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
"""

from __future__ import annotations

import numpy as _np

from ..core import tracer_ops as _tracer_ops
from ..rules import linalg as _rules
from ..rules.linalg import (  # noqa: F401  (the result types NumPy returns)
    EighResult,
    EigResult,
    LinAlgError,
    QRResult,
    SlogdetResult,
    SVDResult,
)

DIFFERENTIABLE: list[str] = list(_rules.DIFFERENTIABLE)
NONDIFFERENTIABLE: list[str] = list(_rules.NONDIFFERENTIABLE)

globals().update({name: _rules.PUBLIC[name] for name in DIFFERENTIABLE + NONDIFFERENTIABLE})


def _fill_function_map() -> None:
    for name in DIFFERENTIABLE + NONDIFFERENTIABLE:
        np_fn = getattr(_np.linalg, name, None)
        if np_fn is not None and callable(np_fn) and not isinstance(np_fn, _np.ufunc):
            _tracer_ops.function_map[np_fn] = _rules.PUBLIC[name]


_fill_function_map()

__all__ = DIFFERENTIABLE + NONDIFFERENTIABLE + ["LinAlgError"]
