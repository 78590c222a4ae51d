"""Reductions and scans: every one through check_all over shapes and keyword combinations
(axis int/tuple/None/negative, keepdims, ddof, dtype), values against NumPy, and the
conventions: ties in max/min share evenly, prod/cumprod exact with zeros, std of a constant
has derivative 0 (docs/conventions.md)."""

import itertools

import numpy as onp
import pytest
from helpers import check_all

import chainrule as cr
import chainrule.numpy as np

rng = onp.random.default_rng(7)

AXES = {
    (): [None],
    (5,): [None, 0, -1],
    (3, 4): [None, 0, -1, (0, 1)],
    (2, 3, 4): [None, 1, -1, (0, 2), (-1, 0)],
}
REDUCTIONS = ["sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "ptp",
              "nansum", "nanmean", "nanprod", "nanvar", "nanstd", "nanmax", "nanmin"]
NO_SCALAR = {"ptp"}  # numpy.ptp of a 0-d array is fine, but keep the table simple


def _cases():
    for name in REDUCTIONS:
        for shape, axes in AXES.items():
            if shape == () and name in NO_SCALAR:
                continue
            for axis, keepdims in itertools.product(axes, (False, True)):
                yield name, shape, axis, keepdims


CASES = list(_cases())


def _x(shape):
    # distinct entries (no ties) of moderate size, away from 0 for prod's sake
    x = rng.standard_normal(shape)
    return onp.where(x < 0, x - 0.2, x + 0.2)


@pytest.mark.parametrize("name,shape,axis,keepdims", CASES,
                         ids=[f"{n}-{s}-{a}-{k}" for n, s, a, k in CASES])
def test_reduction(name, shape, axis, keepdims):
    x = _x(shape)
    f = getattr(np, name)

    def fn(a):
        return f(a, axis=axis, keepdims=keepdims)

    check_all(fn, x)
    want = getattr(onp, name)(x, axis=axis, keepdims=keepdims)
    got = cr.jvp(fn, (x,), (onp.ones_like(x),))[0]
    onp.testing.assert_allclose(got, want, rtol=1e-12)
    assert onp.shape(got) == onp.shape(want)


DDOF = [("var", 0), ("var", 1), ("std", 1), ("nanvar", 2), ("nanstd", 1)]


@pytest.mark.parametrize("name,ddof", DDOF)
@pytest.mark.parametrize("axis", [None, 0, (1, 2)])
def test_ddof(name, ddof, axis):
    x = _x((4, 3, 5))
    f = getattr(np, name)
    check_all(lambda a: f(a, axis=axis, ddof=ddof), x)
    onp.testing.assert_allclose(cr.vjp(lambda a: f(a, axis=axis, ddof=ddof), x)[0],
                                getattr(onp, name)(x, axis=axis, ddof=ddof), rtol=1e-12)
    # numpy 2's `correction` spelling
    onp.testing.assert_allclose(cr.vjp(lambda a: f(a, axis=axis, correction=ddof), x)[0],
                                getattr(onp, name)(x, axis=axis, ddof=ddof), rtol=1e-12)


NAN_FUNCS = ["nansum", "nanmean", "nanprod", "nanvar", "nanstd", "nanmax", "nanmin",
             "nancumsum", "nancumprod"]


@pytest.mark.parametrize("name", NAN_FUNCS)
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_nan_functions_ignore_nans(name, axis):
    x = _x((3, 4))
    x[1, 2] = onp.nan
    x[0, 0] = onp.nan
    f = getattr(np, name)
    check_all(lambda a: f(a, axis=axis), x)
    got = cr.vjp(lambda a: f(a, axis=axis), x)[0]
    onp.testing.assert_allclose(got, getattr(onp, name)(x, axis=axis), rtol=1e-12)
    # the NaN entries get derivative 0, the others the derivative of the reduction without them
    g = cr.grad(lambda a: np.sum(f(a, axis=axis)))(x)
    assert g[1, 2] == 0 and g[0, 0] == 0
    assert onp.all(onp.isfinite(g))


