"""``chainrule.scipy.linalg``: SciPy's linear algebra, differentiable to any order.

Why these rules: every derivative is written with the primitives of this module (triangular
and general solves, Sylvester solves, the matrix functions themselves), so second and higher
derivatives come from differentiating the rules.

- Matrix functions use the Fréchet derivative. For ``expm`` and ``logm`` it is read off the
  block-triangular identity f([[A, E], [0, A]]) = [[f(A), L_f(A, E)], [0, f(A)]] (N. J.
  Higham, *Functions of Matrices*, SIAM 2008, Thm. 3.6 and eq. (3.16); Al-Mohy & Higham,
  SIAM J. Matrix Anal. Appl. 30(4), 2009). The VJP is L_f(A^T, G), because the adjoint of
  L_f(A, .) is L_f(A^T, .) for a function with a real power series.
- ``sqrtm``: X dX + dX X = dA, one ``solve_sylvester``.
- ``cholesky``/``cho_factor`` read one triangle of ``a`` (LAPACK's convention); so does the
  derivative: the cotangent lands in that triangle, and check_grads in arbitrary directions
  agrees with finite differences. Likewise ``solve_triangular`` and ``lu_solve`` never put
  a derivative into the part of the matrix they do not read.
- ``cho_factor`` returns the factor with zeros in the unused triangle (SciPy leaves whatever
  was there); ``cho_solve`` accepts either.

Derivatives of ``inv``, ``det`` and the solves need a nonsingular matrix.

    >>> import chainrule, numpy
    >>> float(chainrule.grad(lambda a: expm(a)[0, 0])(numpy.zeros((2, 2)))[0, 0])
    1.0
"""

from __future__ import annotations

import numpy as _np
import scipy.linalg as _sl

from chainrule.core.batching import materialize
from chainrule.core.primitive import Primitive
from chainrule.core.trace import Zero

from . import _ops as o


def _batch_all(prim):
    """Batching for primitives whose impl takes equal leading batch dims on every argument."""

    def rule(vals, dims, **params):
        size = next(_np.shape(v)[0] for v, d in zip(vals, dims, strict=True) if d is not None)
        args = [materialize(v, d, size) for v, d in zip(vals, dims, strict=True)]
        return prim(*args, **params), 0

    return rule


def _loop(fn, core, *arrays):
    """Apply ``fn`` over the leading (batch) dims of ``arrays``; ``core[i]`` is the number of
    trailing dims that belong to one problem in argument ``i``."""
    lead = _np.shape(arrays[0])[:_np.ndim(arrays[0]) - core[0]]
    if not lead:
        return fn(*arrays)
    out = None
    for idx in _np.ndindex(*lead):
        r = fn(*[a[idx] for a in arrays])
        if out is None:
            out = _np.empty(lead + _np.shape(r), dtype=_np.result_type(r))
        out[idx] = r
    return out


def _prim(name, impl):
    p = Primitive(f"scipy.linalg.{name}", impl)
    p.defbatch(_batch_all(p))
    return p


def _mask(a, m):
    return a * m


def _bcast(*xs, core):
    """Broadcast the leading (batch) dims of ``xs``; ``core[i]`` trailing dims are kept."""
    lead = _np.broadcast_shapes(
        *[_np.shape(x)[:_np.ndim(x) - c] for x, c in zip(xs, core, strict=True)])
    out = []
    for x, c in zip(xs, core, strict=True):
        s = _np.shape(x)
        want = lead + s[len(s) - c:]
        out.append(x if s == want else o.broadcast_to(x, want))
    return out


# --- triangular solve -------------------------------------------------------------------------

def _tri_mask(n, lower, unit_diagonal):
    if lower:
        return o.tril_mask(n, -1 if unit_diagonal else 0)
    return o.triu_mask(n, 1 if unit_diagonal else 0)


def _trisolve_impl(a, b, trans=0, lower=False, unit_diagonal=False):
    if _np.ndim(a) == 2:
        return _sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    return _loop(lambda x, y: _sl.solve_triangular(x, y, trans=trans, lower=lower,
                                                   unit_diagonal=unit_diagonal), (2, 2), a, b)


