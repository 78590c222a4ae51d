"""``chainrule.scipy.stats``: densities and distribution functions, differentiable in the point
and in every parameter.

Each distribution is a namespace with SciPy's method names and signatures
(``norm.logpdf(x, loc=0, scale=1)``, ``gamma.cdf(x, a, loc=0, scale=1)``,
``poisson.logpmf(k, mu, loc=0)`` ...); calling it freezes parameters as SciPy does
(``norm(0, 2).logpdf(x)``). Everything is written with the differentiable special functions
of ``chainrule.scipy.special``, so derivatives of any order are exact.

Where a derivative has no closed form -- a CDF in a shape parameter that enters through the
first argument of ``gammainc``/``betainc``/``stdtr`` (``gamma.cdf`` in ``a``, ``t.cdf`` in
``df``, ``binom.cdf`` in ``n`` ...) -- asking for it raises ``NotImplementedError`` naming the
distribution, method and parameter. Discrete points ``k`` of ``poisson``/``binom``/``nbinom``
and the integer ``n`` of ``binom`` have no derivative either and raise the same way. The
derivative in every other argument is available.

Outside a distribution's support the values are SciPy's (-inf log-density, 0 or 1 CDF); a
nonpositive ``scale`` gives NaN, as in SciPy. ``dirichlet`` does not check that ``x`` lies on
the simplex (so that derivatives in any direction are those of the density's formula).

    >>> import chainrule
    >>> float(chainrule.grad(lambda s: norm.logpdf(1.0, 0.0, s))(1.0))  # -1/s + x^2/s^3
    0.0
"""

from __future__ import annotations

import functools
import math

import numpy as _np

from chainrule.core.primitive import Primitive
from chainrule.transforms import stop_gradient

from . import _ops as o
from . import special as sp
from .linalg import cholesky, solve_triangular

_LOG_2PI = math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)
_LOG2 = math.log(2.0)
_NAN = float("nan")
_INF = float("inf")


# --- the namespaces -----------------------------------------------------------------------------

class _Frozen:
    """A distribution with its parameters fixed: ``norm(0.0, 2.0).logpdf(x)``."""

    def __init__(self, dist, args, kwargs) -> None:
        self._dist, self._args, self._kwargs = dist, args, kwargs

    def __getattr__(self, name):
        fn = getattr(self._dist, name)
        return functools.partial(_call_frozen, fn, self._args, self._kwargs)

    def __repr__(self) -> str:
        return f"<frozen chainrule.scipy.stats.{self._dist.name}>"


def _call_frozen(fn, args, kwargs, x):
    return fn(x, *args, **kwargs)


