"""``fixed_point``: the solution of ``x = f(a)(x)``, differentiable in ``a`` to any order by the
implicit function theorem -- never by differentiating through the iterations.

Why: iterating to convergence and differentiating the loop costs memory per iteration and
gives the derivative of the loop, not of the fixed point. At ``x* = f(a)(x*)``, with ``J_x``
and ``J_a`` the Jacobians of ``f(a)(x)``:

- reverse mode: ``ā = J_aᵀ w`` where ``w = x̄ + J_xᵀ w`` -- itself a fixed point, found by
  ``fixed_point`` of the adjoint map (autograd's construction);
- forward mode: ``ẋ = J_x ẋ + J_a ȧ`` -- a fixed point of the tangent map.

Both rules call ``fixed_point`` again, with ``(a, x*, x̄)`` (or ``(a, x*, J_a ȧ)``) as its
parameters, so derivatives of derivatives use the same rules: any order, any mix of modes.
Each linear fixed point converges when ``x ↦ f(a)(x)`` is a contraction near ``x*``, the
condition under which the iteration for ``x*`` converges too. Derivatives are as accurate
as ``tol`` lets the iterations be.

    >>> import chainrule, chainrule.numpy as np
    >>> newton_sqrt = lambda a: lambda x: 0.5 * (x + a / x)     # x* = sqrt(a)
    >>> dist = lambda x, y: np.abs(x - y)
    >>> sqrt = lambda a: fixed_point(newton_sqrt, a, 1.0, dist, 1e-12)
    >>> float(chainrule.grad(sqrt)(4.0)), float(chainrule.grad(chainrule.grad(sqrt))(4.0))
    (0.25, -0.03125)
"""

from __future__ import annotations

import functools

import numpy as _np

from ..core.primitive import PerArgRules, Primitive
from ..core.pytree import tree_flatten, tree_map, tree_unflatten
from ..core.trace import Tracer, Zero


def fixed_point(f, a, x0, distance, tol):
    """Iterate ``x ← f(a)(x)`` from ``x0`` until ``distance(x, x_prev) <= tol``; return ``x``.

    ``a`` and ``x`` may be arrays or pytrees of arrays. Differentiable in ``a`` (to any order,
    both modes); ``x0`` only starts the iteration, so its derivative is zero.
    """
    a_leaves, a_td = tree_flatten(a)
    x_leaves, x_td = tree_flatten(x0)
    outs = _fixed_point_p(*a_leaves, *x_leaves, f=f, distance=distance, tol=tol, a_td=a_td,
                          x_td=x_td, _cache={})
    return tree_unflatten(x_td, list(outs))


def _impl(*leaves, f, distance, tol, a_td, x_td, _cache):
    n_a = a_td.num_leaves
    a = tree_unflatten(a_td, list(leaves[:n_a]))
    x_prev = tree_unflatten(x_td, list(leaves[n_a:]))
    step = f(a)
    x = step(x_prev)
    while distance(x, x_prev) > tol:
        x, x_prev = step(x), x
    out, td = tree_flatten(x)
    if td != x_td:
        raise ValueError(f"fixed_point: f(a) maps x0 of structure {x_td} to {td}")
    return tuple(out)


_fixed_point_p = Primitive("fixed_point", _impl, multiple_results=True)


def _zeros(x):
    dtype = x.dtype if isinstance(x, Tracer) else _np.result_type(x)
    return _np.zeros(_np.shape(x), dtype=dtype)


def _inexact(v) -> bool:
    if isinstance(v, Tracer):
        return _np.issubdtype(v.dtype, _np.inexact)
    return isinstance(v, (float, complex, _np.ndarray, _np.generic)) and \
        _np.issubdtype(_np.asarray(v).dtype, _np.inexact)


def _add(x, y):
    return tree_map(lambda u, v: u + v, x, y)


def _adjoint_step(f, params):
    """``w ↦ J_xᵀ w + x̄`` at ``(a, x*)``: its fixed point is the adjoint ``w``."""
    from ..transforms.reverse_mode import vjp

    a, x_star, x_bar = params
    _, vjp_x = vjp(f(a), x_star)
    return lambda w: _add(vjp_x(w)[0], x_bar)


def _tangent_step(f, params):
    """``w ↦ J_x w + u`` at ``(a, x*)``: its fixed point is the tangent of ``x*``."""
    from ..transforms.forward_mode import jvp

    a, x_star, u = params
    step = f(a)
    return lambda w: _add(jvp(step, (x_star,), (w,))[1], u)


def _vjp_rule(j):
    def rule(g, ans, *leaves, f, distance, tol, a_td, x_td, _cache):
        n_a = a_td.num_leaves
        if j >= n_a:
            return None  # x0 only starts the iteration
        if _cache.get("g") is not g:  # one adjoint solve per node, shared by a's leaves
            from ..transforms.reverse_mode import vjp

            a_leaves = list(leaves[:n_a])
            a = tree_unflatten(a_td, a_leaves)
            x_star = tree_unflatten(x_td, list(ans))
            x_bar = tree_unflatten(x_td, [c.instantiate() if type(c) is Zero else c for c in g])
            w = fixed_point(functools.partial(_adjoint_step, f), (a, x_star, x_bar),
                            tree_map(_zeros, x_star), distance, tol)
            # J_aᵀ w over the float leaves of a (integer or other constant leaves get none)
            diff = [i for i, v in enumerate(a_leaves) if _inexact(v)]

            def f_of_float_leaves(*vs):
                moved = list(a_leaves)
                for i, v in zip(diff, vs, strict=True):
                    moved[i] = v
                return f(tree_unflatten(a_td, moved))(x_star)

            _, vjp_a = vjp(f_of_float_leaves, *[a_leaves[i] for i in diff])
            cts = [None] * n_a
            for i, c in zip(diff, vjp_a(w), strict=True):
                cts[i] = c
            _cache["g"], _cache["cts"] = g, cts
        return _cache["cts"][j]

    return rule


def _jvp_rule(j):
    def rule(t, ans, *leaves, f, distance, tol, a_td, x_td, _cache):
        from ..transforms.forward_mode import jvp

        n_a = a_td.num_leaves
        if j >= n_a:
            return None
        a_leaves = list(leaves[:n_a])
        a = tree_unflatten(a_td, a_leaves)
        x_star = tree_unflatten(x_td, list(ans))

        def f_of_leaf(v):
            moved = list(a_leaves)
            moved[j] = v
            return f(tree_unflatten(a_td, moved))(x_star)

        _, u = jvp(f_of_leaf, (a_leaves[j],), (t,))
        dx = fixed_point(functools.partial(_tangent_step, f), (a, x_star, u),
                         tree_map(_zeros, x_star), distance, tol)
        return tuple(tree_flatten(dx)[0])

    return rule


_fixed_point_p.vjps = PerArgRules(_vjp_rule)
_fixed_point_p.jvps = PerArgRules(_jvp_rule)

__all__ = ["fixed_point"]
