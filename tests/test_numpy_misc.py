"""The rest of issue 3's namespace: finite differences, assembly by index maps, partitions
and set operations, conversions, ``i0``/``kaiser``, the non-differentiable pass-throughs and
the in-place functions.

Differentiable functions go through one table: values against NumPy (on plain and on traced
arguments), then check_all (check_grads order 2 in both modes, vmap against a loop,
derivatives under vmap). Outputs are squared so that second derivatives are not trivially 0.
"""

import doctest
import io

import numpy as onp
import pytest
from helpers import check_all, square_floats, values_match

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.rules import _passthrough, differences, utilities

rng = onp.random.default_rng(11)
S = onp.asarray(0.7)
V = rng.standard_normal(6)
M = rng.standard_normal((3, 4))
B = rng.standard_normal((2, 3, 4))
XS = onp.cumsum(onp.abs(rng.standard_normal(6)) + 0.2)  # increasing coordinates
XS4 = onp.cumsum(onp.abs(rng.standard_normal(4)) + 0.2)
PHASE = onp.cumsum(rng.uniform(0.5, 2.8, 9) * onp.sign(rng.standard_normal(9)))
DUP = onp.array([0.3, -1.2, 0.3, 2.0, -1.2, 0.8])
DUP2 = onp.array([2.0, 0.8, 5.0, -1.0])
ZPAD = onp.array([0.0, 0.0, 0.4, -1.1, 0.0, 0.6, 0.0])
ZPAD2 = onp.zeros((4, 5))
ZPAD2[1:3, 1:4] = rng.standard_normal((2, 3))
ZPAD2[1, 1] = 0.0


def _run(f, args, vmap=True):
    values_match(f, args)
    check_all(lambda *a: square_floats(f(cnp, *a)), *args, vmap=vmap)


DIFFERENCES = [
    ("diff", lambda m, x: m.diff(x), [V]),
    ("diff_n2_axis0", lambda m, x: m.diff(x, 2, axis=0), [B[0].T.copy()]),
    ("diff_prepend_append", lambda m, x, p: m.diff(x, axis=1, prepend=p, append=0.5),
     [M, M[:, :1].copy()]),
    ("ediff1d", lambda m, x: m.ediff1d(x), [M]),
    ("ediff1d_ends", lambda m, x, e: m.ediff1d(x, to_end=e, to_begin=[1.0, 2.0]), [V, S]),
    ("gradient", lambda m, x: m.gradient(x), [V]),
    ("gradient_2d", lambda m, x: m.gradient(x), [M]),
    ("gradient_spacing", lambda m, x, h: m.gradient(x, h, axis=1), [M, S]),
    ("gradient_edge2", lambda m, x: m.gradient(x, 0.5, 2.0, edge_order=2), [M]),
    ("gradient_coords", lambda m, x, c: m.gradient(x, c), [V, XS]),
    ("gradient_coords_edge2", lambda m, x, c: m.gradient(x, c, edge_order=2), [V, XS]),
    ("gradient_axes_mixed", lambda m, x, c: m.gradient(x, 0.3, c, axis=(0, 2)),
     [B, XS4]),
    ("trapezoid", lambda m, y: m.trapezoid(y), [V]),
    ("trapezoid_dx_axis", lambda m, y, d: m.trapezoid(y, dx=d, axis=0), [M, S]),
    ("trapezoid_x", lambda m, y, x: m.trapezoid(y, x), [V, XS]),
    ("trapezoid_x_nd", lambda m, y, x: m.trapezoid(y, x, axis=1), [M, M * 0.5 + onp.arange(4)]),
    ("unwrap", lambda m, p: m.unwrap(p), [PHASE]),
    ("unwrap_period", lambda m, p: m.unwrap(p, period=4.0, axis=0),
     [onp.stack([PHASE, PHASE[::-1]], 1)]),
]

