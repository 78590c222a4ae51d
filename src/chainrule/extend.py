"""Add a differentiable function of your own in a few lines -- chainrule's way or autograd's.

chainrule's rules take the cotangent first and return it; keyword arguments are static:

    >>> import numpy, chainrule
    >>> from chainrule.extend import primitive, defvjp, defjvp, defbatch
    >>> cube = primitive(lambda x: x ** 3, name="cube")
    >>> defvjp(cube, lambda g, ans, x: 3 * g * x ** 2)
    >>> defjvp(cube, lambda g, ans, x: 3 * g * x ** 2)
    >>> float(chainrule.grad(cube)(2.0))
    12.0

HIPS autograd's code runs unchanged after ``from chainrule.extend import primitive, defvjp``:

    >>> @primitive
    ... def logsumexp(x):
    ...     return numpy.log(numpy.sum(numpy.exp(x)))
    >>> defvjp(logsumexp, lambda ans, x: lambda g: g * numpy.exp(x - ans))
    >>> chainrule.grad(logsumexp)(numpy.zeros(2))
    array([0.5, 0.5])

Which convention a primitive takes is fixed when it is made, never guessed from a rule:

- ``primitive(f)`` -- the function alone, autograd's decorator form -- makes an *autograd-style*
  primitive: ``defvjp(f, maker_0, maker_1, ..., argnums=...)`` takes VJP makers
  ``maker(ans, *args, **kwargs) -> (g -> cotangent)``, a ``None`` maker means a zero
  derivative, positional arguments may be containers of arrays and results may be containers
  (autograd's container boxes), and ``defvjp_argnum``/``defvjp_argnums``/``defjvp_argnum``/
  ``defjvp_argnums``/``def_linear`` work as in autograd. ``primitive(f, convention="native")``
  opts out.
- ``primitive(f, name=...)`` (or any other keyword), every ``chainrule.numpy`` function and
  ``chainrule.core.Primitive`` are *native*: ``defvjp(p, rule_0, ...)`` with
  ``rule(g, ans, *args, **params)``, None = not differentiable in that argument.

JVP rules are written the same way in both: ``rule(g, ans, *args, **kwargs)``; autograd's
``"same"`` (the function is linear in that argument) is accepted for autograd-style primitives.
A maker given to the wrong kind of primitive fails with a TypeError that says which form to use.
Without a batching rule, ``vmap`` falls back to a loop over the batch.
"""

from __future__ import annotations

from collections.abc import Callable

from .compat import (  # noqa: F401  (autograd's names)
    AutogradPrimitive,
    Box,
    ContainerVSpace,
    SparseObject,
    VSpace,
    notrace_primitive,
    vspace,
)
from .core.batching import batch_elementwise
from .core.primitive import PerArgRules, Primitive, deflinear
from .core.trace import Zero, getval
from .transforms.custom import custom_jvp, custom_vjp


def primitive(impl: Callable | None = None, name: str | None = None, *,
              convention: str | None = None, **kw):
    """Make ``impl`` a primitive: autograd-style when called with the function alone, native
    with ``name=`` or other keywords (see the module docstring). Usable as a decorator.

    Native primitives are not entered in the registry that operators dispatch through unless
    ``register=True`` is passed, so a user function named ``add`` cannot shadow NumPy's.
    """
    if impl is None:
        return lambda f: primitive(f, name, convention=convention, **kw)
    if convention is None:
        convention = "native" if (name is not None or kw) else "autograd"
    if convention == "autograd":
        if kw:
            raise TypeError(f"autograd-style primitives take no options, got {sorted(kw)}")
        return AutogradPrimitive(impl)
    if convention != "native":
        raise ValueError(f"convention must be 'autograd' or 'native', got {convention!r}")
    kw.setdefault("register", False)
    p = Primitive(name or getattr(impl, "__name__", "primitive"), impl, **kw)
    p.fun = impl
    return p


def _native(fun, what: str) -> Primitive:
    if isinstance(fun, Primitive):
        return fun
    raise TypeError(f"{what} needs a primitive made by chainrule.extend.primitive (or a "
                    f"chainrule.numpy function), got {fun!r}")


def defvjp(fun, *rules, argnums=None) -> None:
    """Attach reverse-mode rules, one per positional argument.

    Native primitive: ``rule(g, ans, *args, **params)`` returns that argument's cotangent.
    Autograd-style primitive: ``maker(ans, *args, **kwargs)`` returns ``vjp(g)``; a later call
    replaces every maker, as in autograd. ``argnums`` says which arguments the rules are for.
    """
    if isinstance(fun, AutogradPrimitive):
        fun.set_vjp_makers(rules, argnums)
        return
    prim = _native(fun, "defvjp")
    if argnums is not None:
        table = dict(zip(argnums, rules, strict=False))
        rules = tuple(table.get(i) for i in range(max(argnums, default=-1) + 1))
    prim.defvjp(*rules)


