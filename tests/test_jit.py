"""The semantics of ``chainrule.jit``: when it records, when it replays, when it refuses.

``helpers.check_jit`` (run by every rule test through ``check_all``) already checks that each
primitive's recording replays to the eager values; this file checks jit itself: that a replay
really skips the Python function, what is part of a signature (shapes, dtypes, structure,
static Python scalars), which functions are refused (reads of traced values, random draws,
arguments with state) and that a refusal still gives exact results, how jit composes with the
other transforms, escaped tracers, the generated source, and the replay's memory.

Every test runs with ``JitFallbackWarning`` as an error, so a test that expects a replay
fails if the recording was refused; tests that expect a refusal catch the warnings
themselves (``fallbacks``).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.numpy as cnp
from chainrule.core import getval
from chainrule.core import staging as staging_mod
from chainrule.core.staging import StagingTrace

pytestmark = pytest.mark.filterwarnings("error::chainrule.JitFallbackWarning")


# --- helpers ---------------------------------------------------------------------------------

def counted(fun):
    """``fun`` with ``.calls``: how many times Python ran it (a replay does not)."""

    @functools.wraps(fun)
    def wrapper(*args, **kwargs):
        wrapper.calls += 1
        return fun(*args, **kwargs)

    wrapper.calls = 0
    return wrapper


@contextlib.contextmanager
def fallbacks():
    """Collects the messages of the JitFallbackWarnings raised inside (every one, no dedup)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        messages: list = []
        yield messages
    messages.extend(str(w.message) for w in caught
                    if issubclass(w.category, cr.JitFallbackWarning))


@pytest.fixture
def staged_ops(monkeypatch):
    """A list that grows by one for every primitive call a StagingTrace processes."""
    seen: list = []
    process = StagingTrace.process

    def spy(self, prim, args, params):
        seen.append(prim)
        return process(self, prim, args, params)

    monkeypatch.setattr(StagingTrace, "process", spy)
    return seen


def assert_trees_equal(got, want):
    """Same structure, and every leaf equal bit for bit with the same type, shape and dtype."""
    got_leaves, got_td = cr.tree_flatten(got)
    want_leaves, want_td = cr.tree_flatten(want)
    assert got_td == want_td
    for g, w in zip(got_leaves, want_leaves):
        assert type(g) is type(w), (type(g), type(w))
        assert np.shape(g) == np.shape(w)
        assert np.result_type(g) == np.result_type(w), (np.result_type(g), np.result_type(w))
        assert np.array_equal(g, w), (g, w)


RNG = np.random.default_rng(20240607)


