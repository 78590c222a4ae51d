"""Shape, assembly and indexing primitives. All are linear: each gives only its transpose.

    >>> reshape(numpy.arange(6), shape=(2, 3)).shape
    (2, 3)
"""

from __future__ import annotations

import numpy as _np

from ..core.batching import example_ndim, loop_batch, materialize
from ..core.primitive import PerArgRules, Primitive, deflinear
from ..core.trace import getval
from ._util import unbroadcast

numpy = _np  # for the doctest


def _linear(name, impl, transpose, batch):
    p = Primitive(name, impl)
    deflinear(p, transpose)
    p.defbatch(batch)
    return p


# --- reshape / transpose / moveaxis / broadcast_to ---------------------------------------

def _reshape_impl(x, shape):
    return _np.reshape(x, shape)


_reshape_p = _linear(
    "reshape", _reshape_impl,
    lambda g, ans, x, shape: reshape(g, shape=_np.shape(x)),
    lambda vals, dims, shape: (reshape(vals[0], shape=_np.shape(vals[0])[:1] + tuple(shape)), 0),
)


def _transpose_impl(x, axes=None):
    return _np.transpose(x, axes)


def _transpose_vjp(g, ans, x, axes=None):
    return transpose(g, axes=None if axes is None else tuple(_np.argsort(axes)))


def _transpose_batch(vals, dims, axes=None):
    x = vals[0]
    n = _np.ndim(x) - 1
    axes = tuple(range(n))[::-1] if axes is None else tuple(a % n for a in axes)
    return transpose(x, axes=(0,) + tuple(a + 1 for a in axes)), 0


_transpose_p = _linear("transpose", _transpose_impl, _transpose_vjp, _transpose_batch)


def _moveaxis_impl(x, source, destination):
    return _np.moveaxis(x, source, destination)


def _moveaxis_batch(vals, dims, source, destination):
    x = vals[0]
    n = _np.ndim(x) - 1

    def shift(a):
        return tuple(i % n + 1 for i in a) if isinstance(a, tuple) else a % n + 1

    return moveaxis(x, source=shift(source), destination=shift(destination)), 0


_moveaxis_p = _linear(
    "moveaxis", _moveaxis_impl,
    lambda g, ans, x, source, destination: moveaxis(g, source=destination, destination=source),
    _moveaxis_batch,
)


def _broadcast_to_impl(x, shape):
    return _np.broadcast_to(x, shape)


def _broadcast_to_batch(vals, dims, shape):
    x = vals[0]
    k = _np.ndim(x) - 1
    s = _np.shape(x)
    if k < len(shape):
        x = reshape(x, shape=s[:1] + (1,) * (len(shape) - k) + s[1:])
    return broadcast_to(x, shape=(s[0],) + tuple(shape)), 0


_broadcast_to_p = _linear(
    "broadcast_to", _broadcast_to_impl,
    lambda g, ans, x, shape: unbroadcast(g, x),
    _broadcast_to_batch,
)


# --- stack / concatenate -------------------------------------------------------------------

def _stack_impl(*xs, axis=0):
    return _np.stack(xs, axis=axis)


def _unstack(g, i, axis):
    return take_index(g, index=i, axis=axis)


def _stack_vjp(i):
    return lambda g, ans, *xs, axis=0: _unstack(g, i, axis)


def _stack_batch(vals, dims, axis=0):
    size = next(_np.shape(v)[0] for v, d in zip(vals, dims) if d is not None)
    n = example_ndim(vals[0], dims[0]) + 1
    xs = [materialize(v, d, size) for v, d in zip(vals, dims)]
    return stack_p(*xs, axis=axis % n + 1), 0


def _variadic_linear(name, impl, vjp_of, batch):
    p = Primitive(name, impl)

    def jvp_of(i):
        def jvp(g, ans, *xs, **params):
            xs = [zeros_like(x) for x in xs]
            xs[i] = g
            return p(*xs, **params)

        return jvp

    p.vjps = PerArgRules(vjp_of)
    p.jvps = PerArgRules(jvp_of)
    p.defbatch(batch)
    return p


stack_p = _variadic_linear("stack", _stack_impl, _stack_vjp, _stack_batch)


def stack(arrays, axis=0):
    """``numpy.stack``; differentiable in every array."""
    return stack_p(*arrays, axis=axis)


def _concatenate_impl(*xs, axis=0):
    return _np.concatenate(xs, axis=axis)


def _concat_vjp(i):
    def vjp(g, ans, *xs, axis=0):
        ax = axis % _np.ndim(ans)
        start = 0
        for x in xs[:i]:
            start += _np.shape(x)[ax]
        idx = (slice(None),) * ax + (slice(start, start + _np.shape(xs[i])[ax]),)
        return getitem(g, idx=idx)

    return vjp


