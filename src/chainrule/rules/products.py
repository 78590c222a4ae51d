"""Products: ``matmul`` and ``einsum`` are the primitives; dot, tensordot, inner, outer,
vdot, kron, cross, convolve, correlate and polyval are composites over them.

Why matmul is a primitive: under ``vmap`` a batch of matrix-vector products becomes one
matrix-matrix product, which is what makes batched Jacobians run at BLAS speed. ``einsum`` is
one primitive for every subscript string: its VJP is an einsum, its batching rule adds a
letter, and two-operand contractions run as one (batched) matrix product.

    >>> matmul(numpy.eye(2), numpy.ones(2))
    array([1., 1.])
    >>> einsum("ii->", numpy.eye(3))
    np.float64(3.0)
"""

from __future__ import annotations

import math as _math

import numpy as _np

from ..core.batching import align_batched, example_ndim
from ..core.primitive import PerArgRules, Primitive, defbilinear
from ..core.trace import ndim_of, shape_of
from ._util import unbroadcast
from .shape import expand_dims, reshape, squeeze, swapaxes, transpose  # noqa: F401

numpy = _np  # for the doctest


def _plain_matrices(g, x, y) -> bool:
    """Plain 2-D arrays (a first-order backward pass): the transposes are NumPy products."""
    nd = _np.ndarray
    return type(g) is nd and type(x) is nd and type(y) is nd and x.ndim == 2 == y.ndim


def _matmul_vjp_x(g, ans, x, y):
    if _plain_matrices(g, x, y):
        return g @ y.T
    nx, ny = ndim_of(x), ndim_of(y)
    if nx == 1 and ny == 1:
        return g * y
    if nx == 1 and ny == 2:  # g (n,), y (k, n): gx = y @ g, a plain matrix-vector product
        return matmul(y, g)
    if ny == 1:  # g (..., m), y (k,): gx = outer(g, y)
        return unbroadcast(expand_dims(g, -1) * y, x)
    if nx == 1:
        return unbroadcast(squeeze(matmul(expand_dims(g, -2), swapaxes(y, -1, -2)), -2), x)
    return unbroadcast(matmul(g, swapaxes(y, -1, -2)), x)


def _matmul_vjp_y(g, ans, x, y):
    if _plain_matrices(g, x, y):
        return x.T @ g
    nx, ny = ndim_of(x), ndim_of(y)
    if nx == 1 and ny == 1:
        return g * x
    if nx == 2 and ny == 1:  # g (m,), x (m, k): gy = g @ x, a plain vector-matrix product
        return matmul(g, x)
    if nx == 1:  # x (k,), g (..., n): gy = outer(x, g)
        return unbroadcast(expand_dims(x, -1) * expand_dims(g, -2), y)
    if ny == 1:
        return unbroadcast(squeeze(matmul(swapaxes(x, -1, -2), expand_dims(g, -1)), -1), y)
    return unbroadcast(matmul(swapaxes(x, -1, -2), g), y)


def _matmul_batch(vals, dims):
    x, y = vals
    nx, ny = example_ndim(x, dims[0]), example_ndim(y, dims[1])
    # The batched 2-D cases are single matrix-matrix products (one BLAS call).
    if dims[1] is None and nx == 1 and ny == 2:  # x (B, k) @ y (k, n)
        return matmul(x, y), 0
    if dims[0] is None and nx == 2 and ny == 1:  # x (m, k) @ y_b: (B, k) @ x.T
        return matmul(y, swapaxes(x, -1, -2)), 0
    if dims[1] is None and nx == 2 and ny == 2:  # x (B, m, k) @ y (k, n) as (B*m, k) @ y
        s = shape_of(x)
        return reshape(matmul(reshape(x, (-1, s[-1])), y), s[:-1] + shape_of(y)[-1:]), 0
    if nx == 1 and ny == 1 and dims[0] is not None and dims[1] is not None:
        from .reductions import sum as _sum

        return _sum(x * y, axis=-1), 0
    if nx == 1:
        x = expand_dims(x, -2)
    if ny == 1:
        y = expand_dims(y, -1)
    x, y = align_batched([x, y], dims)
    out = matmul(x, y)
    drop = ((-2,) if nx == 1 else ()) + ((-1,) if ny == 1 else ())
    return (squeeze(out, drop) if drop else out), 0


