"""User-defined derivatives and control over what is stored: ``custom_vjp``, ``custom_jvp``,
``checkpoint`` and ``stop_gradient``.

Each custom function becomes one primitive call on the tape (flat array arguments, static
function params), so it nests with every transform like any other primitive:

- ``custom_vjp``: reverse mode uses the user's ``bwd``; forward mode differentiates ``fwd``
  (so a Hessian through a custom_vjp stays exact when ``fwd`` is differentiable);
- ``custom_jvp``: forward mode uses the user's rule; reverse mode transposes it (the rule
  is linear in the tangents), so it must be written with chainrule functions;
- ``checkpoint``: a custom_vjp whose ``bwd`` re-runs ``f``: only the inputs are stored.

    >>> import chainrule, chainrule.numpy as cnp
    >>> @custom_vjp
    ... def clip_grad(x):
    ...     return x
    >>> clip_grad.defvjp(lambda x: (x, None),
    ...                  lambda res, g: (cnp.clip(g, -1.0, 1.0),))  # doctest: +ELLIPSIS
    <...custom_vjp object at ...>
    >>> chainrule.grad(lambda x: 5.0 * clip_grad(x))(2.0)
    np.float64(1.0)
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from ..core.primitive import PerArgRules, Primitive
from ..core.pytree import tree_flatten, tree_map, tree_unflatten
from ..core.trace import Zero, dtype_of, shape_of

# --- stop_gradient ---------------------------------------------------------------------------

def _identity(x):
    return x


_stop = Primitive("stop_gradient", _identity, nondiff=True)
_stop.defbatch(lambda vals, dims: (vals[0], dims[0]))


def stop_gradient(x):
    """``x`` as a constant: no derivative flows through it (pytrees too).

        >>> import chainrule
        >>> chainrule.grad(lambda x: x * stop_gradient(x))(3.0)
        np.float64(3.0)
    """
    return tree_map(_stop, x)


# --- custom_vjp -------------------------------------------------------------------------------

class custom_vjp:
    """Give ``f`` a hand-written reverse-mode rule.

    ``f.defvjp(fwd, bwd)``: ``fwd(*args) -> (out, residuals)``, ``bwd(residuals, g)`` returns a
    tuple with one cotangent per argument (None for zero). ``bwd`` should use chainrule
    functions so that it can itself be differentiated.
    """

    def __init__(self, fun: Callable, nondiff_argnums: tuple = ()) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd = None
        self.bwd = None

    def defvjp(self, fwd: Callable, bwd: Callable) -> custom_vjp:
        self.fwd, self.bwd = fwd, bwd
        return self

    def __call__(self, *args):
        if self.fwd is None:
            raise TypeError(f"custom_vjp function {self.__name__} has no rule: "
                            "call .defvjp(fwd, bwd)")
        return _call_custom_vjp(self.__name__, self.fwd, self.bwd, args)


def _call_custom_vjp(name, fwd, bwd, args):
    """One custom-vjp primitive call on the flattened ``args``; returns ``fwd``'s output."""
    leaves, in_td = tree_flatten(args)
    box: dict = {}

    def flat_fwd(*xs):
        out, res = fwd(*tree_unflatten(in_td, list(xs)))
        o_leaves, box["out_td"] = tree_flatten(out)
        r_leaves, box["res_td"] = tree_flatten(res)
        box["n_out"] = len(o_leaves)
        return tuple(o_leaves) + tuple(r_leaves)

    def flat_bwd(res_leaves, g_leaves):
        cts = bwd(tree_unflatten(box["res_td"], list(res_leaves)),
                  tree_unflatten(box["out_td"], list(g_leaves)))
        return _cotangent_leaves(name, cts, in_td)

    outs = _custom_vjp_primitive(name, flat_fwd, flat_bwd, box)(*leaves)
    return tree_unflatten(box["out_td"], list(outs[:box["n_out"]]))


