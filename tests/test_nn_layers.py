"""Layers and initializers: outputs against direct NumPy computations (and PyTorch where
installed), every layer's derivatives through check_all / check_grads, BatchNorm's running
statistics, dropout's randomness and seeding, and error messages."""

import itertools

import numpy as onp
import pytest
from helpers import check_all

import chainrule as cr
from chainrule import nn
from chainrule.nn import initializers as inits
from chainrule.test_util import check_grads

rng = onp.random.default_rng(0)


def conv_ref(x, w, b, stride, pad, dil):
    """Direct loops over output positions (cross-correlation), NCHW."""
    x = onp.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh = (h - dil * (kh - 1) - 1) // stride + 1
    ow = (wd - dil * (kw - 1) - 1) // stride + 1
    out = onp.zeros((n, f, oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        patch = x[:, :, i * stride:i * stride + dil * (kh - 1) + 1:dil,
                  j * stride:j * stride + dil * (kw - 1) + 1:dil]
        out[:, :, i, j] = onp.einsum("nchw,fchw->nf", patch, w)
    return out + b[None, :, None, None]


@pytest.mark.parametrize("stride,pad,dil", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (2, 0, 1)])
def test_conv2d_matches_loops(stride, pad, dil):
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    got = nn.conv2d(x, w, b, stride=stride, padding=pad, dilation=dil)
    want = conv_ref(x, w, b, stride, pad, dil)
    onp.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    if dil == 1:
        fft = nn.conv2d(x, w, b, stride=stride, padding=pad, method="fft")
        onp.testing.assert_allclose(fft, want, rtol=1e-10, atol=1e-12)


def test_conv_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, w, b = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((5, 3, 3, 3)), \
        rng.standard_normal(5)
    want = F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=2, padding=1,
                    dilation=1).numpy()
    onp.testing.assert_allclose(nn.conv2d(x, w, b, stride=2, padding=1), want, rtol=1e-10)
    same = F.conv2d(torch.tensor(x), torch.tensor(w), padding="same").numpy()
    onp.testing.assert_allclose(nn.conv2d(x, w, padding="same"), same, rtol=1e-10)
    x1, w1 = rng.standard_normal((2, 3, 11)), rng.standard_normal((4, 3, 3))
    want1 = F.conv1d(torch.tensor(x1), torch.tensor(w1), stride=2, dilation=2).numpy()
    onp.testing.assert_allclose(nn.conv1d(x1, w1, stride=2, dilation=2), want1, rtol=1e-10)
    want_pool = F.max_pool2d(torch.tensor(x), 2).numpy()
    onp.testing.assert_allclose(nn.max_pool2d(x, 2), want_pool)
    onp.testing.assert_allclose(nn.avg_pool2d(x, 2), F.avg_pool2d(torch.tensor(x), 2).numpy())


# Every layer's apply, differentiated in its params and its input (check_all: order 2, both
# modes, vmap against a loop and derivatives under vmap).
def _layer_fn(layer, params, **kw):
    leaves, td = cr.tree_flatten(params)

    def f(x, *ps):
        return layer(cr.tree_unflatten(td, list(ps)), x, **kw)
    return f, leaves


LAYERS = [
    ("dense", nn.Dense(3), (4,), (2, 4)),
    ("dense_nobias", nn.Dense(3, use_bias=False), (4,), (2, 4)),
    ("mlp_tanh", nn.MLP([5, 3], activation="tanh"), (4,), (2, 4)),
    ("sequential", nn.Sequential([nn.Dense(4), nn.gelu, nn.LayerNorm(), nn.Dense(2)]),
     (3,), (2, 3)),
    ("layernorm", nn.LayerNorm(), (5,), (2, 5)),
    ("layernorm2", nn.LayerNorm(ndim=2), (2, 3), (2, 2, 3)),
    ("conv1d", nn.Conv1D(2, 3, padding="same"), (2, 6), (2, 2, 6)),
    ("conv2d", nn.Conv2D(2, (2, 3), stride=(1, 2), padding=1), (2, 4, 5), (2, 2, 4, 5)),
    ("conv2d_fft", nn.Conv2D(2, (2, 3), stride=(1, 2), padding=1, method="fft"), (2, 4, 5),
     (2, 2, 4, 5)),
    ("avgpool", nn.AvgPool2D(2), (1, 4, 4), (2, 1, 4, 4)),
    ("maxpool", nn.MaxPool2D(2, stride=1), (1, 3, 3), (2, 1, 3, 3)),
    ("flatten", nn.Flatten(ndim=3), (2, 2, 2), (2, 2, 2, 2)),
]


@pytest.mark.parametrize("name,layer,in_shape,x_shape", LAYERS, ids=[a[0] for a in LAYERS])
def test_layer_grads(name, layer, in_shape, x_shape):
    params, state = layer.init(1, in_shape)
    params = cr.tree_map(lambda p: p + 0.1 * rng.standard_normal(onp.shape(p)), params)
    assert state is None
    x = rng.standard_normal(x_shape)
    y = layer(params, x)
    assert y.shape == x_shape[:1] + layer.output_shape(in_shape)
    f, leaves = _layer_fn(layer, params)
    check_all(f, x, *leaves)


