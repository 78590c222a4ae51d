"""Shape, assembly, sorting and creation functions: values against NumPy, then every
function through check_all (check_grads order 2 in both modes, vmap, derivatives under vmap).

Each table entry is ``(id, f, args)`` where ``f(m, *args)`` is written once against a module
``m``: it runs with ``m = numpy`` for the reference value and ``m = chainrule.numpy`` for the
checks. The checked function squares the result so that second derivatives are not trivially
zero (every function here is linear in its float inputs or piecewise so).
"""

import numpy as onp
import pytest
from helpers import check_all

import chainrule as cr
import chainrule.numpy as cnp

rng = onp.random.default_rng(0)
S = onp.asarray(0.7)
V = rng.standard_normal(4)
M = rng.standard_normal((3, 4))
B = rng.standard_normal((2, 3, 4))
SQ = rng.standard_normal((4, 4))
V5 = rng.standard_normal(5)
X3 = rng.standard_normal((3, 3))
SORTED = onp.array([-1.0, -0.2, 0.5, 1.1, 2.0])


def _square(tree):
    return cr.tree_map(lambda v: v * v, tree)


def _values_match(f, args):
    want = f(onp, *args)
    got = f(cnp, *args)
    wl, gl = cr.tree_leaves(want), cr.tree_leaves(got)
    assert len(wl) == len(gl)
    for w, g in zip(wl, gl):
        assert onp.shape(w) == onp.shape(g), (onp.shape(w), onp.shape(g))
        onp.testing.assert_allclose(onp.asarray(g), onp.asarray(w), rtol=1e-12, atol=1e-12)


def _run(f, args, **opts):
    _values_match(f, args)
    check_all(lambda *a: _square(f(cnp, *a)), *args, **opts)


