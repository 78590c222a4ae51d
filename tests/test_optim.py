"""Optimizers against updates computed by hand from their defining formulas, and against
torch.optim step by step where PyTorch is installed; schedules, clipping, weight decay,
pytree handling, and differentiating through an update step."""

import math

import numpy as onp
import pytest

import chainrule as cr
from chainrule import optim

rng = onp.random.default_rng(0)
P0 = {"w": rng.standard_normal((3, 2)), "b": [rng.standard_normal(2)]}


def grads_at(k):
    """A fixed, step-dependent gradient sequence (same for every implementation)."""
    r = onp.random.default_rng(100 + k)
    return cr.tree_map(lambda p: r.standard_normal(onp.shape(p)), P0)


def run(opt, steps=4):
    params, state = P0, opt.init(P0)
    for k in range(steps):
        params, state = opt.update(grads_at(k), state, params)
    return params, state


def by_hand(step_fn, steps=4, **slots):
    """Apply a per-leaf update written from the formula, to every leaf."""
    leaves, td = cr.tree_flatten(P0)
    out = []
    for i, p in enumerate(leaves):
        s = {k: onp.zeros_like(p) + v for k, v in slots.items()}
        for k in range(steps):
            g = cr.tree_flatten(grads_at(k))[0][i]
            p, s = step_fn(p, g, s, k + 1)
        out.append(p)
    return cr.tree_unflatten(td, out)


def assert_tree_close(a, b, **kw):
    for x, y in zip(cr.tree_leaves(a), cr.tree_leaves(b), strict=True):
        onp.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14, **kw)


def test_sgd_plain_and_momentum_and_nesterov_by_hand():
    assert_tree_close(run(optim.sgd(0.1))[0], by_hand(lambda p, g, s, t: (p - 0.1 * g, s)))

    def mom(p, g, s, t, nesterov=False):
        buf = 0.9 * s["b"] + g
        d = g + 0.9 * buf if nesterov else buf
        return p - 0.1 * d, {"b": buf}

    assert_tree_close(run(optim.sgd(0.1, momentum=0.9))[0], by_hand(mom, b=0.0))
    assert_tree_close(run(optim.sgd(0.1, momentum=0.9, nesterov=True))[0],
                      by_hand(lambda *a: mom(*a, nesterov=True), b=0.0))


def test_adam_adamw_by_hand():
    def adam_step(p, g, s, t, wd=0.0, decoupled=False, lr=0.01):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = 0.9 * s["m"] + 0.1 * g
        v = 0.999 * s["v"] + 0.001 * g * g
        mhat, vhat = m / (1 - 0.9 ** t), v / (1 - 0.999 ** t)
        return p - lr * mhat / (onp.sqrt(vhat) + 1e-8), {"m": m, "v": v}

    assert_tree_close(run(optim.adam(0.01))[0], by_hand(adam_step, m=0.0, v=0.0))
    assert_tree_close(run(optim.adam(0.01, weight_decay=0.1))[0],
                      by_hand(lambda *a: adam_step(*a, wd=0.1), m=0.0, v=0.0))
    assert_tree_close(run(optim.adamw(0.01, weight_decay=0.1))[0],
                      by_hand(lambda *a: adam_step(*a, wd=0.1, decoupled=True), m=0.0, v=0.0))


def test_rmsprop_adagrad_by_hand():
    def rms(p, g, s, t):
        v = 0.99 * s["v"] + 0.01 * g * g
        return p - 0.01 * g / (onp.sqrt(v) + 1e-8), {"v": v}

    assert_tree_close(run(optim.rmsprop(0.01))[0], by_hand(rms, v=0.0))

    def ada(p, g, s, t):
        acc = s["s"] + g * g
        return p - 0.1 * g / (onp.sqrt(acc) + 1e-10), {"s": acc}

    assert_tree_close(run(optim.adagrad(0.1, initial_accumulator_value=0.5))[0],
                      by_hand(ada, s=0.5))


TORCH_CASES = [
    ("sgd", lambda: optim.sgd(0.1), lambda t, ps: t.optim.SGD(ps, lr=0.1)),
    ("sgd_momentum_wd", lambda: optim.sgd(0.05, momentum=0.9, weight_decay=0.01),
     lambda t, ps: t.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01)),
    ("nesterov", lambda: optim.sgd(0.05, momentum=0.8, nesterov=True),
     lambda t, ps: t.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True)),
    ("adam", lambda: optim.adam(0.01, weight_decay=0.05),
     lambda t, ps: t.optim.Adam(ps, lr=0.01, weight_decay=0.05)),
    ("adamw", lambda: optim.adamw(0.01, b1=0.8, weight_decay=0.1),
     lambda t, ps: t.optim.AdamW(ps, lr=0.01, betas=(0.8, 0.999), weight_decay=0.1)),
    ("rmsprop", lambda: optim.rmsprop(0.01), lambda t, ps: t.optim.RMSprop(ps, lr=0.01)),
    ("rmsprop_centered_momentum", lambda: optim.rmsprop(0.01, momentum=0.5, centered=True),
     lambda t, ps: t.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True)),
    ("adagrad", lambda: optim.adagrad(0.1, weight_decay=0.01),
     lambda t, ps: t.optim.Adagrad(ps, lr=0.1, weight_decay=0.01)),
]


