"""Assembly and rearrangement: stacking, splitting, tiling, flipping, padding, diagonals.

Why composites: each function here is a few calls to the linear primitives of ``shape``
(reshape, broadcast_to, transpose, getitem, index_add, concatenate), so each inherits their
VJP, JVP and batching rules and every order of derivative; ``roll`` is the one primitive
(its transpose is a roll the other way). Index maps that NumPy already knows how to build
(``pad``'s edge/reflect/wrap modes, ``repeat`` with counts) are computed on ``arange`` and
applied as one gather, so the derivative is a single scatter-add; ``delete``, ``insert``,
``compress``, ``extract`` and ``resize`` run NumPy itself on index arrays the same way, so
their placement rules (``insert``'s broadcasting of values included) are NumPy's exactly.
``apply_along_axis`` pushes all 1-D slices through one ``vmap`` of the user's function.

    >>> pad(numpy.arange(3.0), 2, mode="reflect")
    array([2., 1., 0., 1., 2., 1., 0.])
"""

from __future__ import annotations

import numpy as _np

from ..core.primitive import Primitive, deflinear
from ..core.trace import Tracer, getval
from .shape import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_to,
    concatenate,
    getitem,
    index_add,
    moveaxis,
    ravel,
    reshape,
    transpose,
)

numpy = _np  # for the doctest


def _ndim(a):
    return _np.ndim(a)


def _shape(a):
    return _np.shape(a)


def _axis(axis, n, name):
    axis = int(axis)
    if not -n <= axis < n:
        raise _np.exceptions.AxisError(f"{name}: axis {axis} is out of bounds for array of "
                                       f"dimension {n}")
    return axis % n


def _slice_along(x, axis, start, stop, step=None):
    return getitem(x, idx=(slice(None),) * axis + (slice(start, stop, step),))


# --- stacking -------------------------------------------------------------------------------

def hstack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.hstack``; differentiable."""
    arrs = [atleast_1d(a) for a in tup]
    axis = 0 if arrs and _ndim(arrs[0]) == 1 else 1
    return concatenate(arrs, axis=axis, dtype=dtype)


def vstack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.vstack``; differentiable."""
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype)


row_stack = vstack


def dstack(tup):
    """``numpy.dstack``; differentiable."""
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def column_stack(tup):
    """``numpy.column_stack``; differentiable."""
    arrs = []
    for a in tup:
        if _ndim(a) < 2:
            a = reshape(a, (-1, 1))
        arrs.append(a)
    return concatenate(arrs, axis=1)


