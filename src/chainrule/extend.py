"""Add a differentiable function of your own in a few lines.

    >>> import numpy, chainrule
    >>> from chainrule.extend import primitive, defvjp, defjvp, defbatch
    >>> cube = primitive(lambda x: x ** 3, name="cube")
    >>> defvjp(cube, lambda g, ans, x: 3 * g * x ** 2)
    >>> defjvp(cube, lambda g, ans, x: 3 * g * x ** 2)
    >>> chainrule.grad(cube)(2.0)
    array(12.)

Rules follow one convention: ``vjp(g, ans, *args, **params)`` and ``jvp(g, ans, *args,
**params)`` per positional argument (None where not differentiable), and
``batch(args, dims, **params) -> (out, out_dim)``. Keyword arguments are static params.
Without a batching rule, ``vmap`` falls back to a loop over the batch.
"""

from __future__ import annotations

from typing import Callable

from .core.batching import batch_elementwise
from .core.primitive import Primitive, deflinear, primitive
from .core.trace import Zero, getval
from .transforms.custom import custom_jvp, custom_vjp


def defvjp(prim: Primitive, *rules: Callable | None) -> None:
    """Attach one VJP rule per positional argument."""
    prim.defvjp(*rules)


def defjvp(prim: Primitive, *rules: Callable | None) -> None:
    """Attach one JVP rule per positional argument."""
    prim.defjvp(*rules)


def defbatch(prim: Primitive, rule: Callable) -> None:
    """Attach a batching rule ``rule(args, dims, **params) -> (out, out_dim)``."""
    prim.defbatch(rule)


def defelementwise_batch(prim: Primitive) -> None:
    """Declare ``prim`` elementwise (with broadcasting): its batching rule is then free."""
    prim.defbatch(batch_elementwise(prim))


__all__ = [
    "Primitive", "Zero", "custom_jvp", "custom_vjp", "defbatch", "defelementwise_batch",
    "deflinear", "defjvp", "defvjp", "getval", "primitive",
]
