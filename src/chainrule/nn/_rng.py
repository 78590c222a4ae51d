"""Explicit randomness for initializers and dropout.

An ``rng`` argument is an integer seed, a ``numpy.random.SeedSequence``, a
``numpy.random.Generator``, or a *key*: an array of unsigned integers (``new_key``). Integer
seeds and keys make results reproducible call by call; ``split`` gives independent child
streams (one per layer) so that layers never share random numbers. A key may be traced:
its draws go through primitives that take it as an argument, so ``chainrule.jit`` replays
them with each call's key (fresh masks for every training step), where a ``Generator``'s
advancing state refuses the recording.

    >>> a, b = split(0, 2)
    >>> bool(a.standard_normal() != b.standard_normal())
    True
"""

from __future__ import annotations

import numpy as _np

from ..core.primitive import nondiff_primitive
from ..core.staging import note_impure


def generator(rng) -> _np.random.Generator:
    """A ``numpy.random.Generator`` from a seed, SeedSequence, key or Generator (returned as
    is)."""
    if isinstance(rng, _np.random.Generator):
        note_impure("a random draw (a Generator's state advances: jit could replay only this "
                    "draw)")
        return rng
    if rng is None:
        raise ValueError("an rng is required: pass an integer seed or a numpy Generator")
    if isinstance(rng, (int, _np.integer, _np.random.SeedSequence)):
        return _np.random.default_rng(rng)
    if is_key(rng):  # (a traced key's values are read here: jit refuses, as it should)
        return _key_generator(rng)
    raise TypeError(f"rng must be an integer seed, a SeedSequence, a key or a numpy Generator, "
                    f"got {type(rng).__name__}")


def split(rng, n: int) -> list:
    """``n`` independent Generators derived from ``rng`` (deterministic for a seed); for a key,
    ``n`` keys (the rows of an ``(n, 4)`` array)."""
    if is_key(rng):
        return _split_key(rng, n=n)
    if isinstance(rng, _np.random.Generator):
        return list(rng.spawn(n))
    if isinstance(rng, (int, _np.integer)):
        rng = _np.random.SeedSequence(int(rng))
    if isinstance(rng, _np.random.SeedSequence):
        return [_np.random.default_rng(s) for s in rng.spawn(n)]
    return split(generator(rng), n)


# --- keys: randomness as data ------------------------------------------------------------

_KEY_WORDS = 4


def new_key(rng) -> _np.ndarray:
    """A fresh key (uint32 array of 4 words) drawn from ``rng`` (seed, Generator, ...)."""
    return generator(rng).integers(0, 1 << 32, size=_KEY_WORDS, dtype=_np.uint32)


def is_key(rng) -> bool:
    """Is ``rng`` a key: an unsigned-integer array (possibly traced) of 4 words?"""
    if isinstance(rng, (int, _np.integer)) or rng is None:
        return False
    dt = getattr(rng, "dtype", None)
    return dt is not None and _np.dtype(dt).kind == "u" and tuple(rng.shape) == (_KEY_WORDS,)


def uniform(rng, shape) -> _np.ndarray:
    """Uniform [0, 1) floats of ``shape`` from ``rng`` (a key's draw is a primitive call)."""
    if is_key(rng):
        return _uniform_from_key(rng, shape=tuple(shape))
    return generator(rng).random(shape)


def _seed_sequence(key) -> _np.random.SeedSequence:
    return _np.random.SeedSequence(_np.asarray(key).tolist())


def _key_generator(key):
    return _np.random.default_rng(_seed_sequence(key))


def _uniform_impl(key, shape):
    return _key_generator(key).random(shape)


def _split_impl(key, n):
    children = _seed_sequence(key).spawn(n)
    return _np.stack([s.generate_state(_KEY_WORDS, _np.uint32) for s in children])


_uniform_from_key = nondiff_primitive("nn.uniform_from_key", _uniform_impl)
_split_key = nondiff_primitive("nn.split_key", _split_impl)