SCANS = ["cumsum", "cumprod", "nancumsum", "nancumprod"]
SCAN_SHAPES = {(): [None], (5,): [None, 0, -1], (3, 4): [None, 0, 1, -1],
               (2, 3, 4): [None, 0, 1, 2]}
SCAN_CASES = [(n, s, a) for n in SCANS for s, axes in SCAN_SHAPES.items() for a in axes]


@pytest.mark.parametrize("name,shape,axis", SCAN_CASES,
                         ids=[f"{n}-{s}-{a}" for n, s, a in SCAN_CASES])
def test_scan(name, shape, axis):
    x = _x(shape)
    f = getattr(np, name)
    check_all(lambda a: f(a, axis=axis), x)
    got = cr.vjp(lambda a: f(a, axis=axis), x)[0]
    onp.testing.assert_allclose(got, getattr(onp, name)(x, axis=axis), rtol=1e-12)


def test_cumulative_functions():
    x = _x((3, 4))
    for name in ("cumulative_sum", "cumulative_prod"):
        for kw in ({"axis": 0}, {"axis": 1, "include_initial": True}):
            f = getattr(np, name)
            check_all(lambda a: f(a, **kw), x)
            onp.testing.assert_allclose(cr.vjp(lambda a: f(a, **kw), x)[0],
                                        getattr(onp, name)(x, **kw), rtol=1e-12)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "cumsum", "cumprod", "var"])
def test_dtype_argument(name):
    x = _x((3, 4)).astype(onp.float32)
    f = getattr(np, name)
    out = cr.vjp(lambda a: f(a, axis=0, dtype=onp.float64), x)[0]
    want = getattr(onp, name)(x, axis=0, dtype=onp.float64)
    assert out.dtype == want.dtype
    onp.testing.assert_allclose(out, want, rtol=1e-12)
    g = cr.grad(lambda a: np.sum(f(a, axis=0, dtype=onp.float64)))(x)
    assert g.dtype == onp.float32


def test_where_and_initial():
    x = _x((3, 4))
    mask = onp.arange(12).reshape(3, 4) % 3 != 0
    for name, kw in (("sum", {"where": mask}), ("sum", {"initial": 2.0}),
                     ("prod", {"where": mask}), ("prod", {"initial": 2.0}),
                     ("mean", {"where": mask}), ("max", {"initial": 0.5}),
                     ("min", {"where": mask, "initial": 0.0})):
        f = getattr(np, name)
        fn = lambda a: f(a, axis=1, **kw)  # noqa: E731
        check_all(fn, x)
        onp.testing.assert_allclose(cr.vjp(fn, x)[0], getattr(onp, name)(x, axis=1, **kw))


AVERAGE = [
    ((5,), None, None), ((3, 4), 0, (3,)), ((3, 4), 1, (4,)), ((3, 4), None, (3, 4)),
    ((2, 3, 4), (0, 2), (2, 4)), ((2, 3, 4), -1, (2, 3, 4)),
]


@pytest.mark.parametrize("shape,axis,wshape", AVERAGE)
def test_average(shape, axis, wshape):
    x = _x(shape)
    if wshape is None:
        check_all(lambda a: np.average(a, axis=axis), x)
        onp.testing.assert_allclose(np.average(x, axis=axis), onp.average(x, axis=axis))
        return
    w = onp.abs(_x(wshape)) + 0.5
    check_all(lambda a, b: np.average(a, axis=axis, weights=b), x, w)
    for keepdims in (False, True):
        got = cr.vjp(lambda a, b: np.average(a, axis=axis, weights=b, returned=True,
                                             keepdims=keepdims), x, w)[0]
        want = onp.average(x, axis=axis, weights=w, returned=True, keepdims=keepdims)
        onp.testing.assert_allclose(got[0], want[0], rtol=1e-12)
        onp.testing.assert_allclose(got[1], want[1], rtol=1e-12)
        assert onp.shape(got[1]) == onp.shape(want[1])


