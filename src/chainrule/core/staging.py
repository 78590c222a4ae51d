"""Staging: tracers that compute concrete values and record every call, for ``jit``.

Why here, in the core: the reverse-mode walk records each VJP rule call as one unit when its
inputs are staged (``record_rule``), so a replay runs the rule's plain-array code, and the
tape keeps shapes only of staged values no rule reads, as it does for arrays.
``chainrule.transforms.jit`` turns a recording into Python code.

    >>> t = StagingTrace(); x = t.new_tracer(2.0)
    >>> y = x * 3.0; len(t.program)
    1
"""

from __future__ import annotations

from threading import get_ident as _get_ident

import numpy as _np

from .trace import Trace, Tracer, Zero, dtype_of, shape_of

# Staging traces now recording, in any thread (each knows its own): checked on hot paths as
# a plain list, empty unless some jit is recording.
recording: list = []


def current():
    """This thread's innermost recording, or None."""
    me = _get_ident()
    for trace in reversed(recording):
        if trace.thread == me:
            return trace
    return None


def note_impure(what: str) -> None:
    """Called by functions whose results a replay could not reproduce (random draws): this
    thread's recordings in progress are refused."""
    me = _get_ident()
    for trace in recording:
        if trace.thread == me:
            trace.refuse(what)


# A result computed from constants alone is folded (computed once, kept by the recording)
# below this size; from this size on it is recorded as a call, so that each replay computes
# it afresh and frees it, as eager code does (a Jacobian's materialized identity seed must
# not be held for the jitted function's life).
LARGE_CONSTANT_BYTES = 1 << 20


def constant_call(fn, args: tuple, params: dict):
    """``fn(*args, **params)`` on constants: folded when its result is small, recorded in
    this thread's recording when it is a large array (see ``LARGE_CONSTANT_BYTES``). Inside
    a call the recording runs as one unit (a rule, an impl) nothing is recorded: that code
    runs on plain values, at the recording as at each replay."""
    trace = current()
    if trace is None or trace.program is None or trace.busy:
        return fn(*args, **params)
    if params.get("fresh"):  # the constant first argument is shared by every replay
        params = dict(params, fresh=False)
    ans = fn(*args, **params)
    if isinstance(ans, Tracer) or getattr(ans, "nbytes", 0) < LARGE_CONSTANT_BYTES:
        return ans  # (a tracer: fn's own large calls were recorded inside it)
    out = trace.new_tracer(ans)
    trace.program.append((fn, params, tuple(Const(a) for a in args), out._slot))
    return out


# Primitives whose result depends only on their inputs' shapes and dtypes: a constant of the
# recording when small (so a grad's seed, and what is computed from it alone, is folded).
_SHAPE_ONLY_RESULTS = frozenset({"ones_like", "zeros_like"})


class Const:
    """An argument of a recorded call that is not a value of the recording."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value


class StagedTracer(Tracer):
    """A value being recorded: its concrete value (``_concrete``) and its slot in the
    recording. Reading the value from Python (truth value, ``float``, ``asarray``, ``getval``)
    refuses the recording and gives the value, so the call itself still runs correctly."""

    __slots__ = ("_concrete", "_slot")

    @property
    def shape(self):
        return shape_of(self._concrete)

    @property
    def dtype(self):
        return dtype_of(self._concrete)

    def _read(self, what: str):
        if self._trace.refused is None:
            self._trace.refuse(f"{what}, at {_caller()}")
        return self._concrete

    def primal_value(self):
        return self._read("its value was read (getval/primal_value)")

    def peek(self):
        return self._concrete

    def __bool__(self):
        return bool(self._read("bool() of a traced value (Python control flow on values)"))

    def __float__(self):
        return float(self._read("float() of a traced value"))

    def __int__(self):
        return int(self._read("int() of a traced value"))

    def __complex__(self):
        return complex(self._read("complex() of a traced value"))

    def __index__(self):
        return _np.asarray(self._read("a traced value used as an index or size")).__index__()

    def item(self, *args):
        return self._read("x.item()").item(*args)

    def tolist(self):
        return _np.asarray(self._read("x.tolist()")).tolist()

    def __array__(self, dtype=None, copy=None):
        v = _np.asarray(self._read("numpy.asarray of a traced value"))
        return v if dtype is None else v.astype(dtype, copy=False)


def _caller() -> str:
    """``file:line (function)`` of the first frame outside the core's tracer code."""
    import os
    import sys

    frame = sys._getframe(2)
    here = os.path.dirname(__file__)
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == here:
        frame = frame.f_back
    if frame is None:
        return "?"
    code = frame.f_code
    return f"{os.path.basename(code.co_filename)}:{frame.f_lineno} ({code.co_name})"