def append(arr, values, axis=None):
    """``numpy.append``; differentiable in both."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


# --- splitting ------------------------------------------------------------------------------

def _split_points(n, indices_or_sections, even, name):
    if isinstance(indices_or_sections, (int, _np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError(f"{name}: number sections must be larger than 0.")
        if even and n % k:
            raise ValueError(f"{name}: array split does not result in an equal division "
                             f"({n} into {k})")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        points = _np.concatenate([[0], _np.cumsum(sizes)]).tolist()
        return list(zip(points[:-1], points[1:], strict=True))
    cuts = [int(i) for i in indices_or_sections]
    edges = [0] + cuts + [n]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _split(ary, indices_or_sections, axis, even, name):
    ax = _axis(axis, _ndim(ary), name)
    n = _shape(ary)[ax]
    return [_slice_along(ary, ax, a, b) for a, b in
            _split_points(n, indices_or_sections, even, name)]


def split(ary, indices_or_sections, axis=0):
    """``numpy.split``; differentiable (a list of slices)."""
    return _split(ary, indices_or_sections, axis, True, "split")


def array_split(ary, indices_or_sections, axis=0):
    """``numpy.array_split``; differentiable (a list of slices; sections may be unequal)."""
    return _split(ary, indices_or_sections, axis, False, "array_split")


def hsplit(ary, indices_or_sections):
    """``numpy.hsplit``; differentiable."""
    if _ndim(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if _ndim(ary) > 1 else 0)


def vsplit(ary, indices_or_sections):
    """``numpy.vsplit``; differentiable."""
    if _ndim(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    """``numpy.dsplit``; differentiable."""
    if _ndim(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


# --- tile / repeat ----------------------------------------------------------------------------

def tile(A, reps):
    """``numpy.tile``: reshape to (1, n0, 1, n1, ...), broadcast, reshape; differentiable."""
    reps = (int(reps),) if isinstance(reps, (int, _np.integer)) else tuple(int(r) for r in reps)
    shape = _shape(A)
    d = max(len(reps), len(shape))
    shape = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + reps
    inter = tuple(v for n in shape for v in (1, n))
    big = tuple(v for r, n in zip(reps, shape, strict=True) for v in (r, n))
    out = broadcast_to(reshape(A, inter), big)
    return reshape(out, tuple(r * n for r, n in zip(reps, shape, strict=True)))


def repeat(a, repeats, axis=None):
    """``numpy.repeat``; differentiable. A scalar count broadcasts; per-element counts
    gather with the index map ``numpy.repeat(arange(n), repeats)``."""
    if axis is None:
        a = ravel(a)
        axis = 0
    ax = _axis(axis, _ndim(a), "repeat")
    shape = _shape(a)
    r = _np.asarray(getval(repeats))
    if r.ndim == 0 or r.size == 1:
        k = int(r.reshape(()))
        s = shape[:ax + 1] + (1,) + shape[ax + 1:]
        b = shape[:ax + 1] + (k,) + shape[ax + 1:]
        return reshape(broadcast_to(reshape(a, s), b),
                       shape[:ax] + (shape[ax] * k,) + shape[ax + 1:])
    imap = _np.repeat(_np.arange(shape[ax]), r)
    return getitem(a, idx=(slice(None),) * ax + (imap,))


# --- flips and rolls --------------------------------------------------------------------------

def flip(m, axis=None):
    """``numpy.flip``; differentiable (a reversed-stride getitem)."""
    n = _ndim(m)
    if axis is None:
        axes = range(n)
    elif isinstance(axis, (tuple, list)):
        axes = [_axis(a, n, "flip") for a in axis]
    else:
        axes = [_axis(axis, n, "flip")]
    idx = [slice(None)] * n
    for a in axes:
        idx[a] = slice(None, None, -1)
    return getitem(m, idx=tuple(idx))


def fliplr(m):
    """``numpy.fliplr``; differentiable."""
    if _ndim(m) < 2:
        raise ValueError("fliplr: input must be >= 2-d.")
    return flip(m, 1)


def flipud(m):
    """``numpy.flipud``; differentiable."""
    if _ndim(m) < 1:
        raise ValueError("flipud: input must be >= 1-d.")
    return flip(m, 0)


def _roll_impl(x, shift, axis):
    return _np.roll(x, shift, axis)


def _roll_batch(vals, dims, shift, axis):
    x = vals[0]
    return _roll_p(x, shift=shift, axis=tuple(a + 1 for a in axis)), 0


# roll is linear; its transpose rolls the other way.
_roll_p = deflinear(Primitive("roll", _roll_impl),
                    lambda g, ans, x, shift, axis: _roll_p(g, shift=tuple(-s for s in shift),
                                                           axis=axis))
_roll_p.defbatch(_roll_batch)


def roll(a, shift, axis=None):
    """``numpy.roll``; differentiable."""
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), _shape(a))
    n = _ndim(a)
    shifts = (shift,) if isinstance(shift, (int, _np.integer)) else tuple(shift)
    axes = (axis,) if isinstance(axis, (int, _np.integer)) else tuple(axis)
    shifts, axes = _np.broadcast_arrays(_np.asarray(shifts), _np.asarray(axes))
    axes = tuple(_axis(ax, n, "roll") for ax in axes.ravel())
    return _roll_p(a, shift=tuple(int(s) for s in shifts.ravel()), axis=axes)


def rot90(m, k=1, axes=(0, 1)):
    """``numpy.rot90``; differentiable (flips and a transpose, as NumPy builds it)."""
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2.")
    n = _ndim(m)
    if n < 2:
        raise ValueError(f"rot90: input must be at least 2-D, got shape {_shape(m)}")
    a0, a1 = _axis(axes[0], n, "rot90"), _axis(axes[1], n, "rot90")
    if a0 == a1:
        raise ValueError("rot90: axes must be different.")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    perm = list(range(n))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(m, a1), perm)
    return flip(transpose(m, perm), a1)


# --- pad --------------------------------------------------------------------------------------

_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(array, pad_width, mode="constant", **kwargs):
    """``numpy.pad`` for modes 'constant', 'edge', 'reflect', 'symmetric' and 'wrap';
    differentiable in ``array`` (and in a scalar ``constant_values``).

    'constant' writes the array into a block of the constant; the other modes gather with the
    index map that ``numpy.pad`` itself produces from ``arange``.
    """
    n = _ndim(array)
    shape = _shape(array)
    width = _np.broadcast_to(_np.asarray(pad_width, dtype=_np.int64), (n, 2)) if n else \
        _np.zeros((0, 2), dtype=_np.int64)
    if (width < 0).any():
        raise ValueError("pad: index can't contain negative values")
    if mode == "constant":
        cv = kwargs.pop("constant_values", 0)
        if kwargs:
            raise TypeError(f"pad: unsupported keyword arguments for mode 'constant': "
                            f"{sorted(kwargs)}")
        out_shape = tuple(int(s + b + a) for s, (b, a) in zip(shape, width, strict=True))
        if isinstance(cv, Tracer):
            base = broadcast_to(cv, out_shape)
        elif _np.ndim(cv) == 0:
            cv = _np.asarray(cv, dtype=_np.result_type(_dtype(array), cv))
            base = _np.broadcast_to(cv, out_shape)
        else:
            base = _np.pad(_np.zeros(shape, dtype=_np.result_type(_dtype(array), float)), width,
                           mode="constant", constant_values=cv)
        idx = tuple(slice(int(b), int(b) + s) for s, (b, _) in zip(shape, width, strict=True))
        return _pad_constant(base, array, idx)
    if mode in ("empty",):
        return pad(array, pad_width, "constant")
    if mode not in _INDEX_MODES:
        raise NotImplementedError(f"pad: mode {mode!r} is not differentiable in chainrule "
                                  f"(supported: 'constant', {', '.join(map(repr, _INDEX_MODES))})")
    rtype = kwargs.pop("reflect_type", "even")
    if kwargs:
        raise TypeError(f"pad: unsupported keyword arguments for mode {mode!r}: {sorted(kwargs)}")
    if rtype != "even":
        raise NotImplementedError("pad: only reflect_type='even' is supported")
    out = array
    for ax in range(n):
        b, a = (int(w) for w in width[ax])
        if b == 0 and a == 0:
            continue
        if shape[ax] == 0:
            raise ValueError(f"pad: can't extend empty axis {ax} using modes other than "
                             "'constant' or 'empty'")
        imap = _np.pad(_np.arange(shape[ax]), (b, a), mode=mode)
        out = getitem(out, idx=(slice(None),) * ax + (imap,))
    return out


def _pad_constant(base, array, idx):
    # out = base with the array written into its middle block: index_set is linear in both
    # (the VJP for base zeroes the block, the VJP for array reads it back).
    from .shape import index_set

    return index_set(base, array, idx=idx)


# --- diagonals and triangles ---------------------------------------------------------------------

def diagonal(a, offset=0, axis1=0, axis2=1):
    """``numpy.diagonal``; differentiable (a gather; the diagonal is the last axis)."""
    n = _ndim(a)
    if n < 2:
        raise ValueError(f"diagonal: requires an array of at least two dimensions, got shape "
                         f"{_shape(a)}")
    a1, a2 = _axis(axis1, n, "diagonal"), _axis(axis2, n, "diagonal")
    if a1 == a2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    s1, s2 = _shape(a)[a1], _shape(a)[a2]
    offset = int(offset)
    r0, c0 = max(-offset, 0), max(offset, 0)
    k = max(0, min(s1 - r0, s2 - c0))
    m = moveaxis(a, (a1, a2), (-2, -1))
    return getitem(m, idx=(Ellipsis, _np.arange(r0, r0 + k), _np.arange(c0, c0 + k)))


def diag(v, k=0):
    """``numpy.diag``: a diagonal matrix from a vector, or a matrix's k-th diagonal."""
    n = _ndim(v)
    if n == 2:
        return diagonal(v, k)
    if n != 1:
        raise ValueError(f"diag: input must be 1- or 2-d, got shape {_shape(v)}")
    k = int(k)
    m = _shape(v)[0]
    size = m + abs(k)
    rows = _np.arange(m) + max(-k, 0)
    cols = _np.arange(m) + max(k, 0)
    base = _np.zeros((size, size), dtype=_np.result_type(_dtype(v)))
    return index_add(base, v, idx=(rows, cols))