def _cotangent_leaves(name, cts, in_td) -> list:
    """The flat cotangents of a custom ``bwd``, checked: one entry per argument (None for
    zero), each with its argument's structure."""
    n_args = len(in_td.children)
    if not isinstance(cts, (tuple, list)) or len(cts) != n_args:
        got = f"{len(cts)} entries" if isinstance(cts, (tuple, list)) else type(cts).__name__
        raise TypeError(f"custom_vjp {name}: bwd must return a tuple with one cotangent per "
                        f"argument ({n_args}), got {got}")
    flat: list = []
    for i, (c, td) in enumerate(zip(cts, in_td.children)):
        if c is None:
            flat += [None] * td.num_leaves
            continue
        c_leaves, c_td = tree_flatten(c, is_leaf=lambda v: v is None)
        if len(c_leaves) != td.num_leaves:
            raise TypeError(f"custom_vjp {name}: the cotangent of argument {i} has structure "
                            f"{c_td}, the argument {td}")
        flat += c_leaves
    return flat


def _check_cotangent_shapes(name, cts, xs) -> None:
    for i, (c, x) in enumerate(zip(cts, xs)):
        if c is not None and shape_of(c) != shape_of(x):
            raise ValueError(f"custom_vjp {name}: bwd returned a cotangent of shape "
                             f"{shape_of(c)} for an input leaf of shape {shape_of(x)} "
                             f"(leaf {i})")


def _custom_vjp_primitive(name, flat_fwd, flat_bwd, box):
    """A primitive over flat leaves: ``flat_fwd(*xs) -> outputs + residuals``,
    ``flat_bwd(residuals, g_outputs) -> one cotangent (or None) per input leaf``."""
    prim = Primitive(name, flat_fwd, multiple_results=True, register=False)
    cache: dict = {}

    def vjp_of(k):
        def rule(g, ans, *xs):
            if cache.get("g") is not g:  # bwd runs once per node, not once per argument
                n = box["n_out"]
                g_out = [c.instantiate() if type(c) is Zero else c for c in g[:n]]
                cts = list(flat_bwd(list(ans[n:]), g_out))
                _check_cotangent_shapes(name, cts, xs)
                res_cts = [None if type(c) is Zero else c for c in g[n:]]
                if any(c is not None for c in res_cts):
                    # Residuals reached by a cotangent (an outer derivative of bwd): they are
                    # functions of the inputs through fwd, so differentiate fwd for them.
                    from .reverse_mode import trace_vjp

                    rec = trace_vjp(lambda *a: flat_fwd(*a)[n:], xs, what=name)
                    extra = rec.vjp_fn(tuple(res_cts))
                    cts = [e if c is None else c + e for c, e in zip(cts, extra)]
                cache["g"], cache["cts"] = g, cts
            return cache["cts"][k]

        return rule

    def jvp_of(k):
        def rule(t, ans, *xs):
            from .forward_mode import trace_jvp

            tangents = [Zero(x) for x in xs]
            tangents[k] = t
            return tuple(trace_jvp(flat_fwd, xs, tuple(tangents))[1])

        return rule

    def batch(vals, dims):
        # A batch of custom calls is one custom call of the batched functions, so the rule
        # still governs a derivative taken outside vmap (grad(vmap(f)), jacrev(vmap(f))).
        from ..numpy import sum as _sum
        from .vmap import vmap

        in_axes = tuple(dims)

        def bfwd(*xs):
            return tuple(vmap(flat_fwd, in_axes=in_axes)(*xs))

        def bbwd(res, g):
            cts = vmap(lambda r, gg: list(flat_bwd(r, gg)))(list(res), list(g))
            # an unbatched input was used by every example: its cotangents add up
            return [c if c is None or d is not None else _sum(c, axis=0)
                    for c, d in zip(cts, dims)]

        outs = _custom_vjp_primitive(name, bfwd, bbwd, box)(*vals)
        return outs, (0,) * len(outs)

    prim.vjps = PerArgRules(vjp_of)
    prim.jvps = PerArgRules(jvp_of)
    prim.batch = batch
    return prim


# --- custom_jvp -------------------------------------------------------------------------------

