"""Shape and indexing primitives: reshape, transpose, broadcast, stack/concatenate, x[idx]
and the functional updates ``x.at[idx].set/add/multiply``.

Why so few primitives: every rearrangement is linear, so each declares only its transpose
(``deflinear``); everything else in ``assembly`` is a composite of these. Indexing is one
primitive, ``getitem(x, *index_arrays, idx=template)``: the static part of an index (slices,
ints, None, Ellipsis, constant integer arrays) is a keyword, and integer index arrays that are
themselves traced (``vmap(lambda x, i: x[i])``) are positional arguments, so the batching rule
sees them batched and gathers every example in one NumPy call.

Conventions, all documented where they are implemented:

- boolean masks become integer arrays (``mask.nonzero()``) before tracing; a mask that varies
  across a ``vmap`` batch has a data-dependent shape and raises an error pointing to ``where``;
- ``x.at[idx].add(v)`` with repeated indices adds every entry (``numpy.add.at``);
- ``x.at[idx].set(v)`` with repeated indices keeps NumPy's last write, and only the entry that
  was kept receives a gradient (the overwritten entries of ``v`` do not reach the output);
- ``x.at[idx].multiply(v)`` with repeated indices multiplies by every entry (their product);
  with constant indices it runs in rounds of distinct elements, exact at every order; with
  vmapped (traced) indices the derivative in ``v`` divides the element's product by ``v_k``
  where ``v_k != 0`` (zeros handled exactly to first order; a second derivative between two
  zero multipliers of one element is not exact).

    >>> reshape(numpy.arange(6), shape=(2, 3)).shape
    (2, 3)
    >>> at(numpy.zeros(3))[[0, 0, 2]].add(1.0)
    array([2., 0., 1.])
"""

from __future__ import annotations

import numpy as _np

from ..core.batching import example_ndim, materialize
from ..core.primitive import PerArgRules, Primitive, deflinear
from ..core.reverse import ShapeDtype
from ..core.staging import StagedTracer
from ..core.trace import Tracer, getval, ndim_of
from ._util import broadcast_view, unbroadcast

numpy = _np  # for the doctest


def _linear(name, impl, transpose, batch):
    p = Primitive(name, impl)
    deflinear(p, transpose)
    p.defbatch(batch)
    return p.defresiduals(False, (False,))  # transposes read the input's shape at most


# --- reshape / transpose / moveaxis / broadcast_to ---------------------------------------

def _reshape_impl(x, shape):
    return _np.reshape(x, shape)


_reshape_p = _linear(
    "reshape", _reshape_impl,
    lambda g, ans, x, shape: _reshape_p(g, shape=_np.shape(x)),
    lambda vals, dims, shape: (_reshape_p(vals[0], shape=_np.shape(vals[0])[:1] + tuple(shape)),
                               0),
)


def _transpose_impl(x, axes=None):
    return _np.transpose(x, axes)


def _transpose_vjp(g, ans, x, axes=None):
    return _transpose_p(g, axes=None if axes is None else tuple(_np.argsort(axes)))


def _transpose_batch(vals, dims, axes=None):
    x = vals[0]
    n = _np.ndim(x) - 1
    axes = tuple(range(n))[::-1] if axes is None else tuple(a % n for a in axes)
    return _transpose_p(x, axes=(0,) + tuple(a + 1 for a in axes)), 0


_transpose_p = _linear("transpose", _transpose_impl, _transpose_vjp, _transpose_batch)


def _moveaxis_impl(x, source, destination):
    return _np.moveaxis(x, source, destination)


def _moveaxis_batch(vals, dims, source, destination):
    x = vals[0]
    n = _np.ndim(x) - 1

    def shift(a):
        return tuple(i % n + 1 for i in a) if isinstance(a, tuple) else a % n + 1

    return _moveaxis_p(x, source=shift(source), destination=shift(destination)), 0


_moveaxis_p = _linear(
    "moveaxis", _moveaxis_impl,
    lambda g, ans, x, source, destination: _moveaxis_p(g, source=destination,
                                                       destination=source),
    _moveaxis_batch,
)


def _broadcast_to_impl(x, shape):
    return broadcast_view(x, shape)


def _broadcast_to_batch(vals, dims, shape):
    x = vals[0]
    k = _np.ndim(x) - 1
    s = _np.shape(x)
    if k < len(shape):
        x = _reshape_p(x, shape=s[:1] + (1,) * (len(shape) - k) + s[1:])
    return _broadcast_to_p(x, shape=(s[0],) + tuple(shape)), 0


_broadcast_to_p = _linear(
    "broadcast_to", _broadcast_to_impl,
    lambda g, ans, x, shape: unbroadcast(g, x),
    _broadcast_to_batch,
)


# --- stack / concatenate -------------------------------------------------------------------

def _stack_impl(*xs, axis=0):
    return _np.stack(xs, axis=axis)


