"""``vmap``: map a function over an axis of its arguments, one batched call per primitive.

    >>> import chainrule.numpy as cnp, numpy
    >>> vmap(lambda x: cnp.sum(x * x))(numpy.arange(6.0).reshape(3, 2))
    array([ 1., 13., 41.])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as _np

from ..core.batching import BatchTrace, BatchTracer, DiagonalBatch
from ..core.pytree import broadcast_prefix, tree_flatten, tree_paths, tree_unflatten


def _moveaxis(x, src, dst):
    if src == dst:
        return x
    from ..numpy import moveaxis

    return moveaxis(x, src, dst)


def _prefix(axes, args):
    if isinstance(axes, list):
        axes = tuple(axes)
    return broadcast_prefix(axes, args, "in_axes")


def vmap(f: Callable, in_axes=0, out_axes=0, axis_size: int | None = None) -> Callable:
    """Vectorize ``f`` over axis ``in_axes`` of its arguments (None: not mapped).

    ``in_axes`` is an int, None, or a tuple with one entry (itself a prefix tree) per
    positional argument; ``out_axes`` likewise for the outputs.
    """

    _check_axes_spec("in_axes", in_axes)
    _check_axes_spec("out_axes", out_axes)

    def batched(*args):
        leaves, td = tree_flatten(args)
        axes = ([in_axes] * len(leaves) if in_axes is None or isinstance(in_axes, int)
                else _prefix(in_axes, args))
        size = axis_size
        where = None
        paths = tree_paths(td)
        for path, x, ax in zip(paths, leaves, axes):
            if ax is None:
                continue
            shape = _np.shape(x)
            if not -len(shape) <= ax < len(shape) or not shape:
                raise ValueError(f"vmap: in_axes={ax} for argument {path} of shape {shape}, "
                                 "which has no such axis")
            n = shape[ax]
            if size is None:
                size, where = n, path
            elif n != size:
                raise ValueError(f"vmap: mapped axes differ in size: argument {path} has {n}, "
                                 f"{where or 'axis_size'} has {size}")
        if size is None:
            raise ValueError("vmap: no argument is mapped (all in_axes are None); pass axis_size")
        trace = BatchTrace(size)
        ins = [x if ax is None else BatchTracer(trace, _moveaxis(_asarray(x), ax, 0))
               for x, ax in zip(leaves, axes)]
        return _unbatch(f(*tree_unflatten(td, ins)), trace, out_axes)

    return batched


def _unbatch(out, trace: BatchTrace, out_axes=0):
    """The outputs of a batched call as arrays with the batch on axis ``out_axes``."""
    o_leaves, o_td = tree_flatten(out)
    o_axes = [out_axes] * len(o_leaves) if isinstance(out_axes, (int, type(None))) \
        else broadcast_prefix(out_axes, out, "out_axes")
    res = []
    for o, ax in zip(o_leaves, o_axes):
        mapped = type(o) is BatchTracer and o._trace is trace
        if ax is None:
            if mapped:
                raise ValueError("vmap: out_axes=None for an output that depends on the "
                                 "mapped axis")
            res.append(o)
            continue
        if mapped:
            v = o._val
            if type(v) is DiagonalBatch:
                v = v.materialize()
        else:
            v = _broadcast(o, trace.size)
        n = _np.ndim(v)
        if not -n <= ax < n:
            raise ValueError(f"vmap: out_axes={ax} for an output with {n} axes (batch included)")
        v = _moveaxis(v, 0, ax)
        if type(v) is _np.ndarray and not v.flags.writeable:
            v = v.copy()  # a broadcast view: the caller gets an array it may modify
        res.append(v)
    return tree_unflatten(o_td, res)


def vmap_over_identity(f: Callable, n: int, dtype, start: int = 0, stop: int | None = None):
    """``vmap(f)(eye(n)[start:stop])`` with the identity rows kept symbolic (a
    ``DiagonalBatch`` seed)."""
    stop = n if stop is None else stop
    trace = BatchTrace(stop - start)
    seed = DiagonalBatch(_np.ones(stop - start, dtype=dtype), start, n)
    return _unbatch(f(BatchTracer(trace, seed)), trace)


def _check_axes_spec(name: str, spec) -> None:
    """in_axes / out_axes: an int, None, or a (nested) tuple/list/dict of those."""
    if spec is None or (isinstance(spec, int) and not isinstance(spec, bool)):
        return
    if isinstance(spec, (tuple, list)):
        for s in spec:
            _check_axes_spec(name, s)
        return
    if isinstance(spec, dict):
        for s in spec.values():
            _check_axes_spec(name, s)
        return
    raise TypeError(f"vmap: {name} entries must be ints or None (or tuples/lists/dicts of "
                    f"them), got {spec!r}")


def _asarray(x):
    return x if hasattr(x, "shape") else _np.asarray(x)


def _broadcast(o, size):
    from ..numpy import broadcast_to

    return broadcast_to(o, (size,) + _np.shape(o))
