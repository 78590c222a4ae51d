"""autograd's tracer API over chainrule's tape: ``trace``, ``Node``, ``primitive``, ``getval``,
``isbox``, so that graph tools written on autograd's tracer keep working.

Why: autograd builds its graph by calling a user's ``Node`` subclass once per primitive call
(``Node(value, fun, args, kwargs, parent_argnums, parents)``). chainrule records the same facts
on its reverse-mode tape (each entry holds its primitive, params, input values and output),
so ``trace`` runs the function on a fresh tape and then builds the user's nodes from it, in
execution order. ``node.fun`` is the primitive; its ``__name__`` is NumPy's name (``add``,
``multiply``, ``sin``) or, for an autograd-style primitive, the decorated function.

    >>> import chainrule.numpy as np
    >>> class Printer(Node):
    ...     def __init__(self, value, fun, args, kwargs, parent_argnums, parents):
    ...         self.parents = parents
    ...         print(fun.__name__, parent_argnums)
    ...     def initialize_root(self):
    ...         self.parents = []
    >>> value, node = trace(Printer.new_root(), lambda x: np.sin(x) * x, 1.0)
    sin (0,)
    multiply (0, 1)

Differences from autograd: the nodes are built when the traced function returns, not while it
runs; the leaves of a container input all have the root as parent; keyword arguments of a
chainrule primitive are its static params (``axis=...``).
"""

from __future__ import annotations

import operator
from collections import defaultdict

from .compat import (  # noqa: F401  (autograd's names)
    AutogradPrimitive,
    Box,
    getval,
    isbox,
    notrace_primitive,
    primitive,
    warn_independent,
)
from .core.forward import _fit
from .core.primitive import PerArgRules, Primitive
from .core.pytree import tree_flatten, tree_unflatten
from .core.reverse import TUPLE_GET, RevTrace, RevTracer
from .core.trace import Zero
from .util import toposort


class Node:
    """A node of a traced graph. Subclass it, define ``__init__(value, fun, args, kwargs,
    parent_argnums, parents)`` and ``initialize_root(...)``, and pass ``MyNode.new_root(...)``
    to :func:`trace`."""

    __slots__ = ()

    def __init__(self, value, fun, args, kwargs, parent_argnums, parents) -> None:
        raise NotImplementedError("subclass Node and define __init__")

    def initialize_root(self, *args, **kwargs) -> None:
        raise NotImplementedError("subclass Node and define initialize_root")

    @classmethod
    def new_root(cls, *args, **kwargs):
        root = cls.__new__(cls)
        root.initialize_root(*args, **kwargs)
        return root


# node type -> functions whose calls are not recorded as nodes for that type
_notrace: dict = defaultdict(set)


def register_notrace(node_type: type, fun) -> None:
    """Do not record ``fun`` for graphs of ``node_type``: its output is a constant there.

    For ``VJPNode``/``JVPNode`` (autograd's reverse and forward modes) the derivative of
    ``fun`` is zero in that mode, for every chainrule transform of that mode.
    """
    _notrace[node_type].add(fun)
    for mode, kind in (("rev", VJPNode), ("fwd", JVPNode)):
        if issubclass(node_type, kind):
            if isinstance(fun, AutogradPrimitive):
                fun.notrace.add(mode)
            elif isinstance(fun, Primitive):
                zero = PerArgRules(lambda k: lambda *a, **kw: None)
                if mode == "rev":
                    fun.vjps = zero
                else:
                    fun.jvps = zero


def _skipped(node_type, fun) -> bool:
    return any(fun in _notrace[t] for t in node_type.__mro__ if t in _notrace)


def _make_container(kind):
    def make(*xs):
        return xs

    make.__name__ = f"make_{getattr(kind, '__name__', 'tree')}"
    return make


def _output(values, i):
    return values[i]


_output.__name__ = "getitem"


def trace(start_node: Node, fun, x):
    """Run ``fun(x)`` and return ``(end_value, end_node)``: the output's value and the node
    that made it (None, with a warning, when the output does not depend on ``x``)."""
    rt = RevTrace(keep_all=True)
    leaves, td = tree_flatten(x)
    ins = [rt.new_leaf(v) for v in leaves]
    end = fun(tree_unflatten(td, ins))
    node_type = type(start_node)
    nodes = _build(rt, node_type, start_node)
    o_leaves, o_td = tree_flatten(end)
    mine = [(k, o) for k, o in enumerate(o_leaves) if type(o) is RevTracer and o._trace is rt]
    values = [o._value if type(o) is RevTracer and o._trace is rt else o for o in o_leaves]
    if o_td.kind is None and mine and nodes[mine[0][1]._idx] is not None:
        return values[0], nodes[mine[0][1]._idx]
    if o_td.kind is not None and mine:
        pairs = [(k, nodes[o._idx]) for k, o in mine if nodes[o._idx] is not None]
        if pairs:
            value = tree_unflatten(o_td, values)
            node = node_type(value, _make_container(o_td.kind), tuple(values), {},
                             tuple(k for k, _ in pairs), tuple(n for _, n in pairs))
            return value, node
    warn_independent()
    return tree_unflatten(o_td, values), None


