"""``chainrule.scipy.special``: SciPy's special functions, differentiable to any order.

Why these rules: each function is a primitive that calls ``scipy.special`` for its value, and
its derivative is written with other special functions that are themselves primitives here
(d gammaln = digamma, d digamma = polygamma(1, .), Bessel functions by their recurrences, d erf
= a Gaussian ...). So a derivative of any order is exact, never a finite difference.

Where a derivative has no closed form and no SciPy function -- the shape parameter ``a`` of
``gammainc``, the order ``v`` of a Bessel function, the exponent ``x`` of ``zeta`` -- asking
for it raises ``NotImplementedError`` naming the function and the argument (the derivative in
the other arguments still works). It is never a silent zero.

Stability: ``logsumexp``, ``softmax``, ``log_softmax``, ``log_expit`` and ``log_ndtr`` give
finite values and finite first and second derivatives for inputs of magnitude 1e3 and beyond
(logsumexp shifts by a maximum taken as a constant, which cancels in every derivative;
``log_ndtr``'s derivative, the ratio pdf/cdf, is computed through ``erfcx`` in the lower tail).

    >>> import chainrule
    >>> float(chainrule.grad(gammaln)(3.0))  # digamma(3) = 1.5 - euler_gamma
    0.9227843350984671
"""

from __future__ import annotations

import math

import numpy as _np
import scipy.special as _sp

from chainrule.core.batching import batch_elementwise
from chainrule.core.primitive import Primitive
from chainrule.core.trace import Tracer, getval
from chainrule.rules._util import unbroadcast

from . import _ops as o

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_PI = math.log(math.pi)


class _NoDerivative:
    """A rule slot for an argument with no derivative available: raises when reached.

    ``what`` (a static param some primitives take) lets a caller such as
    ``stats.gamma.cdf`` put its own name in the message: ``what = (function, names)`` where
    ``names`` is None (keep this argument's name), a name, or a tuple with one entry per
    argument position, each a name or a ``(name, reason)`` pair.
    """

    def __init__(self, fname: str, argname: str, reason: str) -> None:
        self.fname, self.argname, self.reason = fname, argname, reason
        self.index = 0

    def __call__(self, g, ans, *args, what=None, **params):
        fname, argname, reason = self.fname, self.argname, self.reason
        if what is not None:
            fname, names = what
            if isinstance(names, tuple):
                names = names[self.index] if self.index < len(names) else None
            if isinstance(names, tuple):
                names, reason = names
            argname = names or argname
        raise NotImplementedError(
            f"{fname}: the derivative with respect to `{argname}` is not available "
            f"({reason}). chainrule does not approximate it by finite differences; "
            f"hold `{argname}` constant (e.g. chainrule.stop_gradient) to differentiate in "
            f"the other arguments.")


def _nary(name: str, impl, *derivs, what_param: bool = False):
    """An elementwise primitive of several arguments wrapping ``impl``.

    ``derivs[i](ans, *args)`` is the partial derivative in argument ``i``, written in
    differentiable ops, or a ``_NoDerivative``. With ``what_param`` the primitive takes a
    static ``what=(function, argument)`` used only in error messages.
    """
    if what_param:
        def call(*args, what=None):
            return impl(*args)

        p = Primitive(f"scipy.special.{name}", call)
    else:
        p = Primitive(f"scipy.special.{name}", impl)
    p.defbatch(batch_elementwise(p))
    vjps, jvps = [], []
    for i, d in enumerate(derivs):
        if d is None or isinstance(d, _NoDerivative):
            if d is not None:
                d.index = i
            vjps.append(d)
            jvps.append(d)
        else:
            vjps.append(_vjp_of(d, i))
            jvps.append(_jvp_of(d))
    p.defvjp(*vjps)
    p.defjvp(*jvps)
    p.__doc__ = f"``scipy.special.{name}``; differentiable (see chainrule.scipy.special)."
    return p


def _vjp_of(d, i):
    def vjp(g, ans, *args, what=None):
        return unbroadcast(g * d(ans, *args), args[i])

    return vjp


