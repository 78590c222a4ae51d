"""chainrule.scipy.stats: values against SciPy; derivatives in the point and every parameter
(order 2, both modes, under vmap); closed forms; the clear errors where none exists."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as ss
from helpers import check_all

import chainrule as cr
import chainrule.scipy.stats as cst


def U(lo, hi):
    return ("u", lo, hi)


def K(*values):
    """A discrete (integer-valued float) argument: constant, never differentiated."""
    return ("k", values)


LOC, SCALE = U(-0.5, 0.5), U(0.7, 2.0)
# distribution: specs of (point, *shape params, loc, scale) and the methods whose derivative
# in a shape parameter does not exist (those parameters are held constant there)
CONTINUOUS = {
    "norm": ([U(-2, 2), LOC, SCALE], ()),
    "t": ([U(-3, 3), U(2.0, 6.0), LOC, SCALE], (1,)),
    "cauchy": ([U(-3, 3), LOC, SCALE], ()),
    "laplace": ([U(-3, 3), LOC, SCALE], ()),
    "logistic": ([U(-3, 3), LOC, SCALE], ()),
    "chi2": ([U(2.0, 6.0), U(2.0, 5.0), U(-0.5, 0.5), SCALE], (1,)),
    "gamma": ([U(2.5, 5.0), U(1.5, 4.0), U(-0.5, 0.5), SCALE], (1,)),
    "expon": ([U(2.0, 4.0), U(-0.5, 0.5), SCALE], ()),
    "beta": ([U(0.35, 0.65), U(1.5, 4.0), U(1.5, 4.0), U(-0.1, 0.1), U(0.9, 1.1)], (1, 2)),
}
DISCRETE = {
    "poisson": ([K(0, 2, 5), U(1.0, 4.0)], ()),
    "binom": ([K(1, 3, 4), K(6), U(0.2, 0.8)], ()),
    "nbinom": ([K(0, 2, 5), U(1.5, 4.0), U(0.2, 0.8)], (1,)),
}
DENSITY = ("logpdf", "pdf", "logpmf", "pmf", "ppf", "isf")


def _cases():
    out = []
    for table in (CONTINUOUS, DISCRETE):
        for name, (specs, shape_params) in table.items():
            for method in getattr(cst, name).methods:
                const = () if method in DENSITY else shape_params
                out.append((name, method, specs, const))
    return out


CASES = _cases()


def _draw(specs, shape, method, seed=0):
    rng = np.random.default_rng(seed)
    args = []
    for i, s in enumerate(specs):
        if s[0] == "k":
            v = np.array(s[1], dtype=float)
            args.append(np.resize(v, shape) if shape else v[0])
        elif i == 0 and method in ("ppf", "isf"):
            args.append(rng.uniform(0.1, 0.9, size=shape))
        else:
            args.append(rng.uniform(s[1], s[2], size=shape))
    return args


def _split(name, method, specs, const, shape):
    """The function of the differentiable arguments, and those arguments."""
    args = _draw(specs, shape, method)
    diff = [i for i, s in enumerate(specs) if s[0] == "u" and i not in const]
    fn = getattr(getattr(cst, name), method)

    def f(*xs):
        full = list(args)
        for i, v in zip(diff, xs, strict=True):
            full[i] = v
        return fn(*full)

    return f, [args[i] for i in diff], args


@pytest.mark.parametrize("shape", [(), (3,)], ids=str)
@pytest.mark.parametrize("name,method,specs,const", CASES,
                         ids=[f"{c[0]}.{c[1]}" for c in CASES])
def test_values_match_scipy(name, method, specs, const, shape):
    args = _draw(specs, shape, method)
    got = getattr(getattr(cst, name), method)(*args)
    want = getattr(getattr(ss, name), method)(*args)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name,method,specs,const", CASES,
                         ids=[f"{c[0]}.{c[1]}" for c in CASES])
def test_grads(name, method, specs, const):
    f, xs, _ = _split(name, method, specs, const, (3,))
    check_all(f, *xs)


def test_grads_scalar_all_params():
    # scalar arguments, every parameter of a few densities at once
    check_all(lambda x, m, s: cst.norm.logcdf(x, m, s), 0.3, -0.2, 1.5)
    check_all(lambda x, df, m, s: cst.t.logpdf(x, df, m, s), 0.3, 3.5, 0.1, 1.2)
    check_all(lambda x, a, s: cst.gamma.logpdf(x, a, scale=s), 2.0, 2.5, 0.8)


# --- values outside the support and invalid parameters, as SciPy -----------------------------

EDGE = [
    ("gamma", "logpdf", (-1.0, 2.0)), ("gamma", "cdf", (-1.0, 2.0)), ("gamma", "sf", (-1.0, 2.)),
    ("gamma", "logpdf", (0.0, 1.0)), ("gamma", "logpdf", (0.0, 2.0)),
    ("chi2", "logpdf", (-0.5, 3.0)), ("chi2", "cdf", (-0.5, 3.0)), ("expon", "logpdf", (-1.0,)),
    ("expon", "cdf", (-1.0,)), ("expon", "sf", (-1.0,)), ("expon", "logpdf", (0.0,)),
    ("beta", "logpdf", (1.2, 2.0, 2.0)), ("beta", "cdf", (1.2, 2.0, 2.0)),
    ("beta", "cdf", (-0.2, 2.0, 2.0)), ("beta", "logpdf", (0.0, 1.0, 2.0)),
    ("norm", "logpdf", (0.5, 0.0, -1.0)), ("norm", "cdf", (0.5, 0.0, -1.0)),
    ("poisson", "logpmf", (2.5, 3.0)), ("poisson", "logpmf", (-1.0, 3.0)),
    ("poisson", "cdf", (-1.0, 3.0)), ("poisson", "cdf", (2.5, 3.0)),
    ("binom", "logpmf", (12.0, 10.0, 0.3)), ("binom", "cdf", (12.0, 10.0, 0.3)),
    ("binom", "cdf", (2.5, 10.0, 0.3)), ("binom", "sf", (-1.0, 10.0, 0.3)),
    ("nbinom", "cdf", (3.0, 2.5, 0.4)), ("laplace", "logcdf", (0.3,)),
    ("logistic", "logpdf", (-800.0,)), ("logistic", "logpdf", (800.0,)),
]


@pytest.mark.parametrize("name,method,args", EDGE)
def test_edges_match_scipy(name, method, args):
    got = getattr(getattr(cst, name), method)(*args)
    want = getattr(getattr(ss, name), method)(*args)
    np.testing.assert_allclose(got, want, rtol=1e-12)


# --- multivariate ---------------------------------------------------------------------------------

def _spd(rng, n):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def test_mvn_values():
    rng = np.random.default_rng(3)
    cov = _spd(rng, 3)
    mean = rng.normal(size=3)
    for x in (rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=(2, 4, 3))):
        np.testing.assert_allclose(cst.multivariate_normal.logpdf(x, mean, cov),
                                   ss.multivariate_normal.logpdf(x, mean, cov), rtol=1e-12)
        np.testing.assert_allclose(cst.multivariate_normal.pdf(x, mean, cov),
                                   ss.multivariate_normal.pdf(x, mean, cov), rtol=1e-12)
    for cov_ in (2.0, np.array([0.5, 1.0, 2.0])):
        x = rng.normal(size=(4, 3))
        np.testing.assert_allclose(cst.multivariate_normal.logpdf(x, mean, cov_),
                                   ss.multivariate_normal.logpdf(x, mean, cov_), rtol=1e-12)
    x1 = rng.normal(size=4)  # dimension 1: four points
    np.testing.assert_allclose(cst.multivariate_normal.logpdf(x1, 0.5, 2.0),
                               ss.multivariate_normal.logpdf(x1, 0.5, 2.0), rtol=1e-12)
    np.testing.assert_allclose(cst.multivariate_normal.logpdf(0.3, 0.5, 2.0),
                               ss.multivariate_normal.logpdf(0.3, 0.5, 2.0), rtol=1e-12)


def test_mvn_grads():
    rng = np.random.default_rng(4)
    cov = _spd(rng, 3)
    x, mean = rng.normal(size=(2, 3)), rng.normal(size=3)
    check_all(lambda x, m, c: cst.multivariate_normal.logpdf(x, m, c), x, mean, cov)
    check_all(lambda x, m, c: cst.multivariate_normal.logpdf(x, m, c), x, mean,
              np.array([0.5, 1.0, 2.0]))
    # closed forms: d/dmean = cov^-1 (x - mean); d/dcov (symmetric part) = (S^-1 d d^T S^-1 -
    # S^-1) / 2, all of it in the lower triangle that is read
    xv = x[0]
    gm = cr.grad(lambda m: cst.multivariate_normal.logpdf(xv, m, cov))(mean)
    np.testing.assert_allclose(gm, np.linalg.solve(cov, xv - mean), rtol=1e-12)
    gc = cr.grad(lambda c: cst.multivariate_normal.logpdf(xv, mean, c))(cov)
    si = np.linalg.inv(cov)
    d = xv - mean
    sym = 0.5 * (si @ np.outer(d, d) @ si - si)
    want = np.tril(2 * sym) - np.diag(np.diag(sym))
    np.testing.assert_allclose(gc, want, rtol=1e-10, atol=1e-13)


def test_dirichlet():
    rng = np.random.default_rng(5)
    alpha = np.array([1.5, 2.0, 3.5])
    # components on the first axis, as SciPy; away from 0 so that vmap's jitter stays inside
    x = np.array([[0.2, 0.3, 0.25, 0.4], [0.3, 0.3, 0.35, 0.3], [0.5, 0.4, 0.4, 0.3]])
    del rng
    np.testing.assert_allclose(cst.dirichlet.logpdf(x, alpha), ss.dirichlet.logpdf(x, alpha),
                               rtol=1e-12)
    np.testing.assert_allclose(cst.dirichlet.pdf(x[:, 0], alpha), ss.dirichlet.pdf(x[:, 0], alpha),
                               rtol=1e-12)
    np.testing.assert_allclose(cst.dirichlet.logpdf(x[:2], alpha), ss.dirichlet.logpdf(x, alpha),
                               rtol=1e-12)
    check_all(lambda x, a: cst.dirichlet.logpdf(x, a), x, alpha)
    # d/dalpha = log x - digamma(alpha) + digamma(sum alpha)
    import scipy.special as sps

    g = cr.grad(lambda a: cst.dirichlet.logpdf(x[:, 0], a))(alpha)
    np.testing.assert_allclose(g, np.log(x[:, 0]) - sps.digamma(alpha) + sps.digamma(alpha.sum()),
                               rtol=1e-12)


# --- closed forms: the derivative of a cdf is the pdf --------------------------------------------

CDF_PDF = [
    ("norm", (0.2, 1.3)), ("t", (3.5, 0.2, 1.3)), ("cauchy", (0.2, 1.3)),
    ("laplace", (0.2, 1.3)), ("logistic", (0.2, 1.3)), ("chi2", (3.0,)), ("gamma", (2.5,)),
    ("expon", (0.1, 1.3)), ("beta", (2.0, 3.0)),
]


@pytest.mark.parametrize("name,params", CDF_PDF, ids=[c[0] for c in CDF_PDF])
def test_cdf_derivative_is_pdf(name, params):
    pts = np.array([0.3, 0.45, 0.7]) if name == "beta" else np.array([0.6, 1.5, 2.5])
    d = getattr(cst, name)
    np.testing.assert_allclose(cr.elementwise_grad(lambda x: d.cdf(x, *params))(pts),
                               getattr(ss, name).pdf(pts, *params), rtol=1e-12)
    np.testing.assert_allclose(cr.elementwise_grad(lambda x: d.sf(x, *params))(pts),
                               -getattr(ss, name).pdf(pts, *params), rtol=1e-12)


def test_poisson_cdf_derivative_in_mu():
    # d/dmu P(K <= k) = -pmf(k; mu)
    g = cr.elementwise_grad(lambda mu: cst.poisson.cdf(3.0, mu))(np.array([1.0, 2.5, 4.0]))
    np.testing.assert_allclose(g, -ss.poisson.pmf(3, np.array([1.0, 2.5, 4.0])), rtol=1e-12)


def test_frozen():
    np.testing.assert_allclose(cst.norm(1.0, 2.0).logpdf(0.3), ss.norm(1.0, 2.0).logpdf(0.3))
    np.testing.assert_allclose(cst.gamma(2.0, scale=3.0).cdf(1.5),
                               ss.gamma(2.0, scale=3.0).cdf(1.5))
    g = cr.grad(lambda s: cst.norm(0.0, s).logpdf(1.0))(2.0)
    np.testing.assert_allclose(g, -1 / 2.0 + 1 / 8.0)


def test_log_densities_stable():
    # logcdf of norm and logistic far in the tails: finite values and gradients
    for d in (cst.norm, cst.logistic):
        for x in (-1e3, 1e3):
            assert np.isfinite(d.logcdf(x)) and np.isfinite(cr.grad(d.logcdf)(x))
            assert np.isfinite(cr.grad(cr.grad(d.logcdf))(x))
    np.testing.assert_allclose(cst.norm.logcdf(-1e3), ss.norm.logcdf(-1e3))


# --- no derivative: clear errors ----------------------------------------------------------------

MISSING = [
    ("gamma.cdf", "`a`", lambda a: cst.gamma.cdf(1.5, a)),
    ("gamma.sf", "`a`", lambda a: cst.gamma.sf(1.5, a)),
    ("chi2.cdf", "`df`", lambda df: cst.chi2.cdf(1.5, df)),
    ("t.cdf", "`df`", lambda df: cst.t.cdf(0.5, df)),
    ("t.logsf", "`df`", lambda df: cst.t.logsf(0.5, df)),
    ("beta.cdf", "`a`", lambda a: cst.beta.cdf(0.4, a, 2.0)),
    ("beta.sf", "`b`", lambda b: cst.beta.sf(0.4, 2.0, b)),
    ("nbinom.cdf", "`n`", lambda n: cst.nbinom.cdf(2.0, n, 0.4)),
    ("poisson.logpmf", "`k`", lambda k: cst.poisson.logpmf(k, 2.0)),
    ("poisson.cdf", "`k`", lambda k: cst.poisson.cdf(k, 2.0)),
    ("binom.pmf", "`n`", lambda n: cst.binom.pmf(1.0, n, 0.3)),
    ("binom.cdf", "`n`", lambda n: cst.binom.cdf(1.0, n, 0.3)),
    ("binom.cdf", "`k`", lambda k: cst.binom.cdf(k, 5.0, 0.3)),
]


@pytest.mark.parametrize("fname,arg,f", MISSING, ids=[m[0] + m[1] for m in MISSING])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_missing_derivative_raises(fname, arg, f, mode):
    dist, method = fname.split(".")
    point = 2.0
    with pytest.raises(NotImplementedError, match=f"stats.{dist}.*{arg}"):
        if mode == "rev":
            cr.grad(f)(point)
        else:
            cr.jvp(f, (point,), (1.0,))


def test_lists_complete():
    for name in cst.DIFFERENTIABLE:
        d = getattr(cst, name)
        for m in d.methods:
            assert getattr(getattr(ss, name), m), (name, m)


def test_distributions_import_as_autograd_style_modules():
    import chainrule.scipy.stats.multivariate_normal as mvn
    import chainrule.scipy.stats.norm as norm_module
    import scipy.stats

    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(mvn.logpdf(x, np.zeros(2), np.eye(2)),
                               scipy.stats.multivariate_normal.logpdf(x, np.zeros(2), np.eye(2)))
    np.testing.assert_allclose(norm_module.logpdf(0.5), scipy.stats.norm.logpdf(0.5))
