"""``chainrule.numpy.fft``: NumPy's discrete Fourier transforms, differentiable.

FFTs are linear, so each is declared linear with a hand-written transpose (see
``chainrule.rules.fft`` for the conventions: transposes, not adjoints; the Hermitian
weighting of ``irfft``). Plain ``numpy.fft.fft(x)`` on a traced ``x`` dispatches here too.

    >>> import numpy, chainrule
    >>> chainrule.grad(lambda x: numpy.sum(numpy.fft.irfft(x)))(numpy.ones(3) + 0j)
    array([1.+0.j, 0.+0.j, 0.+0.j])
"""

from __future__ import annotations

import numpy as _np

from ..core import tracer_ops as _tracer_ops
from ..rules import fft as _rules

DIFFERENTIABLE: list[str] = list(_rules.DIFFERENTIABLE)
NONDIFFERENTIABLE: list[str] = list(_rules.NONDIFFERENTIABLE)

globals().update({name: _rules.PUBLIC[name] for name in DIFFERENTIABLE + NONDIFFERENTIABLE})


def _fill_function_map() -> None:
    for name in DIFFERENTIABLE + NONDIFFERENTIABLE:
        np_fn = getattr(_np.fft, name, None)
        if np_fn is not None and callable(np_fn) and not isinstance(np_fn, _np.ufunc):
            _tracer_ops.function_map[np_fn] = _rules.PUBLIC[name]


_fill_function_map()

__all__ = DIFFERENTIABLE + NONDIFFERENTIABLE
