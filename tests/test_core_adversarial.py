"""Adversarial tests of the core and the transforms (review: notes/review-core.md).

Ground truth comes from closed forms, from JAX / HIPS autograd (installed as oracles), or from
loops of simpler transforms. Tests marked ``xfail(strict=True)`` pin a bug found in review:
they flip to XPASS (and fail the suite) once the bug is fixed, so the marker can be removed.
"""

from __future__ import annotations

import collections
import functools
import itertools
import threading

import numpy as onp
import pytest

import chainrule as cr
import chainrule.numpy as np

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")
jax.config.update("jax_enable_x64", True)

RNG = onp.random.default_rng(20240607)
X3 = RNG.standard_normal(3)
X34 = RNG.standard_normal((4, 3))
A234 = RNG.standard_normal((2, 3, 4))
W33 = RNG.standard_normal((3, 3))
U3 = RNG.standard_normal(3)
C3 = RNG.standard_normal(3)


def assert_tree_close(got, want, rtol=1e-7, atol=1e-9):
    g_leaves, g_td = jax.tree_util.tree_flatten(got)
    w_leaves, w_td = jax.tree_util.tree_flatten(want)
    assert len(g_leaves) == len(w_leaves), (g_td, w_td)
    for g, w in zip(g_leaves, w_leaves):
        g = onp.asarray(g)
        w = onp.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        onp.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


# =============================================================================================
# Regression tests (passing): nesting, perturbation confusion, vmap axes, Jacobian shapes.
# =============================================================================================

def _grad_d(f):
    return cr.grad(f)


def _jvp_d(f):
    return lambda v: cr.jvp(f, (v,), (1.0,))[1]


def _vjp_d(f):
    return lambda v: cr.vjp(f, v)[1](1.0)[0]


def _lin_d(f):
    return lambda v: cr.linearize(f, v)[1](1.0)


DERIVS = {
    "grad": _grad_d, "jvp": _jvp_d, "vjp": _vjp_d, "linearize": _lin_d,
    "jacrev": lambda f: cr.jacrev(f), "jacfwd": lambda f: cr.jacfwd(f), "deriv": cr.deriv,
}