def _concat_batch(vals, dims, axis=0):
    size = next(_np.shape(v)[0] for v, d in zip(vals, dims) if d is not None)
    n = example_ndim(vals[0], dims[0])
    xs = [materialize(v, d, size) for v, d in zip(vals, dims)]
    return concatenate_p(*xs, axis=axis % n + 1), 0


concatenate_p = _variadic_linear("concatenate", _concatenate_impl, _concat_vjp, _concat_batch)


def concatenate(arrays, axis=0):
    """``numpy.concatenate``; differentiable in every array."""
    if axis is None:
        arrays = [reshape(a, shape=(-1,)) for a in arrays]
        axis = 0
    return concatenate_p(*arrays, axis=axis)


# --- indexing ------------------------------------------------------------------------------

def _getitem_impl(x, idx):
    return x[idx]


def _batch_index(idx):
    """Prefix an index with a full slice for the batch axis, or None when that would move it."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    adv = [i for i, k in enumerate(idx)
           if not (k is None or k is Ellipsis or isinstance(k, (slice, int, _np.integer)))]
    if adv and adv != list(range(adv[0], adv[-1] + 1)):
        return None  # separated advanced indices: NumPy moves their axes to the front
    return (slice(None),) + idx


def _getitem_batch(vals, dims, idx):
    x = vals[0]
    bidx = _batch_index(idx)
    if bidx is None or any(type(k) is bool for k in (idx if isinstance(idx, tuple) else (idx,))):
        return loop_batch(getitem)(vals, dims, idx=idx)
    return getitem(x, idx=bidx), 0


getitem = _linear(
    "getitem", _getitem_impl,
    lambda g, ans, x, idx: index_add(zeros_like(x), g, idx=idx),
    _getitem_batch,
)


def take_index(x, index, axis):
    """``x`` at integer ``index`` along ``axis`` (a getitem with a static index)."""
    ax = axis % _np.ndim(x)
    return getitem(x, idx=(slice(None),) * ax + (index,))


def _index_add_impl(x, v, idx):
    out = _np.copy(x)  # np.copy keeps the array type (NEP-18)
    _np.add.at(out, idx, v)
    return out


def _index_update_batch(prim):
    def rule(vals, dims, idx):
        size = next(_np.shape(v)[0] for v, d in zip(vals, dims) if d is not None)
        x = materialize(vals[0], dims[0], size)
        bidx = _batch_index(idx)
        v = vals[1]
        if bidx is None:
                return loop_batch(prim)(vals, dims, idx=idx)
        if dims[1] is not None:
            # the batch axis of v must line up with the batch axis of x[bidx]
            target = _np.shape(getitem(x, idx=bidx))
            k = example_ndim(v, 0)
            if k < len(target) - 1:
                s = _np.shape(v)
                v = reshape(v, shape=s[:1] + (1,) * (len(target) - 1 - k) + s[1:])
        return prim(x, v, idx=bidx), 0

    return rule


index_add = Primitive("index_add", _index_add_impl)  # jointly linear in x and v
index_add.defvjp(lambda g, ans, x, v, idx: g,
                 lambda g, ans, x, v, idx: unbroadcast(getitem(g, idx=idx), v))
index_add.defjvp(lambda g, ans, x, v, idx: g,
                 lambda g, ans, x, v, idx: index_add(zeros_like(x), g, idx=idx))
index_add.defbatch(_index_update_batch(index_add))


def _index_set_impl(x, v, idx):
    out = _np.copy(x)  # np.copy keeps the array type (NEP-18)
    out[idx] = v
    return out


index_set = Primitive("index_set", _index_set_impl)
index_set.defvjp(
    lambda g, ans, x, v, idx: index_set(g, zeros_like(getitem(g, idx=idx)), idx=idx),
    lambda g, ans, x, v, idx: unbroadcast(getitem(g, idx=idx), v),
)
index_set.defjvp(
    lambda g, ans, x, v, idx: index_set(g, zeros_like(getitem(g, idx=idx)), idx=idx),
    lambda g, ans, x, v, idx: index_set(zeros_like(ans), g, idx=idx),
)
index_set.defbatch(_index_update_batch(index_set))


def _index_mul_impl(x, v, idx):
    out = _np.copy(x)  # np.copy keeps the array type (NEP-18)
    _np.multiply.at(out, idx, v)
    return out


def _index_factor(x, v, idx):
    """The multiplier applied to each element: v at idx (products for repeats), 1 elsewhere."""
    return index_multiply(ones_like(x), v, idx=idx)


index_multiply = Primitive("index_multiply", _index_mul_impl)
index_multiply.defvjp(
    lambda g, ans, x, v, idx: g * _index_factor(x, v, idx),
    lambda g, ans, x, v, idx: _index_mul_v_vjp(g, ans, x, v, idx),
)
index_multiply.defjvp(
    lambda g, ans, x, v, idx: g * _index_factor(x, v, idx),
    # each repeat k multiplies ans[p_k] by v_k once: d ans[p_k] += ans[p_k] / v_k * g_k
    lambda g, ans, x, v, idx: index_add(zeros_like(ans), g * getitem(ans, idx=idx) / v, idx=idx),
)
index_multiply.defbatch(_index_update_batch(index_multiply))


def _index_mul_v_vjp(g, ans, x, v, idx):
    # d ans[idx] / d v = ans[idx] / v (exact for repeats too: each repeat multiplies once).
    return unbroadcast(getitem(g * ans, idx=idx) / v, v)


class _At:
    """``x.at[idx].set(v)``: functional updates that return a new array."""

    __slots__ = ("x",)

    def __init__(self, x) -> None:
        self.x = x

    def __getitem__(self, idx):
        return _AtIndex(self.x, idx)


class _AtIndex:
    __slots__ = ("x", "idx")

    def __init__(self, x, idx) -> None:
        self.x = x
        self.idx = idx

    def set(self, v):
        return index_set(self.x, v, idx=self.idx)

    def add(self, v):
        return index_add(self.x, v, idx=self.idx)

    def multiply(self, v):
        return index_multiply(self.x, v, idx=self.idx)

    def get(self):
        return getitem(self.x, idx=self.idx)


def at(x) -> _At:
    """Functional updates on plain or traced arrays: ``at(x)[0].set(1.0)`` returns a copy.

        >>> at(numpy.zeros(3))[[0, 0]].add(1.0)
        array([2., 0., 0.])
    """
    return _At(x)


# --- public wrappers with NumPy's signatures --------------------------------------------------

def reshape(a, shape=None, order="C", *, newshape=None):
    """``numpy.reshape``; differentiable."""
    if shape is None:
        shape = newshape
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is differentiable")
    if isinstance(shape, (int, _np.integer)):
        shape = (int(shape),)
    return _reshape_p(a, shape=tuple(shape))


def transpose(a, axes=None):
    """``numpy.transpose``; differentiable."""
    return _transpose_p(a, axes=None if axes is None else tuple(axes))


def moveaxis(a, source, destination):
    """``numpy.moveaxis``; differentiable."""
    if isinstance(source, list):
        source = tuple(source)
    if isinstance(destination, list):
        destination = tuple(destination)
    return _moveaxis_p(a, source=source, destination=destination)


def broadcast_to(array, shape):
    """``numpy.broadcast_to``; differentiable."""
    shape = (shape,) if isinstance(shape, (int, _np.integer)) else tuple(shape)
    return _broadcast_to_p(array, shape=shape)


def ravel(a, order="C"):
    """``numpy.ravel``; differentiable."""
    return reshape(a, (-1,), order)


def index(x, idx):
    """``x[idx]`` for basic, advanced and boolean indices; differentiable in ``x``."""
    if isinstance(idx, list):
        idx = _np.asarray(idx)
    elif isinstance(idx, tuple):
        idx = tuple(_np.asarray(i) if isinstance(i, list) else getval(i) for i in idx)
    else:
        idx = getval(idx)
    return getitem(x, idx=idx)


# --- composites ------------------------------------------------------------------------------

def expand_dims(x, axis):
    """``numpy.expand_dims``; differentiable."""
    shape = list(_np.shape(x))
    axes = axis if isinstance(axis, tuple) else (axis,)
    n = len(shape) + len(axes)
    for a in sorted(a % n for a in axes):
        shape.insert(a, 1)
    return reshape(x, shape=tuple(shape))


def squeeze(x, axis=None):
    """``numpy.squeeze``; differentiable."""
    shape = _np.shape(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = tuple(a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,)))
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {shape[a]}, not 1")
    return reshape(x, shape=tuple(n for i, n in enumerate(shape) if i not in axes))


def swapaxes(x, axis1, axis2):
    """``numpy.swapaxes``; differentiable."""
    n = _np.ndim(x)
    perm = list(range(n))
    perm[axis1 % n], perm[axis2 % n] = perm[axis2 % n], perm[axis1 % n]
    return transpose(x, axes=tuple(perm))


from .elementwise import ones_like, zeros_like  # noqa: E402  (cycle: elementwise needs none of us)


DIFFERENTIABLE = [
    "at", "broadcast_to", "concatenate", "expand_dims", "moveaxis", "ravel", "reshape",
    "squeeze", "stack", "swapaxes", "transpose",
]
NONDIFFERENTIABLE: list = []
