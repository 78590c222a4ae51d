"""Order statistics, covariances and histograms (chainrule.rules.statistics).

Each table entry is ``(id, f, args)`` with ``f(m, *args)`` written once against a module
``m``: NumPy gives the reference values, and chainrule's values are compared with it both on
plain arguments and on traced ones (the composite path). Then check_all runs check_grads
(order 2, both modes), vmap against a loop, and derivatives under vmap. Outputs are squared
so that second derivatives are not trivially zero.
"""

import doctest
import warnings

import numpy as onp
import pytest
from helpers import check_all, square_floats, traced_call

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.rules import statistics

pytestmark = pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")

rng = onp.random.default_rng(7)
V7 = rng.standard_normal(7)
V6 = rng.standard_normal(6)
M = rng.standard_normal((3, 5))
B = rng.standard_normal((2, 3, 4))
MN = M.copy()
MN[0, 1] = MN[2, 4] = MN[2, 0] = onp.nan
MN_ALLNAN = MN.copy()
MN_ALLNAN[1] = onp.nan
Q = onp.array([0.15, 0.5, 0.85])
QT = onp.array([0.15, 0.45, 0.85])  # traced q: away from data points (a kink in q there)
W5 = onp.abs(rng.standard_normal(5)) + 0.2
HX = onp.array([0.1, 0.35, 0.4, 0.72, 0.9, 0.05, 0.55, 0.61])
HW = onp.abs(rng.standard_normal(8)) + 0.1




def _values_match(f, args, rtol=1e-11):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = f(onp, *args)
        got_plain = f(cnp, *args)
        got_traced = traced_call(f, args)
    wl = cr.tree_leaves(want)
    for got in (got_plain, got_traced):
        gl = cr.tree_leaves(got)
        assert len(wl) == len(gl)
        for w, g in zip(wl, gl):
            assert onp.shape(w) == onp.shape(g), (onp.shape(w), onp.shape(g))
            onp.testing.assert_allclose(onp.asarray(g), onp.asarray(w), rtol=rtol, atol=1e-12)


def _run(f, args, vmap=True, **tol):
    _values_match(f, args)
    check_all(lambda *a: square_floats(f(cnp, *a)), *args, vmap=vmap, **tol)


def _nan_safe(f):
    """Zero out NaN results (all-NaN slices) so that derivative checks compare numbers."""
    return lambda m, *a: m.nan_to_num(f(m, *a))


QUANTILES = [
    ("median_odd", lambda m, x: m.median(x), [V7]),
    ("median_even", lambda m, x: m.median(x), [V6]),
    ("median_axis", lambda m, x: m.median(x, axis=1), [M]),
    ("median_axis0_even", lambda m, x: m.median(x, axis=0), [B[0].T.copy()]),
    ("median_tuple_keepdims", lambda m, x: m.median(x, axis=(0, 2), keepdims=True), [B]),
    ("median_nan_slice", _nan_safe(lambda m, x: m.median(x, axis=1)), [MN]),
    ("nanmedian", lambda m, x: m.nanmedian(x, axis=1), [MN]),
    ("nanmedian_keepdims", lambda m, x: m.nanmedian(x, axis=0, keepdims=True), [MN]),
    ("nanmedian_all_nan_row", _nan_safe(lambda m, x: m.nanmedian(x, axis=1)), [MN_ALLNAN]),
    ("nanmedian_flat", lambda m, x: m.nanmedian(x), [MN]),
    ("quantile_scalar", lambda m, x: m.quantile(x, 0.3), [V7]),
    ("quantile_vector_axis", lambda m, x: m.quantile(x, Q, axis=1), [M]),
    ("quantile_keepdims", lambda m, x: m.quantile(x, Q, axis=(1,), keepdims=True), [B]),
    ("quantile_traced_q", lambda m, x, q: m.quantile(x, q, axis=-1), [M, QT]),
    ("quantile_traced_scalar_q", lambda m, x, q: m.quantile(x, q), [V7, onp.asarray(0.37)]),
    ("percentile", lambda m, x: m.percentile(x, [10.0, 62.5], axis=0), [M]),
    ("percentile_traced_q", lambda m, x, q: m.percentile(x, q), [V6, onp.array([12.0, 71.0])]),
    ("nanquantile", lambda m, x: m.nanquantile(x, Q, axis=1), [MN]),
    ("nanquantile_traced_q", lambda m, x, q: m.nanquantile(x, q, axis=1), [MN, QT]),
    ("nanpercentile_keepdims", lambda m, x: m.nanpercentile(x, 40.0, axis=1, keepdims=True),
     [MN]),
    ("nanquantile_all_nan_row", _nan_safe(lambda m, x: m.nanquantile(x, Q, axis=1)),
     [MN_ALLNAN]),
]
METHODS = ["linear", "weibull", "hazen", "interpolated_inverted_cdf", "median_unbiased",
           "normal_unbiased", "lower", "higher", "nearest", "midpoint", "inverted_cdf",
           "averaged_inverted_cdf", "closest_observation"]

