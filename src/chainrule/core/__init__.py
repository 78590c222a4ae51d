"""The tracing core: trace levels, primitives, reverse/forward/batching traces, pytrees.

It knows no NumPy function by name; families in ``chainrule.rules`` register primitives.
"""

from . import tracer_ops  # noqa: F401  (installs operators on Tracer)
from .batching import BatchTrace, BatchTracer
from .forward import JVPTrace, JVPTracer
from .primitive import Primitive, deflinear, nondiff_primitive, primitive, registry
from .pytree import (
    register_pytree_node,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_map,
    tree_paths,
    tree_structure,
    tree_unflatten,
)
from .reverse import RevTrace, RevTracer, backward
from .trace import Trace, Tracer, Zero, getval, is_tracer

__all__ = [
    "BatchTrace", "BatchTracer", "JVPTrace", "JVPTracer", "Primitive", "RevTrace", "RevTracer",
    "Trace", "Tracer", "Zero", "backward", "deflinear", "getval", "is_tracer",
    "nondiff_primitive", "primitive", "register_pytree_node", "registry", "tree_flatten",
    "tree_flatten_with_path", "tree_leaves", "tree_map", "tree_paths", "tree_structure",
    "tree_unflatten",
]
