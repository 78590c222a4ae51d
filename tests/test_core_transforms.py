"""The transforms: the seed's examples, nesting, pytrees, custom rules, errors, dtypes."""

from collections import namedtuple

import numpy as onp
import pytest

import chainrule as cr
import chainrule.numpy as np
from chainrule.seed_tour import chain_rule_check, network, seed_closed_form, seed_functions

rng = onp.random.default_rng(0)


# --- the seed's examples --------------------------------------------------------------------

@pytest.mark.parametrize("x,y", [(1.0, 2.0), (-0.5, 1.5), (3.0, -0.25), (0.0, 0.0)])
@pytest.mark.parametrize("jac", [cr.jacobian, cr.jacrev, cr.jacfwd])
def test_seed_jacobian_matches_closed_form(jac, x, y):
    J = jac(seed_functions)(onp.array([x, y]))
    onp.testing.assert_allclose(J, seed_closed_form(x, y), rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seed_network_chain_rule(seed):
    x = rng.standard_normal(3)
    rev, fwd, dy_dz, dz_dx = chain_rule_check(x, network(seed))
    assert rev.shape == (1, 3) and dy_dz.shape == (1, 2) and dz_dx.shape == (2, 3)
    onp.testing.assert_allclose(rev, dy_dz @ dz_dx, rtol=1e-12)
    onp.testing.assert_allclose(fwd, dy_dz @ dz_dx, rtol=1e-12)
    p = network(seed)
    # the layers' Jacobians in closed form
    h = onp.tanh(p["W1"] @ x + p["b1"])
    onp.testing.assert_allclose(dz_dx, (1 - h ** 2)[:, None] * p["W1"], rtol=1e-12)
    onp.testing.assert_allclose(dy_dz, p["W2"], rtol=1e-12)


# --- nesting ------------------------------------------------------------------------------------

def test_grad_of_grad():
    f = lambda x: np.sin(x) * x ** 2  # noqa: E731
    x = 0.7
    d2 = -onp.sin(x) * x ** 2 + 4 * x * onp.cos(x) + 2 * onp.sin(x)
    onp.testing.assert_allclose(cr.grad(cr.grad(f))(x), d2)
    d3 = -onp.cos(x) * x ** 2 - 6 * x * onp.sin(x) + 6 * onp.cos(x)
    onp.testing.assert_allclose(cr.grad(cr.grad(cr.grad(f)))(x), d3)


def test_hessian_forward_over_reverse_matches_closed_form():
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    f = lambda x: np.sum(np.tanh(A @ x))  # noqa: E731
    t = onp.tanh(A @ x)
    H = A.T @ onp.diag(-2 * t * (1 - t ** 2)) @ A
    for h in (cr.jacfwd(cr.jacrev(f)), cr.hessian(f), cr.jacrev(cr.jacrev(f)),
              cr.jacfwd(cr.jacfwd(f)), cr.jacrev(cr.jacfwd(f))):
        onp.testing.assert_allclose(h(x), H, rtol=1e-10, atol=1e-12)


def test_vmap_grad_is_per_example_gradients():
    W = rng.standard_normal((3, 5))
    xs = rng.standard_normal((7, 5))
    loss = lambda W, x: np.sum(np.tanh(W @ x) ** 2)  # noqa: E731
    per = cr.vmap(cr.grad(loss), in_axes=(None, 0))(W, xs)
    assert per.shape == (7, 3, 5)
    for i in range(7):
        onp.testing.assert_allclose(per[i], cr.grad(loss)(W, xs[i]), rtol=1e-12)


def test_no_perturbation_confusion():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x: the inner derivative must not see x's tracer.
    f = lambda x: x * cr.grad(lambda y: x * y)(2.0)  # noqa: E731
    assert cr.grad(f)(3.0) == pytest.approx(6.0)
    # the same in forward mode, and mixed
    g = lambda x: x * cr.jvp(lambda y: x * y, (2.0,), (1.0,))[1]  # noqa: E731
    assert cr.jvp(g, (3.0,), (1.0,))[1] == pytest.approx(6.0)
    assert cr.grad(g)(3.0) == pytest.approx(6.0)


def test_vmap_nested_and_axes():
    x = rng.standard_normal((2, 3, 4))
    out = cr.vmap(cr.vmap(lambda v: np.sum(v * v)))(x)
    onp.testing.assert_allclose(out, onp.sum(x * x, axis=2))
    out = cr.vmap(lambda v: v * 2.0, in_axes=1, out_axes=1)(x)
    onp.testing.assert_allclose(out, x * 2.0)
    y = rng.standard_normal(4)
    out = cr.vmap(lambda a, b: a @ b, in_axes=(0, None))(x[0], y)
    onp.testing.assert_allclose(out, x[0] @ y)
    with pytest.raises(ValueError, match="differ in size"):
        cr.vmap(lambda a, b: a + b)(rng.standard_normal(3), rng.standard_normal(4))


def test_jvp_vjp_linearize_agree():
    f = lambda x, y: np.sin(x) * y + np.tanh(x @ y)  # noqa: E731
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    tx, ty = rng.standard_normal(3), rng.standard_normal(3)
    out, tan = cr.jvp(f, (x, y), (tx, ty))
    out2, f_jvp = cr.linearize(f, x, y)
    onp.testing.assert_allclose(out, out2)
    onp.testing.assert_allclose(f_jvp(tx, ty), tan, rtol=1e-12)
    J = cr.jacobian(f, argnums=(0, 1))(x, y)
    onp.testing.assert_allclose(tan, J[0] @ tx + J[1] @ ty, rtol=1e-12)
    u = rng.standard_normal(3)
    _, f_vjp = cr.vjp(f, x, y)
    gx, gy = f_vjp(u)
    onp.testing.assert_allclose(gx, u @ J[0], rtol=1e-12)
    onp.testing.assert_allclose(f_vjp(u)[1], gy)  # a vjp function may be called again


def test_hvp_and_autograd_hessian_products():
    A = rng.standard_normal((4, 4))
    f = lambda x: np.sum(np.sin(A @ x))  # noqa: E731
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    H = cr.hessian(f)(x)
    onp.testing.assert_allclose(cr.hvp(f, (x,), (v,))[0], H @ v, rtol=1e-10)
    onp.testing.assert_allclose(cr.hessian_tensor_product(f)(x, v), H @ v, rtol=1e-10)
    hvp_fn, g = cr.make_hvp(f)(x)
    onp.testing.assert_allclose(g, cr.grad(f)(x))
    onp.testing.assert_allclose(hvp_fn(v), H @ v, rtol=1e-10)


def test_make_ggnvp():
    W = rng.standard_normal((3, 4))
    f = lambda x: np.tanh(W @ x)  # noqa: E731
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    J = cr.jacobian(f)(x)
    onp.testing.assert_allclose(cr.make_ggnvp(f)(x)(v), J.T @ J @ v, rtol=1e-10)


def test_argnums_and_argnum_and_has_aux():
    f = lambda x, y, z: np.sum(x * y) + z ** 2  # noqa: E731
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    gx, gz = cr.grad(f, argnums=(0, 2))(x, y, 1.5)
    onp.testing.assert_allclose(gx, y)
    assert gz == pytest.approx(3.0)
    onp.testing.assert_allclose(cr.grad(f, argnum=1)(x, y, 1.5), x)
    (val, aux), g = cr.value_and_grad(lambda x: (np.sum(x ** 2), "aux"), has_aux=True)(x)
    assert aux == "aux" and val == pytest.approx(onp.sum(x ** 2))
    onp.testing.assert_allclose(g, 2 * x)
    g, aux = cr.grad_and_aux(lambda x: (np.sum(x ** 2), x * 0 + 1))(x)
    onp.testing.assert_allclose(g, 2 * x)


def test_autograd_names():
    x = rng.standard_normal(3)
    onp.testing.assert_allclose(cr.elementwise_grad(np.sin)(x), onp.cos(x))
    vjp_fn, ans = cr.make_vjp(np.sin)(x)
    onp.testing.assert_allclose(ans, onp.sin(x))
    onp.testing.assert_allclose(vjp_fn(onp.ones(3)), onp.cos(x))
    ans, tan = cr.make_jvp(np.sin)(x)(onp.ones(3))
    onp.testing.assert_allclose(tan, onp.cos(x))
    assert cr.deriv(np.sin)(0.0) == pytest.approx(1.0)
    z = 1.0 + 2.0j
    onp.testing.assert_allclose(cr.holomorphic_grad(lambda z: z ** 3)(z), 3 * z ** 2)
    onp.testing.assert_allclose(cr.tensor_jacobian_product(np.sin)(x, onp.ones(3)), onp.cos(x))
    g = cr.multigrad_dict(lambda a, b: a * b)(2.0, 3.0)
    assert g["a"] == pytest.approx(3.0) and g["b"] == pytest.approx(2.0)


# --- pytrees --------------------------------------------------------------------------------

Params = namedtuple("Params", "W b")


def test_pytree_gradients_keep_structure():
    p = {"layers": [Params(rng.standard_normal((2, 3)), rng.standard_normal(2)), None],
         "scale": onp.asarray(2.0)}
    x = rng.standard_normal(3)

    def loss(p):
        layer = p["layers"][0]
        return np.sum(np.tanh(layer.W @ x + layer.b)) * p["scale"]

    g = cr.grad(loss)(p)
    assert isinstance(g["layers"][0], Params) and g["layers"][1] is None
    h = onp.tanh(p["layers"][0].W @ x + p["layers"][0].b)
    onp.testing.assert_allclose(g["layers"][0].b, 2.0 * (1 - h ** 2))
    onp.testing.assert_allclose(g["scale"], onp.sum(h))


def test_plain_array_trees_match_the_general_path():
    # dicts, lists and tuples of float arrays take a one-pass path in grad; its structure,
    # order and values must be those of the general pytree path (which a scalar leaf forces).
    tree = {"b": [rng.standard_normal(2), (rng.standard_normal((2, 2)),)],
            "a": rng.standard_normal(3).astype(onp.float32), "c": {}}

    def loss(t, s=1.0):
        return s * (np.sum(t["a"] ** 2) + np.sum(np.sin(t["b"][0])) + np.sum(t["b"][1][0] ** 3))

    g = cr.grad(loss)(tree)
    g_general = cr.grad(lambda t: loss(t[0], t[1]))((tree, 1.0))[0]
    assert cr.tree_structure(g) == cr.tree_structure(tree) == cr.tree_structure(g_general)
    assert list(g) == list(g_general) == ["a", "b", "c"] and g["a"].dtype == onp.float32
    for a, b in zip(cr.tree_leaves(g), cr.tree_leaves(g_general)):
        onp.testing.assert_array_equal(a, b)
    # a float32 input in float64 arithmetic gets a float32 gradient (the transpose of the
    # promotion), from grad and from vjp, through elementwise ops and matmul alike
    w32 = rng.standard_normal((2, 3)).astype(onp.float32)
    assert cr.grad(lambda w: np.sum(w @ onp.ones((3, 2))))(w32).dtype == onp.float32
    _, f_vjp = cr.vjp(lambda w: w * onp.ones(3), w32)
    assert f_vjp(onp.ones((2, 3)))[0].dtype == onp.float32
    z64 = onp.array([1 + 2j, 3 - 1j], onp.complex64)
    _, f_vjp = cr.vjp(lambda z: z * onp.array([2.0 + 0j, 1j]), z64)
    assert f_vjp(onp.ones(2, onp.complex128))[0].dtype == onp.complex64
    # a dict of leaves rebuilt from too few leaves is an error, not a shorter dict
    _, td = cr.tree_flatten({"a": 1.0, "b": 2.0, "c": 3.0})
    with pytest.raises(ValueError, match="too few leaves"):
        cr.tree_unflatten(td, [10.0, 20.0])
    with pytest.raises(TypeError, match=r"argument 0\['b'\]\[0\] has dtype int64"):
        cr.grad(loss)({"a": tree["a"], "b": [onp.arange(2), tree["b"][1]], "c": {}})


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b


cr.register_pytree_node(Pair, lambda p: ([p.a, p.b], None), lambda _, c: Pair(*c))


def test_registered_container():
    g = cr.grad(lambda p: p.a * p.b)(Pair(2.0, 5.0))
    assert isinstance(g, Pair) and g.a == pytest.approx(5.0) and g.b == pytest.approx(2.0)


def test_jacobian_of_pytrees_output_outside_input_inside():
    f = lambda d: {"y": d["x"] * 2.0, "s": np.sum(d["x"])}  # noqa: E731
    J = cr.jacobian(f)({"x": onp.ones(3)})
    onp.testing.assert_allclose(J["y"]["x"], 2.0 * onp.eye(3))
    onp.testing.assert_allclose(J["s"]["x"], onp.ones(3))


# --- custom rules, checkpoint, stop_gradient -------------------------------------------------

def test_custom_vjp_used_in_reverse_and_differentiable():
    @cr.custom_vjp
    def f(x):
        return np.sin(x)

    f.defvjp(lambda x: (np.sin(x), x), lambda x, g: (2.0 * g * np.cos(x),))
    assert cr.grad(f)(0.3) == pytest.approx(2.0 * onp.cos(0.3))
    # the bwd rule is itself differentiated at second order
    assert cr.grad(cr.grad(f))(0.3) == pytest.approx(-2.0 * onp.sin(0.3))
    # forward mode differentiates fwd
    assert cr.jvp(f, (0.3,), (1.0,))[1] == pytest.approx(onp.cos(0.3))
    onp.testing.assert_allclose(cr.vmap(cr.grad(f))(onp.array([0.1, 0.2])),
                                2.0 * onp.cos([0.1, 0.2]))


def test_custom_jvp_used_in_both_modes():
    @cr.custom_jvp
    def f(x):
        return np.log(1.0 + np.exp(x))

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), t / (1.0 + np.exp(-x))

    x = onp.array([-1.0, 0.5, 800.0])  # exp(800) overflows; the custom rule stays finite
    sig = 1.0 / (1.0 + onp.exp(-x))
    onp.testing.assert_allclose(cr.jvp(f, (x,), (onp.ones(3),))[1], sig)
    onp.testing.assert_allclose(cr.elementwise_grad(f)(x), sig)


