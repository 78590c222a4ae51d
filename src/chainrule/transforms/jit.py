"""``jit``: trace a function once per input signature, then replay its NumPy calls.

Why: every call of ``value_and_grad(loss)`` runs the engine again -- a tracer per op, a tape
entry, a VJP rule and a tape walk -- which costs as much as the NumPy work itself on small
models. ``jit(f)`` runs ``f`` once with *staging* tracers that compute concrete values (so the
first call returns ordinary results) and record every call: forward primitives by their
impls, and each VJP rule as one call (so a replay runs the rule's plain-array code, branches
on values included). The recording becomes one straight-line Python function of the inputs
-- those calls only, with dead values deleted as soon as they are last used -- and later
calls with arrays of the same shapes and dtypes run that function. This is the design
brief's trace-and-replay over the same core.

    >>> import chainrule, chainrule.numpy as cnp
    >>> step = chainrule.jit(chainrule.grad(lambda w: cnp.sum(cnp.tanh(w) ** 2)))
    >>> step(cnp.zeros(3))                    # traces and records
    array([0., 0., 0.])
    >>> step(cnp.ones(3)).round(4)            # replays the recording
    array([0.8399, 0.8399, 0.8399])

What a replay assumes, and how it is kept honest:

- **Same calls for the same signature.** A signature is the argument structure, each array's
  type, shape and dtype, and the *values* of Python scalars and strings (static: a new value
  traces again; pass a 0-d array for a value that changes, such as a learning rate). Where
  the trace depends on array *values* -- ``if x > 0``, ``float(x)``, ``numpy.asarray(x)``,
  ``getval``, and so every function whose output shape depends on values (``nonzero``,
  ``x[x > 0]``) -- the recording is refused: that signature runs eagerly from then on (correct, not
  faster), with one ``JitFallbackWarning`` naming the cause.
- **A pure function.** Anything not passed as an argument is a constant of the recording:
  arrays read from globals or closures, and random draws made inside (``numpy.random``, a
  ``Generator``) are the first call's draws on every replay. Pass randomness in as arrays.
  Draws through ``chainrule.numpy.random`` and ``chainrule.nn``'s generators are detected and
  refuse the recording; plain ``numpy.random`` cannot be seen.
- Under another transform (``grad(jit(f))``), ``jit(f)`` is ``f``: it is traced with the rest.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import numpy as _np

from ..core.pytree import tree_flatten, tree_unflatten
from ..core.staging import Const, StagedTracer, StagingTrace, recording
from ..core.trace import Tracer

__all__ = ["jit", "JitFallbackWarning"]


class JitFallbackWarning(RuntimeWarning):
    """A jitted function could not be recorded for replay and runs eagerly (still exact)."""


# --- from a recording to a Python function ----------------------------------------------

class _Namer:
    """Global names for the generated code's functions and constants (one per object)."""

    def __init__(self) -> None:
        self.env: dict = {"__builtins__": {}}
        self._ids: dict = {}

    def __call__(self, obj, prefix: str) -> str:
        key = id(obj)
        name = self._ids.get(key)
        if name is None:
            name = self._ids[key] = f"{prefix}{len(self._ids)}"
            self.env[name] = obj
        return name