@pytest.mark.parametrize("outer,inner", list(itertools.product(DERIVS, repeat=2)))
def test_no_perturbation_confusion_in_any_pairing(outer, inner):
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x  (Siskind & Pearlmutter's example shape)
    D1, D2 = DERIVS[outer], DERIVS[inner]
    got = D1(lambda x: x * D2(lambda y: x * y)(3.0))(1.5)
    assert onp.allclose(got, 3.0)
    # d/dx [x * d/dy (x + y)] = 1
    got = D1(lambda x: x * D2(lambda y: x + y)(2.0))(1.0)
    assert onp.allclose(got, 1.0)


def test_closures_capturing_outer_tracers_across_vmap():
    x = X3
    assert_tree_close(cr.grad(lambda s: np.sum(cr.vmap(lambda r: r * s)(x)))(2.0), onp.sum(x))
    assert_tree_close(cr.vmap(lambda r: cr.grad(lambda s: s * s * r)(2.0))(x), 4 * x)
    assert_tree_close(cr.jvp(lambda s: cr.vmap(lambda r: r * s * s)(x), (2.0,), (1.0,))[1], 4 * x)
    assert_tree_close(cr.vmap(lambda r: cr.linearize(lambda s: s * s * r, 2.0)[1](1.0))(x), 4 * x)
    assert_tree_close(cr.vmap(lambda r: cr.vmap(lambda q: q * r)(x))(x), onp.outer(x, x))
    assert_tree_close(cr.vmap(lambda r: cr.hessian(lambda s: np.sum(s ** 3) * r)(x))(x),
                      onp.stack([onp.diag(6 * x * r) for r in x]))


# Depth-3 nesting of every transform. A fixed sample of the 11^3 combinations (all 1331 agree
# with JAX in review; the sample keeps the file fast).
def _cv(f):
    @cr.custom_vjp
    def g(x):
        return f(x)

    g.defvjp(lambda x: (f(x), x), lambda x, ct: (cr.vjp(f, x)[1](ct)[0],))
    return g


def _cj(f):
    @cr.custom_jvp
    def g(x):
        return f(x)

    g.defjvp(lambda p, t: cr.jvp(f, p, t))
    return g


T_CR = {
    "grad": lambda f: cr.grad(lambda x: np.sum(f(x) * C3)),
    "jacrev": lambda f: (lambda x: cr.jacrev(f)(x) @ U3),
    "jacfwd": lambda f: (lambda x: cr.jacfwd(f)(x) @ U3),
    "vmap": lambda f: (lambda x: np.sum(cr.vmap(f)(np.stack([x, x * 2.0])), axis=0)),
    "vmap1": lambda f: (lambda x: np.sum(cr.vmap(f, in_axes=1, out_axes=1)(
        np.stack([x, x * 2.0], axis=1)), axis=1)),
    "jvp": lambda f: (lambda x: cr.jvp(f, (x,), (U3,))[1]),
    "vjp": lambda f: (lambda x: cr.vjp(f, x)[1](C3)[0]),
    "lin": lambda f: (lambda x: cr.linearize(f, x)[1](U3)),
    "ckpt": cr.checkpoint, "cvjp": _cv, "cjvp": _cj,
}


def _ag_vmap(f, in_axis=0, out_axis=0):
    def batched(X):
        rows = [f(xi) for xi in anp.moveaxis(X, in_axis, 0)]
        return anp.moveaxis(anp.stack(rows), 0, out_axis)
    return batched


# The oracle: HIPS autograd (an independent implementation), with vmap as a Python loop and
# checkpoint / custom rules as the identity (their rules here are the true derivatives).
T_AG = {
    "grad": lambda f: autograd.grad(lambda x: anp.sum(f(x) * C3)),
    "jacrev": lambda f: (lambda x: anp.dot(autograd.jacobian(f)(x), U3)),
    "jacfwd": lambda f: (lambda x: anp.dot(autograd.jacobian(f)(x), U3)),
    "vmap": lambda f: (lambda x: anp.sum(_ag_vmap(f)(anp.stack([x, x * 2.0])), axis=0)),
    "vmap1": lambda f: (lambda x: anp.sum(_ag_vmap(f, 1, 1)(anp.stack([x, x * 2.0], axis=1)),
                                          axis=1)),
    "jvp": lambda f: (lambda x: autograd.make_jvp(f)(x)(U3)[1]),
    "vjp": lambda f: (lambda x: autograd.make_vjp(f)(x)[0](C3)),
    "lin": lambda f: (lambda x: autograd.make_jvp(f)(x)(U3)[1]),
    "ckpt": lambda f: f, "cvjp": lambda f: f, "cjvp": lambda f: f,
}
_ALL3 = list(itertools.product(T_CR, repeat=3))
NEST3 = [_ALL3[i] for i in onp.random.default_rng(7).choice(len(_ALL3), 150, replace=False)]
NEST3 += [("grad", "jacfwd", "vmap"), ("vmap", "jacfwd", "grad"), ("jacrev", "vmap", "ckpt"),
          ("lin", "grad", "cvjp"), ("jacfwd", "jacrev", "cjvp"), ("vmap1", "vjp", "jvp")]


@pytest.mark.parametrize("combo", NEST3, ids=["-".join(c) for c in NEST3])
def test_depth3_nesting_matches_autograd(combo):
    fc = lambda x: np.tanh(W33 @ x) * np.sin(x) + x ** 3 * np.sum(x)  # noqa: E731
    fa = lambda x: anp.tanh(anp.dot(W33, x)) * anp.sin(x) + x ** 3 * anp.sum(x)  # noqa: E731
    for t in combo:
        fc, fa = T_CR[t](fc), T_AG[t](fa)
    assert_tree_close(fc(X3), fa(X3))


def test_hessian_through_checkpoint_custom_vjp_and_custom_jvp():
    @cr.custom_vjp
    def csin(x):
        return np.sin(x)

    csin.defvjp(lambda x: (np.sin(x), x), lambda x, g: (g * np.cos(x),))

    @cr.custom_jvp
    def ctanh(x):
        return np.tanh(x)

    @ctanh.defjvp
    def _(p, t):
        y = np.tanh(p[0])
        return y, (1 - y ** 2) * t[0]

    chk = cr.checkpoint(lambda x: np.sin(x) * np.exp(x))
    f = lambda x: np.sum(csin(x) ** 2 * ctanh(x) + chk(x))  # noqa: E731
    af = lambda x: anp.sum(anp.sin(x) ** 2 * anp.tanh(x) + anp.sin(x) * anp.exp(x))  # noqa: E731
    H = autograd.hessian(af)(X3)
    assert_tree_close(cr.hessian(f)(X3), H)
    assert_tree_close(cr.jacrev(cr.jacrev(f))(X3), H)
    assert_tree_close(cr.jacfwd(cr.jacfwd(f))(X3), H)
    assert_tree_close(cr.vmap(cr.hessian(f))(X34), onp.stack([autograd.hessian(af)(r)
                                                             for r in X34]))
    assert_tree_close(cr.linearize(cr.grad(f), X3)[1](U3), H @ U3)
    third = autograd.grad(autograd.grad(autograd.grad(lambda s: af(s * onp.ones(3)))))(0.3)
    assert_tree_close(cr.grad(cr.grad(cr.grad(lambda s: f(s * onp.ones(3)))))(0.3), third)


def test_custom_rules_closing_over_outer_tracers():
    def outer_vjp(s):
        @cr.custom_vjp
        def g(x):
            return x * s

        g.defvjp(lambda x: (x * s, x), lambda r, gg: (gg * s,))
        return cr.grad(lambda y: g(y) * y)(2.0)  # 2 y s  -> d/ds = 4

    def outer_jvp(s):
        @cr.custom_jvp
        def g(x):
            return x * s

        g.defjvp(lambda p, t: (p[0] * s, t[0] * s))
        return cr.grad(lambda y: g(y) * y)(2.0)

    def outer_ckpt(s):
        return cr.grad(lambda y: cr.checkpoint(lambda z: z * s * z)(y))(2.0)

    for outer in (outer_vjp, outer_jvp, outer_ckpt):
        assert onp.allclose(cr.grad(outer)(3.0), 4.0)
        assert onp.allclose(cr.jvp(outer, (3.0,), (1.0,))[1], 4.0)
        assert_tree_close(cr.vmap(outer)(X3), 4.0 * X3)


def test_custom_rules_used_when_vmap_is_outside():
    # vmap(grad(f)) / vmap(jvp(f)) use the user's rule (the opposite nesting is pinned below)
    @cr.custom_vjp
    def clip_grad(x):
        return x

    clip_grad.defvjp(lambda x: (x, None), lambda res, g: (np.clip(g, -1.0, 1.0),))

    @cr.custom_jvp
    def f(x):
        return np.sin(x)

    f.defjvp(lambda p, t: (np.sin(p[0]), 10.0 * t[0]))
    x = onp.array([1.0, 2.0, 3.0])
    assert_tree_close(cr.vmap(cr.grad(lambda x: 5.0 * clip_grad(x)))(x), onp.ones(3))
    assert_tree_close(cr.jacrev(lambda x: 5.0 * clip_grad(x))(x), onp.eye(3))
    assert_tree_close(cr.vmap(lambda x: cr.jvp(f, (x,), (1.0,))[1])(x), 10.0 * onp.ones(3))
    assert_tree_close(cr.grad(lambda x: np.sum(f(x)))(x), 10.0 * onp.ones(3))


def test_stop_gradient_and_aux_under_nesting():
    x = X3
    f = lambda x: np.sum(x * cr.stop_gradient(x) ** 2)  # noqa: E731  grad = x**2
    assert_tree_close(cr.grad(f)(x), x ** 2)
    assert_tree_close(cr.hessian(f)(x), onp.zeros((3, 3)))
    assert_tree_close(cr.vmap(cr.grad(f))(X34), X34 ** 2)
    assert_tree_close(cr.jvp(f, (x,), (onp.ones(3),))[1], onp.sum(x ** 2))
    assert_tree_close(cr.grad(lambda d: d["a"] * 2.0)({"a": 1.0, "b": None}),
                      {"a": 2.0, "b": None})
    # aux that depends on an outer tracer keeps its derivative
    g = lambda s: cr.grad(lambda a: (a ** 2 * s, a * s), has_aux=True)(2.0)[1]  # noqa: E731
    assert onp.allclose(cr.grad(g)(3.0), 2.0)
    assert onp.allclose(cr.jvp(g, (3.0,), (1.0,))[1], 2.0)
    out = cr.vmap(cr.jacrev(lambda a: (a ** 2, np.sum(a)), has_aux=True))(onp.stack([x, x]))
    assert_tree_close(out, (onp.stack([onp.diag(2 * x)] * 2), onp.full(2, onp.sum(x))))


# --- vmap edge cases -------------------------------------------------------------------------

P = collections.namedtuple("P", "w b")


def test_vmap_axes_variants_match_jax():
    Ws = RNG.standard_normal((5, 3, 4))
    bs = RNG.standard_normal((5, 3))
    vs = RNG.standard_normal((4, 5))

    def fn(p, v, m=np):
        return m.tanh(p.w @ v + p.b)

    cases = [
        (dict(in_axes=(P(0, 0), 1)), (P(Ws, bs), vs)),
        (dict(in_axes=(P(0, None), 1)), (P(Ws, bs[0]), vs)),
        (dict(in_axes=(None, 1)), (P(Ws[0], bs[0]), vs)),
        (dict(in_axes=(P(0, 0), -1), out_axes=-1), (P(Ws, bs), vs)),
        (dict(in_axes=[P(0, 0), 1], out_axes=1), (P(Ws, bs), vs)),
    ]
    for kw, args in cases:
        assert_tree_close(cr.vmap(fn, **kw)(*args),
                          jax.vmap(lambda p, v: fn(p, v, jnp), **kw)(*args))
    # dict in_axes with a negative axis, 3-D inputs, nested vmaps over different axes
    d = {"a": A234, "b": onp.ones(3)}
    kw = dict(in_axes=({"a": -1, "b": None},))
    assert_tree_close(cr.vmap(lambda d: d["a"] @ d["b"], **kw)(d),
                      jax.vmap(lambda d: d["a"] @ d["b"], **kw)(d))
    assert_tree_close(cr.vmap(lambda a: np.sum(a ** 2, axis=0), in_axes=-2)(A234),
                      jax.vmap(lambda a: jnp.sum(a ** 2, axis=0), in_axes=-2)(A234))
    assert_tree_close(
        cr.vmap(cr.vmap(lambda v: v * 2, in_axes=1, out_axes=1), in_axes=2, out_axes=0)(A234),
        jax.vmap(jax.vmap(lambda v: v * 2, in_axes=1, out_axes=1), in_axes=2, out_axes=0)(A234))
    # per-output out_axes (a namedtuple of axes)
    assert_tree_close(cr.vmap(lambda v: P(v, np.sum(v)), out_axes=P(1, 0))(A234),
                      jax.vmap(lambda v: P(v, jnp.sum(v)), out_axes=P(1, 0))(A234))


def test_vmap_sizes_and_unmapped_outputs():
    f = lambda x: np.sum(np.sin(x) * x ** 2)  # noqa: E731
    jf = lambda x: jnp.sum(jnp.sin(x) * x ** 2)  # noqa: E731
    assert_tree_close(cr.vmap(f)(X34[:1]), jax.vmap(jf)(X34[:1]))
    assert cr.vmap(f)(X34[:0]).shape == (0,)
    assert cr.vmap(lambda x: W33 @ x)(X34[:0]).shape == (0, 3)
    assert_tree_close(cr.vmap(lambda s: s ** 2)(X3), X3 ** 2)           # mapped scalars
    assert_tree_close(cr.vmap(lambda s: np.ones(2))(X3), onp.ones((3, 2)))  # no dependence
    assert_tree_close(cr.vmap(lambda s: 1.0)(X3), onp.ones(3))
    assert_tree_close(cr.vmap(lambda a: a * 2, in_axes=None, axis_size=3)(X3),
                      onp.stack([X3 * 2] * 3))
    assert cr.vmap(lambda a: a * 2, in_axes=None, axis_size=0)(X3).shape == (0, 3)
    out = cr.vmap(lambda x: (x, 2.0), out_axes=(0, None))(X34)
    assert_tree_close(out, (X34, 2.0))
    # int inputs stay int under vmap
    assert cr.vmap(lambda a: a * 2)(onp.arange(3)).dtype == onp.arange(3).dtype


def test_vmap_error_messages_name_arguments():
    with pytest.raises(ValueError, match=r"differ in size.*\[1\].*5.*4"):
        cr.vmap(lambda a, b: a + b)(X34, onp.ones((5, 3)))
    with pytest.raises(ValueError, match=r"\['b'\]"):
        cr.vmap(lambda d: d["a"] + d["b"])({"a": X34, "b": onp.ones((5, 3))})
    with pytest.raises(ValueError, match="axis_size"):
        cr.vmap(lambda: 1.0)()
    with pytest.raises(ValueError, match="out_axes=None"):
        cr.vmap(lambda a: a, out_axes=None)(X34)
    with pytest.raises(ValueError, match="shape \\(\\)"):
        cr.vmap(lambda a: a)(1.0)


# --- Jacobian shapes -------------------------------------------------------------------------

def _jac_by_grad_loop(f, x):
    """The Jacobian of f: R^shape -> R^m, row by row with grad (the slow reference)."""
    out = onp.asarray(f(x))
    rows = [cr.grad(lambda v, i=i: np.reshape(f(v), (-1,))[i])(x) for i in range(out.size)]
    return onp.reshape(onp.stack(rows), out.shape + onp.shape(x))


@pytest.mark.parametrize("jac", [cr.jacrev, cr.jacfwd, cr.jacobian])
@pytest.mark.parametrize("chunk", [None, 1, 2, 5, 11, 1000])
def test_jacobian_shapes_and_chunks_against_grad_loop(jac, chunk):
    kw = {} if chunk is None else {"chunk_size": chunk}
    f = lambda x: np.tanh(x) * np.sum(x ** 2)  # noqa: E731
    for x in (A234, X34, X3, onp.array([2.0])):
        assert_tree_close(jac(f, **kw)(x), _jac_by_grad_loop(f, x))
    g = lambda x: np.sum(x ** 3)  # noqa: E731  (scalar output: shape == in.shape)
    assert_tree_close(jac(g, **kw)(A234), 3 * A234 ** 2)


@functools.cache
def _pytree_jacobian_refs():
    jf = lambda d: {"o": jnp.tanh(d["a"]) * d["b"][0], "p": (jnp.sum(d["b"]),)}  # noqa: E731
    return (jax.jacrev(jf)({"a": X34, "b": X3}),
            jax.jacrev(lambda a, b: a * b, argnums=(0, 1))(X3, 2 * X3))


@pytest.mark.parametrize("jac", [cr.jacrev, cr.jacfwd, cr.jacobian])
def test_jacobian_pytrees_argnums_scalars(jac):
    ref_tree, ref_args = _pytree_jacobian_refs()
    f = lambda d: {"o": np.tanh(d["a"]) * d["b"][0], "p": (np.sum(d["b"]),)}  # noqa: E731
    d = {"a": X34, "b": X3}
    assert_tree_close(jac(f)(d), ref_tree)
    assert_tree_close(jac(f, chunk_size=2)(d), ref_tree)
    assert_tree_close(jac(lambda a, b: a * b, argnums=(0, 1))(X3, 2 * X3), ref_args)
    assert_tree_close(jac(lambda a, b: a * b, argnums=-1)(X3, 2 * X3), ref_args[1])
    assert_tree_close(jac(lambda s: s ** 3)(2.0), 12.0)
    assert_tree_close(jac(lambda s: s ** 3)(onp.array(2.0)), 12.0)
    assert_tree_close(jac(lambda s: s * X3)(2.0), X3)
    assert_tree_close(jac(lambda a: onp.ones(2))(X3), onp.zeros((2, 3)))
    assert jac(lambda a: np.sum(a) * onp.ones(2))(onp.zeros(0)).shape == (2, 0)
    assert jac(lambda a: a[:0])(X3).shape == (0, 3)


@pytest.mark.parametrize("jac", [cr.jacrev, cr.jacfwd])
def test_jacobian_has_aux_with_chunks(jac):
    f = lambda a: (a ** 2, {"m": np.sum(a)})  # noqa: E731
    for kw in ({}, {"chunk_size": 2}):
        assert_tree_close(jac(f, has_aux=True, **kw)(X3),
                          (onp.diag(2 * X3), {"m": onp.sum(X3)}))


def test_nested_chunked_jacobians_match_autograd():
    W = RNG.standard_normal((4, 5))
    x = RNG.standard_normal(5)
    X = RNG.standard_normal((3, 5))
    f = lambda x: np.tanh(W @ x) * np.sum(x ** 2)  # noqa: E731
    af = lambda x: anp.tanh(anp.dot(W, x)) * anp.sum(x ** 2)  # noqa: E731
    H = autograd.jacobian(autograd.jacobian(af))(x)
    VJ = onp.stack([autograd.jacobian(af)(xi) for xi in X])
    G = autograd.grad(lambda x: anp.sum(autograd.jacobian(af)(x) ** 2))(x)
    for cs in (1, 3):
        assert_tree_close(cr.jacfwd(cr.jacrev(f, chunk_size=cs), chunk_size=cs)(x), H)
        assert_tree_close(cr.vmap(cr.jacrev(f, chunk_size=cs))(X), VJ)
        assert_tree_close(cr.grad(lambda x: np.sum(cr.jacfwd(f, chunk_size=cs)(x) ** 2))(x), G)


def test_hessian_shapes_against_closed_forms():
    # sum(sin(a)^2): H = diag(2 cos(2a)), shape in + in
    H = cr.hessian(lambda a: np.sum(np.sin(a) ** 2))(A234)
    assert H.shape == A234.shape * 2
    assert_tree_close(H.reshape(24, 24), onp.diag(2 * onp.cos(2 * A234.ravel())))
    # sum(a*a*b): d2/da2 = diag(2b), d2/dadb = diag(2a), d2/db2 = 0
    Ht = cr.hessian(lambda a, b: np.sum(a * a * b), argnums=(0, 1))(X3, U3)
    assert_tree_close(Ht, ((onp.diag(2 * U3), onp.diag(2 * X3)),
                           (onp.diag(2 * X3), onp.zeros((3, 3)))))
    # vector output: out + in + in
    Hv = cr.hessian(lambda a: a ** 3)(X3)
    want = onp.zeros((3, 3, 3))
    want[range(3), range(3), range(3)] = 6 * X3
    assert_tree_close(Hv, want)
    d = {"a": X3, "b": U3}
    Hd = cr.hessian(lambda d: np.sum(d["a"] ** 2 * d["b"]))(d)
    assert_tree_close(Hd, {"a": {"a": onp.diag(2 * U3), "b": onp.diag(2 * X3)},
                           "b": {"a": onp.diag(2 * X3), "b": onp.zeros((3, 3))}})


# Products with the symbolic identity seed (DiagonalBatch) against JAX, with chunk offsets.
DIAG_EXPRS = [
    "x*c", "c*x", "x*s", "x*c1", "x*C2", "x/c", "c/x", "-x", "x+x", "x-x*2", "x*x", "W@x", "x@W",
    "W2@x", "x@x", "W3@x", "x@W3", "np.sum(x)*x", "np.sum(x, keepdims=True)*x", "(x*c)@W",
    "W@(x*c)", "np.sum(W*x, axis=1)", "x[::-1]*x", "np.outer(x, x)", "x*(x@W)", "(x*s)@(x*s)",
]


@pytest.mark.parametrize("expr", DIAG_EXPRS)
def test_identity_seed_rules_match_jax(expr):
    r = onp.random.default_rng(1)
    env = {"c": r.standard_normal(5), "W": r.standard_normal((5, 5)),
           "W2": r.standard_normal((2, 5)), "C2": r.standard_normal((2, 5)),
           "W3": r.standard_normal((2, 5, 5)), "s": 1.7, "c1": onp.array([2.5])}
    f = eval("lambda x: " + expr, dict(env, np=np))
    jf = eval("lambda x: " + expr.replace("np.", "jnp."), dict(env, jnp=jnp))
    x = r.standard_normal(5) + 3
    J = jax.jacfwd(jf)(x)
    for cs in (None, 2):
        assert_tree_close(cr.jacrev(f, chunk_size=cs)(x), J)
        assert_tree_close(cr.jacfwd(f, chunk_size=cs)(x), J)


# --- dtypes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [onp.float32, onp.float16])
def test_low_precision_stays_low_precision_through_every_transform(dtype):
    x = X3.astype(dtype)
    X = X34.astype(dtype)
    W = W33.astype(dtype)
    s = dtype(0.7)
    ones = onp.ones(3, dtype)
    f = lambda x: np.sum(np.tanh(W @ x) * np.exp(x) / (1 + x ** 2)) + np.mean(x) * 2.0  # noqa
    fv = lambda x: np.tanh(W @ x) * 2.0 + x / 3  # noqa: E731
    results = {
        "value_and_grad": cr.value_and_grad(f)(x),
        "grad scalar": cr.grad(lambda s: np.sin(s) * 3.0 + 1.0 / s + s ** 0.5)(s),
        "jvp": cr.jvp(fv, (x,), (ones,)),
        "vjp": cr.vjp(fv, x)[1](ones),
        "jacrev": cr.jacrev(fv)(x), "jacfwd": cr.jacfwd(fv)(x), "jacobian": cr.jacobian(fv)(x),
        "jacrev chunk": cr.jacrev(fv, chunk_size=2)(x),
        "hessian": cr.hessian(f)(x), "hessian 2D": cr.hessian(lambda a: np.sum(a ** 3))(X),
        "hvp": cr.hvp(f, (x,), (ones,)), "vmap(grad)": cr.vmap(cr.grad(f))(X),
        "linearize": cr.linearize(fv, x)[1](ones),
        "grad(grad)": cr.grad(cr.grad(lambda s: np.sin(s) * s * 2.0))(s),
        "checkpoint": cr.grad(lambda x: np.sum(cr.checkpoint(fv)(x)))(x),
        "elementwise_grad": cr.elementwise_grad(fv)(x), "deriv": cr.deriv(fv)(x),
        "unused arg": cr.grad(lambda a, b: np.sum(a), argnums=1)(x, x),
        "constant output": cr.jacrev(lambda a: onp.ones(2, dtype))(x),
        "where/maximum": cr.grad(lambda a: np.sum(np.where(a > 0, a, 0.1 * a)
                                                  + np.maximum(a, 0.0)))(x),
        "norm": cr.grad(lambda a: np.linalg.norm(a))(x),
    }
    for name, r in results.items():
        for leaf in cr.tree_leaves(r):
            assert onp.asarray(leaf).dtype == dtype, (name, onp.asarray(leaf).dtype)


COMPLEX_FUNS = {
    "abs2": "np.sum(np.abs(z) ** 2)", "real sq": "np.sum(np.real(z * z))",
    "imag exp": "np.sum(np.imag(np.exp(z)))", "abs": "np.sum(np.abs(z))",
    "conj prod": "np.real(np.sum(z * np.conj(z) * z))", "angle": "np.sum(np.angle(z))",
    "log": "np.sum(np.real(np.log(z)))", "real/imag attrs": "np.sum(z.real ** 2 + z.imag)",
    "sqrt": "np.sum(np.abs(np.sqrt(z)))", "div": "np.sum(np.abs(1 / z))",
    "fft": "np.sum(np.abs(np.fft.fft(z)) ** 2)",
}


@pytest.mark.parametrize("name", list(COMPLEX_FUNS))
def test_real_valued_functions_of_complex_inputs_match_autograd(name):
    z = onp.array([1 + 2j, 0.5 - 1j, -0.3 + 0.2j])
    f = eval("lambda z: " + COMPLEX_FUNS[name], {"np": np})
    oracle = COMPLEX_FUNS[name].replace("z.real", "np.real(z)").replace("z.imag", "np.imag(z)")
    af = eval("lambda z: " + oracle, {"np": anp})
    assert_tree_close(cr.grad(f)(z), autograd.grad(af)(z))
    # and JAX agrees on jvp/vjp of the same real-valued function
    jf = eval("lambda z: " + oracle, {"np": jnp})
    dz = onp.array([0.3 - 0.1j, 1j, 0.2])
    assert_tree_close(cr.jvp(f, (z,), (dz,))[1], jax.jvp(jf, (z,), (dz,))[1])


def test_holomorphic_derivatives():
    z0 = 0.7 - 0.4j
    cases = {"z*z": (lambda z: z * z, 2 * z0), "exp": (np.exp, onp.exp(z0)),
             "sin": (np.sin, onp.cos(z0)), "1/z": (lambda z: 1 / z, -1 / z0 ** 2),
             "log": (np.log, 1 / z0), "sqrt": (np.sqrt, 0.5 / onp.sqrt(z0))}
    for name, (f, want) in cases.items():
        assert onp.allclose(cr.holomorphic_grad(f)(z0), want), name
        assert onp.allclose(cr.jvp(f, (z0,), (1.0 + 0j,))[1], want), name
        assert onp.allclose(cr.jacfwd(f, holomorphic=True)(onp.array([z0]))[0, 0], want), name
        assert onp.allclose(cr.jacrev(f, holomorphic=True)(onp.array([z0]))[0, 0], want), name
        with pytest.raises(TypeError, match="holomorphic=True"):  # as JAX: say it explicitly
            cr.jacfwd(f)(onp.array([z0]))
    assert onp.allclose(cr.holomorphic_grad(cr.holomorphic_grad(lambda z: z ** 3))(z0), 6 * z0)
    g = cr.grad(lambda z: np.sum(np.abs(z) ** 2))(onp.array([1 + 2j], onp.complex64))
    assert g.dtype == onp.complex64


# --- reuse, threads, error messages that are already good -------------------------------------

def test_vjp_fn_reusable_batched_and_differentiable():
    f = lambda x: np.tanh(x) * np.sum(x ** 2)  # noqa: E731
    out, fn = cr.vjp(f, X3)
    a = fn(onp.ones(3))[0]
    assert_tree_close(fn(onp.ones(3))[0], a)
    assert_tree_close(fn(2 * onp.ones(3))[0], 2 * a)
    J = cr.jacrev(f)(X3)
    assert_tree_close(cr.vmap(fn)(onp.eye(3))[0], J)
    assert_tree_close(fn(onp.ones(3))[0], a)  # still fine after a batched call
    assert_tree_close(cr.jacrev(lambda c: fn(c)[0])(onp.ones(3)), J.T)
    _, fj = cr.linearize(f, X3)
    assert_tree_close(fj(onp.ones(3)), fj(onp.ones(3)))
    assert_tree_close(cr.vmap(fj)(onp.eye(3)).T, cr.jacfwd(f)(X3))


def test_threads_interleaved_between_forward_and_backward():
    barrier = threading.Barrier(4)
    res = {}

    def worker(i):
        xi = X3 * (i + 1)

        def h(z):
            y = np.sin(z) * z
            barrier.wait(timeout=10)
            return np.sum(cr.vmap(lambda r: r * 2.0)(y))

        res[i] = cr.grad(h)(xi)

    ths = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    for i in range(4):
        xi = X3 * (i + 1)
        assert_tree_close(res[i], 2 * (onp.cos(xi) * xi + onp.sin(xi)))


def test_good_error_messages():
    x = onp.ones(3)
    with pytest.raises(TypeError, match="scalar output.*shape \\(3,\\).*jacobian"):
        cr.grad(lambda x: x * 2)(x)
    with pytest.raises(TypeError, match=r"argument 0\['n'\] has dtype int64"):
        cr.grad(lambda d: d["a"] * d["n"])({"a": 1.0, "n": 3})
    with pytest.raises(ValueError, match=r"cotangent shape \(4,\).*output shape \(3,\)"):
        cr.vjp(lambda x: x * 2, x)[1](onp.ones(4))
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(4,\).*\(3,\)"):
        cr.jvp(lambda x: x * 2, (x,), (onp.ones(4),))
    with pytest.raises(TypeError, match=r"x\.at\[idx\]\.set"):
        def setitem(x):
            x[0] = 1.0
            return np.sum(x)
        cr.grad(setitem)(x)
    with pytest.raises(TypeError, match="batched value under vmap.*where"):
        cr.vmap(lambda a: a if a > 0 else -a)(x)
    with pytest.raises(TypeError, match="float\\(\\) of a traced value"):
        cr.grad(lambda a: float(a))(2.0)
    with pytest.raises(TypeError, match="stop_gradient"):
        cr.grad(lambda a: onp.sum(onp.asarray(a)))(x)
    with pytest.raises(TypeError, match="must return a tuple"):
        @cr.custom_vjp
        def cv(x):
            return x
        cv.defvjp(lambda x: (x, None), lambda r, g: g)
        cr.grad(lambda x: cv(x) * 2.0)(2.0)
    with pytest.raises(ValueError, match="argnums=2.*1 positional"):
        cr.grad(lambda a: a, argnums=2)(1.0)


# =============================================================================================
# Pinned bugs (xfail strict): see notes/review-core.md for causes.
# =============================================================================================

def _clip_grad():
    @cr.custom_vjp
    def clip_grad(x):
        return x

    clip_grad.defvjp(lambda x: (x, None), lambda res, g: (np.clip(g, -1.0, 1.0),))
    return clip_grad


def test_bug_custom_vjp_rule_used_under_grad_of_vmap():
    clip_grad = _clip_grad()
    x = onp.array([1.0, 2.0, 3.0])
    # the rule clips the cotangent 5.0 to 1.0; without vmap this already works
    assert_tree_close(cr.grad(lambda x: np.sum(5.0 * clip_grad(x)))(x), onp.ones(3))
    assert_tree_close(cr.grad(lambda x: np.sum(5.0 * cr.vmap(clip_grad)(x)))(x), onp.ones(3))


def test_bug_straight_through_estimator_under_jacrev_of_vmap():
    @cr.custom_vjp
    def ste_round(x):
        return np.round(x)

    ste_round.defvjp(lambda x: (np.round(x), None), lambda r, g: (g,))
    xs = onp.array([0.3, 1.6])
    assert_tree_close(cr.jacrev(cr.vmap(ste_round))(xs), onp.eye(2))


def test_bug_custom_jvp_rule_used_under_jvp_and_grad_of_vmap():
    @cr.custom_jvp
    def f(x):
        return np.sin(x)

    f.defjvp(lambda p, t: (np.sin(p[0]), 10.0 * t[0]))
    x = onp.array([1.0, 2.0, 3.0])
    assert_tree_close(cr.jvp(f, (x,), (onp.ones(3),))[1], 10.0 * onp.ones(3))  # works
    assert_tree_close(cr.jvp(cr.vmap(f), (x,), (onp.ones(3),))[1], 10.0 * onp.ones(3))
    assert_tree_close(cr.grad(lambda x: np.sum(cr.vmap(f)(x)))(x), 10.0 * onp.ones(3))


def test_bug_ordereddict_params_are_pytrees():
    x = onp.array([1.0, 2.0])
    od = collections.OrderedDict([("w", x), ("b", 2.0)])  # e.g. a torch state_dict
    g = cr.grad(lambda p: np.sum(p["w"] * p["b"]))(od)
    assert isinstance(g, collections.OrderedDict)
    assert_tree_close(dict(g), {"w": onp.full(2, 2.0), "b": 3.0})


def test_bug_defaultdict_params_are_pytrees():
    x = onp.array([1.0, 2.0])
    dd = collections.defaultdict(float, {"w": x, "b": 2.0})
    g = cr.grad(lambda p: np.sum(p["w"] * p["b"]))(dd)
    assert_tree_close(dict(g), {"w": onp.full(2, 2.0), "b": 3.0})


def _jacfwd_rev_agree_or_raise(f, x):
    try:
        Jf = cr.jacfwd(f)(x)
    except TypeError:
        Jf = None
    try:
        Jr = cr.jacrev(f)(x)
    except TypeError:
        Jr = None
    if Jf is not None and Jr is not None:
        assert Jf.dtype == Jr.dtype and onp.allclose(Jf, Jr), (Jf, Jr)


def test_bug_jacrev_real_to_complex_agrees_with_jacfwd_or_raises():
    # jacfwd gives (1+2j) I; jacrev silently gives I (the real part only)
    _jacfwd_rev_agree_or_raise(lambda x: x * (1 + 2j), onp.ones(2))


def test_bug_jacobian_complex_to_real_agrees_or_raises():
    z = onp.array([1 + 2j, 0.5 - 1j, -0.3 + 0.2j])
    # jacfwd gives diag(2 Re z); jacrev gives diag(2 conj z) (the grad convention)
    _jacfwd_rev_agree_or_raise(lambda z: np.abs(z) ** 2, z)


def test_bug_leaked_tracer_is_not_returned_as_a_gradient():
    leak = {}

    def g(x):
        leak["t"] = x * 2
        return np.sum(x)

    cr.grad(g)(X3)
    try:
        r = cr.grad(lambda y: np.sum(y * leak["t"]))(X3)
    except Exception as e:  # a clear error is an acceptable answer
        assert "leak" in str(e) or "escaped" in str(e), e
        return
    assert isinstance(r, onp.ndarray), type(r)  # got a RevTracer of the finished trace


def test_bug_leaked_freed_tracer_error_message():
    log = []

    def loss(w):
        v = np.sum(w ** 2)
        log.append(v)  # logging the loss inside the function is a common pattern
        return v

    cr.grad(loss)(X3)
    with pytest.raises(Exception, match="(?i)leak|escaped|outside|finished"):
        log[0] + 1.0  # got: TypeError: unsupported operand type(s) for +: 'NoneType' and 'float'


def test_bug_checkpoint_with_integer_argument():
    x = onp.array([1.0, 2.0, 3.0])
    g = cr.grad(lambda x: np.sum(cr.checkpoint(lambda x, k: x ** k)(x, 3)))(x)
    assert_tree_close(g, 3 * x ** 2)


def test_bug_checkpoint_with_keyword_argument():
    x = onp.array([1.0, 2.0, 3.0])
    g = cr.grad(lambda x: np.sum(cr.checkpoint(lambda x, k=2: x ** k)(x, k=3)))(x)
    assert_tree_close(g, 3 * x ** 2)


def test_bug_custom_vjp_bwd_wrong_shape_is_an_error():
    @cr.custom_vjp
    def mul(a, b):
        return a * b

    # bwd forgets to sum the broadcast cotangent for b (a user error JAX reports)
    mul.defvjp(lambda a, b: (a * b, (a, b)), lambda r, g: (g * r[1], g * r[0]))
    with pytest.raises((ValueError, TypeError), match=r"\(4, 3\)|shape"):
        cr.grad(lambda a, b: np.sum(mul(a, b)), argnums=1)(X34, X3)  # got a (4, 3) "gradient"


def test_bug_custom_vjp_bwd_too_few_entries_message():
    @cr.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda r, g: (g * r[1],))
    with pytest.raises((ValueError, TypeError), match="(?i)bwd.*(2|two|per argument)"):
        cr.grad(lambda y: f(2.0, y))(2.0)  # got: IndexError: list index out of range


