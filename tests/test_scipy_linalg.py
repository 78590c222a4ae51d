"""chainrule.scipy.linalg: values against SciPy, derivatives (order 2, both modes, vmap) for
every function, closed forms (Fréchet derivatives, det), batching and band storage."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
from helpers import check_all

import chainrule as cr
import chainrule.scipy.linalg as cl

rng = np.random.default_rng(0)


def spd(n, rng=rng):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def wellcond(n, rng=rng):
    return rng.normal(size=(n, n)) + 2 * n ** 0.5 * np.eye(n)


A3 = wellcond(3)
A4 = rng.normal(size=(4, 4))  # needs row pivoting in LU
S3 = spd(3)
B32 = rng.normal(size=(3, 2))
B3 = rng.normal(size=3)
AB = np.vstack([rng.normal(size=(1, 5)), 4 + rng.normal(size=(1, 5)), rng.normal(size=(2, 5))])

# name, chainrule fn, scipy fn, args
TABLE = [
    ("solve_triangular_lower", lambda a, b: cl.solve_triangular(a, b, lower=True),
     lambda a, b: sl.solve_triangular(a, b, lower=True), (A3, B32)),
    ("solve_triangular_T_unit", lambda a, b: cl.solve_triangular(a, b, trans="T",
                                                                 unit_diagonal=True),
     lambda a, b: sl.solve_triangular(a, b, trans="T", unit_diagonal=True), (A3, B3)),
    ("solve_triangular_C", lambda a, b: cl.solve_triangular(a, b, trans=2, lower=True),
     lambda a, b: sl.solve_triangular(a, b, trans=2, lower=True), (A3, B3)),
    ("solve", cl.solve, sl.solve, (A3, B32)),
    ("solve_vec", cl.solve, sl.solve, (A3, B3)),
    ("solve_pos", lambda a, b: cl.solve(a, b, assume_a="pos"),
     lambda a, b: sl.solve(a, b, assume_a="pos"), (S3, B32)),
    ("solve_sym_lower", lambda a, b: cl.solve(a, b, assume_a="sym", lower=True),
     lambda a, b: sl.solve(a, b, assume_a="sym", lower=True), (S3 + np.triu(A3, 1), B3)),
    ("solve_transposed", lambda a, b: cl.solve(a, b, transposed=True),
     lambda a, b: sl.solve(a, b, transposed=True), (A3, B3)),
    ("inv", cl.inv, sl.inv, (A3,)),
    ("det", cl.det, sl.det, (A3,)),
    ("cholesky", cl.cholesky, sl.cholesky, (S3,)),
    ("cholesky_lower", lambda a: cl.cholesky(a, lower=True),
     lambda a: sl.cholesky(a, lower=True), (S3,)),
    ("cho_solve", lambda a, b: cl.cho_solve(cl.cho_factor(a), b),
     lambda a, b: sl.cho_solve(sl.cho_factor(a), b), (S3, B32)),
    ("cho_solve_lower", lambda a, b: cl.cho_solve(cl.cho_factor(a, lower=True), b),
     lambda a, b: sl.cho_solve(sl.cho_factor(a, lower=True), b), (S3, B3)),
    ("lu_factor", lambda a: cl.lu_factor(a)[0], lambda a: sl.lu_factor(a)[0], (A4,)),
    ("lu_solve", lambda a, b: cl.lu_solve(cl.lu_factor(a), b),
     lambda a, b: sl.lu_solve(sl.lu_factor(a), b), (A4, rng.normal(size=(4, 2)))),
    ("lu_solve_T", lambda a, b: cl.lu_solve(cl.lu_factor(a), b, trans=1),
     lambda a, b: sl.lu_solve(sl.lu_factor(a), b, trans=1), (A4, rng.normal(size=4))),
    ("expm", cl.expm, sl.expm, (0.5 * A3,)),
    ("logm", cl.logm, sl.logm, (S3 / 4,)),
    ("sqrtm", cl.sqrtm, sl.sqrtm, (S3,)),
    ("solve_sylvester", cl.solve_sylvester, sl.solve_sylvester, (A3, S3, B32 @ B32.T)),
    ("solve_banded", lambda ab, b: cl.solve_banded((1, 2), ab, b),
     lambda ab, b: sl.solve_banded((1, 2), ab, b), (AB, rng.normal(size=5))),
    ("solve_banded_lower", lambda ab, b: cl.solve_banded((2, 0), ab, b),
     lambda ab, b: sl.solve_banded((2, 0), ab, b), (AB[1:], rng.normal(size=(5, 2)))),
    ("block_diag", cl.block_diag, sl.block_diag,
     (rng.normal(size=(2, 2)), rng.normal(size=3), np.array(1.5), rng.normal(size=(1, 2)))),
    ("expm_frechet", lambda a, e: cl.expm_frechet(a, e)[1], lambda a, e: sl.expm_frechet(a, e)[1],
     (0.5 * A3, B32 @ B32.T)),
    # NumPy's linear algebra under SciPy's names (sign- and phase-invariant uses)
    ("eigvalsh", cl.eigvalsh, sl.eigvalsh, (S3,)),
    ("eigh_upper_vecs_sq", lambda a: cl.eigh(a, lower=False)[1] ** 2,
     lambda a: sl.eigh(a, lower=False)[1] ** 2, (S3 + np.triu(A3, 1),)),
    ("svdvals", cl.svdvals, sl.svdvals, (A4,)),
    ("svd_product", lambda a: (lambda u, s, vh: u @ np.diag(s) @ vh if not cr.core.is_tracer(s)
                                else u * s @ vh)(*cl.svd(a, full_matrices=False)),
     lambda a: a, (rng.normal(size=(4, 3)),)),
    ("qr_economic_r_sq", lambda a: cl.qr(a, mode="economic")[1] ** 2,
     lambda a: sl.qr(a, mode="economic")[1] ** 2, (rng.normal(size=(4, 3)),)),
    ("qr_r", lambda a: cl.qr(a, mode="r")[0] ** 2, lambda a: sl.qr(a, mode="r")[0] ** 2, (A3,)),
    ("norm", cl.norm, sl.norm, (A3,)),
    ("norm_2", lambda a: cl.norm(a, 2), lambda a: sl.norm(a, 2), (A3,)),
    ("pinv", cl.pinv, sl.pinv, (rng.normal(size=(4, 3)),)),
    ("lstsq", lambda a, b: cl.lstsq(a, b)[0], lambda a, b: sl.lstsq(a, b)[0],
     (rng.normal(size=(5, 3)), rng.normal(size=5))),
]


@pytest.mark.parametrize("name,f,ref,args", TABLE, ids=[t[0] for t in TABLE])
def test_values_match_scipy(name, f, ref, args):
    np.testing.assert_allclose(f(*args), ref(*args), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,f,ref,args", TABLE, ids=[t[0] for t in TABLE])
def test_grads(name, f, ref, args):
    check_all(f, *args)


def test_eig_and_qr_full():
    w, v = cl.eig(A3)
    ws = sl.eigvals(A3)
    np.testing.assert_allclose(np.sort_complex(w), np.sort_complex(ws), rtol=1e-12)
    q, r = cl.qr(A4)
    np.testing.assert_allclose(q @ r, A4, atol=1e-12)
    assert q.shape == (4, 4)
    check_all(lambda a: cl.qr(a)[0] @ cl.qr(a)[1], A4)


# --- batches: leading dims --------------------------------------------------------------------

BATCHED = [
    ("expm", cl.expm, sl.expm, (0.3 * np.stack([A3, -A3]),)),
    ("sqrtm", cl.sqrtm, sl.sqrtm, (np.stack([S3, spd(3)]),)),
    ("solve_triangular", lambda a, b: cl.solve_triangular(a, b, lower=True),
     lambda a, b: np.stack([sl.solve_triangular(a[i], b[i], lower=True) for i in range(2)]),
     (np.stack([A3, wellcond(3)]), rng.normal(size=(2, 3, 2)))),
    ("lu_solve", lambda a, b: cl.lu_solve(cl.lu_factor(a), b),
     lambda a, b: np.stack([sl.lu_solve(sl.lu_factor(a[i]), b[i]) for i in range(2)]),
     (np.stack([A4, wellcond(4)]), rng.normal(size=(2, 4, 1)))),
    ("cholesky", cl.cholesky, lambda a: np.stack([sl.cholesky(x) for x in a]),
     (np.stack([S3, spd(3)]),)),
]


@pytest.mark.parametrize("name,f,ref,args", BATCHED, ids=[t[0] for t in BATCHED])
def test_batched(name, f, ref, args):
    np.testing.assert_allclose(f(*args), ref(*args), rtol=1e-10, atol=1e-12)
    check_all(f, *args, order=1)


# --- closed forms -------------------------------------------------------------------------------

def test_expm_jvp_is_scipy_frechet():
    e = rng.normal(size=(3, 3))
    _, t = cr.jvp(cl.expm, (0.5 * A3,), (e,))
    np.testing.assert_allclose(t, sl.expm_frechet(0.5 * A3, e)[1], rtol=1e-10, atol=1e-12)
    # the VJP is the Fréchet derivative at A^T
    g = rng.normal(size=(3, 3))
    _, pull = cr.vjp(cl.expm, 0.5 * A3)
    np.testing.assert_allclose(pull(g)[0], sl.expm_frechet(0.5 * A3.T, g)[1], rtol=1e-10,
                               atol=1e-12)


def test_logm_and_sqrtm_invert_their_inverses():
    # d/dt logm(expm(A + tE)) = E at t = 0, for A with small eigenvalues
    a = 0.3 * A3 / np.linalg.norm(A3, 2)
    e = rng.normal(size=(3, 3))
    _, t = cr.jvp(lambda x: cl.logm(cl.expm(x)), (a,), (e,))
    np.testing.assert_allclose(t, e, rtol=1e-9, atol=1e-10)
    _, t = cr.jvp(lambda x: cl.sqrtm(x) @ cl.sqrtm(x), (S3,), (e,))
    np.testing.assert_allclose(t, e, rtol=1e-9, atol=1e-10)


def test_det_gradient_is_cofactor():
    np.testing.assert_allclose(cr.grad(cl.det)(A3), np.linalg.det(A3) * np.linalg.inv(A3).T,
                               rtol=1e-10)


def test_cholesky_reads_one_triangle():
    # garbage in the unread triangle changes neither value nor derivative
    junk = S3 + np.triu(rng.normal(size=(3, 3)), 1)
    np.testing.assert_allclose(cl.cholesky(junk, lower=True), sl.cholesky(S3, lower=True))
    g = cr.grad(lambda a: cr.numpy.sum(cl.cholesky(a, lower=True) ** 2))(junk)
    assert np.all(np.triu(g, 1) == 0)
    # on symmetric directions it agrees with the full symmetric derivative: d tr(L L^T) = tr
    np.testing.assert_allclose(np.tril(g) + np.tril(g, -1).T, np.eye(3) + 0 * g, atol=1e-12)


def test_cho_solve_accepts_scipy_factor():
    c = sl.cho_factor(S3)  # SciPy's factor, junk in the lower triangle
    np.testing.assert_allclose(cl.cho_solve(c, B3), sl.cho_solve(c, B3), rtol=1e-12)
    g = cr.grad(lambda cc: cr.numpy.sum(cl.cho_solve((cc, False), B3)))(c[0])
    assert np.all(np.tril(g, -1) == 0)


def test_banded_matches_dense():
    # band storage derivative = the dense derivative read at the band
    n, lo, up = 5, 1, 2
    dense = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if -lo <= j - i <= up:
                dense[i, j] = AB[up + i - j, j]
    b = rng.normal(size=n)
    gd = cr.grad(lambda a: cr.numpy.sum(cl.solve(a, b) ** 2))(dense)
    gb = cr.grad(lambda ab: cr.numpy.sum(cl.solve_banded((lo, up), ab, b) ** 2))(AB)
    for i in range(n):
        for j in range(n):
            if -lo <= j - i <= up:
                np.testing.assert_allclose(gb[up + i - j, j], gd[i, j], rtol=1e-10)


def test_errors():
    with pytest.raises(ValueError, match="trans"):
        cl.solve_triangular(A3, B3, trans="X")
    with pytest.raises(NotImplementedError, match="qr"):
        cl.qr(A3, pivoting=True)
    with pytest.raises(ValueError, match="block_diag"):
        cl.block_diag(np.ones((2, 2, 2)))


def test_lists_complete():
    for name in cl.DIFFERENTIABLE:
        assert callable(getattr(cl, name)) and hasattr(sl, name), name
