"""Reverse mode: a tape (Wengert list) recorded in execution order and walked backwards.

Why: a recursive graph walk overflows Python's stack on long chains and revisits shared
nodes; a tape indexed by position needs neither recursion nor a topological sort. Each entry
records its primitive, params and the inputs and output its VJP rules read (the tape is data,
not closures; values no rule reads are kept as shape and dtype only, so they are freed when
the user's code drops them), so the backward pass calls the primitive's VJP rules from what
was stored, skips every node that no cotangent reaches, and -- inside ``grad`` -- drops each
entry once used.

    >>> from chainrule import numpy as cnp
    >>> t = RevTrace(); x = t.new_leaf(2.0)
    >>> y = cnp.sin(x) * x
    >>> backward(t, [(y, 1.0)])[x._idx]          # doctest: +ELLIPSIS
    np.float64(0.0770...)
"""

from __future__ import annotations

from numpy import ndarray as _ndarray

from .staging import StagedTracer, record_rule, shape_only
from .staging import current as _current_recording
from .staging import recording as _recording
from .trace import Trace, Tracer, Zero, dtype_of, shape_of
from .valuetypes import value_types

_add = None


def add_cotangents(a, b):
    global _add
    if type(a) is _ndarray and type(b) is _ndarray:  # plain arrays: no primitive dispatch
        return a + b
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
_new = object.__new__


class ShapeDtype:
    """What the tape keeps of a value that no VJP rule reads: its shape and dtype.

    A rule that reads such a value anyway (a wrong ``defresiduals`` declaration) fails loudly
    instead of computing with a stale or missing array.
    """

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype) -> None:
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __array__(self, *args, **kwargs):
        raise TypeError("a VJP rule read the value of an argument its primitive declared "
                        "shape-only (defresiduals); declare it kept")

    def __repr__(self) -> str:
        return f"ShapeDtype({self.shape}, {self.dtype})"


# Arrays smaller than this are kept even when no rule reads them: dropping them saves no
# memory worth the bookkeeping. Tests set it to 0, so every declaration is exercised.
SHAPE_ONLY_MIN_BYTES = 1 << 16


def _shape_only(v):
    """``v`` as the tape keeps it when no rule reads its value: an array of at least
    ``SHAPE_ONLY_MIN_BYTES`` becomes its ShapeDtype; anything else stays as it is."""
    if type(v) is _ndarray and v.nbytes >= SHAPE_ONLY_MIN_BYTES:
        sd = _new(ShapeDtype)
        sd.shape = v.shape
        sd.dtype = v.dtype
        return sd
    if type(v) is StagedTracer:
        return shape_only(v)
    return v


