"""Elementwise primitives: NumPy's arithmetic and math ufuncs, with broadcasting.

Why one table: a unary elementwise op is fully described by its derivative f'(x) (written
with ``ans`` where that is cheaper); VJP and JVP are both ``g * f'(x)``, and batching is
NumPy broadcasting after aligning example axes. Binary ops give one partial derivative per
argument and undo broadcasting in their VJPs. Every derivative is written with chainrule's
own functions, so it can be differentiated again (every order works).

Complex convention (autograd's and JAX's; see docs/complex.md): rules are transposes, not
adjoints -- a VJP multiplies by f'(z), never by conj(f'(z)). A cotangent ``c`` of ``z``
stands for the linear map ``dz -> Re(sum(c * dz))``; so a real input keeps only the real
part of its cotangent (``_fit``), and for a real-valued f of complex z,
``grad(f)(z) = df/dx - i df/dy``.

Undefined derivatives follow docs/conventions.md: abs'(0) = 0, sqrt'(0) = cbrt'(0) = +inf,
maximum/minimum ties share the derivative evenly (1/2 each), clip passes the derivative to
``x`` on the closed interval [lo, hi], rounding, sign and comparisons have zero derivative.

    >>> sin(0.0), cos(0.0)
    (np.float64(0.0), np.float64(1.0))
"""

from __future__ import annotations

import numpy as _np
from numpy._core.multiarray import count_nonzero as _count_nonzero  # no Python dispatch

from ..core.batching import batch_elementwise
from ..core.primitive import Primitive, defbilinear, deflinear
from ..core.trace import Tracer, dtype_of
from ._util import unbroadcast


def elementwise(name: str, impl) -> Primitive:
    p = Primitive(name, impl)
    p.defbatch(batch_elementwise(p))
    return p


def _is_complex(x) -> bool:
    return dtype_of(x).kind == "c"


def _fit(c, x):
    """The cotangent ``c`` made fit for input ``x``: a real input keeps the real part only
    (the pairing is Re(c * dx)); a complex input gets a complex cotangent."""
    if c is None:
        return c
    try:  # attribute access first: this runs in every elementwise VJP
        dc = c.dtype
        dx = x.dtype
    except AttributeError:
        dc = dtype_of(c)
        dx = dtype_of(x)
    if dc is dx:  # the common case: nothing to do
        return c
    if dc.kind == "c":
        if dx.kind != "c":
            return real(c)
    elif dx.kind == "c":
        return c * (1 + 0j)
    return c


def _unbroadcast(c, x):
    try:  # the common case, checked inline: same shape and dtype, nothing to do
        if c.shape == x.shape and c.dtype is x.dtype:
            return c
    except AttributeError:
        pass
    return _fit(unbroadcast(c, x), x)


def defunary(p: Primitive, deriv=None, reads: str = "ans, x", *, reciprocal=None) -> Primitive:
    """Give a unary elementwise primitive its rules from ``deriv(ans, x) = f'(x)``, or from
    ``reciprocal(ans, x) = 1 / f'(x)`` (log, arctan, ...: ``g / r`` is one pass and one
    rounding where ``g * (1 / r)`` takes two). ``reads`` names what they read ("ans", "x" or
    both): the tape keeps only that."""
    p.defresiduals("ans" in reads, ("x" in reads,))
    if reciprocal is not None:
        p.defvjp(lambda g, ans, x: _fit(g / reciprocal(ans, x), x))
        p.defjvp(lambda g, ans, x: g / reciprocal(ans, x))
        return p

    def vjp(g, ans, x):
        c = g * deriv(ans, x)
        try:  # the common case, checked inline: the dtype already fits
            if c.dtype is x.dtype:
                return c
        except AttributeError:
            pass
        return _fit(c, x)

    p.defvjp(vjp)
    p.defjvp(lambda g, ans, x: g * deriv(ans, x))
    return p


def _no_contribution(g, ans, *args, **params):
    return None  # a zero derivative: the trace skips it


def defbinary(p: Primitive, dx, dy) -> Primitive:
    """Rules of a binary elementwise primitive from its partials ``dx(ans, x, y)``,
    ``dy(ans, x, y)`` (None: the partial is identically zero)."""
    p.defvjp(_no_contribution if dx is None else
             lambda g, ans, x, y: _unbroadcast(g * dx(ans, x, y), x),
             _no_contribution if dy is None else
             lambda g, ans, x, y: _unbroadcast(g * dy(ans, x, y), y))
    p.defjvp(_no_contribution if dx is None else lambda g, ans, x, y: g * dx(ans, x, y),
             _no_contribution if dy is None else lambda g, ans, x, y: g * dy(ans, x, y))
    return p