def normal(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# --- a replayed MLP step -----------------------------------------------------------------------

def mlp_params(dtype1=np.float32):
    return {
        "W1": normal(5, 8, dtype=dtype1), "b1": normal(8, dtype=dtype1),
        "W2": normal(8, 6), "b2": normal(6),
        "W3": normal(6, 3),
    }


def mlp_batch(n=7):
    return normal(n, 5), np.eye(3)[RNG.integers(0, 3, n)]


def mlp_loss(params, x, y):
    h = cnp.tanh(x @ params["W1"] + params["b1"])
    h = nn.relu(h @ params["W2"] + params["b2"])
    logits = h @ params["W3"]
    logp = logits - cnp.log(cnp.sum(cnp.exp(logits), axis=1, keepdims=True))
    return -cnp.mean(cnp.sum(logp * y, axis=1))


def test_mlp_value_and_grad_replays_bit_for_bit(staged_ops):
    loss = counted(mlp_loss)
    step = cr.jit(cr.value_and_grad(loss))
    eager = cr.value_and_grad(mlp_loss)

    first = (mlp_params(), *mlp_batch())
    assert_trees_equal(step(*first), eager(*first))  # the recording's own results
    assert loss.calls == 1 and len(staged_ops) > 0

    del staged_ops[:]
    for _ in range(2):  # new values, same shapes and dtypes: replays
        args = (mlp_params(), *mlp_batch())
        got = step(*args)
        assert_trees_equal(got, eager(*args))
        assert got[1]["W1"].dtype == np.float32 and got[1]["W3"].dtype == np.float64
    assert loss.calls == 1, "a replay ran the Python function again"
    assert staged_ops == [], "a replay traced primitives again"
    assert step.trace_source(*args) is not None
    assert loss.calls == 1  # trace_source of a recorded signature does not trace again


def test_jitted_function_keeps_its_name():
    def my_step(x):
        return x * 2.0

    jitted = cr.jit(my_step)
    assert jitted.__name__ == "my_step" and jitted.__wrapped__ is my_step


# --- refused recordings: exact, eager, warned once ----------------------------------------------

def branchy(x):
    if cnp.sum(x) > 0:  # Python control flow on a traced value
        return cnp.sin(x) * 2.0
    return cnp.cos(x) - 1.0


def test_value_dependent_branch_falls_back_once():
    f = cr.jit(branchy)
    xs = [np.array([1.0, 2.0, 3.0]), -np.array([1.0, 2.0, 3.0]), np.array([0.5, -0.1, 0.2]),
          np.array([-4.0, 1.0, 0.5])]
    with fallbacks() as warned:
        for x in xs:  # the branch taken changes from call to call
            assert_trees_equal(f(x), branchy(x))
    assert len(warned) == 1, warned
    assert "bool()" in warned[0] and "branchy" in warned[0]
    with fallbacks() as warned:
        assert f.trace_source(xs[0]) is None  # a refused signature has no source
    assert warned == []


def test_branch_inside_a_gradient_falls_back_exactly():
    g = cr.jit(cr.grad(lambda x: cnp.sum(branchy(x))))
    with fallbacks() as warned:
        for x in (np.array([1.0, 2.0]), np.array([-1.0, -2.0])):
            assert_trees_equal(g(x), cr.grad(lambda x: cnp.sum(branchy(x)))(x))
    assert len(warned) == 1


@pytest.mark.parametrize("read", [
    pytest.param(lambda x: float(cnp.sum(x)), id="float"),
    pytest.param(lambda x: np.asarray(x).max(), id="numpy.asarray"),
    pytest.param(lambda x: getval(x).min(), id="getval"),
    pytest.param(lambda x: x[0].item(), id="item"),
])
def test_reading_a_traced_value_falls_back(read):
    def f(x):
        return cnp.exp(x) * read(x)

    jf = cr.jit(f)
    with fallbacks() as warned:
        for x in (np.array([0.5, 1.5, -2.0]), np.array([3.0, -1.0, 0.25])):
            assert_trees_equal(jf(x), f(x))  # the read value changes with x: eager each call
    assert len(warned) == 1, warned


def test_value_dependent_shape_falls_back():
    """A boolean mask argument selects a value-dependent number of elements."""
    f = cr.jit(cr.value_and_grad(lambda x, m: cnp.sum(x[m] ** 2)))
    x = np.arange(1.0, 5.0)
    with fallbacks() as warned:
        for m in ([True, False, True, False], [True, True, True, False]):
            m = np.array(m)
            assert_trees_equal(f(x, m), (np.sum(x[m] ** 2), np.where(m, 2 * x, 0.0)))
    assert len(warned) == 1


def test_random_draws_fall_back_and_draw_afresh():
    def f(x):
        return x + cnp.random.normal(size=x.shape)

    jf = cr.jit(f)
    x = np.zeros(4)
    np.random.seed(7)
    with fallbacks() as warned:
        got = [jf(x) for _ in range(3)]
    np.random.seed(7)
    want = [f(x) for _ in range(3)]
    assert len(warned) == 1 and "random draw" in warned[0]
    for g, w in zip(got, want):
        assert np.array_equal(g, w)
    assert not np.array_equal(got[0], got[1]) and not np.array_equal(got[1], got[2])


def test_nn_generator_draw_falls_back():
    """Dropout with a Generator from a closure: each call draws a new mask, as eager does."""
    layer = nn.Dropout(0.5)
    x = np.ones(64)

    def make(gen):
        return lambda x: layer.apply(None, x, train=True, rng=gen)[0]

    jf = cr.jit(make(np.random.default_rng(3)))
    eager = make(np.random.default_rng(3))
    with fallbacks() as warned:
        got = [jf(x) for _ in range(3)]
    want = [eager(x) for _ in range(3)]
    assert len(warned) == 1 and "random draw" in warned[0]
    for g, w in zip(got, want):
        assert np.array_equal(g, w)
    assert not np.array_equal(got[0], got[1])


def test_integer_seed_is_static_and_replays():
    """An integer seed is a static argument: the same seed gives the same mask, eager or not."""
    layer = nn.Dropout(0.5)

    def f(x, seed):
        return layer.apply(None, x, train=True, rng=seed)[0]

    jf = cr.jit(f)
    for seed in (0, 1):
        for x in (np.ones(32), np.arange(32.0)):
            assert np.array_equal(jf(x, seed), f(x, seed))
    assert not np.array_equal(jf(np.ones(32), 0), jf(np.ones(32), 1))


def test_generator_argument_runs_eagerly():
    def f(x, rng):
        return x * rng.standard_normal(x.shape)

    jf = cr.jit(f)
    x = np.arange(1.0, 4.0)
    with fallbacks() as warned:
        got = [jf(x, g) for g in [np.random.default_rng(5)] * 3]
    gen = np.random.default_rng(5)
    want = [f(x, gen) for _ in range(3)]
    assert len(warned) == 1 and "Generator" in warned[0]
    for g, w in zip(got, want):
        assert np.array_equal(g, w)
    assert not np.array_equal(got[0], got[1])
    with fallbacks():
        assert jf.trace_source(x, np.random.default_rng(5)) is None


# --- static Python scalars ---------------------------------------------------------------------

def test_python_float_is_static():
    f = counted(lambda x, s: cnp.sin(x) * s + s ** 2)
    jf = cr.jit(f)
    x1, x2 = np.array([0.1, 0.2]), np.array([-1.0, 3.0])
    for x in (x1, x2, x1):
        for s in (2.0, 3.5):
            assert np.array_equal(jf(x, s), np.sin(x) * s + s ** 2)
    assert f.calls == 2  # one recording per value of s


def test_negative_zero_is_a_different_static_value():
    jf = cr.jit(lambda x, s: x / s)
    x = np.ones(2)
    with np.errstate(divide="ignore"):
        assert np.array_equal(jf(x, 0.0), [np.inf, np.inf])
        assert np.array_equal(jf(x, -0.0), [-np.inf, -np.inf])


def test_python_int_as_a_shape():
    f = counted(lambda x, n: cnp.reshape(x, (n, -1)) * cnp.ones((n, 1)))
    jf = cr.jit(f)
    for x in (np.arange(6.0), np.arange(6.0) + 10):
        for n in (2, 3):
            out = jf(x, n)
            assert out.shape == (n, 6 // n) and np.array_equal(out, x.reshape(n, -1))
    assert f.calls == 2


def test_zero_d_array_is_not_static():
    """A 0-d array (a learning rate that changes) is an input of one recording."""
    f = counted(lambda w, lr: w - lr * cnp.tanh(w))
    jf = cr.jit(f)
    w = np.array([0.3, -0.4])
    for lr in (0.1, 0.2, 0.05):
        assert np.array_equal(jf(w, np.array(lr)), w - np.array(lr) * np.tanh(w))
    assert f.calls == 1


# --- signatures: shapes, dtypes, structure --------------------------------------------------------

def test_shapes_and_dtypes_get_separate_recordings():
    loss = counted(lambda x: cnp.sum(cnp.tanh(x) ** 2) * 0.5)
    step = cr.jit(cr.value_and_grad(loss))
    eager = cr.value_and_grad(lambda x: cnp.sum(cnp.tanh(x) ** 2) * 0.5)
    kinds = [((3,), np.float64), ((3,), np.float32), ((2, 3), np.float64), ((4,), np.float32)]
    for _ in range(3):
        for shape, dtype in kinds:
            x = normal(*shape, dtype=dtype)
            got = step(x)
            assert_trees_equal(got, eager(x))
            assert got[1].dtype == dtype
    assert loss.calls == len(kinds)


def test_structure_is_part_of_the_signature():
    f = counted(lambda d: sum(cnp.sum(v * i) for i, (_, v) in enumerate(sorted(d.items()))))
    jf = cr.jit(f)
    a, b = np.ones(2), np.arange(2.0)
    assert jf({"a": a, "b": b}) == 1.0
    assert jf({"a": b, "c": a}) == 2.0  # other keys: a new recording, not a's replay
    assert jf({"a": a, "b": b, "c": b}) == 3.0
    assert jf({"a": b, "b": a}) == 2.0  # a replay of the first structure
    assert f.calls == 3


# --- kwargs, pytrees, constant results ----------------------------------------------------------

Params = collections.namedtuple("Params", ["w", "b"])


def structured(p, xs, *, scale, shift=0.0):
    h = cnp.tanh(xs[0] @ p.w + p.b) * scale
    return {"pair": (h, cnp.sum(h ** 2)), "params": Params(p.w * shift, [p.b, xs[1] * 2.0]),
            "none": None}


def test_kwargs_and_pytrees_in_and_out():
    f = counted(structured)
    jf = cr.jit(f)
    for _ in range(3):
        p = Params(normal(3, 2), normal(2))
        xs = [normal(4, 3), normal(5)]
        scale = normal()[()] * np.ones(())
        got = jf(p, xs, scale=scale, shift=1.5)
        assert_trees_equal(got, structured(p, xs, scale=scale, shift=1.5))
        assert type(got["params"]) is Params and type(got["params"].b) is list
        assert_trees_equal(jf(p, xs, shift=1.5, scale=scale), got)  # kwargs order is no key
    assert f.calls == 1
    jf(p, xs, scale=scale)  # the default shift: another static value, another recording
    assert f.calls == 2


def with_constants(x):
    return x * 2.0, np.zeros(3), cnp.ones(2), 4.0


def test_constant_results_are_fresh_copies_on_replay():
    jf = cr.jit(with_constants)
    x = np.ones(2)
    jf(x)  # records
    out = jf(x)
    out[1][0] = 5.0
    out[2][:] = -1.0
    again = jf(x)
    assert_trees_equal(again, with_constants(x))
    assert again[1] is not out[1] and again[2] is not out[2]


def test_constant_results_of_the_recording_call_are_not_the_replays_constants():
    jf = cr.jit(with_constants)
    x = np.ones(2)
    out = jf(x)  # records
    out[1][0] = 5.0
    out[2][:] = -1.0
    assert_trees_equal(jf(x), with_constants(x))


def test_exception_while_recording_propagates_and_leaves_no_recording():
    f = counted(lambda x, fail: cnp.log(x) if not fail else cnp.log(x) + {}["missing"])
    jf = cr.jit(f)
    x = np.array([1.0, 2.0])
    with pytest.raises(KeyError):
        jf(x, True)
    assert staging_mod.recording == []  # no recording stays open (it would capture others)
    with pytest.raises(KeyError):
        jf(x, True)  # not cached: tried again
    assert f.calls == 2
    assert np.array_equal(jf(x, False), np.log(x)) and np.array_equal(jf(x, False), np.log(x))
    assert f.calls == 3
    assert np.array_equal(cr.grad(lambda x: cnp.sum(x ** 3))(x), 3 * x ** 2)  # eager is intact


# --- composition with the other transforms -----------------------------------------------------

def scalar_f(x):
    return cnp.sin(x) * x ** 3


def test_jit_under_another_transform_calls_f():
    f = counted(lambda x: cnp.sum(cnp.exp(x) * cnp.sin(x)))
    jf = cr.jit(f)
    g = cr.grad(jf)
    for x in (np.array([0.1, 0.7]), np.array([1.2, -0.3])):
        # d/dx e^x sin x = e^x (sin x + cos x)
        want = cr.grad(lambda x: cnp.sum(cnp.exp(x) * cnp.sin(x)))(x)
        assert np.array_equal(g(x), want)
        np.testing.assert_allclose(g(x), np.exp(x) * (np.sin(x) + np.cos(x)), rtol=1e-14)
    assert f.calls == 4  # traced by grad every time, never replayed
    v = cr.vmap(jf)(np.arange(6.0).reshape(3, 2))
    assert np.array_equal(v, [f(r) for r in np.arange(6.0).reshape(3, 2)])
    assert jf.trace_source(np.ones(2)) is not None  # plain arrays: jit records as usual


def test_jit_of_second_derivative():
    f2 = cr.jit(cr.grad(cr.grad(scalar_f)))
    eager = cr.grad(cr.grad(scalar_f))
    for x in (0.3, 1.1, -2.0):
        x = np.array(x)
        got = f2(x)
        assert np.array_equal(got, eager(x))
        # (sin x x^3)'' = -sin x x^3 + 6 x^2 cos x + 6 x sin x
        want = -np.sin(x) * x ** 3 + 6 * x ** 2 * np.cos(x) + 6 * x * np.sin(x)
        np.testing.assert_allclose(got, want, rtol=1e-13)
    assert f2.trace_source(np.array(0.0)) is not None


def test_jit_of_hessian_vector_product():
    v = np.array([1.0, -2.0, 0.5])

    def hvp(x):
        return cr.grad(lambda x: cnp.sum(cr.grad(lambda x: cnp.sum(scalar_f(x)))(x) * v))(x)

    jf = cr.jit(cr.value_and_grad(lambda x: cnp.sum(hvp(x) ** 2)))
    eager = cr.value_and_grad(lambda x: cnp.sum(hvp(x) ** 2))
    for x in (np.array([0.2, 0.4, 0.6]), np.array([-1.0, 2.0, 0.1]), np.array([3.0, 1.0, 2.0])):
        assert_trees_equal(jf(x), eager(x))


def vector_f(x):
    return cnp.tanh(x) * cnp.sum(x ** 3)


def hessian_f(x):
    return cnp.sum(cnp.sin(x) * x ** 2)


def jacobian_closed_form(x):
    # d/dx_j [tanh(x_i) S] with S = sum x^3: delta_ij (1 - tanh^2 x_i) S + tanh(x_i) 3 x_j^2
    return np.diag((1 - np.tanh(x) ** 2) * np.sum(x ** 3)) + np.outer(np.tanh(x), 3 * x ** 2)


def hessian_closed_form(x):
    # (sin x x^2)'' = -sin x x^2 + 4 x cos x + 2 sin x, on the diagonal only
    return np.diag(-np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x))


@pytest.mark.parametrize("transform, f, closed_form", [
    (cr.jacobian, vector_f, jacobian_closed_form),
    (cr.hessian, hessian_f, hessian_closed_form),
], ids=["jacobian", "hessian"])
def test_jit_of_jacobian_and_hessian(transform, f, closed_form):
    jf = cr.jit(transform(f))
    eager = transform(f)
    for x in (np.linspace(-1.0, 1.0, 4), np.array([0.3, 2.0, -0.7, 1.1]),
              np.array([1.5, -0.2, 0.9, -2.5])):
        got = jf(x)
        assert_trees_equal(got, eager(x))
        np.testing.assert_allclose(got, closed_form(x), rtol=1e-12, atol=1e-13)
    assert jf.trace_source(x) is not None  # recorded (the module's filter: no fallback)


def test_closure_over_an_outer_tracer_falls_back():
    x0 = np.array([0.5, -1.0, 2.0])

    def outer(w):
        return cnp.sum(cr.jit(lambda x: x * w)(x0) ** 2)

    w = np.array([1.0, 2.0, 3.0])
    with fallbacks() as warned:
        g = cr.grad(outer)(w)
    assert len(warned) == 1 and "outer transform" in warned[0]
    np.testing.assert_allclose(g, 2 * w * x0 ** 2, rtol=1e-15)  # d/dw sum (x w)^2


@pytest.mark.parametrize("index", [np.array([0, 2, 2]), slice(1, 3)],
                         ids=["advanced (values accumulate)", "basic (results alias)"])
def test_nested_gradient_through_indexing_replays(index):
    def f(x):
        return cnp.sum(cnp.sin(x[index]) ** 2)

    def fn(x, t):  # the gradient and its directional derivative (a Hessian-vector product)
        return cr.jvp(cr.grad(f), (x,), (t,))

    jf = cr.jit(fn)
    t = np.array([1.0, 2.0, 3.0, 4.0])
    xs = [np.linspace(0.1, 0.9, 4) + k for k in range(3)]
    got = [jf(x, t) for x in xs]
    for g, x in zip(got, xs):  # checked after all calls: a later call must not change g
        assert_trees_equal(g, fn(x, t))


# --- integer index arrays as arguments --------------------------------------------------------

def minibatch_loss(w, X, Y, idx):
    return cnp.mean((X[idx] @ w - Y[idx]) ** 2)


def test_index_array_arguments_replay():
    loss = counted(minibatch_loss)
    step = cr.jit(cr.value_and_grad(loss))
    eager = cr.value_and_grad(minibatch_loss)
    X, Y, w = normal(10, 3), normal(10), normal(3)
    batches = [[0, 1, 2, 3], [5, 5, 5, 1], [9, 0, 9, 0], [7, 7, 7, 7]]  # repeats included
    for b in batches:
        idx = np.array(b)
        got = step(w, X, Y, idx)
        assert_trees_equal(got, eager(w, X, Y, idx))
        # closed form: d/dw mean (X_i w - y_i)^2 = 2 X_b^T (X_b w - y_b) / n
        Xb, Yb = X[idx], Y[idx]
        np.testing.assert_allclose(got[1], 2 * Xb.T @ (Xb @ w - Yb) / len(b), rtol=1e-13)
    assert loss.calls == 1


def test_index_arrays_of_other_forms_replay():
    x = normal(6, 4)
    gather = counted(lambda x, i, j: x[i, 1:] + x[j][None, :3].sum())
    jf = cr.jit(cr.value_and_grad(lambda x, i, j: cnp.sum(gather(x, i, j) ** 2)))
    eager = cr.value_and_grad(lambda x, i, j: cnp.sum(gather(x, i, j) ** 2))
    for i, j in [([[0, 1], [2, 2]], 3), ([[5, 5], [5, 0]], 0), ([[1, 4], [4, 1]], 5)]:
        i, j = np.array(i), np.asarray(j)  # a 2-d index array and a 0-d one
        assert_trees_equal(jf(x, i, j), eager(x, i, j))
    assert gather.calls == 1 + 3  # one recording, then the eager references


def test_numpy_integer_scalars_are_static_like_python_ints():
    # seeds and sizes: np.int64(7) must work wherever 7 does (an nn layer's rng, a shape)
    f = counted(lambda x, n: cnp.reshape(x, (n, -1)) * 2.0)
    jf = cr.jit(f)
    x = np.arange(6.0)
    for n in (np.int64(2), np.int32(3), np.int64(2)):
        assert np.array_equal(jf(x, n), x.reshape(int(n), -1) * 2.0)
    assert f.calls == 2  # one recording per value


# --- escaped tracers -------------------------------------------------------------------------

def test_escaped_tracer_raises_a_clear_error():
    kept = []

    def f(x):
        y = cnp.sin(x)
        kept.append(y)
        return y * 2.0

    x = np.array([0.5, 1.0])
    jf = cr.jit(f)
    assert np.array_equal(jf(x), np.sin(x) * 2.0)
    with pytest.raises(RuntimeError, match="after its recording finished"):
        kept[0] + 1.0
    with pytest.raises(RuntimeError, match="after its recording finished"):
        cnp.exp(kept[0])
    with pytest.raises(RuntimeError, match="after its recording finished"):
        cr.grad(lambda w: cnp.sum(w * kept[0]))(x)
    with pytest.raises(RuntimeError, match="after its recording finished"):
        cr.jit(lambda z: z + kept[0])(x)
    assert staging_mod.recording == []
    assert np.array_equal(jf(x + 1.0), np.sin(x + 1.0) * 2.0)  # the replay is unaffected


# --- the generated source ------------------------------------------------------------------------

def test_trace_source():
    f = counted(lambda x, y, s: cnp.sum(cnp.tanh(x * s) @ y))
    jf = cr.jit(cr.value_and_grad(f, argnums=(0, 1)))
    x, y = normal(3, 4), normal(4, 2)
    source = jf.trace_source(x, y, 2.0)
    assert f.calls == 1  # trace_source recorded the signature
    assert "def replay(v0, v1):" in source  # the two arrays; the static 2.0 is a constant
    assert "del " in source  # values freed after their last use
    compile(source, "<replay>", "exec")
    assert jf.trace_source(x + 1.0, y, 2.0) == source  # same signature, same recording
    assert f.calls == 1
    with fallbacks() as warned:
        assert cr.jit(branchy).trace_source(np.ones(3)) is None
    assert len(warned) == 1


# --- memory ---------------------------------------------------------------------------------------

def deep_tanh_loss(ws, x):
    for w in ws:
        x = cnp.tanh(x @ w)
    return cnp.sum(x ** 2)


def traced_peak(fn, *args):
    """``(result, peak bytes allocated during the call)`` (tracemalloc sees NumPy's arrays)."""
    gc.collect()
    tracemalloc.start()
    try:
        out = fn(*args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return out, peak


def test_replay_keeps_only_what_the_rules_read():
    """A 20-layer tanh net: the backward pass reads each layer's output and weights, not its
    pre-activation, so the replay should hold about as much as the eager tape does (one
    activation per layer), not two arrays per layer."""
    n, depth = 256, 20
    ws = [normal(n, n) / 16 for _ in range(depth)]
    step = cr.jit(cr.value_and_grad(deep_tanh_loss))
    eager = cr.value_and_grad(deep_tanh_loss)
    step(ws, normal(n, n))  # records
    x = normal(n, n)
    want, eager_peak = traced_peak(eager, ws, x)
    got, jit_peak = traced_peak(step, ws, x)
    assert_trees_equal(got, want)
    layer = n * n * 8
    assert eager_peak > depth * layer  # sanity: the activations and the gradients are seen
    assert jit_peak <= 1.2 * eager_peak, (jit_peak / 2 ** 20, eager_peak / 2 ** 20)


# --- large constants, chunked Jacobians, threads ------------------------------------------------

def _roll_jacobian_problem(n):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((n, n)) / n
    x = rng.standard_normal(n)
    return (lambda v: cnp.sin(v) * cnp.roll(v, 1) + cnp.tanh(v) @ A), x


def test_large_constants_are_recomputed_not_held():
    # jacobian's identity seed, materialized, is made from constants alone; folded, it would
    # stay in the jitted function for its whole life (n x n: ~490 MiB at n = 8000)
    n = 400
    f, x = _roll_jacobian_problem(n)
    jf = cr.jit(cr.jacobian(f, chunk_size=None))
    gc.collect()
    tracemalloc.start()
    try:
        jf(x)  # records
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 0.25 * n * n * 8, f"the recording holds {held / (n * n * 8):.2f}x the result"
    assert np.array_equal(jf(x + 1.0), cr.jacobian(f)(x + 1.0))


@pytest.mark.parametrize("chunk_size", [7, None])
def test_chunked_jacobian_replays_into_one_array(chunk_size):
    n = 300
    f, x = _roll_jacobian_problem(n)
    eager = cr.jacobian(f, chunk_size=chunk_size)
    jf = cr.jit(eager)
    jf(x)
    peaks = []
    for fn in (eager, jf):
        gc.collect()
        tracemalloc.start()
        try:
            got = fn(x + 0.5)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert np.array_equal(got, eager(x + 0.5))
    assert peaks[1] <= 1.05 * peaks[0], peaks  # written in place, as eager: no concatenation
    a, b = jf(x), jf(x)
    assert a is not b and np.array_equal(a, b)  # each replay makes its own output


def test_a_recording_in_one_thread_leaves_other_threads_alone():
    import threading

    started, go_on = threading.Event(), threading.Event()
    big = np.linspace(0.0, 1.0, 300_000)  # its results are over LARGE_CONSTANT_BYTES

    def waits(x):
        started.set()
        go_on.wait(10)
        return cnp.sum(cnp.sin(x) ** 2)

    jf = cr.jit(cr.grad(waits))
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("g", jf(np.ones(3))))
    t.start()
    try:
        assert started.wait(10)
        # while the other thread records: plain calls stay plain, random draws are free
        y = cnp.exp(big)
        g = cr.grad(lambda v: cnp.sum(cnp.tanh(v) * cnp.random.standard_normal(3)))(np.ones(3))
    finally:
        go_on.set()
        t.join(10)
    assert type(y) is np.ndarray and np.array_equal(y, np.exp(big))
    assert type(g) is np.ndarray
    assert np.allclose(out["g"], 2 * np.sin(1.0) * np.cos(1.0))
    assert jf.trace_source(np.ones(3)) is not None  # not refused by the other thread's draw


def test_a_static_argument_that_keeps_changing_warns_once():
    jf = cr.jit(lambda x, lr: x * lr)
    x = np.ones(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(40):
            assert np.array_equal(jf(x, 0.01 * i), x * (0.01 * i))
    many = [w for w in caught if "0-d array" in str(w.message)]
    assert len(many) == 1 and issubclass(many[0].category, RuntimeWarning)
    with warnings.catch_warnings(record=True) as caught:  # a 0-d array: one recording
        warnings.simplefilter("always")
        jg = cr.jit(lambda x, lr: x * lr)
        for i in range(40):
            assert np.array_equal(jg(x, np.asarray(0.01 * i)), x * (0.01 * i))
    assert not caught and jg.trace_source(x, np.asarray(0.0)) is not None


# --- found in review: large constant results, aliasing, writability ------------------------------

def test_large_scatter_of_constants_does_not_accumulate_across_replays():
    # getitem's VJP adds into zeros it makes itself (fresh=True); above the folding size the
    # call is recorded, and its zeros must not be one array shared by every replay
    n = 200_000
    idx = np.array([0, 0, 5])
    g = cr.jit(cr.grad(lambda x: cnp.sum(x[idx])))
    x = np.linspace(0.0, 1.0, n)
    want = np.zeros(n)
    np.add.at(want, idx, 1.0)
    results = [g(x + k) for k in range(3)]
    for r in results:
        assert np.array_equal(r, want)
    assert results[1] is not results[2]


def test_a_returned_constant_gradient_is_not_shared_between_calls():
    # index_add's VJP in x returns its cotangent as it is: here a constant of the recording
    f = lambda x, i: cnp.sum(-cnp.at(x)[i].add(1.0))  # noqa: E731
    g = cr.jit(cr.grad(f))
    x, i = np.ones(3), np.array([0, 2])
    g(x, i)
    a = g(x, i)
    a[:] = 0.0
    b = g(x + 1.0, i)
    assert b is not a and np.array_equal(b, -np.ones(3))


def test_first_call_with_large_intermediates_returns_arrays():
    x = np.ones(200_000)
    g = cr.jit(cr.grad(lambda x: cnp.sum(cnp.sin(x))))
    for _ in range(2):
        r = g(x)
        assert type(r) is np.ndarray and np.array_equal(r, np.cos(x))


def test_gradients_are_writeable_like_eager():
    x = np.arange(8.0)
    for fn in (cr.grad(lambda x: cnp.sum(x) ** 2),
               cr.value_and_grad(lambda x: cnp.sum(x) ** 2),
               cr.vmap(lambda v: v + cnp.zeros((3, 8)), in_axes=None, axis_size=2)):
        jf = cr.jit(fn)
        for _ in range(2):
            for leaf in cr.tree_leaves(jf(x)):
                if isinstance(leaf, np.ndarray) and leaf.ndim:
                    assert leaf.flags.writeable
                    leaf *= 0.5  # as a user's SGD step would


_EVERY_CONSTANT_RECORDED = [
    ("mlp value_and_grad", lambda: (cr.value_and_grad(mlp_loss), (mlp_params(),) + mlp_batch())),
    ("jacobian, chunked", lambda: (cr.jacobian(lambda v: cnp.tanh(v) * cnp.roll(v, 1),
                                               chunk_size=3), (normal(7),))),
    ("hessian", lambda: (cr.hessian(lambda v: cnp.sum(cnp.sin(v) ** 2 * v[::-1])), (normal(5),))),
    ("scatter gradient", lambda: (cr.grad(lambda v, i: cnp.sum(cnp.at(v)[i].add(v[i] ** 2))),
                                  (normal(6), np.array([0, 2, 2])))),
    ("second derivative through indexing",
     lambda: (cr.grad(lambda v: cnp.sum(cr.grad(lambda u: cnp.sum(u[[0, 2, 2]] ** 3))(v) ** 2)),
              (normal(4),))),
]


@pytest.mark.parametrize("make", [m for _, m in _EVERY_CONSTANT_RECORDED],
                         ids=[n for n, _ in _EVERY_CONSTANT_RECORDED])
def test_replays_with_every_constant_result_recorded(make, monkeypatch):
    # above LARGE_CONSTANT_BYTES results computed from constants alone are recorded, not
    # folded: at 0 every such result is (as tests drop every shape-only residual)
    monkeypatch.setattr(staging_mod, "LARGE_CONSTANT_BYTES", 0)
    fn, args = make()
    jf = cr.jit(fn)
    results = []
    for k in range(3):
        moved = cr.tree_map(lambda a: a + 0.01 * k if a.dtype.kind == "f" else a, args)
        got, want = jf(*moved), fn(*moved)
        for g, w in zip(cr.tree_leaves(got), cr.tree_leaves(want)):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
        results.append((got, cr.tree_map(lambda a: a.copy(), got)))
    for got, copy in results:  # no replay changed an earlier result
        assert_trees_equal(got, copy)
    assert jf.trace_source(*args) is not None


# --- randomness as data: nn keys -----------------------------------------------------------------

def test_dropout_with_a_key_replays_with_each_calls_key():
    model = nn.MLP([8, 16, 3], activation="relu", dropout=0.4)
    params, state = model.init(0, (5,))
    x = normal(6, 5)

    def loss(p, x, key):
        return cnp.sum(model.apply(p, x, state=state, train=True, rng=key)[0] ** 2)

    eager = cr.value_and_grad(loss)
    jf = cr.jit(eager)  # JitFallbackWarning is an error here: the recording must replay
    outs = []
    for seed in range(4):
        key = nn.new_key(seed)
        got = jf(params, x, key)
        assert_trees_equal(got, eager(params, x, key))
        outs.append(got[0])
    assert len(set(map(float, outs))) == 4  # a fresh mask per key
    assert jf.trace_source(params, x, nn.new_key(0)) is not None


def test_keys_split_and_draw_deterministically():
    from chainrule.nn._rng import split, uniform

    key = nn.new_key(7)
    assert key.dtype == np.uint32 and key.shape == (4,)
    assert np.array_equal(key, nn.new_key(7)) and not np.array_equal(key, nn.new_key(8))
    kids = split(key, 3)
    assert kids.shape == (3, 4) and len({tuple(k) for k in kids}) == 3
    assert np.array_equal(uniform(key, (2, 3)), uniform(key, (2, 3)))
    assert not np.array_equal(uniform(kids[0], (5,)), uniform(kids[1], (5,)))


def test_layers_initialize_from_a_key():
    model = nn.MLP([8, 3], dropout=0.2)
    p1, _ = model.init(nn.new_key(0), (4,))
    p2, _ = model.init(nn.new_key(0), (4,))
    p3, _ = model.init(nn.new_key(1), (4,))
    assert_trees_equal(p1, p2)
    assert not np.array_equal(p1["layers"][0]["W"], p3["layers"][0]["W"])