def _stack_vjp(i):
    return lambda g, ans, *xs, axis=0: take_index(g, index=i, axis=axis)


def _batch_size(vals, dims):
    return next(_np.shape(v)[0] for v, d in zip(vals, dims, strict=False) if d is not None)


def _stack_batch(vals, dims, axis=0):
    size = _batch_size(vals, dims)
    n = example_ndim(vals[0], dims[0]) + 1
    xs = [materialize(v, d, size) for v, d in zip(vals, dims, strict=False)]
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
    return p.defresiduals(False, (False,))  # the transposes read the inputs' shapes at most


stack_p = _variadic_linear("stack", _stack_impl, _stack_vjp, _stack_batch)


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.stack``; differentiable in every array."""
    _no_out("stack", out)
    arrays = list(arrays)
    if not arrays:
        raise ValueError("stack: need at least one array to stack")
    if dtype is not None:
        from .creation import astype

        arrays = [astype(a, dtype) for a in arrays]
    return stack_p(*arrays, axis=axis)


def _concatenate_impl(*xs, axis=0):
    return _np.concatenate(xs, axis=axis)


def _concat_vjp(i):
    def vjp(g, ans, *xs, axis=0):
        ax = axis % ndim_of(g)  # g has the output's shape
        start = 0
        for x in xs[:i]:
            start += _np.shape(x)[ax]
        idx = (slice(None),) * ax + (slice(start, start + _np.shape(xs[i])[ax]),)
        return getitem(g, idx=idx)

    return vjp


def _concat_batch(vals, dims, axis=0):
    size = _batch_size(vals, dims)
    n = example_ndim(vals[0], dims[0])
    xs = [materialize(v, d, size) for v, d in zip(vals, dims, strict=False)]
    return concatenate_p(*xs, axis=axis % n + 1), 0


concatenate_p = _variadic_linear("concatenate", _concatenate_impl, _concat_vjp, _concat_batch)


def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.concatenate``; differentiable in every array."""
    _no_out("concatenate", out)
    arrays = list(arrays)
    if not arrays:
        raise ValueError("concatenate: need at least one array to concatenate")
    if axis is None:
        arrays = [reshape(a, (-1,)) for a in arrays]
        axis = 0
    if dtype is not None:
        from .creation import astype

        arrays = [astype(a, dtype) for a in arrays]
    if len(arrays) == 1:
        return arrays[0]
    return concatenate_p(*arrays, axis=axis)


def _no_out(name, out):
    if out is not None:
        raise TypeError(f"{name}(..., out=...) writes in place, which a traced value cannot take: "
                        "drop `out=` and use the returned array.")


# --- indexing: templates ---------------------------------------------------------------------
#
# An index is held as a *template*: NumPy's own index (a tuple of slices, ints, None, Ellipsis,
# integer ndarrays) in which traced integer arrays are replaced by ``_Slot(k)``, standing for
# the k-th positional index argument of the primitive. Boolean arrays never reach a template:
# ``_canonical`` turns them into the integer arrays of ``nonzero()``, exactly as NumPy does.

class _Slot:
    __slots__ = ("k", "ndim")

    def __init__(self, k: int, ndim: int = 0) -> None:
        self.k = k
        self.ndim = ndim  # only meaningful inside _batched_layout

    def __repr__(self) -> str:
        return f"_Slot({self.k})"


_BASIC = (int, slice, type(None), type(Ellipsis))


def _is_basic(idx) -> bool:
    """True for an index made only of ints, slices, None and Ellipsis (a view in NumPy)."""
    t = type(idx)
    if t in _BASIC:
        return True
    if t is tuple:
        for k in idx:
            if type(k) not in _BASIC:
                return False
        return True
    return False


def _has_advanced(idx) -> bool:
    """True when the index may select an element more than once (anything but basic)."""
    return not _is_basic(idx)


def _fill(idx, arrays):
    """The NumPy index for a template: slots replaced by their arrays."""
    if not arrays:
        return idx
    return tuple(arrays[k.k] if type(k) is _Slot else k for k in idx)


