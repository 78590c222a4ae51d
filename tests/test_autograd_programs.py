"""Representative HIPS-autograd programs, run unchanged on chainrule.

Each program is written once against a library namespace ``lib`` (autograd's names: ``grad``,
``np``, ``primitive``, ``defvjp``, ``Box``, ``VSpace``, ``adam``, ``flatten_func``,
``fixed_point``, ``trace``, ``Node``, ...). On chainrule its numbers are checked against closed
forms or iterates computed by hand in plain NumPy; where HIPS autograd is installed the same
program also runs on autograd and the two agree to 1e-10.
"""

from __future__ import annotations

import types
import warnings

import numpy as onp
import pytest

RTOL = 1e-10


def _chainrule_lib():
    import chainrule
    import chainrule.numpy
    from chainrule.extend import Box, VSpace, defjvp, defvjp, primitive, vspace
    from chainrule.misc import flatten
    from chainrule.misc.fixed_points import fixed_point
    from chainrule.misc.flatten import flatten_func
    from chainrule.misc.optimizers import adam, rmsprop, sgd
    from chainrule.tracer import Node, trace
    from chainrule.util import toposort

    return types.SimpleNamespace(
        name="chainrule", grad=chainrule.grad, elementwise_grad=chainrule.elementwise_grad,
        value_and_grad=chainrule.value_and_grad, jacobian=chainrule.jacobian,
        np=chainrule.numpy, primitive=primitive, defvjp=defvjp, defjvp=defjvp, Box=Box,
        VSpace=VSpace, vspace=vspace, adam=adam, sgd=sgd, rmsprop=rmsprop, flatten=flatten,
        flatten_func=flatten_func, fixed_point=fixed_point, trace=trace, Node=Node,
        toposort=toposort)


def _autograd_lib():
    pytest.importorskip("autograd")
    import autograd
    import autograd.numpy
    from autograd.extend import Box, VSpace, defjvp, defvjp, primitive, vspace
    from autograd.misc import flatten
    from autograd.misc.fixed_points import fixed_point
    from autograd.misc.flatten import flatten_func
    from autograd.misc.optimizers import adam, rmsprop, sgd
    from autograd.tracer import Node, trace
    from autograd.util import toposort

    return types.SimpleNamespace(
        name="autograd", grad=autograd.grad, elementwise_grad=autograd.elementwise_grad,
        value_and_grad=autograd.value_and_grad, jacobian=autograd.jacobian,
        np=autograd.numpy, primitive=primitive, defvjp=defvjp, defjvp=defjvp, Box=Box,
        VSpace=VSpace, vspace=vspace, adam=adam, sgd=sgd, rmsprop=rmsprop, flatten=flatten,
        flatten_func=flatten_func, fixed_point=fixed_point, trace=trace, Node=Node,
        toposort=toposort)


_LIBS: dict = {}


def lib_named(name):
    if name not in _LIBS:
        _LIBS[name] = _chainrule_lib() if name == "chainrule" else _autograd_lib()
    return _LIBS[name]


def assert_trees_close(a, b, rtol=RTOL, atol=1e-12):
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b)
        for k in a:
            assert_trees_close(a[k], b[k], rtol, atol)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_trees_close(x, y, rtol, atol)
    else:
        onp.testing.assert_allclose(onp.asarray(a), onp.asarray(b), rtol=rtol, atol=atol)


def run_both(program, *args):
    """The program's result on chainrule, and on autograd (None when not installed)."""
    ours = program(lib_named("chainrule"), *args)
    try:
        theirs_lib = lib_named("autograd")
    except pytest.skip.Exception:
        return ours, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = program(theirs_lib, *args)
    return ours, theirs


# --- 1. an Adam training loop over a dict of parameters ------------------------------------------

rng = onp.random.default_rng(7)
X = rng.standard_normal((20, 3))
Y = X @ onp.array([1.5, -2.0, 0.5]) + 0.3 + 0.01 * rng.standard_normal(20)
PARAMS0 = {"W": onp.zeros(3), "b": 0.0}


