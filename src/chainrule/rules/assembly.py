"""Assembly and rearrangement: stacking, splitting, tiling, flipping, padding, diagonals.

Why composites: each function here is a few calls to the linear primitives of ``shape``
(reshape, broadcast_to, transpose, getitem, index_add, concatenate), so each inherits their
VJP, JVP and batching rules and every order of derivative; ``roll`` is the one primitive
(its transpose is a roll the other way). Index maps that NumPy already knows how to build
(``pad``'s edge/reflect/wrap modes, ``repeat`` with counts) are computed on ``arange`` and
applied as one gather, so the derivative is a single scatter-add.

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


from .elementwise import equal, where  # noqa: E402  (cycle)

DIFFERENTIABLE = [
    "append", "array_split", "choose", "column_stack", "diag", "diagflat", "diagonal",
    "dsplit", "dstack", "flip", "fliplr", "flipud", "hsplit", "hstack", "meshgrid", "pad",
    "piecewise", "repeat", "roll", "rot90", "row_stack", "select", "split", "tile", "tril",
    "triu", "vsplit", "vstack",
]
NONDIFFERENTIABLE: list = []