COV = [
    ("cov", lambda m, x: m.cov(x), [M]),
    ("cov_rowvar_bias", lambda m, x: m.cov(x, rowvar=False, bias=True), [M.T.copy()]),
    ("cov_1d", lambda m, x: m.cov(x), [V7]),
    ("cov_y", lambda m, x, y: m.cov(x, y), [M, M[:1] * 2.0 + 0.3]),
    ("cov_ddof", lambda m, x: m.cov(x, ddof=2), [M]),
    ("cov_fweights", lambda m, x: m.cov(x, fweights=[1, 3, 2, 1, 2]), [M]),
    ("cov_aweights", lambda m, x, w: m.cov(x, aweights=w), [M, W5]),
    ("cov_both_weights", lambda m, x, w: m.cov(x, fweights=[2, 1, 1, 3, 1], aweights=w),
     [M, W5]),
    ("cov_complex", lambda m, x: m.real(m.cov(x * (1 + 0.5j))), [M]),
    ("corrcoef", lambda m, x: m.corrcoef(x), [M]),
    ("corrcoef_xy", lambda m, x, y: m.corrcoef(x, y, rowvar=False), [M.T.copy(), V6[:5] ** 2]),
]

HIST = [
    ("histogram_weights", lambda m, x, w: m.histogram(x, bins=4, weights=w), [HX, HW]),
    ("histogram_weights_range", lambda m, x, w: m.histogram(x, 3, range=(0.0, 0.8),
                                                            weights=w), [HX, HW]),
    ("histogram_weights_density", lambda m, x, w: m.histogram(x, [0.0, 0.3, 0.5, 1.0],
                                                              density=True, weights=w),
     [HX, HW]),
    ("histogram_density_edges", lambda m, x: m.histogram(x, bins=5, density=True), [HX]),
    ("histogram_edges_only", lambda m, x: m.histogram(x, bins=3)[1], [HX]),
    ("histogram_bin_edges", lambda m, x: m.histogram_bin_edges(x, 6), [HX]),
    ("histogram2d_weights", lambda m, x, y, w: m.histogram2d(x, y, bins=(2, 3), weights=w),
     [HX, HX[::-1].copy(), HW]),
    ("histogramdd_weights", lambda m, s, w: m.histogramdd(s, bins=2, weights=w),
     [onp.stack([HX, HX ** 2], 1), HW]),
    ("histogramdd_density", lambda m, s: m.histogramdd(s, bins=(2, 3), density=True)[0],
     [onp.stack([HX, HX ** 2], 1)]),
    ("bincount_weights", lambda m, w: m.bincount(onp.array([0, 3, 3, 1, 0, 5, 3, 1]), w), [HW]),
    ("bincount_minlength", lambda m, w: m.bincount(onp.array([1, 1, 2]), w, minlength=6),
     [HW[:3].copy()]),
]
# Sets whose bins are read from values that vmap's noise would move across bin edges.
NO_VMAP = {"histogram_weights", "histogram_weights_range", "histogram_weights_density",
           "histogram2d_weights", "histogramdd_weights"}


