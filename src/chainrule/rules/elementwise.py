"""Elementwise primitives: arithmetic with broadcasting and the basic math ufuncs.

Why one table: a unary elementwise op is fully described by its derivative f'(x) (written
with ``ans`` where that is cheaper); VJP and JVP are both ``g * f'(x)``, and batching is
NumPy broadcasting after aligning example axes. Binary ops undo broadcasting in their VJPs.

Complex convention (autograd's and JAX's): rules are transposes, not adjoints -- a VJP
multiplies by f'(x), never by conj(f'(x)).

    >>> sin(0.0), cos(0.0)
    (np.float64(0.0), np.float64(1.0))
"""

from __future__ import annotations

import numpy as _np

from ..core.batching import batch_elementwise
from ..core.primitive import Primitive, defbilinear, deflinear
from ._util import unbroadcast


def elementwise(name: str, impl, n: int = 1) -> Primitive:
    p = Primitive(name, impl)
    p.defbatch(batch_elementwise(p))
    p.nargs_hint = n
    return p


def defunary(p: Primitive, deriv) -> Primitive:
    """Give a unary elementwise primitive its rules from ``deriv(ans, x) = f'(x)``."""

    def rule(g, ans, x):
        return g * deriv(ans, x)

    p.defvjp(rule)
    p.defjvp(rule)
    return p


# --- arithmetic ---------------------------------------------------------------------------

# add and subtract are jointly linear: each argument's tangent passes through (broadcast by
# the forward trace), and each VJP undoes the broadcast.
add = elementwise("add", _np.add, 2)
add.defvjp(lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(g, y))
add.defjvp(lambda g, ans, x, y: g, lambda g, ans, x, y: g)
subtract = elementwise("subtract", _np.subtract, 2)
subtract.defvjp(lambda g, ans, x, y: unbroadcast(g, x),
                lambda g, ans, x, y: unbroadcast(negative(g), y))
subtract.defjvp(lambda g, ans, x, y: g, lambda g, ans, x, y: negative(g))
negative = deflinear(elementwise("negative", _np.negative), lambda g, ans, x: negative(g))
multiply = defbilinear(elementwise("multiply", _np.multiply, 2),
                       lambda g, ans, x, y: unbroadcast(g * y, x),
                       lambda g, ans, x, y: unbroadcast(g * x, y))
divide = elementwise("divide", _np.divide, 2)
divide.defvjp(
    lambda g, ans, x, y: unbroadcast(g / y, x),
    lambda g, ans, x, y: unbroadcast(negative(g) * ans / y, y),
)
divide.defjvp(
    lambda g, ans, x, y: g / y,
    lambda g, ans, x, y: negative(g) * ans / y,
)
true_divide = divide


def _dpow_dbase(ans, x, y):
    # y * x**(y-1), written so that x = 0 with y >= 1 stays finite.
    return y * power(x, y - 1)


def _dpow_dexp(ans, x, y):
    # ans * log(x); at x == 0 the term is taken as 0 (the limit for y > 0).
    safe = where(equal(x, 0), 1.0, x)
    return ans * log(safe)


power = elementwise("power", _np.power, 2)
power.defvjp(
    lambda g, ans, x, y: unbroadcast(g * _dpow_dbase(ans, x, y), x),
    lambda g, ans, x, y: unbroadcast(g * _dpow_dexp(ans, x, y), y),
)
power.defjvp(
    lambda g, ans, x, y: g * _dpow_dbase(ans, x, y),
    lambda g, ans, x, y: g * _dpow_dexp(ans, x, y),
)


# --- where and comparisons ------------------------------------------------------------------

def _where_impl(c, x, y):
    return _np.where(c, x, y)


where_p = elementwise("where", _where_impl, 3)
where_p.defvjp(
    None,
    lambda g, ans, c, x, y: unbroadcast(where_p(c, g, zeros_like(g)), x),
    lambda g, ans, c, x, y: unbroadcast(where_p(c, zeros_like(g), g), y),
)


def _where_jvp(i):
    def jvp(g, ans, c, x, y):
        z = zeros_like(g)
        return where_p(c, g, z) if i == 1 else where_p(c, z, g)

    return jvp


where_p.defjvp(None, _where_jvp(1), _where_jvp(2))


def where(condition, x=None, y=None):
    """``numpy.where``; differentiable in ``x`` and ``y``. With one argument: ``nonzero``."""
    if x is None and y is None:
        from ..core.trace import getval

        return _np.where(getval(condition))
    return where_p(condition, x, y)


def _nondiff_elementwise(name, impl):
    p = Primitive(name, impl, nondiff=True)
    p.defbatch(batch_elementwise(p))
    return p


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


# --- unary math -----------------------------------------------------------------------------

exp = defunary(elementwise("exp", _np.exp), lambda ans, x: ans)
log = defunary(elementwise("log", _np.log), lambda ans, x: 1.0 / x)
sin = defunary(elementwise("sin", _np.sin), lambda ans, x: cos(x))
cos = defunary(elementwise("cos", _np.cos), lambda ans, x: negative(sin(x)))
tanh = defunary(elementwise("tanh", _np.tanh), lambda ans, x: 1.0 - ans * ans)
# sqrt at 0: the derivative is +inf (the one-sided limit), as in NumPy's arithmetic.
sqrt = defunary(elementwise("sqrt", _np.sqrt), lambda ans, x: 0.5 / ans)

sign = _nondiff_elementwise("sign", _np.sign)
# abs at 0: the derivative is taken as 0 (sign(0) = 0), the midpoint of the one-sided slopes.
absolute = defunary(elementwise("absolute", _np.absolute), lambda ans, x: sign(x))
abs = absolute

DIFFERENTIABLE = [
    "abs", "absolute", "add", "cos", "divide", "exp", "log", "multiply", "negative", "power",
    "sin", "sqrt", "subtract", "tanh", "true_divide", "where",
]
NONDIFFERENTIABLE = [
    "equal", "greater", "greater_equal", "less", "less_equal", "not_equal", "ones_like",
    "sign", "zeros_like",
]
