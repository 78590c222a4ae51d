"""Activations and losses: values against SciPy / closed forms, derivatives through check_all
(check_grads order 2 in both modes, vmap against a loop, derivatives under vmap), stability
for huge logits, reductions, and the documented conventions at kinks."""

import numpy as onp
import pytest
import scipy.special as sps
from helpers import check_all

import chainrule as cr
from chainrule import nn

rng = onp.random.default_rng(0)


def away0(shape):
    x = rng.standard_normal(shape)
    return onp.where(x < 0, x - 0.2, x + 0.2)  # kinks at 0 are checked separately


def gelu_exact(x):
    return 0.5 * x * (1 + sps.erf(x / onp.sqrt(2)))


def gelu_tanh(x):
    return 0.5 * x * (1 + onp.tanh(onp.sqrt(2 / onp.pi) * (x + 0.044715 * x ** 3)))


ACTIVATIONS = [
    ("relu", nn.relu, lambda x: onp.maximum(x, 0)),
    ("leaky_relu", nn.leaky_relu, lambda x: onp.where(x > 0, x, 0.01 * x)),
    ("elu", nn.elu, lambda x: onp.where(x > 0, x, onp.expm1(x))),
    ("gelu", nn.gelu, gelu_tanh),
    ("gelu_exact", lambda x: nn.gelu(x, approximate=False), gelu_exact),
    ("silu", nn.silu, lambda x: x * sps.expit(x)),
    ("sigmoid", nn.sigmoid, sps.expit),
    ("tanh", nn.tanh, onp.tanh),
    ("softplus", nn.softplus, lambda x: onp.logaddexp(0, x)),
    ("softmax", nn.softmax, lambda x: sps.softmax(x, axis=-1)),
    ("log_softmax", nn.log_softmax, lambda x: sps.log_softmax(x, axis=-1)),
    ("logsumexp", nn.logsumexp, lambda x: sps.logsumexp(x, axis=-1)),
]


