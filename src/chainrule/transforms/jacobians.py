"""Jacobians and Hessians in one batched pass: ``jacrev = vmap(vjp)``, ``jacfwd = vmap(jvp)``.

Shapes follow the seed: ``jacobian(f)(x).shape == out.shape + x.shape``, J[i, j] = ∂f_i/∂x_j.
For pytrees, the output structure is outside and the input structure inside.

    >>> import chainrule.numpy as cnp, numpy
    >>> jacobian(lambda x: x ** 2)(numpy.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as _np

from ..core.pytree import tree_flatten, tree_unflatten
from ..core.reverse import finish
from ..core.staging import FALLBACK, StagedTracer, call_as_unit
from ..core.trace import Zero, dtype_of, shape_of
from ._args import check_differentiable, named, resolve_argnums, split_args
from .forward_mode import trace_jvp
from .reverse_mode import grad, make_vjp, trace_vjp
from .vmap import vmap, vmap_over_identity

# A Jacobian larger than this is computed a chunk of rows (or columns) at a time, so that
# the batched pass's temporaries stay a small fraction of the result.
AUTO_CHUNK_BYTES = 4 * 2**20
AUTO_CHUNKS = 16


def auto_chunk_size(n_rows: int, n_cols: int, itemsize: int) -> int | None:
    """The chunk (rows per batched pass) ``jacobian`` uses when none is given."""
    if n_rows * n_cols * itemsize <= AUTO_CHUNK_BYTES:
        return None
    return max(1, -(-n_rows // AUTO_CHUNKS))


def _basis(shape, dtype, start, stop):
    """Rows ``start:stop`` of the identity seed, shaped (stop - start,) + shape."""
    from ..numpy import reshape

    n = int(_np.prod(shape, dtype=_np.int64))
    rows = _np.eye(stop - start, n, k=start, dtype=dtype)
    return reshape(rows, (stop - start,) + tuple(shape))


def _vmap_basis(fn, shape, dtype, chunk_size, n_other: int = 1):
    """``vmap(fn)`` over the identity basis of ``shape`` (seed rows), ``chunk_size`` at a time.

    A 1-D seed stays symbolic (a ``DiagonalBatch``), so rules that know it turn products with
    the identity into scalings. Chunks are written into one preallocated result.
    ``n_other`` (the size of the other side of the Jacobian) sizes the automatic chunk."""
    n = math.prod(shape)
    dtype = _np.dtype(dtype)
    dtype = dtype if dtype.kind in "fc" else _np.dtype(_np.float64)
    if n == 1:  # one seed (a scalar output, as in a Hessian's inner gradient): no batch trace
        from ..core.pytree import tree_map
        from ..numpy import ones

        out = fn(ones(shape, dtype=dtype))
        return tree_map(lambda r: _reshape(r, (1,) + tuple(_np.shape(r))), out)
    if chunk_size is None:
        chunk_size = auto_chunk_size(n, n_other, dtype.itemsize)
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int (rows per batched pass), got "
                         f"{chunk_size!r}")
    step = n if chunk_size is None else max(1, int(chunk_size))

    def piece(start, stop):
        if len(shape) == 1:
            return vmap_over_identity(fn, n, dtype, start, stop)
        return vmap(fn)(_basis(shape, dtype, start, stop))

    if step >= n:
        return piece(0, n)
    result = None
    td = None
    for start in range(0, n, step):
        stop = min(n, start + step)
        leaves, td = tree_flatten(piece(start, stop))
        if result is None:
            result = [_Assembly(n, leaf) for leaf in leaves]
        for acc, leaf in zip(result, leaves):
            acc.put(start, stop, leaf)
    return tree_unflatten(td, [acc.done() for acc in result])


class _Assembly:
    """Chunks of rows gathered into one array: written in place when they are plain arrays
    (or values of a jit recording, whose replay then writes in place as well), concatenated
    (differentiably) when they are traced."""

    def __init__(self, n: int, first) -> None:
        self.n = n
        # the kind of chunk written in place so far; None: concatenating a list
        self.kind = type(first) if type(first) in (_np.ndarray, StagedTracer) else None
        self.out = None if self.kind is not None else []

    def put(self, start, stop, leaf) -> None:
        if type(leaf) is self.kind:
            fn, args = ((_first_rows, (leaf, self.n)) if self.out is None
                        else (_rows_into, (self.out, start, leaf)))
            out = (fn(*args) if self.kind is _np.ndarray
                   else call_as_unit(leaf._trace, fn, args, {}))
            if out is not FALLBACK:
                self.out = out
                return
        if self.kind is not None:  # a traced chunk after plain ones: concatenate
            self.out = [] if self.out is None else [self.out[:start]]
            self.kind = None
        self.out.append(leaf)

    def done(self):
        if self.kind is not None:
            return self.out
        from ..numpy import concatenate

        return self.out[0] if len(self.out) == 1 else concatenate(self.out, axis=0)


def _first_rows(leaf, n: int):
    """A new array of ``n`` rows whose first ones are ``leaf`` (the rest to be written)."""
    out = _np.empty((n,) + leaf.shape[1:], dtype=leaf.dtype)
    out[:leaf.shape[0]] = leaf
    return out


def _rows_into(out, start: int, leaf):
    """``out`` with ``leaf`` written into its rows from ``start`` on (in place)."""
    out[start:start + leaf.shape[0]] = leaf
    return out


def _reshape(x, shape):
    if type(x) is _np.ndarray:
        return x.reshape(shape)
    from ..numpy import reshape

    return reshape(x, shape)


def _total_size(leaves) -> int:
    """How many numbers the leaves hold together (one side of a Jacobian)."""
    return sum(math.prod(shape_of(x)) for x in leaves)


def _jac_from_recording(rec, diff, single: bool, chunk_size):
    out_leaves, out_td = tree_flatten(rec.out)
    in_leaves, in_td = tree_flatten(diff)
    n_in = _total_size(in_leaves)
    blocks = []
    for i, o in enumerate(out_leaves):
        oshape = shape_of(o)

        def row(c, i=i):  # the seed is made here, of the output's shape: no checks needed
            cts = [None] * len(out_leaves)
            cts[i] = c
            return rec.pullback(cts)

        r_leaves = _vmap_basis(row, oshape, dtype_of(o), chunk_size, n_in)
        blocks.append(tree_unflatten(in_td, [
            _reshape(r, oshape + shape_of(x)) for r, x in zip(r_leaves, in_leaves)]))
    blocks = [b[0] if single else b for b in blocks]
    return tree_unflatten(out_td, blocks)


def _is_complex(x) -> bool:
    return dtype_of(x).kind == "c"


def _check_complex(what: str, leaves, holomorphic: bool, side: str, other: str) -> None:
    """Rows (jacrev) of a complex output, or columns (jacfwd) of a complex input, are the
    Jacobian only for a holomorphic function: otherwise the two modes would disagree."""
    if not holomorphic and any(_is_complex(x) for x in leaves):
        raise TypeError(
            f"{what}: the function has a complex {side}; its Jacobian in this mode is defined "
            f"for holomorphic functions only: pass holomorphic=True if it is one, use {other} "
            "(a real input or output on the other side), or vjp/jvp directly")


def jacrev(f: Callable, argnums=0, has_aux: bool = False, *, chunk_size: int | None = None,
           holomorphic: bool = False, argnum=None) -> Callable:
    """The Jacobian by reverse mode: one batched VJP over the rows of an identity."""
    argnums = resolve_argnums(argnums, argnum)

    def jac(*args, **kwargs):
        diff, rebuild, _ = split_args(args, argnums)
        rec = trace_vjp(lambda *d: f(*rebuild(d), **kwargs), diff, has_aux=has_aux,
                        what="jacrev")
        _check_complex("jacrev", tree_flatten(rec.out)[0], holomorphic, "output", "jacfwd")
        j = _jac_from_recording(rec, diff, isinstance(argnums, int), chunk_size)
        finish(rec.trace)  # the tape is done with: free it now, not at the next gc
        return (j, rec.aux) if has_aux else j

    return named(jac, "jacrev", f)


def jacfwd(f: Callable, argnums=0, has_aux: bool = False, *, chunk_size: int | None = None,
           holomorphic: bool = False, argnum=None) -> Callable:
    """The Jacobian by forward mode: one batched JVP over the columns of an identity."""
    argnums = resolve_argnums(argnums, argnum)

    def jac(*args, **kwargs):
        diff, rebuild, nums = split_args(args, argnums)
        leaves, td = tree_flatten(diff)
        check_differentiable(leaves, td, [str(i) for i in nums], "jacfwd")
        _check_complex("jacfwd", leaves, holomorphic, "input", "jacrev")
        return _jacfwd(lambda *d: f(*rebuild(d), **kwargs), diff, isinstance(argnums, int),
                       has_aux, chunk_size)

    return named(jac, "jacfwd", f)


def _jacfwd(g, diff, single, has_aux, chunk_size, n_out=None):
    in_leaves, in_td = tree_flatten(diff)
    per_input = []
    aux = None
    out_td = None
    for j, x in enumerate(in_leaves):
        xshape = _np.shape(x)

        def column(c, j=j):
            tangents = [Zero(v) for v in in_leaves]
            tangents[j] = c
            res = trace_jvp(g, diff, tree_unflatten(in_td, tangents), has_aux)
            return res[1]

        cols = _vmap_basis(column, xshape, _np.result_type(x), chunk_size,
                           _np.size(x) if n_out is None else n_out)
        c_leaves, out_td = tree_flatten(cols)
        per_input.append([_from_columns(c, xshape) for c in c_leaves])
    if has_aux:
        aux = trace_jvp(g, diff, tree_unflatten(in_td, [Zero(v) for v in in_leaves]), True)[2]
    n_out = len(per_input[0]) if per_input else 0
    blocks = []
    for k in range(n_out):
        b = tree_unflatten(in_td, [per_input[j][k] for j in range(len(in_leaves))])
        blocks.append(b[0] if single else b)
    j = tree_unflatten(out_td, blocks)
    return (j, aux) if has_aux else j


def _from_columns(c, xshape):
    """(n, *out_shape) columns -> out_shape + x_shape."""
    from ..numpy import moveaxis

    oshape = _np.shape(c)[1:]
    return _reshape(moveaxis(c, 0, -1), oshape + tuple(xshape))


def jacobian(f: Callable, argnums=0, has_aux: bool = False, *, chunk_size: int | None = None,
             holomorphic: bool = False, argnum=None) -> Callable:
    """The Jacobian, by the cheaper mode: reverse when outputs are no more than inputs.

    A complex output of a real input is taken in forward mode, a complex input of a real
    output in reverse mode; complex on both sides needs ``holomorphic=True``.

        >>> import numpy
        >>> jacobian(lambda x: x[0] * x[1])(numpy.array([2.0, 3.0]))
        array([3., 2.])
    """
    argnums = resolve_argnums(argnums, argnum)

    def jac(*args, **kwargs):
        diff, rebuild, _ = split_args(args, argnums)
        g = lambda *d: f(*rebuild(d), **kwargs)  # noqa: E731
        single = isinstance(argnums, int)
        rec = trace_vjp(g, diff, has_aux=has_aux, what="jacobian")
        in_leaves, out_leaves = tree_flatten(diff)[0], tree_flatten(rec.out)[0]
        n_in, n_out = _total_size(in_leaves), _total_size(out_leaves)
        complex_in = any(_is_complex(x) for x in in_leaves)
        complex_out = any(_is_complex(o) for o in out_leaves)
        if complex_in and complex_out and not holomorphic:
            _check_complex("jacobian", out_leaves, holomorphic, "input and output", "vjp")
        reverse = n_out <= n_in if complex_in == complex_out else complex_in
        if reverse:
            j = _jac_from_recording(rec, diff, single, chunk_size)
            finish(rec.trace)
            return (j, rec.aux) if has_aux else j
        finish(rec.trace)
        return _jacfwd(g, diff, single, has_aux, chunk_size, n_out)

    return named(jac, "jacobian", f)


def hessian(f: Callable, argnums=0, has_aux: bool = False, *, holomorphic: bool = False,
            argnum=None) -> Callable:
    """Forward over reverse: ``jacfwd(jacrev(f))``; shape ``out + in + in``.

    With ``has_aux`` ``f`` returns ``(value, aux)`` and the result is ``(hessian, aux)``."""
    argnums = resolve_argnums(argnums, argnum)
    return jacfwd(jacrev(f, argnums, has_aux, holomorphic=holomorphic), argnums, has_aux,
                  holomorphic=holomorphic)


def hvp(f: Callable, primals, tangents):
    """Hessian-vector product H·v of scalar ``f`` at ``primals`` (forward over reverse).

        >>> hvp(lambda x: x ** 3, (2.0,), (1.0,))
        (np.float64(12.0),)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("hvp(f, primals, tangents): primals and tangents must be tuples, one "
                        "entry per argument of f, e.g. hvp(f, (x,), (v,))")
    nums = tuple(range(len(primals)))
    _, hv = trace_jvp(grad(f, nums), tuple(primals), tuple(tangents))
    return hv


