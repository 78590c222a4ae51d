"""autograd's ``autograd.builtins``: ``tuple``, ``list``, ``dict``, ``isinstance``, ``type``.

Why they are plain here: autograd boxes a container only when it is built with its own
``tuple``/``list``/``dict``, so a function returning a plain tuple of boxes looked constant to
it. chainrule's containers are pytrees -- any tuple, list or dict of traced values carries
derivatives, in and out of every transform -- so ``tuple``, ``list`` and ``dict`` are Python's
own (``isinstance(x, chainrule.builtins.tuple)`` is ``isinstance(x, tuple)``). ``isinstance``
and ``type`` look through tracers at the value's type, as autograd's look through boxes.

    >>> import numpy, chainrule
    >>> from chainrule.builtins import isinstance, tuple
    >>> float(chainrule.grad(lambda x: 3.0 * x if isinstance(x, numpy.ndarray) else x)(2.0))
    3.0
    >>> chainrule.jacobian(lambda x: tuple((x, 2.0 * x)))(1.0)
    (array(1.), array(2.))
"""

from __future__ import annotations

import builtins as _builtins

from .compat import (  # noqa: F401  (autograd exposes these here too)
    ContainerVSpace,
    DictVSpace,
    ListVSpace,
    NamedTupleVSpace,
    SequenceVSpace,
    TupleVSpace,
    raw_type,
)

tuple = _builtins.tuple
list = _builtins.list
dict = _builtins.dict

isinstance_ = _builtins.isinstance
type_ = _builtins.type


def isinstance(obj, classinfo) -> bool:  # noqa: A001
    """``isinstance`` of the value under any tracer (autograd's unboxing ``isinstance``)."""
    return _builtins.issubclass(raw_type(obj), classinfo) if _is_traced(obj) \
        else _builtins.isinstance(obj, classinfo)


def type(obj, *rest):  # noqa: A001
    """``type(x)`` of the value under any tracer; ``type(name, bases, dict)`` as Python's."""
    if rest:
        return type_(obj, *rest)
    return raw_type(obj)


def _is_traced(obj) -> bool:
    from .core.trace import Tracer

    return _builtins.isinstance(obj, Tracer)


__all__ = ["dict", "isinstance", "list", "tuple", "type"]