@pytest.mark.parametrize("name,f,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_values_and_grads(name, f, ref):
    x = away0((3, 4))
    onp.testing.assert_allclose(f(x), ref(x), rtol=1e-12, atol=1e-12)
    check_all(f, x)


def test_relu_is_one_primitive_keeping_only_its_output():
    # relu is a primitive (not where(x > 0, x, 0), ~8x slower in NumPy on random signs) whose
    # rules read its output only; its derivative is an exact select, also for inf cotangents.
    from chainrule.core.reverse import RevTrace

    t = RevTrace()
    x = t.new_leaf(away0((3, 4)))
    y = nn.relu(x)
    prim, _, args, ans, _ = t.tape[y._idx]
    assert prim.name == "nn_relu" and ans is not None and type(args[0]).__name__ == "ShapeDtype"
    z = onp.array([-1.0, 2.0, -3.0, 4.0])
    _, f_vjp = cr.vjp(nn.relu, z)
    onp.testing.assert_array_equal(f_vjp(onp.full(4, onp.inf))[0], [0.0, onp.inf, 0.0, onp.inf])
    assert cr.grad(lambda v: nn.relu(v).sum())(z.astype(onp.float32)).dtype == onp.float32


@pytest.mark.parametrize("slope", [0.01, 0.0, 1.5, -0.3])
def test_leaky_relu_primitive_and_learned_slope(slope):
    # a constant slope takes one primitive (maximum(x, slope*x) for 0 <= slope <= 1); every
    # slope gives NumPy's values, slope at 0, exact derivatives for inf cotangents
    z = onp.array([-1.5, 0.3, 2.0, -0.2, 0.0])
    onp.testing.assert_array_equal(nn.leaky_relu(z, slope), onp.where(z > 0, z, slope * z))
    d = cr.elementwise_grad(lambda v: nn.leaky_relu(v, slope))(z)
    onp.testing.assert_array_equal(d, onp.where(z > 0, 1.0, slope))
    x = away0((3, 4))
    check_all(lambda v: nn.leaky_relu(v, slope), x)
    _, f_vjp = cr.vjp(lambda v: nn.leaky_relu(v, slope), z[:4])
    g = f_vjp(onp.array([onp.inf, onp.inf, -onp.inf, 1.0]))[0]
    onp.testing.assert_array_equal(g, [slope * onp.inf if slope else 0.0, onp.inf, -onp.inf, slope])
    # a traced slope (PReLU): d/da sum(leaky_relu(x, a)) = sum of x over x <= 0
    da = cr.grad(lambda a: cr.numpy.sum(nn.leaky_relu(z, a)))(onp.float64(slope))
    assert da == pytest.approx(onp.sum(z[z <= 0]))


@pytest.mark.parametrize("alpha", [1.0, 2.0, 0.5])
def test_elu_primitive_values_and_learned_alpha(alpha):
    # a constant alpha takes one primitive: maximum(x, 0) + alpha * expm1(minimum(x, 0))
    z = onp.array([-1.5, 0.3, 2.0, -0.2, 0.0, -800.0, onp.inf, -onp.inf])
    want = onp.where(z > 0, z, alpha * onp.expm1(onp.minimum(z, 0)))
    onp.testing.assert_array_equal(nn.elu(z, alpha), want)
    d = cr.elementwise_grad(lambda v: nn.elu(v, alpha))(z[:6])
    onp.testing.assert_allclose(d, onp.where(z[:6] > 0, 1.0, alpha * onp.exp(z[:6])), rtol=1e-15)
    check_all(lambda v: nn.elu(v, alpha), away0((3, 4)))
    da = cr.grad(lambda a: cr.numpy.sum(nn.elu(z[:6], a)))(onp.float64(alpha))  # traced alpha
    assert da == pytest.approx(onp.sum(onp.expm1(onp.minimum(z[:6], 0))))


def test_softmax_axis_and_extreme_logits():
    x = onp.array([[1000.0, 0.0, -1000.0], [-800.0, -801.0, -802.0]])
    onp.testing.assert_allclose(nn.softmax(x), sps.softmax(x, axis=-1), atol=1e-300)
    onp.testing.assert_allclose(nn.log_softmax(x), sps.log_softmax(x, axis=-1))
    g = cr.grad(lambda z: nn.log_softmax(z)[0, 1])(x)
    assert onp.all(onp.isfinite(g))
    y = away0((3, 4))
    onp.testing.assert_allclose(nn.softmax(y, axis=0), sps.softmax(y, axis=0))
    check_all(lambda z: nn.log_softmax(z, axis=0), y)
    onp.testing.assert_allclose(nn.sigmoid(onp.array([-800.0, 800.0])), [0.0, 1.0])
    onp.testing.assert_allclose(nn.softplus(onp.array([-800.0, 800.0])), [0.0, 800.0])
    assert onp.isfinite(cr.grad(lambda z: nn.elu(z))(1000.0))


def test_kink_conventions():
    d = cr.elementwise_grad
    zero = onp.zeros(1)
    assert d(nn.relu)(zero)[0] == 0.0
    assert d(lambda z: nn.leaky_relu(z, 0.1))(zero)[0] == pytest.approx(0.1)
    assert d(lambda z: nn.elu(z, 2.0))(zero)[0] == pytest.approx(2.0)
    assert d(nn.softplus)(zero)[0] == pytest.approx(0.5)  # smooth: sigmoid(0)
    assert d(lambda z: nn.mae(z, zero, reduction="none"))(zero)[0] == 0.0


# --- losses -----------------------------------------------------------------------------------

N, C = 4, 3
LABELS = onp.array([0, 2, 1, 2])
ONE_HOT = onp.eye(C)[LABELS]


def ce_ref(z, y):
    return -sps.log_softmax(z, axis=-1)[onp.arange(len(y)), y]


def bce_ref(z, t):
    p = sps.expit(z)
    return -(t * onp.log(p) + (1 - t) * onp.log1p(-p))


def huber_ref(r, d=1.0):
    a = onp.abs(r)
    return onp.where(a <= d, 0.5 * r ** 2, d * (a - 0.5 * d))


TARGET = rng.standard_normal((N, C))
PROB01 = rng.uniform(size=(N, C))
LOSSES = [
    ("mse", lambda z: nn.mse(z, TARGET, reduction="none"), lambda z: (z - TARGET) ** 2),
    ("mae", lambda z: nn.mae(z, TARGET, reduction="none"), lambda z: onp.abs(z - TARGET)),
    ("huber", lambda z: nn.huber(z, TARGET, reduction="none"), lambda z: huber_ref(z - TARGET)),
    ("huber_delta", lambda z: nn.huber(z, TARGET, delta=0.3, reduction="none"),
     lambda z: huber_ref(z - TARGET, 0.3)),
    ("ce_int", lambda z: nn.cross_entropy(z, LABELS, reduction="none"),
     lambda z: ce_ref(z, LABELS)),
    ("ce_onehot", lambda z: nn.cross_entropy(z, ONE_HOT, reduction="none"),
     lambda z: ce_ref(z, LABELS)),
    ("nll", lambda z: nn.nll(nn.log_softmax(z), LABELS, reduction="none"),
     lambda z: ce_ref(z, LABELS)),
    ("bce", lambda z: nn.binary_cross_entropy(z, PROB01, reduction="none"),
     lambda z: bce_ref(z, PROB01)),
]


@pytest.mark.parametrize("name,f,ref", LOSSES, ids=[a[0] for a in LOSSES])
def test_loss_values_and_grads(name, f, ref):
    z = TARGET + away0((N, C)) * 0.5 if name.startswith(("mae", "huber")) else away0((N, C))
    onp.testing.assert_allclose(f(z), ref(z), rtol=1e-12, atol=1e-12)
    check_all(lambda a: f(a), z, vmap=False)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_reductions(reduction):
    z = away0((N, C))
    per = ce_ref(z, LABELS)
    want = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    onp.testing.assert_allclose(nn.cross_entropy(z, LABELS, reduction=reduction), want)
    with pytest.raises(ValueError, match="reduction"):
        nn.mse(z, z, reduction="average")


def test_cross_entropy_per_example_under_vmap_and_extreme_logits():
    z = away0((N, C))
    per = cr.vmap(lambda a, y: nn.cross_entropy(a, y), in_axes=(0, 0))(z, ONE_HOT)
    onp.testing.assert_allclose(per, ce_ref(z, LABELS))
    big = onp.array([[1e4, 0.0, -1e4]])
    assert nn.cross_entropy(big, onp.array([0])) == 0.0
    onp.testing.assert_allclose(nn.cross_entropy(big, onp.array([1])), 1e4)
    g = cr.grad(lambda a: nn.cross_entropy(a, onp.array([1])))(big)
    onp.testing.assert_allclose(g, [[1.0, -1.0, 0.0]], atol=1e-12)
    zz = onp.array([-1e4, 1e4])
    onp.testing.assert_allclose(nn.binary_cross_entropy(zz, onp.array([1.0, 0.0]),
                                                        reduction="none"), [1e4, 1e4])


def test_label_smoothing_matches_torch_formula():
    z = away0((N, C))
    eps = 0.1
    target = ONE_HOT * (1 - eps) + eps / C
    want = -(target * sps.log_softmax(z, axis=-1)).sum(-1).mean()
    onp.testing.assert_allclose(nn.cross_entropy(z, LABELS, label_smoothing=eps), want)


def test_loss_errors_name_the_problem():
    z = onp.zeros((N, C))
    with pytest.raises(ValueError, match=r"shape \(4, 3\).*\(4,\)"):
        nn.mse(z, onp.zeros(N))
    with pytest.raises(ValueError, match=r"integer labels have shape \(3,\)"):
        nn.cross_entropy(z, onp.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        nn.cross_entropy(z, onp.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="unknown loss"):
        nn.losses.get("hinge")


def test_losses_take_python_lists():
    onp.testing.assert_allclose(nn.mse([1.0, 2.0], [1.0, 3.0]), 0.5)
    onp.testing.assert_allclose(nn.cross_entropy([[1e4, 0.0, -1e4]], [1]), 1e4)
    onp.testing.assert_allclose(nn.binary_cross_entropy([0.0], [1.0]), onp.log(2.0))