def hessian_tensor_product(fun: Callable, argnum: int = 0) -> Callable:
    """autograd's ``hessian_tensor_product(f)(*args, v)``: H·v in the ``argnum`` argument."""

    def wrapped(*args, **kwargs):
        *args, v = args
        x, rebuild, _ = split_args(tuple(args), argnum)
        g = grad(lambda d: fun(*rebuild((d,)), **kwargs))
        return trace_jvp(g, x, (v,))[1]

    return wrapped


hessian_vector_product = hessian_tensor_product


def make_hvp(fun: Callable, argnum: int = 0) -> Callable:
    """autograd's ``make_hvp(f)(*args) -> (hvp_fn, grad)``: the VJP of the gradient."""
    return make_vjp(grad(fun, argnum), argnum)


def make_ggnvp(f: Callable, g: Callable | None = None, f_argnum: int = 0) -> Callable:
    """autograd's generalized Gauss-Newton product: ``v -> Jᵀ H_g J v`` at ``x``.

    ``g`` defaults to ``0.5 * sum(y ** 2, axis=-1)``.
    """
    if g is None:
        from ..numpy import sum as _sum

        def g(y):
            return 0.5 * _sum(y * y, axis=-1)

    def maker(*args, **kwargs):
        (x,), rebuild, _ = split_args(args, f_argnum)
        fx = lambda d: f(*rebuild((d,)), **kwargs)  # noqa: E731
        rec = trace_vjp(fx, (x,), what="make_ggnvp")

        def ggnvp(v):
            _, jv = trace_jvp(fx, (x,), (v,))
            _, hjv = trace_jvp(grad(g), (rec.out,), (jv,))
            return rec.vjp_fn(hjv)[0]

        return ggnvp

    return maker
