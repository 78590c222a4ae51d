"""chainrule.numpy.random: pass-through draws (NumPy's streams), clear errors for traced
parameters (never a silent zero), differentiable permutation/choice of traced arrays."""

import numpy as np
import pytest
from helpers import check_all

import chainrule as cr
import chainrule.numpy.random as rnd


def test_every_public_name_is_listed():
    assert set(np.random.__all__) == set(rnd.DIFFERENTIABLE) | set(rnd.NONDIFFERENTIABLE)
    assert not set(rnd.DIFFERENTIABLE) & set(rnd.NONDIFFERENTIABLE)


def test_streams_are_numpys():
    np.random.seed(3)
    want = np.random.normal(1.0, 2.0, size=4), np.random.randint(0, 9, 3)
    rnd.seed(3)
    got = rnd.normal(1.0, 2.0, size=4), rnd.randint(0, 9, 3)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(rnd.default_rng(5).standard_normal(3),
                                  np.random.default_rng(5).standard_normal(3))
    assert isinstance(rnd.default_rng(0), np.random.Generator)
    g = rnd.default_rng(1)
    assert rnd.default_rng(g) is g
    np.testing.assert_array_equal(rnd.RandomState(2).uniform(size=2),
                                  np.random.RandomState(2).uniform(size=2))


TRACED = [
    ("normal-loc", lambda t: rnd.normal(loc=t), "loc", "standard_normal"),
    ("normal-scale-positional", lambda t: rnd.normal(0.0, t, 3), "scale", "standard_normal"),
    ("uniform-high", lambda t: rnd.uniform(0.0, t), "high", "random"),
    ("exponential", lambda t: rnd.exponential(t), "scale", "standard_exponential"),
    ("lognormal", lambda t: rnd.lognormal(sigma=t), "sigma", "standard_normal"),
    ("gamma-shape", lambda t: rnd.gamma(t), "shape", "constant"),
    ("beta", lambda t: rnd.beta(t, 1.0), "a", "constant"),
    ("multivariate_normal-list", lambda t: rnd.multivariate_normal([t, 0.0], np.eye(2)),
     "mean", "cholesky"),
    ("choice-p", lambda t: rnd.choice(3, p=[t, 0.5, 0.5 - t]), "p", "probabilities"),
    ("generator-normal", lambda t: rnd.default_rng(0).normal(t), "loc", "standard_normal"),
    ("generator-poisson", lambda t: rnd.default_rng(0).poisson(lam=t), "lam", "constant"),
    ("randomstate-laplace", lambda t: rnd.RandomState(0).laplace(t, 1.0), "loc", "laplace"),
]


@pytest.mark.parametrize("f,arg,hint", [c[1:] for c in TRACED], ids=[c[0] for c in TRACED])
def test_traced_parameter_raises_pointing_to_reparameterization(f, arg, hint):
    for transform in (cr.grad, lambda f: lambda x: cr.jvp(f, (x,), (1.0,))):
        with pytest.raises(TypeError, match=f"argument '{arg}' is a traced value") as e:
            transform(lambda t: np.sum(f(t)))(0.3)
        assert hint in str(e.value)


def test_traced_parameter_under_vmap_raises_too():
    with pytest.raises(TypeError, match="reparameterized"):
        cr.vmap(lambda t: rnd.normal(t))(np.ones(3))


def test_reparameterized_form_is_differentiable():
    def sample_mean(loc, scale):
        eps = rnd.default_rng(0).standard_normal(1000)
        return np.mean(loc + scale * eps)

    eps = np.random.default_rng(0).standard_normal(1000)
    g = cr.grad(sample_mean, argnums=(0, 1))(0.5, 2.0)
    np.testing.assert_allclose(g, (1.0, eps.mean()))


def _permute(x):
    return rnd.default_rng(0).permutation(x)


def _permute_global(x):
    rnd.seed(1)
    return rnd.permutation(x)


def _choose(x):
    return rnd.default_rng(2).choice(x, size=4, p=[0.1, 0.2, 0.3, 0.4])


def _choose_global(x):
    rnd.seed(4)
    return rnd.choice(x[:, 0], size=(2, 2), replace=True)


def _permute_axis1(x):
    return rnd.default_rng(3).permutation(x, axis=1)


def _permute_randomstate(x):
    return rnd.RandomState(5).permutation(x)


@pytest.mark.parametrize("f", [_permute, _permute_global, _choose, _choose_global,
                               _permute_axis1, _permute_randomstate])
def test_permutation_and_choice_of_traced_arrays(f):
    x = np.random.default_rng(9).standard_normal((4, 3))
    check_all(f, x)
    got, _ = cr.vjp(f, x)
    np.testing.assert_array_equal(got, f(x))   # the same draw as NumPy's on the plain array


def test_shuffle_of_traced_array_raises():
    with pytest.raises(TypeError, match="permutation"):
        cr.grad(lambda x: (rnd.shuffle(x), np.sum(x))[1])(np.ones(3))
    with pytest.raises(TypeError, match="permutation"):
        cr.grad(lambda x: (rnd.default_rng(0).shuffle(x), np.sum(x))[1])(np.ones(3))


def test_plain_arrays_pass_through():
    x = np.arange(5.0)
    y = x.copy()
    rnd.default_rng(0).shuffle(y)
    z = x.copy()
    np.random.default_rng(0).shuffle(z)
    np.testing.assert_array_equal(y, z)
    assert rnd.default_rng(0).integers(0, 10, 3).dtype == np.int64