def _nondiff_elementwise(name, impl):
    p = Primitive(name, impl, nondiff=True)
    p.defbatch(batch_elementwise(p))
    return p


def _safe_nonzero(x):
    """``x`` with its zeros replaced by ones, so that a division by it is always finite."""
    return where_p(equal(x, 0), 1.0, x)


# --- dtype conversion ----------------------------------------------------------------------

def _astype(x, dtype):
    # keeps the array type (CuPy, Dask): only scalars and lists go through numpy.asarray
    return x.astype(dtype) if hasattr(x, "astype") else _np.asarray(x, dtype=dtype)


def _convert_impl(x, dtype):
    return _astype(x, dtype)


def _convert_vjp(g, ans, x, dtype):
    # the transpose casts back to x's dtype (complex -> real keeps the real part)
    return cast(_fit(g, x), dtype_of(x))


def _convert_batch(vals, dims, dtype):
    return convert_dtype(vals[0], dtype=dtype), dims[0]


convert_dtype = deflinear(Primitive("convert_dtype", _convert_impl), _convert_vjp)
convert_dtype.defresiduals(False, (False,))
convert_dtype.defbatch(_convert_batch)
convert_dtype.__doc__ = """``convert_dtype(x, dtype=float32)``: ``x`` cast to ``dtype``,
differentiable between inexact dtypes; the cotangent is cast back to ``x``'s dtype."""


def cast(x, dtype):
    """``x`` as ``dtype``; a no-op when it already is; plain values go through NumPy."""
    dtype = _np.dtype(dtype)
    if not isinstance(x, Tracer):
        return _astype(x, dtype)
    return x if x.dtype == dtype else convert_dtype(x, dtype=dtype)


# --- arithmetic ---------------------------------------------------------------------------

# add and subtract are jointly linear: each argument's tangent passes through (broadcast by
# the forward trace), and each VJP undoes the broadcast.
add = elementwise("add", _np.add)
add.defvjp(lambda g, ans, x, y: _unbroadcast(g, x), lambda g, ans, x, y: _unbroadcast(g, y))
add.defjvp(lambda g, ans, x, y: g, lambda g, ans, x, y: g)
add.defresiduals(False, (False, False))  # the VJPs read shapes and dtypes only
subtract = elementwise("subtract", _np.subtract)
subtract.defvjp(lambda g, ans, x, y: _unbroadcast(g, x),
                lambda g, ans, x, y: -_unbroadcast(g, y))  # negate after summing: less work
subtract.defjvp(lambda g, ans, x, y: g, lambda g, ans, x, y: negative(g))
subtract.defresiduals(False, (False, False))
negative = deflinear(elementwise("negative", _np.negative), lambda g, ans, x: _fit(negative(g), x))
negative.defresiduals(False, (False,))
positive = deflinear(elementwise("positive", _np.positive), lambda g, ans, x: _fit(g, x))
positive.defresiduals(False, (False,))
multiply = defbilinear(elementwise("multiply", _np.multiply),
                       lambda g, ans, x, y: _unbroadcast(g * y, x),
                       lambda g, ans, x, y: _unbroadcast(g * x, y))
multiply.defresiduals(False, (True, True))
divide = elementwise("divide", _np.divide)
divide.defvjp(
    lambda g, ans, x, y: _unbroadcast(g / y, x),
    lambda g, ans, x, y: _unbroadcast(negative(g) * ans / y, y),
)
divide.defjvp(
    lambda g, ans, x, y: g / y,
    lambda g, ans, x, y: negative(g) * ans / y,
)
divide.defresiduals(True, (False, True))
true_divide = divide


def _dpow_dbase(ans, x, y):
    # y * x**(y-1). Where y == 0 the derivative is 0 everywhere: the exponent is moved off
    # -1 there so that differentiating again never meets 0 * x**-1 = nan at x = 0.
    if type(y) in (int, float):
        if y == 2:  # the common square: one product, no power
            return 2 * x
        return y * power(x, y - 1) if y != 0 else zeros_like(x)
    return y * power(x, where_p(equal(y, 0), 1.0, y - 1))