def _canonical_entry(k, out, slots):
    """Append the canonical form of one index entry to ``out`` (a list)."""
    if type(k) in _BASIC:
        out.append(k)
        return
    if isinstance(k, Tracer):
        if type(k) is StagedTracer and _np.issubdtype(k.dtype, _np.integer):
            out.append(_Slot(len(slots)))  # jit's recording: an index array is an input
            slots.append(k)
            return
        v = getval(k)
        if isinstance(v, Tracer):  # a batched (vmapped) index array
            dt = _np.dtype(k.dtype)
            if dt == _np.bool_:
                raise IndexError(
                    "a boolean mask that varies across a vmap batch selects a different number "
                    "of elements in each example (a data-dependent shape): use "
                    "chainrule.numpy.where(mask, x, 0) instead of x[mask]")
            if not _np.issubdtype(dt, _np.integer):
                raise IndexError(f"only integer arrays are valid indices; got a traced array "
                                 f"of dtype {dt}")
            out.append(_Slot(len(slots)))
            slots.append(v)
            return
        k = v
    if type(k) is bool or type(k) is _np.bool_:
        if not k:
            raise IndexError("x[False] (an empty selection along a new axis) is not supported "
                             "on traced arrays")
        out.append(None)  # x[True] adds a length-1 axis, like x[None]
        return
    if isinstance(k, _np.integer):
        out.append(int(k))
        return
    if isinstance(k, (list, tuple)):
        if _contains_tracer(k):
            from .creation import asarray

            _canonical_entry(asarray(k), out, slots)
            return
        k = _np.asarray(k)
        if k.dtype == object or k.size == 0:
            k = k.astype(_np.intp)
    if not isinstance(k, _np.ndarray):
        k = _np.asarray(k)
    if k.dtype == _np.bool_:
        if k.ndim == 0:
            _canonical_entry(bool(k), out, slots)
            return
        out.extend(k.nonzero())
        return
    if not _np.issubdtype(k.dtype, _np.integer):
        raise IndexError(f"only integers, slices, None, Ellipsis and integer or boolean arrays "
                         f"are valid indices; got an array of dtype {k.dtype}")
    out.append(k)


def _contains_tracer(a) -> bool:
    if isinstance(a, Tracer):
        return True
    if isinstance(a, (list, tuple)):
        return any(_contains_tracer(u) for u in a)
    return False


def _canonical(idx):
    """(template, slot_arrays) for any index NumPy accepts, traced index arrays included."""
    entries = idx if type(idx) is tuple else (idx,)
    out: list = []
    slots: list = []
    for k in entries:
        _canonical_entry(k, out, slots)
    return tuple(out), slots


def _canonical_template(idx):
    """A template given directly to the primitive (no traced entries): lists and boolean
    arrays made canonical; ``idx`` itself when it already is."""
    if _is_basic(idx):
        return idx
    entries = idx if type(idx) is tuple else (idx,)
    for k in entries:
        if not (type(k) in _BASIC or type(k) is _Slot
                or (isinstance(k, _np.ndarray) and _np.issubdtype(k.dtype, _np.integer))):
            break
    else:
        return idx
    out: list = []
    for k in entries:
        if type(k) is _Slot:
            out.append(k)
        else:
            _canonical_entry(k, out, [])
    return tuple(out)


def _example_layout(template, n):
    """NumPy's placement of advanced indices for one example indexed by ``template`` (an
    array of ``n`` dims): ``(adjacent, n_before, n_rest, rank)``. The advanced indices (arrays,
    and ints when any array is present) broadcast to ``rank`` dims, which sit after the
    ``n_before`` sliced dims that precede them when they are adjacent, and first otherwise;
    ``n_rest`` dims come from slices and None."""
    has_arr = False
    rank = 0
    for k in template:
        if type(k) is _Slot:
            has_arr = True
            rank = max(rank, k.ndim)
        elif isinstance(k, _np.ndarray):
            has_arr = True
            rank = max(rank, k.ndim)
    entries = list(template)
    consumed = sum(1 for k in entries if k is not None and k is not Ellipsis)
    fill = [slice(None)] * (n - consumed)
    for i, k in enumerate(entries):
        if k is Ellipsis:
            entries[i:i + 1] = fill
            break
    else:
        entries += fill
    adv = [i for i, k in enumerate(entries)
           if type(k) is _Slot or isinstance(k, _np.ndarray) or (has_arr and type(k) is int)]
    n_rest = sum(1 for k in entries if k is None or type(k) is slice)
    if not adv:
        return True, 0, n_rest, 0
    adjacent = adv == list(range(adv[0], adv[-1] + 1))
    n_before = sum(1 for k in entries[:adv[0]] if k is None or type(k) is slice)
    return adjacent, n_before, n_rest, rank