def diagflat(v, k=0):
    """``numpy.diagflat``; differentiable."""
    return diag(ravel(v), k)


def _dtype(x):
    d = getattr(x, "dtype", None)
    return d if d is not None else _np.result_type(x)


def _tri_mask(m, k, lower):
    s = _shape(m)
    if len(s) < 2:
        raise ValueError(f"{'tril' if lower else 'triu'}: input must be at least 2-D, got "
                         f"shape {s}")
    mask = _np.tri(s[-2], s[-1], k=k if lower else k - 1, dtype=bool)
    return mask if lower else ~mask


def tril(m, k=0):
    """``numpy.tril``; differentiable (a constant mask through ``where``)."""
    if _ndim(m) == 1:
        m = broadcast_to(m, (_shape(m)[0],) * 2)
    return where(_tri_mask(m, int(k), True), m, 0)


def triu(m, k=0):
    """``numpy.triu``; differentiable."""
    if _ndim(m) == 1:
        m = broadcast_to(m, (_shape(m)[0],) * 2)
    return where(_tri_mask(m, int(k), False), m, 0)


# --- grids and selection ----------------------------------------------------------------------

def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """``numpy.meshgrid``; differentiable in every input (a tuple, as NumPy 2 returns)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: valid values for `indexing` are 'xy' and 'ij'.")
    nd = len(xi)
    xs = [ravel(x) for x in xi]
    outs = []
    for i, x in enumerate(xs):
        s = [1] * nd
        s[i] = -1
        if indexing == "xy" and nd > 1 and i < 2:
            s[0], s[1] = s[1], s[0]
        outs.append(reshape(x, tuple(s)))
    if not sparse:
        shape = _np.broadcast_shapes(*[_shape(o) for o in outs])
        outs = [broadcast_to(o, shape) for o in outs]
    return tuple(outs)


def select(condlist, choicelist, default=0):
    """``numpy.select``; differentiable in the choices and the default (the first true
    condition wins, as in NumPy)."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    out = default
    for cond, choice in zip(reversed(list(condlist)), reversed(list(choicelist)), strict=True):
        out = where(cond, choice, out)
    if not isinstance(out, Tracer):
        out = _np.asarray(out)
    shape = _np.broadcast_shapes(*[_shape(c) for c in condlist], *[_shape(c) for c in
                                                                   choicelist], _shape(default))
    return broadcast_to(out, shape)