ASSEMBLY = [
    ("block_2x2", lambda m, a, b: m.block([[a, b], [b, a]]), [M[:2, :2].copy(), M[:2, 2:].copy()]),
    ("block_1d", lambda m, a, b: m.block([a, b, a]), [V, S]),
    ("block_mixed_ndim", lambda m, a, b: m.block([[a], [b]]), [M, V[:4].copy()]),
    ("block_3d", lambda m, a: m.block([[[a, a]], [[a, a]]]), [M[:2, :2].copy()]),
    ("concat", lambda m, a, b: m.concat([a, b], axis=1), [M, M[:, :1].copy()]),
    ("concat_none", lambda m, a, b: m.concat((a, b), axis=None), [M, V]),
    ("delete_flat", lambda m, a: m.delete(a, [0, 5, 7]), [M]),
    ("delete_axis_slice", lambda m, a: m.delete(a, slice(1, None, 2), axis=1), [M]),
    ("delete_mask", lambda m, a: m.delete(a, onp.array([True, False, True]), axis=0), [M]),
    ("insert_scalar_index", lambda m, a, v: m.insert(a, 1, v, axis=1), [M, V[:3].copy()]),
    ("insert_broadcast_value", lambda m, a, v: m.insert(a, 2, v, axis=0), [M, S]),
    ("insert_many_flat", lambda m, a, v: m.insert(a, [0, 2, 2], v), [V, V[:3].copy()]),
    ("insert_seq_axis", lambda m, a, v: m.insert(a, [1, 3], v, axis=1), [M, M[:, :2].copy()]),
    ("compress", lambda m, a: m.compress([False, True, True], a, axis=0), [M]),
    ("compress_flat", lambda m, a: m.compress([True, False, True, True], a), [M]),
    ("extract", lambda m, a: m.extract(onp.arange(12).reshape(3, 4) % 3 == 0, a), [M]),
    ("resize_grow", lambda m, a: m.resize(a, (4, 5)), [M]),
    ("resize_shrink", lambda m, a: m.resize(a, 5), [M]),
    ("rollaxis", lambda m, a: m.rollaxis(a, 2), [B]),
    ("rollaxis_start", lambda m, a: m.rollaxis(a, 0, 3), [B]),
    ("unstack", lambda m, a: m.unstack(a), [M]),
    ("unstack_axis", lambda m, a: m.unstack(a, axis=-1), [B]),
    ("apply_along_axis_scalar", lambda m, a: m.apply_along_axis(lambda r: m.sum(r * r), 1, a),
     [M]),
    ("apply_along_axis_vector", lambda m, a: m.apply_along_axis(lambda r: m.cumsum(r) * r, 0, a),
     [B]),
    ("apply_along_axis_matrix", lambda m, a: m.apply_along_axis(lambda r: m.outer(r, r[:2]), 1,
                                                                a), [B]),
    ("apply_over_axes", lambda m, a: m.apply_over_axes(m.sum, a, [0, 2]), [B]),
    ("apply_over_axes_mean", lambda m, a: m.apply_over_axes(m.mean, a, -1), [M]),
]
# The zero pattern and the duplicates are read from the values, so the checked functions
# build them from constant structure (a mask, repeated indices) times the traced entries:
# finite differences then keep the pattern. (Under vmap such functions refuse a batch.)
POS = onp.abs(rng.standard_normal(7)) + 0.5
IDX = onp.array([0, 1, 0, 2, 1, 3])  # duplicates of entries 0 and 1
IDX2 = onp.array([2, 4, 5, 3])  # shares entries 2 and 3 with IDX
VALUE_SHAPED = [
    ("trim_zeros", lambda m, a: m.trim_zeros(a * (ZPAD != 0)), [POS]),
    ("trim_zeros_back", lambda m, a: m.trim_zeros(a * (ZPAD != 0), "b"), [POS]),
    ("trim_zeros_2d", lambda m, a: m.trim_zeros(a * (ZPAD2 != 0)), [ZPAD2 + 1.0]),
    ("trim_zeros_axis", lambda m, a: m.trim_zeros(a * (ZPAD2 != 0), "f", axis=1),
     [ZPAD2 + 1.0]),
    ("unique_values", lambda m, a: m.sort(m.unique_values(a[IDX])), [POS]),
    ("unique_counts", lambda m, a: m.unique_counts(a[IDX]), [POS]),
    ("unique_inverse", lambda m, a: m.unique_inverse(a[IDX]), [POS]),
    ("unique_all", lambda m, a: m.unique_all(a[IDX]), [POS]),
    ("unique_2d", lambda m, a: m.unique_all(m.reshape(a[IDX], (2, 3))), [POS]),
    ("intersect1d", lambda m, a: m.intersect1d(a[IDX], a[IDX2]), [POS]),
    ("intersect1d_indices", lambda m, a: m.intersect1d(a[IDX], a[IDX2], return_indices=True),
     [POS]),
    ("union1d", lambda m, a: m.union1d(a[IDX], a[IDX2]), [POS]),
    ("setdiff1d", lambda m, a: m.setdiff1d(a[IDX], a[IDX2]), [POS]),
    ("setdiff1d_unique", lambda m, a: m.setdiff1d(a[:4], a[IDX2], assume_unique=True), [POS]),
    ("setxor1d", lambda m, a: m.setxor1d(a[IDX], a[IDX2]), [POS]),
]
SORTING = [
    ("partition", lambda m, a: m.partition(a, 2), [M]),
    ("partition_multi_axis0", lambda m, a: m.partition(a, (0, 2), axis=0), [M.T.copy()]),
    ("partition_none", lambda m, a: m.partition(a, 5, axis=None), [M]),
    ("sort_complex_real", lambda m, a: m.real(m.sort_complex(a)), [V]),
    ("sort_complex", lambda m, a: m.sort_complex(a * (1 + 0.5j) + m.flip(a) * 1j), [V]),
]
CREATION = [
    ("asfortranarray", lambda m, a: m.asfortranarray(a), [M]),
    ("require", lambda m, a: m.require(a, requirements=["C", "A"]), [M]),
    ("asarray_chkfinite", lambda m, a: m.asarray_chkfinite(a), [M]),
    ("real_if_close", lambda m, a: m.real_if_close(a + 0j), [V]),
    ("real_if_close_keeps", lambda m, a: m.real(m.real_if_close(a + 1j * a)), [V]),
    ("fromfunction", lambda m, s: m.fromfunction(lambda i, j: i * s + j * s * s, (3, 4)), [S]),
    ("fromiter", lambda m, a: m.fromiter((a * k for k in range(3)), float), [S]),
    ("i0", lambda m, a: m.i0(a), [V]),
    ("i0_zero", lambda m, a: m.i0(a * 0.0), [V]),
    ("kaiser", lambda m, b: m.kaiser(7, b), [onp.asarray(3.1)]),
    ("kaiser_one", lambda m, b: m.kaiser(1, b), [onp.asarray(3.1)]),
]