def test_checkpoint_recomputes_and_agrees():
    W = rng.standard_normal((4, 4))
    block = lambda x: np.tanh(W @ np.sin(x) + x)  # noqa: E731
    f = lambda x: np.sum(block(block(x)))  # noqa: E731
    fc = lambda x: np.sum(cr.checkpoint(block)(cr.checkpoint(block)(x)))  # noqa: E731
    x = rng.standard_normal(4)
    onp.testing.assert_allclose(cr.grad(fc)(x), cr.grad(f)(x), rtol=1e-12)
    onp.testing.assert_allclose(cr.hessian(fc)(x), cr.hessian(f)(x), rtol=1e-10)
    from chainrule.transforms.reverse_mode import trace_vjp

    assert len(trace_vjp(fc, (x,)).trace.tape) < len(trace_vjp(f, (x,)).trace.tape)


def test_stop_gradient():
    assert cr.grad(lambda x: x * cr.stop_gradient(x))(3.0) == pytest.approx(3.0)
    assert cr.jvp(lambda x: cr.stop_gradient(x) ** 2, (3.0,), (1.0,))[1] == 0.0


# --- plain NumPy dispatch ---------------------------------------------------------------------

def test_plain_numpy_calls_are_differentiated():
    W = rng.standard_normal((2, 3))
    x = rng.standard_normal(3)
    g = cr.grad(lambda x: onp.sum(onp.sin(W @ x) * onp.exp(x)[:2]))(x)
    g_ref = cr.grad(lambda x: np.sum(np.sin(W @ x) * np.exp(x)[:2]))(x)
    onp.testing.assert_allclose(g, g_ref)
    assert onp.all(g != 0)
    h = cr.grad(lambda x: onp.mean(onp.tanh(x)) + onp.dot(x, x))(x)
    onp.testing.assert_allclose(h, (1 - onp.tanh(x) ** 2) / 3 + 2 * x)