def test_dense_and_mlp_values():
    mlp = nn.MLP([6, 3], activation="tanh")
    p, _ = mlp.init(0, (4,))
    x = rng.standard_normal((5, 4))
    l0, l1 = p["layers"]
    want = onp.tanh(x @ l0["W"] + l0["b"]) @ l1["W"] + l1["b"]
    onp.testing.assert_allclose(mlp(p, x), want)
    assert nn.count_params(p) == 4 * 6 + 6 + 6 * 3 + 3


def test_layernorm_matches_formula():
    ln = nn.LayerNorm(eps=1e-5)
    p, _ = ln.init(0, (6,))
    p = {"scale": rng.standard_normal(6), "bias": rng.standard_normal(6)}
    x = rng.standard_normal((3, 6))
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    onp.testing.assert_allclose(ln(p, x), (x - mu) / onp.sqrt(var + 1e-5) * p["scale"] +
                                p["bias"])


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3, 3)])
def test_batchnorm_train_eval_and_running_stats(shape):
    bn = nn.BatchNorm(momentum=0.1)
    c = shape[1]
    params, state = bn.init(0, shape[1:])
    params = {"scale": rng.standard_normal(c), "bias": rng.standard_normal(c)}
    x = rng.standard_normal(shape) * 2 + 1
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, c) + (1,) * (len(shape) - 2)
    y, new_state = bn.apply(params, x, state=state, train=True)
    mu, var = x.mean(axis=axes), x.var(axis=axes)
    want = (x - mu.reshape(bshape)) / onp.sqrt(var.reshape(bshape) + 1e-5)
    onp.testing.assert_allclose(y, want * params["scale"].reshape(bshape)
                                + params["bias"].reshape(bshape), rtol=1e-10)
    n = x.size // c
    onp.testing.assert_allclose(new_state["mean"], 0.1 * mu)
    onp.testing.assert_allclose(new_state["var"], 0.9 + 0.1 * var * n / (n - 1))
    assert onp.all(state["mean"] == 0)  # functional: the old state is untouched
    y_eval, same = bn.apply(params, x, state=new_state, train=False)
    assert same is new_state
    want_eval = (x - new_state["mean"].reshape(bshape)) / onp.sqrt(
        new_state["var"].reshape(bshape) + 1e-5)
    onp.testing.assert_allclose(y_eval, want_eval * params["scale"].reshape(bshape)
                                + params["bias"].reshape(bshape), rtol=1e-10)
    # Derivatives in both modes: batch statistics (train) and fixed statistics (eval, + vmap).
    check_grads(lambda x, s, b: bn.apply({"scale": s, "bias": b}, x, state=state,
                                         train=True)[0], x, params["scale"], params["bias"])
    check_all(lambda x, s, b: bn({"scale": s, "bias": b}, x[None], state=new_state)[0],
              x[0], params["scale"], params["bias"])


def test_batchnorm_matches_torch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((6, 3, 4, 4))
    tbn = torch.nn.BatchNorm2d(3, momentum=0.1).double()
    bn = nn.BatchNorm()
    params, state = bn.init(0, (3, 4, 4))
    for _ in range(2):
        want = tbn(torch.tensor(x)).detach().numpy()
        got, state = bn.apply(params, x, state=state, train=True)
        onp.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    onp.testing.assert_allclose(state["mean"], tbn.running_mean.numpy(), rtol=1e-12)
    onp.testing.assert_allclose(state["var"], tbn.running_var.numpy(), rtol=1e-12)
    tbn.eval()
    onp.testing.assert_allclose(bn(params, x, state=state), tbn(torch.tensor(x)).detach(),
                                rtol=1e-10, atol=1e-12)


def test_batchnorm_in_sequential_threads_state():
    model = nn.Sequential([nn.Dense(4), nn.BatchNorm(), nn.relu, nn.Dense(2)])
    params, state = model.init(0, (3,))
    assert state[0] is None and set(state[1]) == {"mean", "var"}
    x = rng.standard_normal((8, 3))
    (val, new_state), g = cr.value_and_grad(
        lambda p: (onp.sum(model.apply(p, x, state=state, train=True)[0] ** 2),
                   model.apply(p, x, state=state, train=True)[1]), has_aux=True)(params)
    assert not onp.allclose(cr.core.trace.getval(new_state[1]["mean"]), 0)
    with pytest.raises(ValueError, match="state="):
        nn.BatchNorm().apply({"scale": onp.ones(3), "bias": onp.zeros(3)}, x)


