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
from .shape import expand_dims, reshape, squeeze, swapaxes, transpose  # noqa: F401

numpy = _np  # for the doctest


def _matmul_vjp_x(g, ans, x, y):
    nx, ny = _np.ndim(x), _np.ndim(y)
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
    nx, ny = _np.ndim(x), _np.ndim(y)
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
        s = _np.shape(x)
        return reshape(matmul(reshape(x, (-1, s[-1])), y), s[:-1] + _np.shape(y)[-1:]), 0
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