# --- dtypes ----------------------------------------------------------------------------------

def test_float32_stays_float32():
    x = rng.standard_normal(5).astype(onp.float32)
    W = rng.standard_normal((3, 5)).astype(onp.float32)
    f = lambda x: np.sum(np.tanh(W @ np.sin(x) * 1.01 + 0.1) ** 2)  # noqa: E731
    val, g = cr.value_and_grad(f)(x)
    assert val.dtype == onp.float32 and g.dtype == onp.float32
    assert cr.jacobian(lambda x: np.sin(x) * 2.0)(x).dtype == onp.float32
    assert cr.jvp(np.exp, (x,), (onp.ones(5, onp.float32),))[1].dtype == onp.float32


def test_python_scalars_and_0d():
    assert cr.grad(lambda x: x * x)(3.0) == pytest.approx(6.0)
    assert cr.grad(lambda x: x * x)(onp.float64(3.0)) == pytest.approx(6.0)
    g = cr.grad(lambda x: np.sum(x * x))(onp.asarray(3.0))
    assert onp.shape(g) == () and g == pytest.approx(6.0)


# --- errors ----------------------------------------------------------------------------------

def test_error_grad_of_nonscalar():
    with pytest.raises(TypeError, match=r"shape \(3,\).*jacobian.*vjp"):
        cr.grad(np.sin)(onp.ones(3))


