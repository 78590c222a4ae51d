"""chainrule.numpy.linalg: every function through check_all (order 2, both modes, vmap), values
against numpy.linalg, the documented conventions, dispatch from plain numpy.linalg, oracles.

The test functions are written with plain ``numpy.linalg`` calls: on arrays they give NumPy's
reference values, on traced values they dispatch to chainrule (so dispatch is tested too).
Non-unique outputs (signs, phases, completion columns) go through invariant functions.
"""

import numpy as np
import pytest
from helpers import check_all

import chainrule as cr
import chainrule.numpy.linalg as la
from chainrule.rules.linalg import _abs2, _real
from chainrule.test_util import check_grads

rng = np.random.default_rng(0)
inf = np.inf


def rand(*s):
    return rng.standard_normal(s)


def wc(*s):
    """Well-conditioned square matrices (a stack when len(s) > 2)."""
    return rand(*s) + s[-1] * np.eye(s[-1])


def spd(*s):
    x = rand(*s)
    return x @ np.swapaxes(x, -1, -2) + s[-1] * np.eye(s[-1])


def cwc(*s):
    return rand(*s) + 1j * rand(*s) + s[-1] * np.eye(s[-1])


def sym(a):
    return (a + np.swapaxes(a, -1, -2)) / 2


def T(a):
    return np.swapaxes(a, -1, -2)


def _eigh_inv(a, uplo="L"):
    w, v = np.linalg.eigh(sym(a), UPLO=uplo)
    return w, v * v, (v * w[..., None, :]) @ T(v)


def _eig_inv(a):
    w, v = np.linalg.eig(a)
    return w, _abs2(v), (v * w[..., None, :]) @ np.linalg.inv(v)