class RevTracer(Tracer):
    """A value recorded on a reverse-mode tape, at position ``_idx``.

    The tape entry (the node) is separate from the tracer: it keeps only what the VJP rules
    read, so an intermediate that no rule needs is freed as soon as the user's code drops it
    (JAX calls this residual selection).
    """

    __slots__ = ("_value", "_idx")

    def __init__(self, trace, value, idx):
        self._trace = trace
        self._value = value
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
    """A tape: one entry per traced value, in execution order. An entry is None for an input
    (a leaf) and ``(prim, params, args, ans, parents)`` for a primitive's output, where
    ``parents[k]`` is the tape position of argument ``k`` (None: a constant). With
    ``keep_all`` every entry keeps all its arguments and output (for replaying the tape
    forward); otherwise only those the primitive's ``residuals`` name."""

    __slots__ = ("tape", "keep_all")

    def __init__(self, keep_all: bool = False) -> None:
        super().__init__()
        self.tape: list = []
        self.keep_all = keep_all

    def new_leaf(self, value) -> RevTracer:
        t = _new(RevTracer)
        t._trace = self
        t._value = value
        t._idx = len(self.tape)
        self.tape.append(None)
        return t

    def _outputs(self, prim, params, vals, ans, parents):
        """The tracers of a multiple-result primitive: one tape entry for the call, one per
        output reading it."""
        tape = self.tape
        idx = len(tape)
        tape.append((prim, params, vals, ans, parents))
        outs = []
        for i, v in enumerate(ans):
            outs.append(RevTracer(self, v, len(tape)))
            tape.append((TUPLE_GET, i, None, None, (idx,)))
        return tuple(outs)  # multiple-result impls return plain tuples

    def process(self, prim, args, params):
        if len(args) == 1:  # the hot unary case, start to end: the argument is our tracer
            tape = self.tape
            if tape is None:
                _escaped(self)
            a = args[0]
            v = a._value
            if isinstance(v, Tracer):
                ans = prim(v, **params)
            else:
                ans = prim.impl(v, **params) if params else prim.impl(v)
            if prim.nondiff:
                return ans
            saved = prim.residuals
            if saved is None or self.keep_all:
                keep_ans = True
            else:
                keep_ans, keep_args = saved
                if keep_args is False or (keep_args is not True and not keep_args[0]):
                    v = _shape_only(v)
            if prim.multiple_results:
                return self._outputs(prim, params, (v,), ans, (a._idx,))
            out = _new(RevTracer)  # slots set inline: no __init__ frame on the hot path
            out._trace = self
            out._value = ans
            out._idx = len(tape)
            tape.append((prim, params, (v,), ans if keep_ans else None, (a._idx,)))
            return out
        if len(args) == 2:  # binary ops: unrolled, no lists
            a, b = args
            if type(a) is RevTracer and a._trace is self:
                va, pa = a._value, a._idx
            else:
                va, pa = a, None
            if type(b) is RevTracer and b._trace is self:
                vb, pb = b._value, b._idx
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
                    parents.append(a._idx)
                else:
                    v = a
                    parents.append(None)
                if isinstance(v, Tracer):
                    lower = True
                vals.append(v)
            vals = tuple(vals)
        tape = self.tape
        if tape is None:
            _escaped(self)
        if lower:
            ans = prim(*vals, **params)
        else:
            ans = prim.impl(*vals, **params) if params else prim.impl(*vals)
        if prim.nondiff:
            return ans
        saved = prim.residuals
        keep_ans = True
        if saved is not None and not self.keep_all:
            keep_ans, keep_args = saved
            if keep_args is False:  # no argument's value is read (add, sum, reshape, ...)
                if len(vals) == 2:  # add, subtract: small arrays (the common case) inline
                    va, vb = vals
                    if type(va) is not _ndarray or va.nbytes >= SHAPE_ONLY_MIN_BYTES:
                        va = _shape_only(va)
                    if type(vb) is not _ndarray or vb.nbytes >= SHAPE_ONLY_MIN_BYTES:
                        vb = _shape_only(vb)
                    vals = (va, vb)
                else:
                    vals = tuple(map(_shape_only, vals))
            elif keep_args is not True:  # True: every argument's value is read
                # per argument; arguments past the declared ones (getitem's index arrays) kept
                vals = tuple([v if k else _shape_only(v) for v, k in zip(vals, keep_args)]) \
                    + vals[len(keep_args):]
        if prim.multiple_results:
            return self._outputs(prim, params, vals, ans, parents)
        out = _new(RevTracer)  # slots set inline: no __init__ frame on the hot path
        out._trace = self
        out._value = ans
        out._idx = len(tape)
        tape.append((prim, params, vals, ans if keep_ans else None, parents))
        return out


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
    With ``free`` the tape's entries are dropped as the walk passes them.
    """
    tape = trace.tape
    cts: list = [None] * len(tape)
    staging = _current_recording() if _recording else None  # jit records: rules as units
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
        if node is None:  # a leaf: its cotangent is a result
            continue
        prim, params, args, ans, parents = node
        if prim is TUPLE_GET:
            j = parents[0]
            slots = cts[j]
            if slots is None:
                slots = cts[j] = [None] * len(tape[j][3])
            slots[params] = g if slots[params] is None else add_cotangents(slots[params], g)
        else:
            if prim.multiple_results:
                g = tuple(Zero(v) if c is None else c for c, v in zip(g, ans))
            rules = prim.vjps
            for k, j in enumerate(parents):
                if j is None:
                    continue
                try:
                    rule = rules[k]
                except IndexError:
                    rule = None
                if rule is None:
                    prim.vjp_rule(k)  # raises a clear error naming the primitive
                if staging is not None:
                    c = record_rule(staging, rule, g, ans, args, params)
                else:
                    c = rule(g, ans, *args, **params) if params else rule(g, ans, *args)
                if c is None or type(c) is Zero:
                    continue
                cts[j] = c if cts[j] is None else add_cotangents(cts[j], c)
        if free:
            cts[i] = None
            tape[i] = None
    if free:
        finish(trace)
    return cts