def test_error_integer_input():
    with pytest.raises(TypeError, match="int64"):
        cr.grad(lambda x: x * 2.0)(onp.arange(3))
    with pytest.raises(TypeError, match=r"\['b'\]"):
        cr.grad(lambda d: d["a"] * 2.0)({"a": 1.0, "b": onp.arange(2)})


def test_error_no_derivative_rule_names_function():
    from chainrule.extend import primitive

    p = primitive(lambda x: x * 2.0, name="doubler")
    with pytest.raises(NotImplementedError, match="doubler"):
        cr.grad(lambda x: p(x))(1.0)
    with pytest.raises(NotImplementedError, match="doubler"):
        cr.jvp(p, (1.0,), (1.0,))
    window = onp.lib.stride_tricks.sliding_window_view
    with pytest.raises(NotImplementedError, match="sliding_window_view"):
        cr.grad(lambda x: onp.sum(window(x, 2)))(onp.arange(3.0))


def test_error_assignment_into_traced_array():
    def f(x):
        x[0] = 1.0
        return np.sum(x)

    with pytest.raises(TypeError, match=r"\.at\["):
        cr.grad(f)(onp.ones(3))


def test_error_bool_and_asarray_of_tracer():
    # branching on a concrete traced value differentiates the branch taken
    assert cr.grad(lambda x: x * x if x else -x)(2.0) == pytest.approx(4.0)
    with pytest.raises(TypeError, match="truth value"):
        cr.vmap(lambda x: x * x if x else -x)(onp.ones(2))
    with pytest.raises(TypeError, match="stop_gradient"):
        cr.grad(lambda x: onp.sum(onp.asarray(x)))(onp.ones(2))


