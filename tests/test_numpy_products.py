"""Products: einsum (every kind of subscript), dot, tensordot, inner, outer, vdot, kron,
cross, convolve, correlate, polyval: values against NumPy, then check_all (check_grads order 2
in both modes, vmap, derivatives under vmap).

Products are multilinear, so the checked functions are the products themselves: their
second derivatives (cross terms between operands) are not zero.
"""

import warnings

import numpy as onp
import pytest
from helpers import check_all

import chainrule as cr
import chainrule.numpy as cnp

rng = onp.random.default_rng(1)


def r(*shape):
    return rng.standard_normal(shape)


S = onp.asarray(0.7)
V3, V4, V5 = r(3), r(4), r(5)
M34, M45, M43, M33 = r(3, 4), r(4, 5), r(4, 3), r(3, 3)
B234, B245, B2 = r(2, 3, 4), r(2, 4, 5), r(2, 3, 3)
T = r(2, 3, 4, 5)
C3 = r(3) + 1j * r(3)


def _values_match(f, args):
    want = f(onp, *args)
    got = f(cnp, *args)
    assert onp.shape(got) == onp.shape(want), (onp.shape(got), onp.shape(want))
    onp.testing.assert_allclose(onp.asarray(got), want, rtol=1e-11, atol=1e-12)


def _run(f, args, **opts):
    _values_match(f, args)
    check_all(lambda *a: f(cnp, *a), *args, **opts)


EINSUM = [
    ("matmul", "ij,jk->ik", [M34, M45]),
    ("matvec", "ij,j->i", [M34, V4]),
    ("inner", "i,i->", [V4, V4[::-1].copy()]),
    ("outer", "i,j->ij", [V3, V4]),
    ("transpose", "ij->ji", [M34]),
    ("sum_axis", "ij->i", [M34]),
    ("sum_all", "ij->", [M34]),
    ("trace", "ii->", [M33]),
    ("diag", "ii->i", [M33]),
    ("diag_times", "ii,i->i", [M33, V3]),
    ("batched_matmul", "bij,bjk->bik", [B234, B245]),
    ("bilinear", "i,ij,j->", [V3, M34, V4]),
    ("three_chain", "ij,jk,kl->il", [M34, M45, r(5, 2)]),
    ("elementwise", "ij,ij->ij", [M34, M34[::-1].copy()]),
    ("implicit", "ij,jk", [M34, M45]),
    ("implicit_transpose", "ba", [M34]),
    ("implicit_sum", "ij,ij", [M34, M34]),
    ("ellipsis", "...ij,...jk->...ik", [B234, M45]),
    ("ellipsis_implicit", "...j,j", [B234, V4]),
    ("ellipsis_broadcast1", "...ij,...jk->...ik", [r(1, 3, 4), B245]),
    ("ellipsis_middle", "i...j,j->i...", [T, V5]),
    ("uppercase", "Ab,bC->AC", [M34, M45]),
    ("repeated_out_sum", "iij->j", [r(3, 3, 4)]),
    ("tensor_contract", "abcd,cdb->a", [T, r(4, 5, 3)]),
    ("broadcast_letter", "ij,ij->ij", [r(1, 4), M34]),
    ("scalar_operand", ",ij->ij", [S, M34]),
]


