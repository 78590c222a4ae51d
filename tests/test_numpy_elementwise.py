"""Elementwise functions: every one through check_all (check_grads order 2 in both modes, vmap
and derivatives under vmap), values against NumPy, plain-``numpy`` dispatch, and the
documented conventions for undefined derivatives (docs/conventions.md)."""

import numpy as onp
import pytest
from helpers import check_all

import chainrule as cr
import chainrule.numpy as np

rng = onp.random.default_rng(3)

SHAPES = {"scalar": (), "vector": (4,), "matrix": (3, 4), "batched": (2, 3, 4)}

# Maps a standard-normal draw into each function's domain (away from its singular points).
DOMAINS = {
    "any": lambda x: x,
    "pos": lambda x: onp.abs(x) + 0.5,
    "unit": lambda x: 0.9 * onp.tanh(x),
    "gt1": lambda x: onp.abs(x) + 1.5,
    "away0": lambda x: onp.where(x < 0, x - 0.3, x + 0.3),
}


def draw(shape, domain="any"):
    return DOMAINS[domain](rng.standard_normal(shape))


UNARY = [
    ("square", "any"), ("reciprocal", "away0"), ("sqrt", "pos"), ("cbrt", "away0"),
    ("exp", "any"), ("exp2", "any"), ("expm1", "any"), ("log", "pos"), ("log2", "pos"),
    ("log10", "pos"), ("log1p", "pos"), ("sin", "any"), ("cos", "any"), ("tan", "unit"),
    ("arcsin", "unit"), ("arccos", "unit"), ("arctan", "any"), ("sinh", "any"),
    ("cosh", "any"), ("tanh", "any"), ("arcsinh", "any"), ("arccosh", "gt1"),
    ("arctanh", "unit"), ("abs", "away0"), ("absolute", "away0"), ("fabs", "away0"),
    ("sinc", "away0"), ("deg2rad", "any"), ("rad2deg", "any"), ("degrees", "any"),
    ("radians", "any"), ("positive", "any"), ("negative", "any"), ("real", "any"),
    ("conj", "any"), ("conjugate", "any"), ("nan_to_num", "any"), ("angle", "away0"),
]


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
@pytest.mark.parametrize("name,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, domain, shape):
    x = draw(shape, domain)
    f = getattr(np, name)
    check_all(f, x)
    # the value under tracing equals NumPy's
    out, _ = cr.jvp(f, (x,), (onp.ones_like(x),))
    onp.testing.assert_allclose(out, getattr(onp, name)(x), rtol=1e-12, atol=1e-300)


def _unary_closed_forms():
    x = 0.05 + 0.8 * rng.random(5)  # inside every domain below, none at 0
    ln = onp.log
    return x, {
        "square": 2 * x, "reciprocal": -1 / x ** 2, "sqrt": 0.5 / onp.sqrt(x),
        "cbrt": x ** (-2 / 3) / 3, "exp2": ln(2) * 2 ** x, "expm1": onp.exp(x),
        "log2": 1 / (x * ln(2)), "log10": 1 / (x * ln(10)), "log1p": 1 / (1 + x),
        "tan": 1 / onp.cos(x) ** 2, "arcsin": 1 / onp.sqrt(1 - x * x),
        "arccos": -1 / onp.sqrt(1 - x * x), "arctan": 1 / (1 + x * x), "sinh": onp.cosh(x),
        "cosh": onp.sinh(x), "arcsinh": 1 / onp.sqrt(1 + x * x),
        "arctanh": 1 / (1 - x * x),
        "sinc": (onp.cos(onp.pi * x) - onp.sinc(x)) / x,
        "deg2rad": onp.full_like(x, onp.pi / 180), "rad2deg": onp.full_like(x, 180 / onp.pi),
    }


def test_unary_derivatives_closed_form():
    x, want = _unary_closed_forms()
    for name, d in want.items():
        got = cr.elementwise_grad(getattr(np, name))(x)
        onp.testing.assert_allclose(got, d, rtol=1e-10, err_msg=name)
    xa = onp.abs(x) + 1.2
    onp.testing.assert_allclose(cr.elementwise_grad(np.arccosh)(xa), 1 / onp.sqrt(xa ** 2 - 1))


BINARY = [
    ("add", "any", "any"), ("subtract", "any", "any"), ("multiply", "any", "any"),
    ("divide", "any", "away0"), ("true_divide", "any", "away0"), ("power", "pos", "any"),
    ("pow", "pos", "any"), ("float_power", "pos", "any"), ("logaddexp", "any", "any"),
    ("logaddexp2", "any", "any"), ("arctan2", "away0", "away0"), ("hypot", "away0", "any"),
    ("maximum", "any", "any"), ("minimum", "any", "any"), ("fmax", "any", "any"),
    ("fmin", "any", "any"), ("copysign", "away0", "away0"), ("remainder", "any", "pos"),
    ("mod", "any", "pos"), ("fmod", "any", "pos"),
]
BROADCAST = {
    "same": ((3, 4), (3, 4)), "row": ((3, 4), (4,)), "outer": ((1, 4), (3, 1)),
    "scalar": ((), (3, 4)), "batched": ((2, 3, 4), (3, 1)),
}


@pytest.mark.parametrize("shapes", list(BROADCAST.values()), ids=list(BROADCAST))
@pytest.mark.parametrize("name,dx,dy", BINARY, ids=[b[0] for b in BINARY])
def test_binary(name, dx, dy, shapes):
    x = draw(shapes[0], dx)
    y = draw(shapes[1], dy)
    f = getattr(np, name)
    check_all(f, x, y)
    out, _ = cr.jvp(f, (x, y), (onp.ones_like(x), onp.ones_like(y)))
    onp.testing.assert_allclose(out, getattr(onp, name)(x, y), rtol=1e-12)


def test_binary_partials_closed_form():
    x, y = draw((6,), "pos"), draw((6,), "away0")
    r2 = x * x + y * y
    cases = {
        "arctan2": (y / r2, -x / r2),  # arctan2(a, b): d/da = b / r^2, d/db = -a / r^2
        "hypot": (x / onp.hypot(x, y), y / onp.hypot(x, y)),
        "logaddexp": (onp.exp(x) / (onp.exp(x) + onp.exp(y)),
                      onp.exp(y) / (onp.exp(x) + onp.exp(y))),
        "power": (y * x ** (y - 1), x ** y * onp.log(x)),
        "remainder": (onp.ones(6), -onp.floor(x / y)),
        "fmod": (onp.ones(6), -onp.trunc(x / y)),
    }
    for name, (gx, gy) in cases.items():
        f = getattr(np, name)
        got = cr.grad(lambda a, b: np.sum(f(a, b)), argnums=(0, 1))(x, y)
        onp.testing.assert_allclose(got[0], gx, rtol=1e-10, err_msg=name)
        onp.testing.assert_allclose(got[1], gy, rtol=1e-10, err_msg=name)


def test_ldexp_frexp_modf_divmod():
    x = draw((3, 4), "away0") * 10
    i = onp.arange(12).reshape(3, 4) % 5 - 2
    check_all(np.ldexp, x, i)
    onp.testing.assert_allclose(cr.elementwise_grad(lambda a: np.ldexp(a, i))(x), 2.0 ** i)
    m, e = np.frexp(x)
    onp.testing.assert_array_equal(e, onp.frexp(x)[1])
    check_all(lambda a: np.frexp(a)[0], x)
    check_all(lambda a: np.modf(a)[0] * np.modf(a)[1], x)
    onp.testing.assert_allclose(cr.vjp(lambda a: np.modf(a), x)[0], onp.modf(x))
    check_all(lambda a, b: np.divmod(a, b)[1], x, draw((4,), "pos"))
    got = cr.vjp(lambda a: np.divmod(a, 0.7), x)[0]
    onp.testing.assert_allclose(got, onp.divmod(x, 0.7))


# --- conventions (docs/conventions.md) -----------------------------------------------------

def test_abs_at_zero_is_zero():
    x = onp.array([-2.0, 0.0, 3.0])
    for f in (np.abs, np.absolute, np.fabs, onp.abs, onp.fabs, abs):
        onp.testing.assert_array_equal(cr.elementwise_grad(f)(x), [-1.0, 0.0, 1.0])
    onp.testing.assert_array_equal(cr.jvp(np.abs, (x,), (onp.ones(3),))[1], [-1, 0, 1])
    assert cr.grad(np.abs)(0j) == 0


def test_sqrt_and_cbrt_at_zero_are_inf():
    with onp.errstate(divide="ignore"):
        assert cr.grad(np.sqrt)(0.0) == onp.inf
        assert cr.grad(np.cbrt)(0.0) == onp.inf


def test_hypot_at_origin_is_zero():
    g = cr.grad(lambda a, b: np.hypot(a, b), argnums=(0, 1))(0.0, 0.0)
    assert g == (0.0, 0.0)


def test_maximum_minimum_ties_share_evenly():
    x = onp.array([1.0, 2.0, 3.0])
    y = onp.array([2.0, 2.0, 2.0])
    for f, gx in ((np.maximum, [0, 0.5, 1]), (np.minimum, [1, 0.5, 0]),
                  (np.fmax, [0, 0.5, 1]), (np.fmin, [1, 0.5, 0])):
        got = cr.grad(lambda a, b: np.sum(f(a, b)), argnums=(0, 1))(x, y)
        onp.testing.assert_array_equal(got[0], gx)
        onp.testing.assert_array_equal(got[1], 1 - onp.asarray(gx))
        tx = cr.jvp(lambda a: f(a, y), (x,), (onp.ones(3),))[1]
        onp.testing.assert_array_equal(tx, gx)


def test_fmax_fmin_ignore_nan():
    x = onp.array([1.0, onp.nan, 3.0])
    y = onp.array([onp.nan, 2.0, 4.0])
    gx, gy = cr.grad(lambda a, b: np.sum(np.fmax(a, b)), argnums=(0, 1))(x, y)
    onp.testing.assert_array_equal(gx, [1, 0, 0])
    onp.testing.assert_array_equal(gy, [0, 1, 1])
    gx, gy = cr.grad(lambda a, b: np.sum(np.fmin(a, b)), argnums=(0, 1))(x, y)
    onp.testing.assert_array_equal(gx, [1, 0, 1])
    onp.testing.assert_array_equal(gy, [0, 1, 0])


def test_clip_convention():
    x = onp.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    onp.testing.assert_array_equal(cr.elementwise_grad(lambda a: np.clip(a, 0.0, 1.0))(x),
                                   [0, 1, 1, 1, 0])
    lo = onp.zeros(5)
    hi = onp.ones(5)
    gx, glo, ghi = cr.grad(lambda a, b, c: np.sum(np.clip(a, b, c)), argnums=(0, 1, 2))(x, lo, hi)
    onp.testing.assert_array_equal(gx, [0, 1, 1, 1, 0])
    onp.testing.assert_array_equal(glo, [1, 0, 0, 0, 0])
    onp.testing.assert_array_equal(ghi, [0, 0, 0, 0, 1])
    # one-sided, keyword and method spellings
    onp.testing.assert_array_equal(cr.elementwise_grad(lambda a: np.clip(a, None, 0.5))(x),
                                   [1, 1, 1, 0, 0])
    onp.testing.assert_array_equal(cr.elementwise_grad(lambda a: np.clip(a, min=0.5))(x),
                                   [0, 0, 1, 1, 1])
    onp.testing.assert_array_equal(cr.elementwise_grad(lambda a: a.clip(0.0, 1.0))(x),
                                   [0, 1, 1, 1, 0])
    onp.testing.assert_array_equal(cr.elementwise_grad(lambda a: onp.clip(a, 0.0, 1.0))(x),
                                   [0, 1, 1, 1, 0])
    # lo > hi: everything is hi, as in NumPy
    onp.testing.assert_array_equal(cr.vjp(lambda a: np.clip(a, 1.0, 0.0), x)[0],
                                   onp.clip(x, 1.0, 0.0))


CLIP_CASES = [((3, 4), (), ()), ((3, 4), (4,), ()), ((2, 3, 4), (3, 1), (4,))]


@pytest.mark.parametrize("sx,slo,shi", CLIP_CASES)
def test_clip_broadcasting(sx, slo, shi):
    x = draw(sx) * 2
    lo = draw(slo) * 0.1 - 0.8
    hi = draw(shi) * 0.1 + 0.8
    check_all(np.clip, x, lo, hi)
    onp.testing.assert_allclose(cr.vjp(np.clip, x, lo, hi)[0], onp.clip(x, lo, hi))


def test_sinc_every_order_at_zero():
    d1 = cr.grad(np.sinc)
    d2 = cr.grad(d1)
    d3 = cr.grad(d2)
    d4 = cr.grad(d3)
    assert d1(0.0) == 0.0
    onp.testing.assert_allclose(d2(0.0), -onp.pi ** 2 / 3, rtol=1e-14)
    assert abs(d3(0.0)) < 1e-12
    onp.testing.assert_allclose(d4(0.0), onp.pi ** 4 / 5, rtol=1e-12)
    # near the switch between series and exact forms the two agree
    for x in (0.0099999, 0.0100001, -0.0100001):
        want = (onp.cos(onp.pi * x) - onp.sinc(x)) / x
        onp.testing.assert_allclose(d1(x), want, rtol=1e-9)


def test_nan_to_num_passes_finite_entries_only():
    x = onp.array([onp.nan, 1.5, onp.inf, -onp.inf, -2.0])
    g = cr.elementwise_grad(np.nan_to_num)(x)
    onp.testing.assert_array_equal(g, [0, 1, 0, 0, 1])
    v = cr.vjp(lambda a: np.nan_to_num(a, nan=7.0, posinf=9.0), x)[0]
    onp.testing.assert_array_equal(v, onp.nan_to_num(x, nan=7.0, posinf=9.0))
    v = cr.vjp(np.nan_to_num, x)[0]
    onp.testing.assert_array_equal(v, onp.nan_to_num(x))


def test_copysign_sign_bits():
    x = onp.array([2.0, -2.0, 0.0, -0.0])
    y = onp.array([-1.0, -1.0, -3.0, 3.0])
    g = cr.elementwise_grad(lambda a: np.copysign(a, y))(x)
    onp.testing.assert_array_equal(g, [-1, 1, -1, -1])


NONDIFF_UNARY = [
    "sign", "floor", "ceil", "rint", "trunc", "fix", "round", "around", "isfinite", "isnan",
    "isinf", "isposinf", "isneginf", "signbit", "logical_not", "isreal", "iscomplex", "spacing",
]
NONDIFF_BINARY = [
    "floor_divide", "heaviside", "logical_and", "logical_or", "logical_xor", "equal",
    "not_equal", "less", "less_equal", "greater", "greater_equal", "isclose", "nextafter",
]


@pytest.mark.parametrize("name", NONDIFF_UNARY)
def test_nondiff_unary(name):
    x = draw((3, 4)) * 3
    x[0, 0] = onp.inf
    x[0, 1] = onp.nan
    f = getattr(np, name)
    want = getattr(onp, name)(x)
    # zero derivative: the function's output is a constant to every transform
    g = cr.grad(lambda a: np.sum(np.where(f(a), 1.0, 2.0) * a))(x)
    onp.testing.assert_array_equal(g, onp.where(want, 1.0, 2.0))
    # batching rule: vmap equals a loop
    got = cr.vmap(f)(x)
    onp.testing.assert_array_equal(got, onp.stack([getattr(onp, name)(r) for r in x]))
    onp.testing.assert_array_equal(cr.jvp(f, (x,), (onp.ones_like(x),))[0], want)


@pytest.mark.parametrize("name", NONDIFF_BINARY)
def test_nondiff_binary(name):
    x = onp.round(draw((3, 4)) * 2) + 0.25
    y = onp.round(draw((4,)) * 2) + 0.5
    x[0, :2] = y[:2]  # some ties
    f = getattr(np, name)
    want = getattr(onp, name)(x, y)
    got = cr.vmap(f, in_axes=(0, None))(x, y)
    onp.testing.assert_array_equal(got, want)
    got = cr.vmap(f, in_axes=(None, 0))(y, x)
    onp.testing.assert_array_equal(got, getattr(onp, name)(y, x))
    g = cr.grad(lambda a: np.sum(f(a, y) * a))(x)
    onp.testing.assert_array_equal(g, want.astype(float))


def test_integer_ops_pass_through():
    a = onp.arange(12).reshape(3, 4)
    for name in ("gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift",
                 "right_shift"):
        onp.testing.assert_array_equal(cr.vmap(getattr(np, name), in_axes=(0, None))(a, 3),
                                       getattr(onp, name)(a, 3))
    onp.testing.assert_array_equal(cr.vmap(np.invert)(a), onp.invert(a))
    onp.testing.assert_array_equal(cr.vmap(np.bitwise_count)(a), onp.bitwise_count(a))


def test_round_decimals_and_methods():
    x = draw((3, 4)) * 10
    onp.testing.assert_array_equal(cr.vmap(lambda a: np.round(a, 1))(x), onp.round(x, 1))
    onp.testing.assert_array_equal(cr.vmap(lambda a: a.round(2))(x), onp.round(x, 2))
    onp.testing.assert_array_equal(cr.vmap(lambda a: onp.round(a, 2))(x), onp.round(x, 2))
    g = cr.grad(lambda a: np.sum(a.round(1) * a))(x)
    onp.testing.assert_allclose(g, onp.round(x, 1))


def test_where_condition_may_be_traced_float():
    x = draw((5,))
    g = cr.grad(lambda a: np.sum(np.where(a, a, 0.0)))(x)
    onp.testing.assert_array_equal(g, onp.ones(5))
    check_all(lambda a: np.where(a > 0, a * a, np.sin(a)), x)


def test_where_derivative_is_an_exact_select():
    # The plain-array VJP multiplies by the mask; a non-finite cotangent must still give
    # exactly 0 on the other side (inf * 0 would be NaN), in both arguments and both modes.
    c = onp.array([True, False, True, False])
    x, y = draw((4,)), draw((4,))
    for ct in (onp.array([onp.inf, onp.inf, -onp.inf, onp.nan]), onp.arange(1.0, 5.0)):
        _, f_vjp = cr.vjp(lambda a, b: np.where(c, a, b), x, y)
        gx, gy = f_vjp(ct)
        onp.testing.assert_array_equal(gx, onp.where(c, ct, 0.0))
        onp.testing.assert_array_equal(gy, onp.where(c, 0.0, ct))
    # a non-boolean condition is its truth value; a condition broadcast against the branches
    c2 = onp.array([2, 0, -1, 0])
    g = cr.grad(lambda a: np.sum(np.where(c2, a, 0.0) * onp.arange(4.0)))(x)
    onp.testing.assert_array_equal(g, [0.0, 0.0, 2.0, 0.0])
    xb = draw((3, 4))
    g = cr.grad(lambda a: np.sum(np.where(c, a, -a) ** 2))(xb)
    onp.testing.assert_allclose(g, 2 * xb)
    _, t = cr.jvp(lambda a: np.where(c, a, 0.0), (x,), (onp.full(4, onp.inf),))
    onp.testing.assert_array_equal(t, onp.where(c, onp.inf, 0.0))
    g32 = cr.grad(lambda a: np.sum(np.where(a > 0, a, 0.0)))(x.astype(onp.float32))
    assert g32.dtype == onp.float32


@pytest.mark.parametrize("dtype", [onp.float16, onp.float32, onp.float64])
@pytest.mark.parametrize("bitwise", [True, False], ids=["bitwise", "numpy"])
def test_where_matches_numpy_bit_for_bit(dtype, bitwise, monkeypatch):
    # where selects by bits on large boolean masks (tests force it at every size); NaN, inf,
    # -0.0, subnormals, broadcasting, Python floats and out-of-range floats as NumPy's where.
    import warnings

    import chainrule.rules.elementwise as elementwise

    if not bitwise:
        monkeypatch.setattr(elementwise, "_BITWISE_SELECT_MIN", 1 << 62)
    rng = onp.random.default_rng(0)
    specials = onp.array([onp.nan, onp.inf, -onp.inf, -0.0, 0.0, 1e-45, 3.0, -2.5])
    shapes = [((5,), (5,), (5,)), ((3, 4), (4,), (3, 1)), ((4,), (3, 4), ()), ((2, 3),) * 3]
    for cs, xs, ys in shapes:
        c = rng.random(cs) > 0.5
        for xv in ["array", 0.0, -0.0, 2.5, onp.nan]:
            for yv in ["array", 0.0, -0.0, 1e300, onp.inf]:
                if xv != "array" and yv != "array":
                    continue
                x = rng.choice(specials, size=xs).astype(dtype) if xv == "array" else xv
                y = rng.choice(specials, size=ys).astype(dtype) if yv == "array" else yv
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # 1e300 overflows float16/32, in both
                    want, got = onp.where(c, x, y), np.where(c, x, y)
                assert got.dtype == want.dtype and got.shape == want.shape
                onp.testing.assert_array_equal(got.view(onp.uint8), want.view(onp.uint8))
    # mixed dtypes, non-native byte order and non-boolean conditions are NumPy's own
    c = onp.array([True, False])
    big_endian = onp.array([1.5, 2.5], onp.dtype(dtype).newbyteorder(">"))
    assert np.where(c, big_endian, 0.0).dtype == onp.where(c, big_endian, 0.0).dtype
    assert np.where(c, onp.ones(2, dtype), onp.zeros(2)).dtype == onp.result_type(dtype, float)
    onp.testing.assert_array_equal(np.where(onp.array([2, 0]), onp.ones(2, dtype), 3), [1, 3])


@pytest.mark.parametrize("dtype", [onp.float16, onp.float32, onp.float64])
def test_broadcast_gradients_sum_exactly_enough(dtype):
    # The VJP of a broadcast sums g over the broadcast axes; a bias's gradient (axis 0) and a
    # short row sum go through one matrix-vector product with ones. Checked against a float64
    # sum in every layout: C and F order, short and long rows, leading and inner axes.
    rng = onp.random.default_rng(1)
    cases = [((128, 256), (256,)), ((128, 10), (128, 1)), ((128, 10), (1, 10)),
             ((4, 300), (4, 1)), ((3, 4), (1, 1)), ((3, 4), ()), ((2, 3, 4), (3, 1))]
    for gshape, xshape in cases:
        for order in "CF":
            g = onp.asarray(rng.standard_normal(gshape), dtype=dtype, order=order)
            x = onp.zeros(xshape, dtype)
            _, f_vjp = cr.vjp(lambda a: a + onp.zeros(gshape, dtype), x)
            got = f_vjp(g)[0]
            lead = len(gshape) - len(xshape)
            axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(xshape) if n == 1)
            want = g.astype(onp.float64).sum(axis=axes).reshape(xshape)
            tol = 0.2 if dtype == onp.float16 else 20 * onp.finfo(dtype).eps * gshape[0]
            assert got.shape == xshape and got.dtype == dtype
            onp.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# --- plain numpy dispatch and aliases -------------------------------------------------------------

