"""Complex numbers: one convention (autograd's and JAX's; docs/complex.md) across all rules.

For a real-valued f of complex z = x + iy, ``grad(f)(z) = df/dx - i df/dy``; for a
holomorphic f, ``holomorphic_grad(f)(z) = f'(z)``; VJPs are transposes (no conjugation), and
the cotangent c of z pairs with a tangent dz as Re(sum(c * dz)).
"""

import numpy as onp
import pytest
from helpers import check_all

import chainrule as cr
import chainrule.numpy as np
from chainrule.core.primitive import Primitive
from chainrule.test_util import check_grads

rng = onp.random.default_rng(11)


def crandn(shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def fd_grad(f, z, h=1e-6):
    """df/dx - i df/dy of a real scalar function of complex z, by central differences."""
    z = onp.asarray(z, dtype=complex)
    g = onp.zeros_like(z)
    for idx in onp.ndindex(z.shape):
        e = onp.zeros_like(z)
        e[idx] = 1
        dx = (f(z + h * e) - f(z - h * e)) / (2 * h)
        dy = (f(z + 1j * h * e) - f(z - 1j * h * e)) / (2 * h)
        g[idx] = dx - 1j * dy
    return g


# real-valued functions of complex input, written with chainrule.numpy
REAL_OF_COMPLEX = {
    "abs2": lambda z: np.sum(np.abs(z) ** 2),
    "abs": lambda z: np.sum(np.abs(z)),
    "absolute": lambda z: np.sum(np.absolute(z) * 1.5),
    "real": lambda z: np.sum(np.real(z) * onp.arange(1.0, 1.0 + np.size(z)).reshape(np.shape(z))),
    "imag": lambda z: np.sum(np.imag(z) ** 3),
    "angle": lambda z: np.sum(np.angle(z)),
    "angle_deg": lambda z: np.sum(np.angle(z, deg=True)),
    "conj_product": lambda z: np.sum(np.real(np.conj(z) * z * (2 - 1j))),
    "real_of_holomorphic": lambda z: np.sum(np.real(np.sin(z) * np.exp(z))),
    "abs_exp": lambda z: np.sum(np.abs(np.exp(z) + z * z)),
    "methods": lambda z: (z.real * z.imag + abs(z.conj())).sum(),
    "var": lambda z: np.var(z),
    "std": lambda z: np.std(z, ddof=1),
    "abs_sum": lambda z: np.abs(np.sum(z * z)),
    "abs_prod": lambda z: np.abs(np.prod(z)) ** 2,
}


@pytest.mark.parametrize("name", list(REAL_OF_COMPLEX))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=["scalar", "vector", "matrix"])
def test_real_of_complex_matches_finite_differences(name, shape):
    if name == "std" and shape == ():
        pytest.skip("std with ddof=1 of one element is undefined")
    f = REAL_OF_COMPLEX[name]
    z = crandn(shape)
    g = cr.grad(f)(z)
    assert onp.iscomplexobj(g)
    onp.testing.assert_allclose(g, fd_grad(f, z), rtol=1e-6, atol=1e-8)
    check_all(f, z)


def test_worked_example_abs_squared():
    # docs/complex.md: f(z) = |z|^2 = x^2 + y^2 at z = 1 + 2i: df/dx = 2, df/dy = 4
    assert cr.grad(lambda z: np.abs(z) ** 2)(1 + 2j) == 2 - 4j
    assert cr.grad(lambda z: np.real(z * np.conj(z)))(1 + 2j) == 2 - 4j
    assert cr.grad(np.real)(1 + 2j) == 1
    assert cr.grad(np.imag)(1 + 2j) == -1j
    onp.testing.assert_allclose(cr.grad(np.abs)(1 + 2j), (1 - 2j) / onp.sqrt(5))
    onp.testing.assert_allclose(cr.grad(np.angle)(1 + 2j), -1j * (1 - 2j) / 5)


AUTOGRAD = [
    ("abs2", lambda a: lambda z: a.abs(z) ** 2),
    ("abs", lambda a: lambda z: a.abs(z)),
    ("real", lambda a: lambda z: a.real(z)),
    ("imag", lambda a: lambda z: a.imag(z)),
    ("angle", lambda a: lambda z: a.angle(z)),
    ("conj", lambda a: lambda z: a.real(a.conj(z) * (2 - 1j))),
    ("real_sin", lambda a: lambda z: a.real(a.sin(z) * z)),
    ("abs_exp", lambda a: lambda z: a.abs(a.exp(z) + z * z)),
    ("imag_log", lambda a: lambda z: a.imag(a.log(z) / z)),
]