matmul = defbilinear(Primitive("matmul", _np.matmul), _matmul_vjp_x, _matmul_vjp_y)
matmul.defresiduals(False, (True, True))
matmul.defbatch(_matmul_batch)


def tensordot(a, b, axes=2):
    """``numpy.tensordot`` as one matrix product between transposed, reshaped operands."""
    na, nb = ndim_of(a), ndim_of(b)
    if isinstance(axes, (int, _np.integer)):
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, _np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, _np.integer)) else list(axes_b)
    axes_a = [i % na for i in axes_a]
    axes_b = [i % nb for i in axes_b]
    sa, sb = shape_of(a), shape_of(b)
    for i, j in zip(axes_a, axes_b, strict=True):
        if sa[i] != sb[j]:
            raise ValueError(f"tensordot: shape mismatch, a axis {i} has {sa[i]}, "
                             f"b axis {j} has {sb[j]}")
    free_a = [i for i in range(na) if i not in axes_a]
    free_b = [i for i in range(nb) if i not in axes_b]
    k = int(_np.prod([sa[i] for i in axes_a], dtype=_np.int64))
    am = reshape(transpose(a, axes=tuple(free_a + axes_a)), shape=(-1, k))
    bm = reshape(transpose(b, axes=tuple(axes_b + free_b)), shape=(k, -1))
    out_shape = tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b)
    return reshape(matmul(am, bm), shape=out_shape)


def dot(a, b, out=None):
    """``numpy.dot``: a product over a's last axis and b's second-to-last."""
    if out is not None:
        raise TypeError("dot(..., out=...) writes in place; use the returned array")
    na, nb = ndim_of(a), ndim_of(b)
    if na == 0 or nb == 0:
        from .elementwise import multiply

        return multiply(a, b)
    if nb <= 2 and na <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([na - 1], [max(nb - 2, 0)]))


# --- einsum ---------------------------------------------------------------------------------
#
# One primitive for every subscript string. The public function rewrites the subscripts into
# an explicit form with one letter per axis (ellipses expanded, broadcast axes of length 1
# given letters of their own), so the rules only ever see "ab,bc->ac"-style strings:
# - JVP in operand i: the same einsum with operand i replaced by its tangent (multilinear);
# - VJP in operand i: an einsum of the cotangent with the other operands, whose output is
#   operand i's subscripts. A letter repeated in operand i (a diagonal, "ii->i") becomes a
#   fresh letter tied to the original by an identity matrix; a letter summed in operand i
#   alone ("ij->i") is restored by a vector of ones, i.e. a broadcast;
# - batching: a fresh letter for the batch axis on every batched operand and on the output.

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _fresh_letters(used):
    for c in _LETTERS:
        if c not in used:
            used.add(c)
            yield c
    raise ValueError("einsum: more than 52 distinct axes (NumPy's limit) are needed")