def _generate(program: list, n_inputs: int, out_refs: list, copied: set) -> tuple[str, dict]:
    """Source and globals of ``replay(v0, ..., v{n-1}) -> flat outputs``: the recording's
    calls that the outputs need, in order, each value deleted after its last use; outputs
    in ``copied`` (slots) are returned as copies."""
    outputs = {r for r in out_refs if isinstance(r, int)}
    needed = set(outputs)
    kept = []
    for instr in reversed(program):
        out = instr[3]
        if any(o in needed for o in out) if isinstance(out, tuple) else out in needed:
            kept.append(instr)
            needed.update(r for r in instr[2] if isinstance(r, int))
    kept.reverse()
    last_use: dict = {}
    for i, (_, _, refs, _) in enumerate(kept):
        for r in refs:
            if isinstance(r, int):
                last_use[r] = i
    dead_after: dict = {}
    for slot, i in last_use.items():
        if slot not in outputs:
            dead_after.setdefault(i, []).append(slot)

    name = _Namer()
    lines = [f"def replay({', '.join(f'v{i}' for i in range(n_inputs))}):"]
    for i, (impl, params, refs, out) in enumerate(kept):
        args = [f"v{r}" if isinstance(r, int) else name(r.value, "c") for r in refs]
        args += [f"{k}={name(v, 'c')}" for k, v in params.items()]
        call = f"{name(impl, 'f')}({', '.join(args)})"
        if isinstance(out, tuple):
            targets = ", ".join(f"v{o}" if o in needed else "_" for o in out)
            lines.append(f"    {targets}, = {call}" if len(out) == 1 else f"    {targets} = {call}")
        else:
            lines.append(f"    v{out} = {call}")
        if i in dead_after:
            lines.append(f"    del {', '.join(f'v{s}' for s in sorted(dead_after[i]))}")
    outs = []
    for r in out_refs:
        if isinstance(r, int):
            outs.append(f"v{r}.copy()" if r in copied else f"v{r}")
        else:  # a constant result: a fresh copy each call, so a caller's edit cannot leak
            c = name(r.value, "c")
            outs.append(f"{c}.copy()" if isinstance(r.value, _np.ndarray) else c)
    lines.append(f"    return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")
    return "\n".join(lines) + "\n", name.env


class _Replay:
    __slots__ = ("run", "out_treedef", "source")

    def __init__(self, run, out_treedef, source) -> None:
        self.run = run
        self.out_treedef = out_treedef
        self.source = source


_EAGER = object()  # a signature whose recording was refused: run it eagerly
_STATIC = (int, float, complex, bool, str, bytes, type(None))
_CACHE_SIZE = 64
_MANY_RECORDINGS = 16  # warn once: a static argument probably changes on every call


def _key(args, kwargs):
    """``(key, leaves, treedef, inputs)`` of a call; ``key`` None (and ``inputs`` the leaf at
    fault) where the call cannot be keyed (see ``_signature``)."""
    leaves, td = tree_flatten((args, kwargs) if kwargs else args)
    key, inputs = _signature(leaves)
    if key is not None:
        key = (td, bool(kwargs), key)  # f((x,), {"a": y}) and f(x, a=y) flatten alike
    return key, leaves, td, inputs


def _signature(leaves):
    """``(key, input positions)`` of flattened arguments, or ``(None, leaf)`` for the first
    leaf that cannot be part of a signature (a tracer of an outer transform, an object with
    state such as a Generator)."""
    key = []
    inputs = []
    for i, x in enumerate(leaves):
        t = type(x)
        if isinstance(x, (_np.integer, _np.bool_)):  # like Python ints: seeds, sizes
            key.append((t, x))
        elif t is _np.ndarray or isinstance(x, (_np.ndarray, _np.generic)):
            key.append((t, x.shape, x.dtype))
            inputs.append(i)
        elif t in _STATIC:
            # floats by their bits: 0.0 and -0.0 differ (1 / x), and a nan finds itself
            key.append((t, x.hex()) if t is float else (t, x.real.hex(), x.imag.hex())
                       if t is complex else (t, x))
        else:
            return None, x
    return tuple(key), inputs