def _dpow_dexp(ans, x, y):
    # ans * log(x); at x == 0 the term is taken as 0 (the limit for y > 0).
    return ans * log(_safe_nonzero(x))


power = defbinary(elementwise("power", _np.power), _dpow_dbase, _dpow_dexp)
pow = power


def float_power(x1, x2):
    """``numpy.float_power``: ``power`` computed in float64 (complex128); differentiable."""
    if not isinstance(x1, Tracer) and not isinstance(x2, Tracer):
        return _np.float_power(x1, x2)
    dt = _np.complex128 if (_is_complex(x1) or _is_complex(x2)) else _np.float64
    return power(cast(x1, dt), cast(x2, dt))


square = defunary(elementwise("square", _np.square), lambda ans, x: 2 * x, reads="x")
reciprocal = defunary(elementwise("reciprocal", _np.reciprocal),
                      lambda ans, x: negative(ans * ans))
# sqrt and cbrt at 0: the derivative is +inf (the one-sided limit), as NumPy's arithmetic
# gives; compose with a safe branch (where) when a finite value is wanted.
sqrt = defunary(elementwise("sqrt", _np.sqrt), lambda ans, x: 0.5 / ans, reads="ans")
cbrt = defunary(elementwise("cbrt", _np.cbrt), reads="ans",
                reciprocal=lambda ans, x: 3.0 * ans * ans)

# fmod and remainder: x - q*y with q an integer that is piecewise constant in (x, y), so
# the partials are 1 and -q; q is read back from the exact result.
remainder = defbinary(elementwise("remainder", _np.remainder),
                      lambda ans, x, y: 1.0,
                      lambda ans, x, y: negative(rint(divide(x - ans, y))))
mod = remainder
fmod = defbinary(elementwise("fmod", _np.fmod),
                 lambda ans, x, y: 1.0,
                 lambda ans, x, y: negative(rint(divide(x - ans, y))))


# --- where and comparisons ------------------------------------------------------------------

def masked(g, c, keep: bool = True):
    """``g`` where ``c`` is ``keep``, 0 elsewhere: the derivative of ``where`` and of relu.

    For plain float arrays it is a bitwise AND of ``g``'s bits with a mask of all-ones or
    zeros: exact for every value (inf and NaN included, where a product with a 0/1 mask would
    turn inf * 0 into NaN) and as fast as a hand-written ``g * (z > 0)``."""
    if type(g) is _np.ndarray and type(c) is _np.ndarray:
        if g.size < _BITWISE_SELECT_MIN:
            return _np.where(c, g, 0) if keep else _np.where(c, 0, g)
        bits = _SAME_SIZE_INT.get(g.dtype.itemsize) if g.dtype.kind in "fc" else None
        if bits is not None:
            m = _bit_mask(c, bits, keep)
            if m.shape == g.shape:
                return _np.bitwise_and(g.view(bits), m, out=m).view(g.dtype)
            return _np.bitwise_and(g.view(bits), m).view(g.dtype)
    z = zeros_like(g)
    return where_p(c, g, z) if keep else where_p(c, z, g)


_SAME_SIZE_INT = {2: _np.int16, 4: _np.int32, 8: _np.int64}  # complex128 (16) takes where
# Below this many elements NumPy's where is faster than the four or five passes of a bitwise
# select (float64: 4.6 µs vs 13.8 µs at 2048; 189 µs vs 76 µs at 32768, random masks).
_BITWISE_SELECT_MIN = 1 << 14


def _bit_mask(c, bits, keep: bool = True):
    """An integer array of ``bits`` with all bits set where ``c`` is ``keep``, 0 elsewhere."""
    m = (c if c.dtype.kind == "b" else c.astype(bool)).astype(bits)
    if keep:
        _np.negative(m, out=m)  # True -> -1 (all bits set), False -> 0
    else:
        _np.subtract(m, 1, out=m)  # True -> 0, False -> -1
    return m