# --- conventions --------------------------------------------------------------------------

def test_max_ties_share_evenly():
    g = cr.grad(np.max)(onp.array([1.0, 3.0, 3.0]))
    onp.testing.assert_array_equal(g, [0, 0.5, 0.5])
    g = cr.grad(np.min)(onp.array([2.0, 2.0, 2.0, 5.0]))
    onp.testing.assert_allclose(g, [1 / 3, 1 / 3, 1 / 3, 0])
    x = onp.array([[1.0, 4.0, 4.0], [2.0, 2.0, 0.0]])
    g = cr.grad(lambda a: np.sum(np.max(a, axis=1)))(x)
    onp.testing.assert_array_equal(g, [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    g = cr.grad(lambda a: np.sum(np.amin(a, axis=0)))(onp.array([[1.0, 2.0, 4.0], [2.0, 2.0, 0.0]]))
    onp.testing.assert_array_equal(g, [[1, 0.5, 0], [0, 0.5, 1]])
    # forward mode: the tangent is the mean of the tied tangents
    t = cr.jvp(np.max, (onp.array([1.0, 3.0, 3.0]),), (onp.array([5.0, 1.0, 2.0]),))[1]
    assert t == 1.5
    g = cr.grad(np.ptp)(onp.array([3.0, 1.0, 3.0, 1.0]))
    onp.testing.assert_array_equal(g, [0.5, -0.5, 0.5, -0.5])
    g = cr.grad(np.nanmax)(onp.array([onp.nan, 3.0, 3.0]))
    onp.testing.assert_array_equal(g, [0, 0.5, 0.5])
    g = cr.grad(lambda a: a.max(axis=0).sum())(onp.array([[1.0, 4.0, 4.0], [2.0, 4.0, 0.0]]))
    onp.testing.assert_array_equal(g, [[0, 0.5, 1], [1, 0.5, 0]])


def test_max_with_initial_winning_has_zero_derivative():
    g = cr.grad(lambda a: np.max(a, initial=10.0))(onp.array([1.0, 2.0]))
    onp.testing.assert_array_equal(g, [0, 0])


def _prod_others(x):
    return onp.array([onp.prod(onp.delete(x, i)) for i in range(len(x))])


def _prod_hessian(x):
    n = len(x)
    h = onp.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                h[i, j] = onp.prod(onp.delete(x, [i, j]))
    return h


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 1.5], [0.0, 2.0, 0.0, 3.0],
                               [0.0, 0.0, 0.0, 2.0], [1.5, -2.0, 0.5, 3.0]],
                         ids=["one-zero", "two-zeros", "three-zeros", "no-zero"])
def test_prod_with_zeros(x):
    x = onp.asarray(x)
    onp.testing.assert_allclose(cr.grad(np.prod)(x), _prod_others(x))
    onp.testing.assert_allclose(cr.hessian(np.prod)(x), _prod_hessian(x))
    onp.testing.assert_allclose(cr.jacfwd(cr.grad(np.prod))(x), _prod_hessian(x))
    check_all(np.prod, x)
    # along an axis of a matrix, and with the zeros under vmap
    m = onp.stack([x, x[::-1], x * 2])
    g = cr.grad(lambda a: np.sum(np.prod(a, axis=1)))(m)
    onp.testing.assert_allclose(g, onp.stack([_prod_others(r) for r in m]))
    check_all(lambda a: np.prod(a, axis=1), m)
    check_all(lambda a: np.prod(a, axis=(0, 1)), m[:, :3])


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 1.5], [0.0, 2.0, 0.0, 3.0], [1.0, 2.0, 3.0, 0.0]])
def test_cumprod_with_zeros(x):
    x = onp.asarray(x)
    n = len(x)
    want = onp.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            want[i, j] = onp.prod(onp.delete(x[: i + 1], j))
    onp.testing.assert_allclose(cr.jacobian(np.cumprod)(x), want)
    onp.testing.assert_allclose(cr.jacfwd(np.cumprod)(x), want)
    check_all(np.cumprod, x)


