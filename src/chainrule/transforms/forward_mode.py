"""Forward-mode transforms: ``jvp``, ``linearize`` and autograd's ``make_jvp``.

    >>> import chainrule.numpy as cnp
    >>> jvp(cnp.sin, (0.0,), (2.0,))
    (np.float64(0.0), np.float64(2.0))
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as _np

from ..core.forward import JVPTrace, JVPTracer, _fit, _sum_tangents
from ..core.pytree import tree_flatten, tree_map, tree_unflatten
from ..core.reverse import TUPLE_GET, RevTracer
from ..core.trace import Zero, dtype_of, shape_of
from ._args import flatten_inputs, split_args


def _out_pair(o, trace):
    """(primal, tangent) of one output leaf; a leaf this trace never touched has tangent 0."""
    if type(o) is JVPTracer and o._trace is trace:
        t = o._tangent
        return o._primal, (t.instantiate() if type(t) is Zero else t)
    return o, Zero(o).instantiate()


def trace_jvp(f: Callable, primals: tuple, tangents: tuple, has_aux: bool = False):
    """``f(*primals)`` with tangents pushed forward; a tangent leaf may be a ``Zero``."""
    leaves, td = flatten_inputs(primals)
    t_leaves, t_td = tree_flatten(tangents, is_leaf=lambda x: type(x) is Zero)
    if len(t_leaves) != len(leaves):
        raise ValueError(f"jvp: tangents have structure {t_td}, primals {td}")
    t_leaves = [_check_tangent("jvp", i, p, t) for i, (p, t) in enumerate(zip(leaves, t_leaves))]
    trace = JVPTrace()
    tracers = [JVPTracer(trace, p, t) for p, t in zip(leaves, t_leaves)]
    out = f(*tree_unflatten(td, tracers))
    aux = None
    if has_aux:
        out, aux = out
        aux = tree_map(lambda a: a._primal if type(a) is JVPTracer and a._trace is trace else a,
                       aux)
    o_leaves, o_td = tree_flatten(out)
    pairs = [_out_pair(o, trace) for o in o_leaves]
    res = (tree_unflatten(o_td, [p for p, _ in pairs]), tree_unflatten(o_td, [t for _, t in pairs]))
    return res + (aux,) if has_aux else res


def _check_tangent(what: str, i: int, p, t):
    """A tangent must match its primal's shape and dtype (a Python number takes the primal's
    dtype); an integer primal has no tangent space."""
    if type(t) is Zero:
        return t
    if shape_of(t) != shape_of(p):
        raise ValueError(f"{what}: tangent {i} has shape {shape_of(t)}, its primal "
                         f"{shape_of(p)}")
    pd = dtype_of(p)
    if pd.kind not in "fc":
        raise TypeError(f"{what}: primal {i} has dtype {pd}, which has no tangents; make it a "
                        "float (or pass it as a constant, outside the primals)")
    td = getattr(t, "dtype", None)
    if td is None:  # a Python number
        return _np.asarray(t, dtype=pd)
    if td != pd:
        raise TypeError(f"{what}: tangent {i} has dtype {td}, its primal {pd}: give the "
                        "tangent the primal's dtype")
    return t


def jvp(f: Callable, primals, tangents, has_aux: bool = False):
    """``(f(*primals), J · tangents)``, as in JAX."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp(f, primals, tangents): primals and tangents must be tuples, "
                        "one entry per argument of f")
    return trace_jvp(f, tuple(primals), tuple(tangents), has_aux)


def make_jvp(fun: Callable, argnum=0):
    """autograd's ``make_jvp(f, argnum)(*args)(v) -> (ans, J v)``; with a tuple ``argnum``,
    ``v`` is a tuple of tangents."""

    def maker(*args, **kwargs):
        diff, rebuild, _ = split_args(args, argnum)

        def push(v):
            tangents = (v,) if isinstance(argnum, int) else tuple(v)
            return trace_jvp(lambda *d: fun(*rebuild(d), **kwargs), diff, tangents)

        return push

    return maker


def deriv(fun: Callable, argnum: int = 0) -> Callable:
    """autograd's ``deriv``: forward mode with a tangent of ones, J·1 (shaped like the output).

        >>> import chainrule.numpy as cnp
        >>> deriv(cnp.sin)(0.0)
        np.float64(1.0)
    """

    def wrapped(*args, **kwargs):
        (x,), _, _ = split_args(args, argnum)
        from ..numpy import ones_like

        return make_jvp(fun, argnum)(*args, **kwargs)(ones_like(x))[1]

    return wrapped


def linearize(f: Callable, *primals):
    """``(f(*primals), f_jvp)``: ``f_jvp(*tangents)`` replays the recorded tape forward.

    ``f`` runs once; each call of ``f_jvp`` walks the stored tape with the JVP rules, with no
    recomputation of ``f``.

        >>> out, f_jvp = linearize(lambda x: x * x, 3.0)
        >>> f_jvp(1.0)
        np.float64(6.0)
    """
    from .reverse_mode import _own_copy, trace_vjp

    rec = trace_vjp(f, primals, what="linearize", keep_all=True)
    tape = list(rec.trace.tape)

    def f_jvp(*tangents):
        t_leaves, _ = tree_flatten(tangents)
        if len(t_leaves) != len(rec.in_tracers):
            raise ValueError(f"linearize: expected {len(rec.in_tracers)} tangent leaves, "
                             f"got {len(t_leaves)}")
        t_leaves = [_check_tangent("linearize", i, p._value, t)
                    for i, (p, t) in enumerate(zip(rec.in_tracers, t_leaves))]
        tans: list = [None] * len(tape)
        for t, v in zip(rec.in_tracers, t_leaves):
            tans[t._idx] = v
        for i, node in enumerate(tape):
            if node is None:  # an input
                continue
            prim, params, args, ans, parents = node
            if prim is TUPLE_GET:
                parent_t = tans[parents[0]]
                tans[i] = None if parent_t is None else parent_t[params]
                continue
            args_t = [None if j is None else tans[j] for j in parents]
            t = _sum_tangents(prim, args, args_t, ans, params)
            if t is not None and not prim.multiple_results:
                t = _fit(t, ans)
            tans[i] = t
        outs = []
        for o in rec.out_leaves:
            ours = type(o) is RevTracer and o._trace is rec.trace
            t = tans[o._idx] if ours else None
            v = o._value if ours else o
            outs.append(Zero(v).instantiate() if t is None or type(t) is Zero else _fit(t, v))
        return tree_unflatten(rec.out_treedef, outs)

    # the tape keeps the output for f_jvp: the caller gets its own copy (see vjp)
    return tree_map(_own_copy, rec.out), f_jvp