DISPATCH = ["square", "reciprocal", "cbrt", "exp2", "expm1", "log2", "log10", "log1p", "tan",
            "arctan", "sinh", "cosh", "arcsinh", "abs", "fabs", "sinc", "deg2rad", "degrees",
            "positive", "real", "imag", "conj", "angle", "nan_to_num", "sign", "floor",
            "acos", "asin", "atan", "asinh", "atanh"]


@pytest.mark.parametrize("name", DISPATCH)
def test_plain_numpy_dispatch(name):
    x = onp.abs(draw((4,), "unit")) + 0.05
    want = cr.elementwise_grad(getattr(np, name))(x)
    got = cr.elementwise_grad(getattr(onp, name))(x)
    onp.testing.assert_allclose(got, want)


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2", "arctan2", "atan2", "hypot",
                                  "maximum", "fmin", "copysign", "mod", "fmod", "float_power",
                                  "power", "pow", "true_divide"])
def test_plain_numpy_dispatch_binary(name):
    x, y = draw((4,), "pos"), draw((4,), "pos")
    want = cr.grad(lambda a, b: np.sum(getattr(np, name)(a, b)), argnums=(0, 1))(x, y)
    got = cr.grad(lambda a, b: onp.sum(getattr(onp, name)(a, b)), argnums=(0, 1))(x, y)
    onp.testing.assert_allclose(got, want)


