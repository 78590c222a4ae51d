"""``check_grads``: derivatives against central finite differences in random directions.

Forward mode is checked as ``J v ≈ (f(x + εv) − f(x − εv)) / 2ε``; reverse mode as
``⟨u, J v⟩ ≈ ⟨vjp(u), v⟩`` for a random output cotangent ``u``. Order k checks the
derivative functions of order k−1 the same way, so every rule is checked through its own
rules (higher order comes from differentiating rules). Finite differences live here, in the
tests' helper, never inside the library.

    >>> import chainrule.numpy as cnp, numpy
    >>> check_grads(cnp.sin, numpy.array([0.3, 1.2]))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as _np

from .core.pytree import tree_flatten, tree_map
from .transforms.forward_mode import trace_jvp
from .transforms.reverse_mode import trace_vjp


def _inner(a, b) -> float:
    la, _ = tree_flatten(a)
    lb, _ = tree_flatten(b)
    return float(sum(_np.real(_np.sum(_np.asarray(x) * _np.asarray(y))) for x, y in zip(la, lb)))


def _rand_like(rng, tree):
    def draw(x):
        x = _np.asarray(x)
        v = rng.standard_normal(x.shape)
        if _np.iscomplexobj(x):
            v = v + 1j * rng.standard_normal(x.shape)
        return v.astype(x.dtype) if _np.issubdtype(x.dtype, _np.inexact) else v

    return tree_map(draw, tree)


def _axpy(a, x, y):
    return tree_map(lambda xi, yi: _np.asarray(yi) + a * _np.asarray(xi), x, y)


def _fd(f, args, v, eps):
    plus = f(*_axpy(eps, v, args))
    minus = f(*_axpy(-eps, v, args))
    return tree_map(lambda p, m: (_np.asarray(p) - _np.asarray(m)) / (2 * eps), plus, minus)


def _scale(tree) -> float:
    leaves, _ = tree_flatten(tree)
    return max([1.0] + [float(_np.max(_np.abs(x))) for x in leaves if _np.size(x)])


def _close(name, got, want, rtol, atol) -> None:
    g = _np.asarray(got, dtype=complex)
    w = _np.asarray(want, dtype=complex)
    err = _np.max(_np.abs(g - w)) if g.size else 0.0
    tol = atol + rtol * max(1.0, _np.max(_np.abs(w)) if w.size else 0.0)
    if not err <= tol:
        raise AssertionError(f"{name}: derivative differs from finite differences by {err:.3g} "
                             f"(tolerance {tol:.3g})\n  got:  {g}\n  want: {w}")


def check_grads(f: Callable, *args, modes: Sequence[str] = ("fwd", "rev"), order: int = 2,
                eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-6,
                seed: int = 0, argnum=None):
    """Check ``f``'s derivatives at ``args`` in ``modes`` up to ``order``; raise on mismatch.

    The message names the mode and order that failed and by how much. autograd's curried
    form works too: ``check_grads(f, modes=["rev"], argnum=1)(x, y)`` (with no point given,
    or with ``argnum``, a checker is returned).
    """
    if not args or argnum is not None:
        nums = 0 if argnum is None else argnum
        nums = (nums,) if isinstance(nums, int) else tuple(nums)

        def checker(*xs, **kwargs):
            def g(*d):
                full = list(xs)
                for i, v in zip(nums, d):
                    full[i] = v
                return f(*full, **kwargs)

            check_grads(g, *[xs[i] for i in nums], modes=modes, order=order, eps=eps,
                        rtol=rtol, atol=atol, seed=seed)

        return checker
    if len(args) == 1 and isinstance(args[0], int) and not isinstance(args[0], bool):
        raise TypeError("check_grads(f, k) is ambiguous: pass argnum=k by keyword for "
                        "autograd's form, or a float point to check at")
    rng = _np.random.default_rng(seed)
    args = tuple(tree_map(lambda x: _np.asarray(x) if _np.isscalar(x) else x, a) for a in args)
    _check(f, args, tuple(modes), order, eps, rtol, atol, rng, level=1)


def _check(f, args, modes, order, eps, rtol, atol, rng, level):
    if order < 1:
        return
    v = _rand_like(rng, args)
    out = f(*args)
    fd = _fd(f, args, v, eps)
    if "fwd" in modes:
        _, jv = trace_jvp(f, args, v)
        leaves_jv, _ = tree_flatten(jv)
        leaves_fd, _ = tree_flatten(fd)
        for k, (a, b) in enumerate(zip(leaves_jv, leaves_fd)):
            _close(f"forward mode, order {level}, output leaf {k}", a, b, rtol, atol)

        def f_jvp(*xs):
            return trace_jvp(f, xs, v)[1]

        _check(f_jvp, args, modes, order - 1, eps, rtol, atol, rng, level + 1)
    if "rev" in modes:
        u = _rand_like(rng, out)
        rec = trace_vjp(f, args, what="check_grads")
        vjp_u = rec.vjp_fn(u)
        got = _inner(vjp_u, v)
        want = _inner(u, fd)
        _close(f"reverse mode, order {level}", got, want, rtol, atol * _scale(u))

        def f_vjp(*xs):
            return trace_vjp(f, xs, what="check_grads").vjp_fn(u)

        _check(f_vjp, args, modes, order - 1, eps, rtol, atol, rng, level + 1)


__all__ = ["check_grads"]