def _where_impl(c, x, y):
    """``numpy.where``. A boolean mask choosing between floats of one dtype (arrays, or an
    array and a Python float) selects by bits: NumPy's ``where`` branches per element and on
    a random mask -- a layer's signs -- runs ~8x slower (float32 128x256: 172 µs against 24 µs
    on a sorted mask). Same bits, dtype and shape as NumPy's."""
    if type(c) is _np.ndarray and c.dtype.kind == "b" and c.size >= _BITWISE_SELECT_MIN:
        dt = x.dtype if type(x) is _np.ndarray else y.dtype if type(y) is _np.ndarray else None
        bits = _SAME_SIZE_INT.get(dt.itemsize) if dt is not None and dt.kind == "f" and \
            dt.isnative else None
        if bits is not None:
            xb, yb = _float_bits(x, dt, bits), _float_bits(y, dt, bits)
            if xb is not None and yb is not None:
                if yb.ndim == 0 and not yb:  # where(c, x, 0.0): one AND
                    return _np.bitwise_and(xb, _bit_mask(c, bits)).view(dt)
                if xb.ndim == 0 and not xb:  # where(c, 0.0, y)
                    return _np.bitwise_and(yb, _bit_mask(c, bits, False)).view(dt)
                m = _bit_mask(c, bits)
                r = _np.bitwise_and(xb, m)
                _np.invert(m, out=m)
                return _np.bitwise_or(r, _np.bitwise_and(yb, m)).view(dt)
    return _np.where(c, x, y)


def _float_bits(v, dt, bits):
    """The bits of ``v`` as integers when it is an array of dtype ``dt`` or a Python float
    (NumPy casts those to ``dt``); None otherwise."""
    if type(v) is _np.ndarray:
        return v.view(bits) if v.dtype == dt else None
    if type(v) is float:  # out of dt's range it becomes inf, with NumPy's warning, as there
        return _np.asarray(v, dt).view(bits)
    return None


where_p = elementwise("where", _where_impl)


# the condition is piecewise constant: zero derivative
where_p.defvjp(
    _no_contribution,
    lambda g, ans, c, x, y: _unbroadcast(masked(g, c), x),
    lambda g, ans, c, x, y: _unbroadcast(masked(g, c, False), y),
)
where_p.defjvp(_no_contribution, lambda g, ans, c, x, y: masked(g, c),
               lambda g, ans, c, x, y: masked(g, c, False))
where_p.defresiduals(False, (True, False, False))


def where(condition, x=None, y=None):
    """``numpy.where``; differentiable in ``x`` and ``y``. With one argument: ``nonzero``."""
    if x is None and y is None:
        from ..core.trace import getval

        return _np.where(getval(condition))
    return where_p(condition, x, y)


equal = _nondiff_elementwise("equal", _np.equal)
not_equal = _nondiff_elementwise("not_equal", _np.not_equal)
less = _nondiff_elementwise("less", _np.less)
less_equal = _nondiff_elementwise("less_equal", _np.less_equal)
greater = _nondiff_elementwise("greater", _np.greater)
greater_equal = _nondiff_elementwise("greater_equal", _np.greater_equal)
zeros_like = _nondiff_elementwise("zeros_like", _np.zeros_like)
ones_like = _nondiff_elementwise("ones_like", _np.ones_like)
# zeros_like/ones_like take dtype/shape keywords; their batch rule must keep the batch axis.
zeros_like.defbatch(lambda vals, dims, **kw: (_np.zeros_like(vals[0], **kw), dims[0]))
ones_like.defbatch(lambda vals, dims, **kw: (_np.ones_like(vals[0], **kw), dims[0]))