def choose(a, choices, out=None, mode="raise"):
    """``numpy.choose``; differentiable in the choices. ``a`` may be traced (vmapped)."""
    if out is not None:
        raise TypeError("choose(..., out=...) writes in place; use the returned array")
    n = len(choices)
    if not isinstance(a, Tracer):
        a = _np.asarray(a)
        if mode == "wrap":
            a = _np.mod(a, n)
        elif mode == "clip":
            a = _np.clip(a, 0, n - 1)
        elif a.size and (a.min() < 0 or a.max() >= n):
            raise ValueError("choose: invalid entry in choice array")
    elif mode != "raise":
        raise NotImplementedError(f"choose(mode={mode!r}) with a traced index array")
    res = choices[n - 1]
    for k in range(n - 2, -1, -1):
        res = where(equal(a, k), choices[k], res)
    shape = _np.broadcast_shapes(_shape(a), *[_shape(c) for c in choices])
    return broadcast_to(res if isinstance(res, Tracer) else _np.asarray(res), shape)


def piecewise(x, condlist, funclist, *args, **kw):
    """``numpy.piecewise``; differentiable in ``x`` and in the functions' results.

    Unlike NumPy, every function is evaluated on all of ``x`` (then selected with ``where``),
    so a function must accept the whole array; a function whose derivative is infinite or
    NaN outside its own piece will poison the gradient there (write it to be finite).
    """
    shape = _shape(x)
    if not isinstance(condlist, (list, tuple)) or (
            len(condlist) and not isinstance(condlist[0], (list, tuple, _np.ndarray, Tracer))
            and _np.ndim(condlist[0]) == 0 and len(shape) > 0):
        condlist = [condlist]
    condlist = list(condlist)
    n = len(condlist)
    funclist = list(funclist)
    if len(funclist) not in (n, n + 1):
        raise ValueError(f"piecewise: with {n} condition(s), either {n} or {n + 1} functions "
                         f"are expected")

    def value(f):
        return f(x, *args, **kw) if callable(f) else f

    if len(funclist) == n + 1:
        out = value(funclist[-1])
    else:
        out = 0.0
    out = out * _np.ones(shape, dtype=_np.result_type(_dtype(x), float))
    for cond, f in zip(condlist, funclist[:n], strict=True):
        out = where(cond, value(f), out)
    return out