def test_aliases_match_numpy_names():
    for alias, target in (("abs", "absolute"), ("conj", "conjugate"), ("mod", "remainder"),
                          ("true_divide", "divide"), ("pow", "power"), ("acos", "arccos"),
                          ("asinh", "arcsinh"), ("atan2", "arctan2"), ("around", "round"),
                          ("degrees", "rad2deg"), ("radians", "deg2rad"),
                          ("bitwise_not", "invert")):
        assert getattr(np, alias) is getattr(np, target), alias
    for name in np.DIFFERENTIABLE + np.NONDIFFERENTIABLE:
        u = getattr(onp, name, None)
        if isinstance(u, onp.ufunc):
            # __array_ufunc__ finds the rule by the ufunc's own name
            assert hasattr(np, u.__name__), name


def test_every_numpy_ufunc_is_covered():
    products = {"matmul", "matvec", "vecdot", "vecmat"}  # rules/products.py
    names = {n for n in dir(onp) if isinstance(getattr(onp, n), onp.ufunc)} - products
    listed = set(np.DIFFERENTIABLE) | set(np.NONDIFFERENTIABLE)
    assert names <= listed, sorted(names - listed)


def test_out_argument_is_refused():
    with pytest.raises(TypeError, match="out="):
        cr.grad(lambda a: np.clip(a, 0, 1, out=onp.zeros(())))(1.0)