@pytest.mark.parametrize("name,make", AUTOGRAD, ids=[a[0] for a in AUTOGRAD])
def test_matches_hips_autograd(name, make):
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    for z in (1 + 2j, -0.7 + 0.3j, 2.5 - 1.5j):
        want = autograd.grad(make(anp))(z)
        got = cr.grad(make(np))(z)
        onp.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)


def test_matches_jax_on_arrays():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    z = crandn((5,))
    for ours, theirs in (
        (lambda v: np.sum(np.abs(v) ** 2 * np.angle(v)),
         lambda v: jnp.sum(jnp.abs(v) ** 2 * jnp.angle(v))),
        (lambda v: np.real(np.prod(v)) + np.std(v), lambda v: jnp.real(jnp.prod(v)) + jnp.std(v)),
        (lambda v: np.max(np.abs(np.cumsum(v))), lambda v: jnp.max(jnp.abs(jnp.cumsum(v)))),
    ):
        onp.testing.assert_allclose(cr.grad(ours)(z), jax.grad(theirs)(z), rtol=1e-10)


HOLOMORPHIC = [
    ("sin", onp.cos), ("cos", lambda z: -onp.sin(z)), ("tan", lambda z: 1 / onp.cos(z) ** 2),
    ("exp", onp.exp), ("exp2", lambda z: onp.log(2) * 2 ** z), ("expm1", onp.exp),
    ("log", lambda z: 1 / z), ("log2", lambda z: 1 / (z * onp.log(2))),
    ("log10", lambda z: 1 / (z * onp.log(10))), ("log1p", lambda z: 1 / (1 + z)),
    ("sqrt", lambda z: 0.5 / onp.sqrt(z)), ("square", lambda z: 2 * z),
    ("reciprocal", lambda z: -1 / z ** 2), ("sinh", onp.cosh), ("cosh", onp.sinh),
    ("tanh", lambda z: 1 / onp.cosh(z) ** 2), ("arcsin", lambda z: 1 / onp.sqrt(1 - z * z)),
    ("arccos", lambda z: -1 / onp.sqrt(1 - z * z)), ("arctan", lambda z: 1 / (1 + z * z)),
    ("arcsinh", lambda z: 1 / onp.sqrt(z * z + 1)),
    ("arccosh", lambda z: 1 / (onp.sqrt(z - 1) * onp.sqrt(z + 1))),
    ("arctanh", lambda z: 1 / (1 - z * z)),
    ("sinc", lambda z: (onp.cos(onp.pi * z) - onp.sinc(z)) / z),
    ("negative", lambda z: -onp.ones_like(z)), ("positive", onp.ones_like),
]


@pytest.mark.parametrize("name,deriv", HOLOMORPHIC, ids=[h[0] for h in HOLOMORPHIC])
def test_holomorphic(name, deriv):
    f = getattr(np, name)
    z = onp.array([0.3 + 0.4j, -0.6 + 0.2j, 0.5 - 0.7j])
    got = cr.holomorphic_grad(lambda v: np.sum(f(v)))(z)
    onp.testing.assert_allclose(got, deriv(z), rtol=1e-10)
    # complex-in, complex-out: the checker's random complex directions, both modes, order 2
    check_all(f, z)
    # value under tracing equals NumPy's
    onp.testing.assert_allclose(cr.vjp(f, z)[0], getattr(onp, name)(z))


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power"])
def test_holomorphic_binary(name):
    f = getattr(np, name)
    x, y = crandn((3, 4)) * 0.5 + 1.5, crandn((4,)) * 0.3
    check_all(f, x, y)
    onp.testing.assert_allclose(cr.vjp(f, x, y)[0], getattr(onp, name)(x, y), rtol=1e-12)


def test_holomorphic_grad_of_composites():
    z = 0.4 + 0.9j
    onp.testing.assert_allclose(cr.holomorphic_grad(lambda v: v ** 3 * np.exp(v))(z),
                                (3 * z ** 2 + z ** 3) * onp.exp(z))
    w = onp.array([0.5 + 0.1j, 1.2 - 0.3j, -0.4 + 0.8j])
    onp.testing.assert_allclose(cr.holomorphic_grad(np.prod)(w),
                                [w[1] * w[2], w[0] * w[2], w[0] * w[1]])
    onp.testing.assert_allclose(cr.holomorphic_grad(lambda v: np.sum(np.cumprod(v)))(w),
                                [1 + w[1] + w[1] * w[2], w[0] + w[0] * w[2], w[0] * w[1]])


