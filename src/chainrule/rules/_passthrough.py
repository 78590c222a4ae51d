"""Non-differentiable pass-throughs of NumPy functions that must still accept traced values.

Why: ``numpy.histogram(x)`` or ``numpy.array_equal(x, y)`` inside a differentiated function
is ordinary code; its output carries no derivative, but it must see the values, at every
trace level, and under ``vmap`` it must compute per example (or say clearly that it cannot),
never receive a batch of examples as if it were one array. Each pass-through is a
``nondiff`` primitive whose positional arguments are the tracers found in the call (inside
lists, tuples and dicts too); everything else rides along as a static parameter. Under
``vmap`` it runs once per example and stacks the results (``batch="loop"``), uses a batching
rule of its own, or raises a ``TypeError`` that names the function (``batch="error"``, for
results whose shape depends on the values, or side effects such as writing a file).

    >>> import numpy, chainrule
    >>> same = passthrough(numpy.array_equal, "array_equal")
    >>> chainrule.grad(lambda x: (x * x).sum() if same(x, x) else 0.0)(numpy.ones(2))
    array([2., 2.])
"""

from __future__ import annotations

import numpy as _np

from ..core.batching import loop_batch
from ..core.primitive import Primitive
from ..core.trace import Tracer

numpy = _np  # for the doctest


class _Slot:
    """Where the k-th traced value goes back into the call."""

    __slots__ = ("k",)

    def __init__(self, k: int) -> None:
        self.k = k


def _split(obj, found: list):
    """``obj`` with every Tracer replaced by a ``_Slot`` (appending the tracer to ``found``)."""
    if isinstance(obj, Tracer):
        found.append(obj)
        return _Slot(len(found) - 1)
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_split(v, found) for v in obj)
    if isinstance(obj, list):
        return [_split(v, found) for v in obj]
    if isinstance(obj, dict):
        return {k: _split(v, found) for k, v in obj.items()}
    return obj


def _fill(obj, vals):
    if type(obj) is _Slot:
        return vals[obj.k]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_fill(v, vals) for v in obj)
    if isinstance(obj, list):
        return [_fill(v, vals) for v in obj]
    if isinstance(obj, dict):
        return {k: _fill(v, vals) for k, v in obj.items()}
    return obj


def has_tracer(*objs) -> bool:
    """Whether a Tracer occurs anywhere in ``objs`` (through lists, tuples and dicts)."""
    found: list = []
    for o in objs:
        _split(o, found)
        if found:
            return True
    return False


def passthrough(fn, name: str, *, batch="loop", multiple: bool = False, doc: str | None = None,
                reason: str = ""):
    """``fn`` on the values of its (possibly traced) arguments; the output has no derivative.

    ``batch``: "loop" (per example under vmap, results stacked), "error" (a clear TypeError
    under vmap; ``reason`` says why), or a batching rule ``rule(vals, dims, template)``.
    ``multiple``: ``fn`` returns a tuple of arrays (each stacked separately under vmap).
    """

    def impl(*vals, template):
        args, kwargs = _fill(template, vals)
        out = fn(*args, **kwargs)
        return tuple(out) if multiple else out

    prim = Primitive(f"numpy.{name}", impl, nondiff=True, multiple_results=multiple,
                     register=False)
    if batch == "loop":
        prim.defbatch(loop_batch(prim))
    elif batch == "error":
        def refuse(vals, dims, template):
            why = f" ({reason})" if reason else ""
            raise TypeError(f"numpy.{name} cannot run under vmap on a batched argument{why}; "
                            f"call it outside vmap, or per example in a Python loop")

        prim.defbatch(refuse)
    else:
        prim.defbatch(batch)

    def wrapper(*args, **kwargs):
        found: list = []
        template = _split((args, kwargs), found)
        if not found:
            return fn(*args, **kwargs)
        return prim(*found, template=template)

    wrapper.__name__ = name
    wrapper.__qualname__ = name
    wrapper.__doc__ = doc or (f"``numpy.{name}``; not differentiable (its output carries no "
                              f"derivative); takes traced values.")
    wrapper.__wrapped__ = fn
    wrapper.primitive = prim
    return wrapper


def inplace(fn, name: str, functional: str):
    """``fn`` writes into its first argument: fine on a plain array, a clear TypeError on a
    traced one (a traced value is immutable), pointing to ``functional``."""

    def wrapper(*args, **kwargs):
        target = args[0] if args else next(iter(kwargs.values()), None)
        if isinstance(target, Tracer):
            raise TypeError(f"numpy.{name} writes into its first argument in place, which a "
                            f"traced array (shape {target.shape}) cannot take; use the "
                            f"functional form: {functional}")
        if has_tracer(args, kwargs):
            raise TypeError(f"numpy.{name} would write traced values into a plain array in "
                            f"place, cutting them off from differentiation; use the "
                            f"functional form: {functional}")
        return fn(*args, **kwargs)

    wrapper.__name__ = name
    wrapper.__qualname__ = name
    wrapper.__doc__ = (f"``numpy.{name}`` (in place) on plain arrays; on a traced array it "
                       f"raises and points to the functional form: {functional}")
    wrapper.__wrapped__ = fn
    return wrapper
