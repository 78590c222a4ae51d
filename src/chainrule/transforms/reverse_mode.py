"""Reverse-mode transforms: ``vjp``, ``grad``, ``value_and_grad`` and their autograd spellings.

    >>> import chainrule.numpy as cnp
    >>> grad(lambda x: cnp.sum(x ** 2))(cnp.asarray([1.0, 2.0]))
    array([2., 4.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as _np

from ..core.pytree import (
    LEAF,
    builtin_node,
    make_treedef,
    rebuild,
    tree_flatten,
    tree_map,
    tree_unflatten,
)
from ..core.reverse import RevTrace, RevTracer, backward
from ..core.trace import Tracer, Zero, dtype_of, shape_of
from ..core.valuetypes import value_types
from ._args import check_differentiable, flatten_inputs, named, resolve_argnums, split_args


def _zeros_like(x):
    if type(x) is _np.ndarray:
        return _np.zeros(x.shape, x.dtype)
    return Zero(x).instantiate()


def _ones_like(x):
    if type(x) is _np.ndarray or isinstance(x, _np.generic):
        if x.shape == ():  # a scalar's seed (every grad): no Python-level numpy.ones
            return _np.array(1, x.dtype)
        return _np.ones(x.shape, x.dtype)
    from ..numpy import ones_like

    return ones_like(x)


def _value(o, trace):
    return o._value if type(o) is RevTracer and o._trace is trace else o


class Recorded(NamedTuple):
    """What ``trace_vjp`` recorded: the output, its VJP function and the tape behind it."""

    out: Any
    vjp_fn: Callable
    aux: Any
    trace: RevTrace
    in_tracers: list
    out_leaves: list
    out_treedef: Any
    pullback: Callable  # checked cotangent leaves -> input cotangent leaves (no pytrees)


def trace_vjp(f: Callable, primals: tuple, *, has_aux: bool = False, free: bool = False,
              what: str = "vjp", argnames=None, keep_all: bool = False) -> Recorded:
    """Run ``f(*primals)`` on a fresh tape.

    ``vjp_fn(ct)`` takes a cotangent shaped like ``out`` (None for a leaf means zero) and
    returns cotangents shaped like ``primals``. With ``free`` it may be called only once.
    With ``keep_all`` the tape keeps every value (to be replayed forward, as ``linearize``).
    """
    trace, leaves, td, tracers = _record_inputs(primals, argnames, what, keep_all)
    out = f(*tree_unflatten(td, tracers))
    aux = None
    if has_aux:
        out, aux = _split_aux(out, trace, what)
    out_leaves, out_td = tree_flatten(out)
    out_value = tree_unflatten(out_td, [_value(o, trace) for o in out_leaves])
    used = [False]

    def pullback(ct_leaves):
        if free and used[0]:
            raise RuntimeError("this vjp function freed its tape; it can be called only once")
        used[0] = True
        return _input_cotangents(backward(trace, [
            (o, c) for o, c in zip(out_leaves, ct_leaves) if c is not None and type(c) is not Zero
        ], free=free), leaves)

    def vjp_fn(ct):
        ct_leaves, ct_td = tree_flatten(ct, is_leaf=_is_none)
        if len(ct_leaves) != len(out_leaves):
            raise ValueError(f"{what}: the cotangent has structure {ct_td}, the output {out_td}")
        return tree_unflatten(td, pullback([_check_cotangent(what, o, c)
                                            for o, c in zip(out_leaves, ct_leaves)]))

    return _tuple_new(Recorded, (out_value, vjp_fn, aux, trace, tracers, out_leaves, out_td,
                                 pullback))


_tuple_new = tuple.__new__  # a Recorded without NamedTuple's Python-level __new__


def _record_inputs(primals: tuple, argnames, what: str, keep_all: bool = False):
    """``(trace, leaves, treedef, tracers)``: a fresh tape whose first entries are the leaves
    of ``primals`` (checked differentiable), in order."""
    leaves, td = flatten_inputs(primals)
    check_differentiable(leaves, td, argnames, what)
    trace = RevTrace(keep_all)
    return trace, leaves, td, [trace.new_leaf(x) for x in leaves]


def _input_cotangents(cts: list, leaves: list) -> list:
    """The cotangents of the inputs (the tape's first entries), each in its input's dtype;
    zeros where none arrived."""
    return [_zeros_like(x) if c is None else _cotangent_for(c, x) for c, x in zip(cts, leaves)]


def _is_none(x) -> bool:
    return x is None


def _check_cotangent(what: str, o, c):
    """A cotangent has its output's shape; numbers and integer arrays take the output's dtype,
    and a complex cotangent for a real output is refused (it would be silently dropped)."""
    if c is None or type(c) is Zero:
        return c
    if shape_of(c) != shape_of(o):
        raise ValueError(f"{what}: cotangent shape {shape_of(c)} does not match the output "
                         f"shape {shape_of(o)}")
    od, cd = dtype_of(o), getattr(c, "dtype", None)
    if cd is None or (cd.kind in "biu" and od.kind in "fc"):
        return _np.asarray(c, dtype=od) if not isinstance(c, Tracer) else c
    if cd.kind == "c" and od.kind != "c":
        raise TypeError(f"{what}: a complex cotangent ({cd}) for a real output ({od}); take "
                        "its real part, or make the output complex")
    return c


def _cotangent_for(c, x):
    """The cotangent handed back for input ``x``, in x's (float or complex) dtype. A real
    input's cotangent is real: under the transpose convention only Re(c) pairs with a real
    tangent (autograd and JAX do the same). A float32 input used in float64 arithmetic gets a
    float32 cotangent: the transpose of the implicit promotion, as for an explicit cast (so an
    SGD step keeps float32 parameters float32); complex64 likewise."""
    xd = getattr(x, "dtype", None)
    if type(c) is _np.ndarray:
        if c.base is not None and not c.flags.writeable:
            c = c.copy()  # a broadcast view from a rule: hand back an array one may modify
        if c.dtype is xd:
            return c  # the common case
    elif type(c) in value_types:
        return c
    elif getattr(c, "dtype", None) is None:  # a Python scalar from a rule on Python scalars
        return _np.asarray(c, dtype=xd)
    if xd is None or c.dtype == xd:
        return c
    if c.dtype.kind == "c" and xd.kind != "c":
        from ..numpy import real

        c = real(c)
    if c.dtype.kind in "fc" and xd.kind in "fc" and c.dtype != xd:
        c = c.astype(xd)  # float64 -> float32, complex128 -> complex64, real -> complex
    return c


def vjp(f: Callable, *primals, has_aux: bool = False):
    """``(out, vjp_fn)`` with ``vjp_fn(ct)`` returning a tuple of cotangents, one per primal.

        >>> out, f_vjp = vjp(lambda x: x * 3.0, 2.0)
        >>> f_vjp(1.0)
        (np.float64(3.0),)
    """
    out, fn, aux, *_ = trace_vjp(f, primals, has_aux=has_aux)
    # The tape keeps the output for the backward pass: hand the caller its own copy, so that
    # NumPy code changing it in place cannot change what vjp_fn computes.
    out = tree_map(_own_copy, out)
    return (out, fn, aux) if has_aux else (out, fn)


def _own_copy(x):
    return x.copy() if type(x) is _np.ndarray else x


def make_vjp(fun: Callable, argnum=0):
    """autograd's ``make_vjp(f, argnum)(*args) -> (vjp_fn, ans)``; a tuple ``argnum`` gives
    a ``vjp_fn`` that returns a tuple."""

    def maker(*args, **kwargs):
        diff, rebuild, _ = split_args(args, argnum)
        ans, fn, *_ = trace_vjp(lambda *d: fun(*rebuild(d), **kwargs), diff)
        if isinstance(argnum, int):
            return (lambda g: fn(g)[0]), ans
        return fn, ans

    return maker


def value_and_grad(fun: Callable, argnums=0, has_aux: bool = False, *, argnum=None):
    """``(f(x), ∇f(x))`` for scalar-valued ``f``; ``has_aux`` returns ``((value, aux), grad)``.

        >>> value_and_grad(lambda x: x ** 2)(3.0)
        (np.float64(9.0), np.float64(6.0))
    """
    argnums = resolve_argnums(argnums, argnum)

    def wrapped(*args, **kwargs):
        diff, rebuild, nums = split_args(args, argnums)
        out, aux, grads = _scalar_grad(fun, diff, rebuild, kwargs, nums, has_aux)
        g = grads[0] if isinstance(argnums, int) else grads
        return ((out, aux), g) if has_aux else (out, g)

    return named(wrapped, "value_and_grad", fun)


def _scalar_grad(fun, diff: tuple, rebuild, kwargs, argnames, has_aux: bool):
    """``(value, aux, grads)`` of a real-scalar ``fun``: what ``value_and_grad`` needs of
    ``trace_vjp``, without its general VJP function (closures, a pytree check of a cotangent
    made here): ~20 µs less per call, which is a few percent of a small model's step."""
    trace = RevTrace()
    leaves: list = []
    try:
        traced, td = _trace_arrays(diff, trace, leaves)
    except _NotArrays:  # anything else (scalars, ints, registered nodes): the general path
        trace, leaves, td, tracers = _record_inputs(diff, argnames, "grad")
        traced = tree_unflatten(td, tracers)
    out = fun(*rebuild(traced), **kwargs)
    aux = None
    if has_aux:
        out, aux = _split_aux(out, trace, "grad")
    value = _value(out, trace)
    _check_scalar(value)
    cts = backward(trace, [(out, _ones_like(value))], free=True)
    return value, aux, tree_unflatten(td, _input_cotangents(cts, leaves))


class _NotArrays(Exception):
    """An argument holds something other than float ndarrays in dicts, lists and tuples."""


def _trace_arrays(x, trace: RevTrace, leaves: list):
    """``(x traced, treedef)``: every float ndarray in ``x`` made a leaf of ``trace`` (and
    appended to ``leaves``), for the usual arguments of a grad: dicts, lists and tuples of
    float arrays. Flattening, the dtype check, the leaves and the rebuilt tree in one pass
    (every grad call pays for them); the treedef is the one ``tree_flatten`` gives."""
    node = builtin_node(x)
    if node is None:
        raise _NotArrays
    kind, aux, children = node
    tape = trace.tape
    out = []
    tds = []
    nested = False
    for c in children:
        if type(c) is _np.ndarray and c.dtype.kind in "fc":
            t = _new(RevTracer)  # RevTrace.new_leaf, inline
            t._trace = trace
            t._value = c
            t._idx = len(tape)
            tape.append(None)
            leaves.append(c)
            out.append(t)
            tds.append(LEAF)
        else:
            sub, sub_td = _trace_arrays(c, trace, leaves)
            out.append(sub)
            tds.append(sub_td)
            nested = True
    return rebuild(kind, aux, out), make_treedef(kind, aux, tds, nested)


_new = object.__new__


def _split_aux(out, trace: RevTrace, what: str):
    """``(output, aux)`` of a ``has_aux`` function, aux unwrapped to plain values: aux leaves
    are results, not traced values, and a backward pass that frees the tape drops its values."""
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"{what}: with has_aux=True the function must return (output, aux)")
    out, aux = out
    return out, tree_map(lambda a: _value(a, trace), aux)


