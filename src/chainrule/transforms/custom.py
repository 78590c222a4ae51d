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
from ..core.trace import Zero

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

def _flat_call(fn, in_td, leaves):
    out = fn(*tree_unflatten(in_td, leaves))
    return tree_flatten(out)


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
        leaves, in_td = tree_flatten(args)
        return _call_custom_vjp(self.fun, self.fwd, self.bwd, in_td, leaves)


def _call_custom_vjp(fun, fwd, bwd, in_td, leaves):
    box: dict = {}

    def flat_fwd(*xs):
        out, res = fwd(*tree_unflatten(in_td, list(xs)))
        o_leaves, o_td = tree_flatten(out)
        r_leaves, r_td = tree_flatten(res)
        box["out_td"], box["res_td"], box["n_out"] = o_td, r_td, len(o_leaves)
        return tuple(o_leaves) + tuple(r_leaves)

    prim = _custom_vjp_primitive(flat_fwd, bwd, in_td, box)
    outs = prim(*leaves)
    return tree_unflatten(box["out_td"], list(outs[:box["n_out"]]))


def _custom_vjp_primitive(flat_fwd, bwd, in_td, box):
    prim = Primitive(getattr(flat_fwd, "__name__", "custom_vjp"), flat_fwd,
                     multiple_results=True, register=False)
    cache: dict = {}

    def vjp_of(k):
        def rule(g, ans, *xs):
            if cache.get("g") is not g:  # bwd runs once per node, not once per argument
                n = box["n_out"]
                g_out = [c.instantiate() if type(c) is Zero else c for c in g[:n]]
                res = tree_unflatten(box["res_td"], list(ans[n:]))
                cts = bwd(res, tree_unflatten(box["out_td"], g_out))
                if not isinstance(cts, tuple):
                    raise TypeError("custom_vjp bwd must return a tuple, one entry per argument")
                cts_leaves, _ = tree_flatten(cts, is_leaf=lambda c: c is None)
                res_cts = [None if type(c) is Zero else c for c in g[n:]]
                if any(c is not None for c in res_cts):
                    # Residuals reached by a cotangent (an outer derivative of bwd): they are
                    # functions of the inputs through fwd, so differentiate fwd for them.
                    from .reverse_mode import trace_vjp

                    rec = trace_vjp(lambda *a: flat_fwd(*a)[n:], xs, what="custom_vjp")
                    extra = rec.vjp_fn(tuple(res_cts))
                    cts_leaves = [e if c is None else c + e for c, e in zip(cts_leaves, extra)]
                cache["g"], cache["cts"] = g, cts_leaves
            return cache["cts"][k]

        return rule

    def jvp_of(k):
        def rule(t, ans, *xs):
            from .forward_mode import trace_jvp

            tangents = [Zero(x) for x in xs]
            tangents[k] = t
            return tuple(trace_jvp(flat_fwd, xs, tuple(tangents))[1])

        return rule

    prim.vjps = PerArgRules(vjp_of)
    prim.jvps = PerArgRules(jvp_of)
    prim.batch = _batch_by_vmap(flat_fwd)
    return prim


def _batch_by_vmap(fn):
    def rule(vals, dims, **params):
        from .vmap import vmap

        out = vmap(fn, in_axes=tuple(dims))(*vals)
        return out, (0,) * len(out)

    return rule


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
            out_leaves, box["out_td"] = _flat_call(self.fun, in_td, list(xs))
            return tuple(out_leaves)

        def tangent_out(xs, k, t):
            tangents = [Zero(x).instantiate() for x in xs]
            tangents[k] = t
            _, t_out = self.rule(tree_unflatten(in_td, list(xs)), tree_unflatten(in_td, tangents))
            return tuple(tree_flatten(t_out)[0])

        prim = Primitive(self.__name__, flat_fun, multiple_results=True, register=False)

        def jvp_of(k):
            return lambda t, ans, *xs: tangent_out(xs, k, t)

        def vjp_of(k):
            def rule(g, ans, *xs):
                from .reverse_mode import trace_vjp

                zero_t = Zero(xs[k]).instantiate()
                rec = trace_vjp(lambda t: tangent_out(xs, k, t), (zero_t,), what="custom_jvp")
                g = [c.instantiate() if type(c) is Zero else c for c in g]
                return rec.vjp_fn(tuple(g))[0]

            return rule

        prim.jvps = PerArgRules(jvp_of)
        prim.vjps = PerArgRules(vjp_of)
        prim.batch = _batch_by_vmap(flat_fun)
        outs = prim(*leaves)
        return tree_unflatten(box["out_td"], list(outs))


# --- checkpoint -----------------------------------------------------------------------------

def checkpoint(fun: Callable) -> Callable:
    """Store only ``fun``'s inputs on the tape and recompute its inside in the backward pass.

        >>> import chainrule, chainrule.numpy as cnp
        >>> chainrule.grad(checkpoint(lambda x: cnp.sin(x) * x))(0.0)
        np.float64(0.0)
    """

    @functools.wraps(fun)
    def wrapped(*args):
        def fwd(*a):
            return fun(*a), a

        def bwd(res, g):
            from .reverse_mode import trace_vjp

            rec = trace_vjp(fun, res, what="checkpoint")
            return tuple(rec.vjp_fn(g))

        leaves, in_td = tree_flatten(args)
        return _call_custom_vjp(fun, fwd, bwd, in_td, leaves)

    return wrapped