SHAPE = [
    ("reshape_flat", lambda m, x: m.reshape(x, (-1,)), [M]),
    ("reshape_2d", lambda m, x: m.reshape(x, (2, -1)), [B]),
    ("reshape_method", lambda m, x: x.reshape(4, 3) if m is cnp else x.reshape(4, 3), [M]),
    ("ravel", lambda m, x: m.ravel(x), [B]),
    ("transpose", lambda m, x: m.transpose(x), [B]),
    ("transpose_axes", lambda m, x: m.transpose(x, (1, -1, 0)), [B]),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1), [B]),
    ("moveaxis_multi", lambda m, x: m.moveaxis(x, (0, 1), (-1, -3)), [B]),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, -1), [B]),
    ("expand_dims0", lambda m, x: m.expand_dims(x, 0), [V]),
    ("expand_dims_neg", lambda m, x: m.expand_dims(x, -1), [M]),
    ("expand_dims_tuple", lambda m, x: m.expand_dims(x, (0, 2)), [M]),
    ("squeeze_all", lambda m, x: m.squeeze(m.reshape(x, (1, 3, 1, 4))), [M]),
    ("squeeze_axis", lambda m, x: m.squeeze(m.reshape(x, (1, 3, 1, 4)), axis=-2), [M]),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 4)), [V]),
    ("broadcast_to_col", lambda m, x: m.broadcast_to(m.reshape(x, (3, 1)), (2, 3, 5)),
     [M[:, 0].copy()]),
    ("broadcast_arrays", lambda m, x, y: m.broadcast_arrays(x, y), [V, M]),
    ("atleast_1d", lambda m, x: m.atleast_1d(x), [S]),
    ("atleast_2d", lambda m, x: m.atleast_2d(x), [V]),
    ("atleast_3d_1", lambda m, x: m.atleast_3d(x), [V]),
    ("atleast_3d_2", lambda m, x: m.atleast_3d(x), [M]),
    ("atleast_multi", lambda m, x, y: m.atleast_2d(x, y), [S, V]),
    ("concatenate0", lambda m, x, y: m.concatenate([x, y], axis=0), [M, M[:2]]),
    ("concatenate_neg", lambda m, x, y: m.concatenate([x, y, x], axis=-1), [M, M[:, :1]]),
    ("concatenate_none", lambda m, x, y: m.concatenate([x, y], axis=None), [M, V]),
    ("stack0", lambda m, x, y: m.stack([x, y]), [M, M[::-1]]),
    ("stack_neg", lambda m, x, y: m.stack([x, y], axis=-1), [B, B[::-1]]),
    ("hstack_1d", lambda m, x, y: m.hstack([x, y]), [V, V5]),
    ("hstack_2d", lambda m, x, y: m.hstack([x, y]), [M, M[:, :2]]),
    ("vstack", lambda m, x, y: m.vstack([x, y]), [V, M]),
    ("row_stack", lambda m, x, y: m.vstack([x, y]) if m is onp else m.row_stack([x, y]),
     [V, M]),
    ("dstack", lambda m, x, y: m.dstack([x, y]), [M, M]),
    ("column_stack", lambda m, x, y: m.column_stack([x, y]), [M[:, 0].copy(), M]),
    ("append_flat", lambda m, x, y: m.append(x, y), [M, V]),
    ("append_axis", lambda m, x, y: m.append(x, y, axis=0), [M, M[:1]]),
    ("split_sections", lambda m, x: m.split(x, 2, axis=-1), [M]),
    ("split_indices", lambda m, x: m.split(x, [1, 3], axis=1), [B]),
    ("array_split", lambda m, x: m.array_split(x, 3, axis=-1), [M]),
    ("hsplit", lambda m, x: m.hsplit(x, 2), [M]),
    ("vsplit", lambda m, x: m.vsplit(x, [1]), [M]),
    ("dsplit", lambda m, x: m.dsplit(x, 2), [B]),
    ("tile_int", lambda m, x: m.tile(x, 2), [V]),
    ("tile_tuple", lambda m, x: m.tile(x, (2, 1, 2)), [M]),
    ("repeat_flat", lambda m, x: m.repeat(x, 2), [M]),
    ("repeat_axis", lambda m, x: m.repeat(x, 3, axis=-1), [M]),
    ("repeat_counts", lambda m, x: m.repeat(x, [1, 0, 2], axis=0), [M]),
    ("flip_all", lambda m, x: m.flip(x), [B]),
    ("flip_axis", lambda m, x: m.flip(x, -1), [B]),
    ("flip_tuple", lambda m, x: m.flip(x, (0, 2)), [B]),
    ("fliplr", lambda m, x: m.fliplr(x), [M]),
    ("flipud", lambda m, x: m.flipud(x), [M]),
    ("roll_flat", lambda m, x: m.roll(x, 5), [M]),
    ("roll_axis", lambda m, x: m.roll(x, -1, axis=-1), [B]),
    ("roll_multi", lambda m, x: m.roll(x, (1, 2), axis=(0, 2)), [B]),
    ("rot90", lambda m, x: m.rot90(x), [M]),
    ("rot90_k2", lambda m, x: m.rot90(x, 2), [M]),
    ("rot90_k3_axes", lambda m, x: m.rot90(x, 3, axes=(2, 0)), [B]),
    ("pad_constant", lambda m, x: m.pad(x, 1), [M]),
    ("pad_constant_value", lambda m, x: m.pad(x, ((1, 0), (0, 2)), constant_values=0.5), [M]),
    ("pad_edge", lambda m, x: m.pad(x, (2, 1), mode="edge"), [M]),
    ("pad_reflect", lambda m, x: m.pad(x, 3, mode="reflect"), [V]),
    ("pad_symmetric", lambda m, x: m.pad(x, ((0, 1), (2, 2)), mode="symmetric"), [M]),
    ("pad_wrap", lambda m, x: m.pad(x, ((1, 1), (0, 0), (3, 1)), mode="wrap"), [B]),
    ("diag_vector", lambda m, x: m.diag(x), [V]),
    ("diag_vector_k", lambda m, x: m.diag(x, -2), [V]),
    ("diag_matrix", lambda m, x: m.diag(x), [M]),
    ("diag_matrix_k", lambda m, x: m.diag(x, 1), [M]),
    ("diagonal", lambda m, x: m.diagonal(x), [B]),
    ("diagonal_offset_axes", lambda m, x: m.diagonal(x, -1, 2, 1), [B]),
    ("diagonal_method", lambda m, x: x.diagonal(1), [M]),
    ("diagflat", lambda m, x: m.diagflat(x, 1), [M[:2, :2].copy()]),
    ("tril", lambda m, x: m.tril(x), [M]),
    ("tril_k", lambda m, x: m.tril(x, -1), [B]),
    ("triu_k", lambda m, x: m.triu(x, 1), [M]),
    ("triu_vector", lambda m, x: m.triu(x), [V]),
    ("meshgrid_xy", lambda m, x, y: m.meshgrid(x, y), [V, V5]),
    ("meshgrid_ij_3", lambda m, x, y, z: m.meshgrid(x, y, z, indexing="ij"), [V, V5, V[:2]]),
    ("meshgrid_sparse", lambda m, x, y: m.meshgrid(x, y, sparse=True), [V, V5]),
    ("select", lambda m, x, y: m.select([x > 0.5, x < -0.5], [x, y], default=-x), [M, M[::-1]]),
    ("choose", lambda m, x, y: m.choose(onp.array([[0, 1, 1, 0]] * 3), [x, y]), [M, M * 2.0]),
    ("piecewise", lambda m, x: m.piecewise(x, [x < 0, x >= 0], [lambda t: -t * 2.0,
                                                                 lambda t: t * t]), [M]),
    ("piecewise_default", lambda m, x: m.piecewise(x, [x < -0.5], [1.5, lambda t: t * 3.0]),
     [M]),
]