@pytest.mark.parametrize("name,ours,theirs", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_against_torch_optim(name, ours, theirs):
    torch = pytest.importorskip("torch")
    leaves, td = cr.tree_flatten(P0)
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in leaves]
    topt = theirs(torch, tparams)
    for k in range(5):
        for tp, g in zip(tparams, cr.tree_flatten(grads_at(k))[0], strict=True):
            tp.grad = torch.tensor(g)
        topt.step()
    params, _ = run(ours(), steps=5)
    for got, tp in zip(cr.tree_leaves(params), tparams, strict=True):
        onp.testing.assert_allclose(got, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_schedules():
    s = optim.cosine_decay(1.0, 10, final_lr=0.1)
    assert s(0) == 1.0 and s(10) == pytest.approx(0.1) and s(20) == pytest.approx(0.1)
    assert s(5) == pytest.approx(0.55)
    e = optim.exponential_decay(2.0, 0.5)
    assert [e(k) for k in range(3)] == [2.0, 1.0, 0.5]
    w = optim.warmup_cosine(1.0, 5, 15)
    assert [w(k) for k in range(5)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert w(5) == 1.0 and w(15) == pytest.approx(0.0)
    # The optimizer uses lr(k) at update k: sgd's k-th move is lr(k) * g.
    opt = optim.sgd(optim.step_decay(1.0, 2, 0.1))
    p, st = {"x": onp.zeros(())}, None
    st = opt.init(p)
    moves = []
    for _ in range(5):
        new, st = opt.update({"x": onp.ones(())}, st, p)
        moves.append(float(p["x"] - new["x"]))
        p = new
    assert moves == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])
    assert int(st["step"]) == 5


def test_clip_by_global_norm_and_decay_mask():
    g = {"a": onp.array([3.0, 0.0]), "b": onp.array([4.0])}
    clipped, norm = optim.clip_by_global_norm(g, 1.0)
    assert norm == pytest.approx(5.0)
    assert optim.global_norm(clipped) == pytest.approx(1.0)
    onp.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    same, _ = optim.clip_by_global_norm(g, 10.0)
    onp.testing.assert_array_equal(same["a"], g["a"])
    opt = optim.sgd(1.0, clip_norm=1.0)
    p = {"a": onp.zeros(2), "b": onp.zeros(1)}
    new, _ = opt.update(g, opt.init(p), p)
    onp.testing.assert_allclose(new["b"], [-0.8])
    # decay only matrices: the bias is not decayed
    opt = optim.adamw(0.1, weight_decay=0.5, decay_mask=lambda path, leaf: leaf.ndim > 1)
    p = {"W": onp.ones((2, 2)), "b": onp.ones(2)}
    zero = cr.tree_map(onp.zeros_like, p)
    new, _ = opt.update(zero, opt.init(p), p)
    onp.testing.assert_allclose(new["W"], 0.95)
    onp.testing.assert_allclose(new["b"], 1.0)


def test_update_is_pure_and_differentiable():
    opt = optim.adam(0.1)
    p = {"x": onp.array([1.0, -2.0])}
    st = opt.init(p)
    before = {k: onp.copy(v) for k, v in st.items() if k == "step"}
    opt.update({"x": onp.ones(2)}, st, p)
    assert int(st["step"]) == int(before["step"]) == 0
    onp.testing.assert_array_equal(p["x"], [1.0, -2.0])

    # a hypergradient: d(loss after one sgd step)/d(lr) = -g . g for loss = sum(x^2)
    def after(lr):
        o = optim.sgd(1.0)
        g = cr.grad(lambda q: onp.sum(q["x"] ** 2))(p)
        new, _ = o.update(cr.tree_map(lambda a: lr * a, g), o.init(p), p)
        return onp.sum(new["x"] ** 2)

    x = p["x"]
    want = -2 * onp.sum((x - 0.1 * 2 * x) * 2 * x)
    assert cr.grad(after)(0.1) == pytest.approx(want)


def test_optimizer_errors():
    opt = optim.adam()
    with pytest.raises(ValueError, match="leaves"):
        opt.update({"a": onp.ones(2)}, opt.init({"a": onp.ones(2), "b": onp.ones(1)}),
                   {"a": onp.ones(2), "b": onp.ones(1)})
    with pytest.raises(ValueError, match=r"gradient\['a'\] has shape \(3,\)"):
        opt.update({"a": onp.ones(3)}, opt.init({"a": onp.ones(2)}), {"a": onp.ones(2)})
    with pytest.raises(ValueError, match="nesterov"):
        optim.sgd(0.1, nesterov=True)
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim.get("lbfgs")
    assert math.isclose(optim.adam(0.5).lr(7), 0.5)
