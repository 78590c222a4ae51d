"""Batching: ``vmap`` pushes a whole batch through each primitive in one call.

Why: a Jacobian is a VJP (or JVP) applied to every row (column) of an identity. Looping over
rows costs m Python passes; a batch trace carries the rows as one array with a leading batch
axis, so every rule runs once on a matrix and BLAS does the work. A batched value always
keeps its batch axis first (rules see ``dims[i]`` as 0 or None, and may answer any axis: the
trace moves it back to the front).

    >>> from chainrule import numpy as cnp
    >>> t = BatchTrace(3); x = BatchTracer(t, numpy.arange(6.0).reshape(3, 2))
    >>> cnp.sum(x)._val
    array([1., 5., 9.])
"""

from __future__ import annotations

import numpy as _np

from .staging import FALLBACK, StagedTracer, call_as_unit, constant_call
from .staging import recording as _recording
from .trace import Trace, Tracer, dtype_of, ndim_of, shape_of

numpy = _np  # for the doctest above
_new_tracer = object.__new__


def _reg(name):
    from .primitive import registry

    return registry[name]


class BatchTracer(Tracer):
    """A batch of values; ``_val`` has the batch on axis 0. ``shape`` is one example's."""

    __slots__ = ("_val",)

    def __init__(self, trace, val):
        self._trace = trace
        self._val = val

    @property
    def shape(self):
        return shape_of(self._val)[1:]

    @property
    def dtype(self):
        return dtype_of(self._val)

    def primal_value(self):
        return self  # a batch has no single primal value


_DIM0 = (0,)


class BatchTrace(Trace):
    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def process(self, prim, args, params):
        if len(args) == 1:  # the hot unary case: the one argument is this trace's tracer
            v = args[0]._val
            vals = (v,)
            dims = _DIM0
            diagonal = type(v) is DiagonalBatch
        else:
            vals = []
            dims = []
            diagonal = False
            for a in args:
                if type(a) is BatchTracer and a._trace is self:
                    v = a._val
                    if type(v) is DiagonalBatch:
                        diagonal = True
                    vals.append(v)
                    dims.append(0)
                else:
                    vals.append(a)
                    dims.append(None)
        if diagonal:
            # A rule that knows the diagonal structure keeps it (or turns it into a cheap
            # row scaling); anything else sees the materialized matrix.
            rule = getattr(prim, "diag_batch", None)
            res = rule(vals, dims, **params) if rule is not None else None
            if res is not None:
                return self._wrap(*res)
            vals = [v.materialize() if type(v) is DiagonalBatch else v for v in vals]
        rule = prim.batch or loop_batch(prim)
        out, out_dim = rule(vals, dims, **params) if params else rule(vals, dims)
        if prim.multiple_results:
            return tuple(self._wrap(o, d) for o, d in zip(out, out_dim))
        if out_dim == 0:  # the common answer: wrap without a helper call
            t = _new_tracer(BatchTracer)
            t._trace = self
            t._val = out
            return t
        return self._wrap(out, out_dim)

    def _wrap(self, out, out_dim):
        if out_dim is None:
            return out
        if out_dim != 0:
            out = _reg("moveaxis")(out, source=out_dim, destination=0)
        return BatchTracer(self, out)


