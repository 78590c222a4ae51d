"""Explicit randomness for initializers and dropout.

An ``rng`` argument is an integer seed, a ``numpy.random.SeedSequence`` or a
``numpy.random.Generator``. Integer seeds make results reproducible call by call; ``split``
gives independent child streams (one per layer) so that layers never share random numbers.

    >>> a, b = split(0, 2)
    >>> bool(a.standard_normal() != b.standard_normal())
    True
"""

from __future__ import annotations

import numpy as _np

from ..core.staging import note_impure


def generator(rng) -> _np.random.Generator:
    """A ``numpy.random.Generator`` from a seed, SeedSequence or Generator (returned as is)."""
    if isinstance(rng, _np.random.Generator):
        note_impure("a random draw (a Generator's state advances: jit could replay only this "
                    "draw)")
        return rng
    if rng is None:
        raise ValueError("an rng is required: pass an integer seed or a numpy Generator")
    if isinstance(rng, (int, _np.integer, _np.random.SeedSequence)):
        return _np.random.default_rng(rng)
    raise TypeError(f"rng must be an integer seed, a SeedSequence or a numpy Generator, "
                    f"got {type(rng).__name__}")


def split(rng, n: int) -> list:
    """``n`` independent Generators derived from ``rng`` (deterministic for a seed)."""
    if isinstance(rng, _np.random.Generator):
        return list(rng.spawn(n))
    if isinstance(rng, (int, _np.integer)):
        rng = _np.random.SeedSequence(int(rng))
    if isinstance(rng, _np.random.SeedSequence):
        return [_np.random.default_rng(s) for s in rng.spawn(n)]
    return split(generator(rng), n)