@pytest.mark.parametrize("name,f,args", QUANTILES, ids=[t[0] for t in QUANTILES])
def test_quantiles(name, f, args):
    _run(f, args)


@pytest.mark.parametrize("method", METHODS)
def test_quantile_methods(method):
    q = onp.array([0.0, 0.1, 0.3, 0.5, 0.64, 1.0])
    _run(lambda m, x: m.quantile(x, q, axis=1, method=method), [M])


@pytest.mark.parametrize("name,f,args", COV, ids=[t[0] for t in COV])
def test_cov_corrcoef(name, f, args):
    _run(f, args)


@pytest.mark.parametrize("name,f,args", HIST, ids=[t[0] for t in HIST])
def test_histograms(name, f, args):
    _run(f, args, vmap=name not in NO_VMAP)


# --- conventions ---------------------------------------------------------------------------------

def test_median_even_count_splits_evenly():
    x = onp.array([4.0, 1.0, 3.0, 2.0])
    onp.testing.assert_array_equal(cr.grad(cnp.median)(x), [0.0, 0.0, 0.5, 0.5])
    x = onp.array([4.0, 1.0, 3.0, 2.0, 0.0])
    onp.testing.assert_array_equal(cr.grad(cnp.median)(x), [0.0, 0.0, 0.0, 1.0, 0.0])


def test_median_ties_follow_stable_sort():
    # sorted order: 1 (x1), 2 (x0), 2 (x2), 5: the middle pair is x0 and x2
    x = onp.array([2.0, 1.0, 2.0, 5.0])
    onp.testing.assert_array_equal(cr.grad(cnp.median)(x), [0.5, 0.0, 0.5, 0.0])
    # odd count, a tie at the middle: the stable sort orders x1, x2, x0, so the middle
    # position holds x2
    x = onp.array([3.0, 2.0, 2.0])
    onp.testing.assert_array_equal(cr.grad(cnp.median)(x), [0.0, 0.0, 1.0])


def test_percentile_at_a_data_point():
    x = onp.array([10.0, 0.0, 20.0, 30.0, 40.0])  # n = 5: q = 25% is order statistic 1
    g = cr.grad(lambda a: cnp.percentile(a, 25.0))(x)
    onp.testing.assert_array_equal(g, [1.0, 0.0, 0.0, 0.0, 0.0])
    # derivative in q at a data point: the segment to the right, (20 - 10) * (n - 1) / 100
    dq = cr.grad(lambda q: cnp.percentile(x, q))(25.0)
    onp.testing.assert_allclose(dq, 10.0 * 4 / 100)
    # at q = 100 the index is clamped to the maximum: all to it, derivative in q is 0
    onp.testing.assert_array_equal(cr.grad(lambda a: cnp.percentile(a, 100.0))(x),
                                   [0, 0, 0, 0, 1.0])
    assert cr.grad(lambda q: cnp.quantile(x, q))(1.0) == 0.0


def test_quantile_between_points_and_discrete_methods():
    x = onp.array([0.0, 1.0, 3.0, 6.0])
    g = cr.grad(lambda a: cnp.quantile(a, 0.5))(x)  # index 1.5: halfway between 1 and 3
    onp.testing.assert_allclose(g, [0, 0.5, 0.5, 0])
    onp.testing.assert_allclose(cr.grad(lambda q: cnp.quantile(x, q))(0.5), 2.0 * 3)
    assert cr.grad(lambda q: cnp.quantile(x, q, method="lower"))(0.5) == 0.0
    onp.testing.assert_allclose(cr.grad(lambda a: cnp.quantile(a, 0.5, method="higher"))(x),
                                [0, 0, 1.0, 0])


def test_nan_slices():
    g = cr.grad(lambda a: cnp.sum(cnp.nan_to_num(cnp.median(a, axis=1))))(MN)
    assert onp.all(g[0] == 0) and onp.all(g[2] == 0)  # rows holding a NaN: NaN, derivative 0
    assert onp.isfinite(g).all()
    g = cr.grad(lambda a: cnp.sum(cnp.nanmedian(a, axis=1)))(MN)
    assert onp.all(g[onp.isnan(MN)] == 0)
    onp.testing.assert_allclose(g.sum(axis=1), 1.0)