def _einsum_normalize(subscripts, shapes):
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
        explicit = True
    else:
        ins, out, explicit = subscripts, "", False
    in_subs = ins.split(",")
    if len(in_subs) != len(shapes):
        raise ValueError(f"einsum: {len(in_subs)} operand subscripts for {len(shapes)} operands "
                         f"in {subscripts!r}")
    for s in in_subs + [out]:
        rest = s.replace("...", "")
        bad = [c for c in rest if c not in _LETTERS]
        if bad:
            raise ValueError(f"einsum: invalid subscript {bad[0]!r} in {subscripts!r}")
    used = set(c for c in subscripts if c in _LETTERS)
    fresh = _fresh_letters(used)
    ell_dims = []
    for s, shape in zip(in_subs, shapes, strict=True):
        named = len(s.replace("...", ""))
        if "..." in s:
            k = len(shape) - named
            if k < 0:
                raise ValueError(f"einsum: operand of shape {shape} has fewer dimensions than "
                                 f"the subscripts {s!r}")
            ell_dims.append(k)
        elif named != len(shape):
            raise ValueError(f"einsum: operand has {len(shape)} dimensions (shape {shape}) but "
                             f"the subscripts {s!r} name {named}")
    n_ell = max(ell_dims, default=0)
    ell = "".join(next(fresh) for _ in range(n_ell))
    full_in = []
    for s, shape in zip(in_subs, shapes, strict=True):
        if "..." in s:
            k = len(shape) - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ell - k:])
        full_in.append(s)
    if explicit:
        if "..." in out:
            out = out.replace("...", ell)
        elif n_ell:
            raise ValueError("output has more dimensions than subscripts given in einstein "
                             "sum, but no '...' ellipsis provided to broadcast the extra "
                             "dimensions.")
    else:
        counts: dict = {}
        for s in in_subs:
            for c in s.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    # letter sizes; a length-1 axis against a longer one broadcasts: give it its own letter
    size: dict = {}
    for s, shape in zip(full_in, shapes, strict=True):
        for c, n in zip(s, shape, strict=True):
            if n != 1:
                if size.get(c, n) != n:
                    raise ValueError(f"einsum: operands could not be broadcast together with "
                                     f"remapped shapes; subscript {c!r} has sizes {size[c]} "
                                     f"and {n}")
                size[c] = n
    final_in = []
    for s, shape in zip(full_in, shapes, strict=True):
        chars = [next(fresh) if n == 1 and size.get(c, 1) != 1 else c
                 for c, n in zip(s, shape, strict=True)]
        final_in.append("".join(chars))
    return ",".join(final_in) + "->" + out


def _split(subscripts):
    ins, out = subscripts.split("->")
    return ins.split(","), out


_PAIRWISE_MIN_WORK = 32768  # multiply-adds below which numpy.einsum itself is faster


def _pairwise(sa, sb, out, a, b):
    """Two-operand einsum as one (batched) matrix product, so BLAS does the work; None when
    the pattern has no contraction or repeats a letter (NumPy's einsum handles those)."""
    if len(set(sa)) != len(sa) or len(set(sb)) != len(sb) or len(set(out)) != len(out):
        return None
    contract = [c for c in sa if c in sb and c not in out]
    if not contract:
        return None
    work = _math.prod(shape_of(a)) * _math.prod(
        n for c, n in zip(sb, shape_of(b), strict=True) if c not in sa)
    if work < _PAIRWISE_MIN_WORK:
        return None  # small: NumPy's einsum loop beats the Python set-up of a matmul
    a_sum = tuple(i for i, c in enumerate(sa) if c not in sb and c not in out)
    b_sum = tuple(i for i, c in enumerate(sb) if c not in sa and c not in out)
    if a_sum:
        a = _np.sum(a, axis=a_sum)
        sa = "".join(c for i, c in enumerate(sa) if i not in a_sum)
    if b_sum:
        b = _np.sum(b, axis=b_sum)
        sb = "".join(c for i, c in enumerate(sb) if i not in b_sum)
    size = dict(zip(sa, shape_of(a), strict=True))
    for c, n in zip(sb, shape_of(b), strict=True):
        if size.setdefault(c, n) != n:
            return None
    batch = [c for c in out if c in sa and c in sb]
    fa = [c for c in out if c in sa and c not in sb]
    fb = [c for c in out if c in sb and c not in sa]
    nb, na, nk, nf = (_math.prod(size[c] for c in cs) for cs in (batch, fa, contract, fb))
    pa = [sa.index(c) for c in batch + fa + contract]
    pb = [sb.index(c) for c in batch + contract + fb]
    if pa != list(range(len(pa))):
        a = _np.transpose(a, pa)
    if pb != list(range(len(pb))):
        b = _np.transpose(b, pb)
    if batch:
        res = _np.matmul(a.reshape(nb, na, nk), b.reshape(nb, nk, nf))
    else:  # a plain 2-D product (one BLAS call)
        res = _np.matmul(a.reshape(na, nk), b.reshape(nk, nf))
    order = batch + fa + fb
    res = res.reshape([size[c] for c in order])
    if order != list(out):
        res = _np.transpose(res, [order.index(c) for c in out])
    return res


