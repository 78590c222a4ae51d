"""Indexing: basic, advanced and boolean x[idx]; functional updates x.at[idx].set/add/multiply;
indices that are themselves vmapped; the error on assignment into a traced array.

Values are compared against NumPy (``numpy.add.at`` / ``numpy.multiply.at`` / assignment for
the updates), derivatives through check_all (check_grads order 2 in both modes, vmap over the
float arguments, derivatives under vmap), and the tie conventions against closed forms.
"""

import numpy as onp
import pytest
from helpers import check_all

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.test_util import check_grads

rng = onp.random.default_rng(2)
V = rng.standard_normal(5)
M = rng.standard_normal((3, 4))
B = rng.standard_normal((2, 3, 4))
MASK = M > 0
ROWS = onp.array([True, False, True])
COLS = onp.array([False, True, True, False])

GETITEM = [
    ("int", M, lambda x: x[1]),
    ("int_negative", M, lambda x: x[-1]),
    ("int_pair", B, lambda x: x[1, -2]),
    ("slice", V, lambda x: x[1:4]),
    ("slice_step_neg", B, lambda x: x[::-2]),
    ("slice_2d", M, lambda x: x[:, 1:]),
    ("ellipsis_step", B, lambda x: x[..., ::2]),
    ("ellipsis_newaxis_int", B, lambda x: x[..., None, 0]),
    ("newaxis_front", M, lambda x: x[None, ..., 1]),
    ("newaxis_middle", M, lambda x: x[:, None]),
    ("array", M, lambda x: x[onp.array([0, 2])]),
    ("array_repeated", V, lambda x: x[onp.array([0, 0, 3, 0])]),
    ("array_negative", M, lambda x: x[onp.array([-1, 0])]),
    ("array_2d", V, lambda x: x[onp.array([[0, 1], [4, 0]])]),
    ("list", M, lambda x: x[[2, 0, 2]]),
    ("array_pairs", M, lambda x: x[[0, 2, 2], [1, 3, 1]]),
    ("array_second_axis", M, lambda x: x[:, [0, 0, 3]]),
    ("adjacent_advanced", B, lambda x: x[:, [0, 1], [2, 3]]),
    ("separated_advanced", B, lambda x: x[[0, 1], :, [2, 3]]),
    ("int_and_array_separated", B, lambda x: x[1, :, [0, 2]]),
    ("ellipsis_array", B, lambda x: x[..., [1, 2]]),
    ("newaxis_array", B, lambda x: x[None, :, [2, 0]]),
    ("broadcast_arrays", M, lambda x: x[onp.array([[0], [2]]), onp.array([1, 3])]),
    ("mask_full", M, lambda x: x[MASK]),
    ("mask_rows", M, lambda x: x[ROWS]),
    ("mask_cols", B, lambda x: x[:, :, COLS]),
    ("mask_list", M, lambda x: x[[True, False, True]]),
    ("mask_and_int", B, lambda x: x[1, ROWS]),
    ("true_scalar", M, lambda x: x[True]),
    ("chain", B, lambda x: x[1][:, ::-1][[0, 0]][..., 2]),
]


@pytest.mark.parametrize("name,x,f", GETITEM, ids=[g[0] for g in GETITEM])
def test_getitem(name, x, f):
    want = f(x)
    got = cr.jvp(f, (x,), (onp.ones_like(x),))[0]  # the value through a traced x
    onp.testing.assert_array_equal(got, want)
    check_all(lambda x: f(x) ** 2, x)


def _np_update(kind, x, idx, v):
    out = x.copy()
    if kind == "set":
        out[idx] = v
    elif kind == "add":
        onp.add.at(out, idx, v)
    else:
        onp.multiply.at(out, idx, v)
    return out


UPDATES = [
    ("int", M, 1, rng.standard_normal(4)),
    ("slice", M, (slice(None), slice(1, 3)), rng.standard_normal((3, 2))),
    ("repeated", M, [0, 0, 2], rng.standard_normal((3, 4))),
    ("repeated_pairs", M, ([0, 0, 1, 0], [1, 1, 2, 1]), rng.standard_normal(4)),
    ("scalar_value", M, [2, 2], onp.asarray(0.9)),
    ("broadcast_value", M, ([0, 0],), rng.standard_normal(4)),
    ("mask", M, MASK, onp.asarray(1.3)),
    ("ellipsis", B, (Ellipsis, [0, 0, 3]), rng.standard_normal((2, 3, 3))),
    ("separated", B, ([0, 1, 1], slice(None), [2, 3, 2]), rng.standard_normal((3, 3))),
    ("negative", V, [-1, 4, 0], rng.standard_normal(3)),
]


