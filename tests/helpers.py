"""The one checker every rule goes through: check_grads (order 2, both modes) and vmap.

``check_all(f, *args)`` checks f's derivatives against finite differences in random
directions to second order in forward and reverse mode, then checks ``vmap(f)`` against a
loop over examples and checks derivatives of ``vmap(f)``. Arguments that are not floats
(indices, integer arrays) are treated as constants and never batched.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule.test_util import check_grads


def is_float(x) -> bool:
    return np.issubdtype(np.result_type(x), np.inexact)


def check_vmap(f, *args, batch: int = 3, seed: int = 1, grads: bool = True, rtol=1e-10,
               atol=1e-12) -> None:
    """vmap(f) over a new leading axis of every float argument equals a loop over examples."""
    rng = np.random.default_rng(seed)
    in_axes = tuple(0 if is_float(a) else None for a in args)
    batched = []
    for a, ax in zip(args, in_axes):
        if ax is None:
            batched.append(a)
            continue
        a = np.asarray(a)
        noise = rng.standard_normal((batch,) + a.shape) * 0.05
        batched.append((a + noise.astype(a.dtype)) if np.isrealobj(a) else a + noise)
    got = cr.vmap(f, in_axes=in_axes)(*batched)
    rows = [f(*[b if ax is None else b[i] for b, ax in zip(batched, in_axes)])
            for i in range(batch)]
    got_leaves = cr.tree_leaves(got)
    row_leaves = [cr.tree_leaves(r) for r in rows]
    for k, g in enumerate(got_leaves):
        want = np.stack([np.asarray(r[k]) for r in row_leaves])
        np.testing.assert_allclose(np.asarray(g), want, rtol=rtol, atol=atol,
                                   err_msg=f"vmap output leaf {k} differs from a loop")
    if grads:
        diff = [i for i, ax in enumerate(in_axes) if ax is not None]

        def g_of(*xs):
            full = list(batched)
            for i, x in zip(diff, xs):
                full[i] = x
            return cr.vmap(f, in_axes=in_axes)(*full)

        check_grads(g_of, *[batched[i] for i in diff], order=1)


def check_all(f, *args, order: int = 2, vmap: bool = True, jit: bool = True, **tol) -> None:
    """check_grads in both modes to ``order`` (float args only), then vmap and its grads,
    then jit's replays of f and its derivatives (check_jit)."""
    diff = [i for i, a in enumerate(args) if is_float(a)]

    def g(*xs):
        full = list(args)
        for i, x in zip(diff, xs):
            full[i] = x
        return f(*full)

    check_grads(g, *[args[i] for i in diff], modes=("fwd", "rev"), order=order, **tol)
    if vmap:
        check_vmap(f, *args)
    if jit:
        check_jit(f, *args)


# (function name, why) of every recording check_jit saw refused: a replay ran eagerly.
jit_refusals: list = []