def _svd_red(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return u * u, s, vh * vh, (u * s[..., None, :]) @ vh


def _svd_full(a):
    u, s, vh = np.linalg.svd(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    u1, u2, v1, v2 = u[..., :, :k], u[..., :, k:], T(vh)[..., :, :k], T(vh)[..., :, k:]
    return s, (u1 * s[..., None, :]) @ T(v1), u2 @ T(u2), v2 @ T(v2), u1 * u1


def _qr_inv(a, mode="reduced"):
    q, r = np.linalg.qr(a, mode=mode)
    k = min(a.shape[-2:])
    q1 = q[..., :, :k]
    out = (q1 * q1, r * r, q @ r)
    if mode == "complete":
        q2 = q[..., :, k:]
        out += (q2 @ T(q2),)
    return out


# (id, function, args): every differentiable name of chainrule.numpy.linalg appears here.
CASES = [
    ("inv", np.linalg.inv, (wc(3, 3),)),
    ("inv-1x1", np.linalg.inv, (wc(1, 1),)),
    ("inv-stack", np.linalg.inv, (wc(2, 3, 3),)),
    ("inv-complex", np.linalg.inv, (cwc(3, 3),)),
    ("solve-vector", np.linalg.solve, (wc(3, 3), rand(3))),
    ("solve-matrix", np.linalg.solve, (wc(3, 3), rand(3, 2))),
    ("solve-stack-vector", np.linalg.solve, (wc(2, 3, 3), rand(3))),
    ("solve-stack-broadcast", np.linalg.solve, (wc(2, 3, 3), rand(3, 2))),
    ("solve-b-stack", np.linalg.solve, (wc(3, 3), rand(2, 3, 1))),
    ("solve-fixed-a", lambda b: np.linalg.solve(wc(3, 3) * 0 + np.diag([2.0, 3, 4]), b),
     (rand(3),)),
    ("solve-complex", np.linalg.solve, (cwc(3, 3), rand(3) + 1j * rand(3))),
    ("det", np.linalg.det, (wc(3, 3),)),
    ("det-stack", np.linalg.det, (wc(2, 2, 2),)),
    ("det-complex", np.linalg.det, (cwc(2, 2),)),
    ("slogdet", np.linalg.slogdet, (wc(3, 3),)),
    ("slogdet-negative", np.linalg.slogdet, (wc(3, 3) * np.array([[-1.0], [1], [1]]),)),
    ("slogdet-stack", np.linalg.slogdet, (wc(2, 3, 3),)),
    ("slogdet-complex", np.linalg.slogdet, (cwc(3, 3),)),
    ("cholesky", lambda a: np.linalg.cholesky(sym(a)), (spd(3, 3),)),
    ("cholesky-stack", lambda a: np.linalg.cholesky(sym(a)), (spd(2, 4, 4),)),
    ("cholesky-upper", lambda a: np.linalg.cholesky(sym(a), upper=True), (spd(3, 3),)),
    ("eigh", _eigh_inv, (spd(3, 3),)),
    ("eigh-stack", _eigh_inv, (spd(2, 4, 4),)),
    ("eigh-upper", lambda a: _eigh_inv(a, "U"), (spd(3, 3),)),
    ("eigvalsh", lambda a: np.linalg.eigvalsh(sym(a)), (spd(2, 3, 3),)),
    ("eig-real-spectrum", _eig_inv, (spd(3, 3) + 0.3 * rand(3, 3),)),
    ("eig-complex-pairs", _eig_inv, (np.array([[0.5, 2.0, 0.1], [-1.5, 0.3, 0.2],
                                               [0.1, 0.4, 2.0]]),)),
    ("eig-stack", lambda a: np.linalg.eig(a)[0], (rand(2, 3, 3),)),
    ("eig-complex-input", _eig_inv, (cwc(3, 3),)),
    ("eigvals", np.linalg.eigvals, (rand(3, 3),)),
    ("svd-tall", _svd_red, (rand(4, 3),)),
    ("svd-wide", _svd_red, (rand(2, 4),)),
    ("svd-square-stack", _svd_red, (rand(2, 3, 3),)),
    ("svd-full-tall", _svd_full, (rand(4, 2),)),
    ("svd-full-wide", _svd_full, (rand(2, 3),)),
    ("svd-full-stack", _svd_full, (rand(2, 3, 2),)),
    ("svd-no-uv", lambda a: np.linalg.svd(a, compute_uv=False), (rand(2, 4, 3),)),
    ("svdvals", np.linalg.svdvals, (rand(3, 2),)),
    ("qr-tall", _qr_inv, (rand(4, 3),)),
    ("qr-square-stack", _qr_inv, (rand(2, 3, 3),)),
    ("qr-wide", _qr_inv, (rand(2, 4),)),
    ("qr-complete", lambda a: _qr_inv(a, "complete"), (rand(4, 2),)),
    ("qr-r", lambda a: np.linalg.qr(a, mode="r") ** 2, (rand(3, 2),)),
    ("pinv-tall", np.linalg.pinv, (rand(4, 3),)),
    ("pinv-wide-stack", np.linalg.pinv, (rand(2, 2, 3),)),
    ("pinv-square", np.linalg.pinv, (wc(3, 3),)),
    ("matrix_power-0", lambda a: np.linalg.matrix_power(a, 0), (rand(3, 3),)),
    ("matrix_power-1", lambda a: np.linalg.matrix_power(a, 1), (rand(3, 3),)),
    ("matrix_power-3", lambda a: np.linalg.matrix_power(a, 3), (rand(2, 3, 3) * 0.5,)),
    ("matrix_power-6", lambda a: np.linalg.matrix_power(a, 6), (rand(2, 2) * 0.5,)),
    ("matrix_power--2", lambda a: np.linalg.matrix_power(a, -2), (wc(3, 3),)),
    ("matrix_power-complex", lambda a: np.linalg.matrix_power(a, 2), (cwc(2, 2),)),
    ("lstsq-tall-vector", lambda a, b: np.linalg.lstsq(a, b)[:2], (rand(5, 3), rand(5))),
    ("lstsq-tall-matrix", lambda a, b: np.linalg.lstsq(a, b)[::3], (rand(4, 2), rand(4, 2))),
    ("lstsq-square", lambda a, b: np.linalg.lstsq(a, b)[0], (wc(3, 3), rand(3))),
    ("lstsq-wide", lambda a, b: np.linalg.lstsq(a, b)[0], (rand(2, 3), rand(2))),
    ("multi_dot-3", lambda a, b, c: np.linalg.multi_dot([a, b, c]),
     (rand(3, 4), rand(4, 2), rand(2, 3))),
    ("multi_dot-vectors", lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
     (rand(3), rand(3, 4), rand(4, 2), rand(2))),
    ("multi_dot-first-1d", lambda a, b: np.linalg.multi_dot([a, b]), (rand(3), rand(3, 2))),
    ("tensorsolve", np.linalg.tensorsolve,
     ((rand(6, 6) + 6 * np.eye(6)).reshape(6, 2, 3), rand(6))),
    ("tensorsolve-axes", lambda a, b: np.linalg.tensorsolve(a, b, axes=(0,)),
     (np.moveaxis((rand(6, 6) + 6 * np.eye(6)).reshape(6, 3, 2), 2, 0), rand(6))),
    ("tensorinv", np.linalg.tensorinv, ((rand(6, 6) + 6 * np.eye(6)).reshape(2, 3, 6),)),
    ("tensorinv-ind1", lambda a: np.linalg.tensorinv(a, ind=1),
     ((rand(4, 4) + 4 * np.eye(4)).reshape(4, 2, 2),)),
    ("cond", np.linalg.cond, (wc(3, 3),)),
    ("cond-stack--2", lambda a: np.linalg.cond(a, -2), (wc(2, 3, 3),)),
    ("cond-1", lambda a: np.linalg.cond(a, 1), (wc(3, 3),)),
    ("cond-inf", lambda a: np.linalg.cond(a, inf), (wc(3, 3),)),
    ("cond-fro", lambda a: np.linalg.cond(a, "fro"), (wc(3, 3),)),
    ("cond-nuc", lambda a: np.linalg.cond(a, "nuc"), (wc(3, 3),)),
    ("vector_norm", np.linalg.vector_norm, (rand(2, 3),)),
    ("vector_norm-axes", lambda x: np.linalg.vector_norm(x, axis=(0, 2), keepdims=True, ord=3),
     (rand(2, 3, 2),)),
    ("vector_norm-inf", lambda x: np.linalg.vector_norm(x, axis=-1, ord=inf), (rand(3, 4),)),
    ("matrix_norm", np.linalg.matrix_norm, (rand(2, 3, 2),)),
    ("matrix_norm-nuc", lambda x: np.linalg.matrix_norm(x, ord="nuc", keepdims=True),
     (rand(2, 3, 2),)),
    ("trace", lambda x: np.linalg.trace(x, offset=1), (rand(2, 3, 4),)),
    ("diagonal", lambda x: np.linalg.diagonal(x, offset=-1), (rand(2, 3, 4),)),
    ("outer", np.linalg.outer, (rand(3), rand(2))),
    ("cross", np.linalg.cross, (rand(2, 3), rand(3))),
    ("cross-axis", lambda a, b: np.linalg.cross(a, b, axis=0), (rand(3, 2), rand(3, 2))),
    ("vecdot", np.linalg.vecdot, (rand(2, 4), rand(4))),
    ("vecdot-complex", np.linalg.vecdot, (rand(3) + 1j * rand(3), rand(3) + 1j * rand(3))),
    ("matrix_transpose", np.linalg.matrix_transpose, (rand(2, 3, 4),)),
    ("matmul", np.linalg.matmul, (rand(2, 3, 4), rand(4, 2))),
    ("tensordot", lambda a, b: np.linalg.tensordot(a, b, axes=1), (rand(2, 3), rand(3, 2))),
]

VECTOR_ORDS = [None, 1, 2, inf, -inf, 3, 0.5, -1.5, 0]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, inf, -inf]
NORM_CASES = (
    [(f"vector-{o}", lambda x, o=o: np.linalg.norm(x, o), (rand(5),)) for o in VECTOR_ORDS]
    + [(f"vector-axis-keepdims-{o}",
        lambda x, o=o: np.linalg.norm(x, o, axis=1, keepdims=True), (rand(2, 3, 2),))
       for o in VECTOR_ORDS]
    + [(f"matrix-{o}", lambda x, o=o: np.linalg.norm(x, o), (rand(3, 4),)) for o in MATRIX_ORDS]
    + [(f"matrix-axes-keepdims-{o}",
        lambda x, o=o: np.linalg.norm(x, o, axis=(2, 0), keepdims=True), (rand(3, 2, 2),))
       for o in MATRIX_ORDS]
    + [("all-entries", np.linalg.norm, (rand(2, 3, 2),)),
       ("all-entries-keepdims", lambda x: np.linalg.norm(x, keepdims=True), (rand(2, 3),)),
       ("complex-2", np.linalg.norm, (rand(3) + 1j * rand(3),)),
       ("complex-1", lambda x: np.linalg.norm(x, 1), (rand(3) + 1j * rand(3),)),
       ("complex-fro", lambda x: np.linalg.norm(x, "fro"), (rand(2, 2) + 1j * rand(2, 2),)),
       ("complex-inf", lambda x: np.linalg.norm(x, inf), (rand(3) + 1j * rand(3),))]
)

ALL = CASES + NORM_CASES


@pytest.mark.parametrize("f,args", [c[1:] for c in ALL], ids=[c[0] for c in ALL])
def test_derivatives(f, args):
    check_all(f, *args)


@pytest.mark.parametrize("f,args", [c[1:] for c in ALL], ids=[c[0] for c in ALL])
def test_traced_values_match_numpy(f, args):
    want = f(*args)   # plain arrays: numpy.linalg itself
    got, _ = cr.vjp(f, *args)   # traced: chainrule's functions
    for g, w in zip(cr.tree_leaves(got), cr.tree_leaves(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)
        assert np.shape(g) == np.shape(w)


def test_every_public_name_is_listed_and_tested():
    public = set(np.linalg.__all__) - {"LinAlgError"}
    assert public == set(la.DIFFERENTIABLE) | set(la.NONDIFFERENTIABLE)
    assert not set(la.DIFFERENTIABLE) & set(la.NONDIFFERENTIABLE)
    tested = {c[0].split("-")[0] for c in CASES} | {"norm"}
    assert set(la.DIFFERENTIABLE) <= tested


def test_result_types_are_numpys():
    a = spd(3, 3)
    r = cr.vjp(lambda a: la.eigh(a), a)[0]
    assert type(r).__name__ == "EighResult" and r.eigenvalues.shape == (3,)
    out = cr.jvp(lambda a: la.svd(a), (a,), (a,))[0]
    assert type(out).__name__ == "SVDResult"
    assert type(cr.vjp(la.qr, a)[0]).__name__ == "QRResult"
    assert type(cr.vjp(la.slogdet, a)[0]).__name__ == "SlogdetResult"


def test_matrix_rank_is_not_differentiable_and_batches():
    a = rand(2, 3, 3)
    a[1, 2] = a[1, 0]
    assert list(cr.vmap(la.matrix_rank)(a)) == [3, 2]
    assert list(cr.vmap(la.matrix_rank)(np.array([[0.0, 0], [1, 2]]))) == [0, 1]
    g = cr.grad(lambda a: la.matrix_rank(a) * 1.0 + np.sum(a))(a[0])
    np.testing.assert_allclose(g, np.ones((3, 3)))
    r = cr.vjp(lambda a: np.linalg.lstsq(a, np.ones(3))[2], a[1])[0]
    assert r == np.linalg.lstsq(a[1], np.ones(3))[2] == 2


def test_lstsq_rank_deficient_has_no_residuals():
    a = rand(4, 1) @ rand(1, 3)
    want = np.linalg.lstsq(a, np.ones(4))
    got = cr.vjp(lambda a: np.linalg.lstsq(a, np.ones(4)), a)[0]
    assert got[1].shape == want[1].shape == (0,)
    np.testing.assert_allclose(got[0], want[0], atol=1e-10)


# --- conventions -----------------------------------------------------------------------------

def _degenerate_spd():
    q, _ = np.linalg.qr(rand(3, 3))
    return q, q @ np.diag([1.0, 1.0, 3.0]) @ q.T


def test_eigh_repeated_eigenvalues_symmetric_functions():
    # sum(w^2) = ||A||_F^2: gradient 2A even though two eigenvalues coincide
    _, a = _degenerate_spd()
    g = cr.grad(lambda a: np.sum(np.linalg.eigvalsh(sym(a)) ** 2))(a)
    np.testing.assert_allclose(g, 2 * a, atol=1e-12)
    g = cr.grad(lambda a: np.sum(np.linalg.eigh(sym(a))[0]))(np.eye(3))
    np.testing.assert_allclose(g, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("block", [slice(0, 2), slice(2, 3)], ids=["degenerate", "simple"])
def test_eigh_repeated_eigenvalues_projectors(block):
    # projectors onto whole eigenspaces are smooth; the F = 0 convention is exact (order 1)
    _, a = _degenerate_spd()

    def proj(a):
        v = np.linalg.eigh(sym(a))[1][:, block]
        return v @ v.T

    check_grads(proj, a, order=1)


def test_eigh_repeated_eigenvalues_finite_eigenvector_derivative():
    jac = cr.jacobian(lambda a: np.linalg.eigh(sym(a))[1])(np.eye(3))
    assert np.all(np.isfinite(jac))


def test_svd_repeated_singular_values():
    # nuclear norm at an orthogonal Q (all singular values 1): gradient Q
    q, _ = _degenerate_spd()
    np.testing.assert_allclose(cr.grad(lambda a: np.linalg.norm(a, "nuc"))(q), q, atol=1e-12)
    check_grads(lambda a: np.linalg.norm(a, "nuc"), q, order=1)


def test_norm_at_zero_has_zero_gradient():
    for f in [np.linalg.norm, lambda x: np.linalg.norm(x, 3), lambda x: np.linalg.norm(x, 1)]:
        np.testing.assert_array_equal(cr.grad(f)(np.zeros(3)), np.zeros(3))
    np.testing.assert_array_equal(cr.grad(lambda x: np.linalg.norm(x, "fro"))(np.zeros((2, 2))),
                                  np.zeros((2, 2)))
    np.testing.assert_array_equal(cr.hessian(np.linalg.norm)(np.zeros(2)), np.zeros((2, 2)))
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(cr.jacobian(lambda x: np.linalg.norm(x, axis=1))(x),
                               [[[0, 0], [0, 0]], [[0, 0], [0.6, 0.8]]])


def test_norm_ties_share_the_gradient():
    x = np.array([1.0, -1.0, 0.5])
    np.testing.assert_allclose(cr.grad(lambda x: np.linalg.norm(x, inf))(x), [0.5, -0.5, 0])
    np.testing.assert_allclose(cr.grad(lambda x: np.linalg.norm(x, -inf))(x), [0, 0, 1])
    m = np.array([[1.0, -2.0], [2.0, 1.0]])   # both columns have abs-sum 3
    np.testing.assert_allclose(cr.grad(lambda m: np.linalg.norm(m, 1))(m),
                               0.5 * np.sign(m))
    assert cr.grad(lambda x: np.linalg.norm(x, inf))(x).dtype == np.float64


def test_norm_ord_zero_counts_without_derivative():
    x = np.array([0.0, 2.0, -1.0])
    assert cr.vjp(lambda x: np.linalg.norm(x, 0), x)[0] == 2.0
    np.testing.assert_array_equal(cr.grad(lambda x: np.linalg.norm(x, 0) + x[0])(x), [1, 0, 0])


def test_cholesky_gradient_is_symmetric():
    a = spd(3, 3)
    w = rand(3, 3)
    g = cr.grad(lambda a: np.sum(np.linalg.cholesky(a) * w))(a)
    np.testing.assert_allclose(g, g.T, atol=1e-12)
    # and on symmetric directions it is the derivative of the function NumPy computes
    s = sym(rand(3, 3))
    eps = 1e-6
    fd = (np.sum(np.linalg.cholesky(a + eps * s) * w)
          - np.sum(np.linalg.cholesky(a - eps * s) * w)) / (2 * eps)
    np.testing.assert_allclose(np.sum(g * s), fd, rtol=1e-6)


def test_slogdet_sign_of_real_matrix_has_zero_derivative():
    a = wc(3, 3)
    _, t = cr.jvp(lambda a: np.linalg.slogdet(a)[0], (a,), (rand(3, 3),))
    assert t == 0.0


def test_decomposition_of_complex_input_raises_a_clear_error():
    with pytest.raises(NotImplementedError, match="linalg.svd.*real inputs"):
        cr.jvp(lambda a: np.linalg.svd(a)[1], (cwc(2, 2),), (cwc(2, 2),))
    c = cwc(2, 2)
    c = c @ c.conj().T
    with pytest.raises(NotImplementedError, match="linalg.cholesky"):
        cr.vjp(np.linalg.cholesky, c)[1](c)


def test_errors_name_the_shape():
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        cr.grad(lambda a: np.sum(np.linalg.inv(a)))(rand(2, 3))
    with pytest.raises(ValueError, match="norm order"):
        cr.grad(lambda a: np.linalg.norm(a, "bad"))(rand(2, 3))
    with pytest.raises(TypeError, match="out="):
        cr.grad(lambda a: np.sum(np.linalg.multi_dot([a, a], out=np.zeros((2, 2)))))(rand(2, 2))


def test_second_order_through_mixed_transforms():
    a = spd(3, 3)

    def f(a):
        return np.linalg.slogdet(a)[1] + np.sum(np.linalg.eigvalsh(sym(a)) ** 3)

    h1 = cr.jacfwd(cr.jacrev(f))(a)
    h2 = cr.jacrev(cr.jacrev(f))(a)
    np.testing.assert_allclose(h1, h2, atol=1e-10)
    hs = cr.vmap(cr.hessian(f))(np.stack([a, a + np.eye(3)]))
    np.testing.assert_allclose(hs[0], h1, atol=1e-10)


# --- oracles: PyTorch (skipped when absent) ------------------------------------------------------

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _t_sym(a):
    return (a + a.transpose(-1, -2)) / 2


W3 = rand(3, 3)
W43 = rand(4, 3)
# (id, f(linalg_module, a, w), a, w): w is a fixed weight, converted to each framework's array
ORACLES = [
    ("inv", lambda L, a, w: (L.inv(a) * w).sum(), wc(3, 3), W3),
    ("det", lambda L, a, w: L.det(a) * w[0, 0], wc(3, 3), W3),
    ("slogdet", lambda L, a, w: L.slogdet(a)[1] * w[0, 0], wc(3, 3), W3),
    ("solve", lambda L, a, w: (L.solve(a, w) * w).sum(), wc(3, 3), W3),
    ("pinv", lambda L, a, w: (L.pinv(a) * w).sum(), rand(4, 3), W43.T),
    ("norm-nuc", lambda L, a, w: L.matrix_norm(a * w, ord="nuc"), rand(4, 3), W43),
    ("norm-2", lambda L, a, w: L.matrix_norm(a * w, ord=2), rand(4, 3), W43),
    ("norm-inf", lambda L, a, w: L.vector_norm(a * w, ord=inf), rand(4, 3), W43),
    ("cholesky", lambda L, a, w: (L.cholesky((a + a.T) / 2) * w).sum(), spd(3, 3), W3),
    ("eigh", lambda L, a, w: (L.eigh((a + a.T) / 2)[0] * w[0]).sum()
     + ((L.eigh((a + a.T) / 2)[1] ** 2) * w).sum(), spd(3, 3), W3),
]


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("f,a,w", [c[1:] for c in ORACLES], ids=[c[0] for c in ORACLES])
def test_oracle_torch(f, a, w):
    ta = torch.tensor(a, requires_grad=True)
    f(torch.linalg, ta, torch.tensor(w)).backward()
    g = cr.grad(lambda a: f(la, a, w))(a)
    np.testing.assert_allclose(g, ta.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_oracle_torch_svd_qr_eig():
    a = rand(4, 3)
    ta = torch.tensor(a, requires_grad=True)
    u, s, vh = torch.linalg.svd(ta, full_matrices=False)
    q, r = torch.linalg.qr(ta)
    ((u * s[None, :]) @ vh * torch.tensor(W43)).sum().backward(retain_graph=True)
    ((q ** 2 * torch.tensor(W43)).sum() + (r ** 2 * torch.tensor(W3)).sum()).backward()

    def f(a):
        u, s, vh = la.svd(a, full_matrices=False)
        q, r = la.qr(a)
        return np.sum((u * s[None, :]) @ vh * W43) + np.sum(q ** 2 * W43) + np.sum(r ** 2 * W3)

    np.testing.assert_allclose(cr.grad(f)(a), ta.grad.numpy(), rtol=1e-7, atol=1e-9)
    b = spd(3, 3) + 0.3 * rand(3, 3)
    tb = torch.tensor(b, requires_grad=True)
    c = rand(3) + 1j * rand(3)
    (torch.linalg.eigvals(tb) * torch.tensor(c)).real.sum().backward()
    g = cr.grad(lambda b: np.sum(_real(la.eigvals(b) * c)))(b)
    np.testing.assert_allclose(g, tb.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_real_inputs_get_real_cotangents():
    a, b = wc(3, 3), rand(3) + 1j * rand(3)
    g = cr.grad(lambda a: np.sum(_real(np.linalg.solve(a, b) ** 2)))(a)
    assert g.dtype == np.float64
    eps = 1e-6
    d = rand(3, 3)
    fd = (np.sum(np.real(np.linalg.solve(a + eps * d, b) ** 2))
          - np.sum(np.real(np.linalg.solve(a - eps * d, b) ** 2))) / (2 * eps)
    np.testing.assert_allclose(np.sum(g * d), fd, rtol=1e-6)
    g = cr.grad(lambda a: np.sum(_real(np.linalg.eigvals(a) ** 2)))(rand(3, 3))
    assert g.dtype == np.float64