@pytest.mark.parametrize("kind", ["set", "add", "multiply"])
@pytest.mark.parametrize("name,x,idx,v", UPDATES, ids=[u[0] for u in UPDATES])
def test_at_updates(kind, name, x, idx, v):
    want = _np_update(kind, x, idx, v)
    plain = getattr(cnp.at(x)[idx], kind)(v)  # works on plain arrays too
    onp.testing.assert_allclose(plain, want, rtol=1e-14)
    assert not onp.shares_memory(plain, x)

    def f(x, v):
        out = getattr(cnp.at(x)[idx], kind)(v)
        return out * out

    traced = cr.jvp(f, (x, v), (onp.ones_like(x), onp.ones_like(v)))[0]
    onp.testing.assert_allclose(traced, want * want, rtol=1e-14)
    check_all(f, x, v)


def test_at_get_and_divide():
    check_all(lambda x: cnp.at(x)[[0, 0, 2]].get() ** 2, M)
    check_all(lambda x, v: cnp.at(x)[1:].divide(v) ** 2, M, M[1:] + 3.0)
    # the tracer's own .at property is the same thing
    g = cr.grad(lambda x: cnp.sum(x.at[1].set(0.0) * x.at[[0, 0]].add(1.0)))(M)
    want = cr.grad(lambda x: cnp.sum(cnp.at(x)[1].set(0.0) * cnp.at(x)[[0, 0]].add(1.0)))(M)
    onp.testing.assert_array_equal(g, want)
    onp.testing.assert_allclose(cnp.at(M)[1:].divide(2.0), onp.r_[M[:1], M[1:] / 2.0])


# --- gradient conventions for repeated indices ----------------------------------------------

def test_add_repeated_indices_accumulate():
    w = onp.array([1.0, 10.0, 100.0])
    x = onp.zeros(3)
    out = cnp.at(x)[[0, 0, 2]].add(onp.array([1.0, 2.0, 3.0]))
    onp.testing.assert_array_equal(out, [3.0, 0.0, 3.0])
    g = cr.grad(lambda v: cnp.sum(cnp.at(x)[[0, 0, 2]].add(v) * w))(onp.ones(3))
    onp.testing.assert_array_equal(g, [1.0, 1.0, 100.0])


def test_set_repeated_indices_last_write_wins_and_gets_the_gradient():
    w = onp.array([1.0, 10.0, 100.0])
    x = onp.array([5.0, 6.0, 7.0])
    f = lambda x, v: cnp.sum(cnp.at(x)[[0, 0, 1]].set(v) * w)  # noqa: E731
    v = onp.array([1.0, 2.0, 3.0])
    assert f(x, v) == pytest.approx(2.0 + 30.0 + 700.0)
    gx, gv = cr.grad(f, argnums=(0, 1))(x, v)
    onp.testing.assert_array_equal(gv, [0.0, 1.0, 10.0])   # v[0] was overwritten by v[1]
    onp.testing.assert_array_equal(gx, [0.0, 0.0, 100.0])  # x[0], x[1] were overwritten
    jv = cr.jvp(lambda v: cnp.at(x)[[0, 0, 1]].set(v), (v,), (onp.array([1.0, 2.0, 4.0]),))[1]
    onp.testing.assert_array_equal(jv, [2.0, 4.0, 0.0])
    # the same under vmap, where the winner mask is built from batched indices
    idx = onp.array([[0, 0, 1], [2, 1, 2]])
    gv = cr.vmap(cr.grad(lambda v, i: cnp.sum(cnp.at(x)[i].set(v) * w)), in_axes=(None, 0))(
        v, idx)
    onp.testing.assert_array_equal(gv, [[0.0, 1.0, 10.0], [0.0, 10.0, 100.0]])


def test_multiply_repeated_indices_take_the_product():
    x = onp.array([2.0, 3.0])
    f = lambda v: cnp.at(x)[[0, 0]].multiply(v)[0]  # noqa: E731  2 * v0 * v1
    onp.testing.assert_allclose(f(onp.array([3.0, 4.0])), 24.0)
    onp.testing.assert_allclose(cr.grad(f)(onp.array([3.0, 4.0])), [8.0, 6.0])
    # exact where a multiplier is zero (no division by it)
    onp.testing.assert_allclose(cr.grad(f)(onp.array([0.0, 4.0])), [8.0, 0.0])
    onp.testing.assert_allclose(cr.grad(f)(onp.array([0.0, 0.0])), [0.0, 0.0])
    check_grads(lambda v: cnp.at(x)[[0, 0, 1, 0]].multiply(v), onp.array([0.0, 1.5, -2.0, 0.5]))
    check_grads(lambda v: cnp.at(x)[[0, 0, 1, 0]].multiply(v), onp.array([0.0, 1.5, -2.0, 0.0]))