def _jvp_of(d):
    def jvp(g, ans, *args, what=None):
        return g * d(ans, *args)

    return jvp


def _binary(name, impl, d0, d1, argnames=None, what_param=False):
    return _nary(name, impl, d0, d1, what_param=what_param)


def _unary(name, impl, d):
    p = Primitive(f"scipy.special.{name}", impl)
    p.defbatch(batch_elementwise(p))

    def rule(g, ans, x):
        return g * d(ans, x)

    p.defvjp(rule)
    p.defjvp(rule)
    p.__doc__ = (f"``scipy.special.{name}``; differentiable to any order "
                 "(see chainrule.scipy.special).")
    return p


def _integer_order(fname, argname="n"):
    return _NoDerivative(f"chainrule.scipy.special.{fname}", argname,
                         "it is an integer order")


def _no_closed_form(fname, argname):
    return _NoDerivative(f"chainrule.scipy.special.{fname}", argname,
                         "it has no closed form and SciPy has no function for it")


# --- gamma family -----------------------------------------------------------------------------

gamma = _unary("gamma", _sp.gamma, lambda ans, x: ans * digamma(x))
gammaln = _unary("gammaln", _sp.gammaln, lambda ans, x: digamma(x))
rgamma = _unary("rgamma", _sp.rgamma, lambda ans, x: -ans * digamma(x))
digamma = _unary("digamma", _sp.digamma, lambda ans, x: polygamma(1, x))
psi = digamma
polygamma = _binary("polygamma", _sp.polygamma, _integer_order("polygamma"),
                    lambda ans, n, x: polygamma(n + 1, x), ("n", "x"))


def multigammaln(a, d):
    """``scipy.special.multigammaln(a, d)``: the log of the multivariate gamma function of
    dimension ``d`` (an integer), a sum of ``gammaln``; differentiable in ``a``."""
    d = int(d)
    if d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer, got {d}")
    v = getval(a)
    if not isinstance(v, Tracer) and _np.any(_np.asarray(v) <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: condition a ({v}) > 0.5 * (d-1) ({0.5 * (d - 1)}) "
                         "not met")
    a = o.as_float(a)
    shifts = 0.5 * _np.arange(d)
    terms = gammaln(o.expand_dims(a, -1) - shifts)
    return o.sum(terms, axis=-1) + 0.25 * d * (d - 1) * _LOG_PI


beta = _binary("beta", _sp.beta,
               lambda ans, a, b: ans * (digamma(a) - digamma(a + b)),
               lambda ans, a, b: ans * (digamma(b) - digamma(a + b)), ("a", "b"))
betaln = _binary("betaln", _sp.betaln,
                 lambda ans, a, b: digamma(a) - digamma(a + b),
                 lambda ans, a, b: digamma(b) - digamma(a + b), ("a", "b"))


def _gammainc_dx(ans, a, x):
    # x**(a-1) exp(-x) / Gamma(a), in logs so that large a and x stay finite.
    return o.exp(xlogy(a - 1.0, x) - x - gammaln(a))


_gammainc_p = _binary("gammainc", _sp.gammainc, _no_closed_form("gammainc", "a"),
                      _gammainc_dx, ("a", "x"), what_param=True)
_gammaincc_p = _binary("gammaincc", _sp.gammaincc, _no_closed_form("gammaincc", "a"),
                       lambda ans, a, x: -_gammainc_dx(ans, a, x), ("a", "x"),
                       what_param=True)


def gammainc(a, x, *, what=None):
    """``scipy.special.gammainc(a, x)``, the regularized lower incomplete gamma function.
    Differentiable in ``x``; in ``a`` it raises NotImplementedError (no closed form)."""
    return _gammainc_p(a, x, what=what)


def gammaincc(a, x, *, what=None):
    """``scipy.special.gammaincc(a, x)``, the regularized upper incomplete gamma function.
    Differentiable in ``x``; in ``a`` it raises NotImplementedError (no closed form)."""
    return _gammaincc_p(a, x, what=what)