SORTING = [
    ("sort", lambda m, x: m.sort(x), [M]),
    ("sort_axis0", lambda m, x: m.sort(x, axis=0), [B]),
    ("sort_none", lambda m, x: m.sort(x, axis=None), [M]),
    ("unique", lambda m, x: m.unique(m.concatenate([x, x[:2]])), [V5]),
    ("interp", lambda m, x, xp, fp: m.interp(x, xp, fp), [V, SORTED, V5]),
    ("interp_left_right", lambda m, x, xp, fp: m.interp(x * 3.0, xp, fp, left=0.25, right=x[0]),
     [V, SORTED, V5]),
]

CREATION = [
    ("array_of_traced", lambda m, x, y: m.array([[x, y], [y, x]]), [S, S * 2.0]),
    ("asarray_list", lambda m, x: m.asarray([x[0], x[1] * 2.0, 3.0]), [V]),
    ("array_ndmin", lambda m, x: m.array([x], ndmin=3), [V]),
    ("linspace", lambda m, a, b: m.linspace(a, b, 7), [S, S * 3.0]),
    ("linspace_noend", lambda m, a, b: m.linspace(a, b, 4, endpoint=False), [S, S + 1.0]),
    ("linspace_arrays", lambda m, a, b: m.linspace(a, b, 5, axis=-1), [V, V + 2.0]),
    ("linspace_retstep", lambda m, a, b: m.linspace(a, b, 5, retstep=True), [S, S * 3.0]),
    ("logspace", lambda m, a, b: m.logspace(a, b, 4), [S, S * 2.0]),
    ("geomspace", lambda m, a, b: m.geomspace(a, b, 4), [S, S * 5.0]),
    ("full", lambda m, a: m.full((2, 3), a), [S]),
    ("full_like", lambda m, a, x: m.full_like(x, a), [S, M]),
]


def _ids(table):
    return [t[0] for t in table]


@pytest.mark.parametrize("name,f,args", SHAPE, ids=_ids(SHAPE))
def test_shape_and_assembly(name, f, args):
    _run(f, args)