def check_jit(f, *args, seed: int = 2, rtol: float = 1e-12, atol: float = 1e-14) -> None:
    """``jit`` of f, of the gradient of a random projection of f, and of a second derivative
    (the gradient of the gradient's projection) is recorded at ``args`` and replayed at two
    sets of moved float arguments. Every call must equal the eager result there: bit for bit
    for the gradient (the replay runs the same rules on the same arrays), to ``rtol`` for f
    and the second derivative (a plain-array shortcut, or a rule's generic path on a
    recorded constant, may round differently). A replay must not change an earlier call's
    results, nor depend on a caller writing into a returned array. A refused recording
    (JitFallbackWarning) runs eagerly and is compared the same way."""
    import warnings

    rng = np.random.default_rng(seed)
    diff = [i for i, a in enumerate(args) if is_float(a)]
    args = [np.asarray(a) if i in diff else a for i, a in enumerate(args)]

    def moved(scale):
        out = list(args)
        for i in diff:
            a = args[i]
            noise = (scale * rng.standard_normal(a.shape)).astype(a.dtype)
            out[i] = a + noise if a.dtype.kind != "c" else a + (1 + 1j) * noise
        return [out[i] for i in diff]

    def full(xs):
        out = list(args)
        for i, x in zip(diff, xs):
            out[i] = x
        return out

    weights = [rng.standard_normal(np.shape(v)) for v in cr.tree_leaves(f(*args))]

    def projected(*xs):
        import chainrule.numpy as cnp

        total = 0.0
        for w, v in zip(weights, cr.tree_leaves(f(*full(xs)))):
            if is_float(v):
                total = total + cnp.real(cnp.sum(w * v))
        return total

    fns = [("f", lambda *xs: f(*full(xs)), False)]
    if diff:
        nums = tuple(range(len(diff)))
        first = cr.grad(projected, argnums=nums)
        us = [rng.standard_normal(args[i].shape) for i in diff]

        def second(*xs):
            import chainrule.numpy as cnp

            return sum(cnp.real(cnp.sum(u * g)) for u, g in zip(us, first(*xs)))

        fns += [("value_and_grad", cr.value_and_grad(projected, argnums=nums), True),
                ("second derivative", cr.grad(second, argnums=nums), False)]
    points = [[args[i] for i in diff], moved(0.01), moved(0.02)]
    for name, fn, exact in fns:
        jitted = cr.jit(fn)
        earlier = []  # (eager leaves, jitted leaves, their copies) of the calls so far
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for xs in points:  # records, then replays twice
                want, got = cr.tree_leaves(fn(*xs)), cr.tree_leaves(jitted(*xs))
                assert len(want) == len(got)
                for w, g in zip(want, got):
                    assert np.shape(w) == np.shape(g) and np.result_type(w) == \
                        np.result_type(g), (name, np.shape(w), np.shape(g))
                    if exact:
                        assert np.array_equal(g, w, equal_nan=True), \
                            f"jit({name}) differs from eager: {g} vs {w}"
                    else:
                        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol,
                                                   err_msg=f"jit({name}) differs from eager")
                for _, old, copies in earlier:
                    for o, c in zip(old, copies):
                        assert np.array_equal(o, c, equal_nan=True), \
                            f"jit({name}): a replay changed an earlier call's result"
                earlier.append((want, got, [np.copy(g) for g in got]))
            for g, c in zip(earlier[1][1], earlier[1][2]):  # a caller edits a replay's result
                if isinstance(g, np.ndarray) and g.flags.writeable and g.size:
                    g[...] = 7
                    c[...] = 7
            again = cr.tree_leaves(jitted(*points[2]))
            for w, g in zip(earlier[2][0], again):
                np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"jit({name}): "
                                           "editing a returned array changed a later call")
        jit_refusals.extend((getattr(f, "__name__", repr(f)), str(c.message)) for c in caught
                            if issubclass(c.category, cr.JitFallbackWarning))


def square_floats(tree):
    """Squares the float leaves (a non-linear head for check_all), leaves the others."""
    return cr.tree_map(lambda v: v * v if is_float(v) else v, tree)


def traced_call(f, args):
    """``f(chainrule.numpy, *args)`` with its float arguments traced (the composite path)."""
    import chainrule.numpy as cnp

    idx = [i for i, a in enumerate(args) if is_float(a)]

    def g(*xs):
        full = list(args)
        for i, x in zip(idx, xs):
            full[i] = x
        return f(cnp, *full)

    return cr.vjp(g, *[args[i] for i in idx])[0]


def values_match(f, args, dtypes: bool = True, rtol: float = 1e-11, atol: float = 1e-12):
    """``f(numpy, *args)`` equals ``f(chainrule.numpy, *args)``, plain and traced, leaf by leaf
    (shapes always, dtypes when asked)."""
    import chainrule.numpy as cnp

    want = f(np, *args)
    for got in (f(cnp, *args), traced_call(f, args)):
        wl, gl = cr.tree_leaves(want), cr.tree_leaves(got)
        assert len(wl) == len(gl)
        for w, v in zip(wl, gl):
            assert np.shape(w) == np.shape(v), (np.shape(w), np.shape(v))
            if dtypes:
                assert np.result_type(w) == np.result_type(v), (np.result_type(w),
                                                                np.result_type(v))
            np.testing.assert_allclose(np.asarray(v), np.asarray(w), rtol=rtol, atol=atol)