# Zero derivative everywhere it exists: piecewise-constant, boolean or integer-valued.
logical_and = _nondiff_elementwise("logical_and", _np.logical_and)
logical_or = _nondiff_elementwise("logical_or", _np.logical_or)
logical_xor = _nondiff_elementwise("logical_xor", _np.logical_xor)
logical_not = _nondiff_elementwise("logical_not", _np.logical_not)
isfinite = _nondiff_elementwise("isfinite", _np.isfinite)
isnan = _nondiff_elementwise("isnan", _np.isnan)
isinf = _nondiff_elementwise("isinf", _np.isinf)
isnat = _nondiff_elementwise("isnat", _np.isnat)
isposinf = _nondiff_elementwise("isposinf", _np.isposinf)
isneginf = _nondiff_elementwise("isneginf", _np.isneginf)
isreal = _nondiff_elementwise("isreal", _np.isreal)
iscomplex = _nondiff_elementwise("iscomplex", _np.iscomplex)
isclose = _nondiff_elementwise("isclose", _np.isclose)
signbit = _nondiff_elementwise("signbit", _np.signbit)
# sign: the derivative is 0 (also at 0, where sign jumps); complex sign is z/|z|, likewise.
sign = _nondiff_elementwise("sign", _np.sign)
heaviside = _nondiff_elementwise("heaviside", _np.heaviside)
floor = _nondiff_elementwise("floor", _np.floor)
ceil = _nondiff_elementwise("ceil", _np.ceil)
rint = _nondiff_elementwise("rint", _np.rint)
trunc = _nondiff_elementwise("trunc", _np.trunc)
fix = _nondiff_elementwise("fix", _np.fix)
floor_divide = _nondiff_elementwise("floor_divide", _np.floor_divide)
nextafter = _nondiff_elementwise("nextafter", _np.nextafter)
spacing = _nondiff_elementwise("spacing", _np.spacing)
gcd = _nondiff_elementwise("gcd", _np.gcd)
lcm = _nondiff_elementwise("lcm", _np.lcm)
bitwise_and = _nondiff_elementwise("bitwise_and", _np.bitwise_and)
bitwise_or = _nondiff_elementwise("bitwise_or", _np.bitwise_or)
bitwise_xor = _nondiff_elementwise("bitwise_xor", _np.bitwise_xor)
bitwise_count = _nondiff_elementwise("bitwise_count", _np.bitwise_count)
invert = _nondiff_elementwise("invert", _np.invert)
left_shift = _nondiff_elementwise("left_shift", _np.left_shift)
right_shift = _nondiff_elementwise("right_shift", _np.right_shift)
bitwise_not = bitwise_invert = invert
bitwise_left_shift = left_shift
bitwise_right_shift = right_shift


def _round_impl(x, decimals=0):
    return _np.round(x, decimals)


_round_p = _nondiff_elementwise("round", _round_impl)


def round(a, decimals=0, out=None):
    """``numpy.round``; not differentiable (zero derivative)."""
    _no_out("round", out)
    return _round_p(a, decimals=decimals)


around = round


def divmod(x1, x2):
    """``numpy.divmod``: ``(floor_divide, remainder)``; the remainder is differentiable."""
    return floor_divide(x1, x2), remainder(x1, x2)


def modf(x):
    """``numpy.modf``: ``(fractional, integral)`` parts; the fractional part has slope 1."""
    return x - trunc(x), trunc(x)


def _frexp_exponent(x):
    return _np.frexp(x)[1]


_frexp_exp = _nondiff_elementwise("frexp_exponent", _frexp_exponent)


def frexp(x):
    """``numpy.frexp``: ``(mantissa, exponent)``; the mantissa is ``x * 2**-exponent``."""
    e = _frexp_exp(x)
    return ldexp(x, negative(e)), e


ldexp = defbinary(elementwise("ldexp", _np.ldexp), lambda ans, x, i: ldexp(1.0, i), None)


def _no_out(name, out):
    if out is not None:
        raise TypeError(f"{name}(..., out=...) writes in place, which chainrule cannot "
                        "differentiate: drop `out=` and use the returned array.")


# --- exponentials and logarithms --------------------------------------------------------------

_LN2 = _np.log(2.0)
_LN10 = _np.log(10.0)

exp = defunary(elementwise("exp", _np.exp), lambda ans, x: ans, reads="ans")
exp2 = defunary(elementwise("exp2", _np.exp2), lambda ans, x: ans * _LN2, reads="ans")
expm1 = defunary(elementwise("expm1", _np.expm1), lambda ans, x: ans + 1.0, reads="ans")
log = defunary(elementwise("log", _np.log), reads="x", reciprocal=lambda ans, x: x)
log2 = defunary(elementwise("log2", _np.log2), reads="x", reciprocal=lambda ans, x: x * _LN2)
log10 = defunary(elementwise("log10", _np.log10), reads="x",
                 reciprocal=lambda ans, x: x * _LN10)
log1p = defunary(elementwise("log1p", _np.log1p), reads="x",
                 reciprocal=lambda ans, x: x + 1.0)
# d/dx log(e^x + e^y) = e^(x - ans): never overflows since x <= ans.
logaddexp = defbinary(elementwise("logaddexp", _np.logaddexp),
                      lambda ans, x, y: exp(x - ans), lambda ans, x, y: exp(y - ans))