def test_bug_integer_input_error_names_the_argument_position():
    with pytest.raises(TypeError, match="argument 1 "):
        cr.grad(lambda a, n: a * n, argnums=1)(1.0, 3)  # says "argument 0"


def test_bug_jacfwd_integer_input_raises_like_jacrev():
    with pytest.raises(TypeError, match="int64"):
        cr.jacrev(lambda x: x * 1.0)(onp.arange(3))  # raises, naming the argument
    with pytest.raises(TypeError, match="int64"):
        cr.jacfwd(lambda x: x * 1.0)(onp.arange(3))  # returns eye(3)


def test_bug_vmap_out_axes_out_of_range():
    with pytest.raises(ValueError, match="out_axes"):
        cr.vmap(lambda a: a, out_axes=3)(X34)  # result (4, 3) batched; got shape (3, 4)


def test_bug_linearize_wrong_tangent_shape_message():
    _, f_jvp = cr.linearize(lambda x: x * 2, X3)
    with pytest.raises(ValueError, match=r"linearize.*\(4,\).*\(3,\)"):
        f_jvp(onp.ones(4))  # got numpy's "operands could not be broadcast together"


def test_bug_custom_jvp_rule_wrong_tangent_shape_message():
    @cr.custom_jvp
    def f(x):
        return np.sin(x)

    f.defjvp(lambda p, t: (np.sin(p[0]), np.cos(p[0][:2]) * t[0][:2]))  # a (2,) tangent
    with pytest.raises((ValueError, TypeError), match="custom_jvp"):
        cr.jvp(f, (X3,), (X3,))