# --- vmapped (batched) indices ----------------------------------------------------------------

IDX = onp.array([2, 0, 2, 1, 0])


def test_vmap_over_integer_index_gathers_without_a_loop():
    # a plain ndarray indexed by a traced index: NumPy's own __getitem__ cannot be
    # intercepted, so the gather is written cnp.at(x)[i].get() or cnp.take(x, i)
    got = cr.vmap(lambda x, i: cnp.at(x)[i].get(), in_axes=(None, 0))(M, IDX)
    onp.testing.assert_array_equal(got, M[IDX])
    got = cr.vmap(lambda x, i: cnp.take(x, i, axis=0), in_axes=(None, 0))(M, IDX)
    onp.testing.assert_array_equal(got, M[IDX])
    with pytest.raises(TypeError):
        cr.vmap(lambda x, i: x[i], in_axes=(None, 0))(M, IDX)
    got = cr.vmap(lambda x, i: cnp.at(x)[:, i].get(), in_axes=(None, 0))(M, IDX % 4)
    onp.testing.assert_array_equal(got, onp.moveaxis(M[:, IDX % 4], 1, 0))
    i2 = onp.array([[0, 2], [1, 1]])
    got = cr.vmap(lambda x, i: x[i, 1:], in_axes=(0, 0))(B, i2)
    onp.testing.assert_array_equal(got, onp.stack([B[b][i2[b], 1:] for b in range(2)]))
    # separated advanced indices, one of them batched
    x4 = rng.standard_normal((2, 2, 3, 4))
    i3 = onp.array([[0, 1, 1], [1, 1, 0]])
    got = cr.vmap(lambda x, i: x[i, :, [3, 0, 2]], in_axes=(0, 0))(x4, i3)
    onp.testing.assert_array_equal(got, onp.stack([x4[b][i3[b], :, [3, 0, 2]]
                                                   for b in range(2)]))
    got = cr.vmap(lambda x, i: x[[1, 0], :, i])(x4, i3[:, :2] + 2)
    onp.testing.assert_array_equal(got, onp.stack([x4[b][[1, 0], :, i3[b, :2] + 2]
                                                   for b in range(2)]))
    # an int scalar per example, and take / take_along_axis with batched indices
    got = cr.vmap(lambda x, i: cnp.at(x)[..., i].get(), in_axes=(None, 0))(B, IDX % 4)
    onp.testing.assert_array_equal(got, onp.moveaxis(B[..., IDX % 4], -1, 0))
    got = cr.vmap(lambda x, i: cnp.take(x, i, axis=1), in_axes=(0, 0))(B, i2)
    onp.testing.assert_array_equal(got, onp.stack([onp.take(B[b], i2[b], axis=1)
                                                   for b in range(2)]))
    order = onp.argsort(B, axis=-1)
    got = cr.vmap(lambda x, i: cnp.take_along_axis(x, i, -1))(B, order)
    onp.testing.assert_array_equal(got, onp.sort(B, axis=-1))


def test_vmap_over_index_in_updates():
    i2 = onp.array([[0, 0], [2, 1]])
    vs = rng.standard_normal((2, 2, 1))
    got = cr.vmap(lambda i, v: cnp.at(M)[i].add(v))(i2, vs)
    want = onp.stack([M.copy(), M.copy()])
    for b in range(2):
        onp.add.at(want[b], i2[b], vs[b])
    onp.testing.assert_allclose(got, want)
    got = cr.vmap(lambda x, i: cnp.at(x)[i, 1].set(-1.0), in_axes=(None, 0))(M, IDX)
    onp.testing.assert_array_equal(got[3], onp.where(onp.arange(12).reshape(3, 4) == 5, -1.0,
                                                     M))
    got = cr.vmap(lambda x, i: x.at[:, i].multiply(2.0), in_axes=(0, 0))(B, onp.array([1, 3]))
    want = B.copy()
    want[0][:, 1] *= 2.0
    want[1][:, 3] *= 2.0
    onp.testing.assert_array_equal(got, want)


