"""Jacobians and Hessians in one batched pass: ``jacrev = vmap(vjp)``, ``jacfwd = vmap(jvp)``.

Shapes follow the seed: ``jacobian(f)(x).shape == out.shape + x.shape``, J[i, j] = ∂f_i/∂x_j.
For pytrees, the output structure is outside and the input structure inside.

    >>> import chainrule.numpy as cnp, numpy
    >>> jacobian(lambda x: x ** 2)(numpy.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as _np

from ..core.pytree import tree_flatten, tree_unflatten
from ..core.trace import Zero
from ._args import resolve_argnums, split_args
from .forward_mode import trace_jvp
from .reverse_mode import grad, make_vjp, trace_vjp
from .vmap import vmap, vmap_over_identity


def _basis(shape, dtype):
    """The identity seed, one basis vector per leading row: shape (n,) + shape."""
    from ..numpy import reshape

    n = int(_np.prod(shape, dtype=_np.int64))
    return reshape(_np.eye(n, dtype=dtype), (n,) + tuple(shape))


def _concat(parts):
    from ..numpy import concatenate

    return parts[0] if len(parts) == 1 else concatenate(parts, axis=0)


def _vmap_basis(fn, shape, dtype, chunk_size):
    """vmap ``fn`` over the identity basis of ``shape``, ``chunk_size`` rows at a time.

    A 1-D basis taken whole stays symbolic (a diagonal seed), so rules that know it turn
    products with the identity into scalings."""
    n = int(_np.prod(shape, dtype=_np.int64))
    dtype = dtype if _np.issubdtype(dtype, _np.inexact) else _np.float64
    if len(shape) == 1 and (chunk_size is None or chunk_size >= n):
        return vmap_over_identity(fn, n, dtype)
    return _chunked_vmap(fn, _basis(shape, dtype), chunk_size)


def _chunked_vmap(fn, basis, chunk_size):
    """vmap ``fn`` over the rows of ``basis``, ``chunk_size`` rows at a time (None: all)."""
    n = _np.shape(basis)[0]
    if chunk_size is None or chunk_size >= n:
        return vmap(fn)(basis)
    pieces = [vmap(fn)(basis[i:i + chunk_size]) for i in range(0, n, chunk_size)]
    leaves = [tree_flatten(p)[0] for p in pieces]
    td = tree_flatten(pieces[0])[1]
    return tree_unflatten(td, [_concat(list(col)) for col in zip(*leaves)])


def _reshape(x, shape):
    from ..numpy import reshape

    return reshape(x, shape)


def _jac_from_recording(rec, diff, single: bool, chunk_size):
    out_leaves, out_td = tree_flatten(rec.out)
    in_leaves, in_td = tree_flatten(diff)
    blocks = []
    for i, o in enumerate(out_leaves):
        oshape = _np.shape(o)

        def row(c, i=i):
            cts = [None] * len(out_leaves)
            cts[i] = c
            return rec.vjp_fn(tree_unflatten(out_td, cts))

        rows = _vmap_basis(row, oshape, _np.result_type(o), chunk_size)
        r_leaves, _ = tree_flatten(rows)
        blocks.append(tree_unflatten(in_td, [
            _reshape(r, oshape + _np.shape(x)) for r, x in zip(r_leaves, in_leaves)]))
    blocks = [b[0] if single else b for b in blocks]
    return tree_unflatten(out_td, blocks)


def jacrev(f: Callable, argnums=0, has_aux: bool = False, *, chunk_size: int | None = None,
           argnum=None) -> Callable:
    """The Jacobian by reverse mode: one batched VJP over the rows of an identity."""
    argnums = resolve_argnums(argnums, argnum)

    def jac(*args, **kwargs):
        diff, rebuild, _ = split_args(args, argnums)
        rec = trace_vjp(lambda *d: f(*rebuild(d), **kwargs), diff, has_aux=has_aux,
                        what="jacrev")
        j = _jac_from_recording(rec, diff, isinstance(argnums, int), chunk_size)
        return (j, rec.aux) if has_aux else j

    return jac


def jacfwd(f: Callable, argnums=0, has_aux: bool = False, *, chunk_size: int | None = None,
           argnum=None) -> Callable:
    """The Jacobian by forward mode: one batched JVP over the columns of an identity."""
    argnums = resolve_argnums(argnums, argnum)

    def jac(*args, **kwargs):
        diff, rebuild, _ = split_args(args, argnums)
        return _jacfwd(lambda *d: f(*rebuild(d), **kwargs), diff, isinstance(argnums, int),
                       has_aux, chunk_size)

    return jac


def _jacfwd(g, diff, single, has_aux, chunk_size):
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

        cols = _vmap_basis(column, xshape, _np.result_type(x), chunk_size)
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


def jacobian(f: Callable, argnums=0, *, chunk_size: int | None = None, argnum=None) -> Callable:
    """The Jacobian, by the cheaper mode: reverse when outputs are no more than inputs.

        >>> import numpy
        >>> jacobian(lambda x: x[0] * x[1])(numpy.array([2.0, 3.0]))
        array([3., 2.])
    """
    argnums = resolve_argnums(argnums, argnum)

    def jac(*args, **kwargs):
        diff, rebuild, _ = split_args(args, argnums)
        g = lambda *d: f(*rebuild(d), **kwargs)  # noqa: E731
        single = isinstance(argnums, int)
        rec = trace_vjp(g, diff, what="jacobian")
        n_in = sum(_np.size(x) for x in tree_flatten(diff)[0])
        n_out = sum(_np.size(o) for o in tree_flatten(rec.out)[0])
        if n_out <= n_in:
            return _jac_from_recording(rec, diff, single, chunk_size)
        return _jacfwd(g, diff, single, False, chunk_size)

    return jac


def hessian(f: Callable, argnums=0, *, argnum=None) -> Callable:
    """Forward over reverse: ``jacfwd(jacrev(f))``; shape ``out + in + in``."""
    argnums = resolve_argnums(argnums, argnum)
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f: Callable, primals, tangents):
    """Hessian-vector product H·v of scalar ``f`` at ``primals`` (forward over reverse).

        >>> hvp(lambda x: x ** 3, (2.0,), (1.0,))
        (np.float64(12.0),)
    """
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