# --- index maps computed by NumPy on arange: delete, insert, compress, extract, resize ----------

def _ids(shape):
    return _np.arange(int(_np.prod(shape, dtype=_np.int64)), dtype=_np.intp).reshape(shape)


def _static(v, name, what):
    """The plain value of an index-like argument (it decides the output's shape)."""
    val = getval(v)
    if isinstance(val, Tracer):
        raise TypeError(f"{name}: {what} decides the output's shape, so under vmap it must be "
                        f"the same for every example (it is batched here)")
    return val


def _gather_map(x, imap):
    """``ravel(x)[imap]`` (imap holds flat ids of x): one gather, its VJP one scatter-add."""
    return getitem(ravel(x), idx=imap)


def delete(arr, obj, axis=None):
    """``numpy.delete``; differentiable in ``arr`` (a gather of the kept entries)."""
    if not isinstance(arr, Tracer):
        return _np.delete(arr, getval(obj) if isinstance(obj, Tracer) else obj, axis)
    obj = _static(obj, "delete", "obj")
    return _gather_map(arr, _np.delete(_ids(_shape(arr)), obj, axis))


def insert(arr, obj, values, axis=None):
    """``numpy.insert``; differentiable in ``arr`` and ``values``. The placement (with NumPy's
    broadcasting of ``values``) is NumPy's own, run on index arrays."""
    if not isinstance(arr, Tracer) and not isinstance(values, Tracer):
        return _np.insert(arr, getval(obj) if isinstance(obj, Tracer) else obj, values, axis)
    from .creation import astype

    obj = _static(obj, "insert", "obj")
    arr = arr if isinstance(arr, Tracer) else _np.asarray(arr)
    values = values if isinstance(values, Tracer) else _np.asarray(values)
    n = int(_np.prod(_shape(arr), dtype=_np.int64))
    vshape = _shape(values)
    # values' entries get ids -1, -2, ... so that NumPy's placement is readable back.
    vids = -1 - _ids(vshape)
    imap = _np.insert(_ids(_shape(arr)), obj, vids, axis)
    imap = _np.where(imap >= 0, imap, n - 1 - imap)
    dt = _dtype(arr)
    src = concatenate([ravel(arr), ravel(values if _dtype(values) == dt else
                                         astype(values, dt))], axis=0)
    return getitem(src, idx=imap)