def _batched_layout(idx, arrays, dims, x_batched: bool, size: int, x_ndim: int):
    """Apply ``idx`` to every example at once: ``(template, arrays, perm, out_ndim)``.

    ``x_ndim`` is one example's ndim; the batched x (when ``x_batched``) and batched index
    arrays carry the batch on axis 0. The batched result ``raw = x[template]`` follows NumPy's
    placement rules, so its axes are ``transpose(raw, perm)`` away from (batch, example
    axes...); ``perm`` is None when no transpose is needed.
    """
    template = idx if type(idx) is tuple else (idx,)
    arrays = list(arrays)
    ex = tuple(_Slot(k.k, example_ndim(arrays[k.k], dims[k.k])) if type(k) is _Slot else k
               for k in template)
    adjacent, n_before, n_rest, r = _example_layout(ex, x_ndim)
    total = 1 + r + n_rest
    if not any(d is not None for d in dims):
        # x alone is batched: a leading full slice keeps the batch where the example's sliced
        # axes are; separated advanced indices go first (NumPy), so the batch follows them.
        template = (slice(None),) + template
        perm = None if adjacent else (r,) + tuple(range(r)) + tuple(range(r + 1, total))
        return template, arrays, perm, total
    for j, (a, d) in enumerate(zip(arrays, dims, strict=True)):
        if d is not None:
            s = _np.shape(a)
            if len(s) - 1 < r:
                arrays[j] = _reshape_p(a, shape=s[:1] + (1,) * (r + 1 - len(s)) + s[1:])
    if not x_batched:
        # the batch is the first axis of the broadcast index block
        if not adjacent or n_before == 0:
            return template, arrays, None, total
        perm = (n_before,) + tuple(range(n_before)) + tuple(range(n_before + 1, total))
        return template, arrays, perm, total
    # Both batched: pair example b of x with example b of the index through an arange over
    # the batch, indexing x's batch axis. The block (batch, index dims) then comes first.
    template = (_Slot(len(arrays)),) + template
    arrays.append(_np.arange(size).reshape((size,) + (1,) * r))
    if not adjacent or n_before == 0:
        return template, arrays, None, total
    perm = ((0,) + tuple(range(1 + r, 1 + r + n_before)) + tuple(range(1, 1 + r))
            + tuple(range(1 + r + n_before, total)))
    return template, arrays, perm, total


# --- indexing: the gather primitive ----------------------------------------------------------

def _getitem_impl(x, *arrays, idx):
    return x[_fill(idx, arrays)] if arrays else x[idx]


def _getitem_batch(vals, dims, idx):
    x, arrays = vals[0], vals[1:]
    xd, adims = dims[0], dims[1:]
    if xd is not None and not arrays and _is_basic(idx):  # the common case: a view
        return getitem(x, idx=(slice(None),) + (idx if type(idx) is tuple else (idx,))), 0
    idx = _canonical_template(idx)
    if xd is not None and not arrays and not _has_advanced(idx):
        return getitem(x, idx=(slice(None),) + idx), 0
    size = _batch_size(vals, dims)
    template, arrays, perm, _ = _batched_layout(idx, arrays, adims, xd is not None, size,
                                                example_ndim(x, xd))
    out = getitem(x, *arrays, idx=template)
    return (out if perm is None else _transpose_p(out, axes=perm)), 0


def _zeros_shaped_like(x):
    """Zeros of ``x``'s shape and dtype; ``x`` may be the ShapeDtype the tape kept of it."""
    if type(x) is ShapeDtype:
        return _np.zeros(x.shape, x.dtype)
    return zeros_like(x)


def _getitem_vjp(k):
    if k == 0:
        return lambda g, ans, x, *arrays, idx: index_add(_zeros_shaped_like(x), g, *arrays,
                                                         idx=idx, fresh=True)
    return _no_derivative  # index arrays are integers


def _getitem_jvp(k):
    if k == 0:
        return lambda g, ans, x, *arrays, idx: getitem(g, *arrays, idx=idx)
    return _no_derivative


def _no_derivative(g, ans, *args, **params):
    return None


getitem = Primitive("getitem", _getitem_impl)
getitem.vjps = PerArgRules(_getitem_vjp)
getitem.jvps = PerArgRules(_getitem_jvp)
getitem.defbatch(_getitem_batch)
# the VJP reads x's shape and dtype and the index arrays (every argument after x is kept)
getitem.defresiduals(False, (False, True))


def take_index(x, index, axis):
    """``x`` at integer ``index`` along ``axis`` (a getitem with a static index)."""
    ax = axis % _np.ndim(x)
    return getitem(x, idx=(slice(None),) * ax + (index,))


def index(x, idx):
    """``x[idx]`` for basic, advanced and boolean indices; differentiable in ``x``.

    Integer index arrays may themselves be traced (under ``vmap`` each example can index
    differently); boolean masks must be the same across a ``vmap`` batch.
    """
    if _is_basic(idx):
        return getitem(x, idx=idx)
    template, slots = _canonical(idx)
    return getitem(x, *slots, idx=template)


# --- indexing: the scatter primitives (functional updates) -----------------------------------

def _updated_copy(x, v, fresh=False):
    """A writable copy of ``x`` to update (promoted to hold ``v``); ``x`` itself when ``fresh``
    (the caller made ``x`` as a temporary array of zeros) allows it. Array types other than
    ndarray are copied with ``numpy.copy``, which keeps their type (NEP-18)."""
    if type(x) is not _np.ndarray:
        if not hasattr(x, "shape"):
            x = _np.asarray(x)
        else:
            return _np.copy(x)
    dt = _np.result_type(x, v) if hasattr(v, "dtype") or isinstance(v, complex) else x.dtype
    if fresh and x.dtype == dt and x.base is None and x.flags.writeable:
        return x  # a temporary made by the rule that called us (zeros_like): update in place
    return _np.array(x, dtype=dt, copy=True)