@pytest.mark.parametrize("name,f,args", DIFFERENCES, ids=[t[0] for t in DIFFERENCES])
def test_differences(name, f, args):
    _run(f, args)


@pytest.mark.parametrize("name,f,args", ASSEMBLY, ids=[t[0] for t in ASSEMBLY])
def test_assembly(name, f, args):
    _run(f, args)


@pytest.mark.parametrize("name,f,args", VALUE_SHAPED, ids=[t[0] for t in VALUE_SHAPED])
def test_value_shaped(name, f, args):
    _run(f, args, vmap=False)


@pytest.mark.parametrize("name,f,args", SORTING, ids=[t[0] for t in SORTING])
def test_sorting(name, f, args):
    _run(f, args)


@pytest.mark.parametrize("name,f,args", CREATION, ids=[t[0] for t in CREATION])
def test_creation_and_special(name, f, args):
    _run(f, args)


# --- conventions and details -----------------------------------------------------------------

def test_gradient_in_coordinates_uses_every_spacing():
    # evenly spaced coordinates: NumPy switches to a scalar spacing; the derivative in the
    # coordinates must still see all of them (compare with a slightly uneven grid)
    f = onp.array([0.0, 1.0, 4.0, 9.0, 16.0])
    x = onp.arange(5.0)
    g = cr.jacobian(lambda c: cnp.gradient(f, c))(x)
    eps = 1e-6
    for j in range(5):
        d = onp.zeros(5)
        d[j] = eps
        fd = (onp.gradient(f, x + d) - onp.gradient(f, x - d)) / (2 * eps)
        onp.testing.assert_allclose(g[:, j], fd, atol=1e-6)


def test_unwrap_derivative_is_identity():
    j = cr.jacobian(cnp.unwrap)(PHASE)
    onp.testing.assert_array_equal(j, onp.eye(len(PHASE)))