@pytest.mark.parametrize("name,f,args", SORTING, ids=_ids(SORTING))
def test_sorting(name, f, args):
    # unique has a data-dependent shape: not under vmap (tested to raise below)
    _run(f, args, vmap=name != "unique")


@pytest.mark.parametrize("name,f,args", CREATION, ids=_ids(CREATION))
def test_creation(name, f, args):
    _run(f, args)


# the same functions over a vector, a matrix and a batch of matrices
ANY_RANK = [
    ("ravel", lambda m, x: m.ravel(x)),
    ("flip", lambda m, x: m.flip(x, -1)),
    ("transpose", lambda m, x: m.transpose(x)),
    ("expand_dims", lambda m, x: m.expand_dims(x, -1)),
    ("atleast_2d", lambda m, x: m.atleast_2d(x)),
    ("roll", lambda m, x: m.roll(x, 2, axis=-1)),
    ("tile", lambda m, x: m.tile(x, (2, 1))),
    ("repeat", lambda m, x: m.repeat(x, 2, axis=-1)),
    ("sort", lambda m, x: m.sort(x, axis=-1)),
    ("pad_edge", lambda m, x: m.pad(x, 1, mode="edge")),
    ("concatenate", lambda m, x: m.concatenate([x, x[::-1]], axis=0)),
    ("stack", lambda m, x: m.stack([x, 2.0 * x], axis=-1)),
    ("split", lambda m, x: m.array_split(x, 2, axis=-1)),
    ("take", lambda m, x: m.take(x, [0, -1, 0], axis=-1)),
]


@pytest.mark.parametrize("x", [V, M, B], ids=["vector", "matrix", "batched"])
@pytest.mark.parametrize("name,f", ANY_RANK, ids=_ids(ANY_RANK))
def test_any_rank(name, f, x):
    _run(f, [x])


# --- NumPy's own functions on traced values dispatch here ----------------------------------------

def test_plain_numpy_calls_dispatch():
    def f(x):
        y = onp.concatenate([x, onp.flip(x, 0)], axis=0)
        y = onp.pad(onp.roll(y, 1, axis=1), 1, mode="edge")
        return onp.sum(onp.sort(y, axis=None)[::2] * onp.tile(onp.diagonal(y), 2)[:1])

    check_all(f, M)  # plain NumPy calls: derivatives against finite differences


def test_tracer_methods():
    def f(x):
        return (x.repeat(2, axis=0).take([0, -1], axis=1).sum() + x.diagonal().sum()
                + x.ravel()[3] + x.flatten()[0] + x.swapaxes(0, 1).squeeze()[0, 1])

    check_all(f, M)


# --- conventions at ties, documented in the rules ------------------------------------------------

def test_sort_ties_follow_stable_order():
    x = onp.array([1.0, 1.0, 0.0])
    # sorted: [x[2], x[0], x[1]]: output position 1 comes from x[0], position 2 from x[1]
    onp.testing.assert_array_equal(cr.grad(lambda x: cnp.sort(x)[1])(x), [1.0, 0.0, 0.0])
    onp.testing.assert_array_equal(cr.grad(lambda x: cnp.sort(x)[2])(x), [0.0, 1.0, 0.0])
    onp.testing.assert_array_equal(cr.jacfwd(cnp.sort)(x), onp.eye(3)[[2, 0, 1]])


def test_unique_gradient_goes_to_first_occurrence():
    x = onp.array([2.0, 1.0, 2.0, 3.0])
    g = cr.grad(lambda x: cnp.sum(cnp.unique(x) * onp.array([1.0, 10.0, 100.0])))(x)
    onp.testing.assert_array_equal(g, [10.0, 1.0, 0.0, 100.0])


def test_interp_slope_at_knots_and_outside():
    xp, fp = onp.array([0.0, 1.0, 3.0]), onp.array([0.0, 2.0, 3.0])
    d = cr.grad(lambda x: cnp.interp(x, xp, fp))
    assert d(1.0) == pytest.approx(0.5)   # knot: the segment to the right
    assert d(3.0) == pytest.approx(0.5)   # last knot: the segment to the left
    assert d(0.5) == pytest.approx(2.0)
    assert d(-1.0) == 0.0 and d(4.0) == 0.0
    gfp = cr.grad(lambda fp: cnp.interp(2.0, xp, fp))(fp)
    onp.testing.assert_allclose(gfp, [0.0, 0.5, 0.5])