def _index_add_impl(x, v, *arrays, idx, fresh=False):
    out = _updated_copy(x, v, fresh)
    full = _fill(idx, arrays)
    if type(out) is _np.ndarray and not _has_advanced(full):
        if fresh and out is x:
            out[full] = v  # ``fresh`` x is zeros: a basic index selects each element once
        else:
            out[full] += v
    else:
        _np.add.at(out, full, v)  # repeated indices add every entry
    return out


def _index_set_impl(x, v, *arrays, idx, fresh=False):
    out = _updated_copy(x, v, fresh)
    out[_fill(idx, arrays)] = v  # repeated indices: NumPy keeps the last write
    return out


def _index_mul_impl(x, v, *arrays, idx, fresh=False):
    out = _updated_copy(x, v, fresh)
    full = _fill(idx, arrays)
    if type(out) is _np.ndarray and not _has_advanced(full):
        out[full] *= v
    else:
        _np.multiply.at(out, full, v)  # repeated indices multiply by every entry
    return out


def _update_batch(prim):
    def rule(vals, dims, idx, fresh=False):
        x, v, arrays = vals[0], vals[1], vals[2:]
        size = _batch_size(vals, dims)
        if fresh and dims[0] is None and type(x) is _np.ndarray:
            # ``fresh`` x is zeros made by the calling rule: make batched zeros directly
            x = _np.zeros((size,) + x.shape, dtype=x.dtype)
        else:
            x = materialize(x, dims[0], size)
            if fresh and dims[0] is None:
                x = zeros_like(x)
        idx = _canonical_template(idx)
        if not arrays and not _has_advanced(idx):
            template, perm = (slice(None),) + (idx if type(idx) is tuple else (idx,)), None
            target = x[template] if type(x) is _np.ndarray else getitem(x, idx=template)
            out_ndim = _np.ndim(target)  # a view: no copy
        else:
            template, arrays, perm, out_ndim = _batched_layout(idx, arrays, dims[2:], True,
                                                               size, _np.ndim(x) - 1)
        # v broadcasts against one example's target x[idx]: give it the batched target's
        # rank (batch first, a length-1 stand-in when v is unbatched), then the target's
        # axis order.
        s = tuple(_np.shape(v))
        if dims[1] is None and not s:
            return prim(x, v, *arrays, idx=template, fresh=fresh), 0  # a scalar broadcasts
        if dims[1] is None:
            s = (1,) + s
        s = s[:1] + (1,) * (out_ndim - len(s)) + s[1:]
        if s != _np.shape(v):
            v = _reshape_p(v, shape=s)
        if perm is not None:
            v = _transpose_p(v, axes=tuple(_np.argsort(perm)))
        return prim(x, v, *arrays, idx=template, fresh=fresh), 0

    return rule


def _target(g, arrays, idx):
    return getitem(g, *arrays, idx=idx)


def _full_v(v, target_shape):
    """``v`` broadcast to the shape of the indexed target (its VJP sums back)."""
    return v if _np.shape(v) == tuple(target_shape) else _broadcast_to_p(v, shape=tuple(
        target_shape))


def _update_rules(prim, vjp_x, vjp_v, jvp_x, jvp_v):
    prim.vjps = PerArgRules(lambda k: vjp_x if k == 0 else vjp_v if k == 1 else _no_derivative)
    prim.jvps = PerArgRules(lambda k: jvp_x if k == 0 else jvp_v if k == 1 else _no_derivative)
    prim.defbatch(_update_batch(prim))
    return prim


# add: jointly linear in x and v; repeated indices accumulate.
index_add = _update_rules(
    Primitive("index_add", _index_add_impl),
    lambda g, ans, x, v, *arrays, idx, fresh=False: g,
    lambda g, ans, x, v, *arrays, idx, fresh=False: unbroadcast(_target(g, arrays, idx), v),
    lambda g, ans, x, v, *arrays, idx, fresh=False: g,
    lambda g, ans, x, v, *arrays, idx, fresh=False: index_add(zeros_like(ans), g, *arrays, idx=idx,
                                                              fresh=True),
)


def _winners(g_target, x, arrays, idx):
    """Which entries of ``x[idx] = v`` survive (NumPy keeps the last write to an element);
    None when every entry does (no repeated element), which is always so for basic indices."""
    if not arrays and not _has_advanced(idx):
        return None
    tshape = _np.shape(g_target)
    n = int(_np.prod(tshape, dtype=_np.int64))
    ids = _np.arange(n).reshape(tshape)
    if not arrays:
        buf = _np.full(_np.shape(x), -1, dtype=_np.intp)
        buf[idx] = ids
        won = buf[idx] == ids
        return None if won.all() else won
    buf = index_set(_np.full(_np.shape(x), -1, dtype=_np.intp), ids, *arrays, idx=idx)
    return equal(getitem(buf, *arrays, idx=idx), ids)