def test_nan_quantile_under_vmap_uses_each_examples_count():
    xs = onp.stack([MN[0], MN[1], MN[2]])
    got = cr.vmap(lambda r: cnp.nanquantile(r, 0.4))(xs)
    onp.testing.assert_allclose(got, onp.nanquantile(xs, 0.4, axis=1))


def test_quantile_checks_q_and_methods():
    with pytest.raises(ValueError, match="range"):
        cr.grad(lambda a: cnp.quantile(a, 1.5))(V7)
    with pytest.raises(ValueError, match="Percentiles"):
        cr.grad(lambda a: cnp.percentile(a, 150.0))(V7)
    with pytest.raises(ValueError, match="not a valid method"):
        cr.grad(lambda a: cnp.quantile(a, 0.5, method="foo"))(V7)
    with pytest.raises(NotImplementedError, match="weights"):
        cr.grad(lambda a: cnp.quantile(a, 0.5, method="inverted_cdf", weights=a))(V7)


def test_corrcoef_diagonal_has_no_derivative():
    j = cr.jacobian(lambda a: cnp.diagonal(cnp.corrcoef(a)))(M)
    onp.testing.assert_allclose(j, 0.0, atol=1e-12)


def test_histogram_counts_are_piecewise_constant_in_the_sample():
    # counts with bins given: derivative 0 in x; weights: 1 for the bin each sample lands in
    g = cr.grad(lambda x: cnp.sum(cnp.histogram(x, bins=[0.0, 0.5, 1.0])[0] * 1.0))(HX)
    onp.testing.assert_array_equal(g, 0.0)
    j = cr.jacobian(lambda w: cnp.histogram(HX, bins=[0.0, 0.5, 1.0], weights=w)[0])(HW)
    want = onp.stack([(HX < 0.5), (HX >= 0.5)]).astype(float)
    onp.testing.assert_array_equal(j, want)


def test_histogram_batched_sample_with_traced_weights_is_refused():
    with pytest.raises(TypeError, match="same for every example"):
        cr.vmap(lambda x, w: cnp.histogram(x, 3, weights=w)[0])(onp.stack([HX, HX]),
                                                                onp.stack([HW, HW]))


def test_histogram_under_vmap_matches_a_loop():
    xs = onp.stack([HX, HX ** 2, onp.sqrt(HX)])
    hist, edges = cr.vmap(lambda x: cnp.histogram(x, bins=4))(xs)
    for k in range(3):
        h, e = onp.histogram(xs[k], bins=4)
        onp.testing.assert_array_equal(hist[k], h)
        onp.testing.assert_allclose(edges[k], e, rtol=1e-13)


def test_bincount_and_digitize_pass_through():
    x = onp.array([0, 1, 1, 3])
    onp.testing.assert_array_equal(cnp.bincount(x), onp.bincount(x))
    d = cr.vmap(lambda v: cnp.digitize(v, [0.2, 0.5]))(onp.stack([HX, HX[::-1]]))
    onp.testing.assert_array_equal(d, onp.stack([onp.digitize(HX, [0.2, 0.5]),
                                                 onp.digitize(HX[::-1], [0.2, 0.5])]))
    with pytest.raises(TypeError, match="bincount"):
        cr.vmap(lambda w: cnp.bincount(cnp.astype(w * 3, int)))(onp.ones((2, 3)))


def test_plain_numpy_dispatches():
    g = cr.grad(lambda a: onp.median(a) + onp.percentile(a, 30) + onp.sum(onp.cov(a, a)))(V7)
    want = cr.grad(lambda a: cnp.median(a) + cnp.percentile(a, 30) + cnp.sum(cnp.cov(a, a)))(V7)
    onp.testing.assert_allclose(g, want)


def test_module_doctest():
    assert doctest.testmod(statistics, optionflags=doctest.ELLIPSIS).failed == 0
