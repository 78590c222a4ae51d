"""chainrule.scipy.special: values against SciPy, derivatives against finite differences
(order 2, both modes, under vmap), against closed forms, stability, and the clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp
from helpers import check_all

import chainrule as cr
import chainrule.scipy.special as cs


def U(lo, hi):
    """A float argument drawn uniformly from [lo, hi] (a domain clear of poles and cuts)."""
    return ("u", lo, hi)


def draw(spec, shape, rng):
    if isinstance(spec, tuple) and spec and spec[0] == "u":
        return rng.uniform(spec[1], spec[2], size=shape)
    return spec  # a constant (integer order, ...)


# name, chainrule function, scipy function, argument specs
A1 = np.array([0.7, 1.9, 2.5])
TABLE = [
    ("gamma", cs.gamma, sp.gamma, [U(0.6, 3.0)]),
    ("gamma_neg", cs.gamma, sp.gamma, [U(-1.8, -1.2)]),
    ("gammaln", cs.gammaln, sp.gammaln, [U(0.3, 6.0)]),
    ("rgamma", cs.rgamma, sp.rgamma, [U(0.3, 4.0)]),
    ("digamma", cs.digamma, sp.digamma, [U(0.5, 5.0)]),
    ("psi", cs.psi, sp.psi, [U(0.5, 5.0)]),
    ("polygamma1", lambda x: cs.polygamma(1, x), lambda x: sp.polygamma(1, x), [U(0.5, 4.0)]),
    ("polygamma3", lambda x: cs.polygamma(3, x), lambda x: sp.polygamma(3, x), [U(1.0, 4.0)]),
    ("multigammaln", lambda a: cs.multigammaln(a, 3), lambda a: sp.multigammaln(a, 3),
     [U(1.5, 4.0)]),
    ("beta", cs.beta, sp.beta, [U(0.5, 3.0), U(0.5, 3.0)]),
    ("betaln", cs.betaln, sp.betaln, [U(0.5, 3.0), U(0.5, 3.0)]),
    ("gammainc", lambda x: cs.gammainc(2.5, x), lambda x: sp.gammainc(2.5, x), [U(0.3, 4.0)]),
    ("gammaincc", lambda x: cs.gammaincc(A1[:1], x), lambda x: sp.gammaincc(A1[:1], x),
     [U(0.3, 4.0)]),
    ("betainc", lambda x: cs.betainc(2.0, 3.5, x), lambda x: sp.betainc(2.0, 3.5, x),
     [U(0.15, 0.85)]),
    ("stdtr", lambda t: cs.stdtr(4.5, t), lambda t: sp.stdtr(4.5, t), [U(-3.0, 3.0)]),
    ("erf", cs.erf, sp.erf, [U(-2.0, 2.0)]),
    ("erfc", cs.erfc, sp.erfc, [U(-2.0, 2.0)]),
    ("erfcx", cs.erfcx, sp.erfcx, [U(-1.0, 3.0)]),
    ("erfinv", cs.erfinv, sp.erfinv, [U(-0.8, 0.8)]),
    ("erfcinv", cs.erfcinv, sp.erfcinv, [U(0.2, 1.8)]),
    ("ndtr", cs.ndtr, sp.ndtr, [U(-3.0, 3.0)]),
    ("ndtri", cs.ndtri, sp.ndtri, [U(0.1, 0.9)]),
    ("log_ndtr", cs.log_ndtr, sp.log_ndtr, [U(-6.0, 4.0)]),
    ("expit", cs.expit, sp.expit, [U(-4.0, 4.0)]),
    ("logit", cs.logit, sp.logit, [U(0.15, 0.85)]),
    ("log_expit", cs.log_expit, sp.log_expit, [U(-4.0, 4.0)]),
    ("log1p", cs.log1p, sp.log1p, [U(-0.5, 3.0)]),
    ("expm1", cs.expm1, sp.expm1, [U(-2.0, 2.0)]),
    ("xlogy", cs.xlogy, sp.xlogy, [U(-2.0, 2.0), U(0.3, 3.0)]),
    ("xlog1py", cs.xlog1py, sp.xlog1py, [U(-2.0, 2.0), U(-0.5, 3.0)]),
    ("entr", cs.entr, sp.entr, [U(0.2, 3.0)]),
    ("rel_entr", cs.rel_entr, sp.rel_entr, [U(0.2, 3.0), U(0.2, 3.0)]),
    ("kl_div", cs.kl_div, sp.kl_div, [U(0.2, 3.0), U(0.2, 3.0)]),
    ("j0", cs.j0, sp.j0, [U(0.2, 6.0)]),
    ("j1", cs.j1, sp.j1, [U(-3.0, 6.0)]),
    ("jn", lambda x: cs.jn(3, x), lambda x: sp.jn(3, x), [U(0.5, 6.0)]),
    ("jv", lambda x: cs.jv(1.5, x), lambda x: sp.jv(1.5, x), [U(0.5, 6.0)]),
    ("y0", cs.y0, sp.y0, [U(0.5, 6.0)]),
    ("y1", cs.y1, sp.y1, [U(0.5, 6.0)]),
    ("yn", lambda x: cs.yn(2, x), lambda x: sp.yn(2, x), [U(0.8, 6.0)]),
    ("yv", lambda x: cs.yv(0.5, x), lambda x: sp.yv(0.5, x), [U(0.8, 6.0)]),
    ("i0", cs.i0, sp.i0, [U(-2.0, 3.0)]),
    ("i1", cs.i1, sp.i1, [U(-2.0, 3.0)]),
    ("iv", lambda x: cs.iv(2.5, x), lambda x: sp.iv(2.5, x), [U(0.5, 3.0)]),
    ("i0e", cs.i0e, sp.i0e, [U(0.3, 4.0)]),
    ("i1e", cs.i1e, sp.i1e, [U(0.3, 4.0)]),
    ("ive", lambda x: cs.ive(1.5, x), lambda x: sp.ive(1.5, x), [U(0.3, 4.0)]),
    ("k0", cs.k0, sp.k0, [U(0.5, 4.0)]),
    ("k1", cs.k1, sp.k1, [U(0.5, 4.0)]),
    ("kv", lambda x: cs.kv(0.7, x), lambda x: sp.kv(0.7, x), [U(0.5, 4.0)]),
    ("k0e", cs.k0e, sp.k0e, [U(0.5, 4.0)]),
    ("k1e", cs.k1e, sp.k1e, [U(0.5, 4.0)]),
    ("kve", lambda x: cs.kve(2.0, x), lambda x: sp.kve(2.0, x), [U(0.5, 4.0)]),
    ("spherical_jn0", lambda x: cs.spherical_jn(0, x), lambda x: sp.spherical_jn(0, x),
     [U(0.3, 5.0)]),
    ("spherical_jn2", lambda x: cs.spherical_jn(2, x), lambda x: sp.spherical_jn(2, x),
     [U(0.3, 5.0)]),
    ("spherical_yn1", lambda x: cs.spherical_yn(1, x), lambda x: sp.spherical_yn(1, x),
     [U(0.8, 5.0)]),
    ("spherical_in", lambda x: cs.spherical_in(np.array([0, 2, 1]), x),
     lambda x: sp.spherical_in(np.array([0, 2, 1]), x), [U(0.3, 3.0)]),
    ("spherical_kn", lambda x: cs.spherical_kn(1, x), lambda x: sp.spherical_kn(1, x),
     [U(0.5, 3.0)]),
    ("spherical_jn_deriv", lambda x: cs.spherical_jn(1, x, derivative=True),
     lambda x: sp.spherical_jn(1, x, derivative=True), [U(0.3, 5.0)]),
    ("sinc", cs.sinc, np.sinc, [U(-2.5, 2.5)]),
    ("zeta_q", lambda q: cs.zeta(3.0, q), lambda q: sp.zeta(3.0, q), [U(0.5, 3.0)]),
]

# functions with axis arguments: (name, chainrule fn, scipy fn, shape)
REDUCTIONS = [
    ("logsumexp", lambda x: cs.logsumexp(x), lambda x: sp.logsumexp(x), (2, 3)),
    ("logsumexp_axis", lambda x: cs.logsumexp(x, axis=1), lambda x: sp.logsumexp(x, axis=1),
     (2, 3)),
    ("logsumexp_keep", lambda x: cs.logsumexp(x, axis=(0,), keepdims=True),
     lambda x: sp.logsumexp(x, axis=(0,), keepdims=True), (3, 2)),
    ("logsumexp_b", lambda x: cs.logsumexp(x, axis=-1, b=np.array([0.5, 2.0, 1.0])),
     lambda x: sp.logsumexp(x, axis=-1, b=np.array([0.5, 2.0, 1.0])), (2, 3)),
    ("logsumexp_sign", lambda x: cs.logsumexp(x, b=np.array([1.0, -0.5, 0.2]),
                                              return_sign=True)[0],
     lambda x: sp.logsumexp(x, b=np.array([1.0, -0.5, 0.2]), return_sign=True)[0], (3,)),
    ("softmax", lambda x: cs.softmax(x, axis=0), lambda x: sp.softmax(x, axis=0), (3, 2)),
    ("softmax_all", cs.softmax, sp.softmax, (4,)),
    ("log_softmax", lambda x: cs.log_softmax(x, axis=-1), lambda x: sp.log_softmax(x, axis=-1),
     (2, 3)),
]

SHAPES = [(), (2, 3)]


def _args(specs, shape, seed=0):
    rng = np.random.default_rng(seed)
    return [draw(s, shape, rng) for s in specs]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,f,ref,specs", TABLE, ids=[t[0] for t in TABLE])
def test_values_match_scipy(name, f, ref, specs, shape):
    args = _args(specs, shape)
    np.testing.assert_allclose(f(*args), ref(*args), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,f,ref,specs", TABLE, ids=[t[0] for t in TABLE])
def test_grads(name, f, ref, specs, shape):
    check_all(f, *_args(specs, shape))


@pytest.mark.parametrize("name,f,ref,shape", REDUCTIONS, ids=[t[0] for t in REDUCTIONS])
def test_reductions(name, f, ref, shape):
    x = np.random.default_rng(1).normal(size=shape)
    np.testing.assert_allclose(f(x), ref(x), rtol=1e-13)
    check_all(f, x)


def test_multigammaln_domain_error():
    with pytest.raises(ValueError, match="multigammaln"):
        cs.multigammaln(0.5, 3)


# --- derivatives against closed forms ------------------------------------------------------------

x = np.linspace(0.4, 4.0, 7)
CLOSED = [
    (cs.gammaln, sp.digamma, x),
    (cs.gamma, lambda t: sp.gamma(t) * sp.digamma(t), x),
    (cs.digamma, lambda t: sp.polygamma(1, t), x),
    (cs.erf, lambda t: 2 / np.sqrt(np.pi) * np.exp(-t * t), x - 2),
    (cs.ndtr, lambda t: np.exp(-t * t / 2) / np.sqrt(2 * np.pi), x - 2),
    (cs.log_ndtr, lambda t: np.exp(-t * t / 2) / np.sqrt(2 * np.pi) / sp.ndtr(t), x - 3),
    (lambda t: cs.gammainc(1.7, t), lambda t: t ** 0.7 * np.exp(-t) / sp.gamma(1.7), x),
    (lambda t: cs.stdtr(3.0, t), lambda t: __import__("scipy.stats").stats.t.pdf(t, 3.0), x - 2),
    (cs.j0, lambda t: -sp.j1(t), x),
    (lambda t: cs.jv(2.3, t), lambda t: sp.jvp(2.3, t), x),
    (lambda t: cs.yv(1.2, t), lambda t: sp.yvp(1.2, t), x),
    (lambda t: cs.iv(0.4, t), lambda t: sp.ivp(0.4, t), x),
    (lambda t: cs.kv(1.7, t), lambda t: sp.kvp(1.7, t), x),
    (lambda t: cs.spherical_yn(2, t), lambda t: sp.spherical_yn(2, t, derivative=True), x),
    (lambda t: cs.spherical_in(3, t), lambda t: sp.spherical_in(3, t, derivative=True), x),
    (lambda t: cs.spherical_kn(0, t), lambda t: sp.spherical_kn(0, t, derivative=True), x),
    (lambda t: cs.spherical_kn(2, t), lambda t: sp.spherical_kn(2, t, derivative=True), x),
    (lambda t: cs.zeta(2.5, t), lambda t: -2.5 * sp.zeta(3.5, t), x),
]


@pytest.mark.parametrize("k", range(len(CLOSED)))
def test_first_derivative_closed_form(k):
    f, df, pts = CLOSED[k]
    np.testing.assert_allclose(cr.elementwise_grad(f)(pts), df(pts), rtol=1e-10, atol=1e-14)
    _, tangent = cr.jvp(f, (pts,), (np.ones_like(pts),))
    np.testing.assert_allclose(tangent, df(pts), rtol=1e-10, atol=1e-14)


SECOND = [
    (lambda t: cs.jv(1.3, t), lambda t: sp.jvp(1.3, t, 2)),
    (lambda t: cs.iv(2.0, t), lambda t: sp.ivp(2.0, t, 2)),
    (lambda t: cs.kv(0.5, t), lambda t: sp.kvp(0.5, t, 2)),
    (cs.gammaln, lambda t: sp.polygamma(1, t)),
    (cs.digamma, lambda t: sp.polygamma(2, t)),
]


@pytest.mark.parametrize("k", range(len(SECOND)))
def test_second_derivative_closed_form(k):
    f, d2f = SECOND[k]
    got = cr.elementwise_grad(cr.elementwise_grad(f))(x)
    np.testing.assert_allclose(got, d2f(x), rtol=1e-9)


def test_sinc_derivatives_at_zero():
    # sinc'(0) = 0, sinc''(0) = -pi^2/3, sinc''''(0) = pi^4/5: exact through spherical_jn.
    d = cs.sinc
    for k in range(4):
        d = cr.grad(d)
        want = [0.0, -np.pi ** 2 / 3, 0.0, np.pi ** 4 / 5][k]
        np.testing.assert_allclose(d(0.0), want, rtol=1e-12, atol=1e-12)


def test_logsumexp_grad_is_softmax():
    v = np.random.default_rng(2).normal(size=(3, 4)) * 10
    np.testing.assert_allclose(cr.grad(lambda a: cs.logsumexp(a))(v),
                               sp.softmax(v), rtol=1e-12)
    sgn = cs.logsumexp(v[0], b=-np.ones(4), return_sign=True)[1]
    assert sgn == -1.0


# --- stability for inputs of magnitude 1e3 and beyond ---------------------------------------------

BIG = [1e3, -1e3, 1e5, -1e5, 1e8]


def _finite_derivs(f, t):
    g1 = cr.grad(f)(t)
    g2 = cr.grad(cr.grad(f))(t)
    _, j = cr.jvp(cr.grad(f), (t,), (1.0,))
    vals = [f(t), g1, g2, j]
    assert all(np.all(np.isfinite(v)) for v in vals), (t, vals)
    return vals


@pytest.mark.parametrize("t", BIG)
def test_log_expit_stable(t):
    v, g1, g2, _ = _finite_derivs(cs.log_expit, t)
    np.testing.assert_allclose(v, sp.log_expit(t))
    np.testing.assert_allclose(g1, sp.expit(-t), atol=1e-300)
    np.testing.assert_allclose(g2, -sp.expit(t) * sp.expit(-t), atol=1e-300)


@pytest.mark.parametrize("t", [1e3, -1e3, -1e4, 1e5, 1e8])
def test_log_ndtr_stable(t):
    v, g1, g2, j = _finite_derivs(cs.log_ndtr, t)
    np.testing.assert_allclose(v, sp.log_ndtr(t))
    if t < 0:  # Mills-ratio asymptotics: d = -t - 1/t + ..., d2 = -1 + 1/t^2 + ...
        np.testing.assert_allclose(g1, -t - 1 / t + 2 / t ** 3, rtol=1e-12)
        np.testing.assert_allclose(g2, -1 + 1 / t ** 2, rtol=1e-5)
        np.testing.assert_allclose(j, g2, rtol=1e-12)
    else:
        assert g1 == 0.0 and g2 == 0.0


@pytest.mark.parametrize("scale", [1e3, 1e5, 1e300])
def test_logsumexp_softmax_stable(scale):
    a = np.array([1.0, -1.0, 0.5, 1.0]) * scale
    f = lambda v: cs.logsumexp(v)
    np.testing.assert_allclose(f(a), sp.logsumexp(a))
    g = cr.grad(f)(a)
    np.testing.assert_allclose(g, sp.softmax(a))
    h = cr.hessian(f)(a)
    p = sp.softmax(a)
    np.testing.assert_allclose(h, np.diag(p) - np.outer(p, p), atol=1e-15)
    ls = lambda v: cs.log_softmax(v)[1]
    assert np.isfinite(ls(a))
    gl = cr.grad(ls)(a)
    np.testing.assert_allclose(gl, np.eye(4)[1] - p, atol=1e-15)
    assert np.all(np.isfinite(cr.hessian(ls)(a)))
    sm = cr.jacobian(lambda v: cs.softmax(v))(a)
    np.testing.assert_allclose(sm, np.diag(p) - np.outer(p, p), atol=1e-15)


def test_logsumexp_with_minus_inf():
    a = np.array([0.0, -np.inf, 1.0])
    np.testing.assert_allclose(cs.logsumexp(a), sp.logsumexp(a))
    np.testing.assert_allclose(cr.grad(lambda v: cs.logsumexp(v))(a), sp.softmax(a))


# --- derivatives that do not exist: clear NotImplementedError -------------------------------------

MISSING = [
    ("gammainc", "`a`", lambda a: cs.gammainc(a, 1.5)),
    ("gammaincc", "`a`", lambda a: cs.gammaincc(a, 1.5)),
    ("betainc", "`b`", lambda b: cs.betainc(1.5, b, 0.3)),
    ("stdtr", "`df`", lambda df: cs.stdtr(df, 0.3)),
    ("iv", "`v`", lambda v: cs.iv(v, 1.5)),
    ("kv", "`v`", lambda v: cs.kv(v, 1.5)),
    ("jv", "`v`", lambda v: cs.jv(v, 1.5)),
    ("ive", "`v`", lambda v: cs.ive(v, 1.5)),
    ("zeta", "`x`", lambda s: cs.zeta(s, 1.5)),
    ("zeta", "`x`", lambda s: cs.zeta(s)),
    ("polygamma", "`n`", lambda n: cs.polygamma(n, 1.5)),
]


@pytest.mark.parametrize("fname,arg,f", MISSING, ids=[m[0] + m[1] for m in MISSING])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_missing_derivative_raises(fname, arg, f, mode):
    with pytest.raises(NotImplementedError, match=f"special.{fname}: .*{arg}"):
        if mode == "rev":
            cr.grad(f)(2.0)
        else:
            cr.jvp(f, (2.0,), (1.0,))


def test_other_argument_still_differentiable():
    # gammainc's a held constant: the x-derivative is there even when a is traced elsewhere
    f = lambda a, t: cs.gammainc(cr.stop_gradient(a), t)
    np.testing.assert_allclose(cr.grad(f, argnums=1)(2.0, 1.5),
                               1.5 * np.exp(-1.5) / sp.gamma(2.0))


def test_nondifferentiable_passthrough():
    assert cs.comb(5, 2) == sp.comb(5, 2)
    assert cs.gammasgn(-0.5) == sp.gammasgn(-0.5)


def test_lists_complete():
    for name in cs.DIFFERENTIABLE + cs.NONDIFFERENTIABLE:
        assert callable(getattr(cs, name)), name
    assert set(cs.DIFFERENTIABLE).isdisjoint(cs.NONDIFFERENTIABLE)


def test_import_chainrule_does_not_import_scipy():
    import subprocess
    import sys

    code = ("import sys, chainrule, chainrule.numpy; "
            "assert 'scipy' not in sys.modules, sorted(m for m in sys.modules if 'scipy' in m)")
    subprocess.run([sys.executable, "-c", code], check=True)