def test_bug_item_on_tracer_has_a_clear_error():
    with pytest.raises(TypeError, match="item"):
        cr.grad(lambda a: a.item())(2.0)  # got AttributeError: module 'chainrule.numpy'...
    with pytest.raises(TypeError, match="tolist"):
        cr.grad(lambda a: np.sum(a) + sum(a.tolist()))(X3)


def test_bug_int_of_tracer_message_names_int():
    with pytest.raises(TypeError, match=r"int\(\)"):
        cr.grad(lambda a: a * int(a))(2.0)


def test_bug_grad_of_function_returning_none_message():
    with pytest.raises(TypeError, match="(?i)scalar.*None|None.*scalar|returned None"):
        cr.grad(lambda a: None)(1.0)  # got ValueError about cotangent structure


def test_bug_vmap_in_axes_wrong_type_message():
    with pytest.raises((TypeError, ValueError), match="in_axes"):
        cr.vmap(lambda a: a, in_axes="0")(X3)  # got "'<=' not supported ... 'int' and 'str'"


def test_bug_jvp_tangent_dtype_mismatch():
    # a float32 tangent for a float64 primal silently gives a float32 tangent out
    with pytest.raises(TypeError, match="dtype"):
        cr.jvp(lambda x: x * 2, (X3,), (onp.ones(3, onp.float32),))