def adam_program(lib, num_iters, step_size):
    np = lib.np

    def loss(params, i):
        r = np.dot(X, params["W"]) + params["b"] - Y
        return np.sum(r * r) / len(Y)

    seen = []

    def callback(params, i, g):
        seen.append((i, {k: onp.array(v) for k, v in params.items()},
                     {k: onp.array(v) for k, v in g.items()}))

    final = lib.adam(lib.grad(loss), PARAMS0, callback=callback, num_iters=num_iters,
                     step_size=step_size)
    return final, seen


def adam_by_hand(num_iters, step_size, b1=0.9, b2=0.999, eps=1e-8):
    """Adam on each leaf with the least-squares gradient written out: 2/n Xᵀr, 2/n Σr."""
    W, b = onp.zeros(3), 0.0
    mW, vW, mb, vb = onp.zeros(3), onp.zeros(3), 0.0, 0.0
    iterates = []
    for i in range(num_iters):
        r = X @ W + b - Y
        gW, gb = 2 * X.T @ r / len(Y), 2 * onp.sum(r) / len(Y)
        iterates.append((i, {"W": W.copy(), "b": b}, {"W": gW, "b": gb}))
        mW, mb = (1 - b1) * gW + b1 * mW, (1 - b1) * gb + b1 * mb
        vW, vb = (1 - b2) * gW ** 2 + b2 * vW, (1 - b2) * gb ** 2 + b2 * vb
        c1, c2 = 1 - b1 ** (i + 1), 1 - b2 ** (i + 1)
        W = W - step_size * (mW / c1) / (onp.sqrt(vW / c2) + eps)
        b = b - step_size * (mb / c1) / (onp.sqrt(vb / c2) + eps)
    return {"W": W, "b": b}, iterates


def test_adam_loop_over_dict_matches_hand_iterates():
    (final, seen), theirs = run_both(adam_program, 25, 0.05)
    want_final, want_seen = adam_by_hand(25, 0.05)
    assert sorted(final) == ["W", "b"] and onp.shape(final["b"]) == ()
    assert_trees_close(final, want_final, rtol=1e-12)
    assert [s[0] for s in seen] == list(range(25))
    for (_i, p, g), (_, wp, wg) in zip(seen, want_seen, strict=True):
        assert_trees_close(p, wp, rtol=1e-12)
        assert_trees_close(g, wg, rtol=1e-12)
    if theirs is not None:
        assert_trees_close(final, theirs[0])
        for a, b in zip(seen, theirs[1], strict=True):
            assert_trees_close(a[1:], b[1:])


def test_adam_converges_to_least_squares():
    (final, _), _ = run_both(adam_program, 1500, 0.05)
    A = onp.hstack([X, onp.ones((20, 1))])
    sol = onp.linalg.lstsq(A, Y, rcond=None)[0]
    onp.testing.assert_allclose(final["W"], sol[:3], atol=1e-4)
    onp.testing.assert_allclose(final["b"], sol[3], atol=1e-4)


def momentum_programs(lib):
    np = lib.np
    grad = lib.grad(lambda p, i: np.sum(p[0] ** 2) + 0.5 * np.sum(p[1][0] ** 4))
    x0 = [onp.array([1.0, -2.0]), (onp.array([0.5]),)]
    return (lib.sgd(grad, x0, num_iters=7, step_size=0.3, mass=0.8),
            lib.rmsprop(grad, x0, num_iters=7, step_size=0.05, gamma=0.7))


def test_sgd_and_rmsprop_match_hand_iterates():
    (sgd_out, rms_out), theirs = run_both(momentum_programs)
    x0 = onp.array([1.0, -2.0, 0.5])

    def g(x):
        return onp.array([2 * x[0], 2 * x[1], 2 * x[2] ** 3])

    x, v = x0.copy(), onp.zeros(3)
    for _ in range(7):
        v = 0.8 * v - 0.2 * g(x)
        x = x + 0.3 * v
    assert type(sgd_out) is list and type(sgd_out[1]) is tuple
    onp.testing.assert_allclose(onp.concatenate([sgd_out[0], sgd_out[1][0]]), x, rtol=1e-12)
    x, s = x0.copy(), onp.ones(3)
    for _ in range(7):
        s = 0.7 * s + 0.3 * g(x) ** 2
        x = x - 0.05 * g(x) / (onp.sqrt(s) + 1e-8)
    onp.testing.assert_allclose(onp.concatenate([rms_out[0], rms_out[1][0]]), x, rtol=1e-12)
    if theirs is not None:
        assert_trees_close([sgd_out, rms_out], list(theirs))