def grad(fun: Callable, argnums=0, has_aux: bool = False, *, argnum=None):
    """The gradient of a scalar-valued function, shaped like its argument(s).

        >>> grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
        (np.float64(5.0), np.float64(2.0))
    """
    vg = value_and_grad(fun, argnums, has_aux, argnum=argnum)

    def wrapped(*args, **kwargs):
        res, g = vg(*args, **kwargs)
        return (g, res[1]) if has_aux else g

    return named(wrapped, "grad", fun)


def grad_and_aux(fun: Callable, argnum: int = 0):
    """autograd's ``grad_and_aux``: ``f`` returns ``(value, aux)``; gives ``(grad, aux)``."""
    return grad(fun, argnum, has_aux=True)


def elementwise_grad(fun: Callable, argnum: int = 0, *, argnums=None):
    """The VJP with a cotangent of ones (the Jacobian's diagonal when ``f`` is elementwise).

        >>> import chainrule.numpy as cnp
        >>> elementwise_grad(cnp.sin)(cnp.zeros(2))
        array([1., 1.])
    """
    argnums = argnum if argnums is None else argnums

    def wrapped(*args, **kwargs):
        diff, rebuild, _ = split_args(args, argnums)
        out, fn, *_ = trace_vjp(lambda *d: fun(*rebuild(d), **kwargs), diff, free=True,
                                     what="elementwise_grad")
        for o in tree_flatten(out)[0]:
            if _np.iscomplexobj(o):
                raise TypeError("elementwise_grad applies to real-valued functions; for a "
                                "holomorphic function use holomorphic_grad")
        grads = fn(tree_map(_ones_like, out))
        return grads[0] if isinstance(argnums, int) else grads

    return wrapped