def test_bug_gradients_are_writable_arrays():
    # autograd and PyTorch give writable gradients; `g *= lr` / `g[mask] = 0` are common
    x = onp.array([1.0, 2.0, 3.0])
    results = {
        "grad sum": cr.grad(lambda x: np.sum(x))(x),
        "grad mean": cr.grad(lambda x: np.mean(x))(x),
        "grad sum(x + 1)": cr.grad(lambda x: np.sum(x + 1.0))(x),
        "jacrev sum": cr.jacrev(lambda v: np.sum(v))(x),
        "hessian": cr.hessian(lambda v: np.sum(v))(x),
        "vmap(grad)": cr.vmap(cr.grad(lambda v: np.sum(v)))(onp.ones((3, 2))),
    }
    for name, g in results.items():
        assert g.flags.writeable, name  # got: ValueError: output array is read-only


def test_bug_mutating_vjp_output_does_not_corrupt_vjp_fn():
    x = onp.array([1.0, 2.0])
    out, fn = cr.vjp(np.exp, x)
    out /= out.sum()  # ordinary NumPy code on the returned value
    assert_tree_close(fn(onp.ones(2))[0], onp.exp(x))  # got exp(x) / sum(exp(x))


def test_bug_mutating_linearize_output_does_not_corrupt_f_jvp():
    x = onp.array([1.0, 2.0])
    out, f_jvp = cr.linearize(np.exp, x)
    out /= 2.0
    assert_tree_close(f_jvp(onp.ones(2)), onp.exp(x))


@pytest.mark.xfail(strict=True, reason="known limitation (docs/transforms.md): vjp keeps "
                   "references to its inputs, as autograd does; a copy per call would cost")
def test_bug_mutating_input_after_vjp_does_not_change_vjp_fn():
    x = onp.array([1.0, 2.0])
    x0 = x.copy()
    _, fn = cr.vjp(lambda v: np.sin(v) * v, x)
    x += 10.0  # e.g. an in-place optimizer step before the backward pass is used
    assert_tree_close(fn(onp.ones(2))[0], onp.cos(x0) * x0 + onp.sin(x0))


def test_bug_duplicate_argnums():
    x = onp.array([1.0, 2.0])
    try:
        g = cr.grad(lambda a, b: np.sum(a * b), argnums=(0, 0))(x, 3 * x)
    except ValueError as e:  # rejecting duplicates is a fine answer
        assert "argnums" in str(e)
        return
    assert_tree_close(g, (3 * x, 3 * x))  # got (zeros, 3x)


def test_bug_hvp_non_tuple_primals_message():
    with pytest.raises(TypeError, match="tuple"):
        cr.hvp(lambda s: s ** 3, 2.0, 1.0)  # got "object of type 'float' has no len()"
