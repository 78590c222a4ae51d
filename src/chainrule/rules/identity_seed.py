"""Batching rules that keep a Jacobian's identity seed symbolic (``DiagonalBatch``).

``jacrev`` pushes the rows of an identity backwards, ``jacfwd`` its columns forwards (a chunk
of rows or columns at a time for large Jacobians). While a batch is such a scaled slice of
the identity, an elementwise product only rescales it, and a product with a matrix is a row
scaling (``diag(d) @ W = d[:, None] * W``) rather than a matrix product. For
f(x) = tanh(W2 @ tanh(W1 @ x)) that removes one of the two matrix products of the batched
backward pass: the Jacobian then costs what its closed form costs.

Each rule returns ``(out, out_dim)`` or None to let the trace materialize the rows.

    >>> import chainrule, numpy
    >>> W = numpy.arange(4.0).reshape(2, 2)
    >>> chainrule.jacrev(lambda x: W @ (x * 2.0))(numpy.ones(2))
    array([[0., 2.],
           [4., 6.]])
"""

from __future__ import annotations

from ..core.batching import DiagonalBatch
from ..core.primitive import registry
from ..core.trace import ndim_of


def _is_diag(v) -> bool:
    return type(v) is DiagonalBatch


def _elementwise_operand(v, d) -> bool:
    """An unbatched operand that broadcasts against a 1-D example without changing its shape."""
    return d is None and ndim_of(v) <= 1


def _diag_multiply(vals, dims):
    x, y = vals
    if _is_diag(x) and _is_diag(y):
        return (x.like(x.d * y.d), 0) if x.same_rows(y) else None
    diag, other, od = (x, y, dims[1]) if _is_diag(x) else (y, x, dims[0])
    if _elementwise_operand(other, od):
        return diag.like(diag.d * diag.window(other)), 0
    return None


def _diag_divide(vals, dims):
    x, y = vals
    if _is_diag(x) and _elementwise_operand(y, dims[1]):
        return x.like(x.d / x.window(y)), 0
    return None


def _diag_negative(vals, dims):
    return vals[0].like(-vals[0].d), 0


def _diag_add(sign):
    def rule(vals, dims):
        x, y = vals
        if _is_diag(x) and x.same_rows(y):
            return x.like(x.d + y.d if sign > 0 else x.d - y.d), 0
        return None

    return rule


def _diag_matmul(vals, dims):
    from .shape import reshape, transpose

    x, y = vals
    if _is_diag(x) and _is_diag(y):
        return (x.d * y.d, 0) if x.same_rows(y) else None
    # the matrix-sized products through the primitive: under a jit recording a product of
    # constants (a seed and a constant matrix) is then recomputed per replay, not held
    multiply = registry["multiply"]
    if _is_diag(x) and dims[1] is None:
        rows = slice(x.offset, x.offset + x.k)
        if ndim_of(y) == 2:  # example b: d_b * y[offset + b, :] -> a row scaling of y
            return multiply(reshape(x.d, (-1, 1)), y[rows]), 0
        if ndim_of(y) == 1:
            return x.d * y[rows], 0
    if _is_diag(y) and dims[0] is None:
        cols = slice(y.offset, y.offset + y.k)
        if ndim_of(x) == 2:  # example b: d_b * x[:, offset + b] -> columns scaled, transposed
            return transpose(multiply(x[:, cols], y.d)), 0
        if ndim_of(x) == 1:
            return x[cols] * y.d, 0
    return None


def _diag_sum(vals, dims, axis=None, keepdims=False, dtype=None, **kw):
    if kw or keepdims or dtype is not None or axis not in (None, 0, -1, (0,), (-1,)):
        return None
    return vals[0].d, 0  # each example d_b * e_(offset+b) sums to d_b


_RULES = {
    "multiply": _diag_multiply, "divide": _diag_divide, "negative": _diag_negative,
    "add": _diag_add(+1), "subtract": _diag_add(-1), "matmul": _diag_matmul, "sum": _diag_sum,
}


def install() -> None:
    """Attach the rules to the registered primitives (called once the families are loaded)."""
    for name, rule in _RULES.items():
        registry[name].diag_batch = rule
