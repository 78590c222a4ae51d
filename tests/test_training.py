"""Training: mini-batches, fit (a tiny net overfits a tiny data set, validation, early
stopping, BatchNorm state, dropout), metrics, the plot, and params saved -> loaded -> same
predictions, with errors that name the leaf at fault."""

import json

import numpy as onp
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.training import (
    History,
    accuracy,
    batches,
    confusion_matrix,
    evaluate,
    fit,
    load_params,
    predict,
    save_params,
)

rng = onp.random.default_rng(0)


def xor_data(n=64, seed=0):
    r = onp.random.default_rng(seed)
    X = r.uniform(-1, 1, (n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def test_batches_cover_every_example_once_and_shuffle():
    X, y = onp.arange(10.0)[:, None], onp.arange(10)
    seen = [yb for _, yb in batches((X, y), 3, rng=0)]
    assert [len(b) for b in seen] == [3, 3, 3, 1]
    assert sorted(onp.concatenate(seen).tolist()) == list(range(10))
    assert onp.concatenate(seen).tolist() != list(range(10))
    again = [yb for _, yb in batches((X, y), 3, rng=0)]
    assert all(onp.array_equal(a, b) for a, b in zip(seen, again, strict=True))
    assert [len(b) for b in batches(X, 3, shuffle=False, drop_last=True)] == [3, 3, 3]
    first = next(batches({"x": X, "y": y}, 4, rng=1))  # pytrees batch leaf by leaf
    onp.testing.assert_array_equal(first["x"][:, 0], first["y"])
    with pytest.raises(ValueError, match="same number of examples"):
        next(batches((X, y[:5]), 2))


def test_metrics():
    out = onp.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(out, onp.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert accuracy(out, onp.eye(2)[[1, 0, 1]]) == 1.0
    assert accuracy(onp.array([2.0, -1.0]), onp.array([1, 1])) == 0.5  # binary logits
    m = confusion_matrix([0, 1, 2, 2, 1], [0, 2, 2, 2, 1], num_classes=4)
    want = onp.zeros((4, 4), int)
    for t, p in [(0, 0), (1, 2), (2, 2), (2, 2), (1, 1)]:
        want[t, p] += 1
    onp.testing.assert_array_equal(m, want)


def test_tiny_net_overfits_tiny_dataset():
    X, y = xor_data(32)
    model = nn.MLP([32, 2], activation="tanh")
    params, _ = model.init(0, (2,))
    res = fit(model, params, X, y, optimizer=optim.adam(0.03), epochs=150, batch_size=8,
              progress=False)
    assert res.history["loss"][-1] < 0.05 < res.history["loss"][0]
    assert accuracy(predict(model, res.params, X), y) == 1.0
    assert len(res.history["loss"]) == 150 and "lr" in res.history and "time" in res.history


def test_fit_regression_with_plain_function_and_validation():
    X = rng.standard_normal((80, 3))
    w = onp.array([[1.0], [-2.0], [0.5]])
    Y = X @ w + 0.3

    def apply(p, x):
        return x @ p["w"] + p["b"]

    params = {"w": onp.zeros((3, 1)), "b": onp.zeros(1)}
    res = fit(apply, params, X[:60], Y[:60], loss="mse", optimizer=optim.sgd(0.1, momentum=0.5),
              epochs=30, batch_size=10, validation_data=(X[60:], Y[60:]), metrics=("rmse",),
              progress=False)
    onp.testing.assert_allclose(res.params["w"], w, atol=1e-3)
    assert res.history["val_rmse"][-1] < 1e-3
    assert "accuracy" not in res.history


def test_early_stopping_restores_best_params():
    X, y = xor_data(40)
    Xv, yv = xor_data(40, seed=1)
    model = nn.MLP([8, 2])
    params, _ = model.init(0, (2,))
    # lr 0 after the first epochs' progress: a constant val_loss triggers early stopping.
    sched = lambda k: 0.05 if k < 10 else 0.0  # noqa: E731
    res = fit(model, params, X, y, optimizer=optim.sgd(sched), epochs=50, batch_size=4,
              validation_data=(Xv, yv), early_stopping=3, progress=False)
    h = res.history
    assert h.stopped_early and h.restored_best and h.epochs < 50
    best = h.best_epoch
    assert h["val_loss"][best] == min(h["val_loss"])
    ev = evaluate(model, res.params, Xv, yv)
    assert ev["loss"] == pytest.approx(h["val_loss"][best])


def test_fit_threads_batchnorm_state_and_dropout():
    X, y = xor_data(64)
    model = nn.Sequential([nn.Dense(16), nn.BatchNorm(), nn.relu, nn.Dropout(0.1),
                           nn.Dense(2)])
    params, state = model.init(0, (2,))
    res = fit(model, params, X, y, state=state, optimizer=optim.adam(0.02), epochs=40,
              batch_size=16, progress=False, seed=3)
    bn = res.state[1]
    assert not onp.allclose(bn["mean"], 0) and not onp.allclose(bn["var"], 1)
    assert accuracy(predict(model, res.params, X, state=res.state), y) > 0.9
    res2 = fit(model, params, X, y, state=state, optimizer=optim.adam(0.02), epochs=2,
               batch_size=16, progress=False, seed=3)
    res3 = fit(model, params, X, y, state=state, optimizer=optim.adam(0.02), epochs=2,
               batch_size=16, progress=False, seed=3)
    for a, b in zip(cr.tree_leaves(res2.params), cr.tree_leaves(res3.params), strict=True):
        onp.testing.assert_array_equal(a, b)  # a seed makes a run reproducible


def test_fit_reports_divergence():
    X, y = xor_data(16)
    model = nn.MLP([4, 2])
    params, _ = model.init(0, (2,))
    with pytest.raises(FloatingPointError, match="learning rate"), onp.errstate(all="ignore"):
        fit(model, params, X * 1e200, y, optimizer=optim.sgd(1e10), epochs=3, progress=False)


def test_history_plot_and_json(tmp_path):
    pytest.importorskip("matplotlib")
    h = History()
    for e in range(5):
        h.append(loss=1.0 / (e + 1), accuracy=0.5 + 0.1 * e, val_loss=1.2 / (e + 1),
                 val_accuracy=0.45 + 0.1 * e, time=0.1, lr=0.01)
    path = h.plot(tmp_path / "h.png", title="t")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    data = json.loads(h.to_json(tmp_path / "h.json"))
    assert data["history"]["val_accuracy"][-1] == pytest.approx(0.85)


def test_save_load_same_predictions(tmp_path):
    model = nn.Sequential([nn.Conv2D(2, 3), nn.relu, nn.Flatten(), nn.Dense(3)])
    params, _ = model.init(0, (1, 5, 5))
    x = rng.standard_normal((4, 1, 5, 5))
    path = save_params(tmp_path / "p", {"params": params, "step": 7})
    assert path.endswith(".npz")
    with onp.load(path, allow_pickle=False) as f:
        assert "['params'][0]['W']" in f.files and "['step']" in f.files
    back = load_params(path, like={"params": params, "step": 0})
    onp.testing.assert_array_equal(model(back["params"], x), model(params, x))
    assert int(back["step"]) == 7
    free = load_params(path)  # structure rebuilt from the key paths
    onp.testing.assert_array_equal(model(free["params"], x), model(params, x))
    mlp = nn.MLP([3, 2])
    p, _ = mlp.init(0, (4,))
    assert cr.tree_structure(load_params(save_params(tmp_path / "m.npz", p))) == \
        cr.tree_structure(p)
    root = save_params(tmp_path / "r.npz", onp.arange(3.0))
    onp.testing.assert_array_equal(load_params(root), onp.arange(3.0))


def test_load_errors_name_the_leaf(tmp_path):
    small, _ = nn.MLP([8, 2]).init(0, (4,))
    big, _ = nn.MLP([16, 2]).init(0, (4,))
    path = save_params(tmp_path / "small.npz", small)
    with pytest.raises(ValueError, match=r"leaf \['layers'\]\[0\]\['W'\] has shape \(4, 8\).*"
                                         r"\(4, 16\)"):
        load_params(path, like=big)
    deeper, _ = nn.MLP([8, 2, 2]).init(0, (4,))
    with pytest.raises(ValueError, match=r"no entry for leaf \['layers'\]\[2\]\['W'\]"):
        load_params(path, like=deeper)
    shallow, _ = nn.MLP([2]).init(0, (4,))
    with pytest.raises(ValueError, match="lacks"):
        load_params(path, like={"layers": [{"W": onp.zeros((4, 8)), "b": onp.zeros(8)}]})
    assert load_params(path, like={"layers": [{"W": onp.zeros((4, 8)), "b": onp.zeros(8)}]},
                       strict=False)["layers"][0]["W"].shape == (4, 8)
    del shallow
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_params(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(ValueError, match="not a parameter file"):
        load_params(bad)
    obj = tmp_path / "obj.npz"
    onp.savez(obj, a=onp.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a parameter file"):
        load_params(obj)  # pickled content is refused, never unpickled


def test_fit_with_jit_trains_exactly_as_without(monkeypatch):
    # the jitted step replays the eager step's calls: same parameters bit for bit, dropout
    # masks included (one key per step, drawn from the seed)
    import chainrule.training as training

    jitted = []
    real_jit = training._jit
    monkeypatch.setattr(training, "_jit", lambda f, **kw: jitted.append(real_jit(f, **kw))
                        or jitted[-1])
    rng = onp.random.default_rng(0)
    X, y = rng.standard_normal((50, 6)), rng.integers(0, 3, 50)
    model = nn.MLP([12, 3], activation="relu", dropout=0.25)
    results = []
    for jit in (False, True):
        params, state = model.init(1, (6,))
        r = fit(model, params, X, y, optimizer=optim.adamw(1e-2), epochs=3, batch_size=16,
                progress=False, seed=3, jit=jit)
        results.append(r)
    for a, b in zip(cr.tree_leaves(results[0].params), cr.tree_leaves(results[1].params)):
        assert onp.array_equal(a, b)
    assert results[0].history["loss"] == results[1].history["loss"]
    # and the step was replayed, not refused: its recording for a full batch exists
    params, state = model.init(1, (6,))
    source = jitted[-1].trace_source(params, state, X[:16], y[:16], nn.new_key(0))
    assert source is not None and "def replay(" in source