def test_std_of_constant_has_zero_derivative():
    x = onp.full((3, 4), 2.5)
    onp.testing.assert_array_equal(cr.grad(np.std)(x), onp.zeros((3, 4)))
    onp.testing.assert_array_equal(cr.grad(lambda a: np.sum(np.std(a, axis=0)))(x), 0 * x)
    onp.testing.assert_array_equal(cr.grad(np.nanstd)(x), onp.zeros((3, 4)))
    assert cr.vjp(np.std, x)[0] == 0


# --- non-differentiable reductions -----------------------------------------------------------

NONDIFF = [
    ("argmax", {}), ("argmax", {"axis": 0}), ("argmax", {"axis": -1, "keepdims": True}),
    ("argmax", {"keepdims": True}), ("argmin", {}), ("argmin", {"axis": 1}),
    ("nanargmax", {"axis": 0}), ("nanargmin", {}), ("argsort", {}), ("argsort", {"axis": 0}),
    ("argsort", {"axis": None}), ("count_nonzero", {}), ("count_nonzero", {"axis": 0}),
    ("count_nonzero", {"axis": (0, 1), "keepdims": True}), ("any", {}), ("any", {"axis": 1}),
    ("all", {"axis": 0, "keepdims": True}), ("all", {}),
]


@pytest.mark.parametrize("name,kw", NONDIFF, ids=[f"{n}-{k}" for n, k in NONDIFF])
def test_nondiff_reductions(name, kw):
    x = onp.round(_x((4, 3, 5)), 1)
    if name in ("any", "all", "count_nonzero"):
        x = x > 0.3
    f = getattr(np, name)
    got = cr.vmap(lambda a: f(a, **kw))(x)
    want = onp.stack([getattr(onp, name)(r, **kw) for r in x])
    onp.testing.assert_array_equal(got, want)
    if x.dtype == bool:
        return
    # inside grad the result is a constant: d/da [sum(a) * sum(f(a))] = sum(f(a))
    g = cr.grad(lambda a: np.sum(a) * np.sum(f(a, **kw)))(x)
    onp.testing.assert_allclose(g, onp.full(x.shape, onp.sum(getattr(onp, name)(x, **kw))))


def test_nondiff_reductions_via_plain_numpy():
    x = _x((3, 4))
    g = cr.grad(lambda a: a[onp.argmax(a)] if a.ndim == 1 else a.sum() * onp.argmax(a))(x)
    onp.testing.assert_allclose(g, onp.full((3, 4), onp.argmax(x)))
    v = cr.vmap(lambda a: onp.count_nonzero(a > 0) + a.argmin() + onp.any(a > 1))(x)
    onp.testing.assert_array_equal(
        v, [onp.count_nonzero(r > 0) + r.argmin() + onp.any(r > 1) for r in x])


# --- tracer methods and plain numpy -------------------------------------------------------------

METHODS = [
    ("sum", (), {}), ("sum", (0,), {}), ("sum", (), {"axis": 1, "keepdims": True}),
    ("mean", (), {"axis": -1}), ("prod", (1,), {}), ("max", (), {"axis": 0}), ("min", (), {}),
    ("std", (), {"ddof": 1}), ("var", (0,), {}), ("cumsum", (1,), {}), ("cumprod", (), {}),
    ("clip", (-0.5, 0.5), {}), ("conj", (), {}), ("conjugate", (), {}),
]


