"""autograd's public names on chainrule, one behaviour at a time: extend (both rule
conventions), VSpace/Box, builtins, util, tracer, misc (flatten, optimizers, fixed points,
const_graph). Values are checked against closed forms; where HIPS autograd is installed some
checks also compare with it.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections import namedtuple

import numpy as onp
import pytest

import chainrule as cr
import chainrule.numpy as np
from chainrule.extend import (
    JVPNode,
    SparseObject,
    VJPNode,
    def_linear,
    defjvp,
    defjvp_argnum,
    defjvp_argnums,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
    notrace_primitive,
    primitive,
    register_notrace,
    vspace,
)
from chainrule.misc.fixed_points import fixed_point
from chainrule.misc.flatten import flatten
from chainrule.test_util import check_grads

# --- the module layout: every public autograd name has a chainrule counterpart ---------------

AUTOGRAD_NAMES = {
    "extend": ["Box", "JVPNode", "SparseObject", "VJPNode", "VSpace", "def_linear", "defjvp",
               "defjvp_argnum", "defjvp_argnums", "defvjp", "defvjp_argnum", "defvjp_argnums",
               "notrace_primitive", "primitive", "register_notrace", "vspace"],
    "builtins": ["ContainerVSpace", "DictVSpace", "ListVSpace", "NamedTupleVSpace",
                 "SequenceVSpace", "TupleVSpace", "dict", "isinstance", "list", "tuple", "type"],
    "tracer": ["Box", "Node", "getval", "isbox", "notrace_primitive", "primitive",
               "register_notrace", "toposort", "trace"],
    "util": ["func", "quick_grad_check", "subval", "subvals", "toposort"],
    "misc": ["const_graph", "flatten"],
    "misc.flatten": ["flatten", "flatten_func"],
    "misc.optimizers": ["adam", "rmsprop", "sgd", "unflatten_optimizer"],
    "misc.fixed_points": ["fixed_point"],
    "misc.tracers": ["FullGraphNode", "const_graph", "const_graph_unary", "full_graph"],
}


@pytest.mark.parametrize("module", sorted(AUTOGRAD_NAMES))
def test_module_has_autograd_names(module):
    mod = importlib.import_module(f"chainrule.{module}")
    missing = [n for n in AUTOGRAD_NAMES[module] if not hasattr(mod, n)]
    assert not missing, f"chainrule.{module} lacks {missing}"


@pytest.mark.parametrize("name,defaults", [
    ("sgd", {"callback": None, "num_iters": 200, "step_size": 0.1, "mass": 0.9}),
    ("rmsprop", {"callback": None, "num_iters": 100, "step_size": 0.1, "gamma": 0.9,
                 "eps": 1e-8}),
    ("adam", {"callback": None, "num_iters": 100, "step_size": 0.001, "b1": 0.9, "b2": 0.999,
              "eps": 1e-8}),
])
def test_optimizer_signatures_are_autograds(name, defaults):
    from chainrule.misc import optimizers

    params = inspect.signature(getattr(optimizers, name)).parameters
    assert list(params) == ["grad", "x", *defaults]
    assert {k: params[k].default for k in defaults} == defaults


def test_optimizer_positional_callback_and_iterates_match_autograd():
    ag_opt = pytest.importorskip("autograd.misc.optimizers")
    from chainrule.misc import optimizers

    def grad(p, i):
        return [2 * p[0] * (1 + i), onp.cos(p[1])]

    x0 = [onp.array([1.0, -0.5]), onp.array([[0.3]])]
    for name in ("sgd", "rmsprop", "adam"):
        log_ours, log_theirs = [], []
        ours = getattr(optimizers, name)(grad, x0, lambda x, i, g: log_ours.append(g), 5, 0.2)
        theirs = getattr(ag_opt, name)(grad, x0, lambda x, i, g: log_theirs.append(g), 5, 0.2)
        for a, b in zip(ours + sum(log_ours, []), theirs + sum(log_theirs, []), strict=True):
            onp.testing.assert_allclose(a, b, rtol=1e-12)


def test_optimizer_is_differentiable_meta_gradient():
    from chainrule.misc.optimizers import sgd

    # one sgd step from x0 with step size s: x1 = x0 - s (1 - mass) 2 x0 -> d x1 / d s closed form
    def final(s):
        return np.sum(sgd(lambda x, i: 2 * x, np.array([1.0, 2.0]), num_iters=1, step_size=s,
                          mass=0.5))

    onp.testing.assert_allclose(cr.grad(final)(0.1), -(1 - 0.5) * 2 * 3.0)


# --- chainrule.extend: autograd-style primitives -----------------------------------------------

@primitive
def logsumexp(x, axis=None):
    m = onp.max(x, axis=axis, keepdims=True)
    return onp.log(onp.sum(onp.exp(x - m), axis=axis, keepdims=True)).squeeze(axis) + \
        m.squeeze(axis)


def _keep(v, axis):
    return v if axis is None else np.expand_dims(v, axis)


defvjp(logsumexp, lambda ans, x, axis=None: lambda g: _keep(g, axis) * np.exp(x - _keep(ans, axis)))
defjvp(logsumexp, lambda g, ans, x, axis=None: np.sum(g * np.exp(x - _keep(ans, axis)), axis=axis))

X = onp.array([[0.1, 0.5, -0.3], [1.0, 2.0, 0.0]])


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_autograd_style_primitive_any_order_both_modes(axis):
    check_grads(lambda x: logsumexp(x, axis=axis), X, order=3)
    soft = onp.exp(X - logsumexp(X, axis=axis if axis is None else axis)
                   if axis is None else X - onp.expand_dims(logsumexp(X, axis=axis), axis))
    onp.testing.assert_allclose(cr.grad(lambda x: np.sum(logsumexp(x, axis=axis)))(X), soft)


def test_autograd_style_primitive_under_vmap_and_jacobians():
    rows = [logsumexp(r) for r in X]
    onp.testing.assert_allclose(cr.vmap(logsumexp)(X), rows)
    J = cr.jacrev(lambda x: logsumexp(x, axis=1))(X)
    onp.testing.assert_allclose(J, cr.jacfwd(lambda x: logsumexp(x, axis=1))(X), rtol=1e-12)
    assert J.shape == (2, 2, 3)


def test_plain_call_runs_the_function_itself():
    assert type(logsumexp(X)) is onp.float64
    assert logsumexp.fun(X) == logsumexp(X) and logsumexp.__name__ == "logsumexp"


def test_argnum_forms_of_rule_definition():
    @primitive
    def mul_a(x, y):
        return x * y

    defvjp_argnum(mul_a, lambda argnum, ans, args, kwargs: lambda g: g * args[1 - argnum])
    defjvp_argnum(mul_a, lambda argnum, g, ans, args, kwargs: g * args[1 - argnum])

    @primitive
    def mul_b(x, y):
        return x * y

    defvjp_argnums(mul_b, lambda argnums, ans, args, kwargs:
                   lambda g: [g * args[1 - a] for a in argnums])
    defjvp_argnums(mul_b, lambda argnums, gs, ans, args, kwargs:
                   sum(g * args[1 - a] for a, g in zip(argnums, gs, strict=True)))

    @primitive
    def mul_c(x, y):
        return x * y

    def_linear(mul_c)
    defvjp(mul_c, lambda ans, x, y: lambda g: g * y, lambda ans, x, y: lambda g: g * x)
    for f in (mul_a, mul_b, mul_c):
        check_grads(f, 2.0, 3.0)
        assert cr.grad(f, (0, 1))(2.0, 3.0) == (3.0, 2.0)
        assert cr.jvp(f, (2.0, 3.0), (1.0, 1.0)) == (6.0, 5.0)


def test_none_maker_is_zero_missing_maker_raises_argnums_and_same():
    @primitive
    def scale(k, x):
        return k * x

    defvjp(scale, lambda ans, k, x: lambda g: k * g, argnums=(1,))
    assert cr.grad(lambda x: scale(3.0, x))(2.0) == 3.0
    with pytest.raises(NotImplementedError, match="scale wrt argnum 0"):
        cr.grad(lambda k: scale(k, 2.0))(3.0)
    defvjp(scale, None, lambda ans, k, x: lambda g: k * g)  # replaces the makers, as autograd
    assert cr.grad(lambda k: scale(k, 2.0))(3.0) == 0.0
    defjvp(scale, None, "same")
    assert cr.jvp(scale, (3.0, 2.0), (1.0, 1.0)) == (6.0, 3.0)


def test_container_arguments_and_results():
    @primitive
    def split(x):
        return x[0] * 2.0, x[1:] * 3.0

    defvjp(split, lambda ans, x: lambda g: np.concatenate([np.reshape(g[0] * 2.0, (1,)),
                                                           g[1] * 3.0]))
    defjvp(split, lambda g, ans, x: (g[0] * 2.0, g[1:] * 3.0))

    @primitive
    def dotd(d, k=1.0):
        return onp.sum(d["u"] * d["v"]) * k

    defvjp(dotd, lambda ans, d, k=1.0: lambda g: {"u": g * d["v"] * k, "v": g * d["u"] * k})
    x = onp.array([1.0, 2.0, 3.0])
    onp.testing.assert_allclose(cr.grad(lambda x: split(x)[0] + np.sum(split(x)[1]))(x),
                                [2.0, 3.0, 3.0])
    onp.testing.assert_allclose(cr.jacfwd(lambda x: split(x)[1])(x),
                                [[0, 3, 0], [0, 0, 3]])
    onp.testing.assert_allclose(cr.grad(lambda u: dotd({"u": u, "v": u * u}, k=2.0))(x),
                                6 * x ** 2)
    onp.testing.assert_allclose(
        cr.grad(cr.grad(lambda u: dotd({"u": u, "v": u * u}, k=2.0)))(2.0), 24.0)


def test_sparse_object_cotangent_is_densified():
    @primitive
    def first(x):
        return x[0]

    def untake(ans, x):
        def vjp(g):
            def mut_add(A):
                A[0] += g
                return A

            return SparseObject(vspace(x), mut_add)

        return vjp

    defvjp(first, untake)
    onp.testing.assert_allclose(cr.grad(lambda x: first(x) * 3.0 + first(x))(onp.ones(3)),
                                [4.0, 0.0, 0.0])


def test_native_rules_given_to_autograd_style_primitive_fail_clearly():
    @primitive
    def double(x):
        return 2.0 * x

    defvjp(double, lambda g, ans, x: 2.0 * g)  # chainrule's convention, wrong kind here
    with pytest.raises(TypeError, match=r"lambda ans, \*args: lambda g"):
        cr.grad(double)(1.0)
    defvjp(double, lambda ans, x: 2.0)  # a maker that returns no function
    with pytest.raises(TypeError, match="not a function"):
        cr.grad(double)(1.0)


def test_native_convention_is_chosen_by_keywords():
    cube = primitive(lambda x: x ** 3, name="cube")
    assert isinstance(cube, cr.core.Primitive)
    defvjp(cube, lambda g, ans, x: 3 * g * x ** 2)
    defjvp(cube, "same" if False else (lambda g, ans, x: 3 * g * x ** 2))
    check_grads(cube, 1.3)
    sq = primitive(lambda x: x * x, convention="native")
    defvjp(sq, lambda g, ans, x: 2 * g * x)
    assert cr.grad(sq)(3.0) == 6.0
    # a user primitive called "add" does not replace the add that operators dispatch to
    primitive(lambda a, b: a - b, name="add")
    assert cr.grad(lambda x: x + x)(1.0) == 2.0


def test_register_notrace_zeroes_a_mode():
    @primitive
    def rounded(x):
        return onp.round(x)

    register_notrace(VJPNode, rounded)
    register_notrace(JVPNode, rounded)
    assert cr.grad(lambda x: rounded(x) * x)(2.3) == 2.0
    assert cr.jvp(lambda x: rounded(x) * x, (2.3,), (1.0,))[1] == 2.0


def test_notrace_primitive_sees_plain_values():
    seen = []
    peek = notrace_primitive(lambda x: seen.append(type(x)) or 1.0)
    assert cr.grad(lambda x: x * peek(x))(2.0) == 1.0
    assert seen == [onp.ndarray]


# --- VSpace and Box -----------------------------------------------------------------------------

def test_array_vspaces_match_autograd():
    vs = vspace(onp.ones((2, 3), dtype=onp.float32))
    assert (vs.shape, vs.dtype, vs.size, vs.ndim, vs.iscomplex) == ((2, 3), onp.float32, 6, 2,
                                                                   False)
    assert vs.zeros().dtype == onp.float32 and onp.all(vs.ones() == 1)
    basis = list(vs.standard_basis())
    assert len(basis) == 6 and onp.allclose(sum(basis), 1)
    assert vs == vspace(onp.zeros((2, 3), dtype=onp.float32)) != vspace(onp.zeros((3, 2)))
    cvs = vspace(onp.ones(2) * 1j)
    assert cvs.iscomplex and cvs.size == 4 and len(list(cvs.standard_basis())) == 4
    assert cvs.inner_prod(onp.array([1j, 0]), onp.array([1j, 0])) == 1.0
    assert vspace(2.0).shape == () and vspace(onp.float32(1)).dtype == onp.float32
    cont = vspace({"a": onp.ones(2), "b": [1.0, onp.ones((1, 2))]})
    assert cont.size == 5 and cont.inner_prod(cont.ones(), cont.ones()) == 5.0
    assert cont.add(cont.ones(), cont.ones())["b"][1].tolist() == [[2.0, 2.0]]
    with pytest.raises(TypeError, match="vector space"):
        vspace("text")


def test_vspace_of_traced_value_and_against_autograd():
    seen = []
    cr.grad(lambda x: seen.append(vspace(x)) or np.sum(x))(onp.ones(3))
    assert seen[0] == vspace(onp.ones(3))
    ag_extend = pytest.importorskip("autograd.extend")
    for v in (onp.ones((2, 2)), 1.5, onp.ones(3) * 1j, [onp.ones(2), 2.0]):
        ours, theirs = vspace(v), ag_extend.vspace(v)
        assert (ours.size, getattr(ours, "iscomplex", False)) == (theirs.size, theirs.iscomplex)
        onp.testing.assert_allclose(flatten(ours.ones())[0], flatten(theirs.ones())[0])


def test_container_vspace_registration_makes_a_pytree():
    from chainrule.builtins import SequenceVSpace

    class Stack(list):
        pass

    class StackVSpace(SequenceVSpace):
        seq_type = Stack

    StackVSpace.register(Stack)
    g = cr.grad(lambda s: s[0] * s[1])(Stack([2.0, 5.0]))
    assert type(g) is Stack and list(g) == [5.0, 2.0]


def test_box_isinstance_and_attributes_on_tracers():
    from chainrule.extend import Box

    class Meters:
        def __init__(self, v):
            self.v = v

    @primitive
    def meters(x):
        return Meters(x)

    @primitive
    def in_feet(m):
        return m.v * 3.28084

    defvjp(meters, lambda ans, x: lambda g: g.v)
    defvjp(in_feet, lambda ans, m: lambda g: Meters(g * 3.28084))
    defjvp(meters, lambda g, ans, x: Meters(g))
    defjvp(in_feet, lambda g, ans, m: g.v * 3.28084)

    class MetersBox(Box):
        __slots__ = ()
        feet = property(in_feet)

        def raw_type(self):
            return type(self._value)

    MetersBox.register(Meters)
    seen = []

    def f(x):
        m = meters(x)
        seen.append((isinstance(m, MetersBox), isinstance(x, MetersBox), isinstance(x, Box),
                     m.raw_type()))
        return m.feet

    assert cr.grad(f)(2.0) == 3.28084
    assert cr.jvp(f, (2.0,), (1.0,)) == (2.0 * 3.28084, 3.28084)
    assert seen == [(True, False, True, Meters)] * 2
    assert not isinstance(Meters(1.0), MetersBox) and not isinstance(onp.ones(2), Box)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        cr.grad(lambda x: meters(x).nonexistent)(1.0)


# --- builtins, util ------------------------------------------------------------------------------

def test_builtins_look_through_tracers():
    from chainrule import builtins as b

    assert b.tuple is tuple and b.list is list and b.dict is dict
    seen = []

    def f(x):
        seen.append((b.isinstance(x, onp.ndarray), b.type(x), isinstance(x, onp.ndarray)))
        return b.tuple((x, 2.0 * x))

    onp.testing.assert_allclose(cr.jacobian(f)(1.5), (1.0, 2.0))
    assert seen[0] == (True, onp.ndarray, False)
    assert b.type("T", (), {}).__name__ == "T" and b.isinstance(3, int)


def test_util_helpers():
    from chainrule.util import func, quick_grad_check, subval, subvals, toposort

    assert subvals((1, 2, 3), [(0, 9), (2, 7)]) == (9, 2, 7) and subval((1, 2), 1, 5) == (1, 5)
    assert func(len) is len

    class N:
        def __init__(self, name, *parents):
            self.name, self.parents = name, list(parents)

    a = N("a")
    b, c = N("b", a), N("c", a)
    d = N("d", b, c, a)
    order = [n.name for n in toposort(d)]
    assert order[0] == "d" and order[-1] == "a" and sorted(order) == ["a", "b", "c", "d"]
    with pytest.warns(UserWarning, match="deprecated"):
        quick_grad_check(lambda x, k: np.sum(np.sin(x) * k), onp.ones(3), extra_args=(2.0,))

    @primitive
    def wrong(x):
        return x ** 2

    defvjp(wrong, lambda ans, x: lambda g: g * x)  # half the true derivative
    with pytest.warns(UserWarning, match="deprecated"), pytest.raises(AssertionError):
        quick_grad_check(lambda x: np.sum(wrong(x)), onp.ones(3))


# --- chainrule.tracer ------------------------------------------------------------------------

from chainrule.tracer import Node, backward_pass, trace  # noqa: E402


class Recorder(Node):
    __slots__ = ("parents", "fun", "value", "argnums")

    def __init__(self, value, fun, args, kwargs, parent_argnums, parents):
        self.parents, self.fun, self.value, self.argnums = parents, fun, value, parent_argnums

    def initialize_root(self):
        self.parents, self.fun, self.value, self.argnums = [], None, None, ()


def test_trace_records_primitives_constants_and_containers():
    value, end = trace(Recorder.new_root(),
                       lambda xs: (np.sum(xs[0] * 2.0), logsumexp(xs[1])),
                       (onp.ones(2), onp.zeros(2)))
    assert value[0] == 4.0 and end.fun.__name__ == "make_tuple"
    total, lse = end.parents
    assert total.fun.__name__ == "sum" and total.parents[0].fun.__name__ == "multiply"
    assert lse.fun is logsumexp and lse.argnums == (0,)
    assert total.parents[0].argnums == (0,)  # the constant 2.0 is no parent


def test_trace_of_constant_output_warns_and_has_no_node():
    with pytest.warns(UserWarning, match="independent"):
        value, end = trace(Recorder.new_root(), lambda x: 3.0, 1.0)
    assert (value, end) == (3.0, None)


def test_vjp_and_jvp_nodes_compute_derivatives():
    f = lambda x: np.sum(np.sin(x) * logsumexp(x) + x)  # noqa: E731
    x = onp.array([0.3, -0.7, 1.1])
    from chainrule.tracer import VJPNode as V

    value, end = trace(V.new_root(), f, x)
    onp.testing.assert_allclose(backward_pass(1.0, end), cr.grad(f)(x), rtol=1e-12)
    v = onp.array([1.0, 2.0, -1.0])
    value, end = trace(JVPNode.new_root(v), f, x)
    onp.testing.assert_allclose(end.g, cr.jvp(f, (x,), (v,))[1], rtol=1e-12)


def test_register_notrace_for_a_user_node_type():
    class Quiet(Recorder):
        __slots__ = ()

    register_notrace(Quiet, np.sin)
    _, end = trace(Quiet.new_root(), lambda x: np.sin(x) * x, 1.0)
    assert end.fun.__name__ == "multiply" and len(end.parents) == 1


def test_trace_matches_autograd_names_and_structure():
    ag_tracer = pytest.importorskip("autograd.tracer")
    agnp = pytest.importorskip("autograd.numpy")

    def collect(tracer_mod, npm):
        class Names(tracer_mod.Node):
            def __init__(self, value, fun, args, kwargs, parent_argnums, parents):
                self.parents = parents
                self.desc = (fun.__name__, tuple(parent_argnums))

            def initialize_root(self):
                self.parents, self.desc = [], ("x", ())

        def f(x):
            y = npm.exp(npm.tanh(x) - x) / (x + 2.0)
            return npm.sum(y ** 2 * npm.sqrt(x))

        _, end = tracer_mod.trace(Names.new_root(), f, onp.array([0.5, 1.5]))
        from chainrule.util import toposort

        return [n.desc for n in toposort(end)]

    import chainrule.tracer as ours

    ours_desc, theirs_desc = collect(ours, np), collect(ag_tracer, agnp)
    assert ours_desc == theirs_desc


# --- chainrule.misc.tracers ------------------------------------------------------------------

def test_const_graph_replays_and_differentiates():
    from chainrule.misc.tracers import const_graph, full_graph

    calls = []

    def f(x, y, scale=1.0):
        calls.append(1)
        return {"v": np.sin(x) * y * scale, "w": logsumexp(x)}

    g = const_graph(f, scale=2.0)
    x, y = onp.array([0.1, 0.2]), 3.0
    first = g(x, y)
    second = g(x + 1.0, y)
    assert len(calls) == 1  # replayed, not re-run
    onp.testing.assert_allclose(second["v"], onp.sin(x + 1.0) * 6.0)
    onp.testing.assert_allclose(second["w"], logsumexp(x + 1.0))
    onp.testing.assert_allclose(first["v"], onp.sin(x) * 6.0)
    dv = cr.grad(lambda x: np.sum(g(x, y)["v"]) + g(x, y)["w"])(x)
    onp.testing.assert_allclose(dv, onp.cos(x) * 6.0 + onp.exp(x - logsumexp(x)))
    with pytest.raises(Exception, match="independent"):
        const_graph(lambda x: 1.0)(2.0)
    end = full_graph(lambda a, b: np.sin(a) * b, 0.5, 2.0)
    fun, args, kwargs, parents = end.recipe
    assert fun.__name__ == "multiply" and [a for a, _ in parents] == [0, 1]
    onp.testing.assert_allclose(end.value, onp.sin(0.5) * 2.0)


# --- chainrule.misc.fixed_points: forward mode, pytrees, vmap ------------------------------------

def _sqrt_map(a):
    return lambda x: 0.5 * (x + a / x)  # Newton's iteration for sqrt(a)


def _dist(x, y):
    return np.max(np.abs(x - y))


def test_fixed_point_forward_mode_and_mixed_orders():
    sqrt = lambda a: fixed_point(_sqrt_map, a, np.ones_like(a), _dist, 1e-14)  # noqa: E731
    a = onp.array([4.0, 9.0, 2.0])
    onp.testing.assert_allclose(cr.jacfwd(sqrt)(a), onp.diag(0.5 / onp.sqrt(a)), rtol=1e-12)
    onp.testing.assert_allclose(cr.jacrev(sqrt)(a), onp.diag(0.5 / onp.sqrt(a)), rtol=1e-12)
    H = cr.hessian(lambda a: np.sum(sqrt(a)))(a)
    onp.testing.assert_allclose(H, onp.diag(-0.25 * a ** -1.5), rtol=1e-10)
    d3 = cr.grad(cr.grad(cr.grad(lambda a: sqrt(a))))(4.0)
    onp.testing.assert_allclose(d3, 3 / 8 * 4.0 ** -2.5, rtol=1e-10)
    onp.testing.assert_allclose(cr.vmap(sqrt)(a), onp.sqrt(a), rtol=1e-14)
    check_grads(sqrt, a, order=2)


def test_fixed_point_over_pytrees_and_zero_derivative_in_x0():
    def f(params):
        return lambda s: {"u": params["c"] + 0.2 * np.sin(s["v"]),
                          "v": 0.5 * params["d"] * np.cos(s["u"])}

    def solve(c, d, x0=None):
        start = {"u": 0.0, "v": 0.0} if x0 is None else x0
        return fixed_point(f, {"c": c, "d": d}, start,
                           lambda x, y: np.abs(x["u"] - y["u"]) + np.abs(x["v"] - y["v"]), 1e-15)

    c, d = 0.4, 0.8
    s = solve(c, d)
    u, v = s["u"], s["v"]
    # implicit derivative of u with respect to c: [I - J_s]^{-1} e_u
    Js = onp.array([[0.0, 0.2 * onp.cos(v)], [-0.5 * d * onp.sin(u), 0.0]])
    du = onp.linalg.solve(onp.eye(2) - Js, onp.array([1.0, 0.0]))[0]
    onp.testing.assert_allclose(cr.grad(lambda c: solve(c, d)["u"])(c), du, rtol=1e-10)
    assert cr.grad(lambda x0: solve(c, d, {"u": x0, "v": 0.0})["u"])(0.1) == 0.0
    check_grads(lambda c, d: solve(c, d)["v"], c, d, order=2)


def test_fixed_point_with_constant_leaves_in_a():
    def f(p):
        if p["tag"] != "newton":
            raise ValueError(p["tag"])
        return lambda x: 0.5 * (x + p["a"] / x ** (p["n"] - 1))

    def sol(a):
        return fixed_point(f, {"a": a, "n": 2, "tag": "newton"}, 1.0,
                           lambda x, y: np.abs(x - y), 1e-14)

    onp.testing.assert_allclose([sol(9.0), cr.grad(sol)(9.0), cr.grad(cr.grad(sol))(9.0),
                                 cr.jacfwd(sol)(9.0)], [3.0, 1 / 6, -0.25 * 9 ** -1.5, 1 / 6],
                                rtol=1e-12)


def test_fixed_point_matches_autograd_reverse_mode():
    ag = pytest.importorskip("autograd")
    agnp = pytest.importorskip("autograd.numpy")
    ag_fp = pytest.importorskip("autograd.misc.fixed_points")

    def run(grad, npm, fp):
        f = lambda a: lambda x: npm.tanh(a * x + 0.3)  # noqa: E731
        sol = lambda a: fp(f, a, 0.0, lambda x, y: npm.abs(x - y), 1e-13)  # noqa: E731
        return sol(0.6), grad(sol)(0.6), grad(grad(sol))(0.6)

    ours = run(cr.grad, np, fixed_point)
    theirs = run(ag.grad, agnp, ag_fp.fixed_point)
    onp.testing.assert_allclose(ours, theirs, rtol=1e-10)


# --- chainrule.misc.flatten --------------------------------------------------------------------

def test_flatten_order_dtypes_and_roundtrip():
    value = {"b": 1.0, "a": [onp.ones((2, 2)), (3.0, onp.float32(2.0))], "c": onp.arange(3.0)}
    vec, unflatten = flatten(value)
    onp.testing.assert_array_equal(vec, [1, 1, 1, 1, 3, 2, 1, 0, 1, 2])
    back = unflatten(vec * 2)
    assert list(back) == ["b", "a", "c"]  # the caller's key order
    assert back["a"][1][1].dtype == onp.float32 and back["b"].shape == ()
    onp.testing.assert_array_equal(back["c"], [0, 2, 4])
    assert flatten([])[0].shape == (0,) and flatten([])[1](onp.zeros(0)) == []
    Point = namedtuple("Point", "x y")
    vec, unflatten = flatten({"p": Point(onp.ones(2), 3.0), "none": None})
    assert unflatten(vec)["p"].y == 3.0 and unflatten(vec)["none"] is None
    with pytest.raises(ValueError, match="shape"):
        unflatten(onp.ones(5))
    arr = onp.ones(3)
    flatten(arr)[0][0] = 7.0
    assert arr[0] == 1.0  # the vector never aliases the caller's arrays


def test_util_flatten_is_misc_flatten():
    from chainrule.util import flatten as util_flatten

    vec, unflatten = util_flatten([onp.ones(2), {"k": 3.0}])
    onp.testing.assert_array_equal(vec, [1.0, 1.0, 3.0])
    assert unflatten(vec)[1]["k"] == 3.0


def test_flatten_inside_a_traced_function():
    def f(params):
        vec, unflatten = flatten(params)
        return np.sum(vec ** 2) + np.sum(unflatten(vec * 3.0)["w"])

    params = {"w": onp.array([1.0, 2.0]), "b": 0.5}
    g = cr.grad(f)(params)
    onp.testing.assert_allclose(g["w"], 2 * params["w"] + 3.0)
    onp.testing.assert_allclose(g["b"], 1.0)


def test_flatten_matches_autograd():
    ag_flatten = pytest.importorskip("autograd.misc.flatten")
    value = {"z": [onp.ones((2, 3)) * 0.5, 2.0], "a": (onp.arange(4.0).reshape(2, 2),)}
    ours, theirs = flatten(value), ag_flatten.flatten(value)
    onp.testing.assert_array_equal(ours[0], theirs[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rebuilt = theirs[1](theirs[0] + 1)
    a, b = flatten(ours[1](ours[0] + 1))[0], ag_flatten.flatten(rebuilt)[0]
    onp.testing.assert_array_equal(a, b)


# --- autograd's top-level names, call shapes and semantics of the transforms ---------------------
# (each was a difference recorded in notes/core-bugs/autograd-toplevel.md / autograd-test_util.md)


def test_toplevel_has_autograd_names():
    names = ["primitive", "grad_named", "dict", "isinstance", "list", "tuple", "type",
             "builtins", "extend", "tracer", "util", "checkpoint", "deriv", "elementwise_grad",
             "grad", "grad_and_aux", "hessian", "hessian_tensor_product",
             "hessian_vector_product", "holomorphic_grad", "jacobian", "make_ggnvp", "make_hvp",
             "make_jvp", "make_vjp", "multigrad_dict", "tensor_jacobian_product",
             "value_and_grad", "vector_jacobian_product"]
    assert [n for n in names if not hasattr(cr, n)] == []
    import chainrule.builtins
    import chainrule.extend

    assert cr.primitive is chainrule.extend.primitive and cr.tuple is tuple
    assert cr.isinstance is chainrule.builtins.isinstance


A = onp.arange(6.0).reshape(2, 3) + 1


def test_deriv_is_forward_mode_with_ones():
    onp.testing.assert_allclose(cr.deriv(lambda x: A @ x)(onp.array([0.3, 0.5, 0.7])),
                                A @ onp.ones(3))


def test_holomorphic_grad_of_real_input_warns():
    with pytest.warns(UserWarning):
        assert cr.holomorphic_grad(lambda z: z * z)(2.0) == 4.0


def test_make_vjp_and_make_jvp_with_tuple_argnum():
    vjp_fn, ans = cr.make_vjp(lambda x, y: x * y, (0, 1))(2.0, 3.0)
    assert ans == 6.0 and tuple(vjp_fn(1.0)) == (3.0, 2.0)
    assert cr.make_jvp(lambda x, y: x * y, (0, 1))(2.0, 3.0)((1.0, 1.0)) == (6.0, 5.0)


def test_tensor_jacobian_product_with_leading_axes_tensor():
    B = onp.arange(24.0).reshape(2, 3, 4)
    out = cr.tensor_jacobian_product(lambda x: np.tensordot(B, x, 1))(onp.ones(4), onp.ones(2))
    onp.testing.assert_allclose(out, B.sum(axis=0))


def test_grad_and_aux_returns_plain_aux():
    g, aux = cr.grad_and_aux(lambda x: (np.sum(x ** 2), x * 2.0))(onp.ones(2))
    assert type(aux) is onp.ndarray


def test_elementwise_grad_of_complex_output_raises():
    with pytest.raises(TypeError):
        cr.elementwise_grad(lambda x: x * 1j)(onp.ones(3))


def test_multigrad_dict_with_varargs():
    def h(a, b=2.0, *args, **kw):
        return a * b + sum(args) * kw.get("c", 1.0)

    g = cr.multigrad_dict(h)(3.0, 2.0, 1.0, c=5.0)
    assert list(g) == ["a", "b", "args", "kw"]
    assert (g["a"], g["b"], tuple(g["args"]), g["kw"]["c"]) == (2.0, 3.0, (5.0,), 1.0)


def test_grad_named():
    assert cr.grad_named(lambda a, b: a * b ** 2, "b")(2.0, 3.0) == 12.0


def test_check_grads_accepts_autograds_curried_form():
    check_grads(np.sin, modes=["rev"], order=1)(onp.array([0.1, 0.2]))
    check_grads(lambda k, x: np.sum(np.sin(x) * k), argnum=1)(2.0, onp.array([0.1, 0.2]))

    @primitive
    def wrong(x):
        return x ** 2

    defvjp(wrong, lambda ans, x: lambda g: g * x)
    defjvp(wrong, lambda g, ans, x: g * x)
    with pytest.raises(AssertionError):
        check_grads(wrong)(onp.array([0.5, 1.5]))