logaddexp2 = defbinary(elementwise("logaddexp2", _np.logaddexp2),
                       lambda ans, x, y: exp2(x - ans), lambda ans, x, y: exp2(y - ans))


# --- trigonometric and hyperbolic ---------------------------------------------------------------

sin = defunary(elementwise("sin", _np.sin), lambda ans, x: cos(x), reads="x")
cos = defunary(elementwise("cos", _np.cos), lambda ans, x: negative(sin(x)), reads="x")
tan = defunary(elementwise("tan", _np.tan), lambda ans, x: 1.0 + ans * ans, reads="ans")
arcsin = defunary(elementwise("arcsin", _np.arcsin), reads="x",
                  reciprocal=lambda ans, x: sqrt(1.0 - x * x))
arccos = defunary(elementwise("arccos", _np.arccos), lambda ans, x: -1.0 / sqrt(1.0 - x * x),
                reads="x")
arctan = defunary(elementwise("arctan", _np.arctan), reads="x",
                  reciprocal=lambda ans, x: 1.0 + x * x)
sinh = defunary(elementwise("sinh", _np.sinh), lambda ans, x: cosh(x), reads="x")
cosh = defunary(elementwise("cosh", _np.cosh), lambda ans, x: sinh(x), reads="x")
tanh = defunary(elementwise("tanh", _np.tanh), lambda ans, x: 1.0 - ans * ans, reads="ans")
arcsinh = defunary(elementwise("arcsinh", _np.arcsinh), reads="x",
                   reciprocal=lambda ans, x: sqrt(x * x + 1.0))
# 1/sqrt(x^2 - 1) as a product of square roots: no cancellation near x = 1.
arccosh = defunary(elementwise("arccosh", _np.arccosh), reads="x",
                   reciprocal=lambda ans, x: sqrt(x - 1.0) * sqrt(x + 1.0))
arctanh = defunary(elementwise("arctanh", _np.arctanh), reads="x",
                   reciprocal=lambda ans, x: 1.0 - x * x)
asin, acos, atan = arcsin, arccos, arctan
asinh, acosh, atanh = arcsinh, arccosh, arctanh


def _atan2_r2(x1, x2):
    return x1 * x1 + x2 * x2


# arctan2(y, x) = angle of (x, y): d/dy = x / r^2, d/dx = -y / r^2 (undefined at the origin).
arctan2 = defbinary(elementwise("arctan2", _np.arctan2),
                    lambda ans, y, x: x / _atan2_r2(y, x),
                    lambda ans, y, x: negative(y) / _atan2_r2(y, x))
atan2 = arctan2
# hypot at (0, 0): the derivative is taken as 0 (a subgradient, as for the norm at 0).
hypot = defbinary(elementwise("hypot", _np.hypot),
                  lambda ans, x, y: x / _safe_nonzero(ans),
                  lambda ans, x, y: y / _safe_nonzero(ans))

_DEG = 180.0 / _np.pi
deg2rad = deflinear(elementwise("deg2rad", _np.deg2rad), lambda g, ans, x: _fit(g / _DEG, x))
rad2deg = deflinear(elementwise("rad2deg", _np.rad2deg), lambda g, ans, x: _fit(g * _DEG, x))
radians, degrees = deg2rad, rad2deg


_PI2 = _np.pi ** 2
# sinc'(x) = sum_{k>=1} (-1)^k 2k pi^(2k) x^(2k-1) / (2k+1)!  (Horner in x^2, up to k = 5)
_SINC_SERIES = [-_PI2 / 3, _PI2 ** 2 / 30, -_PI2 ** 3 / 840, _PI2 ** 4 / 45360,
                -_PI2 ** 5 / 3991680]


def _dsinc(ans, x):
    """sinc'(x) = (cos(pi x) - sinc(x)) / x; near 0 its Taylor series, so that every order of
    derivative is right at x = 0 too (sinc''(0) = -pi^2/3)."""
    small = less(absolute(x), 1e-2)
    xs = where_p(small, 1.0, x)
    exact = (cos(_np.pi * xs) - sinc(xs)) / xs
    x2 = x * x
    series = _SINC_SERIES[-1]
    for c in _SINC_SERIES[-2::-1]:
        series = c + x2 * series
    return where_p(small, x * series, exact)


sinc = defunary(elementwise("sinc", _np.sinc), _dsinc)


# --- absolute value, extrema and clipping ---------------------------------------------------------