def _einsum_impl(*ops, subscripts):
    if len(ops) == 2:
        (sa, sb), out = _split(subscripts)
        res = _pairwise(sa, sb, out, ops[0], ops[1])
        if res is not None:
            return res
    return _np.einsum(subscripts, *ops, optimize="greedy" if len(ops) > 2 else False)


def _dtype(x):
    d = getattr(x, "dtype", None)
    return d if d is not None else _np.result_type(x)


def _einsum_vjp_of(i):
    def vjp(g, ans, *ops, subscripts):
        ins, out = _split(subscripts)
        si = ins[i]
        used = set(subscripts) - {",", "-", ">"}
        fresh = _fresh_letters(used)
        other_subs = [s for j, s in enumerate(ins) if j != i]
        other_ops = [o for j, o in enumerate(ops) if j != i]
        avail = set(out).union(*other_subs)
        dt = _dtype(ops[i])
        letters, extra_subs, extra_ops = [], [], []
        seen = set()
        for c, n in zip(si, shape_of(ops[i]), strict=True):
            if c in seen:  # a diagonal: tie a fresh letter to c through an identity
                f = next(fresh)
                letters.append(f)
                extra_subs.append(c + f)
                extra_ops.append(_np.eye(n, dtype=dt))
                continue
            seen.add(c)
            letters.append(c)
            if c not in avail and si.count(c) == 1:  # summed in operand i alone: broadcast
                extra_subs.append(c)
                extra_ops.append(_np.ones(n, dtype=dt))
        spec = ",".join([out] + other_subs + extra_subs) + "->" + "".join(letters)
        return _einsum_p(g, *other_ops, *extra_ops, subscripts=spec)

    return vjp


def _einsum_jvp_of(i):
    def jvp(g, ans, *ops, subscripts):
        ops = list(ops)
        ops[i] = g
        return _einsum_p(*ops, subscripts=subscripts)

    return jvp


def _einsum_batch(vals, dims, subscripts):
    ins, out = _split(subscripts)
    z = next(_fresh_letters(set(subscripts)))
    spec = ",".join(z + s if d is not None else s for s, d in zip(ins, dims, strict=True))
    return _einsum_p(*vals, subscripts=spec + "->" + z + out), 0


_einsum_p = Primitive("einsum", _einsum_impl)
_einsum_p.vjps = PerArgRules(_einsum_vjp_of)
_einsum_p.jvps = PerArgRules(_einsum_jvp_of)
_einsum_p.defbatch(_einsum_batch)


def _sublist_letters(sub):
    out = []
    for k in sub:
        if k is Ellipsis:
            out.append("...")
        else:
            k = int(k)
            if not 0 <= k < len(_LETTERS):
                raise ValueError(f"einsum: subscript index {k} out of range [0, 52)")
            out.append(_LETTERS[k])
    return "".join(out)


def einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    """``numpy.einsum`` for any subscripts (ellipsis, implicit output, repeated letters, the
    interleaved ``einsum(a, [0, 1], b, [1, 2])`` form); differentiable in every operand."""
    if out is not None:
        raise TypeError("einsum(..., out=...) writes in place; use the returned array")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        ops = list(operands[0::2])
        subs = [_sublist_letters(s) for s in operands[1::2]]
        if len(operands) % 2:  # a trailing output sublist
            out_sub = _sublist_letters(operands[-1]) if len(ops) > len(subs) else None
            ops = ops[:len(subs)]
            subscripts = ",".join(subs) + ("->" + out_sub if out_sub is not None else "")
        else:
            subscripts = ",".join(subs)
    ops = [o if hasattr(o, "shape") else _np.asarray(o) for o in ops]
    spec = _einsum_normalize(subscripts, [shape_of(o) for o in ops])
    if dtype is not None:
        from .creation import astype

        ops = [astype(o, dtype) for o in ops]
    return _einsum_p(*ops, subscripts=spec)