def defjvp(fun, *rules, argnums=None) -> None:
    """Attach forward-mode rules ``rule(g, ans, *args, **params)``, one per positional argument
    (its contribution to the output tangent). For autograd-style primitives ``None`` means a
    zero contribution and ``"same"`` means the function is linear in that argument."""
    if isinstance(fun, AutogradPrimitive):
        fun.set_jvp_rules(rules, argnums)
        return
    prim = _native(fun, "defjvp")
    if argnums is not None:
        table = dict(zip(argnums, rules, strict=False))
        rules = tuple(table.get(i) for i in range(max(argnums, default=-1) + 1))
    prim.defjvp(*[_same_native(prim, i) if r == "same" else r for i, r in enumerate(rules)])


def _same_native(prim, i):
    def rule(g, ans, *args, **params):
        args = list(args)
        args[i] = g
        return prim(*args, **params)

    return rule


def defvjp_argnum(fun, vjpmaker: Callable) -> None:
    """autograd's ``defvjp_argnum``: ``vjpmaker(argnum, ans, args, kwargs) -> vjp(g)``."""
    if isinstance(fun, AutogradPrimitive):
        fun.set_vjp_argnum(vjpmaker)
        return
    _native(fun, "defvjp_argnum").vjps = PerArgRules(
        lambda k: lambda g, ans, *args, **kw: vjpmaker(k, ans, args, kw)(g))


def defvjp_argnums(fun, vjpmaker: Callable) -> None:
    """autograd's ``defvjp_argnums``: ``vjpmaker(argnums, ans, args, kwargs)`` returns a function
    of ``g`` giving one cotangent per argnum (chainrule asks for one argnum at a time)."""
    if isinstance(fun, AutogradPrimitive):
        fun.set_vjp_argnums(vjpmaker)
        return
    _native(fun, "defvjp_argnums").vjps = PerArgRules(
        lambda k: lambda g, ans, *args, **kw: next(iter(vjpmaker((k,), ans, args, kw)(g))))


def defjvp_argnum(fun, jvpmaker: Callable) -> None:
    """autograd's ``defjvp_argnum``: ``jvpmaker(argnum, g, ans, args, kwargs)`` -> tangent."""
    if isinstance(fun, AutogradPrimitive):
        fun.set_jvp_argnum(jvpmaker)
        return
    _native(fun, "defjvp_argnum").jvps = PerArgRules(
        lambda k: lambda g, ans, *args, **kw: jvpmaker(k, g, ans, args, kw))


def defjvp_argnums(fun, jvpmaker: Callable) -> None:
    """autograd's ``defjvp_argnums``: ``jvpmaker(argnums, gs, ans, args, kwargs)`` -> the summed
    tangent (chainrule asks for one argnum at a time and sums)."""
    if isinstance(fun, AutogradPrimitive):
        fun.set_jvp_argnums(jvpmaker)
        return
    _native(fun, "defjvp_argnums").jvps = PerArgRules(
        lambda k: lambda g, ans, *args, **kw: jvpmaker((k,), (g,), ans, args, kw))


def def_linear(fun) -> None:
    """autograd's ``def_linear``: ``fun`` is linear in each argument separately, so its JVP in
    an argument is ``fun`` applied with the tangent in that argument's place."""

    def jvp(k, g, ans, args, kwargs):
        args = list(args)
        args[k] = g
        return fun(*args, **kwargs)

    defjvp_argnum(fun, jvp)


def defbatch(prim: Primitive, rule: Callable) -> None:
    """Attach a batching rule ``rule(args, dims, **params) -> (out, out_dim)``."""
    _native(prim, "defbatch").defbatch(rule)


def defelementwise_batch(prim: Primitive) -> None:
    """Declare ``prim`` elementwise (with broadcasting): its batching rule is then free."""
    p = _native(prim, "defelementwise_batch")
    p.defbatch(batch_elementwise(p))


# autograd's node types, for register_notrace (see chainrule.tracer).
from .tracer import JVPNode, Node, VJPNode, register_notrace  # noqa: E402

__all__ = [
    "AutogradPrimitive", "Box", "ContainerVSpace", "JVPNode", "Node", "Primitive",
    "SparseObject", "VJPNode", "VSpace", "Zero", "custom_jvp", "custom_vjp", "def_linear",
    "defbatch", "defelementwise_batch", "defjvp", "defjvp_argnum", "defjvp_argnums",
    "deflinear", "defvjp", "defvjp_argnum", "defvjp_argnums", "getval", "notrace_primitive",
    "primitive", "register_notrace", "vspace",
]