REDUCTIONS = [
    ("sum", {}), ("sum", {"axis": 0}), ("mean", {"axis": 1}), ("prod", {"axis": 1}),
    ("cumsum", {"axis": 0}), ("cumprod", {"axis": 1}), ("var", {"axis": 0}),
    ("std", {"axis": 1}), ("average", {"axis": 1}),
]


@pytest.mark.parametrize("name,kw", REDUCTIONS, ids=[f"{n}{k}" for n, k in REDUCTIONS])
def test_complex_reductions(name, kw):
    z = crandn((3, 4))
    f = getattr(np, name)
    check_all(lambda v: f(v, **kw), z)
    onp.testing.assert_allclose(cr.vjp(lambda v: f(v, **kw), z)[0], getattr(onp, name)(z, **kw),
                                rtol=1e-12)


def test_jvp_of_real_valued_functions():
    z = crandn((4,))
    dz = crandn((4,))
    t = cr.jvp(np.abs, (z,), (dz,))[1]
    onp.testing.assert_allclose(t, onp.real(onp.conj(z) * dz) / onp.abs(z))
    t = cr.jvp(np.angle, (z,), (dz,))[1]
    onp.testing.assert_allclose(t, onp.imag(onp.conj(z) * dz) / onp.abs(z) ** 2)
    assert cr.jvp(np.real, (z,), (dz,))[1].dtype == onp.float64
    onp.testing.assert_allclose(cr.jvp(np.imag, (z,), (dz,))[1], dz.imag)
    onp.testing.assert_allclose(cr.jvp(np.conj, (z,), (dz,))[1], dz.conj())


def test_abs_at_complex_zero_is_zero():
    assert cr.grad(np.abs)(0j) == 0
    assert cr.jvp(np.abs, (0j,), (1 + 1j,))[1] == 0


def test_real_input_through_complex_gets_a_real_gradient():
    x = onp.array([0.3, 1.1, -0.8])
    for f, d in ((lambda v: np.sum(np.real(np.exp(1j * v))), -onp.sin(x)),
                 (lambda v: np.sum(np.abs(v + 2j) ** 2), 2 * x),
                 (lambda v: np.sum(np.imag(v * (1 + 2j)) * v), 4 * x),
                 (lambda v: np.sum(np.angle(v + 1j)), -1 / (1 + x * x)),
                 (lambda v: np.abs(np.sum(v * (1 - 1j))) ** 2, 4 * onp.sum(x) * onp.ones(3))):
        g = cr.grad(f)(x)
        assert g.dtype == onp.float64
        onp.testing.assert_allclose(g, d, rtol=1e-12)
    # and float32 stays float32 under complex64 intermediates
    x32 = x.astype(onp.float32)
    g = cr.grad(lambda v: np.sum(np.real(np.exp(onp.complex64(1j) * v))))(x32)
    assert g.dtype == onp.float32


def test_angle_of_real_input_has_zero_derivative():
    x = onp.array([-2.0, 0.0, 3.0])
    onp.testing.assert_array_equal(cr.elementwise_grad(np.angle)(x), [0, 0, 0])
    onp.testing.assert_allclose(cr.vjp(np.angle, x)[0], onp.angle(x))


def test_complex_vmap():
    z = crandn((3, 4))
    got = cr.vmap(lambda v: np.abs(np.sum(v * np.conj(v))) + np.angle(v[0]))(z)
    want = [abs(onp.sum(r * r.conj())) + onp.angle(r[0]) for r in z]
    onp.testing.assert_allclose(got, want)


def test_check_grads_catches_the_adjoint_convention():
    """check_grads pairs cotangents with tangents as Re(sum(c * dz)); a rule written with the
    conjugated (adjoint) convention must fail it, and the transposed one must pass."""
    def make(conjugate):
        p = Primitive(f"cube_test_{conjugate}", lambda z: z ** 3, register=False)
        if conjugate:
            p.defvjp(lambda g, ans, z: g * onp.conj(3 * z ** 2))
        else:
            p.defvjp(lambda g, ans, z: g * 3 * z ** 2)
        p.defjvp(lambda g, ans, z: g * 3 * z ** 2)
        return p

    z = crandn((3,))
    check_grads(make(False), z, modes=("rev",), order=1)
    with pytest.raises(AssertionError, match="reverse mode"):
        check_grads(make(True), z, modes=("rev",), order=1)