def test_lists_of_traced_values_are_stacked():
    x = onp.array([1.0, 2.0, 3.0])
    onp.testing.assert_allclose(cr.grad(lambda x: np.sum([x[0], 2 * x[1]]))(x), [1.0, 2.0, 0.0])
    onp.testing.assert_allclose(cr.grad(lambda x: np.mean([x[0], 2 * x[1]]))(x), [0.5, 1.0, 0.0])
    onp.testing.assert_allclose(cr.grad(lambda x: np.prod([x[0], x[2]]))(x), [3.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="chainrule.numpy's function"):
        cr.grad(lambda x: onp.mean([x[0], x[1]]))(x)
    with pytest.raises(TypeError, match=r"x\.item\(\)"):
        cr.grad(lambda x: x.item())(1.0)


def test_forward_mode_derived_from_a_vjp_only_rule():
    from chainrule.extend import defvjp, primitive

    def lse_impl(x):
        m = onp.max(x)
        return m + onp.log(onp.sum(onp.exp(x - m)))

    native = primitive(lse_impl, name="lse_native")
    defvjp(native, lambda g, ans, x: g * np.exp(x - ans))  # chainrule's convention, no JVP
    autograd_style = primitive(lse_impl)
    defvjp(autograd_style, lambda ans, x: lambda g: g * np.exp(x - ans))
    x = onp.array([0.1, 0.5, -0.3])
    s = onp.exp(x) / onp.exp(x).sum()
    for f in (native, autograd_style):
        onp.testing.assert_allclose(cr.jvp(f, (x,), (onp.ones(3),))[1], 1.0)
        onp.testing.assert_allclose(cr.hessian(f)(x), onp.diag(s) - onp.outer(s, s), atol=1e-12)


def test_cotangent_dtypes_checked():
    x = onp.array([1.0, 2.0], onp.float32)
    _, f_vjp = cr.vjp(lambda v: v * 2.0, x)
    g = f_vjp(onp.array([1, 1]))[0]  # integer cotangent: cast to the output's dtype
    assert g.dtype == onp.float32 and onp.allclose(g, 2.0)
    with pytest.raises(TypeError, match="complex cotangent"):
        f_vjp(onp.array([1j, 1j]))


def test_chunk_size_must_be_positive():
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="chunk_size"):
            cr.jacrev(lambda x: x * 2.0, chunk_size=bad)(onp.ones(3))


def test_has_aux_on_jacobian_and_hessian():
    x = onp.array([0.3, 0.7])
    H, aux = cr.hessian(lambda x: (np.sum(x ** 3), x * 2.0), has_aux=True)(x)
    onp.testing.assert_allclose(H, onp.diag(6 * x))
    assert type(aux) is onp.ndarray and onp.allclose(aux, 2 * x)
    for outputs in (lambda x: x ** 2, lambda x: np.concatenate([x, x, x]) ** 2):  # rev and fwd
        J, aux = cr.jacobian(lambda x: (outputs(x), np.sum(x)), has_aux=True)(x)
        onp.testing.assert_allclose(J, cr.jacobian(outputs)(x))
        assert aux == pytest.approx(1.0)
