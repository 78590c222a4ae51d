"""autograd's graph helpers on chainrule's tape: ``const_graph`` (trace once, replay) and
``full_graph`` (the recorded graph as nodes).

Why: a function whose control flow does not depend on its input's values runs the same
primitives every call. ``const_graph`` records them once -- the tape is data: each entry holds
its primitive, params and constant arguments -- and later calls replay the entries without
re-running the Python around them. The replay calls the same primitives, so it is traced
and differentiated like the original.

    >>> import chainrule.numpy as np
    >>> f = const_graph(lambda x: np.sin(x) * 2.0)
    >>> float(f(0.0)), float(f(np.pi / 2))
    (0.0, 2.0)
"""

from __future__ import annotations

import functools

from ..core.pytree import tree_flatten, tree_unflatten
from ..core.reverse import TUPLE_GET, RevTrace, RevTracer
from ..tracer import Node, trace


class _Recording:
    """The replayable part of one tape: per entry the primitive, params, constant arguments
    and the tape positions of the traced ones."""

    def __init__(self, rt: RevTrace, n_in: int, out_leaves, out_td) -> None:
        self.n_in = n_in
        self.steps = []
        for entry in rt.tape:
            if entry is None:  # an input
                self.steps.append(None)
                continue
            prim, params, args, _, parents = entry
            if prim is TUPLE_GET:
                self.steps.append((TUPLE_GET, parents[0], params))
            else:
                consts = [None if j is not None else a
                          for a, j in zip(args, parents, strict=True)]
                self.steps.append((prim, params, consts, list(parents)))
        self.outs = [o._idx if type(o) is RevTracer and o._trace is rt else (None, o)
                     for o in out_leaves]
        self.out_td = out_td

    def replay(self, leaves):
        if len(leaves) != self.n_in:
            raise ValueError(f"const_graph: recorded with {self.n_in} input leaves, called with "
                             f"{len(leaves)}")
        vals: list = [None] * len(self.steps)
        it = iter(leaves)
        for i, step in enumerate(self.steps):
            if step is None:
                vals[i] = next(it)
            elif step[0] is TUPLE_GET:
                vals[i] = vals[step[1]][step[2]]
            else:
                prim, params, consts, where = step
                args = [c if w is None else vals[w] for c, w in zip(consts, where, strict=False)]
                vals[i] = prim(*args, **params)
        return tree_unflatten(self.out_td, [o[1] if isinstance(o, tuple) else vals[o]
                                            for o in self.outs])


def const_graph_unary(fun):
    """``fun(x)`` recorded on its first call and replayed on later ones."""
    recording: list = []
    pending = [fun]  # let fun (and what it binds) be freed once recorded

    def maybe_cached_fun(x):
        leaves, td = tree_flatten(x)
        if recording:
            return recording[0].replay(leaves)
        rt = RevTrace(keep_all=True)
        out = pending[0](tree_unflatten(td, [rt.new_leaf(v) for v in leaves]))
        out_leaves, out_td = tree_flatten(out)
        if not any(type(o) is RevTracer and o._trace is rt for o in out_leaves):
            raise Exception("Output is independent of input")
        recording.append(_Recording(rt, len(leaves), out_leaves, out_td))
        pending.pop()
        return tree_unflatten(out_td, [o._value if type(o) is RevTracer and o._trace is rt
                                       else o for o in out_leaves])

    return maybe_cached_fun


def const_graph(fun, *args, **kwargs):
    """``fun`` with ``args``/``kwargs`` bound, traced on its first call and replayed after:
    valid when ``fun`` runs the same primitives whatever its arguments' values."""
    partial_fun = functools.partial(fun, *args, **kwargs)
    cached = const_graph_unary(lambda xs: partial_fun(*xs))

    @functools.wraps(fun)
    def _fun(*xs):
        return cached(xs)

    return _fun


class FullGraphNode(Node):
    """A node that keeps its value and how it was made: ``recipe = (fun, args, kwargs,
    [(argnum, parent), ...])``."""

    __slots__ = ("value", "recipe")

    def __init__(self, value, fun, args, kwargs, parent_argnums, parents) -> None:
        self.value = value
        self.recipe = (fun, args, kwargs, list(zip(parent_argnums, parents, strict=False)))

    def initialize_root(self) -> None:
        self.value = None
        self.recipe = (lambda x: x, (), {}, [])


def full_graph(fun, *args, **kwargs):
    """The end node of ``fun(*args, **kwargs)``'s graph, built of ``FullGraphNode``\\ s."""
    _, end_node = trace(FullGraphNode.new_root(), lambda xs: fun(*xs, **kwargs), args)
    return end_node


__all__ = ["FullGraphNode", "const_graph", "const_graph_unary", "full_graph"]