_new = object.__new__


class StagingTrace(Trace):
    """Records calls as ``(fn, params, args, out)``: ``args`` holds slots (ints) and
    ``Const`` values, ``out`` a slot or a tuple of slots (multiple results)."""

    __slots__ = ("program", "nslots", "refused", "thread", "busy")

    def __init__(self) -> None:
        super().__init__()
        self.program: list | None = []
        self.nslots = 0
        self.refused: str | None = None
        self.thread = _get_ident()
        self.busy = 0  # > 0 while a recorded unit runs on plain values

    def run_unit(self, fn, vals, params):
        """``fn(*vals, **params)``, one recorded call: what it does inside is not recorded."""
        self.busy += 1
        try:
            return fn(*vals, **params)
        finally:
            self.busy -= 1

    def refuse(self, why: str) -> None:
        if self.refused is None:
            self.refused = why

    def new_tracer(self, value) -> StagedTracer:
        t = _new(StagedTracer)
        t._trace = self
        t._concrete = value
        t._slot = self.nslots
        self.nslots += 1
        return t

    def unwrap(self, args) -> tuple:
        """``(values, refs, staged, foreign)``: each argument's concrete value and its
        reference in the recording (a slot, or a ``Const``); whether any argument is a value
        of this recording, whether any is another transform's tracer."""
        vals = []
        refs = []
        staged = foreign = False
        for a in args:
            if type(a) is StagedTracer and a._trace is self:
                vals.append(a._concrete)
                refs.append(a._slot)
                staged = True
            else:
                foreign = foreign or isinstance(a, Tracer)
                vals.append(a)
                refs.append(Const(a))
        return vals, refs, staged, foreign

    def process(self, prim, args, params):
        if self.program is None:
            raise RuntimeError("a value traced by jit was used after its recording finished "
                               "(kept in a global, a list or a closure): keep plain values")
        vals, refs, _, foreign = self.unwrap(args)
        if foreign:  # a tracer of an outer transform: compute eagerly, do not record
            self.refuse("a value traced by an outer transform reached the function "
                        "(a closure over a traced value)")
            return prim(*vals, **params)
        if params.get("fresh") and type(refs[0]) is Const:
            # ``fresh``: the impl may write into its first argument, a temporary of the
            # caller's; a constant of the recording is shared by every replay, so copy it
            params = dict(params, fresh=False)
        ans = self.run_unit(prim.impl, vals, params)
        if prim.name in _SHAPE_ONLY_RESULTS and \
                getattr(ans, "nbytes", 0) < LARGE_CONSTANT_BYTES:
            return ans  # set by shapes and dtypes, which are static: a constant
        if prim.multiple_results:
            outs = tuple(self.new_tracer(v) for v in ans)
            self.program.append((prim.impl, params, tuple(refs), tuple(t._slot for t in outs)))
            return outs
        out = self.new_tracer(ans)
        self.program.append((prim.impl, params, tuple(refs), out._slot))
        return out


FALLBACK = object()  # call_as_unit: an input is another transform's tracer


def call_as_unit(staging: StagingTrace, fn, args: tuple, params: dict):
    """``fn(*args, **params)`` as one recorded call when every argument is a value of
    ``staging`` or a constant: ``fn`` runs on the concrete values, and each replay calls it
    again. ``FALLBACK`` where an argument is another transform's tracer or a tuple (the
    caller then runs ``fn`` on the tracers, whose primitives are recorded one by one)."""
    vals, refs, staged, foreign = staging.unwrap(args)
    if foreign or any(isinstance(v, tuple) for v in args):
        return FALLBACK
    if not staged:  # constants only: computed once, now (or afresh when large)
        return constant_call(fn, args, params)
    c = staging.run_unit(fn, vals, params)
    if c is None or type(c) is Zero:
        return c
    out = staging.new_tracer(c)
    staging.program.append((fn, params, tuple(refs), out._slot))
    return out


def record_rule(staging: StagingTrace, rule, g, ans, args, params):
    """A VJP rule call as one recorded unit (``call_as_unit``): a replay runs the rule's
    plain-array code, with any branch on values taken afresh."""
    c = call_as_unit(staging, rule, (g, ans) + tuple(args), params)
    return rule(g, ans, *args, **params) if c is FALLBACK else c


def shape_only(v):
    """What the tape keeps of a staged value that no VJP rule reads: its shape and dtype, a
    constant of the recording (so a replay frees the array as the forward pass goes)."""
    from .reverse import ShapeDtype

    return ShapeDtype(shape_of(v._concrete), dtype_of(v._concrete))