def _build(rt: RevTrace, node_type: type, start_node: Node) -> list:
    """One user node per tape entry, in execution order (None: a constant for this graph)."""
    tape = rt.tape
    nodes: list = [None] * len(tape)
    for i, entry in enumerate(tape):
        if entry is None:  # an input
            nodes[i] = start_node
            continue
        prim, params, t_args, t_value, parents = entry
        if prim is TUPLE_GET:
            j = parents[0]
            pnode = nodes[j]
            if pnode is None or getattr(tape[j][0], "autograd_primitive", None) is not None:
                nodes[i] = pnode  # the outputs of one autograd-style call share its node
            else:
                nodes[i] = node_type(tape[j][3][params], _output, (tape[j][3], params), {},
                                     (0,), (pnode,))
            continue
        ag = getattr(prim, "autograd_primitive", None)
        if ag is not None:
            call = params["_call"]
            fun = ag
            args = tuple(tree_unflatten(call.in_td, list(t_args)))
            kwargs = {k: v for k, v in params.items() if k != "_call"}
            value = tree_unflatten(call.out_td, list(t_value))
            owner = [k for k, _ in call.owner]
        else:
            fun, args, kwargs, value = prim, tuple(t_args), dict(params), t_value
            owner = list(range(len(t_args)))
        if _skipped(node_type, fun):
            continue
        pairs: list = []
        for k, j in enumerate(parents):
            if j is not None and nodes[j] is not None:
                pair = (owner[k], nodes[j])
                if not any(pair[0] == a and pair[1] is n for a, n in pairs):
                    pairs.append(pair)
        if pairs:
            nodes[i] = node_type(value, fun, args, kwargs, tuple(a for a, _ in pairs),
                                 tuple(n for _, n in pairs))
    return nodes


# --- autograd's two working node types -------------------------------------------------------

def _cotangent(fun, k, g, ans, args, kwargs):
    if isinstance(fun, AutogradPrimitive):
        vjp = fun._make_vjp(k, ans, args, kwargs)
        return None if vjp is None else vjp(g)
    if fun is _output:
        return None
    return fun.vjp_rule(k)(g, ans, *args, **kwargs)


class VJPNode(Node):
    """autograd's reverse-mode node: ``node.vjp(g)`` gives one cotangent per parent."""

    __slots__ = ("parents", "vjp")

    def __init__(self, value, fun, args, kwargs, parent_argnums, parents) -> None:
        self.parents = parents
        self.vjp = lambda g: tuple(_cotangent(fun, k, g, value, args, kwargs)
                                   for k in parent_argnums)

    def initialize_root(self) -> None:
        self.parents = []
        self.vjp = lambda g: ()


class JVPNode(Node):
    """autograd's forward-mode node: ``node.g`` is the tangent of its value."""

    __slots__ = ("g",)

    def __init__(self, value, fun, args, kwargs, parent_argnums, parents) -> None:
        total = None
        for k, parent in zip(parent_argnums, parents, strict=False):
            if isinstance(fun, AutogradPrimitive):
                t = fun._jvp(k, parent.g, value, args, kwargs)
            else:
                t = fun.jvp_rule(k)(parent.g, value, *args, **kwargs)
                t = None if t is None or type(t) is Zero else _fit(t, value)
            if t is not None:
                total = t if total is None else total + t
        self.g = total

    def initialize_root(self, g) -> None:
        self.g = g


def backward_pass(g, end_node: VJPNode):
    """autograd's backward pass over ``VJPNode`` graphs (cotangents summed at each node)."""
    outgrads = {end_node: g}
    ct = g
    for node in toposort(end_node, operator.attrgetter("parents")):
        ct = outgrads.pop(node, None)
        if ct is None:
            continue
        for parent, c in zip(node.parents, node.vjp(ct), strict=False):
            if c is not None:
                prev = outgrads.get(parent)
                outgrads[parent] = c if prev is None else prev + c
    return ct


__all__ = [
    "Box", "JVPNode", "Node", "VJPNode", "backward_pass", "getval", "isbox",
    "notrace_primitive", "primitive", "register_notrace", "toposort", "trace",
]