class DiagonalBatch:
    """Rows ``offset .. offset+k`` of diag(d'): example ``b`` is ``d[b] * e_(offset+b)`` in R^n.

    Why: ``jacrev`` seeds the backward pass with the rows of an identity, ``jacfwd`` the
    forward pass with its columns (a chunk of them when the Jacobian is large). Kept
    symbolic, an elementwise product only rescales ``d`` and a product with a matrix is a
    row (or column) scaling instead of a matrix product, so a Jacobian costs what its closed
    form costs. Primitives opt in with a ``diag_batch`` rule (see
    ``chainrule.rules.identity_seed``); every other primitive sees ``materialize()``.
    """

    __slots__ = ("d", "offset", "n")

    def __init__(self, d, offset: int = 0, n: int | None = None) -> None:
        self.d = d
        self.offset = offset
        self.n = shape_of(d)[0] if n is None else n

    @property
    def k(self) -> int:
        return shape_of(self.d)[0]

    @property
    def shape(self) -> tuple:
        return (self.k, self.n)

    @property
    def dtype(self):
        return self.d.dtype

    ndim = 2

    def like(self, d) -> DiagonalBatch:
        """The same rows with new values ``d``."""
        return DiagonalBatch(d, self.offset, self.n)

    def same_rows(self, other) -> bool:
        return (type(other) is DiagonalBatch and other.offset == self.offset
                and other.n == self.n and other.k == self.k)

    def window(self, v):
        """The entries of an example-shaped vector ``v`` that these rows touch."""
        if ndim_of(v) == 0 or shape_of(v)[0] == 1:
            return v
        if self.offset == 0 and self.k == self.n:
            return v
        return v[self.offset:self.offset + self.k]

    def materialize(self):
        from .trace import underlying

        d = self.d
        if type(d) is _np.ndarray:  # plain values: write the diagonal into zeros directly
            if _recording:  # a jit recording: recomputed per replay when large
                return constant_call(_diagonal_rows, (d, self.k, self.n, self.offset), {})
            return _diagonal_rows(d, self.k, self.n, self.offset)
        if type(d) is StagedTracer:  # a jit recording: made afresh by each replay
            out = call_as_unit(d._trace, _diagonal_rows, (d, self.k, self.n, self.offset), {})
            if out is not FALLBACK:
                return out
        base = underlying(d)  # its array type only (NumPy, CuPy, ...)
        like = {} if isinstance(base, _np.ndarray) else {"like": base}
        rows = _np.eye(self.k, self.n, k=self.offset, dtype=d.dtype, **like)
        return _reg("multiply")(rows, _reg("reshape")(d, shape=(self.k, 1)))


def _diagonal_rows(d, k: int, n: int, offset: int):
    """The (k, n) array with ``d`` on its ``offset``-th diagonal and zeros elsewhere."""
    out = _np.zeros((k, n), dtype=d.dtype)
    rows = _np.arange(k)
    out[rows, rows + offset] = d
    return out


def loop_batch(prim):
    """Fallback batching rule: call ``prim`` once per example and stack (correct, not fast)."""

    def rule(vals, dims, **params):
        size = next(shape_of(v)[0] for v, d in zip(vals, dims) if d is not None)
        rows = [prim(*[v if d is None else v[i] for v, d in zip(vals, dims)], **params)
                for i in range(size)]
        stack = _reg("stack")
        if prim.multiple_results:
            return tuple(stack(*col, axis=0) for col in zip(*rows)), (0,) * len(rows[0])
        return stack(*rows, axis=0), 0

    return rule


# --- helpers for batching rules ---------------------------------------------------------

def example_ndim(v, d) -> int:
    return ndim_of(v) - (0 if d is None else 1)


def align_batched(vals, dims):
    """For elementwise ops: give each batched arg ones after its batch axis so that NumPy's
    right-aligned broadcasting pairs example axes with example axes."""
    if len(vals) == 2:  # the common binary op: aligned already unless a batched one is lower
        (a, b), (da, db) = vals, dims
        ka = ndim_of(a) - (da is not None)
        kb = ndim_of(b) - (db is not None)
        if ka == kb or (ka > kb and db is None) or (kb > ka and da is None):
            return vals
    elif len(vals) == 1:
        return vals
    ranks = [ndim_of(v) - (0 if d is None else 1) for v, d in zip(vals, dims)]
    rank = max(ranks)
    out = list(vals)
    for i, (v, d, k) in enumerate(zip(vals, dims, ranks)):
        if d is not None and k < rank:
            s = shape_of(v)
            out[i] = _reg("reshape")(v, shape=s[:1] + (1,) * (rank - k) + s[1:])
    return out


def batch_elementwise(prim):
    def rule(vals, dims, **params):
        return prim(*align_batched(vals, dims), **params), 0

    return rule


def materialize(v, d, size):
    """Give an unbatched value a leading batch axis of ``size`` (a broadcast view)."""
    if d is not None:
        return v
    return _reg("broadcast_to")(v, shape=(size,) + shape_of(v))


def shift_axis(axis, ndim: int):
    """Map an example-level ``axis`` param (None, int or tuple) to the batched array."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, tuple):
        return tuple(a % ndim + 1 for a in axis)
    return axis % ndim + 1 if ndim else 1