def compress(condition, a, axis=None, out=None):
    """``numpy.compress``; differentiable in ``a``."""
    if out is not None:
        raise TypeError("compress(..., out=...) writes in place; use the returned array")
    if not isinstance(a, Tracer):
        return _np.compress(_static(condition, "compress", "condition"), a, axis)
    cond = _static(condition, "compress", "condition")
    return _gather_map(a, _np.compress(cond, _ids(_shape(a)), axis))


def extract(condition, arr):
    """``numpy.extract``; differentiable in ``arr``."""
    if not isinstance(arr, Tracer):
        return _np.extract(_static(condition, "extract", "condition"), arr)
    cond = _static(condition, "extract", "condition")
    return _gather_map(arr, _np.extract(cond, _ids(_shape(arr))))


def resize(a, new_shape):
    """``numpy.resize`` (repeats the data cyclically); differentiable (a gather whose VJP
    adds up the copies)."""
    if not isinstance(a, Tracer):
        return _np.resize(a, new_shape)
    return _gather_map(a, _np.resize(_ids(_shape(a)), new_shape))


def trim_zeros(filt, trim="fb", axis=None):
    """``numpy.trim_zeros``; differentiable in the kept entries. Which entries are zero is
    read from the values, so under vmap the zero pattern must be the same for every example."""
    if not isinstance(filt, Tracer):
        return _np.trim_zeros(filt, trim, axis)
    nz = _np.asarray(_static(filt, "trim_zeros", "the position of the zeros")) != 0
    # NumPy's own trimming of the 0/1 mask gives the kept box's shape; its start along each
    # trimmed axis is the first nonzero there (when trimming the front).
    box = _np.trim_zeros(nz.astype(_np.int8), trim, axis).shape
    nd = nz.ndim
    idx = []
    for ax in range(nd):
        other = tuple(i for i in range(nd) if i != ax)
        hits = _np.flatnonzero(nz.any(axis=other) if other else nz)
        start = int(hits[0]) if box[ax] != nz.shape[ax] and hits.size and "f" in trim.lower() \
            else 0
        idx.append(slice(start, start + box[ax]))
    return getitem(filt, idx=tuple(idx))


# --- block, concat, unstack, rollaxis ----------------------------------------------------------

def _block_depth(arrays, parents=()):
    """(list depth, max ndim of the leaves), checking NumPy's rules for ``block``."""
    if type(arrays) is tuple:
        raise TypeError(f"block: arrays is a tuple at index {list(parents)}; only lists "
                        f"nest (tuples are ambiguous)")
    if type(arrays) is list:
        if not arrays:
            raise ValueError(f"block: list at index {list(parents)} cannot be empty")
        found = [_block_depth(a, parents + (i,)) for i, a in enumerate(arrays)]
        depths = {d for d, _ in found}
        if len(depths) != 1:
            raise ValueError(f"block: list depths are mismatched under index {list(parents)}")
        return found[0][0] + 1, max(n for _, n in found)
    return 0, _ndim(arrays)


def block(arrays):
    """``numpy.block``; differentiable in every block (nested concatenations)."""
    if not _contains_tracer(arrays):
        return _np.block(arrays)
    depth, max_nd = _block_depth(arrays)
    nd = max(depth, max_nd)

    def build(x, d):
        if type(x) is list:
            return concatenate([build(v, d + 1) for v in x], axis=-(depth - d))
        x = x if isinstance(x, Tracer) else _np.asarray(x)
        s = _shape(x)
        return reshape(x, (1,) * (nd - len(s)) + tuple(s)) if len(s) < nd else x

    return build(arrays, 0)


def _contains_tracer(x):
    if isinstance(x, Tracer):
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_tracer(v) for v in x)
    return False


# ``numpy.concat`` is ``numpy.concatenate`` itself (the array-API name); so is ours.
concat = concatenate