def test_unique_values_cotangent_goes_to_first_occurrence():
    g = cr.grad(lambda a: cnp.sum(cnp.unique_values(a) * onp.arange(1.0, 5.0)))(DUP)
    # unique sorted: -1.2 (first at 1), 0.3 (at 0), 0.8 (at 5), 2.0 (at 3)
    onp.testing.assert_array_equal(g, [2.0, 1.0, 0, 4.0, 0, 3.0])


def test_set_operations_route_to_first_source():
    g1, g2 = cr.grad(lambda a, b: cnp.sum(cnp.union1d(a, b)), argnums=(0, 1))(DUP, DUP2)
    onp.testing.assert_array_equal(g1, [1, 1, 0, 1, 0, 1])  # 2.0 and 0.8 are found in a first
    onp.testing.assert_array_equal(g2, [0, 0, 1, 1])
    g1, g2 = cr.grad(lambda a, b: cnp.sum(cnp.intersect1d(a, b)), argnums=(0, 1))(DUP, DUP2)
    onp.testing.assert_array_equal(g1, [0, 0, 0, 1, 0, 1])
    onp.testing.assert_array_equal(g2, 0)


def test_value_shaped_functions_refuse_batched_input():
    for f in (cnp.trim_zeros, cnp.unique_values, lambda a: cnp.union1d(a, DUP2),
              lambda a: cnp.delete(a, a > 0)):
        with pytest.raises(TypeError, match="vmap|batched"):
            cr.vmap(f)(onp.stack([DUP, DUP * 2]))


def test_insert_places_values_as_numpy_does():
    # each inserted value broadcasts down its column: its cotangent is that column's sum
    g = cr.grad(lambda v: cnp.sum(cnp.insert(M, [1, 3], v, axis=1) * onp.arange(6.0)))(
        onp.array([1.0, 2.0]))
    onp.testing.assert_array_equal(g, [3 * 1.0, 3 * 4.0])


def test_resize_sums_the_copies():
    g = cr.grad(lambda a: cnp.sum(cnp.resize(a, 7)))(onp.array([1.0, 2.0, 3.0]))
    onp.testing.assert_array_equal(g, [3.0, 2.0, 2.0])


def test_partition_kth_position_gets_its_element():
    x = onp.array([5.0, 1.0, 4.0, 2.0, 3.0])
    g = cr.grad(lambda a: cnp.partition(a, 2)[2])(x)
    onp.testing.assert_array_equal(g, [0, 0, 0, 0, 1.0])


def test_argpartition_and_lexsort_batch():
    xs = onp.stack([V, V[::-1], -V])
    got = cr.vmap(lambda a: cnp.argpartition(a, 2))(xs)
    for k in range(3):
        assert onp.sort(xs[k])[2] == xs[k][got[k][2]]
    keys = cr.vmap(lambda a: cnp.lexsort((a, -a)))(xs)
    onp.testing.assert_array_equal(keys, [onp.lexsort((r, -r)) for r in xs])


def test_apply_along_axis_falls_back_to_a_loop():
    def f(r):  # Python control flow on a value: not batchable
        return r * 2.0 if float(cr.stop_gradient(r)[0]) > 0 else r * -1.0

    with pytest.raises(TypeError):  # sanity: vmap cannot take it
        cr.vmap(f)(M)
    got = cnp.apply_along_axis(f, 1, M)
    onp.testing.assert_allclose(got, onp.apply_along_axis(f, 1, M))
    g = cr.grad(lambda a: cnp.sum(cnp.apply_along_axis(f, 1, a)))(M)
    onp.testing.assert_array_equal(g, onp.where(M[:, :1] > 0, 2.0, -1.0) * onp.ones_like(M))


def test_i0_derivative_is_i1():
    scipy_special = pytest.importorskip("scipy.special")
    x = onp.array([-2.0, -0.3, 0.0, 0.5, 3.0])
    onp.testing.assert_allclose(cr.elementwise_grad(cnp.i0)(x), scipy_special.i1(x), rtol=1e-13)
    # i1' = i0 - i1/x, 1/2 at 0
    want = scipy_special.i0(x) - onp.where(x == 0, 0.5, scipy_special.i1(x) /
                                            onp.where(x == 0, 1, x))
    got = cr.elementwise_grad(cr.elementwise_grad(cnp.i0))(x)
    onp.testing.assert_allclose(got, want, rtol=1e-12)