def jit(fun: Callable, *, warn: bool = True) -> Callable:
    """``fun``, recorded on its first call for each input signature and replayed afterwards.

    See the module's docstring for what a replay assumes. The jitted function has
    ``trace_source(*args, **kwargs)``: the Python code it runs for those arguments' signature
    (None where the recording was refused). ``warn=False``: a refused recording runs eagerly
    without a ``JitFallbackWarning`` (for callers that jit on the user's behalf, like
    ``fit``).

        >>> f = jit(lambda x: x * 2.0 + 1.0)
        >>> f(numpy.arange(3.0))
        array([1., 3., 5.])
    """
    cache: dict = {}

    def record(key, args, kwargs, leaves, td, inputs):
        trace = StagingTrace()
        staged = list(leaves)
        for i in inputs:
            staged[i] = trace.new_tracer(leaves[i])
        a, kw = tree_unflatten(td, staged) if kwargs else (tree_unflatten(td, staged), {})
        recording.append(trace)
        try:
            out = fun(*a, **kw)
        finally:
            recording.remove(trace)
            program, trace.program = trace.program, None
        out_leaves, out_td = tree_flatten(out)
        refs = []
        for o in out_leaves:
            if type(o) is StagedTracer and o._trace is trace:
                refs.append(o._slot)
            else:
                if isinstance(o, Tracer):
                    trace.refuse("the result holds a value traced by another transform")
                refs.append(Const(o))
        copied = _to_copy(program, out_leaves)
        result = tree_unflatten(out_td, [  # copied as every replay does
            (o._concrete.copy() if o._slot in copied else o._concrete)
            if type(o) is StagedTracer else o.copy() if type(o) is _np.ndarray else o
            for o in out_leaves])
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        if trace.refused is not None:
            cache[key] = _EAGER
            if warn:
                _warn(fun, trace.refused, 3)  # the caller of jitted
            return result
        source, env = _generate(program, len(inputs), refs, copied)
        exec(compile(source, f"<chainrule.jit {_name(fun)}>", "exec"), env)  # noqa: S102
        cache[key] = _Replay(env["replay"], out_td, source)
        recordings.append(key)
        if len(recordings) == _MANY_RECORDINGS:
            warnings.warn(
                f"chainrule.jit({_name(fun)}) has recorded {_MANY_RECORDINGS} signatures: a "
                "Python scalar argument that changes from call to call (a learning rate, a "
                "step count) is static and makes a new signature each time; pass it as a 0-d "
                "array", RuntimeWarning, stacklevel=3)
        return result

    warned = []
    recordings: list = []

    @functools.wraps(fun)
    def jitted(*args, **kwargs):
        key, leaves, td, inputs = _key(args, kwargs)
        if key is None:  # under another transform, or an argument jit cannot key on
            if warn and not warned and not isinstance(inputs, Tracer):
                warned.append(True)
                _warn(fun, f"an argument holds a {type(inputs).__name__}, which is neither an "
                           "array nor a Python scalar or string", 2)
            return fun(*args, **kwargs)
        entry = cache.get(key)
        if entry is None:
            return record(key, args, kwargs, leaves, td, inputs)
        if entry is _EAGER:
            return fun(*args, **kwargs)
        return tree_unflatten(entry.out_treedef, entry.run(*[leaves[i] for i in inputs]))

    def trace_source(*args, **kwargs):
        key = _key(args, kwargs)[0]
        if key is None:
            return None
        if key not in cache:
            jitted(*args, **kwargs)
        entry = cache.get(key)
        return entry.source if isinstance(entry, _Replay) else None

    jitted.trace_source = trace_source
    return jitted


def _to_copy(program: list, out_leaves: list) -> set:
    """The output slots to return as copies: a read-only array (a broadcast view, where eager
    code copies) or one sharing memory with a constant of the recording (a rule may return
    its argument as it is, and each replay would hand out, and let the caller edit, the same
    constant)."""
    consts = [r.value for instr in program for r in instr[2]
              if type(r) is Const and type(r.value) is _np.ndarray]
    slots = set()
    for o in out_leaves:
        if type(o) is StagedTracer and type(o._concrete) is _np.ndarray:
            v = o._concrete
            if not v.flags.writeable or any(_np.may_share_memory(v, c) for c in consts):
                slots.add(o._slot)
    return slots


def _name(fun) -> str:
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


def _warn(fun, why: str, stacklevel: int) -> None:
    warnings.warn(f"chainrule.jit({_name(fun)}): not recorded for replay, runs eagerly: {why}",
                  JitFallbackWarning, stacklevel=stacklevel + 1)