# --- 2. flatten_func: a structured function as a function of one vector -----------------------

def flatten_program(lib):
    np = lib.np
    params = {"w": onp.array([[1.0, 2.0], [3.0, 4.0]]), "c": (onp.array([0.5, -1.0]), 2.0)}

    def model(p, x):
        h = np.tanh(np.dot(p["w"], x) + p["c"][0])
        return {"out": h * p["c"][1], "norm": np.sum(h * h)}

    x = onp.array([0.1, -0.2])
    flat_model, unflatten, flat0 = lib.flatten_func(model, params)
    flat_out = flat_model(flat0, x)
    jac = lib.jacobian(flat_model)(flat0, x)
    grad_norm = lib.grad(lambda v: flat_model(v, x)[0])(flat0)
    back = unflatten(flat0 * 2.0)
    return flat0, flat_out, jac, grad_norm, back


def test_flatten_func_matches_closed_form():
    (flat0, flat_out, jac, grad_norm, back), theirs = run_both(flatten_program)
    # order: dict keys sorted ("c" before "w"), tuples in order, leaves raveled
    onp.testing.assert_array_equal(flat0, [0.5, -1.0, 2.0, 1.0, 2.0, 3.0, 4.0])
    W, c0, k, x = onp.array([[1.0, 2.0], [3.0, 4.0]]), onp.array([0.5, -1.0]), 2.0, \
        onp.array([0.1, -0.2])
    h = onp.tanh(W @ x + c0)
    onp.testing.assert_allclose(flat_out, onp.concatenate([sum(h * h)[None], h * k]))
    # Jacobian rows: d norm, d out_1, d out_2 with respect to (c0, k, W)
    d = 1 - h ** 2
    dh = onp.zeros((2, 7))
    dh[:, 0:2] = onp.diag(d)
    dh[0, 3:5], dh[1, 5:7] = d[0] * x, d[1] * x
    want = onp.vstack([2 * h @ dh, k * dh])
    want[1:, 2] = h
    onp.testing.assert_allclose(jac, want, rtol=1e-12, atol=1e-14)
    onp.testing.assert_allclose(grad_norm, want[0], rtol=1e-12, atol=1e-14)
    assert back["c"][1].shape == () and back["w"].shape == (2, 2)
    onp.testing.assert_allclose(back["w"], 2 * W)
    if theirs is not None:
        assert_trees_close([flat0, flat_out, jac, grad_norm, back], list(theirs))


# --- 3. a fixed point, differentiated twice ---------------------------------------------------

def fixed_point_program(lib, a):
    np = lib.np

    def f(a):
        return lambda x: a + 0.5 * np.cos(x)  # a contraction: x* - cos(x*)/2 = a

    def dist(x, y):
        return np.abs(x - y)

    def solve(a):
        return lib.fixed_point(f, a, 0.0, dist, 1e-15)

    return solve(a), lib.grad(solve)(a), lib.grad(lib.grad(solve))(a)


@pytest.mark.parametrize("a", [0.3, -1.2, 2.0])
def test_fixed_point_twice_matches_implicit_derivatives(a):
    (x, d1, d2), theirs = run_both(fixed_point_program, a)
    onp.testing.assert_allclose(x - 0.5 * onp.cos(x), a, rtol=1e-13)
    dx = 1 / (1 + 0.5 * onp.sin(x))
    onp.testing.assert_allclose(d1, dx, rtol=1e-12)
    onp.testing.assert_allclose(d2, -0.5 * onp.cos(x) * dx ** 3, rtol=1e-10)
    if theirs is not None:
        assert_trees_close([x, d1, d2], list(theirs))