def _check_scalar(out) -> None:
    if (type(out) is _np.ndarray or isinstance(out, _np.generic)) and out.shape == () and \
            out.dtype.kind == "f":
        return  # the common case: a real scalar
    if out is None or isinstance(out, (str, bytes)):
        raise TypeError(f"grad requires a scalar output, but the function returned "
                        f"{type(out).__name__}: return the value to differentiate")
    shape = _np.shape(out) if not isinstance(out, (tuple, list, dict)) else None
    if shape != ():
        desc = f"shape {shape}" if shape is not None else f"a {type(out).__name__}"
        raise TypeError(
            f"grad requires a scalar output, but the function returned {desc}. "
            "For a vector output use chainrule.jacobian (all derivatives) or chainrule.vjp "
            "(a vector-Jacobian product); elementwise_grad sums the Jacobian's rows.")
    dt = getattr(out, "dtype", None) or _np.result_type(out)
    if _np.issubdtype(dt, _np.complexfloating):
        raise TypeError("grad of a complex-valued function is not defined: use holomorphic_grad "
                        "for a holomorphic function, or take the real part (e.g. abs(f)**2).")


def holomorphic_grad(fun: Callable, argnums=0, *, argnum=None):
    """f'(z) of a holomorphic, complex scalar function of complex ``z``.

        >>> holomorphic_grad(lambda z: z * z)(1.0 + 2.0j)
        np.complex128(2+4j)
    """
    argnums = resolve_argnums(argnums, argnum)

    def wrapped(*args, **kwargs):
        diff, rebuild, _ = split_args(args, argnums)
        for i, d in enumerate(diff):
            if not _np.iscomplexobj(d):
                import warnings

                warnings.warn(f"holomorphic_grad: argument {i} is not complex "
                              f"({_np.result_type(d)}); this is grad of a real function",
                              stacklevel=2)
        out, fn, *_ = trace_vjp(lambda *d: fun(*rebuild(d), **kwargs), diff, free=True,
                                     what="holomorphic_grad")
        grads = fn(_ones_like(out))
        return grads[0] if isinstance(argnums, int) else grads

    return wrapped