def _abs_vjp(g, ans, x):
    if _is_complex(x):
        # |z| is real: d|z| = Re(conj(z) dz) / |z|, so the cotangent is Re(g) conj(z) / |z|.
        return _fit(real(g), ans) * conj(x) / _safe_nonzero(ans)
    return _fit(g * sign(x), x)


def _abs_jvp(g, ans, x):
    if _is_complex(x):
        return real(conj(x) * g) / _safe_nonzero(ans)
    return g * sign(x)


# abs at 0: the derivative is taken as 0 (sign(0) = 0), the midpoint of the one-sided slopes;
# for complex z = 0 likewise 0.
absolute = Primitive("absolute", _np.absolute).defvjp(_abs_vjp).defjvp(_abs_jvp)
absolute.defbatch(batch_elementwise(absolute))
abs = absolute
fabs = defunary(elementwise("fabs", _np.fabs), lambda ans, x: sign(x))


def _share(first, tie, like):
    """Weight of the first argument of maximum/minimum: 1 where it wins, 1/2 at ties, in the
    dtype of ``like`` (so float32 gradients stay float32)."""
    if type(first) is _np.ndarray and type(tie) is _np.ndarray:
        # Plain comparisons (the weight carries no derivative): without ties the mask itself
        # is the weight, as in a hand-written relu backward (g * (z > 0)), cast to the float
        # dtype first: NumPy multiplies two float arrays ~30% faster than a float by a bool.
        if not _count_nonzero(tie):
            dt = dtype_of(like)
            return first.astype(dt) if dt.kind == "f" else first
        return first + _np.asarray(0.5, dtype=_np.result_type(dtype_of(like), _np.float16)) * tie
    dt = _np.result_type(dtype_of(like), _np.float16)
    one, half, zero = (_np.asarray(v, dtype=dt) for v in (1.0, 0.5, 0.0))
    return where_p(first, one, where_p(tie, half, zero))


def _max_weight(x, y):
    if isinstance(x, Tracer) or isinstance(y, Tracer):
        return _share(greater(x, y), equal(x, y), x)
    return _share(_np.greater(x, y), _np.equal(x, y), x)  # plain values: no dispatch


def _min_weight(x, y):
    if isinstance(x, Tracer) or isinstance(y, Tracer):
        return _share(less(x, y), equal(x, y), x)
    return _share(_np.less(x, y), _np.equal(x, y), x)


def _fmax_weight(x, y):
    # fmax ignores a NaN: the other argument gets the whole derivative.
    return where_p(isnan(y), 1.0, where_p(isnan(x), 0.0, _max_weight(x, y)))


def _fmin_weight(x, y):
    return where_p(isnan(y), 1.0, where_p(isnan(x), 0.0, _min_weight(x, y)))


def _extremum(name, impl, weight):
    # At ties (x == y) each argument gets half the derivative (docs/conventions.md).
    return defbinary(elementwise(name, impl),
                     lambda ans, x, y: weight(x, y),
                     lambda ans, x, y: weight(y, x))


maximum = _extremum("maximum", _np.maximum, _max_weight).defresiduals(False, (True, True))
minimum = _extremum("minimum", _np.minimum, _min_weight).defresiduals(False, (True, True))
fmax = _extremum("fmax", _np.fmax, _fmax_weight)
fmin = _extremum("fmin", _np.fmin, _fmin_weight)


# copysign(x, y) = |x| with y's sign: d/dx = +1 where x and y have the same sign bit, else -1
# (defined at x = 0 too, through the sign bit); d/dy = 0.
copysign = defbinary(elementwise("copysign", _np.copysign),
                     lambda ans, x, y: where_p(equal(signbit(x), signbit(y)), 1.0, -1.0),
                     None)


_NOVALUE = _np._NoValue