def test_importing_chainrule_does_not_import_scipy():
    import subprocess
    import sys

    code = "import sys, chainrule, chainrule.numpy; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_real_if_close_under_vmap_decides_for_the_whole_batch():
    out = cr.vmap(lambda a: cnp.real_if_close(a + 0j))(onp.stack([V, V]))
    assert not onp.iscomplexobj(out)
    out = cr.vmap(lambda a, b: cnp.real_if_close(a + 1j * b))(onp.stack([V, V]),
                                                             onp.stack([V * 0, V]))
    assert onp.iscomplexobj(out)
    onp.testing.assert_array_equal(out, onp.stack([V + 0j, V + 1j * V]))


def test_asarray_chkfinite_checks_traced_values():
    with pytest.raises(ValueError, match="infs or NaNs"):
        cr.grad(lambda a: cnp.sum(cnp.asarray_chkfinite(a * onp.inf)))(V)
    with pytest.raises(ValueError, match="infs or NaNs"):
        cr.vmap(lambda a: cnp.asarray_chkfinite(a * onp.inf))(onp.stack([V, V]))


# --- non-differentiable pass-throughs ---------------------------------------------------------

def test_passthroughs_see_values_under_grad():
    seen = {}

    def f(a):
        seen["allclose"] = cnp.allclose(a, a + 1e-12)
        seen["equal"] = cnp.array_equal(a, a)
        seen["equiv"] = cnp.array_equiv(a, a[:1])
        seen["str"] = cnp.array_str(a, precision=2)
        seen["repr"] = cnp.array_repr(a)
        seen["2string"] = cnp.array2string(a)
        seen["isin"] = cnp.isin(a, V[:2])
        seen["bits"] = cnp.packbits(a > 0)
        seen["fmt"] = cnp.format_float_positional(a[0], precision=3)
        seen["mst"] = cnp.min_scalar_type(a[0])
        return cnp.sum(a * a)

    cr.grad(f)(V)
    assert seen["allclose"] is True or seen["allclose"] == onp.True_
    assert bool(seen["equal"]) and not bool(seen["equiv"])
    assert seen["str"] == onp.array_str(V, precision=2)
    assert seen["repr"] == onp.array_repr(V)
    assert seen["2string"] == onp.array2string(V)
    onp.testing.assert_array_equal(seen["isin"], onp.isin(V, V[:2]))
    onp.testing.assert_array_equal(seen["bits"], onp.packbits(V > 0))
    assert seen["fmt"] == onp.format_float_positional(V[0], precision=3)
    assert seen["mst"] == onp.min_scalar_type(V[0])


def test_passthroughs_under_vmap_run_per_example():
    xs = onp.stack([V, V * 0.0, V[::-1]])
    got = cr.vmap(lambda a: cnp.allclose(a, V))(xs)
    onp.testing.assert_array_equal(got, [True, False, False])
    got = cr.vmap(lambda a: cnp.array_str(a, precision=1))(xs)
    assert list(got) == [onp.array_str(r, precision=1) for r in xs]
    got = cr.vmap(lambda a: cnp.isin(a, V[:3]))(xs)
    onp.testing.assert_array_equal(got, [onp.isin(r, V[:3]) for r in xs])
    with pytest.raises(TypeError, match="min_scalar_type.*vmap"):
        cr.vmap(lambda a: cnp.min_scalar_type(a[0]))(xs)


def test_passthroughs_from_plain_numpy_on_tracers():
    def f(a):
        assert onp.allclose(a, a)
        assert onp.array_equal(a, a)
        assert onp.array_str(a) == onp.array_str(V)
        return onp.sum(a)

    onp.testing.assert_array_equal(cr.grad(f)(V), onp.ones_like(V))