def _betainc_dx(ans, a, b, x):
    return o.exp(xlogy(a - 1.0, x) + xlog1py(b - 1.0, -x) - betaln(a, b))


_betainc_p = _nary("betainc", _sp.betainc, _no_closed_form("betainc", "a"),
                   _no_closed_form("betainc", "b"), _betainc_dx, what_param=True)


def betainc(a, b, x, *, what=None):
    """``scipy.special.betainc(a, b, x)``, the regularized incomplete beta function.
    Differentiable in ``x``; in ``a`` and ``b`` it raises NotImplementedError."""
    return _betainc_p(a, b, x, what=what)


def _stdtr_dt(ans, df, t):
    # the Student t density at t
    return o.exp(gammaln(0.5 * (df + 1.0)) - gammaln(0.5 * df) - 0.5 * o.log(df * math.pi)
                 - 0.5 * (df + 1.0) * o.log1p(t * t / df))


_stdtr_p = _binary("stdtr", _sp.stdtr, _no_closed_form("stdtr", "df"), _stdtr_dt,
                   ("df", "t"), what_param=True)


def stdtr(df, t, *, what=None):
    """``scipy.special.stdtr(df, t)``, the Student t CDF. Differentiable in ``t``; in ``df``
    it raises NotImplementedError (no closed form)."""
    return _stdtr_p(df, t, what=what)


# --- error function family ----------------------------------------------------------------------

_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI

erf = _unary("erf", _sp.erf, lambda ans, x: _TWO_OVER_SQRT_PI * o.exp(-x * x))
erfc = _unary("erfc", _sp.erfc, lambda ans, x: -_TWO_OVER_SQRT_PI * o.exp(-x * x))
erfcx = _unary("erfcx", _sp.erfcx, lambda ans, x: 2.0 * x * ans - _TWO_OVER_SQRT_PI)
erfinv = _unary("erfinv", _sp.erfinv, lambda ans, x: 0.5 * _SQRT_PI * o.exp(ans * ans))
erfcinv = _unary("erfcinv", _sp.erfcinv, lambda ans, x: -0.5 * _SQRT_PI * o.exp(ans * ans))
ndtr = _unary("ndtr", _sp.ndtr, lambda ans, x: o.exp(-0.5 * x * x) / _SQRT_2PI)
ndtri = _unary("ndtri", _sp.ndtri, lambda ans, x: _SQRT_2PI * o.exp(0.5 * ans * ans))


def _norm_hazard_ratio(x):
    """pdf(x) / cdf(x) of the standard normal, finite and accurate in both tails.

    For x < 0, cdf(x) = erfcx(-x/sqrt 2) * exp(-x^2/2) / 2, so the ratio is
    sqrt(2/pi) / erfcx(-x/sqrt 2) with no underflow; for x >= 0 the plain ratio is safe.
    Each branch sees a harmless input where it is not chosen, so no NaN leaks into
    derivatives through ``where``.
    """
    neg = o.less(x, 0.0)
    x_neg = o.where(neg, x, -1.0)
    x_pos = o.where(neg, 1.0, x)
    lower = math.sqrt(2.0 / math.pi) / erfcx(-x_neg / _SQRT_2)
    upper = o.exp(-0.5 * x_pos * x_pos) / _SQRT_2PI / ndtr(x_pos)
    return o.where(neg, lower, upper)


log_ndtr = _unary("log_ndtr", _sp.log_ndtr, lambda ans, x: _norm_hazard_ratio(x))


# --- logistic family ------------------------------------------------------------------------------

expit = _unary("expit", _sp.expit, lambda ans, x: ans * (1.0 - ans))
logit = _unary("logit", _sp.logit, lambda ans, x: 1.0 / (x * (1.0 - x)))
# d log_expit(x) = expit(-x): exact and finite for |x| large, unlike 1 - expit(x).
log_expit = _unary("log_expit", _sp.log_expit, lambda ans, x: expit(-x))
log1p = _unary("log1p", _sp.log1p, lambda ans, x: 1.0 / (1.0 + x))
expm1 = _unary("expm1", _sp.expm1, lambda ans, x: ans + 1.0)


