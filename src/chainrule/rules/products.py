"""Products: ``matmul`` is the bilinear primitive; ``dot`` and ``tensordot`` reduce to it.

Why matmul is the one primitive: under ``vmap`` a batch of matrix-vector products becomes one
matrix-matrix product, which is what makes batched Jacobians run at BLAS speed.

    >>> matmul(numpy.eye(2), numpy.ones(2))
    array([1., 1.])
"""

from __future__ import annotations

import numpy as _np

from ..core.batching import align_batched, example_ndim
from ..core.primitive import Primitive, defbilinear
from ._util import unbroadcast
from .shape import expand_dims, reshape, squeeze, swapaxes, transpose

numpy = _np  # for the doctest


def _as_matrices(x, y):
    """Promote 1-D operands the way matmul does: x (k,) -> (1, k), y (k,) -> (k, 1)."""
    return (expand_dims(x, -2) if _np.ndim(x) == 1 else x,
            expand_dims(y, -1) if _np.ndim(y) == 1 else y)


def _promote_g(g, x, y):
    if _np.ndim(x) == 1 and _np.ndim(y) == 1:
        return reshape(g, shape=(1, 1))
    if _np.ndim(x) == 1:
        return expand_dims(g, -2)
    if _np.ndim(y) == 1:
        return expand_dims(g, -1)
    return g


def _matmul_vjp_x(g, ans, x, y):
    xm, ym = _as_matrices(x, y)
    gx = matmul(_promote_g(g, x, y), swapaxes(ym, -1, -2))
    if _np.ndim(x) == 1:
        gx = squeeze(gx, -2)
    return unbroadcast(gx, x)


def _matmul_vjp_y(g, ans, x, y):
    xm, ym = _as_matrices(x, y)
    gy = matmul(swapaxes(xm, -1, -2), _promote_g(g, x, y))
    if _np.ndim(y) == 1:
        gy = squeeze(gy, -1)
    return unbroadcast(gy, y)


def _matmul_batch(vals, dims):
    x, y = vals
    nx, ny = example_ndim(x, dims[0]), example_ndim(y, dims[1])
    if nx == 1:
        x = expand_dims(x, -2)
    if ny == 1:
        y = expand_dims(y, -1)
    x, y = align_batched([x, y], dims)
    out = matmul(x, y)
    drop = ((-2,) if nx == 1 else ()) + ((-1,) if ny == 1 else ())
    return (squeeze(out, drop) if drop else out), 0


matmul = defbilinear(Primitive("matmul", _np.matmul), _matmul_vjp_x, _matmul_vjp_y)
matmul.defbatch(_matmul_batch)


def tensordot(a, b, axes=2):
    """``numpy.tensordot`` as one matrix product between transposed, reshaped operands."""
    na, nb = _np.ndim(a), _np.ndim(b)
    if isinstance(axes, (int, _np.integer)):
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, _np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, _np.integer)) else list(axes_b)
    axes_a = [i % na for i in axes_a]
    axes_b = [i % nb for i in axes_b]
    sa, sb = _np.shape(a), _np.shape(b)
    for i, j in zip(axes_a, axes_b):
        if sa[i] != sb[j]:
            raise ValueError(f"tensordot: shape mismatch, a axis {i} has {sa[i]}, b axis {j} has {sb[j]}")
    free_a = [i for i in range(na) if i not in axes_a]
    free_b = [i for i in range(nb) if i not in axes_b]
    k = int(_np.prod([sa[i] for i in axes_a], dtype=_np.int64))
    am = reshape(transpose(a, axes=tuple(free_a + axes_a)), shape=(-1, k))
    bm = reshape(transpose(b, axes=tuple(axes_b + free_b)), shape=(k, -1))
    out_shape = tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b)
    return reshape(matmul(am, bm), shape=out_shape)


def dot(a, b):
    """``numpy.dot``: a product over a's last axis and b's second-to-last."""
    na, nb = _np.ndim(a), _np.ndim(b)
    if na == 0 or nb == 0:
        from .elementwise import multiply

        return multiply(a, b)
    if nb <= 2 and na <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([na - 1], [max(nb - 2, 0)]))

DIFFERENTIABLE = ["dot", "matmul", "tensordot"]
NONDIFFERENTIABLE: list = []
