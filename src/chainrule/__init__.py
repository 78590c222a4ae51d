"""chainrule: exact derivatives of NumPy code -- gradients, Jacobians, Hessians, any order.

    >>> import chainrule, chainrule.numpy as np
    >>> chainrule.grad(lambda x: np.sum(np.sin(x) ** 2))(np.zeros(3))
    array([0., 0., 0.])
"""

from . import numpy  # noqa: F401  (registers the primitives and fills NumPy's dispatch map)
from .core.pytree import (  # noqa: F401
    register_pytree_node,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _transforms_all

__version__ = "0.1.0"
__all__ = list(_transforms_all) + [
    "numpy", "register_pytree_node", "tree_flatten", "tree_leaves", "tree_map",
    "tree_structure", "tree_unflatten",
]

# HIPS autograd's top level, so that `import chainrule as autograd` keeps working.
from . import builtins, extend, tracer, util  # noqa: E402,F401
from .builtins import dict, isinstance, list, tuple, type  # noqa: E402,F401,A001,A004
from .extend import primitive  # noqa: E402,F401

__all__ += ["builtins", "extend", "tracer", "util", "primitive", "dict", "isinstance", "list",
            "tuple", "type"]