def test_interp_vmapped_knots_match_loop():
    xs = onp.linspace(-0.5, 2.5, 7)
    xps = onp.sort(rng.standard_normal((3, 5)), axis=1)
    fps = rng.standard_normal((3, 5))
    got = cr.vmap(cnp.interp, in_axes=(None, 0, 0))(xs, xps, fps)
    want = onp.stack([onp.interp(xs, a, b) for a, b in zip(xps, fps)])
    onp.testing.assert_allclose(got, want, rtol=1e-12)


def test_searchsorted_and_friends_pass_through():
    a = onp.sort(rng.standard_normal(6))
    q = rng.standard_normal(4)
    onp.testing.assert_array_equal(cnp.searchsorted(a, q, side="right"),
                                   onp.searchsorted(a, q, side="right"))
    rows = onp.sort(rng.standard_normal((3, 6)), axis=1)
    got = cr.vmap(lambda r, q: cnp.searchsorted(r, q))(rows, rng.standard_normal((3, 4)))
    assert got.shape == (3, 4)
    got = cr.vmap(lambda r: cnp.searchsorted(r, q))(rows)
    onp.testing.assert_array_equal(got, [onp.searchsorted(r, q) for r in rows])
    onp.testing.assert_array_equal(cnp.nonzero(M > 0)[0], onp.nonzero(M > 0)[0])
    onp.testing.assert_array_equal(cnp.argwhere(M > 0), onp.argwhere(M > 0))
    onp.testing.assert_array_equal(cnp.flatnonzero(M > 0), onp.flatnonzero(M > 0))
    # under grad the mask is a constant; the gather by it is differentiable
    g = cr.grad(lambda x: cnp.sum(x[cnp.nonzero(x > 0)] ** 2))(M)
    onp.testing.assert_allclose(g, onp.where(M > 0, 2 * M, 0.0))
    with pytest.raises(TypeError, match="vmap"):
        cr.vmap(lambda x: cnp.nonzero(x > 0))(M)


def test_split_errors_and_pad_modes():
    with pytest.raises(ValueError, match="equal division"):
        cnp.split(V5, 2)
    with pytest.raises(NotImplementedError, match="linear_ramp"):
        cnp.pad(V, 1, mode="linear_ramp")
    # constant_values traced: differentiable in the constant too
    g = cr.grad(lambda c: cnp.sum(cnp.pad(M, 1, constant_values=c)))(0.3)
    assert g == pytest.approx(5 * 6 - 12)


def test_astype_casts_and_narrows():
    x = onp.array([1.0, 2.0])
    out, vjp_fn = cr.vjp(lambda a: a.astype(onp.float32), x)
    assert out.dtype == onp.float32 and vjp_fn(onp.ones(2, onp.float32))[0].dtype == onp.float64
    # an integer cast carries no derivative
    onp.testing.assert_array_equal(cr.grad(lambda a: cnp.sum(a.astype(int) * a))(x + 0.5),
                                   [1.0, 2.0])
    assert cr.vmap(lambda a: cnp.astype(a, onp.int32))(M).dtype == onp.int32
    z = onp.array([1.0 + 2.0j, 3.0j])
    g = cr.grad(lambda z: cnp.sum(cnp.real(z).astype(onp.float32) ** 2))(z)
    onp.testing.assert_allclose(g, [2.0, 0.0])


def test_docstring_examples():
    import doctest
    import importlib

    for name in ("shape", "assembly", "products", "creation", "sorting"):
        mod = importlib.import_module(f"chainrule.rules.{name}")
        assert doctest.testmod(mod, optionflags=doctest.ELLIPSIS).failed == 0, name