def clip(a, a_min=_NOVALUE, a_max=_NOVALUE, out=None, *, min=_NOVALUE, max=_NOVALUE,
         **kwargs):
    """``numpy.clip``; differentiable in ``a`` and in array bounds.

    Convention: ``a`` gets the derivative on the closed interval ``a_min <= a <= a_max``
    (as PyTorch's ``clamp``); a bound gets it only where ``a`` is strictly beyond it.
    With ``a_min > a_max`` every element is ``a_max``, as in NumPy.
    """
    _no_out("clip", out)
    lo = a_min if a_min is not _NOVALUE else min
    hi = a_max if a_max is not _NOVALUE else max
    lo = None if lo is _NOVALUE else lo
    hi = None if hi is _NOVALUE else hi
    if not isinstance(a, Tracer) and not isinstance(lo, Tracer) and not isinstance(hi, Tracer):
        return _np.clip(a, lo, hi, **kwargs)
    if lo is not None:
        a = where_p(less(a, lo), lo, a)
    if hi is not None:
        a = where_p(greater(a, hi), hi, a)
    return a


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """``numpy.nan_to_num``; the derivative is 1 at finite entries, 0 at replaced ones."""
    if not isinstance(x, Tracer):
        return _np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    if _is_complex(x):
        kw = dict(nan=nan, posinf=posinf, neginf=neginf)
        return nan_to_num(real(x), **kw) + 1j * nan_to_num(imag(x), **kw)
    dt = dtype_of(x)
    if not _np.issubdtype(dt, _np.floating):
        return x
    info = _np.finfo(dt)
    big = info.max if posinf is None else posinf
    small = info.min if neginf is None else neginf
    x = where_p(isnan(x), nan, x)
    x = where_p(isposinf(x), big, x)
    return where_p(isneginf(x), small, x)


# --- complex parts ----------------------------------------------------------------------------
# Each is R-linear, so its JVP is itself; its VJP is its transpose under the pairing
# Re(c * dz): real -> c, imag -> -i c, conj -> conj(c) (see docs/complex.md).

def _real_impl(x):
    return _np.real(x)


def _imag_impl(x):
    return _np.imag(x)


real = deflinear(elementwise("real", _real_impl), lambda g, ans, x: _fit(real(g), x))
imag = deflinear(elementwise("imag", _imag_impl),
                 lambda g, ans, x: real(g) * -1j if _is_complex(x) else None)
conjugate = deflinear(elementwise("conjugate", _np.conjugate),
                      lambda g, ans, x: _fit(conjugate(g), x))
conj = conjugate


def _angle_impl(z, deg=False):
    return _np.angle(z, deg=deg)


_angle_real = _nondiff_elementwise("angle_real", _angle_impl)


def angle(z, deg=False):
    """``numpy.angle``: ``arctan2(imag(z), real(z))``; for real input the derivative is 0.

    For complex z the gradient is ``-i conj(z) / |z|**2`` (see docs/complex.md); at z = 0
    it is undefined (NaN).
    """
    if not isinstance(z, Tracer):
        return _np.angle(z, deg=deg)
    if not _is_complex(z):
        return _angle_real(z, deg=deg)  # 0 or pi: piecewise constant
    a = arctan2(imag(z), real(z))
    return a * _DEG if deg else a


DIFFERENTIABLE = [
    "abs", "absolute", "acos", "acosh", "add", "angle", "arccos", "arccosh", "arcsin",
    "arcsinh", "arctan", "arctan2", "arctanh", "asin", "asinh", "atan", "atan2", "atanh",
    "cbrt", "clip", "conj", "conjugate", "copysign", "cos", "cosh", "deg2rad", "degrees",
    "divide", "divmod", "exp", "exp2", "expm1", "fabs", "float_power", "fmax", "fmin", "fmod",
    "frexp", "hypot", "imag", "ldexp", "log", "log10", "log1p", "log2", "logaddexp",
    "logaddexp2", "maximum", "minimum", "mod", "modf", "multiply", "nan_to_num", "negative",
    "positive", "pow", "power", "rad2deg", "radians", "real", "reciprocal", "remainder", "sin",
    "sinc", "sinh", "sqrt", "square", "subtract", "tan", "tanh", "true_divide", "where",
]
NONDIFFERENTIABLE = [
    "around", "bitwise_and", "bitwise_count", "bitwise_invert", "bitwise_left_shift",
    "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "ceil", "equal", "fix",
    "floor", "floor_divide", "gcd", "greater", "greater_equal", "heaviside", "invert",
    "iscomplex", "isclose", "isfinite", "isinf", "isnan", "isnat", "isneginf", "isposinf",
    "isreal", "lcm", "left_shift", "less", "less_equal", "logical_and", "logical_not",
    "logical_or", "logical_xor", "nextafter", "not_equal", "ones_like", "right_shift", "rint",
    "round", "sign", "signbit", "spacing", "trunc", "zeros_like",
]