def _norm_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``scipy.special.logsumexp``: log(sum(b * exp(a))) over ``axis``, without overflow.

    The maximum of ``a`` is subtracted as a constant shift (it cancels in every derivative),
    so values, gradients and higher derivatives stay finite for inputs of any magnitude.
    With ``return_sign`` returns ``(log|s|, sign(s))``; the sign carries no derivative.
    """
    axis = _norm_axis(axis)
    a = o.as_float(a)
    if b is not None:
        b = o.as_float(b)
        shape = _np.broadcast_shapes(_np.shape(a), _np.shape(b))
        if shape != _np.shape(a):
            a = o.broadcast_to(a, shape)
    m = o.max_const(a, axis=axis, keepdims=True)
    m = o.where(o.isfinite(m), m, 0.0)
    e = o.exp(a - m)
    if b is not None:
        e = b * e
    s = o.sum(e, axis=axis, keepdims=True)
    sgn = None
    if return_sign:
        sgn = o.sign(s)
        s = o.absolute(s)
    out = o.log(s) + m
    if not keepdims:
        out = o.squeeze(out, axis=_squeezed(axis, _np.ndim(a)))
        if sgn is not None:
            sgn = o.squeeze(sgn, axis=_squeezed(axis, _np.ndim(a)))
    return (out, sgn) if return_sign else out


def _squeezed(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim for a in axes)


def _shifted(x, axis):
    """``x - max(x)`` (the max a constant shift) and the sum of its exponentials."""
    m = o.max_const(x, axis=axis, keepdims=True)
    z = x - o.where(o.isfinite(m), m, 0.0)
    return z, o.sum(o.exp(z), axis=axis, keepdims=True)


def softmax(x, axis=None):
    """``scipy.special.softmax``: exp(x - max) / sum(exp(x - max)) along ``axis``; the max
    is a constant shift, so values and derivatives are finite for any x."""
    z, s = _shifted(o.as_float(x), _norm_axis(axis))
    return o.exp(z) / s


def log_softmax(x, axis=None):
    """``scipy.special.log_softmax``: (x - max) - log(sum(exp(x - max))) along ``axis``;
    stable for any x."""
    z, s = _shifted(o.as_float(x), _norm_axis(axis))
    return z - o.log(s)


# --- x log y family ------------------------------------------------------------------------------

# d/dy xlogy = x / y: 0 where x == 0 and y != 0 (matching xlogy(0, y) = 0); at x = y = 0 the
# function is singular and the derivative is NaN, as is d/dx = log(0) = -inf.
xlogy = _binary("xlogy", _sp.xlogy, lambda ans, x, y: o.log(y), lambda ans, x, y: x / y,
                ("x", "y"))
xlog1py = _binary("xlog1py", _sp.xlog1py, lambda ans, x, y: o.log1p(y),
                  lambda ans, x, y: x / (1.0 + y), ("x", "y"))
# entr(x) = -x log x; at x = 0 its derivative is +inf (the one-sided limit).
entr = _unary("entr", _sp.entr, lambda ans, x: -(o.log(x) + 1.0))
rel_entr = _binary("rel_entr", _sp.rel_entr,
                   lambda ans, x, y: o.log(x) - o.log(y) + 1.0, lambda ans, x, y: -x / y,
                   ("x", "y"))
kl_div = _binary("kl_div", _sp.kl_div, lambda ans, x, y: o.log(x) - o.log(y),
                 lambda ans, x, y: 1.0 - x / y, ("x", "y"))


# --- Bessel functions: derivatives by the three-term recurrences -------------------------------
#   J_v' = (J_{v-1} - J_{v+1}) / 2,   Y_v' likewise,   I_v' = (I_{v-1} + I_{v+1}) / 2,
#   K_v' = -(K_{v-1} + K_{v+1}) / 2,  and the exponentially scaled forms by the product rule.
# These are finite at x = 0 (unlike J_1' = J_0 - J_1/x) and hold for every real order.

j0 = _unary("j0", _sp.j0, lambda ans, x: -j1(x))
j1 = _unary("j1", _sp.j1, lambda ans, x: 0.5 * (j0(x) - jn(2, x)))
jn = _binary("jn", _sp.jn, _integer_order("jn"),
             lambda ans, n, x: 0.5 * (jn(n - 1, x) - jn(n + 1, x)), ("n", "x"))
jv = _binary("jv", _sp.jv, _no_closed_form("jv", "v"),
             lambda ans, v, x: 0.5 * (jv(v - 1.0, x) - jv(v + 1.0, x)), ("v", "x"))
y0 = _unary("y0", _sp.y0, lambda ans, x: -y1(x))
y1 = _unary("y1", _sp.y1, lambda ans, x: 0.5 * (y0(x) - yn(2, x)))
yn = _binary("yn", _sp.yn, _integer_order("yn"),
             lambda ans, n, x: 0.5 * (yn(n - 1, x) - yn(n + 1, x)), ("n", "x"))
yv = _binary("yv", _sp.yv, _no_closed_form("yv", "v"),
             lambda ans, v, x: 0.5 * (yv(v - 1.0, x) - yv(v + 1.0, x)), ("v", "x"))
i0 = _unary("i0", _sp.i0, lambda ans, x: i1(x))
i1 = _unary("i1", _sp.i1, lambda ans, x: 0.5 * (i0(x) + iv(2.0, x)))
iv = _binary("iv", _sp.iv, _no_closed_form("iv", "v"),
             lambda ans, v, x: 0.5 * (iv(v - 1.0, x) + iv(v + 1.0, x)), ("v", "x"))
# The scaled forms carry exp(-|x|): the sign(x) term takes sign(0) = 0 at x = 0, where the
# function has a kink (a corner) for v = 0.
i0e = _unary("i0e", _sp.i0e, lambda ans, x: i1e(x) - o.sign(x) * ans)
i1e = _unary("i1e", _sp.i1e, lambda ans, x: 0.5 * (i0e(x) + ive(2.0, x)) - o.sign(x) * ans)
ive = _binary("ive", _sp.ive, _no_closed_form("ive", "v"),
              lambda ans, v, x: 0.5 * (ive(v - 1.0, x) + ive(v + 1.0, x)) - o.sign(x) * ans,
              ("v", "x"))
k0 = _unary("k0", _sp.k0, lambda ans, x: -k1(x))
k1 = _unary("k1", _sp.k1, lambda ans, x: -0.5 * (k0(x) + kv(2.0, x)))
kv = _binary("kv", _sp.kv, _no_closed_form("kv", "v"),
             lambda ans, v, x: -0.5 * (kv(v - 1.0, x) + kv(v + 1.0, x)), ("v", "x"))
k0e = _unary("k0e", _sp.k0e, lambda ans, x: ans - k1e(x))
k1e = _unary("k1e", _sp.k1e, lambda ans, x: ans - 0.5 * (k0e(x) + kve(2.0, x)))
kve = _binary("kve", _sp.kve, _no_closed_form("kve", "v"),
              lambda ans, v, x: ans - 0.5 * (kve(v - 1.0, x) + kve(v + 1.0, x)), ("v", "x"))


# --- spherical Bessel functions and sinc ---------------------------------------------------------
# (2n+1) f_n' = n f_{n-1} - (n+1) f_{n+1} for j and y, n i_{n-1} + (n+1) i_{n+1} for i, and
# -(n k_{n-1} + (n+1) k_{n+1}) for k. The n f_{n-1} term is written with order max(n-1, 0), so
# n = 0 never evaluates an order -1 (its coefficient is 0 there).

def _lower(n):
    return o.where(o.greater(n, 0), n - 1, 0)


def _sph(name, impl, s_lo, s_hi):
    def deriv(ans, n, z):
        return (s_lo * n * prim(_lower(n), z) + s_hi * (n + 1) * prim(n + 1, z)) / (2 * n + 1)

    prim = _binary(f"spherical_{name}", impl, _integer_order(f"spherical_{name}"), deriv,
                   ("n", "z"))
    return prim, deriv


_sph_jn, _dsph_jn = _sph("jn", _sp.spherical_jn, 1.0, -1.0)
_sph_yn, _dsph_yn = _sph("yn", _sp.spherical_yn, 1.0, -1.0)
_sph_in, _dsph_in = _sph("in", _sp.spherical_in, 1.0, 1.0)
_sph_kn, _dsph_kn = _sph("kn", _sp.spherical_kn, -1.0, -1.0)


def _spherical(prim, deriv, name):
    def f(n, z, derivative=False):
        if derivative:
            return deriv(None, n, z)
        return prim(n, z)

    f.__name__ = f"spherical_{name}"
    f.__doc__ = (f"``scipy.special.spherical_{name}(n, z, derivative=False)``; differentiable "
                 "in z to any order (also with derivative=True); n is an integer order.")
    return f


spherical_jn = _spherical(_sph_jn, _dsph_jn, "jn")
spherical_yn = _spherical(_sph_yn, _dsph_yn, "yn")
spherical_in = _spherical(_sph_in, _dsph_in, "in")
spherical_kn = _spherical(_sph_kn, _dsph_kn, "kn")

# sinc(x) = sin(pi x)/(pi x) = spherical_jn(0, pi x): its derivative -pi j_1(pi x) is smooth
# at x = 0, so every derivative order is exact there too.
sinc = _unary("sinc", _np.sinc, lambda ans, x: -math.pi * _sph_jn(1, math.pi * x))


# --- zeta ----------------------------------------------------------------------------------------

_hurwitz = _binary("zeta", _sp.zeta, _no_closed_form("zeta", "x"),
                   lambda ans, x, q: -x * _hurwitz(x + 1.0, q), ("x", "q"))
_riemann = _nary("zeta_riemann", _sp.zeta, _no_closed_form("zeta", "x"))


def zeta(x, q=None):
    """``scipy.special.zeta(x, q=None)``: the Hurwitz (or, without q, Riemann) zeta function.
    Differentiable in ``q`` (d/dq zeta(x, q) = -x zeta(x+1, q)); in ``x`` it raises
    NotImplementedError (no closed form)."""
    if q is None:
        return _riemann(x)
    return _hurwitz(x, q)


# --- not differentiable: integer-valued or piecewise constant ------------------------------------

def _nondiff(name):
    fn = getattr(_sp, name)

    def f(*args, **kwargs):
        return fn(*[getval(a) for a in args], **kwargs)

    f.__name__ = name
    f.__doc__ = f"``scipy.special.{name}``; not differentiable (piecewise constant)."
    return f


gammasgn = _nondiff("gammasgn")
factorial = _nondiff("factorial")
comb = _nondiff("comb")

DIFFERENTIABLE = [
    "beta", "betainc", "betaln", "digamma", "entr", "erf", "erfc", "erfcinv", "erfcx", "erfinv",
    "expit", "expm1", "gamma", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e",
    "iv", "ive", "j0", "j1", "jn", "jv", "k0", "k0e", "k1", "k1e", "kl_div", "kv", "kve",
    "log1p", "log_expit", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln",
    "ndtr", "ndtri", "polygamma", "psi", "rel_entr", "rgamma", "sinc", "softmax",
    "spherical_in", "spherical_jn", "spherical_kn", "spherical_yn", "stdtr", "xlog1py",
    "xlogy", "y0", "y1", "yn", "yv", "zeta",
]
NONDIFFERENTIABLE = ["comb", "factorial", "gammasgn"]


def _register_ufuncs() -> None:
    """Map SciPy's ufunc objects to our functions, so that the core can route
    ``scipy.special.gammaln(tracer)`` here (see notes/core-bugs/scipy-1.md)."""
    from chainrule.core import tracer_ops

    g = globals()
    for name in DIFFERENTIABLE:
        fn = getattr(_sp, name, None)
        if isinstance(fn, _np.ufunc):
            tracer_ops.function_map[fn] = g[name]


_register_ufuncs()
