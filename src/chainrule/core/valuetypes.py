"""Value types that are not arrays (autograd's VSpace types): how to make their zeros and
add two of them. Registered types may be grad inputs and carry cotangents.

    >>> class Pair:
    ...     def __init__(self, a, b): self.a, self.b = a, b
    >>> register_value_type(Pair, zeros=lambda p: Pair(0.0, 0.0),
    ...                     add=lambda p, q: Pair(p.a + q.a, p.b + q.b))
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

value_types: dict = {}


def register_value_type(cls: type, zeros: Callable, add: Callable) -> None:
    """Declare ``cls`` a differentiable value type with its own ``zeros(x)`` and ``add(x, y)``."""
    value_types[cls] = SimpleNamespace(zeros=zeros, add=add)
