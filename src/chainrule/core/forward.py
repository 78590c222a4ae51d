"""Forward mode: each traced value carries its tangent, pushed through JVP rules as it goes.

Why: forward mode costs one pass per input direction with no tape at all, so it is the
cheap mode for functions with few inputs and many outputs (``jacfwd``), and the outer mode of
a Hessian (``jacfwd(jacrev(f))``). A tangent known to be zero is a ``Zero`` and costs nothing.

    >>> from chainrule import numpy as cnp
    >>> t = JVPTrace(); x = JVPTracer(t, 0.0, 1.0)
    >>> cnp.sin(x)._tangent
    np.float64(1.0)
"""

from __future__ import annotations

from .reverse import add_cotangents
from .trace import Trace, Tracer, Zero, dtype_of, shape_of

_add = None
_broadcast_to = None
_new_tracer = object.__new__


def _ops():
    global _add, _broadcast_to
    from .primitive import registry

    _add = registry["add"]
    _broadcast_to = registry["broadcast_to"]


class JVPTracer(Tracer):
    __slots__ = ("_primal", "_tangent")

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self._primal = primal
        self._tangent = tangent

    @property
    def shape(self):
        return shape_of(self._primal)

    @property
    def dtype(self):
        return dtype_of(self._primal)

    def primal_value(self):
        return self._primal


def _sum_tangents(prim, primals, tangents, ans, params):
    out = None
    rules = prim.jvps
    for i, t in enumerate(tangents):
        if t is None or type(t) is Zero:
            continue
        try:
            rule = rules[i]
        except IndexError:
            rule = None
        if rule is None:
            c = _jvp_via_vjp(prim, i, t, ans, primals, params)
        else:
            c = rule(t, ans, *primals, **params) if params else rule(t, ans, *primals)
        if c is None or type(c) is Zero:
            continue
        if out is None:
            out = c
        elif prim.multiple_results:
            out = tuple(a if type(b) is Zero else b if type(a) is Zero else add_cotangents(a, b)
                        for a, b in zip(out, c))
        else:
            out = add_cotangents(out, c)
    return out


def _jvp_via_vjp(prim, i, t, ans, primals, params):
    """J_i t for a primitive with only a VJP rule (an autograd-style user primitive).

    The VJP rule u -> vjp_i(u) is linear in the cotangent u, so its own VJP at cotangent t is
    J_i t: one reverse pass through the rule, which is written in differentiable ops.
    """
    vjp_rule = prim.vjps[i] if i < len(prim.vjps) else None
    if vjp_rule is None or prim.multiple_results:
        prim.jvp_rule(i)  # raises a clear error naming the primitive
    from ..numpy import zeros_like
    from .reverse import RevTrace, backward

    trace = RevTrace()
    u = trace.new_leaf(zeros_like(ans))
    c = vjp_rule(u, ans, *primals, **params)
    return backward(trace, [(c, t)])[u._idx]


def _fit(t, like):
    """Broadcast a tangent contribution to the shape of the output it belongs to."""
    if type(t) is Zero:
        return t
    shape = shape_of(like)
    if shape_of(t) != shape:
        if _broadcast_to is None:
            _ops()
        t = _broadcast_to(t, shape=shape)
    return t


class JVPTrace(Trace):
    __slots__ = ()

    def process(self, prim, args, params):
        if len(args) == 1:  # the hot unary case: the one argument is this trace's tracer
            a = args[0]
            primals = (a._primal,)
            tangents = (a._tangent,)
            lower = isinstance(primals[0], Tracer)
        else:
            primals = []
            tangents = []
            lower = False  # does any primal still hold a tracer of an outer trace?
            for a in args:
                if type(a) is JVPTracer and a._trace is self:
                    p = a._primal
                    tangents.append(a._tangent)
                else:
                    p = a
                    tangents.append(None)
                if isinstance(p, Tracer):
                    lower = True
                primals.append(p)
        if lower:
            ans = prim(*primals, **params)
        else:
            ans = prim.impl(*primals, **params) if params else prim.impl(*primals)
        if prim.nondiff:
            return ans
        if _add is None:
            _ops()
        out = _sum_tangents(prim, primals, tangents, ans, params)
        if prim.multiple_results:
            if out is None:
                out = [Zero(v) for v in ans]
            outs = [JVPTracer(self, v, _fit(t, v)) for v, t in zip(ans, out)]
            return tuple(outs)  # multiple-result impls return plain tuples
        t = _new_tracer(JVPTracer)  # slots set inline: no __init__ frame on the hot path
        t._trace = self
        t._primal = ans
        t._tangent = Zero(ans) if out is None else _fit(out, ans)
        return t
