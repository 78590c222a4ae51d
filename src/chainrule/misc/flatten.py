"""``flatten``: a nest of tuples, lists and dicts of arrays as one vector, and back.

Why: optimizers, samplers and ``scipy.optimize`` want one flat vector, models keep parameters
in nested containers. ``flatten`` returns the vector and an ``unflatten`` that rebuilds the
nest; both are written in chainrule's differentiable functions, so they work on traced values
too. Order as in autograd: tuples and lists in order, dicts by sorted key, each leaf raveled
in C order. ``unflatten`` gives every leaf back as an array of its original shape and dtype,
and dicts with their original key order.

    >>> import numpy
    >>> vec, unflatten = flatten({"b": numpy.ones(2), "a": (3.0, numpy.zeros((1, 2)))})
    >>> vec
    array([3., 0., 0., 1., 1.])
    >>> unflatten(vec * 2)["a"]
    (array(6.), array([[0., 0.]]))
"""

from __future__ import annotations

import numpy as _np

from .. import numpy as _cnp
from ..core.pytree import _node_of, _node_of_type
from ..core.trace import Tracer


class _Leaf:
    __slots__ = ("shape", "dtype", "size")

    def __init__(self, x) -> None:
        self.shape = tuple(_np.shape(x))
        self.dtype = x.dtype if isinstance(x, Tracer) else _np.result_type(x)
        self.size = int(_np.prod(self.shape, dtype=_np.int64))


def _walk(value, pieces: list):
    """Append the raveled leaves of ``value`` to ``pieces``; return its structure."""
    t = type(value)
    if t is list or t is tuple:
        return (t, [_walk(v, pieces) for v in value])
    if t is dict:
        return (dict, list(value), {k: _walk(value[k], pieces) for k in sorted(value)})
    if value is None:
        return (None,)
    kind, fns = _node_of(value)
    if kind is not None:  # namedtuples and registered pytree nodes
        children, aux = fns[0](value)
        return (kind, aux, [_walk(c, pieces) for c in children])
    leaf = _Leaf(value)
    pieces.append(_cnp.ravel(value))
    return leaf


def _rebuild(struct, vector, pos: list):
    if isinstance(struct, _Leaf):
        start = pos[0]
        pos[0] += struct.size
        piece = _cnp.reshape(vector[start:pos[0]], struct.shape)
        if _np.result_type(piece) != struct.dtype:
            piece = _cnp.astype(piece, struct.dtype)
        return piece
    kind = struct[0]
    if kind is list or kind is tuple:
        return kind(_rebuild(s, vector, pos) for s in struct[1])
    if kind is dict:
        _, keys, children = struct
        built = {k: _rebuild(children[k], vector, pos) for k in sorted(children)}
        return {k: built[k] for k in keys}
    if kind is None:
        return None
    _, aux, children = struct
    return _node_of_type(kind)[1][1](aux, [_rebuild(s, vector, pos) for s in children])


def flatten(value):
    """``(vector, unflatten)``: the leaves of ``value`` raveled into one 1-D array, and the
    function that rebuilds ``value``'s structure from such a vector."""
    pieces: list = []
    struct = _walk(value, pieces)
    if not pieces:
        vector = _np.array([])
    elif len(pieces) == 1:
        vector = pieces[0]
        if not isinstance(vector, Tracer):
            vector = _np.array(vector)  # a copy: the vector never aliases the caller's array
    else:
        vector = _cnp.concatenate(pieces)
    n = sum(p.size for p in _leaves(struct))

    def unflatten(v):
        if not isinstance(v, Tracer):
            v = _np.asarray(v)
        if _np.shape(v) != (n,):
            raise ValueError(f"unflatten: expected a vector of shape ({n},), got "
                             f"{_np.shape(v)}")
        return _rebuild(struct, v, [0])

    return vector, unflatten


def _leaves(struct):
    if isinstance(struct, _Leaf):
        yield struct
        return
    kind = struct[0]
    if kind is None:
        return
    children = struct[2].values() if kind is dict else struct[-1]
    for s in children:
        yield from _leaves(s)


def flatten_func(func, example):
    """``(flat_func, unflatten, flat_example)``: ``flat_func(vector, *args)`` is ``func`` on the
    unflattened vector with its result flattened (autograd's ``flatten_func``)."""
    flat_example, unflatten = flatten(example)

    def flat_func(x, *args):
        return flatten(func(unflatten(x), *args))[0]

    return flat_func, unflatten, flat_example


__all__ = ["flatten", "flatten_func"]