@pytest.mark.parametrize("name,spec,args", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum(name, spec, args):
    _run(lambda m, *a: m.einsum(spec, *a), args)


def test_einsum_interleaved_and_dispatch():
    want = onp.einsum(M34, [0, 1], M45, [1, 2], [0, 2])
    onp.testing.assert_allclose(cnp.einsum(M34, [0, 1], M45, [1, 2], [0, 2]), want)
    onp.testing.assert_allclose(cnp.einsum(B234, [Ellipsis, 1], V4, [1]),
                                onp.einsum(B234, [Ellipsis, 1], V4, [1]))
    # numpy.einsum on traced values dispatches to chainrule
    check_all(lambda a, b: onp.einsum("ij,jk->ik", a, b), M34, M45)
    with pytest.raises(ValueError, match="ellipsis"):
        cnp.einsum("i...->i", M34)


def test_einsum_jacobian_of_batched_matmul_uses_one_pass():
    # jacrev = vmap(vjp): the batched VJP is itself one einsum with a batch letter
    a, b = B234, B245
    J = cr.jacrev(lambda a: cnp.einsum("bij,bjk->bik", a, b))(a)
    assert J.shape == (2, 3, 5, 2, 3, 4)
    want = onp.einsum("bB,iI,jk->bikBIj", onp.eye(2), onp.eye(3), b[0])
    onp.testing.assert_allclose(J[0, :, :, 0], want[0, :, :, 0])


PRODUCTS = [
    ("dot_vv", lambda m, a, b: m.dot(a, b), [V4, V4[::-1].copy()]),
    ("dot_mv", lambda m, a, b: m.dot(a, b), [M34, V4]),
    ("dot_mm", lambda m, a, b: m.dot(a, b), [M34, M45]),
    ("dot_nd", lambda m, a, b: m.dot(a, b), [B234, M45]),
    ("dot_scalar", lambda m, a, b: m.dot(a, b), [S, M34]),
    ("matmul_batched", lambda m, a, b: m.matmul(a, b), [B234, B245]),
    ("matmul_op", lambda m, a, b: a @ b, [M34, M45]),
    ("tensordot_int", lambda m, a, b: m.tensordot(a, b, 2), [T, r(4, 5, 2)]),
    ("tensordot_axes", lambda m, a, b: m.tensordot(a, b, axes=([1, -1], [0, 1])), [T, r(3, 5)]),
    ("tensordot_0", lambda m, a, b: m.tensordot(a, b, 0), [V3, V4]),
    ("inner_vv", lambda m, a, b: m.inner(a, b), [V4, V4[::-1].copy()]),
    ("inner_nd", lambda m, a, b: m.inner(a, b), [B234, M34]),
    ("inner_scalar", lambda m, a, b: m.inner(a, b), [S, V4]),
    ("outer", lambda m, a, b: m.outer(a, b), [V3, M34]),
    ("vdot", lambda m, a, b: m.vdot(a, b), [M34, M34[::-1].copy()]),
    ("vecdot", lambda m, a, b: m.vecdot(a, b, axis=0), [M34, M34[::-1].copy()]),
    ("matvec", lambda m, a, b: m.matvec(a, b), [B234, V4]),
    ("vecmat", lambda m, a, b: m.vecmat(a, b), [V3, B234]),
    ("kron_vv", lambda m, a, b: m.kron(a, b), [V3, V4]),
    ("kron_mm", lambda m, a, b: m.kron(a, b), [M34, r(2, 3)]),
    ("kron_mixed", lambda m, a, b: m.kron(a, b), [V3, B234]),
    ("cross", lambda m, a, b: m.cross(a, b), [V3, V3[::-1].copy()]),
    ("cross_batched", lambda m, a, b: m.cross(a, b), [r(4, 3), V3]),
    ("cross_axes", lambda m, a, b: m.cross(a, b, axisa=0, axisb=-1, axisc=0), [r(3, 4),
                                                                               r(4, 3)]),
    ("convolve_full", lambda m, a, v: m.convolve(a, v), [V5, V3]),
    ("convolve_same", lambda m, a, v: m.convolve(a, v, "same"), [V5, V4]),
    ("convolve_valid", lambda m, a, v: m.convolve(a, v, "valid"), [V5, V3]),
    ("convolve_swapped", lambda m, a, v: m.convolve(a, v, "same"), [V3, V5]),
    ("correlate_valid", lambda m, a, v: m.correlate(a, v), [V5, V3]),
    ("correlate_full", lambda m, a, v: m.correlate(a, v, "full"), [V5, V4]),
    ("correlate_same_swapped", lambda m, a, v: m.correlate(a, v, "same"), [V3, V5]),
    ("polyval", lambda m, p, x: m.polyval(p, x), [V4, M34]),
    ("polyval_scalar", lambda m, p, x: m.polyval(p, x), [V3, S]),
]


@pytest.mark.parametrize("name,f,args", PRODUCTS, ids=[p[0] for p in PRODUCTS])
def test_products(name, f, args):
    _run(f, args)


def test_complex_products_follow_numpy():
    b = C3[::-1] * 2.0
    onp.testing.assert_allclose(cnp.vdot(C3, b), onp.vdot(C3, b))
    onp.testing.assert_allclose(cnp.correlate(C3, b, "full"), onp.correlate(C3, b, "full"))
    onp.testing.assert_allclose(cnp.correlate(C3[:2], b, "same"), onp.correlate(C3[:2], b, "same"))
    onp.testing.assert_allclose(cnp.einsum("i,i", C3, b), onp.einsum("i,i", C3, b))
    # holomorphic in b: d vdot(a, b) / d b = conj(a)
    g = cr.holomorphic_grad(lambda b: cnp.vdot(C3, b))(b)
    onp.testing.assert_allclose(g, onp.conj(C3))


def test_cross_of_2_vectors():
    a, b = M34[:, :2].copy(), M34[:, 1:3].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        want, want32 = onp.cross(a, b), onp.cross(M34[:, :3], b)
    onp.testing.assert_allclose(cnp.cross(a, b), want)
    onp.testing.assert_allclose(cnp.cross(M34[:, :3], b), want32)
    check_all(lambda a, b: cnp.cross(a, b), M34[:, :3].copy(), b)