def test_derivatives_with_batched_indices():
    def f(x):
        rows = cr.vmap(lambda x, i: cnp.take(x, i, 0) * cnp.take(x, (i + 1) % 3, 0),
                       in_axes=(None, 0))(x, IDX)
        return rows ** 2

    check_grads(f, M, order=2)
    # the Jacobian of a batched gather is a one-hot selection
    J = cr.jacrev(lambda x: cr.vmap(lambda x, i: x[i], in_axes=(None, 0))(x, IDX))(V)
    onp.testing.assert_array_equal(J, onp.eye(5)[IDX])
    J = cr.jacfwd(lambda x: cr.vmap(lambda x, i: x[i], in_axes=(None, 0))(x, IDX))(V)
    onp.testing.assert_array_equal(J, onp.eye(5)[IDX])
    check_grads(lambda v: cr.vmap(lambda v, i: cnp.at(M)[i].set(v), in_axes=(0, 0))(
        v, onp.array([0, 2, 0])), onp.ones((3, 4)), order=2)
    check_grads(lambda x: cr.vmap(lambda x, i: cnp.at(x)[i].multiply(x[0]), in_axes=(None, 0))(
        x, onp.array([[0, 0], [1, 2]])), M + 2.0, order=2)


# --- errors -----------------------------------------------------------------------------------

def test_assignment_into_traced_array_points_to_at():
    def f(x):
        x[0] = 1.0
        return cnp.sum(x)

    with pytest.raises(TypeError, match=r"\.at\[idx\]\.set"):
        cr.grad(f)(V)
    with pytest.raises(TypeError, match=r"\.at"):
        cr.vmap(f)(M)


def test_index_errors_are_clear():
    with pytest.raises(IndexError, match="where"):
        cr.vmap(lambda x: x[x > 0])(M)
    with pytest.raises(IndexError, match="dtype float"):
        cr.grad(lambda x: cnp.sum(x[onp.array([0.0, 1.0])]))(V)
    with pytest.raises(IndexError):
        cr.grad(lambda x: cnp.sum(x[[7]]))(V)


# --- every placement of a vmapped index against a loop ---------------------------------------

X345 = rng.standard_normal((2, 3, 4, 5))   # a batch of two (3, 4, 5) examples
IB = onp.array([[0, 2], [1, 1]])            # a batch of two index vectors, values < 3
PLACEMENTS = [
    ("first", lambda x, i: (i,)),
    ("second", lambda x, i: (slice(None), i)),
    ("last_ellipsis", lambda x, i: (Ellipsis, i)),
    ("two_separated", lambda x, i: (i, slice(None), i)),
    ("two_adjacent", lambda x, i: (slice(None), i, i)),
    ("int_then_array", lambda x, i: (1, slice(None), i)),
    ("slice_int_array", lambda x, i: (slice(1, None), 1, i)),
    ("newaxis_before", lambda x, i: (None, slice(None), i)),
    ("newaxis_after", lambda x, i: (i, None)),
    ("newaxis_between", lambda x, i: (slice(None), i, None, 0)),
    ("with_constant_array", lambda x, i: (i, onp.array([1, 3]))),
    ("constant_separated", lambda x, i: (onp.array([[0], [1]]), slice(None), i)),
    ("step_slice_after", lambda x, i: (slice(None, None, -1), i, slice(None, None, 2))),
    ("scalar_index", lambda x, i: (slice(None), i[0])),
]


@pytest.mark.parametrize("batched", ["both", "index_only"])
@pytest.mark.parametrize("name,make", PLACEMENTS, ids=[p[0] for p in PLACEMENTS])
def test_vmapped_index_placements_match_a_loop(name, make, batched):
    xs = X345 if batched == "both" else X345[0]
    in_axes = (0, 0) if batched == "both" else (None, 0)

    def pick(x, b):
        return x[b] if batched == "both" else x

    got = cr.vmap(lambda x, i: cnp.at(x)[make(x, i)].get(), in_axes=in_axes)(xs, IB)
    want = onp.stack([pick(xs, b)[make(None, IB[b])] for b in range(2)])
    onp.testing.assert_array_equal(got, want)
    # updates: v has the target's shape; repeated entries of IB[1] accumulate
    vs = rng.standard_normal(want.shape)
    got = cr.vmap(lambda x, i, v: cnp.at(x)[make(x, i)].add(v), in_axes=in_axes + (0,))(
        xs, IB, vs)
    for b in range(2):
        out = pick(xs, b).copy()
        onp.add.at(out, make(None, IB[b]), vs[b])
        onp.testing.assert_allclose(got[b], out, rtol=1e-14)
    # an unbatched v broadcasts along the batch
    got = cr.vmap(lambda x, i: cnp.at(x)[make(x, i)].set(vs[0]), in_axes=in_axes)(xs, IB)
    for b in range(2):
        out = pick(xs, b).copy()
        out[make(None, IB[b])] = vs[0]
        onp.testing.assert_array_equal(got[b], out)
    # derivatives through the batched gather and scatter
    check_grads(lambda x, v: cr.vmap(lambda x, i, v: cnp.at(x)[make(x, i)].add(v * x[0, 0, 0]),
                                     in_axes=in_axes + (0,))(x, IB, v), xs, vs, order=2)