def test_float_power_promotes_to_float64():
    x = onp.array([1.5, 2.0], dtype=onp.float32)
    out = cr.vjp(lambda a: np.float_power(a, 2), x)[0]
    assert out.dtype == onp.float64
    onp.testing.assert_allclose(out, onp.float_power(x, 2))


def test_float32_preserved():
    x = onp.array([0.5, 1.5], dtype=onp.float32)
    for f in (np.sin, np.exp, np.tanh, np.sqrt, np.log1p, np.square, np.abs, np.sinc):
        g = cr.elementwise_grad(f)(x)
        assert g.dtype == onp.float32, f.__name__


# --- optional oracle: PyTorch ---------------------------------------------------------------

ORACLE = [("expm1", "expm1"), ("log1p", "log1p"), ("arcsinh", "asinh"), ("arccosh", "acosh"),
          ("arctanh", "atanh"), ("sinc", "sinc"), ("cbrt", None), ("tan", "tan")]


def test_oracle_torch_unary():
    torch = pytest.importorskip("torch")
    x = onp.array([0.2, 0.7, 1.3, 2.4])
    for ours, theirs in ORACLE:
        xx = x + 1.0 if ours == "arccosh" else (x / 3 if ours == "arctanh" else x)
        t = torch.tensor(xx, requires_grad=True)
        fn = (lambda v: torch.sign(v) * v.abs() ** (1 / 3)) if theirs is None \
            else getattr(torch, theirs)
        (g1,) = torch.autograd.grad(fn(t).sum(), t, create_graph=True)
        (g2,) = torch.autograd.grad(g1.sum(), t)
        f = getattr(np, ours)
        onp.testing.assert_allclose(cr.elementwise_grad(f)(xx), g1.detach().numpy(),
                                    rtol=1e-10, err_msg=ours)
        onp.testing.assert_allclose(cr.elementwise_grad(cr.elementwise_grad(f))(xx),
                                    g2.numpy(), rtol=1e-8, err_msg=ours)


def test_oracle_torch_binary():
    torch = pytest.importorskip("torch")
    x, y = onp.array([0.3, -1.2, 2.0]), onp.array([1.1, 0.4, -0.7])
    for ours, theirs in (("logaddexp", "logaddexp"), ("arctan2", "atan2"), ("hypot", "hypot"),
                         ("fmod", "fmod"), ("remainder", "remainder")):
        tx = torch.tensor(x, requires_grad=True)
        ty = torch.tensor(y, requires_grad=True)
        gx, gy = torch.autograd.grad(getattr(torch, theirs)(tx, ty).sum(), (tx, ty))
        got = cr.grad(lambda a, b: np.sum(getattr(np, ours)(a, b)), argnums=(0, 1))(x, y)
        onp.testing.assert_allclose(got[0], gx.numpy(), rtol=1e-12, err_msg=ours)
        onp.testing.assert_allclose(got[1], gy.numpy(), rtol=1e-12, err_msg=ours)
