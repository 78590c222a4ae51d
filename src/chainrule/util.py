"""autograd's ``autograd.util`` helpers: ``subvals``, ``subval``, ``func``, ``toposort``,
``quick_grad_check`` (deprecated there too) and ``flatten`` (from older autograd versions).

    >>> subvals((1, 2, 3), [(0, 10), (2, 30)])
    (10, 2, 30)
"""

from __future__ import annotations

import operator
import warnings


def subvals(x, ivs):
    """``x`` as a tuple with ``x[i] = v`` for each ``(i, v)`` in ``ivs``."""
    out = list(x)
    for i, v in ivs:
        out[i] = v
    return tuple(out)


def subval(x, i, v):
    out = list(x)
    out[i] = v
    return tuple(out)


def func(f):
    """The function itself (autograd used it to get a plain function from a method)."""
    return f


def toposort(end_node, parents=operator.attrgetter("parents")):
    """Nodes reachable from ``end_node``, each after every node that uses it (no recursion)."""
    child_counts: dict = {}
    stack = [end_node]
    while stack:
        node = stack.pop()
        if node in child_counts:
            child_counts[node] += 1
        else:
            child_counts[node] = 1
            stack.extend(parents(node))
    ready = [end_node]
    while ready:
        node = ready.pop()
        yield node
        for parent in parents(node):
            if child_counts[parent] == 1:
                ready.append(parent)
            else:
                child_counts[parent] -= 1


def flatten(value):
    """``(vector, unflatten)`` for a nest of tuples, lists and dicts of arrays (see
    ``chainrule.misc.flatten``)."""
    from .misc.flatten import flatten as _flatten

    return _flatten(value)


def quick_grad_check(fun, arg0, extra_args=(), kwargs={}, verbose=True, eps=1e-4, rtol=1e-4,  # noqa: B006
                     atol=1e-6, rs=None):
    """Deprecated in autograd: reverse-mode, first-order ``check_grads`` of ``fun`` at ``arg0``.

    ``verbose``, ``eps``, ``rtol``, ``atol`` and ``rs`` are accepted and, as in autograd,
    ignored; use ``chainrule.test_util.check_grads``.
    """
    warnings.warn("quick_grad_check is deprecated: use chainrule.test_util.check_grads",
                  UserWarning, stacklevel=2)  # autograd's category
    from .test_util import check_grads

    check_grads(lambda x: fun(x, *extra_args, **kwargs), arg0, modes=("rev",), order=1)


__all__ = ["flatten", "func", "quick_grad_check", "subval", "subvals", "toposort"]