_trisolve = _prim("solve_triangular", _trisolve_impl)


def _trisolve_vjp_b(g, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    return _trisolve(a, g, trans=1 - trans, lower=lower, unit_diagonal=unit_diagonal)


def _trisolve_vjp_a(g, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    gb = _trisolve_vjp_b(g, ans, a, b, trans, lower, unit_diagonal)
    outer = o.matmul(gb, o.mT(ans)) if trans == 0 else o.matmul(ans, o.mT(gb))
    return -_mask(outer, _tri_mask(_np.shape(a)[-1], lower, unit_diagonal))


def _trisolve_jvp_a(g, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    da = _mask(g, _tri_mask(_np.shape(a)[-1], lower, unit_diagonal))
    rhs = o.matmul(da if trans == 0 else o.mT(da), ans)
    return _trisolve(a, -rhs, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _trisolve_jvp_b(g, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    return _trisolve(a, g, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


_trisolve.defvjp(_trisolve_vjp_a, _trisolve_vjp_b)
_trisolve.defjvp(_trisolve_jvp_a, _trisolve_jvp_b)

_TRANS = {0: 0, "N": 0, 1: 1, "T": 1, 2: 2, "C": 2}


def _as_matrix_rhs(a, b):
    """SciPy's b is (n,) or (n, k) per problem; the primitives take (..., n, k)."""
    vec = _np.ndim(b) == _np.ndim(a) - 1
    return (o.expand_dims(b, -1) if vec else b), vec


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """``scipy.linalg.solve_triangular``: solve op(a) x = b reading one triangle of ``a``.
    Differentiable in ``a`` (only the triangle read, without the diagonal when
    ``unit_diagonal``) and ``b``."""
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', "
                         f"not {trans!r}")
    a, b = o.as_float(a), o.as_float(b)
    t = _TRANS[trans]
    if t == 2:
        a, t = o.conj(a), 1
    bm, vec = _as_matrix_rhs(a, b)
    a, bm = _bcast(a, bm, core=(2, 2))
    x = _trisolve(a, bm, trans=t, lower=bool(lower), unit_diagonal=bool(unit_diagonal))
    return o.squeeze(x, -1) if vec else x


# --- general solve, inv, det ------------------------------------------------------------------

_solve = _prim("solve", _np.linalg.solve)


def _solve_vjp_b(g, ans, a, b):
    return _solve(o.mT(a), g)


def _solve_vjp_a(g, ans, a, b):
    return -o.matmul(_solve(o.mT(a), g), o.mT(ans))


_solve.defvjp(_solve_vjp_a, _solve_vjp_b)
_solve.defjvp(lambda g, ans, a, b: _solve(a, -o.matmul(g, ans)),
              lambda g, ans, a, b: _solve(a, g))

_SYM = ("sym", "symmetric", "her", "hermitian", "pos", "positive definite")


def _symmetrize_from(a, lower):
    """The symmetric matrix LAPACK sees when it reads one triangle of ``a``."""
    n = _np.shape(a)[-1]
    if lower:
        return a * o.tril_mask(n) + o.mT(a * o.tril_mask(n, -1))
    return a * o.triu_mask(n) + o.mT(a * o.triu_mask(n, 1))


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """``scipy.linalg.solve``: solve a x = b; differentiable in ``a`` and ``b``.

    With ``assume_a`` symmetric/hermitian/positive definite, only the triangle SciPy reads
    (upper unless ``lower``) enters the value and the derivative."""
    a, b = o.as_float(a), o.as_float(b)
    if assume_a in _SYM:
        a = _symmetrize_from(a, lower)
    if transposed:
        a = o.mT(a)
    bm, vec = _as_matrix_rhs(a, b)
    a, bm = _bcast(a, bm, core=(2, 2))
    x = _solve(a, bm)
    return o.squeeze(x, -1) if vec else x


def inv(a, overwrite_a=False, check_finite=True):
    """``scipy.linalg.inv``; differentiable (d inv = -inv da inv)."""
    a = o.as_float(a)
    n = _np.shape(a)[-1]
    eye = o.broadcast_to(_np.eye(n), _np.shape(a))
    return _solve(a, eye)


def _det_vjp(g, ans, a):
    w = o.expand_dims(o.expand_dims(g * ans, -1), -1)
    return w * o.mT(inv(a))


def _det_jvp(g, ans, a):
    return ans * o.sum(o.diagonal(_solve(a, g)), axis=-1)


_det = _prim("det", _np.linalg.det)
_det.defvjp(_det_vjp)
_det.defjvp(_det_jvp)


def det(a, overwrite_a=False, check_finite=True):
    """``scipy.linalg.det``; differentiable at nonsingular matrices (d det = det tr(a^-1 da))."""
    return _det(o.as_float(a))


# --- Cholesky -------------------------------------------------------------------------------------

def _phi(x):
    """Lower triangle with half the diagonal: the map in Cholesky's derivative."""
    n = _np.shape(x)[-1]
    return x * (o.tril_mask(n, -1) + 0.5 * _np.eye(n))


def _chol_jvp(g, L, a):
    n = _np.shape(a)[-1]
    s = g * o.tril_mask(n) + o.mT(g * o.tril_mask(n, -1))  # the lower triangle, symmetrized
    y = _trisolve(L, s, trans=0, lower=True)
    x = _trisolve(L, o.mT(y), trans=0, lower=True)  # L^-1 s L^-T
    return o.matmul(L, _phi(x))


def _chol_vjp(g, L, a):
    n = _np.shape(a)[-1]
    p = _phi(o.matmul(o.mT(L), g))
    w = _trisolve(L, p, trans=1, lower=True)               # L^-T P
    m = o.mT(_trisolve(L, o.mT(w), trans=1, lower=True))   # L^-T P L^-1
    return (m + o.mT(m)) * o.tril_mask(n, -1) + m * _np.eye(n)


_chol = _prim("cholesky", _np.linalg.cholesky)
_chol.defvjp(_chol_vjp)
_chol.defjvp(_chol_jvp)


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """``scipy.linalg.cholesky``: upper factor U (a = U^T U) by default, lower with ``lower``.
    Reads the matching triangle of ``a``; differentiable there."""
    a = o.as_float(a)
    if lower:
        return _chol(a)
    return o.mT(_chol(o.mT(a)))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``scipy.linalg.cho_factor``: ``(c, lower)``; c holds the factor and zeros elsewhere."""
    return cholesky(a, lower=lower), bool(lower)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """``scipy.linalg.cho_solve``: solve a x = b from ``cho_factor``'s output;
    differentiable in the factor (its triangle) and ``b``."""
    c, lower = c_and_lower
    if lower:
        y = solve_triangular(c, b, lower=True)
        return solve_triangular(c, y, trans=1, lower=True)
    y = solve_triangular(c, b, trans=1, lower=False)
    return solve_triangular(c, y, lower=False)


# --- LU ---------------------------------------------------------------------------------------

def _lu_impl(a):
    if _np.ndim(a) == 2:
        return _sl.lu_factor(a)
    lead = _np.shape(a)[:-2]
    lu = _np.empty(_np.shape(a), dtype=_np.result_type(a, _np.float64))
    piv = _np.empty(lead + _np.shape(a)[-1:], dtype=_np.int32)
    for idx in _np.ndindex(*lead):
        lu[idx], piv[idx] = _sl.lu_factor(a[idx])
    return lu, piv


def _perm_matrix_impl(piv):
    """The permutation matrix P with P a = L U, from LAPACK's row interchanges ``piv``
    (leading batch dims allowed)."""
    piv = _np.asarray(piv)
    n = piv.shape[-1]
    out = _np.zeros(piv.shape + (n,))
    for idx in _np.ndindex(*piv.shape[:-1]):
        perm = _np.arange(n)
        for i, j in enumerate(piv[idx]):
            perm[i], perm[j] = perm[j], perm[i]
        out[idx][_np.arange(n), perm] = 1.0
    return out


# A permutation is applied as a product with a 0/1 matrix: differentiable and batchable even
# when the pivots themselves are batched.
_perm_matrix = Primitive("scipy.linalg.lu_perm_matrix", _perm_matrix_impl, nondiff=True)
_perm_matrix.defbatch(lambda vals, dims: (_perm_matrix(vals[0]), dims[0]))


def _lu_parts(lu):
    n = _np.shape(lu)[-1]
    eye = _np.eye(n)
    return lu * o.tril_mask(n, -1) + eye, lu * o.triu_mask(n)


def _lu_jvp(gs, ans, a):
    lu, piv = ans
    n = _np.shape(a)[-1]
    da = o.matmul(_perm_matrix(piv), gs)
    y = _trisolve(lu, da, trans=0, lower=True, unit_diagonal=True)          # L^-1 P dA
    x = o.mT(_trisolve(lu, o.mT(y), trans=1, lower=False))                 # ... U^-1
    L, U = _lu_parts(lu)
    dlu = o.matmul(L, x * o.tril_mask(n, -1)) + o.matmul(x * o.triu_mask(n), U)
    return dlu, Zero(piv)


def _lu_vjp(g, ans, a):
    lu, piv = ans
    glu = g[0]
    if type(glu) is Zero:
        return None
    n = _np.shape(a)[-1]
    L, U = _lu_parts(lu)
    m = (o.matmul(o.mT(L), glu * o.tril_mask(n, -1)) * o.tril_mask(n, -1)
         + o.matmul(glu * o.triu_mask(n), o.mT(U)) * o.triu_mask(n))
    z = _trisolve(lu, m, trans=1, lower=True, unit_diagonal=True)          # L^-T M
    w = o.mT(_trisolve(lu, o.mT(z), trans=0, lower=False))                # ... U^-T
    return o.matmul(o.mT(_perm_matrix(piv)), w)


def _lu_batch(vals, dims):
    return _lu_p(vals[0]), (0, 0)


_lu_p = Primitive("scipy.linalg.lu_factor", _lu_impl, multiple_results=True)
_lu_p.defvjp(_lu_vjp)
_lu_p.defjvp(_lu_jvp)
_lu_p.defbatch(_lu_batch)


def lu_factor(a, overwrite_a=False, check_finite=True):
    """``scipy.linalg.lu_factor``: ``(lu, piv)`` with L (unit diagonal, below) and U packed in
    ``lu``; differentiable in ``a`` (``piv`` is an integer constant). Leading batch dims are
    allowed."""
    return _lu_p(o.as_float(a))


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """``scipy.linalg.lu_solve``: solve a x = b (trans=1: a^T x = b) from ``lu_factor``;
    differentiable in ``lu`` and ``b``."""
    lu, piv = lu_and_piv
    t = _TRANS[trans]
    if t == 2:
        lu, t = o.conj(lu), 1
    lu, b = o.as_float(lu), o.as_float(b)
    bm, vec = _as_matrix_rhs(lu, b)
    p = _perm_matrix(piv)
    if t == 0:
        pb = o.matmul(p, bm)
        y = _trisolve(lu, pb, trans=0, lower=True, unit_diagonal=True)
        x = _trisolve(lu, y, trans=0, lower=False)
    else:
        z = _trisolve(lu, bm, trans=1, lower=False)
        w = _trisolve(lu, z, trans=1, lower=True, unit_diagonal=True)
        x = o.matmul(o.mT(p), w)
    return o.squeeze(x, -1) if vec else x


# --- matrix functions -------------------------------------------------------------------------

def _block_frechet(f, a, e):
    """L_f(a, e) from f([[a, e], [0, a]]) (Higham 2008, Thm. 3.6)."""
    n = _np.shape(a)[-1]
    z = o.zeros_like(a)
    top = o.concatenate([a, e], axis=-1)
    bottom = o.concatenate([z, a], axis=-1)
    big = f(o.concatenate([top, bottom], axis=-2))
    return o.getitem(big, (Ellipsis, slice(0, n), slice(n, 2 * n)))


def _matfun(name, impl):
    p = _prim(name, impl)
    p.defjvp(lambda g, ans, a: _block_frechet(p, a, g))
    p.defvjp(lambda g, ans, a: _block_frechet(p, o.mT(a), g))
    return p


_expm = _matfun("expm", _sl.expm)


def _logm_impl(a):
    out = _sl.logm(a)
    return out[0] if isinstance(out, tuple) else out


_logm = _matfun("logm", _logm_impl)


def expm(A):
    """``scipy.linalg.expm``; differentiable to any order through the Fréchet derivative
    (block-triangular form, Higham 2008). Leading batch dims are allowed."""
    return _expm(o.as_float(A))


def logm(A, disp=True):
    """``scipy.linalg.logm``: the principal logarithm, defined for matrices with no
    eigenvalues on the closed negative real axis (otherwise SciPy returns a complex result).
    Differentiable through the block-triangular Fréchet derivative."""
    return _logm(o.as_float(A))


def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    """``scipy.linalg.expm_frechet``: ``(expm(A), L(A, E))``, differentiable in both."""
    A, E = o.as_float(A), o.as_float(E)
    L = _block_frechet(_expm, A, E)
    return (expm(A), L) if compute_expm else L


def _sqrtm_impl(a):
    out = _sl.sqrtm(a)
    return out[0] if isinstance(out, tuple) else out


_sqrtm = _prim("sqrtm", _sqrtm_impl)
_sqrtm.defjvp(lambda g, ans, a: _sylvester(ans, ans, g))
_sqrtm.defvjp(lambda g, ans, a: _sylvester(o.mT(ans), o.mT(ans), g))


def sqrtm(A, disp=True, blocksize=64):
    """``scipy.linalg.sqrtm``: the principal square root X; the derivative solves
    X dX + dX X = dA (``solve_sylvester``)."""
    return _sqrtm(o.as_float(A))


_sylvester = _prim("solve_sylvester", _sl.solve_sylvester)


def _syl_adj(g, ans, a, b, q):
    return _sylvester(o.mT(a), o.mT(b), g)


_sylvester.defvjp(
    lambda g, ans, a, b, q: -o.matmul(_syl_adj(g, ans, a, b, q), o.mT(ans)),
    lambda g, ans, a, b, q: -o.matmul(o.mT(ans), _syl_adj(g, ans, a, b, q)),
    _syl_adj,
)
_sylvester.defjvp(
    lambda g, ans, a, b, q: _sylvester(a, b, -o.matmul(g, ans)),
    lambda g, ans, a, b, q: _sylvester(a, b, -o.matmul(ans, g)),
    lambda g, ans, a, b, q: _sylvester(a, b, g),
)


def solve_sylvester(a, b, q):
    """``scipy.linalg.solve_sylvester``: X with a X + X b = q; differentiable in all three."""
    a, b, q = _bcast(o.as_float(a), o.as_float(b), o.as_float(q), core=(2, 2, 2))
    return _sylvester(a, b, q)


# --- banded solve -------------------------------------------------------------------------------
# Band storage: ab[up + i - j, j] = A[i, j]. The rules stay in band storage: A^T x is a gather
# of ab, and the cotangent of ab is a gathered outer product, so nothing dense is formed.

def _band_index(lo, up, n):
    r = _np.arange(lo + up + 1)[:, None]
    j = _np.arange(n)[None, :]
    return r, j


def _banded_transpose(ab, lo, up):
    """Band storage of A^T (lower bandwidth up, upper lo)."""
    n = _np.shape(ab)[-1]
    r, j = _band_index(up, lo, n)
    src_r = _np.broadcast_to(up + lo - r, (lo + up + 1, n))
    src_c = j + r - lo
    valid = (src_c >= 0) & (src_c < n)
    taken = o.getitem(ab, (Ellipsis, src_r, _np.clip(src_c, 0, n - 1)))
    return taken * valid


def _banded_matmul(ab, x, lo, up):
    """A @ x from band storage; x is (..., n, k)."""
    n = _np.shape(ab)[-1]
    r, i = _band_index(lo, up, n)
    col = i + up - r                       # the column j that row i meets on band r
    valid = (col >= 0) & (col < n)
    colc = _np.clip(col, 0, n - 1)
    a_vals = o.getitem(ab, (Ellipsis, _np.broadcast_to(r, colc.shape), colc)) * valid
    x_vals = o.getitem(x, (Ellipsis, colc, slice(None)))       # (..., bands, n, k)
    return o.sum(o.expand_dims(a_vals, -1) * x_vals, axis=-3)


def _banded_outer(gb, x, lo, up):
    """The band-storage cotangent of A from -outer(gb, x): entries sum_k gb[i, k] x[j, k]."""
    n = _np.shape(x)[-2]
    r, j = _band_index(lo, up, n)
    row = r - up + j
    valid = (row >= 0) & (row < n)
    rowc = _np.clip(row, 0, n - 1)
    g_vals = o.getitem(gb, (Ellipsis, rowc, slice(None)))                # (..., bands, n, k)
    return o.sum(g_vals * o.expand_dims(x, -3), axis=-1) * valid


def _banded_impl(ab, b, lo, up):
    return _loop(lambda x, y: _sl.solve_banded((lo, up), x, y), (2, 2), ab, b)


_banded = _prim("solve_banded", _banded_impl)


def _banded_vjp_b(g, ans, ab, b, lo, up):
    return _banded(_banded_transpose(ab, lo, up), g, lo=up, up=lo)


_banded.defvjp(
    lambda g, ans, ab, b, lo, up: -_banded_outer(_banded_vjp_b(g, ans, ab, b, lo, up), ans, lo, up),
    _banded_vjp_b,
)
_banded.defjvp(
    lambda g, ans, ab, b, lo, up: _banded(ab, -_banded_matmul(g, ans, lo, up), lo=lo, up=up),
    lambda g, ans, ab, b, lo, up: _banded(ab, g, lo=lo, up=up),
)


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """``scipy.linalg.solve_banded``: solve A x = b with A in band storage ``ab``;
    differentiable in ``ab`` (its stored band) and ``b``."""
    lo, up = (int(v) for v in l_and_u)
    ab, b = o.as_float(ab), o.as_float(b)
    vec = _np.ndim(b) == _np.ndim(ab) - 1
    bm = o.expand_dims(b, -1) if vec else b
    ab, bm = _bcast(ab, bm, core=(2, 2))
    x = _banded(ab, bm, lo=lo, up=up)
    return o.squeeze(x, -1) if vec else x


# --- assembly -----------------------------------------------------------------------------------

def block_diag(*arrs):
    """``scipy.linalg.block_diag``; differentiable in every block (0-d and 1-d inputs are
    promoted to 2-d as SciPy does)."""
    if not arrs:
        return _np.empty((1, 0))
    blocks = []
    for a in arrs:
        a = o.as_float(a)
        nd = _np.ndim(a)
        if nd > 2:
            raise ValueError(f"block_diag: arguments must have 2 or fewer dimensions, got {nd}")
        blocks.append(o.reshape(a, (1,) * (2 - nd) + tuple(_np.shape(a))))
    shapes = [_np.shape(b) for b in blocks]
    ncols = sum(s[1] for s in shapes)
    dtype = _np.result_type(*[getattr(b, "dtype", _np.float64) for b in blocks])
    rows, c = [], 0
    for blk, (r, k) in zip(blocks, shapes, strict=True):
        parts = []
        if c:
            parts.append(_np.zeros((r, c), dtype))
        parts.append(blk)
        if ncols - c - k:
            parts.append(_np.zeros((r, ncols - c - k), dtype))
        rows.append(o.concatenate(parts, axis=1) if len(parts) > 1 else blk)
        c += k
    return o.concatenate(rows, axis=0)


# --- NumPy's linear algebra under SciPy's names and signatures ------------------------------------
# (the rules are chainrule.numpy.linalg's; these wrappers only translate SciPy's arguments)

def _nla():
    import chainrule.numpy.linalg as nla

    return nla


def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """``scipy.linalg.eigh`` for the standard problem (``b=None``), reading the lower (or
    upper) triangle; see ``chainrule.numpy.linalg.eigh`` for the derivative's conventions."""
    if b is not None or subset_by_index is not None or subset_by_value is not None:
        raise NotImplementedError("chainrule.scipy.linalg.eigh: only the standard problem "
                                  "(b=None, no subsets) is differentiable")
    # the symmetric matrix LAPACK reads: derivatives in any direction are then exact
    w, v = _nla().eigh(_symmetrize_from(o.as_float(a), lower), UPLO="L" if lower else "U")
    return w if eigvals_only else (w, v)


def eigvalsh(a, b=None, lower=True, overwrite_a=False, overwrite_b=False, type=1,
             check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """``scipy.linalg.eigvalsh`` for the standard problem; differentiable."""
    return eigh(a, b, lower=lower, eigvals_only=True, subset_by_index=subset_by_index,
                subset_by_value=subset_by_value)


def eig(a, b=None, left=False, right=True, overwrite_a=False, overwrite_b=False,
        check_finite=True, homogeneous_eigvals=False):
    """``scipy.linalg.eig`` for the standard problem, right eigenvectors: ``(w, vr)``."""
    if b is not None or left or homogeneous_eigvals:
        raise NotImplementedError("chainrule.scipy.linalg.eig: only the standard problem with "
                                  "right eigenvectors is differentiable")
    w, v = _nla().eig(o.as_float(a))
    return (w, v) if right else w


def eigvals(a, b=None, overwrite_a=False, check_finite=True, homogeneous_eigvals=False):
    """``scipy.linalg.eigvals`` for the standard problem; differentiable."""
    return eig(a, b, right=False, homogeneous_eigvals=homogeneous_eigvals)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """``scipy.linalg.svd``: ``(U, s, Vh)`` or ``s``; differentiable (see
    ``chainrule.numpy.linalg.svd``)."""
    return _nla().svd(o.as_float(a), full_matrices=full_matrices, compute_uv=compute_uv)


def svdvals(a, overwrite_a=False, check_finite=True):
    """``scipy.linalg.svdvals``; differentiable."""
    return _nla().svd(o.as_float(a), compute_uv=False)


_QR_MODES = {"full": "complete", "economic": "reduced", "r": "r"}


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """``scipy.linalg.qr`` in modes 'full', 'economic' and 'r' (which returns ``(R,)`` as
    SciPy does); no pivoting."""
    if pivoting or mode not in _QR_MODES:
        raise NotImplementedError("chainrule.scipy.linalg.qr: modes 'full', 'economic' and "
                                  "'r' without pivoting are differentiable")
    out = _nla().qr(o.as_float(a), mode=_QR_MODES[mode])
    return (out,) if mode == "r" else tuple(out)


def pinv(a, *, atol=None, rtol=None, return_rank=False, check_finite=True):
    """``scipy.linalg.pinv`` with default tolerances; differentiable where the rank is
    locally constant."""
    if atol is not None or rtol is not None or return_rank:
        raise NotImplementedError("chainrule.scipy.linalg.pinv: atol, rtol and return_rank are "
                                  "not supported")
    return _nla().pinv(o.as_float(a))


def lstsq(a, b, cond=None, overwrite_a=False, overwrite_b=False, check_finite=True,
          lapack_driver=None):
    """``scipy.linalg.lstsq`` -> ``(x, residues, rank, s)``; x, residues and s are
    differentiable where the rank of a is locally constant."""
    x, res, rank, s = _nla().lstsq(o.as_float(a), o.as_float(b), rcond=cond)
    return x, res, rank, s


def norm(a, ord=None, axis=None, keepdims=False, check_finite=True):
    """``scipy.linalg.norm``; differentiable (see ``chainrule.numpy.linalg.norm``)."""
    return _nla().norm(o.as_float(a), ord=ord, axis=axis, keepdims=keepdims)


DIFFERENTIABLE = [
    "block_diag", "cho_factor", "cho_solve", "cholesky", "det", "expm", "expm_frechet", "inv",
    "logm", "lu_factor", "lu_solve", "solve", "solve_banded", "solve_sylvester",
    "solve_triangular", "sqrtm",
    # from chainrule.numpy.linalg, with SciPy's signatures
    "eig", "eigh", "eigvals", "eigvalsh", "lstsq", "norm", "pinv", "qr", "svd", "svdvals",
]
NONDIFFERENTIABLE: list = []