def multigrad_dict(fun: Callable) -> Callable:
    """autograd's ``multigrad_dict``: gradients with respect to every argument, by name, in
    signature order (``*args`` as a tuple, ``**kwargs`` as a dict).

        >>> multigrad_dict(lambda a, b: a * b)(2.0, 3.0)
        {'a': np.float64(3.0), 'b': np.float64(2.0)}
    """
    import inspect

    sig = inspect.signature(fun)

    def wrapped(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()

        def call(named):
            b = sig.bind(*args, **kwargs)
            b.apply_defaults()
            for k, v in named.items():
                b.arguments[k] = v
            return fun(*b.args, **b.kwargs)

        g = grad(call)(dict(bound.arguments))
        return {k: g[k] for k in bound.arguments}

    return wrapped


def grad_named(fun: Callable, argname: str) -> Callable:
    """autograd's ``grad_named``: the gradient in the argument called ``argname``."""
    import inspect

    return grad(fun, list(inspect.signature(fun).parameters).index(argname))


def tensor_jacobian_product(fun: Callable, argnum: int = 0) -> Callable:
    """autograd's ``tensor_jacobian_product(f)(*args, v)``: ``v`` contracted with the leading
    ``ndim(v)`` axes of the output, differentiated in argument ``argnum``."""

    def wrapped(*args, **kwargs):
        *args, v = args
        from ..numpy import tensordot
        from .jacobians import jacobian

        def contracted(*a):
            return tensordot(v, fun(*a, **kwargs), _np.ndim(v))

        return jacobian(contracted, argnum)(*args)

    return wrapped


vector_jacobian_product = tensor_jacobian_product