def vector_fixed_point_program(lib, W, a, v):
    np = lib.np

    def f(params):
        W, a = params
        return lambda x: np.tanh(np.dot(W, x) + a)

    def solve(a):
        return lib.fixed_point(f, (W, a), np.zeros(len(a)),
                               lambda x, y: np.sqrt(np.sum((x - y) ** 2)), 1e-14)

    loss = lambda a: np.dot(v, solve(a))  # noqa: E731
    return solve(a), lib.grad(loss)(a), lib.jacobian(lib.grad(loss))(a)


def test_vector_fixed_point_gradient_and_hessian():
    r = onp.random.default_rng(3)
    W = 0.3 * r.standard_normal((3, 3))
    a, v = r.standard_normal(3), r.standard_normal(3)
    (x, g, H), theirs = run_both(vector_fixed_point_program, W, a, v)
    onp.testing.assert_allclose(onp.tanh(W @ x + a), x, rtol=1e-12)
    D = onp.diag(1 - x ** 2)
    J = onp.linalg.solve(onp.eye(3) - D @ W, D)  # dx/da by the implicit function theorem
    onp.testing.assert_allclose(g, v @ J, rtol=1e-10)
    # second order by finite differences of the (exact) gradient formula
    def grad_formula(a):
        xs = onp.zeros(3)
        for _ in range(200):
            xs = onp.tanh(W @ xs + a)
        Ds = onp.diag(1 - xs ** 2)
        return v @ onp.linalg.solve(onp.eye(3) - Ds @ W, Ds)
    eps = 1e-6
    H_fd = onp.array([(grad_formula(a + eps * e) - grad_formula(a - eps * e)) / (2 * eps)
                      for e in onp.eye(3)]).T
    onp.testing.assert_allclose(H, H_fd, rtol=1e-6, atol=1e-8)
    if theirs is not None:
        assert_trees_close([x, g, H], list(theirs))


# --- 4. a user-defined value type with its own Box and VSpace ----------------------------------

class Pair:
    """A user's value type: two arrays that travel together."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def __add__(self, other):
        return Pair(self.a + other.a, self.b + other.b)

    def __mul__(self, k):
        return Pair(self.a * k, self.b * k)


_PAIR_TYPES: dict = {}


def pair_types(lib):
    """Register Pair with ``lib``'s Box and VSpace, once per library (as a user module would)."""
    if lib.name in _PAIR_TYPES:
        return _PAIR_TYPES[lib.name]
    primitive, defvjp, vspace = lib.primitive, lib.defvjp, lib.vspace

    @primitive
    def make_pair(a, b):
        return Pair(a, b)

    @primitive
    def pair_a(p):
        return p.a

    @primitive
    def pair_b(p):
        return p.b

    @primitive
    def pair_add(p, q):
        return p + q

    defvjp(make_pair, lambda ans, a, b: lambda g: g.a, lambda ans, a, b: lambda g: g.b)
    defvjp(pair_a, lambda ans, p: lambda g: Pair(g, vspace(p.b).zeros()))
    defvjp(pair_b, lambda ans, p: lambda g: Pair(vspace(p.a).zeros(), g))
    defvjp(pair_add, lambda ans, p, q: lambda g: g, lambda ans, p, q: lambda g: g)

    class PairBox(lib.Box):
        __slots__ = []
        a = property(pair_a)
        b = property(pair_b)
        plus = pair_add

        def swapped(self):
            return make_pair(self.b, self.a)

    PairBox.register(Pair)

    class PairVSpace(lib.VSpace):
        def __init__(self, value):
            self.a_vs, self.b_vs = vspace(value.a), vspace(value.b)

        @property
        def size(self):
            return self.a_vs.size + self.b_vs.size

        def zeros(self):
            return Pair(self.a_vs.zeros(), self.b_vs.zeros())

        def ones(self):
            return Pair(self.a_vs.ones(), self.b_vs.ones())

        def _inner_prod(self, x, y):
            return self.a_vs.inner_prod(x.a, y.a) + self.b_vs.inner_prod(x.b, y.b)

    PairVSpace.register(Pair)
    _PAIR_TYPES[lib.name] = types.SimpleNamespace(make_pair=make_pair, PairBox=PairBox)
    return _PAIR_TYPES[lib.name]