class custom_jvp:
    """Give ``f`` a hand-written forward-mode rule.

    ``f.defjvp(rule)`` with ``rule(primals, tangents) -> (out, tangent_out)``; the rule must be
    linear in ``tangents`` and written with chainrule functions (reverse mode transposes it).
    """

    def __init__(self, fun: Callable) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.rule = None

    def defjvp(self, rule: Callable) -> Callable:
        self.rule = rule
        return rule

    def __call__(self, *args):
        if self.rule is None:
            raise TypeError(f"custom_jvp function {self.__name__} has no rule: call .defjvp(rule)")
        leaves, in_td = tree_flatten(args)
        box: dict = {}

        def flat_fun(*xs):
            out_leaves, box["out_td"] = tree_flatten(self.fun(*tree_unflatten(in_td, list(xs))))
            return tuple(out_leaves)

        def flat_tangent(xs, k, t):
            if shape_of(t) != shape_of(xs[k]):
                raise ValueError(f"custom_jvp {self.__name__}: tangent of shape {shape_of(t)} "
                                 f"for an input leaf of shape {shape_of(xs[k])}")
            tangents = [Zero(x).instantiate() for x in xs]
            tangents[k] = t
            _, t_out = self.rule(tree_unflatten(in_td, list(xs)), tree_unflatten(in_td, tangents))
            return tuple(tree_flatten(t_out)[0])

        outs = _custom_jvp_primitive(self.__name__, flat_fun, flat_tangent)(*leaves)
        return tree_unflatten(box["out_td"], list(outs))


def _custom_jvp_primitive(name, flat_fun, flat_tangent):
    """A primitive over flat leaves whose JVP in input ``k`` is ``flat_tangent(xs, k, t)``."""
    prim = Primitive(name, flat_fun, multiple_results=True, register=False)

    def jvp_of(k):
        def rule(t, ans, *xs):
            out = flat_tangent(xs, k, t)
            for i, (o, a) in enumerate(zip(out, ans)):
                if type(o) is not Zero and shape_of(o) != shape_of(a):
                    raise ValueError(f"custom_jvp {name}: the rule's tangent {i} has shape "
                                     f"{shape_of(o)}, its output {shape_of(a)}")
            return out

        return rule

    def vjp_of(k):
        def rule(g, ans, *xs):
            from .reverse_mode import trace_vjp

            zero_t = Zero(xs[k]).instantiate()
            rec = trace_vjp(lambda t: flat_tangent(xs, k, t), (zero_t,), what=name)
            g = [c.instantiate() if type(c) is Zero else c for c in g]
            return rec.vjp_fn(tuple(g))[0]

        return rule

    def batch(vals, dims):
        # One custom call of the batched function and the batched rule (see custom_vjp).
        from .vmap import vmap

        in_axes = tuple(dims)

        def bfun(*xs):
            return tuple(vmap(flat_fun, in_axes=in_axes)(*xs))

        def btangent(xs, k, t):
            per_example = lambda xs_, t_: flat_tangent(list(xs_), k, t_)  # noqa: E731
            return tuple(vmap(per_example, in_axes=(in_axes, in_axes[k]))(tuple(xs), t))

        outs = _custom_jvp_primitive(name, bfun, btangent)(*vals)
        return outs, (0,) * len(outs)

    prim.jvps = PerArgRules(jvp_of)
    prim.vjps = PerArgRules(vjp_of)
    prim.batch = batch
    return prim


# --- checkpoint -----------------------------------------------------------------------------

def checkpoint(fun: Callable) -> Callable:
    """Store only ``fun``'s inputs on the tape and recompute its inside in the backward pass.

    Keyword arguments are passed through as constants; integer arguments get no derivative.

        >>> import chainrule, chainrule.numpy as cnp
        >>> chainrule.grad(checkpoint(lambda x: cnp.sin(x) * x))(0.0)
        np.float64(0.0)
    """

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        def fwd(*a):
            return fun(*a, **kwargs), a

        def bwd(res, g):
            from .reverse_mode import trace_vjp

            leaves, td = tree_flatten(res)
            diff = [i for i, x in enumerate(leaves) if dtype_of(x).kind in "fc"]

            def on_float_leaves(*d):
                full = list(leaves)
                for i, v in zip(diff, d):
                    full[i] = v
                return fun(*tree_unflatten(td, full), **kwargs)

            cts = [None] * len(leaves)
            if diff:
                grads = trace_vjp(on_float_leaves, tuple(leaves[i] for i in diff),
                                  what="checkpoint").vjp_fn(g)
                for i, c in zip(diff, grads):
                    cts[i] = c
            return tuple(tree_unflatten(td, cts))

        return _call_custom_vjp(getattr(fun, "__name__", "checkpoint"), fwd, bwd, args)

    return wrapped