@pytest.mark.parametrize("name,args,kw", METHODS, ids=[f"{m[0]}{m[1]}{m[2]}" for m in METHODS])
def test_tracer_methods(name, args, kw):
    x = _x((3, 4))

    def method(a):
        return getattr(a, name)(*args, **kw)

    def function(a):
        return getattr(np, name)(a, *args, **kw)

    want = getattr(x, name)(*args, **kw)
    onp.testing.assert_allclose(cr.vjp(method, x)[0], want, rtol=1e-12)
    onp.testing.assert_allclose(cr.jacobian(method)(x), cr.jacobian(function)(x))
    check_all(method, x, order=1)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "amax", "var", "std",
                                  "ptp", "cumsum", "cumprod", "nansum", "nanmax", "average"])
def test_plain_numpy_functions_dispatch(name):
    x = _x((3, 4))
    want = cr.grad(lambda a: np.sum(getattr(np, name)(a, axis=0)))(x)
    got = cr.grad(lambda a: onp.sum(getattr(onp, name)(a, axis=0)))(x)
    onp.testing.assert_allclose(got, want)


def test_ufunc_reduce_dispatch():
    x = _x((3, 4))
    onp.testing.assert_allclose(cr.grad(lambda a: onp.add.reduce(a, axis=None))(x), 1 + 0 * x)
    onp.testing.assert_allclose(cr.grad(lambda a: onp.multiply.reduce(a, axis=None))(x),
                                cr.grad(np.prod)(x))


# --- optional oracles: PyTorch and JAX ---------------------------------------------------------

def test_oracle_torch():
    torch = pytest.importorskip("torch")
    x = onp.array([[2.0, 0.0, 3.0, 1.5], [0.0, 2.0, 0.0, 3.0], [1.0, 4.0, 4.0, -1.0]])
    cases = [
        (lambda a: np.prod(a, axis=1), lambda t: t.prod(dim=1)),
        (lambda a: np.cumprod(a, axis=1), lambda t: t.cumprod(dim=1)),
        (lambda a: np.std(a, axis=1, ddof=1), lambda t: t.std(dim=1)),
        (lambda a: np.var(a, axis=0), lambda t: t.var(dim=0, unbiased=False)),
        (lambda a: np.max(a, axis=1), lambda t: t.amax(dim=1)),
        (lambda a: np.cumsum(a, axis=0), lambda t: t.cumsum(dim=0)),
    ]
    for ours, theirs in cases:
        t = torch.tensor(x, requires_grad=True)
        out = theirs(t)
        u = rng.standard_normal(tuple(out.shape))
        (gt,) = torch.autograd.grad((out * torch.tensor(u)).sum(), t)
        g = cr.grad(lambda a: np.sum(ours(a) * u))(x)
        onp.testing.assert_allclose(g, gt.numpy(), rtol=1e-12, atol=1e-14)


def test_oracle_jax_second_order():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x = onp.array([0.5, 0.0, 1.5, -2.0, 0.0])
    for ours, theirs in ((np.prod, jnp.prod), (lambda a: np.std(a) * np.mean(a),
                                               lambda a: jnp.std(a) * jnp.mean(a)),
                         (lambda a: np.sum(np.cumprod(a)), lambda a: jnp.sum(jnp.cumprod(a)))):
        onp.testing.assert_allclose(cr.hessian(ours)(x), jax.hessian(theirs)(x),
                                    rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape,kw", [((3, 3), {}), ((3, 4), {"offset": 1}),
                                      ((2, 3, 3), {"axis1": 1, "axis2": 2}),
                                      ((4, 3), {"offset": -1})])
def test_trace(shape, kw):
    x = onp.random.default_rng(3).standard_normal(shape)
    onp.testing.assert_allclose(np.trace(x, **kw), onp.trace(x, **kw))
    onp.testing.assert_allclose(cr.grad(lambda x: onp.sum(onp.trace(x, **kw)))(x),
                                cr.grad(lambda x: np.sum(np.trace(x, **kw)))(x))
    check_all(lambda x: np.trace(x, **kw), x)
