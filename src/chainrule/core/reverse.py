"""Reverse mode: a tape (Wengert list) recorded in execution order and walked backwards.

Why: a recursive graph walk overflows Python's stack on long chains and revisits shared
nodes; a tape indexed by position needs neither recursion nor a topological sort. Each node
records its primitive, params, input values and output (the tape is data, not closures), so
the backward pass calls the primitive's VJP rules from what was stored, skips every node that
no cotangent reaches, and -- inside ``grad`` -- drops a node's saved values once used.

    >>> from chainrule import numpy as cnp
    >>> t = RevTrace(); x = t.new_leaf(2.0)
    >>> y = cnp.sin(x) * x
    >>> backward(t, [(y, 1.0)])[x._idx]          # doctest: +ELLIPSIS
    np.float64(0.0770...)
"""

from __future__ import annotations

from .trace import Trace, Tracer, Zero, dtype_of, shape_of
from .valuetypes import value_types

_add = None


def add_cotangents(a, b):
    global _add
    if value_types and type(a) in value_types:
        return value_types[type(a)].add(a, b)
    if _add is None:
        from .primitive import registry

        _add = registry["add"]
    return _add(a, b)


class _TupleGet:
    """Marks a tape node that is output ``i`` of a multiple-result primitive."""

    name = "tuple_get"
    nondiff = False
    multiple_results = False


TUPLE_GET = _TupleGet()
_new_node = object.__new__


class RevTracer(Tracer):
    """A value recorded on a reverse-mode tape; it is also the tape node that made it."""

    __slots__ = ("_value", "_prim", "_params", "_args", "_parents", "_idx")

    def __init__(self, trace, value, prim, params, args, parents, idx):
        self._trace = trace
        self._value = value
        self._prim = prim
        self._params = params
        self._args = args
        self._parents = parents
        self._idx = idx

    @property
    def shape(self):
        return shape_of(self._value)

    @property
    def dtype(self):
        return dtype_of(self._value)

    def primal_value(self):
        return self._value


class RevTrace(Trace):
    __slots__ = ("tape",)

    def __init__(self) -> None:
        super().__init__()
        self.tape: list = []

    def new_leaf(self, value) -> RevTracer:
        t = RevTracer(self, value, None, None, None, None, len(self.tape))
        self.tape.append(t)
        return t

    def process(self, prim, args, params):
        if len(args) == 1:  # the hot unary case: the one argument is this trace's tracer
            a = args[0]
            v = a._value
            vals = (v,)
            parents = (a,)
            lower = isinstance(v, Tracer)
        elif len(args) == 2:  # binary ops: unrolled, no lists
            a, b = args
            if type(a) is RevTracer and a._trace is self:
                va, pa = a._value, a
            else:
                va, pa = a, None
            if type(b) is RevTracer and b._trace is self:
                vb, pb = b._value, b
            else:
                vb, pb = b, None
            vals = (va, vb)
            parents = (pa, pb)
            lower = isinstance(va, Tracer) or isinstance(vb, Tracer)
        else:
            vals = []
            parents = []
            lower = False  # does any value still hold a tracer of an outer trace?
            for a in args:
                if type(a) is RevTracer and a._trace is self:
                    v = a._value
                    parents.append(a)
                else:
                    v = a
                    parents.append(None)
                if isinstance(v, Tracer):
                    lower = True
                vals.append(v)
        tape = self.tape
        if tape is None:
            _escaped(self)
        ans = prim(*vals, **params) if lower else prim.impl(*vals, **params)
        if prim.nondiff:
            return ans
        node = _new_node(RevTracer)  # slots set inline: no __init__ frame on the hot path
        node._trace = self
        node._value = ans
        node._prim = prim
        node._params = params
        node._args = vals
        node._parents = parents
        node._idx = len(tape)
        tape.append(node)
        if not prim.multiple_results:
            return node
        outs = []
        for i, v in enumerate(ans):
            o = RevTracer(self, v, TUPLE_GET, i, None, (node,), len(tape))
            tape.append(o)
            outs.append(o)
        return tuple(outs)  # multiple-result impls return plain tuples


def finish(trace: RevTrace) -> None:
    """Close a trace whose values are gone: a tracer that escaped it (kept in a global, a list,
    a closure) fails with a clear error when used, and the tape <-> node cycle breaks now."""
    if trace.tape is not None:
        trace.tape.clear()
    trace.tape = None


def _escaped(trace):
    raise RuntimeError(
        "a value traced by a grad/jacobian that has already returned was used (an escaped "
        "tracer: kept in a global, a list or a closure). Its trace is finished: keep plain "
        "values instead (return them with has_aux=True, or take chainrule.core.getval(x) "
        "inside the function).")


def backward(trace: RevTrace, seeds, free: bool = False) -> list:
    """Walk ``trace``'s tape backwards from ``seeds`` [(tracer, cotangent), ...].

    Returns the list of cotangents indexed by tape position (None where none arrived).
    With ``free`` the tape's saved values are dropped as the walk passes them.
    """
    tape = trace.tape
    cts: list = [None] * len(tape)
    start = -1
    for t, g in seeds:
        if type(t) is RevTracer and t._trace is trace and g is not None:
            i = t._idx
            cts[i] = g if cts[i] is None else add_cotangents(cts[i], g)
            start = max(start, i)
    for i in range(start, -1, -1):
        g = cts[i]
        if g is None:
            continue
        node = tape[i]
        prim = node._prim
        if prim is None:  # a leaf: its cotangent is a result
            continue
        if prim is TUPLE_GET:
            parent = node._parents[0]
            j = parent._idx
            slots = cts[j]
            if slots is None:
                slots = cts[j] = [None] * len(parent._value)
            k = node._params
            slots[k] = g if slots[k] is None else add_cotangents(slots[k], g)
        else:
            if prim.multiple_results:
                g = tuple(Zero(v) if c is None else c for c, v in zip(g, node._value))
            args = node._args
            ans = node._value
            params = node._params
            rules = prim.vjps
            for k, p in enumerate(node._parents):
                if p is None:
                    continue
                try:
                    rule = rules[k]
                except IndexError:
                    rule = None
                if rule is None:
                    prim.vjp_rule(k)  # raises a clear error naming the primitive
                c = rule(g, ans, *args, **params) if params else rule(g, ans, *args)
                if c is None or type(c) is Zero:
                    continue
                j = p._idx
                cts[j] = c if cts[j] is None else add_cotangents(cts[j], c)
        if free:
            cts[i] = None
            tape[i] = None
            node._args = None
            node._value = None
    if free:
        finish(trace)
    return cts