def unstack(x, /, *, axis=0):
    """``numpy.unstack``: a tuple of the slices along ``axis``; differentiable."""
    n = _ndim(x)
    if n == 0:
        raise ValueError("Input array must be at least 1-d.")
    ax = _axis(axis, n, "unstack")
    return tuple(getitem(x, idx=(slice(None),) * ax + (i,)) for i in range(_shape(x)[ax]))


def rollaxis(a, axis, start=0):
    """``numpy.rollaxis``; differentiable (a transpose)."""
    n = _ndim(a)
    axis = _axis(axis, n, "rollaxis")
    start = int(start)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise _np.exceptions.AxisError(f"rollaxis: 'start' arg requires {-n} <= start < "
                                       f"{n + 1}, got {start - (n if start < 0 else 0)}")
    if axis < start:
        start -= 1
    if axis == start:
        return a
    axes = list(range(n))
    axes.remove(axis)
    axes.insert(start, axis)
    return transpose(a, axes)


# --- apply_along_axis / apply_over_axes -------------------------------------------------------

def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``numpy.apply_along_axis``; differentiable through ``func1d``.

    The 1-D slices go through ``chainrule.vmap(func1d)`` in one batched call; a function that
    vmap cannot batch (Python control flow on values, float() of an entry) is called once
    per slice instead. The result's axes replace ``axis``, as in NumPy.
    """
    arr = arr if isinstance(arr, Tracer) else _np.asarray(arr)
    n = _ndim(arr)
    ax = _axis(axis, n, "apply_along_axis")
    moved = moveaxis(arr, ax, -1)
    kept = _shape(moved)[:-1]
    if 0 in kept:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    rows = reshape(moved, (-1, _shape(moved)[-1]))
    m = _shape(rows)[0]
    try:
        from ..transforms.vmap import vmap

        res = vmap(lambda r: func1d(r, *args, **kwargs))(rows)
    except (TypeError, NotImplementedError, ValueError):
        from .shape import stack

        res = stack([_as_array(func1d(getitem(rows, idx=i), *args, **kwargs))
                     for i in range(m)])
    res = res if isinstance(res, Tracer) else _np.asarray(res)
    rshape = _shape(res)[1:]
    res = reshape(res, tuple(kept) + tuple(rshape))
    k = len(rshape)
    if k == 0 or ax == n - 1:
        return res
    # NumPy puts the function's output axes where ``axis`` was
    src = tuple(range(len(kept), len(kept) + k))
    return moveaxis(res, src, tuple(range(ax, ax + k)))


def _as_array(v):
    return v if isinstance(v, Tracer) else _np.asarray(v)


def apply_over_axes(func, a, axes):
    """``numpy.apply_over_axes``; differentiable through ``func``."""
    from .shape import expand_dims

    val = a if isinstance(a, Tracer) else _np.asarray(a)
    N = _ndim(val)
    if _np.ndim(axes) == 0:
        axes = (axes,)
    for axis in axes:
        if axis < 0:
            axis = N + axis
        res = func(val, axis)
        if _ndim(res) == _ndim(val):
            val = res
        else:
            res = expand_dims(res, axis)
            if _ndim(res) == _ndim(val):
                val = res
            else:
                raise ValueError("function is not returning an array of the correct shape")
    return val


from .elementwise import equal, where  # noqa: E402  (cycle)

DIFFERENTIABLE = [
    "append", "apply_along_axis", "apply_over_axes", "array_split", "block", "choose",
    "compress", "concat", "delete", "extract", "insert", "resize", "rollaxis", "trim_zeros",
    "unstack", "column_stack", "diag", "diagflat", "diagonal",
    "dsplit", "dstack", "flip", "fliplr", "flipud", "hsplit", "hstack", "meshgrid", "pad",
    "piecewise", "repeat", "roll", "rot90", "row_stack", "select", "split", "tile", "tril",
    "triu", "vsplit", "vstack",
]
NONDIFFERENTIABLE: list = []