def einsum_path(*operands, optimize="greedy", einsum_call=False):
    """``numpy.einsum_path``: a contraction plan (no derivative; reads only shapes)."""
    from ..core.trace import Tracer

    ops = [_np.broadcast_to(_np.zeros((), dtype=o.dtype), o.shape) if isinstance(o, Tracer)
           else o for o in operands]
    return _np.einsum_path(*ops, optimize=optimize, einsum_call=einsum_call)


# --- small products as composites -------------------------------------------------------------

def _conj(x):
    if _np.issubdtype(_dtype(x), _np.complexfloating):
        from .elementwise import conj

        return conj(x)
    return x


def outer(a, b, out=None):
    """``numpy.outer``; differentiable."""
    if out is not None:
        raise TypeError("outer(..., out=...) writes in place; use the returned array")
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def inner(a, b):
    """``numpy.inner``: a sum over the last axes; differentiable."""
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return a * b
    if shape_of(a)[-1] != shape_of(b)[-1]:
        raise ValueError(f"inner: shapes {shape_of(a)} and {shape_of(b)} not aligned: last "
                         f"dimensions differ")
    if ndim_of(a) == 1 and ndim_of(b) == 1:
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def vdot(a, b):
    """``numpy.vdot``: the flattened dot product, conjugating ``a``; differentiable."""
    a, b = reshape(a, (-1,)), reshape(b, (-1,))
    if shape_of(a) != shape_of(b):
        raise ValueError(f"vdot: vectors have different lengths ({shape_of(a)[0]} and "
                         f"{shape_of(b)[0]})")
    return matmul(_conj(a), b)


def vecdot(x1, x2, /, *, axis=-1, out=None, **kwargs):
    """``numpy.vecdot``: sum(conj(x1) * x2) along ``axis``; differentiable."""
    if out is not None:
        raise TypeError("vecdot(..., out=...) writes in place; use the returned array")
    from .reductions import sum as _sum

    return _sum(_conj(x1) * x2, axis=axis)


def matvec(x1, x2, /, *, out=None, **kwargs):
    """``numpy.matvec``: stacked matrix-vector products; differentiable."""
    if out is not None:
        raise TypeError("matvec(..., out=...) writes in place; use the returned array")
    return squeeze(matmul(x1, expand_dims(x2, -1)), -1)


def vecmat(x1, x2, /, *, out=None, **kwargs):
    """``numpy.vecmat``: stacked conj(vector)-matrix products; differentiable."""
    if out is not None:
        raise TypeError("vecmat(..., out=...) writes in place; use the returned array")
    return squeeze(matmul(expand_dims(_conj(x1), -2), x2), -2)