def test_dropout():
    d = nn.Dropout(0.5)
    x = onp.ones((200, 50))
    onp.testing.assert_array_equal(d({}, x), x)  # eval: identity
    y1, y2 = d({}, x, train=True, rng=3), d({}, x, train=True, rng=3)
    onp.testing.assert_array_equal(y1, y2)  # a seed is reproducible
    assert set(onp.unique(y1)) == {0.0, 2.0}
    assert abs((y1 == 0).mean() - 0.5) < 0.02
    assert not onp.array_equal(y1, d({}, x, train=True, rng=4))
    g = cr.grad(lambda z: onp.sum(d({}, z, train=True, rng=3)))(x)
    onp.testing.assert_array_equal(g, y1)  # gradient = the scaled mask
    with pytest.raises(ValueError, match="rng"):
        d({}, x, train=True)
    mlp = nn.MLP([16, 16, 2], dropout=0.5)
    p, _ = mlp.init(0, (3,))
    xs = rng.standard_normal((4, 3))
    assert not onp.allclose(mlp(p, xs, train=True, rng=0), mlp(p, xs, train=True, rng=1))
    onp.testing.assert_array_equal(mlp(p, xs, train=True, rng=0), mlp(p, xs, train=True, rng=0))


def test_embedding():
    emb = nn.Embedding(7, 3)
    p, _ = emb.init(0, ())
    ids = onp.array([[1, 6], [1, 0]])
    onp.testing.assert_array_equal(emb(p, ids), p["table"][ids])
    g = cr.grad(lambda t: onp.sum(emb({"table": t}, ids) ** 2))(p["table"])
    want = onp.zeros((7, 3))
    onp.add.at(want, ids.ravel(), 2 * p["table"][ids.ravel()])
    onp.testing.assert_allclose(g, want)  # repeated ids accumulate
    check_all(lambda t: emb({"table": t}, ids), p["table"])
    onp.testing.assert_array_equal(cr.vmap(lambda i: emb(p, i))(ids), p["table"][ids])
    with pytest.raises(ValueError, match=r"\[0, 7\)"):
        emb(p, onp.array([7]))


def test_per_example_grads_of_cnn_under_vmap():
    model = nn.Sequential([nn.Conv2D(2, 3, padding="same"), nn.relu, nn.MaxPool2D(2),
                           nn.Flatten(ndim=3), nn.Dense(3)])
    params, _ = model.init(0, (1, 4, 4))
    xs, ys = rng.standard_normal((3, 1, 4, 4)), onp.array([0, 2, 1])

    def loss(p, x, y):
        return nn.cross_entropy(model(p, x), y)

    per = cr.vmap(cr.grad(loss), in_axes=(None, 0, 0))(params, xs, ys)
    for i in range(3):
        one = cr.grad(loss)(params, xs[i:i + 1], ys[i:i + 1])
        for a, b in zip(cr.tree_leaves(per), cr.tree_leaves(one), strict=True):
            onp.testing.assert_allclose(a[i], b, rtol=1e-10, atol=1e-12)


INITS = [("glorot_uniform", 2.0 / (300 + 200)), ("glorot_normal", 2.0 / (300 + 200)),
         ("he_uniform", 2.0 / 300), ("he_normal", 2.0 / 300), ("lecun_uniform", 1.0 / 300),
         ("lecun_normal", 1.0 / 300)]


@pytest.mark.parametrize("name,var", INITS, ids=[a[0] for a in INITS])
def test_initializer_variance_and_seeding(name, var):
    init = inits.get(name)
    w = init(0, (300, 200))
    assert w.shape == (300, 200)
    assert abs(w.var() / var - 1) < 0.03
    assert abs(w.mean()) < 0.01 * onp.sqrt(var) * 10
    onp.testing.assert_array_equal(w, init(0, (300, 200)))
    assert not onp.array_equal(w, init(1, (300, 200)))
    if name.endswith("uniform"):
        assert onp.abs(w).max() <= onp.sqrt(3 * var)


def test_conv_fans():
    assert inits.fans((8, 3, 5, 5)) == (3 * 25, 8 * 25)
    assert inits.fans((4, 6)) == (4, 6)
    w = inits.he_normal(0, (64, 16, 3, 3))
    assert abs(w.var() * 16 * 9 / 2 - 1) < 0.05


def test_layer_errors_name_the_problem():
    p, _ = nn.Dense(3).init(0, (4,))
    with pytest.raises(ValueError, match="last axis has size 4"):
        nn.Dense(3)(p, onp.ones((2, 5)))
    c, _ = nn.Conv2D(2, 3).init(0, (3, 5, 5))
    with pytest.raises(ValueError, match="2 channels"):
        nn.Conv2D(2, 3)(c, onp.ones((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        nn.conv2d(onp.ones((1, 1, 2, 2)), onp.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        nn.Conv2D(2, 3).init(0, (5, 5))
    with pytest.raises(ValueError, match="dilation 1 only"):
        nn.conv2d(onp.ones((1, 1, 5, 5)), onp.ones((1, 1, 2, 2)), dilation=2, method="fft")
    with pytest.raises(ValueError, match="rate"):
        nn.Dropout(1.0)
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([3], activation="swishy")
    with pytest.raises(TypeError, match="rng"):
        inits.he_normal("seed", (2, 2))