def _set_vjp_v(g, ans, x, v, *arrays, idx, fresh=False):
    # Gradient convention for repeated indices: only the entry NumPy kept (the last one)
    # reaches the output, so only it receives a cotangent; the overwritten entries get 0.
    gt = _target(g, arrays, idx)
    won = _winners(gt, x, arrays, idx)
    if won is not None:
        gt = where(won, gt, zeros_like(gt))
    return unbroadcast(gt, v)


def _set_jvp_x(g, ans, x, v, *arrays, idx, fresh=False):
    return index_set(g, 0.0, *arrays, idx=idx)


index_set = _update_rules(
    Primitive("index_set", _index_set_impl),
    _set_jvp_x,  # the transpose of "zero out idx" is itself
    _set_vjp_v,
    _set_jvp_x,
    lambda g, ans, x, v, *arrays, idx, fresh=False: index_set(zeros_like(ans), g, *arrays, idx=idx,
                                                              fresh=True),
)


def _others_product(v, x, arrays, idx):
    """For each multiplier entry v_k (target-shaped), the product of the *other* multipliers
    that land on the same element (1 when the index has no repeats). Exact at v_k = 0: no
    division by a zero multiplier."""
    if not arrays and not _has_advanced(idx):
        return None
    zero = equal(v, 0)
    safe = where(zero, 1.0, v)
    nz = getitem(index_multiply(ones_like(x), safe, *arrays, idx=idx), *arrays, idx=idx)
    count = getitem(index_add(_np.zeros(_np.shape(x)), where(zero, 1.0, 0.0), *arrays, idx=idx),
                    *arrays, idx=idx)
    return where(zero, where(equal(count, 1.0), nz, zeros_like(nz)),
                 where(greater(count, 0.0), zeros_like(nz), nz / safe))


def _mul_factor(x, v, arrays, idx):
    return index_multiply(ones_like(x), v, *arrays, idx=idx)


def _mul_v_term(gx, x, v, arrays, idx):
    """d ans[p] / d v_k summed against ``gx``: x[p] * (product of the other v at p)."""
    tshape = _np.shape(_target(x, arrays, idx))
    vf = _full_v(v, tshape)
    t = _target(gx, arrays, idx)
    others = _others_product(vf, x, arrays, idx)
    return t if others is None else t * others


def _mul_vjp_v(g, ans, x, v, *arrays, idx, fresh=False):
    return unbroadcast(_mul_v_term(g * x, x, v, arrays, idx), v)


def _mul_jvp_v(g, ans, x, v, *arrays, idx, fresh=False):
    tshape = _np.shape(_target(x, arrays, idx))
    gv = _full_v(g, tshape)
    others = _others_product(_full_v(v, tshape), x, arrays, idx)
    term = _target(x, arrays, idx) * gv
    if others is not None:
        term = term * others
    return index_add(zeros_like(ans), term, *arrays, idx=idx, fresh=True)


index_multiply = _update_rules(
    Primitive("index_multiply", _index_mul_impl),
    lambda g, ans, x, v, *arrays, idx, fresh=False: g * _mul_factor(x, v, arrays, idx),
    _mul_vjp_v,
    lambda g, ans, x, v, *arrays, idx, fresh=False: g * _mul_factor(x, v, arrays, idx),
    _mul_jvp_v,
)


def _target_shape(x, template, slots):
    """Shape of ``x[index]`` for one example, from zero-stride stand-ins (no data copied
    beyond a boolean array of the result's shape for advanced indices)."""
    dummy = _np.broadcast_to(_np.zeros((), dtype=bool), _np.shape(x))
    filled = tuple(_np.broadcast_to(_np.zeros((), dtype=_np.intp), _np.shape(slots[k.k]))
                   if type(k) is _Slot else k for k in template)
    if slots:
        # traced index values are unknown here: any in-range stand-in gives the same shape
        return dummy[filled].shape
    return dummy[template].shape


class _At:
    """``x.at[idx]``: functional updates that return a new array (x itself is unchanged)."""

    __slots__ = ("x",)

    def __init__(self, x) -> None:
        self.x = x

    def __getitem__(self, idx):
        return _AtIndex(self.x, idx)

    def __repr__(self) -> str:
        return f"_At({self.x!r})"