def kron(a, b):
    """``numpy.kron``: interleave the axes of a and b, multiply, merge; differentiable."""
    sa, sb = shape_of(a), shape_of(b)
    nd = max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + tuple(sa)
    sb = (1,) * (nd - len(sb)) + tuple(sb)
    ar = reshape(a, tuple(v for n in sa for v in (n, 1)))
    br = reshape(b, tuple(v for n in sb for v in (1, n)))
    return reshape(ar * br, tuple(m * n for m, n in zip(sa, sb, strict=True)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """``numpy.cross`` of 3-vectors (and 2-vectors, which NumPy deprecates); differentiable."""
    from .shape import broadcast_to, moveaxis, stack

    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    shape = _np.broadcast_shapes(shape_of(a)[:-1], shape_of(b)[:-1])
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return broadcast_to(z, shape)
    if na == 3 and nb == 3:
        a2, b2 = a[..., 2], b[..., 2]
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    elif na == 2:  # a2 = 0
        b2 = b[..., 2]
        x, y = a1 * b2, -(a0 * b2)
    else:  # b2 = 0
        a2 = a[..., 2]
        x, y = -(a2 * b1), a2 * b0
    c = stack([broadcast_to(t, shape) for t in (x, y, z)], axis=-1)
    return moveaxis(c, -1, axisc)


# --- convolution --------------------------------------------------------------------------

def _conv(a, v, mode):
    """Convolution of 1-D a (length n) with v (length m <= n) as windows of a times flipped v:
    one gather and one matrix-vector product (O(L m) memory for L outputs)."""
    from .shape import concatenate, getitem

    n, m = shape_of(a)[0], shape_of(v)[0]
    if mode == "full":
        ks = _np.arange(0, n + m - 1)
    elif mode == "same":
        ks = _np.arange((m - 1) // 2, (m - 1) // 2 + n)
    elif mode == "valid":
        ks = _np.arange(m - 1, n)
    else:
        raise ValueError(f"convolve: mode must be one of 'valid', 'same', 'full' (got {mode!r})")
    windows = ks[:, None] + _np.arange(m)[None, :]  # indices into a padded by m - 1 zeros
    if mode == "valid":
        ap, windows = a, windows - (m - 1)
    else:
        pad = _np.zeros(m - 1, dtype=_dtype(a))
        ap = concatenate([pad, a, pad])
    return matmul(getitem(ap, idx=(windows,)), v[::-1])


def _check_1d(name, a, v):
    if ndim_of(a) != 1 or ndim_of(v) != 1:
        raise ValueError(f"{name}: object too deep for desired array (inputs must be 1-D, got "
                         f"shapes {shape_of(a)} and {shape_of(v)})")
    if shape_of(a)[0] == 0:
        raise ValueError(f"{name}: a cannot be empty")
    if shape_of(v)[0] == 0:
        raise ValueError(f"{name}: v cannot be empty")


def _as_array(x):
    return x if hasattr(x, "shape") else _np.asarray(x)


def convolve(a, v, mode="full"):
    """``numpy.convolve`` (modes 'full', 'same', 'valid'); differentiable in both."""
    a, v = _as_array(a), _as_array(v)
    _check_1d("convolve", a, v)
    if shape_of(v)[0] > shape_of(a)[0]:
        a, v = v, a
    return _conv(a, v, mode)


def correlate(a, v, mode="valid"):
    """``numpy.correlate``: c[k] = sum_n a[n + k] conj(v[n]); differentiable in both."""
    a, v = _as_array(a), _as_array(v)
    _check_1d("correlate", a, v)
    if shape_of(v)[0] > shape_of(a)[0]:
        # NumPy swaps the operands and reverses: c(a, v) = conj(flip(c(v, a)))
        return _conj(correlate(v, a, mode)[::-1])
    return _conv(a, _conj(v[::-1]), mode)


def polyval(p, x):
    """``numpy.polyval`` by Horner's rule; differentiable in ``p`` and ``x``."""
    from .creation import asarray
    from .elementwise import zeros_like

    p = asarray(p) if isinstance(p, (list, tuple)) else p
    x = _as_array(x)
    if ndim_of(p) != 1:
        raise ValueError(f"polyval: p must be 1-D (got shape {shape_of(p)})")
    y = zeros_like(x) + p[0]
    for k in range(1, shape_of(p)[0]):
        y = y * x + p[k]
    return y


DIFFERENTIABLE = [
    "convolve", "correlate", "cross", "dot", "einsum", "inner", "kron", "matmul", "matvec",
    "outer", "polyval", "tensordot", "vdot", "vecdot", "vecmat",
]
NONDIFFERENTIABLE = ["einsum_path"]