def test_dtype_and_shape_queries_on_tracers():
    def f(a):
        assert cnp.can_cast(a, onp.float32, casting="same_kind")
        assert cnp.common_type(a) is onp.float64
        assert cnp.isscalar(a) is False and cnp.iterable(a) and not cnp.isfortran(a)
        assert cnp.shares_memory(a, a) and not cnp.may_share_memory(a, V)
        assert cnp.broadcast_shapes(a.shape, (1, 6)) == (1, 6)
        assert cnp.issubdtype(a.dtype, onp.floating) and cnp.isdtype(a.dtype, "real floating")
        assert cnp.promote_types(a.dtype, onp.int8) == onp.float64
        return cnp.sum(a)

    cr.grad(f)(V)
    cr.vmap(f)(onp.stack([V, V]))


def test_config_windows_and_io_pass_through(tmp_path):
    with cnp.printoptions(precision=2):
        assert cnp.get_printoptions()["precision"] == 2
    old = cnp.seterr(all="ignore")
    assert cnp.geterr()["divide"] == "ignore"
    cnp.seterr(**old)
    onp.testing.assert_array_equal(cnp.hanning(5), onp.hanning(5))
    onp.testing.assert_array_equal(cnp.bartlett(4), onp.bartlett(4))
    onp.testing.assert_array_equal(cnp.mask_indices(3, cnp.triu), onp.mask_indices(3, onp.triu))
    path = tmp_path / "x.npy"

    def f(a):
        cnp.save(path, a)
        buf = io.StringIO()
        cnp.savetxt(buf, a)
        return cnp.sum(a * a)

    cr.grad(f)(V)
    onp.testing.assert_array_equal(cnp.load(path), V)
    with pytest.raises(TypeError, match="numpy.save cannot run under vmap"):
        cr.vmap(lambda a: cnp.save(path, a))(onp.stack([V, V]))


# --- in-place functions ------------------------------------------------------------------------

INPLACE = [
    ("copyto", lambda a: cnp.copyto(a, 1.0), "where"),
    ("fill_diagonal", lambda a: cnp.fill_diagonal(a, 0.0), "diag_indices_from"),
    ("place", lambda a: cnp.place(a, a > 0, [1.0]), r"\.at\[mask\]"),
    ("put", lambda a: cnp.put(a, [0], 1.0), r"\.at\[ind\]"),
    ("putmask", lambda a: cnp.putmask(a, a > 0, 1.0), "where"),
    ("put_along_axis", lambda a: cnp.put_along_axis(a, onp.zeros((3, 1), int), 1.0, 1),
     r"\.at\["),
]


@pytest.mark.parametrize("name,f,hint", INPLACE, ids=[t[0] for t in INPLACE])
def test_inplace_refuses_traced_arrays(name, f, hint):
    with pytest.raises(TypeError, match=f"numpy.{name} writes.*in place.*{hint}"):
        cr.grad(lambda a: cnp.sum(f(a) or a))(M)


def test_inplace_through_plain_numpy_and_on_plain_arrays():
    with pytest.raises(TypeError, match="fill_diagonal"):
        cr.grad(lambda a: onp.fill_diagonal(a, 0.0) or onp.sum(a))(M)
    with pytest.raises(TypeError, match="traced values into a plain array"):
        cr.grad(lambda a: onp.copyto(onp.zeros(6), a) or onp.sum(a))(V)
    a = M.copy()
    cnp.fill_diagonal(a, 7.0)
    b = M.copy()
    onp.fill_diagonal(b, 7.0)
    onp.testing.assert_array_equal(a, b)
    a = M.copy()
    cnp.put(a, [0, 5], [1.0, 2.0])
    assert a.flat[0] == 1.0 and a.flat[5] == 2.0


def test_the_functional_forms_named_in_the_errors_work():
    idx = onp.diag_indices_from(M[:3, :3])
    out = cr.grad(lambda a: cnp.sum(a.at[idx].set(0.0)))(M[:3, :3].copy())
    onp.testing.assert_array_equal(out, 1 - onp.eye(3))
    out = cr.grad(lambda a: cnp.sum(cnp.ravel(a).at[[0]].set(1.0).reshape(a.shape)))(M)
    assert out.flat[0] == 0 and out.sum() == M.size - 1


def test_module_doctests():
    for mod in (differences, utilities, _passthrough):
        assert doctest.testmod(mod, optionflags=doctest.ELLIPSIS).failed == 0, mod.__name__
