"""autograd's ``autograd.misc``: ``flatten``, ``optimizers``, ``fixed_points``, ``tracers``.

    >>> from chainrule.misc import flatten
    >>> flatten([1.0, 2.0])[0]
    array([1., 2.])
"""

from .flatten import flatten, flatten_func
from .tracers import const_graph

__all__ = ["const_graph", "flatten", "flatten_func"]