class _AtIndex:
    """``x.at[idx].set(v)`` / ``.add(v)`` / ``.multiply(v)`` / ``.divide(v)`` / ``.get()``.

    Repeated indices: ``add`` adds every entry and ``multiply`` multiplies by every entry;
    ``set`` keeps NumPy's last write, and only that entry of ``v`` receives a gradient.
    """

    __slots__ = ("x", "idx")

    def __init__(self, x, idx) -> None:
        self.x = x
        self.idx = idx

    def _apply(self, prim, v):
        x = self.x
        if not isinstance(x, Tracer) and not hasattr(x, "shape"):
            x = _np.asarray(x)
        template, slots = _canonical(self.idx)
        if isinstance(v, Tracer):
            # v is broadcast to the target's shape up front, so the rules see equal shapes
            # and the broadcast's own VJP sums the cotangent back.
            tshape = _target_shape(x, template, slots)
            if _np.shape(v) != tshape:
                v = _broadcast_to_p(v, shape=tshape)
        return prim(x, v, *slots, idx=template)

    def set(self, v):
        return self._apply(index_set, v)

    def add(self, v):
        return self._apply(index_add, v)

    def multiply(self, v):
        x = self.x
        template, slots = _canonical(self.idx)
        if not slots and _has_advanced(template) and (isinstance(v, Tracer)
                                                      or isinstance(x, Tracer)):
            rounds = _repeat_rounds(_np.shape(x), template)
            if rounds is not None:
                return _multiply_in_rounds(x, v, template, rounds)
        return self._apply(index_multiply, v)

    def divide(self, v):
        return self._apply(index_multiply, 1.0 / v)

    def get(self):
        return index(self.x, self.idx)


def _repeat_rounds(xshape, template):
    """For a constant index with repeated elements: the flat element id of every target entry
    and, per round t, the target entries that are the t-th occurrence of their element.
    None when no element repeats."""
    size = int(_np.prod(xshape, dtype=_np.int64))
    ids = _np.arange(size).reshape(xshape)[template].ravel()
    order = _np.argsort(ids, kind="stable")
    srt = ids[order]
    new_group = _np.r_[True, srt[1:] != srt[:-1]]
    if new_group.all():
        return None
    starts = _np.flatnonzero(new_group)
    lengths = _np.diff(_np.r_[starts, ids.size])
    rank = _np.empty(ids.size, dtype=_np.intp)
    rank[order] = _np.arange(ids.size) - _np.repeat(starts, lengths)
    return [(_np.flatnonzero(rank == t), ids[rank == t]) for t in range(int(rank.max()) + 1)]


def _multiply_in_rounds(x, v, template, rounds):
    # Repeated indices with constant values: multiply in rounds of distinct elements, so each
    # round's rules are the plain product rule (exact at every order, zeros included).
    xshape = _np.shape(x)
    tshape = _target_shape(x, template, [])
    vflat = reshape(_full_v(v, tshape), (-1,))
    out = reshape(x, (-1,))
    for entries, elements in rounds:
        out = index_multiply(out, getitem(vflat, idx=entries), idx=elements)
    return reshape(out, xshape)


def at(x) -> _At:
    """Functional updates on plain or traced arrays: ``at(x)[0].set(1.0)`` returns a copy.

        >>> at(numpy.zeros(3))[[0, 0]].add(1.0)
        array([2., 0., 0.])
    """
    return _At(x)


# --- public wrappers with NumPy's signatures --------------------------------------------------

def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    """``numpy.reshape``; differentiable."""
    if shape is None:
        shape = newshape
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is differentiable")
    if isinstance(shape, (int, _np.integer)):
        shape = (int(shape),)
    return _reshape_p(a, shape=tuple(int(s) for s in shape))


def transpose(a, axes=None):
    """``numpy.transpose``; differentiable."""
    if axes is not None:
        n = _np.ndim(a)
        axes = tuple(int(i) % n if n else int(i) for i in axes)
    return _transpose_p(a, axes=axes)


def permute_dims(a, axes=None):
    """``numpy.permute_dims`` (the array-API name of transpose); differentiable."""
    return transpose(a, axes)


def matrix_transpose(x):
    """``numpy.matrix_transpose``: swap the last two axes; differentiable."""
    if _np.ndim(x) < 2:
        raise ValueError(f"matrix_transpose: input must be at least 2-D, got shape {_np.shape(x)}")
    return swapaxes(x, -1, -2)


def moveaxis(a, source, destination):
    """``numpy.moveaxis``; differentiable."""
    n = _np.ndim(a)

    def norm(ax):
        if isinstance(ax, (list, tuple)):
            return tuple(int(i) % n for i in ax)
        return int(ax) % n

    source, destination = norm(source), norm(destination)
    if source == destination:
        return a
    return _moveaxis_p(a, source=source, destination=destination)


def broadcast_to(array, shape, subok=False):
    """``numpy.broadcast_to``; differentiable."""
    shape = (int(shape),) if isinstance(shape, (int, _np.integer)) else tuple(int(s) for s in shape)
    if _np.shape(array) == shape:
        return array
    return _broadcast_to_p(array, shape=shape)