class _Distribution:
    """A namespace of differentiable methods with SciPy's names and signatures."""

    def __init__(self, name: str, **methods) -> None:
        self.name = name
        for m, fn in methods.items():
            fn.__name__ = m
            fn.__qualname__ = f"{name}.{m}"
            setattr(self, m, fn)
        self.methods = sorted(methods)

    def __call__(self, *args, **kwargs):
        return _Frozen(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<chainrule.scipy.stats.{self.name}: {', '.join(self.methods)}>"


# --- helpers ----------------------------------------------------------------------------------

def _f(x):
    return o.as_float(x)


def _nan_unless(val, ok):
    """SciPy's NaN for invalid parameters (``ok`` is a boolean array, no derivative)."""
    return o.where(ok, val, _NAN)


def _std(x, loc, scale):
    return (_f(x) - loc) / scale


def _scale_ok(scale):
    return o.greater(scale, 0.0)


def _log_scale(scale):
    # a nonpositive scale gives NaN through _nan_unless; log sees 1 there (no warning)
    return o.log(o.where(_scale_ok(scale), scale, 1.0))


def _what(dist, method, param):
    return (f"chainrule.scipy.stats.{dist}.{method}", param)


def _guard_rule(g, ans, x, what):
    fname, arg = what
    raise NotImplementedError(
        f"{fname}: the derivative with respect to `{arg}` does not exist ({arg} takes "
        f"integer values only). chainrule does not approximate it by finite differences.")


# Identity on a discrete argument: reaching its derivative raises a clear error instead of
# differentiating a formula that is only meaningful at integers.
_discrete = Primitive("scipy.stats.discrete_argument", lambda x, what: x)
_discrete.defvjp(_guard_rule)
_discrete.defjvp(_guard_rule)
_discrete.defbatch(lambda vals, dims, what: (vals[0], dims[0]))


def _positive_part(z):
    """max(z, 0) with the derivative 0 where z <= 0 (the region where it is constant)."""
    return o.where(o.greater(z, 0.0), z, 0.0)


def _clip01(z):
    return o.where(o.greater(z, 1.0), 1.0, _positive_part(z))


# --- norm -------------------------------------------------------------------------------------

def _norm_logpdf(x, loc=0.0, scale=1.0):
    z = _std(x, loc, scale)
    return _nan_unless(-0.5 * z * z - _log_scale(scale) - 0.5 * _LOG_2PI, _scale_ok(scale))


def _norm_pdf(x, loc=0.0, scale=1.0):
    return o.exp(_norm_logpdf(x, loc, scale))


def _norm_cdf(x, loc=0.0, scale=1.0):
    return _nan_unless(sp.ndtr(_std(x, loc, scale)), _scale_ok(scale))


def _norm_logcdf(x, loc=0.0, scale=1.0):
    return _nan_unless(sp.log_ndtr(_std(x, loc, scale)), _scale_ok(scale))


def _norm_sf(x, loc=0.0, scale=1.0):
    return _nan_unless(sp.ndtr(-_std(x, loc, scale)), _scale_ok(scale))


def _norm_logsf(x, loc=0.0, scale=1.0):
    return _nan_unless(sp.log_ndtr(-_std(x, loc, scale)), _scale_ok(scale))


def _norm_ppf(q, loc=0.0, scale=1.0):
    return _nan_unless(loc + scale * sp.ndtri(_f(q)), _scale_ok(scale))


def _norm_isf(q, loc=0.0, scale=1.0):
    return _nan_unless(loc - scale * sp.ndtri(_f(q)), _scale_ok(scale))


norm = _Distribution("norm", logpdf=_norm_logpdf, pdf=_norm_pdf, cdf=_norm_cdf,
                     logcdf=_norm_logcdf, sf=_norm_sf, logsf=_norm_logsf, ppf=_norm_ppf,
                     isf=_norm_isf)


# --- t ----------------------------------------------------------------------------------------

def _t_logpdf(x, df, loc=0.0, scale=1.0):
    z = _std(x, loc, scale)
    df = _f(df)
    val = (sp.gammaln(0.5 * (df + 1.0)) - sp.gammaln(0.5 * df) - 0.5 * (o.log(df) + _LOG_PI)
           - 0.5 * (df + 1.0) * o.log1p(z * z / df) - _log_scale(scale))
    return _nan_unless(val, _scale_ok(scale))


def _t_pdf(x, df, loc=0.0, scale=1.0):
    return o.exp(_t_logpdf(x, df, loc, scale))


def _t_cdf(x, df, loc=0.0, scale=1.0):
    return _nan_unless(sp.stdtr(df, _std(x, loc, scale), what=_what("t", "cdf", "df")),
                       _scale_ok(scale))


def _t_sf(x, df, loc=0.0, scale=1.0):
    return _nan_unless(sp.stdtr(df, -_std(x, loc, scale), what=_what("t", "sf", "df")),
                       _scale_ok(scale))


def _t_logcdf(x, df, loc=0.0, scale=1.0):
    return o.log(_t_cdf(x, df, loc, scale))


def _t_logsf(x, df, loc=0.0, scale=1.0):
    return o.log(_t_sf(x, df, loc, scale))


t = _Distribution("t", logpdf=_t_logpdf, pdf=_t_pdf, cdf=_t_cdf, logcdf=_t_logcdf, sf=_t_sf,
                  logsf=_t_logsf)


# --- cauchy -------------------------------------------------------------------------------------

def _cauchy_logpdf(x, loc=0.0, scale=1.0):
    z = _std(x, loc, scale)
    return _nan_unless(-_LOG_PI - _log_scale(scale) - o.log1p(z * z), _scale_ok(scale))


def _cauchy_pdf(x, loc=0.0, scale=1.0):
    return o.exp(_cauchy_logpdf(x, loc, scale))


def _cauchy_cdf(x, loc=0.0, scale=1.0):
    return _nan_unless(0.5 + o.arctan(_std(x, loc, scale)) / math.pi, _scale_ok(scale))


def _cauchy_sf(x, loc=0.0, scale=1.0):
    return _nan_unless(0.5 - o.arctan(_std(x, loc, scale)) / math.pi, _scale_ok(scale))


def _cauchy_logcdf(x, loc=0.0, scale=1.0):
    return o.log(_cauchy_cdf(x, loc, scale))


def _cauchy_logsf(x, loc=0.0, scale=1.0):
    return o.log(_cauchy_sf(x, loc, scale))


cauchy = _Distribution("cauchy", logpdf=_cauchy_logpdf, pdf=_cauchy_pdf, cdf=_cauchy_cdf,
                       logcdf=_cauchy_logcdf, sf=_cauchy_sf, logsf=_cauchy_logsf)


# --- laplace ------------------------------------------------------------------------------------
# |z| at z = 0 takes derivative 0 (sign(0) = 0): the density has a corner there.

def _laplace_logpdf(x, loc=0.0, scale=1.0):
    z = _std(x, loc, scale)
    return _nan_unless(-_LOG2 - _log_scale(scale) - o.absolute(z), _scale_ok(scale))


def _laplace_pdf(x, loc=0.0, scale=1.0):
    return o.exp(_laplace_logpdf(x, loc, scale))


def _laplace_cdf_std(z):
    half_tail = 0.5 * o.exp(-o.absolute(z))
    return o.where(o.less(z, 0.0), half_tail, 1.0 - half_tail)


def _laplace_logcdf_std(z):
    tail = -o.absolute(z)
    return o.where(o.less(z, 0.0), tail - _LOG2, o.log1p(-0.5 * o.exp(tail)))


def _laplace_cdf(x, loc=0.0, scale=1.0):
    return _nan_unless(_laplace_cdf_std(_std(x, loc, scale)), _scale_ok(scale))


def _laplace_sf(x, loc=0.0, scale=1.0):
    return _nan_unless(_laplace_cdf_std(-_std(x, loc, scale)), _scale_ok(scale))


def _laplace_logcdf(x, loc=0.0, scale=1.0):
    return _nan_unless(_laplace_logcdf_std(_std(x, loc, scale)), _scale_ok(scale))


def _laplace_logsf(x, loc=0.0, scale=1.0):
    return _nan_unless(_laplace_logcdf_std(-_std(x, loc, scale)), _scale_ok(scale))


def _laplace_ppf(q, loc=0.0, scale=1.0):
    h = _f(q) - 0.5
    return _nan_unless(loc - scale * o.sign(h) * o.log1p(-2.0 * o.absolute(h)),
                       _scale_ok(scale))


laplace = _Distribution("laplace", logpdf=_laplace_logpdf, pdf=_laplace_pdf, cdf=_laplace_cdf,
                        logcdf=_laplace_logcdf, sf=_laplace_sf, logsf=_laplace_logsf,
                        ppf=_laplace_ppf)


# --- logistic -----------------------------------------------------------------------------------

def _logistic_logpdf(x, loc=0.0, scale=1.0):
    z = _std(x, loc, scale)
    # log(e^-z / (1 + e^-z)^2) = -z + 2 log_expit(z): smooth and finite for any z
    return _nan_unless(2.0 * sp.log_expit(z) - z - _log_scale(scale), _scale_ok(scale))


def _logistic_pdf(x, loc=0.0, scale=1.0):
    return o.exp(_logistic_logpdf(x, loc, scale))


def _logistic_cdf(x, loc=0.0, scale=1.0):
    return _nan_unless(sp.expit(_std(x, loc, scale)), _scale_ok(scale))


def _logistic_sf(x, loc=0.0, scale=1.0):
    return _nan_unless(sp.expit(-_std(x, loc, scale)), _scale_ok(scale))


def _logistic_logcdf(x, loc=0.0, scale=1.0):
    return _nan_unless(sp.log_expit(_std(x, loc, scale)), _scale_ok(scale))


def _logistic_logsf(x, loc=0.0, scale=1.0):
    return _nan_unless(sp.log_expit(-_std(x, loc, scale)), _scale_ok(scale))


def _logistic_ppf(q, loc=0.0, scale=1.0):
    return _nan_unless(loc + scale * sp.logit(_f(q)), _scale_ok(scale))


logistic = _Distribution("logistic", logpdf=_logistic_logpdf, pdf=_logistic_pdf,
                         cdf=_logistic_cdf, logcdf=_logistic_logcdf, sf=_logistic_sf,
                         logsf=_logistic_logsf, ppf=_logistic_ppf)


# --- gamma, chi2, expon: support z >= 0 ---------------------------------------------------------

def _halfline_logpdf(z, log_density, scale, ok):
    """log_density(z) on z >= 0 and -inf below; where unused the formula sees a safe z, so
    no NaN reaches a derivative through ``where``."""
    inside = o.less_equal(0.0, z)
    zs = o.where(inside, z, 1.0)
    val = o.where(inside, log_density(zs), -_INF) - _log_scale(scale)
    return _nan_unless(val, o.logical_and(ok, _scale_ok(scale)))


def _gamma_logpdf(x, a, loc=0.0, scale=1.0):
    a = _f(a)
    return _halfline_logpdf(_std(x, loc, scale),
                            lambda z: sp.xlogy(a - 1.0, z) - z - sp.gammaln(a), scale,
                            o.greater(a, 0.0))


def _gamma_pdf(x, a, loc=0.0, scale=1.0):
    return o.exp(_gamma_logpdf(x, a, loc, scale))


def _gamma_cdf(x, a, loc=0.0, scale=1.0):
    z = _positive_part(_std(x, loc, scale))
    return _nan_unless(sp.gammainc(a, z, what=_what("gamma", "cdf", "a")), _scale_ok(scale))


def _gamma_sf(x, a, loc=0.0, scale=1.0):
    z = _positive_part(_std(x, loc, scale))
    return _nan_unless(sp.gammaincc(a, z, what=_what("gamma", "sf", "a")), _scale_ok(scale))


def _gamma_logcdf(x, a, loc=0.0, scale=1.0):
    return o.log(_gamma_cdf(x, a, loc, scale))


def _gamma_logsf(x, a, loc=0.0, scale=1.0):
    return o.log(_gamma_sf(x, a, loc, scale))


gamma = _Distribution("gamma", logpdf=_gamma_logpdf, pdf=_gamma_pdf, cdf=_gamma_cdf,
                      logcdf=_gamma_logcdf, sf=_gamma_sf, logsf=_gamma_logsf)


def _chi2_logpdf(x, df, loc=0.0, scale=1.0):
    h = 0.5 * _f(df)
    return _halfline_logpdf(
        _std(x, loc, scale),
        lambda z: sp.xlogy(h - 1.0, z) - 0.5 * z - h * _LOG2 - sp.gammaln(h), scale,
        o.greater(h, 0.0))


def _chi2_pdf(x, df, loc=0.0, scale=1.0):
    return o.exp(_chi2_logpdf(x, df, loc, scale))


def _chi2_cdf(x, df, loc=0.0, scale=1.0):
    z = _positive_part(_std(x, loc, scale))
    return _nan_unless(sp.gammainc(0.5 * _f(df), 0.5 * z, what=_what("chi2", "cdf", "df")),
                       _scale_ok(scale))


def _chi2_sf(x, df, loc=0.0, scale=1.0):
    z = _positive_part(_std(x, loc, scale))
    return _nan_unless(sp.gammaincc(0.5 * _f(df), 0.5 * z, what=_what("chi2", "sf", "df")),
                       _scale_ok(scale))


def _chi2_logcdf(x, df, loc=0.0, scale=1.0):
    return o.log(_chi2_cdf(x, df, loc, scale))


def _chi2_logsf(x, df, loc=0.0, scale=1.0):
    return o.log(_chi2_sf(x, df, loc, scale))


chi2 = _Distribution("chi2", logpdf=_chi2_logpdf, pdf=_chi2_pdf, cdf=_chi2_cdf,
                     logcdf=_chi2_logcdf, sf=_chi2_sf, logsf=_chi2_logsf)


def _expon_logpdf(x, loc=0.0, scale=1.0):
    return _halfline_logpdf(_std(x, loc, scale), lambda z: -z, scale, True)


def _expon_pdf(x, loc=0.0, scale=1.0):
    return o.exp(_expon_logpdf(x, loc, scale))


def _expon_cdf(x, loc=0.0, scale=1.0):
    z = _positive_part(_std(x, loc, scale))
    return _nan_unless(-o.expm1(-z), _scale_ok(scale))


def _expon_logcdf(x, loc=0.0, scale=1.0):
    return o.log(_expon_cdf(x, loc, scale))


def _expon_sf(x, loc=0.0, scale=1.0):
    z = _positive_part(_std(x, loc, scale))
    return _nan_unless(o.exp(-z), _scale_ok(scale))


def _expon_logsf(x, loc=0.0, scale=1.0):
    z = _positive_part(_std(x, loc, scale))
    return _nan_unless(-z, _scale_ok(scale))


def _expon_ppf(q, loc=0.0, scale=1.0):
    return _nan_unless(loc - scale * o.log1p(-_f(q)), _scale_ok(scale))


expon = _Distribution("expon", logpdf=_expon_logpdf, pdf=_expon_pdf, cdf=_expon_cdf,
                      logcdf=_expon_logcdf, sf=_expon_sf, logsf=_expon_logsf, ppf=_expon_ppf)


# --- beta: support 0 <= z <= 1 ------------------------------------------------------------------

def _beta_logpdf(x, a, b, loc=0.0, scale=1.0):
    a, b = _f(a), _f(b)
    z = _std(x, loc, scale)
    closed = o.logical_and(o.less_equal(0.0, z), o.less_equal(z, 1.0))
    zs = o.where(closed, z, 0.5)
    val = sp.xlogy(a - 1.0, zs) + sp.xlog1py(b - 1.0, -zs) - sp.betaln(a, b) - _log_scale(scale)
    val = o.where(closed, val, -_INF)
    ok = o.logical_and(o.logical_and(o.greater(a, 0.0), o.greater(b, 0.0)), _scale_ok(scale))
    return _nan_unless(val, ok)


def _beta_pdf(x, a, b, loc=0.0, scale=1.0):
    return o.exp(_beta_logpdf(x, a, b, loc, scale))


def _beta_cdf(x, a, b, loc=0.0, scale=1.0):
    z = _clip01(_std(x, loc, scale))
    return _nan_unless(sp.betainc(a, b, z, what=_what("beta", "cdf", ("a", "b"))),
                       _scale_ok(scale))


def _beta_sf(x, a, b, loc=0.0, scale=1.0):
    z = _clip01(_std(x, loc, scale))
    # betaincc(a, b, z) = betainc(b, a, 1 - z)
    return _nan_unless(sp.betainc(b, a, 1.0 - z, what=_what("beta", "sf", ("b", "a"))),
                       _scale_ok(scale))


def _beta_logcdf(x, a, b, loc=0.0, scale=1.0):
    return o.log(_beta_cdf(x, a, b, loc, scale))


def _beta_logsf(x, a, b, loc=0.0, scale=1.0):
    return o.log(_beta_sf(x, a, b, loc, scale))


beta = _Distribution("beta", logpdf=_beta_logpdf, pdf=_beta_pdf, cdf=_beta_cdf,
                     logcdf=_beta_logcdf, sf=_beta_sf, logsf=_beta_logsf)


# --- discrete: poisson, binom, nbinom -----------------------------------------------------------

_DISCRETE = "it takes integer values only"


def _is_count(k):
    """k is a nonnegative integer (no derivative)."""
    return o.logical_and(o.equal(o.floor(k), k), o.less_equal(0.0, k))


def _k(k, loc, dist, method):
    k = _discrete(_f(k), what=_what(dist, method, "k"))
    return k - _discrete(_f(loc), what=_what(dist, method, "loc"))


def _floor(k):
    """floor(k) that still passes k's derivative on (identity slope), so that asking for a
    derivative in a discrete k reaches the rule that raises instead of a silent zero."""
    return k + stop_gradient(o.floor(k) - k)


def _pmf_where(ok_point, val):
    return o.where(ok_point, val, -_INF)


def _poisson_logpmf(k, mu, loc=0):
    k = _k(k, loc, "poisson", "logpmf")
    mu = _f(mu)
    ok = _is_count(k)
    ks = o.where(ok, k, 0.0)
    val = _pmf_where(ok, sp.xlogy(ks, mu) - mu - sp.gammaln(ks + 1.0))
    return _nan_unless(val, o.less_equal(0.0, mu))


def _poisson_pmf(k, mu, loc=0):
    return o.exp(_poisson_logpmf(k, mu, loc))


def _poisson_cdf(k, mu, loc=0):
    k = _floor(_k(k, loc, "poisson", "cdf"))
    ok = o.less_equal(0.0, k)
    ks = o.where(ok, k, 0.0)
    val = sp.gammaincc(ks + 1.0, _f(mu), what=_what("poisson", "cdf", (("k", _DISCRETE),)))
    return o.where(ok, val, 0.0)


def _poisson_sf(k, mu, loc=0):
    k = _floor(_k(k, loc, "poisson", "sf"))
    ok = o.less_equal(0.0, k)
    ks = o.where(ok, k, 0.0)
    val = sp.gammainc(ks + 1.0, _f(mu), what=_what("poisson", "sf", (("k", _DISCRETE),)))
    return o.where(ok, val, 1.0)


def _poisson_logcdf(k, mu, loc=0):
    return o.log(_poisson_cdf(k, mu, loc))


def _poisson_logsf(k, mu, loc=0):
    return o.log(_poisson_sf(k, mu, loc))


poisson = _Distribution("poisson", logpmf=_poisson_logpmf, pmf=_poisson_pmf, cdf=_poisson_cdf,
                        logcdf=_poisson_logcdf, sf=_poisson_sf, logsf=_poisson_logsf)


_NK = (("n` or `k", _DISCRETE), ("k", _DISCRETE))
_KN = (("k", _DISCRETE), ("n` or `k", _DISCRETE))


def _binom_logpmf(k, n, p, loc=0):
    k = _k(k, loc, "binom", "logpmf")
    n = _discrete(_f(n), what=_what("binom", "logpmf", "n"))
    p = _f(p)
    ok = o.logical_and(_is_count(k), o.less_equal(k, n))
    ks = o.where(ok, k, 0.0)
    val = (sp.gammaln(n + 1.0) - sp.gammaln(ks + 1.0) - sp.gammaln(n - ks + 1.0)
           + sp.xlogy(ks, p) + sp.xlog1py(n - ks, -p))
    valid = o.logical_and(o.less_equal(0.0, p), o.less_equal(p, 1.0))
    return _nan_unless(_pmf_where(ok, val), valid)


def _binom_pmf(k, n, p, loc=0):
    return o.exp(_binom_logpmf(k, n, p, loc))


def _binom_cdf(k, n, p, loc=0):
    k = _floor(_k(k, loc, "binom", "cdf"))
    n = _discrete(_f(n), what=_what("binom", "cdf", "n"))
    inside = o.logical_and(o.less_equal(0.0, k), o.less(k, n))
    ks = o.where(inside, k, 0.0)
    ns = o.where(inside, n, 1.0)
    val = sp.betainc(ns - ks, ks + 1.0, 1.0 - _f(p), what=_what("binom", "cdf", _NK))
    return o.where(inside, val, o.where(o.less(k, 0.0), 0.0, 1.0))


def _binom_sf(k, n, p, loc=0):
    k = _floor(_k(k, loc, "binom", "sf"))
    n = _discrete(_f(n), what=_what("binom", "sf", "n"))
    inside = o.logical_and(o.less_equal(0.0, k), o.less(k, n))
    ks = o.where(inside, k, 0.0)
    ns = o.where(inside, n, 1.0)
    val = sp.betainc(ks + 1.0, ns - ks, _f(p), what=_what("binom", "sf", _KN))
    return o.where(inside, val, o.where(o.less(k, 0.0), 1.0, 0.0))


def _binom_logcdf(k, n, p, loc=0):
    return o.log(_binom_cdf(k, n, p, loc))


def _binom_logsf(k, n, p, loc=0):
    return o.log(_binom_sf(k, n, p, loc))


binom = _Distribution("binom", logpmf=_binom_logpmf, pmf=_binom_pmf, cdf=_binom_cdf,
                      logcdf=_binom_logcdf, sf=_binom_sf, logsf=_binom_logsf)


def _nbinom_logpmf(k, n, p, loc=0):
    k = _k(k, loc, "nbinom", "logpmf")
    n, p = _f(n), _f(p)
    ok = _is_count(k)
    ks = o.where(ok, k, 0.0)
    val = (sp.gammaln(n + ks) - sp.gammaln(ks + 1.0) - sp.gammaln(n)
           + sp.xlogy(n, p) + sp.xlog1py(ks, -p))
    valid = o.logical_and(o.greater(n, 0.0),
                          o.logical_and(o.less(0.0, p), o.less_equal(p, 1.0)))
    return _nan_unless(_pmf_where(ok, val), valid)


def _nbinom_pmf(k, n, p, loc=0):
    return o.exp(_nbinom_logpmf(k, n, p, loc))


def _nbinom_cdf(k, n, p, loc=0):
    k = _floor(_k(k, loc, "nbinom", "cdf"))
    ok = o.less_equal(0.0, k)
    ks = o.where(ok, k, 0.0)
    val = sp.betainc(n, ks + 1.0, _f(p), what=_what("nbinom", "cdf", ("n", ("k", _DISCRETE))))
    return o.where(ok, val, 0.0)


def _nbinom_sf(k, n, p, loc=0):
    k = _floor(_k(k, loc, "nbinom", "sf"))
    ok = o.less_equal(0.0, k)
    ks = o.where(ok, k, 0.0)
    val = sp.betainc(ks + 1.0, n, 1.0 - _f(p),
                     what=_what("nbinom", "sf", (("k", _DISCRETE), "n")))
    return o.where(ok, val, 1.0)


def _nbinom_logcdf(k, n, p, loc=0):
    return o.log(_nbinom_cdf(k, n, p, loc))


def _nbinom_logsf(k, n, p, loc=0):
    return o.log(_nbinom_sf(k, n, p, loc))


nbinom = _Distribution("nbinom", logpmf=_nbinom_logpmf, pmf=_nbinom_pmf, cdf=_nbinom_cdf,
                       logcdf=_nbinom_logcdf, sf=_nbinom_sf, logsf=_nbinom_logsf)


# --- dirichlet ----------------------------------------------------------------------------------

def _dirichlet_logpdf(x, alpha):
    """Components on the first axis of ``x`` (SciPy's layout): x is (K,) or (K, ...); with
    K-1 rows the last component is 1 - sum of the others."""
    alpha = _f(alpha)
    x = _f(x)
    k = _np.shape(alpha)[0]
    if _np.shape(x)[0] == k - 1:
        last = 1.0 - o.sum(x, axis=0, keepdims=True)
        x = o.concatenate([x, last], axis=0)
    if _np.shape(x)[0] != k:
        raise ValueError(f"dirichlet: x has {_np.shape(x)[0]} components on its first axis, "
                         f"alpha has {k}")
    a = o.reshape(alpha, (k,) + (1,) * (_np.ndim(x) - 1))
    log_b = o.sum(sp.gammaln(alpha)) - sp.gammaln(o.sum(alpha))
    return o.sum(sp.xlogy(a - 1.0, x), axis=0) - log_b


def _dirichlet_pdf(x, alpha):
    return o.exp(_dirichlet_logpdf(x, alpha))


dirichlet = _Distribution("dirichlet", logpdf=_dirichlet_logpdf, pdf=_dirichlet_pdf)


# --- multivariate_normal ------------------------------------------------------------------------

def _mvn_logpdf(x, mean=None, cov=1, allow_singular=False):
    """Points on the last axis of ``x``. ``cov`` is a scalar, a vector (diagonal) or a
    matrix, read through its lower triangle (as SciPy's eigh does); a Cholesky factor gives
    the log-determinant and the Mahalanobis distance."""
    if allow_singular:
        raise NotImplementedError("chainrule.scipy.stats.multivariate_normal.logpdf: "
                                  "allow_singular=True is not supported")
    cov = _f(cov)
    x = _f(x)
    dim = (_np.shape(mean)[-1] if mean is not None and _np.ndim(mean) else
           _np.shape(cov)[-1] if _np.ndim(cov) else None)
    if dim is None:
        dim = 1 if _np.ndim(x) <= 1 else _np.shape(x)[-1]
    # SciPy's quantile layout: a 1-d x is one point unless the dimension is 1.
    if _np.ndim(x) == 0:
        x = o.reshape(x, (1,))
    if _np.ndim(x) == 1 and dim == 1 and _np.shape(x)[0] != 1:
        x = o.expand_dims(x, -1)
    d = x if mean is None else x - _f(mean)
    if _np.ndim(cov) == 0:
        maha = o.sum(d * d, axis=-1) / cov
        logdet = dim * o.log(cov)
    elif _np.ndim(cov) == 1:
        maha = o.sum(d * d / cov, axis=-1)
        logdet = o.sum(o.log(cov))
    else:
        L = cholesky(cov, lower=True)
        flat = o.reshape(d, (-1, dim))
        z = solve_triangular(L, o.transpose(flat), lower=True)
        maha = o.reshape(o.sum(z * z, axis=0), _np.shape(d)[:-1])
        logdet = 2.0 * o.sum(o.log(o.diagonal(L)))
    return -0.5 * (dim * _LOG_2PI + logdet + maha)


def _mvn_pdf(x, mean=None, cov=1, allow_singular=False):
    return o.exp(_mvn_logpdf(x, mean, cov, allow_singular))


multivariate_normal = _Distribution("multivariate_normal", logpdf=_mvn_logpdf, pdf=_mvn_pdf)


DIFFERENTIABLE = [
    "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "laplace", "logistic",
    "multivariate_normal", "nbinom", "norm", "poisson", "t",
]
NONDIFFERENTIABLE: list = []


def _register_submodule_aliases() -> None:
    """``import chainrule.scipy.stats.norm as norm`` works, as it does for autograd's
    ``autograd.scipy.stats.norm`` modules: each distribution is also importable by name."""
    import sys

    for name in ("beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson",
                 "t"):
        sys.modules.setdefault(f"{__name__}.{name}", globals()[name])


_register_submodule_aliases()