def pair_program(lib, x):
    np, P = lib.np, pair_types(lib)
    boxes_seen = []

    def f(x):
        p = P.make_pair(x, 2.0 * x)
        q = p.plus(p.swapped())  # (3x, 3x); p is used twice: its cotangents add in Pair's space
        boxes_seen.append(isinstance(q, P.PairBox))
        return np.sum(q.a * q.b) + np.sum(np.sin(p.a))

    vs = lib.vspace(Pair(onp.ones(2), onp.ones(3)))
    return (lib.grad(f)(x), lib.elementwise_grad(lambda x: P.make_pair(x, x).b * x)(x),
            boxes_seen, vs.size, vs.inner_prod(vs.ones(), vs.ones()))


def test_custom_vspace_type_differentiates():
    x = onp.array([0.5, -1.0, 2.0])
    (g, eg, boxes, size, inner), theirs = run_both(pair_program, x)
    onp.testing.assert_allclose(g, 18 * x + onp.cos(x), rtol=1e-12)  # d/dx (9x² + sin x)
    onp.testing.assert_allclose(eg, 2 * x, rtol=1e-12)
    assert boxes == [True] and size == 5 and inner == 5.0
    if theirs is not None:
        assert_trees_close([g, eg], list(theirs[:2]))


def pair_input_program(lib, a, b):
    np = lib.np
    pair_types(lib)
    return lib.grad(lambda p: np.sum(p.a * p.b ** 2))(Pair(a, b))


def test_grad_with_respect_to_custom_type():
    a, b = onp.array([1.0, 2.0]), onp.array([3.0, -1.0])
    g = pair_input_program(lib_named("chainrule"), a, b)
    assert isinstance(g, Pair)
    onp.testing.assert_allclose(g.a, b ** 2)
    onp.testing.assert_allclose(g.b, 2 * a * b)


def test_grad_with_respect_to_custom_type_on_autograd():
    # the reference behaviour the xfail above asks for
    a, b = onp.array([1.0, 2.0]), onp.array([3.0, -1.0])
    g = pair_input_program(lib_named("autograd"), a, b)
    onp.testing.assert_allclose(g.a, b ** 2)
    onp.testing.assert_allclose(g.b, 2 * a * b)


# --- 5. a graph-printing tool written on autograd's tracer ---------------------------------------

def print_graph_program(lib, x):
    np = lib.np

    class ExprNode(lib.Node):
        """Renders each value as the expression that made it."""

        __slots__ = ["parents", "expr", "name"]

        def __init__(self, value, fun, args, kwargs, parent_argnums, parents):
            self.parents = parents
            self.name = fun.__name__
            rendered = [f"{float(a):g}" for a in args]
            for i, p in zip(parent_argnums, parents, strict=True):
                rendered[i] = p.expr
            self.expr = f"{self.name}({', '.join(rendered)})"

        def initialize_root(self):
            self.parents, self.expr, self.name = [], "x", "x"

    def f(x):
        y = np.sin(x) * x
        return np.exp(y) + 2.0 * y

    value, end = lib.trace(ExprNode.new_root(), f, x)
    names = [n.name for n in lib.toposort(end)]
    return value, end.expr, names


def test_traced_graph_prints_numpy_names():
    (value, expr, names), theirs = run_both(print_graph_program, 0.7)
    onp.testing.assert_allclose(value, onp.exp(onp.sin(0.7) * 0.7) + 1.4 * onp.sin(0.7))
    assert expr == "add(exp(multiply(sin(x), x)), multiply(2, multiply(sin(x), x)))"
    assert names == ["add", "multiply", "exp", "multiply", "sin", "x"]
    if theirs is not None:
        assert (expr, names) == theirs[1:]
        onp.testing.assert_allclose(value, theirs[0], rtol=RTOL)