def broadcast_arrays(*args, subok=False):
    """``numpy.broadcast_arrays``; differentiable (a tuple, as NumPy 2 returns)."""
    shape = _np.broadcast_shapes(*[_np.shape(a) for a in args])
    return tuple(broadcast_to(a, shape) for a in args)


def ravel(a, order="C"):
    """``numpy.ravel``; differentiable."""
    return reshape(a, (-1,), order)


def expand_dims(a, axis):
    """``numpy.expand_dims``; differentiable."""
    shape = list(_np.shape(a))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    n = len(shape) + len(axes)
    axes = sorted(int(ax) % n for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"expand_dims: repeated axis in {axis}")
    for ax in axes:
        shape.insert(ax, 1)
    return reshape(a, tuple(shape))


def squeeze(a, axis=None):
    """``numpy.squeeze``; differentiable."""
    shape = _np.shape(a)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = tuple(int(ax) % len(shape)
                     for ax in (axis if isinstance(axis, (tuple, list)) else (axis,)))
        for ax in axes:
            if shape[ax] != 1:
                raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size "
                                 f"not equal to one (axis {ax} of shape {shape})")
    if not axes:
        return a
    return reshape(a, tuple(n for i, n in enumerate(shape) if i not in axes))


def swapaxes(a, axis1, axis2):
    """``numpy.swapaxes``; differentiable."""
    if type(a) is _np.ndarray:  # nothing traced (matmul VJPs on plain arrays): a view at once
        return a.swapaxes(axis1, axis2)
    n = _np.ndim(a)
    perm = list(range(n))
    perm[axis1 % n], perm[axis2 % n] = perm[axis2 % n], perm[axis1 % n]
    return _transpose_p(a, axes=tuple(perm))


def _atleast(a, n):
    shape = _np.shape(a)
    if len(shape) >= n:
        return a
    if n == 3 and len(shape) == 2:
        return reshape(a, shape + (1,))
    if n == 3 and len(shape) == 1:
        return reshape(a, (1,) + shape + (1,))
    return reshape(a, (1,) * (n - len(shape)) + shape)


def _atleast_fn(n):
    def fn(*arys):
        out = tuple(_atleast(a if hasattr(a, "shape") else _np.asarray(a), n) for a in arys)
        return out[0] if len(out) == 1 else out

    fn.__name__ = f"atleast_{n}d"
    fn.__doc__ = f"``numpy.atleast_{n}d``; differentiable."
    return fn


atleast_1d = _atleast_fn(1)
atleast_2d = _atleast_fn(2)
atleast_3d = _atleast_fn(3)


def take(a, indices, axis=None, out=None, mode="raise"):
    """``numpy.take``; differentiable in ``a``. ``indices`` may be traced (vmapped) integers.
    ``mode='wrap'``/``'clip'`` apply to plain index arrays."""
    _no_out("take", out)
    if axis is None:
        a = ravel(a)
        axis = 0
    ax = int(axis) % max(_np.ndim(a), 1)
    if mode != "raise":
        n = _np.shape(a)[ax]
        if isinstance(indices, Tracer):
            raise NotImplementedError(f"take(mode={mode!r}) with traced indices")
        indices = _np.asarray(indices)
        indices = _np.mod(indices, n) if mode == "wrap" else _np.clip(indices, 0, n - 1)
    if not isinstance(indices, Tracer):
        indices = _np.asarray(indices)
        if indices.dtype == _np.bool_:
            raise IndexError("take: indices must be integers, not booleans")
        if indices.ndim == 0:
            return getitem(a, idx=(slice(None),) * ax + (int(indices),))
    return index(a, (slice(None),) * ax + (indices,))


def take_along_axis(arr, indices, axis=-1):
    """``numpy.take_along_axis``; differentiable in ``arr``; ``indices`` may be traced."""
    if axis is None:
        arr = ravel(arr)
        axis = 0
    shape = _np.shape(arr)
    nd = len(shape)
    if _np.ndim(indices) != nd:
        raise ValueError(f"take_along_axis: indices (shape {_np.shape(indices)}) and arr "
                         f"(shape {shape}) must have the same number of dimensions")
    ax = int(axis) % nd
    idx = []
    for i, n in enumerate(shape):
        if i == ax:
            idx.append(indices)
        else:
            s = [1] * nd
            s[i] = n
            idx.append(_np.arange(n).reshape(s))
    return index(arr, tuple(idx))


from .elementwise import equal, greater, ones_like, where, zeros_like  # noqa: E402  (cycle)

DIFFERENTIABLE = [
    "at", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays", "broadcast_to",
    "concatenate", "expand_dims", "matrix_transpose", "moveaxis", "permute_dims", "ravel",
    "reshape", "squeeze", "stack", "swapaxes", "take", "take_along_axis", "transpose",
]
NONDIFFERENTIABLE: list = []
