"""Pytrees: nested tuples, lists, dicts, namedtuples and None holding arrays at the leaves.

Why: model parameters are nested containers, and gradients must come back in the same
structure. Every leaf has a key path (``['layers'][0]['W']``) used to name the leaf at fault
in an error and to save and load parameters by name. New container types are registered with
``register_pytree_node``.

    >>> leaves, tree = tree_flatten({"b": 1.0, "a": (2.0, None)})
    >>> leaves
    [2.0, 1.0]
    >>> tree_unflatten(tree, [20.0, 10.0])
    {'a': (20.0, None), 'b': 10.0}
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from itertools import islice as _islice
from typing import Any, NamedTuple

import numpy as _np

_nodes: dict[type, tuple[Callable, Callable]] = {}


def register_pytree_node(cls: type, flatten: Callable, unflatten: Callable) -> None:
    """Register a container: ``flatten(x) -> (children, aux)``, ``unflatten(aux, children)``.

    ``children`` may be a list of values or of ``(key, value)`` pairs' values; keys for
    paths come from ``aux`` when it is a tuple of keys of the same length, else indices.
    """
    _nodes[cls] = (flatten, unflatten)


register_pytree_node(tuple, lambda x: (list(x), None), lambda _, c: tuple(c))
register_pytree_node(list, lambda x: (list(x), None), lambda _, c: list(c))
def _sorted_items(x):
    keys = sorted(x)
    return [x[k] for k in keys], tuple(keys)


register_pytree_node(dict, _sorted_items, lambda keys, c: dict(zip(keys, c)))
register_pytree_node(type(None), lambda x: ([], None), lambda _, c: None)
# OrderedDict keeps its order (it is part of its meaning); defaultdict keeps its factory.
register_pytree_node(
    collections.OrderedDict,
    lambda x: (list(x.values()), tuple(x)),
    lambda keys, c: collections.OrderedDict(zip(keys, c)),
)
register_pytree_node(
    collections.defaultdict,
    lambda x: ([x[k] for k in sorted(x)], (x.default_factory, tuple(sorted(x)))),
    lambda aux, c: collections.defaultdict(aux[0], zip(aux[1], c)),
)


def _dict_subclass_node(t):
    """Any other dict subclass: its items by sorted key, rebuilt with its own type."""
    return _sorted_items, lambda keys, c: t(zip(keys, c))


class TreeDef(NamedTuple):
    kind: Any  # the node type, or None for a leaf
    aux: Any
    children: tuple

    @property
    def num_leaves(self) -> int:
        if self.kind is None:
            return 1
        return sum(c.num_leaves for c in self.children)

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        return f"{self.kind.__name__}({', '.join(map(repr, self.children))})"


LEAF = TreeDef(None, None, ())


def _node_of(x):
    t = type(x)
    if t in _nodes:
        return t, _nodes[t]
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # namedtuple
        return t, (lambda v: (list(v), None), lambda _, c, t=t: t(*c))
    if isinstance(x, dict):
        return t, _dict_subclass_node(t)
    return None, None


# The walks below are module-level functions with explicit arguments, not nested closures:
# a closure that calls itself is a reference cycle, and it would keep the leaves (arrays,
# possibly large) alive until the garbage collector runs.

def tree_flatten(tree, is_leaf: Callable | None = None) -> tuple[list, TreeDef]:
    """Leaves in a fixed order (dicts by sorted key) and the structure to rebuild them."""
    t = type(tree)
    if (t not in _nodes and not isinstance(tree, (tuple, dict))) or \
            (is_leaf is not None and is_leaf(tree)):
        return [tree], LEAF  # a bare leaf (the common case of one array): no walk
    if t is tuple and is_leaf is None:  # a flat tuple of leaves (a function's arguments)
        for c in tree:
            if type(c) in _nodes or isinstance(c, (tuple, dict)):
                break
        else:
            return list(tree), _flat_tuple(len(tree))
    leaves: list = []
    return leaves, _flatten(tree, is_leaf, leaves)


_flat_tuples: dict = {}


def _flat_tuple(n: int) -> TreeDef:
    td = _flat_tuples.get(n)
    if td is None:
        td = _flat_tuples[n] = TreeDef(tuple, None, (LEAF,) * n)
    return td


def _flatten(x, is_leaf, leaves: list) -> TreeDef:
    if is_leaf is not None:
        if is_leaf(x):
            leaves.append(x)
            return LEAF
        t, fns = _node_of(x)
        if t is None:
            leaves.append(x)
            return LEAF
        children, aux = fns[0](x)
        return _tuple_new(TreeDef, (t, aux, tuple([_flatten(c, is_leaf, leaves)
                                                    for c in children])))
    node = builtin_node(x)  # the built-in containers without a registry lookup
    if node is not None:
        t, aux, children = node
    else:
        t, fns = _node_of(x)
        if t is None:
            leaves.append(x)
            return LEAF
        children, aux = fns[0](x)
    tds = []
    nested = False
    for c in children:  # leaves inline too: no call per array
        tc = type(c)
        if tc in _nodes or (tc not in _leaf_types and isinstance(c, (tuple, dict))):
            tds.append(_flatten(c, None, leaves))
            nested = True
        else:
            leaves.append(c)
            tds.append(LEAF)
    return make_treedef(t, aux, tds, nested)


def builtin_node(x):
    """``(kind, aux, children)`` of a dict (children by sorted key, the keys as aux), a tuple
    or a list; None for anything else."""
    t = type(x)
    if t is dict:
        aux = tuple(sorted(x))
        return t, aux, [x[k] for k in aux]
    if t is tuple or t is list:
        return t, None, x
    return None


def make_treedef(kind, aux, child_defs: list, nested: bool) -> TreeDef:
    """A node's TreeDef; with no ``nested`` child its children are the one ``(LEAF,) * n``
    tuple, recognized by identity when the node is rebuilt (a dict of parameters, every grad
    call)."""
    if nested:
        return _tuple_new(TreeDef, (kind, aux, tuple(child_defs)))
    n = len(child_defs)
    row = _leaf_rows.get(n)
    if row is None:
        row = _leaf_rows[n] = (LEAF,) * n
    return _tuple_new(TreeDef, (kind, aux, row))


_leaf_rows: dict = {}


_tuple_new = tuple.__new__  # a TreeDef without NamedTuple's Python-level __new__


_leaf_types = frozenset([_np.ndarray, float, int, complex, bool, _np.float64, _np.float32])


def tree_unflatten(treedef: TreeDef, leaves) -> Any:
    if treedef is LEAF:
        return next(iter(leaves))
    if treedef.kind is tuple and _flat_tuples.get(len(treedef.children)) is treedef:
        return tuple(leaves)
    return _build(treedef, iter(leaves))


def _build(td: TreeDef, it):
    kind, aux, kids = td
    if kind is None:
        return next(it)
    if kids is _leaf_rows.get(len(kids)):
        children = list(_islice(it, len(kids)))
        if len(children) != len(kids):
            raise ValueError(f"tree_unflatten: too few leaves for the structure {td!r}")
    else:
        children = [next(it) if c is LEAF else _build(c, it) for c in kids]
    return rebuild(kind, aux, children)


def rebuild(kind, aux, children: list):
    """The container of type ``kind`` (with ``aux`` from its TreeDef) holding ``children``."""
    if kind is dict:
        return dict(zip(aux, children))
    if kind is tuple:
        return tuple(children)
    if kind is list:
        return children
    return _node_of_type(kind)[1][1](aux, children)


def _node_of_type(t):
    if t in _nodes:
        return t, _nodes[t]
    if issubclass(t, dict):
        return t, _dict_subclass_node(t)
    return t, (None, lambda _, c, t=t: t(*c))  # namedtuple


def tree_leaves(tree) -> list:
    return tree_flatten(tree)[0]


def tree_structure(tree) -> TreeDef:
    return tree_flatten(tree)[1]


def tree_map(f: Callable, tree, *rest) -> Any:
    """Apply ``f`` leaf-wise over ``tree`` and trees of the same structure."""
    leaves, td = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    for i, o in enumerate(others):
        if len(o) != len(leaves):
            raise ValueError(f"tree_map: tree {i + 1} has {len(o)} leaves, expected {len(leaves)}")
    return tree_unflatten(td, [f(*xs) for xs in zip(leaves, *others)])


def _keys(td: TreeDef):
    if td.kind is collections.defaultdict:
        return [f"[{k!r}]" for k in td.aux[1]]
    if isinstance(td.kind, type) and issubclass(td.kind, dict):
        return [f"[{k!r}]" for k in td.aux]
    fields = getattr(td.kind, "_fields", None)
    if fields is not None:
        return [f".{f}" for f in fields]
    return [f"[{i}]" for i in range(len(td.children))]


def tree_paths(treedef: TreeDef) -> list[str]:
    """Key paths of the leaves, in flatten order, e.g. ``"['layers'][0]['W']"``."""
    out: list[str] = []
    _paths(treedef, "", out)
    return out


def _paths(td: TreeDef, prefix: str, out: list) -> None:
    if td.kind is None:
        out.append(prefix)
        return
    for k, c in zip(_keys(td), td.children):
        _paths(c, prefix + k, out)


def tree_flatten_with_path(tree) -> tuple[list[tuple[str, Any]], TreeDef]:
    leaves, td = tree_flatten(tree)
    return list(zip(tree_paths(td), leaves)), td


def broadcast_prefix(prefix, tree, what: str = "in_axes") -> list:
    """Expand a prefix tree (e.g. ``in_axes=(0, None)``) to one entry per leaf of ``tree``."""
    out: list = []
    _broadcast_prefix(prefix, tree, what, out)
    return out


def _broadcast_prefix(p, x, what: str, out: list) -> None:
    t, fns = _node_of(x)
    if p is None or t is None or _node_of(p)[0] is None:
        out.extend([p] * tree_structure(x).num_leaves)
        return
    if type(p) is not t and not (isinstance(p, (tuple, list)) and isinstance(x, (tuple, list))):
        raise ValueError(f"{what} structure {p!r} does not match the argument structure")
    pc, _ = _node_of(p)[1][0](p)
    xc, _ = fns[0](x)
    if len(pc) != len(xc):
        raise ValueError(f"{what} has {len(pc)} entries where the arguments have {len(xc)}")
    for a, b in zip(pc, xc):
        _broadcast_prefix(a, b, what, out)
