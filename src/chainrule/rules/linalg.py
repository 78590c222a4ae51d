"""Linear algebra (``numpy.linalg``): decompositions and solvers with VJP, JVP and batching rules.

Why these are primitives: a matrix inverse, a solve or an eigendecomposition is one LAPACK
call whose derivative has a closed form in terms of its own output (d inv(A) = -inv(A) dA
inv(A)); differentiating through the LAPACK algorithm step by step would be slow and
unstable. Every rule below is written with chainrule's own functions (``matmul``,
``swapaxes``, ``solve`` ...), so the rules are differentiable too and every order works.
Everything accepts stacks of matrices (``...xMxN``, as NumPy does), which makes batching
trivial: a ``vmap`` batch axis is one more leading stack axis.

Conventions (see docs/linalg.md for a longer discussion):

- Symmetric inputs (``cholesky``, ``eigh``, ``eigvalsh``): NumPy reads one triangle only;
  the derivative is taken on symmetric matrices, i.e. a tangent dA enters as
  (dA + dA^T)/2 and gradients come back symmetric (as in JAX and PyTorch). Differentiate
  ``f(A)`` at a symmetric A; to check against finite differences, go through ``(A + A.T)/2``.
- Repeated eigenvalues / singular values: the factor 1/(w_j - w_i) of the eigenvector
  derivative is set to 0 for degenerate pairs (|w_i - w_j| <= 16 n eps max|w|). This is
  exact for functions of the eigenvalues that are symmetric within each degenerate group
  (``sum(f(w))``, ``trace``, norms) and for projectors onto whole eigenspaces; derivatives of
  individual eigenvectors inside a degenerate eigenspace do not exist.
- Non-unique outputs (eigenvector signs and phases, the completion columns of a full SVD or
  a complete QR): the rules differentiate the output NumPy returns; test through functions
  that do not depend on the choice (``U @ diag(s) @ Vh``, squared entries, projectors).
  The completion columns Q2 of ``qr(mode='complete')`` and U2/V2 of ``svd(full_matrices=True)``
  move by the minimal rotation dQ2 = -Q1 (dQ1^T Q2).
- ``norm``: the vector 2-norm and the Frobenius norm have derivative 0 at x = 0 (the
  minimum-norm subgradient); ties in the max/min of ``ord=inf, -inf, 1, -1`` share the
  gradient evenly; ``ord=2``/``-2``/``'nuc'`` go through the singular values.
- ``det``/``slogdet``/``inv``/``solve``: derivatives need an invertible matrix (the
  adjugate at a singular matrix is not computed).
- Complex numbers: rules are transposes, not adjoints (autograd's and JAX's convention).
  ``inv``, ``solve``, ``det``, ``slogdet``, ``matrix_power``, ``multi_dot``, ``eig`` and
  the FFTs take complex inputs; ``cholesky``, ``eigh``, ``svd``, ``qr``, ``pinv`` are
  differentiable for real inputs (their forward values work for complex ones).

References: M. Giles, "An extended collection of matrix derivative results for forward and
reverse mode AD" (2008); I. Murray, "Differentiation of the Cholesky decomposition" (2016);
J. Townsend, "Differentiating the singular value decomposition" (2016); G. Golub and V.
Pereyra, "The differentiation of pseudo-inverses ..." (1973); S. Walter and L. Lehmann,
"Algorithmic differentiation of linear algebra functions with application in optimum
experimental design" (2010, QR).

    >>> import numpy, chainrule
    >>> a = numpy.array([[2.0, 1.0], [1.0, 3.0]])
    >>> chainrule.grad(lambda a: det(a))(a)          # det(A) * inv(A)^T
    array([[ 3., -1.],
           [-1.,  2.]])
"""

from __future__ import annotations

import operator
from collections import namedtuple

import numpy as _np

from ..core.batching import align_batched, loop_batch, shift_axis
from ..core.primitive import Primitive
from ..core.trace import Tracer, Zero, dtype_of, getval
from ._util import unbroadcast
from .elementwise import (
    absolute,
    equal,
    greater,
    negative,
    not_equal,
    power,
    sqrt,
    where,
    zeros_like,
)
from .products import matmul, tensordot
from .reductions import sum
from .shape import (
    concatenate,
    expand_dims,
    getitem,
    moveaxis,
    reshape,
    squeeze,
    stack,
    swapaxes,
    transpose,
)

try:  # NumPy >= 2 returns these named tuples; keep the same types
    from numpy.linalg._linalg import (
        EighResult,
        EigResult,
        QRResult,
        SlogdetResult,
        SVDResult,
    )
except ImportError:  # pragma: no cover - NumPy 1.x
    EigResult = namedtuple("EigResult", "eigenvalues eigenvectors")
    EighResult = namedtuple("EighResult", "eigenvalues eigenvectors")
    QRResult = namedtuple("QRResult", "Q R")
    SlogdetResult = namedtuple("SlogdetResult", "sign logabsdet")
    SVDResult = namedtuple("SVDResult", "U S Vh")

LinAlgError = _np.linalg.LinAlgError
numpy = _np  # for the doctest
inf = _np.inf


# --- small differentiable helpers --------------------------------------------------------

def _traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in xs)


def _is_complex(x) -> bool:
    return _np.issubdtype(dtype_of(x), _np.complexfloating)


def _mT(x):
    """Matrix transpose of the last two axes (stacks stay stacks)."""
    return swapaxes(x, -1, -2)


def _eye(n, x):
    return _np.eye(n, dtype=_np.result_type(dtype_of(x), _np.float32))


def _diag_part(x):
    """The diagonal of the last two axes, (..., n, n) -> (..., n)."""
    return sum(x * _eye(_np.shape(x)[-1], x), axis=-1)


def _diag_embed(d):
    """(..., n) -> (..., n, n) with d on the diagonal."""
    return expand_dims(d, -2) * _eye(_np.shape(d)[-1], d)


def _trace(x):
    return sum(_diag_part(x), axis=-1)


def _sym(x):
    return (x + _mT(x)) * 0.5


def _cols(x, start, stop):
    return getitem(x, idx=(Ellipsis, slice(None), slice(start, stop)))


def _rows(x, start, stop):
    return getitem(x, idx=(Ellipsis, slice(start, stop), slice(None)))


def _nz(c):
    """A cotangent entry of a multiple-result primitive, or None when it is a symbolic zero."""
    return None if c is None or type(c) is Zero else c


def _add_opt(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _real_only(name, x):
    if _is_complex(x):
        raise NotImplementedError(
            f"linalg.{name}: derivatives are implemented for real inputs; got dtype "
            f"{dtype_of(x)}. (The value itself works for complex inputs.)")


# conj / real / imag: chainrule.numpy's when the elementwise family provides them, else these
# private linear primitives (transposes: conj -> conj(g), real -> g, imag -> -1j g).

def _linear_ew(name, impl, transpose):
    p = Primitive(f"linalg._{name}", impl, register=False)
    p.defjvp(lambda g, ans, x: p(g))
    p.defvjp(transpose)
    p.defbatch(lambda vals, dims: (p(vals[0]), 0))
    return p


def _imag_transpose(g, ans, x):
    if not _is_complex(x):
        return None
    return g * (-1j)


_FALLBACK = {
    "conj": _linear_ew("conj", _np.conj, lambda g, ans, x: _conj(g)),
    "real": _linear_ew("real", _np.real, lambda g, ans, x: g),
    "imag": _linear_ew("imag", _np.imag, _imag_transpose),
}


def _ew(name):
    from .. import numpy as cnp

    fn = getattr(cnp, name, None)
    return fn if fn is not None else _FALLBACK[name]


def _conj(x):
    return _ew("conj")(x) if _is_complex(x) else x


def _real(x):
    return _ew("real")(x) if _is_complex(x) else x


def _imag(x):
    return _ew("imag")(x)


def _abs2(x):
    """|x|^2, differentiable everywhere (also for complex x)."""
    return _real(x * _conj(x)) if _is_complex(x) else x * x


def _safe_sqrt(s):
    """sqrt(s) for s >= 0 with derivative 0 (not inf) at s == 0."""
    z = equal(s, 0)
    return where(z, 0.0, sqrt(where(z, 1.0, s)))


def _safe_root(s, p):
    z = equal(s, 0)
    return where(z, 0.0, power(where(z, 1.0, s), 1.0 / p))


def _safe_inv(s):
    """1/s with 0 where s == 0 (singular values of a rank-deficient matrix)."""
    z = equal(s, 0)
    return where(z, 0.0, 1.0 / where(z, 1.0, s))


def _abs(x):
    if _is_complex(x):
        return _safe_sqrt(_abs2(x))
    return absolute(x)


# Non-differentiable helpers with batching rules: masks and maxima that only select.

def _nd_reduce(name, fn):
    p = Primitive(f"linalg._{name}", lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims),
                  nondiff=True, register=False)
    p.defbatch(lambda vals, dims, axis, keepdims: (
        p(vals[0], axis=shift_axis(axis, _np.ndim(vals[0]) - 1), keepdims=keepdims), 0))
    return p


_amax_nd = _nd_reduce("amax", _np.max)
_amin_nd = _nd_reduce("amin", _np.min)


def _select_shared(x, axis, keepdims, pick):
    """max/min of x along ``axis``; tied entries share the derivative evenly."""
    m = pick(x, axis=axis, keepdims=True)
    mask = equal(x, m)
    w = mask / sum(mask, axis=axis, keepdims=True)
    r = sum((x - m) * w, axis=axis, keepdims=True) + m   # == m, with the shared derivative
    return r if keepdims else squeeze(r, axis)


def _max_shared(x, axis, keepdims=False):
    return _select_shared(x, axis, keepdims, _amax_nd)


def _min_shared(x, axis, keepdims=False):
    return _select_shared(x, axis, keepdims, _amin_nd)


def _degenerate_impl(w):
    w = _np.asarray(w)
    n = w.shape[-1]
    eps = _np.finfo(_np.result_type(w.dtype, _np.float32)).eps
    scale = _np.max(_np.abs(w), axis=-1, keepdims=True) if n else _np.zeros(w.shape[:-1] + (1,))
    tol = 16 * n * eps * scale
    return _np.abs(w[..., None, :] - w[..., :, None]) <= tol[..., None]


# mask[..., i, j]: w_i and w_j are (numerically) equal; the diagonal is always True.
_degenerate = Primitive("linalg._degenerate", _degenerate_impl, nondiff=True, register=False)
_degenerate.defbatch(lambda vals, dims: (_degenerate(vals[0]), 0))


def _gap_inverse(w, gaps):
    """F[..., i, j] = 1 / gaps[..., i, j], and 0 on the diagonal and for degenerate pairs.

    The convention for repeated eigenvalues: see the module docstring. The double ``where``
    keeps every derivative of F finite."""
    mask = _degenerate(w)
    return where(mask, 0.0, 1.0 / where(mask, 1.0, gaps))


def _match_input(c, x):
    """A real input's cotangent is real (only Re(c) pairs with a real tangent)."""
    if c is None or type(c) is Zero or _is_complex(x) or not _is_complex(c):
        return c
    return _real(c)


def _defvjp(prim, *rules):
    """``prim.defvjp`` with each cotangent cast to real for a real input."""

    def wrap(i, rule):
        def vjp(g, ans, *args, **params):
            return _match_input(rule(g, ans, *args, **params), args[i])

        return vjp

    prim.defvjp(*[wrap(i, r) for i, r in enumerate(rules)])


def _stacked(prim, nout=0):
    """Batching for stacked-matrix primitives: the batch axis is one more stack axis."""

    def rule(vals, dims, **params):
        out = prim(*align_batched(vals, dims), **params)
        return (out, (0,) * nout) if nout else (out, 0)

    return rule


def _check_square(name, a):
    s = _np.shape(a)
    if len(s) < 2:
        raise LinAlgError(f"linalg.{name}: {len(s)}-dimensional array given; the array must be "
                          "at least two-dimensional")
    if s[-1] != s[-2]:
        raise LinAlgError(f"linalg.{name}: last 2 dimensions of the array must be square, got "
                          f"shape {s}")


# --- inv -----------------------------------------------------------------------------------

# d inv(A) = -inv(A) dA inv(A); its transpose is -inv(A)^T G inv(A)^T (Giles 2008, 2.2.3).
inv_p = Primitive("linalg.inv", _np.linalg.inv)
inv_p.defjvp(lambda g, ans, a: negative(matmul(matmul(ans, g), ans)))
_defvjp(inv_p, lambda g, ans, a: negative(matmul(matmul(_mT(ans), g), _mT(ans))))
inv_p.defbatch(_stacked(inv_p))


def inv(a):
    """``numpy.linalg.inv``; differentiable (stacks of matrices too)."""
    if _traced(a):
        _check_square("inv", a)
    return inv_p(a)


# --- solve ---------------------------------------------------------------------------------

def _solve_impl(a, b):
    return _np.linalg.solve(a, b)


def _solve_vjp_b(g, ans, a, b):
    return unbroadcast(solve_p(_mT(a), g), b)


def _solve_vjp_a(g, ans, a, b):
    gb = solve_p(_mT(a), g)
    return unbroadcast(negative(matmul(gb, _mT(ans))), a)


# X = A^{-1} B: dX = A^{-1} (dB - dA X); cotangents B_bar = A^{-T} G, A_bar = -B_bar X^T.
solve_p = Primitive("linalg.solve", _solve_impl)   # b is (..., M, K) here, never a vector
solve_p.defjvp(lambda g, ans, a, b: negative(solve_p(a, matmul(g, ans))),
               lambda g, ans, a, b: solve_p(a, g))
_defvjp(solve_p, _solve_vjp_a, _solve_vjp_b)
solve_p.defbatch(_stacked(solve_p))


def solve(a, b):
    """``numpy.linalg.solve``: b is a vector when 1-D, else a stack of (M, K) matrices."""
    if not _traced(a, b):
        return _np.linalg.solve(a, b)
    _check_square("solve", a)
    if _np.ndim(b) == 1:
        return squeeze(solve_p(a, expand_dims(b, -1)), -1)
    return solve_p(a, b)


# --- det and slogdet -------------------------------------------------------------------------

# d det(A) = det(A) tr(A^{-1} dA) (Jacobi's formula); A_bar = g det(A) A^{-T}.
det_p = Primitive("linalg.det", _np.linalg.det)
det_p.defjvp(lambda g, ans, a: ans * _trace(solve_p(a, g)))
_defvjp(det_p, lambda g, ans, a: expand_dims(g * ans, (-1, -2)) * _mT(inv_p(a)))
det_p.defbatch(_stacked(det_p))


def det(a):
    """``numpy.linalg.det``; differentiable where A is invertible."""
    if _traced(a):
        _check_square("det", a)
    return det_p(a)


def _slogdet_impl(a):
    return tuple(_np.linalg.slogdet(a))


def _slogdet_jvp(g, ans, a):
    sign = ans[0]
    t = _trace(solve_p(a, g))
    if _is_complex(a) or _is_complex(g):
        # sign = det/|det| moves on the unit circle: d sign = sign * i * Im(t)
        return sign * 1j * _imag(t), _real(t)
    return Zero(sign), t


def _slogdet_vjp(g, ans, a):
    g_sign, g_log = _nz(g[0]), _nz(g[1])
    coef = None
    if g_log is not None:
        coef = g_log
    if g_sign is not None and _is_complex(a):
        coef = _add_opt(coef, -1j * _real(1j * g_sign * ans[0]))
    if coef is None:
        return None
    return expand_dims(coef, (-1, -2)) * _mT(inv_p(a))


slogdet_p = Primitive("linalg.slogdet", _slogdet_impl, multiple_results=True)
slogdet_p.defjvp(_slogdet_jvp)
_defvjp(slogdet_p, _slogdet_vjp)
slogdet_p.defbatch(_stacked(slogdet_p, 2))


def slogdet(a):
    """``numpy.linalg.slogdet`` -> (sign, logabsdet); differentiable in logabsdet (and in
    the sign for complex A; a real sign is piecewise constant)."""
    if _traced(a):
        _check_square("slogdet", a)
    return SlogdetResult(*slogdet_p(a))


# --- cholesky --------------------------------------------------------------------------------

def _cholesky_impl(a, upper=False):
    if upper:
        return _np.linalg.cholesky(a, upper=True)
    return _np.linalg.cholesky(a)


def _phi(x):
    """The lower triangle with the diagonal halved (Murray 2016)."""
    n = _np.shape(x)[-1]
    return x * (_np.tril(_np.ones((n, n))) - 0.5 * _np.eye(n))


def _cholesky_jvp(g, ans, a, upper=False):
    # dL = L Phi(L^{-1} S L^{-T}) with S = sym(dA)
    _real_only("cholesky", a)
    low = _mT(ans) if upper else ans
    y = solve_p(low, _mT(solve_p(low, _sym(g))))
    dl = matmul(low, _phi(y))
    return _mT(dl) if upper else dl


def _cholesky_vjp(g, ans, a, upper=False):
    # A_bar = sym(L^{-T} Phi(L^T G) L^{-1})
    _real_only("cholesky", a)
    low = _mT(ans) if upper else ans
    gl = _mT(g) if upper else g
    p = _phi(matmul(_mT(low), gl))
    x = solve_p(_mT(low), p)
    return _sym(_mT(solve_p(_mT(low), _mT(x))))


cholesky_p = Primitive("linalg.cholesky", _cholesky_impl)
cholesky_p.defjvp(_cholesky_jvp)
_defvjp(cholesky_p, _cholesky_vjp)
cholesky_p.defbatch(_stacked(cholesky_p))


def cholesky(a, /, *, upper=False):
    """``numpy.linalg.cholesky``; the derivative is taken on symmetric matrices (a tangent dA
    enters as (dA + dA^T)/2; gradients are symmetric)."""
    if _traced(a):
        _check_square("cholesky", a)
    return cholesky_p(a, upper=upper)


# --- eigh / eigvalsh -------------------------------------------------------------------------

def _eigh_impl(a, UPLO="L"):
    return tuple(_np.linalg.eigh(a, UPLO=UPLO))


def _eigh_jvp(g, ans, a, UPLO="L"):
    # K = V^T S V; dw = diag(K); dV = V (F o K), F_ij = 1/(w_j - w_i) (Giles 2008, 3.1)
    _real_only("eigh", a)
    w, v = ans
    k = matmul(_mT(v), matmul(_sym(g), v))
    f = _gap_inverse(w, expand_dims(w, -2) - expand_dims(w, -1))
    return _diag_part(k), matmul(v, f * k)


def _eigh_vjp(g, ans, a, UPLO="L"):
    # A_bar = sym(V (diag(w_bar) + F o (V^T V_bar)) V^T)
    _real_only("eigh", a)
    w, v = ans
    gw, gv = _nz(g[0]), _nz(g[1])
    inner = None if gw is None else _diag_embed(gw)
    if gv is not None:
        f = _gap_inverse(w, expand_dims(w, -2) - expand_dims(w, -1))
        inner = _add_opt(inner, f * matmul(_mT(v), gv))
    return _sym(matmul(v, matmul(inner, _mT(v))))


eigh_p = Primitive("linalg.eigh", _eigh_impl, multiple_results=True)
eigh_p.defjvp(_eigh_jvp)
_defvjp(eigh_p, _eigh_vjp)
eigh_p.defbatch(_stacked(eigh_p, 2))


def eigh(a, UPLO="L"):
    """``numpy.linalg.eigh`` -> (eigenvalues, eigenvectors); differentiable for real symmetric
    A (symmetric tangents; repeated eigenvalues: see the module docstring)."""
    if _traced(a):
        _check_square("eigh", a)
    return EighResult(*eigh_p(a, UPLO=UPLO))


def eigvalsh(a, UPLO="L"):
    """``numpy.linalg.eigvalsh``; differentiable (through ``eigh``)."""
    if not _traced(a):
        return _np.linalg.eigvalsh(a, UPLO=UPLO)
    return eigh(a, UPLO)[0]


# --- eig ---------------------------------------------------------------------------------------

def _eig_impl(a):
    return tuple(_np.linalg.eig(a))


def _eig_jvp(g, ans, a):
    # K = V^{-1} dA V; dw = diag(K); dV = V (F o K) with F_ij = 1/(w_j - w_i), then the part
    # that keeps each column at unit norm: dV -= V Re(diag(V^H dV)).
    w, v = ans
    k = solve_p(v, matmul(g, v))
    f = _gap_inverse(w, expand_dims(w, -2) - expand_dims(w, -1))
    du = matmul(v, f * k)
    dv = du - v * expand_dims(_real(sum(_conj(v) * du, axis=-2)), -2)
    return _diag_part(k), dv


def _eig_vjp(g, ans, a):
    # the transpose of _eig_jvp: A_bar = V^{-T} (diag(w_bar) + F o (V^T U_bar)) V^T with
    # U_bar = V_bar - conj(V) Re(sum(V_bar o V, rows)); real A takes the real part.
    w, v = ans
    gw, gv = _nz(g[0]), _nz(g[1])
    inner = None if gw is None else _diag_embed(gw)
    if gv is not None:
        gu = gv - _conj(v) * expand_dims(_real(sum(gv * v, axis=-2)), -2)
        f = _gap_inverse(w, expand_dims(w, -2) - expand_dims(w, -1))
        inner = _add_opt(inner, f * matmul(_mT(v), gu))
    return solve_p(_mT(v), matmul(inner, _mT(v)))


eig_p = Primitive("linalg.eig", _eig_impl, multiple_results=True)
eig_p.defjvp(_eig_jvp)
_defvjp(eig_p, _eig_vjp)
eig_p.defbatch(_stacked(eig_p, 2))


def eig(a):
    """``numpy.linalg.eig`` -> (eigenvalues, eigenvectors) of a general square matrix.

    Eigenvectors are unit-norm with an arbitrary phase; the derivative keeps the norm and
    adds no phase change of its own beyond F o K (test phase-invariant functions such as
    ``abs(V)**2``). Needs distinct eigenvalues for eigenvector derivatives."""
    if _traced(a):
        _check_square("eig", a)
    return EigResult(*eig_p(a))


def eigvals(a):
    """``numpy.linalg.eigvals``; differentiable (through ``eig``)."""
    if not _traced(a):
        return _np.linalg.eigvals(a)
    return eig(a)[0]


# --- svd -----------------------------------------------------------------------------------------

def _svd_impl(a, full_matrices=False, hermitian=False):
    return tuple(_np.linalg.svd(a, full_matrices=full_matrices, compute_uv=True,
                                hermitian=hermitian))


def _svd_parts(ans, a, full_matrices):
    u, s, vh = ans
    m, n = _np.shape(a)[-2:]
    k = min(m, n)
    v = _mT(vh)
    u1 = _cols(u, 0, k) if full_matrices and m > k else u
    v1 = _cols(v, 0, k) if full_matrices and n > k else v
    return u, s, v, u1, v1, m, n, k


def _svd_jvp(g, ans, a, full_matrices=False, hermitian=False):
    # Townsend 2016: dS = U^T dA V, ds = diag(dS),
    # dU = U (F o (dS S + S dS^T)) + (I - U U^T) dA V S^{-1}           (m > k)
    # dV = V (F o (S dS + dS^T S)) + (I - V V^T) dA^T U S^{-1}         (n > k)
    # with F_ij = 1/(s_j^2 - s_i^2) (0 for repeated singular values) and S^{-1} = 0 at s = 0.
    _real_only("svd", a)
    u, s, v, u1, v1, m, n, k = _svd_parts(ans, a, full_matrices)
    ds_mat = matmul(_mT(u1), matmul(g, v1))
    srow, scol = expand_dims(s, -2), expand_dims(s, -1)
    f = _gap_inverse(s, srow * srow - scol * scol)
    dss = ds_mat * srow
    sds = scol * ds_mat
    du = matmul(u1, f * (dss + _mT(dss)))
    dv = matmul(v1, f * (sds + _mT(sds)))
    sinv = expand_dims(_safe_inv(s), -2)
    if m > k:
        dav = matmul(g, v1)
        du = du + (dav - matmul(u1, ds_mat)) * sinv
    if n > k:
        dau = matmul(_mT(g), u1)
        dv = dv + (dau - matmul(v1, _mT(ds_mat))) * sinv
    if full_matrices and m > k:   # the completion moves by the minimal rotation
        u2 = _cols(u, k, m)
        du = concatenate([du, negative(matmul(u1, matmul(_mT(du), u2)))], axis=-1)
    if full_matrices and n > k:
        v2 = _cols(v, k, n)
        dv = concatenate([dv, negative(matmul(v1, matmul(_mT(dv), v2)))], axis=-1)
    return du, _diag_part(ds_mat), _mT(dv)


def _svd_vjp(g, ans, a, full_matrices=False, hermitian=False):
    # A_bar = U [diag(s_bar) + (J + J^T) S + S (K + K^T)] V^T
    #         + (I - U U^T) U_bar S^{-1} V^T + U S^{-1} V_bar^T (I - V V^T),
    # J = F o (U^T U_bar), K = F o (V^T V_bar)   (Townsend 2016)
    _real_only("svd", a)
    u, s, v, u1, v1, m, n, k = _svd_parts(ans, a, full_matrices)
    gu, gs, gvh = _nz(g[0]), _nz(g[1]), _nz(g[2])
    gv = None if gvh is None else _mT(gvh)
    if full_matrices and m > k and gu is not None:
        gu2 = _cols(gu, k, m)
        gu = _cols(gu, 0, k) - matmul(_cols(u, k, m), matmul(_mT(gu2), u1))
    if full_matrices and n > k and gv is not None:
        gv2 = _cols(gv, k, n)
        gv = _cols(gv, 0, k) - matmul(_cols(v, k, n), matmul(_mT(gv2), v1))
    srow, scol = expand_dims(s, -2), expand_dims(s, -1)
    inner = None if gs is None else _diag_embed(gs)
    if gu is not None or gv is not None:
        f = _gap_inverse(s, srow * srow - scol * scol)
    if gu is not None:
        j = f * matmul(_mT(u1), gu)
        inner = _add_opt(inner, (j + _mT(j)) * srow)
    if gv is not None:
        kk = f * matmul(_mT(v1), gv)
        inner = _add_opt(inner, scol * (kk + _mT(kk)))
    out = None if inner is None else matmul(u1, matmul(inner, _mT(v1)))
    sinv = expand_dims(_safe_inv(s), -2)
    if m > k and gu is not None:
        t = (gu - matmul(u1, matmul(_mT(u1), gu))) * sinv
        out = _add_opt(out, matmul(t, _mT(v1)))
    if n > k and gv is not None:
        t = (gv - matmul(v1, matmul(_mT(v1), gv))) * sinv
        out = _add_opt(out, matmul(u1, _mT(t)))
    return out


svd_p = Primitive("linalg.svd", _svd_impl, multiple_results=True)
svd_p.defjvp(_svd_jvp)
_defvjp(svd_p, _svd_vjp)
svd_p.defbatch(_stacked(svd_p, 3))


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """``numpy.linalg.svd`` -> (U, S, Vh) or S; differentiable for real A.

    Signs of singular vectors are arbitrary (differentiate sign-invariant functions such as
    ``U @ diag(S) @ Vh`` or ``U**2``); repeated singular values use the convention of the
    module docstring; with ``full_matrices=True`` the completion columns move by the minimal
    rotation."""
    if not _traced(a):
        return _np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv,
                              hermitian=hermitian)
    if _np.ndim(a) < 2:
        raise LinAlgError(f"linalg.svd: {_np.ndim(a)}-dimensional array given; the array must "
                          "be at least two-dimensional")
    if not compute_uv:
        return svd_p(a, full_matrices=False, hermitian=hermitian)[1]
    return SVDResult(*svd_p(a, full_matrices=bool(full_matrices), hermitian=hermitian))


def svdvals(x, /):
    """``numpy.linalg.svdvals``; differentiable (through ``svd``)."""
    return svd(x, compute_uv=False)


# --- qr ------------------------------------------------------------------------------------------

def _qr_impl(a, mode="reduced"):
    return tuple(_np.linalg.qr(a, mode=mode))


def _right_solve(x, r):
    """x R^{-1}."""
    return _mT(solve_p(_mT(r), _mT(x)))


def _qr_jvp(g, ans, a, mode="reduced"):
    # m >= n (Walter & Lehmann 2010): C = Q^T dA R^{-1}, Omega = tril(C,-1) - tril(C,-1)^T,
    # dQ = Q (Omega - C) + dA R^{-1},  dR = (C - Omega) R.
    _real_only("qr", a)
    q, r = ans
    m, n = _np.shape(a)[-2:]
    q1 = _cols(q, 0, n) if m > n else q
    r1 = _rows(r, 0, n) if m > n else r
    d = _right_solve(g, r1)
    c = matmul(_mT(q1), d)
    low = c * _np.tril(_np.ones((n, n)), -1)
    omega = low - _mT(low)
    dq = matmul(q1, omega - c) + d
    dr = matmul(c - omega, r1)
    if mode == "complete" and m > n:
        q2 = _cols(q, n, m)
        dq = concatenate([dq, negative(matmul(q1, matmul(_mT(dq), q2)))], axis=-1)
        dr = concatenate([dr, zeros_like(_rows(r, n, m))], axis=-2)
    return dq, dr


def _qr_vjp(g, ans, a, mode="reduced"):
    # transpose of _qr_jvp: B = Q^T Q_bar - R_bar R^T, C_bar = R_bar R^T + tril(B - B^T, -1),
    # A_bar = (Q C_bar + (I - Q Q^T) Q_bar) R^{-T}
    _real_only("qr", a)
    q, r = ans
    m, n = _np.shape(a)[-2:]
    q1 = _cols(q, 0, n) if m > n else q
    r1 = _rows(r, 0, n) if m > n else r
    gq, gr = _nz(g[0]), _nz(g[1])
    if mode == "complete" and m > n:
        if gq is not None:
            gq = _cols(gq, 0, n) - matmul(_cols(q, n, m), matmul(_mT(_cols(gq, n, m)), q1))
        if gr is not None:
            gr = _rows(gr, 0, n)
    rrt = None if gr is None else matmul(gr, _mT(r1))
    b = None if gq is None else matmul(_mT(q1), gq)
    if rrt is not None:
        b = negative(rrt) if b is None else b - rrt
    cbar = _add_opt(rrt, (b - _mT(b)) * _np.tril(_np.ones((n, n)), -1))
    x = matmul(q1, cbar)
    if gq is not None:
        x = x + gq - matmul(q1, matmul(_mT(q1), gq))
    return _mT(solve_p(r1, _mT(x)))


qr_p = Primitive("linalg.qr", _qr_impl, multiple_results=True)   # m >= n only
qr_p.defjvp(_qr_jvp)
_defvjp(qr_p, _qr_vjp)
qr_p.defbatch(_stacked(qr_p, 2))


def qr(a, mode="reduced"):
    """``numpy.linalg.qr``; differentiable for real A of full rank in modes 'reduced',
    'complete' and 'r'. Signs of Q's columns / R's rows follow LAPACK (test sign-invariant
    functions). A wide A = [X, Y] is Q [R1, Q^T Y] with X = Q R1."""
    if not _traced(a):
        return _np.linalg.qr(a, mode=mode)
    if mode not in ("reduced", "complete", "r"):
        raise NotImplementedError(f"linalg.qr: mode={mode!r} has no derivative; use 'reduced', "
                                  "'complete' or 'r'")
    if _np.ndim(a) < 2:
        raise LinAlgError(f"linalg.qr: {_np.ndim(a)}-dimensional array given; the array must be "
                          "at least two-dimensional")
    m, n = _np.shape(a)[-2:]
    if m >= n:
        q, r = qr_p(a, mode="complete" if mode == "complete" else "reduced")
    else:
        q, r1 = qr_p(_cols(a, 0, m), mode="reduced")
        r = concatenate([r1, matmul(_mT(q), _cols(a, m, n))], axis=-1)
    return r if mode == "r" else QRResult(q, r)


# --- pinv ----------------------------------------------------------------------------------------

def _pinv_impl(a, **kw):
    return _np.linalg.pinv(a, **kw)


def _pinv_jvp(g, ans, a, **kw):
    # Golub & Pereyra 1973 (constant rank): dP = -P dA P + P P^T dA^T (I - A P)
    #                                             + (I - P A) dA^T P^T P
    _real_only("pinv", a)
    p = ans
    t1 = negative(matmul(matmul(p, g), p))
    x2 = matmul(matmul(p, _mT(p)), _mT(g))
    t2 = x2 - matmul(matmul(x2, a), p)
    x3 = matmul(_mT(g), matmul(_mT(p), p))
    t3 = x3 - matmul(p, matmul(a, x3))
    return t1 + t2 + t3


def _pinv_vjp(g, ans, a, **kw):
    # A_bar = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A)
    _real_only("pinv", a)
    p = ans
    t1 = negative(matmul(matmul(_mT(p), g), _mT(p)))
    y2 = matmul(_mT(g), matmul(p, _mT(p)))
    t2 = y2 - matmul(a, matmul(p, y2))
    y3 = matmul(matmul(_mT(p), p), _mT(g))
    t3 = y3 - matmul(matmul(y3, p), a)
    return t1 + t2 + t3


pinv_p = Primitive("linalg.pinv", _pinv_impl)
pinv_p.defjvp(_pinv_jvp)
_defvjp(pinv_p, _pinv_vjp)
pinv_p.defbatch(_stacked(pinv_p))


_NOVALUE = object()


def pinv(a, rcond=None, hermitian=False, *, rtol=_NOVALUE):
    """``numpy.linalg.pinv``; differentiable for real A where its rank is locally constant."""
    kw = {"hermitian": hermitian}
    if rcond is not None:
        kw["rcond"] = getval(rcond)
    if rtol is not _NOVALUE:
        kw["rtol"] = getval(rtol)
    if not _traced(a):
        return _np.linalg.pinv(a, **kw)
    return pinv_p(a, **kw)


# --- matrix_rank (no derivative) -------------------------------------------------------------

def _matrix_rank_impl(a, tol=None, hermitian=False, rtol=None):
    return _np.linalg.matrix_rank(a, tol=tol, hermitian=hermitian, rtol=rtol)


def _matrix_rank_batch(vals, dims, **kw):
    if _np.ndim(vals[0]) < 3:   # a batch of vectors, which NumPy would read as one matrix
        return loop_batch(_matrix_rank_p)(vals, dims, **kw)
    return _matrix_rank_p(vals[0], **kw), 0


_matrix_rank_p = Primitive("linalg.matrix_rank", _matrix_rank_impl, nondiff=True)
_matrix_rank_p.defbatch(_matrix_rank_batch)


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """``numpy.linalg.matrix_rank``; an integer, not differentiable."""
    return _matrix_rank_p(A, tol=getval(tol), hermitian=hermitian, rtol=getval(rtol))


# --- composites ------------------------------------------------------------------------------

def matrix_power(a, n):
    """``numpy.linalg.matrix_power`` by repeated squaring (NumPy's order of products)."""
    if not _traced(a):
        return _np.linalg.matrix_power(a, n)
    _check_square("matrix_power", a)
    try:
        n = operator.index(n)
    except TypeError as e:
        raise TypeError("linalg.matrix_power: exponent must be an integer") from e
    if n == 0:
        return zeros_like(a) + _np.eye(_np.shape(a)[-1], dtype=dtype_of(a))
    if n < 0:
        a = inv(a)
        n = -n
    if n == 1:
        return a
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None
    while n > 0:
        z = a if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def _chain_order(dims):
    """Optimal parenthesization of a matrix chain (dynamic programming, as NumPy does)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = _np.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j] = c
                    split[i][j] = k
    return split


def multi_dot(arrays, *, out=None):
    """``numpy.linalg.multi_dot``: a chain of ``matmul`` in the cheapest order."""
    arrays = list(arrays)
    if not _traced(*arrays):
        return _np.linalg.multi_dot(arrays, out=out)
    if out is not None:
        raise TypeError("linalg.multi_dot(..., out=...) cannot write a traced result in place")
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    first_1d = _np.ndim(arrays[0]) == 1
    last_1d = _np.ndim(arrays[-1]) == 1
    if first_1d:
        arrays[0] = expand_dims(arrays[0], 0)
    if last_1d:
        arrays[-1] = expand_dims(arrays[-1], -1)
    for i, x in enumerate(arrays):
        if _np.ndim(x) != 2:
            raise ValueError(f"linalg.multi_dot: array {i} has {_np.ndim(x)} dimensions; "
                             "expected 2 (1 for the first and last)")
    dims = [_np.shape(arrays[0])[0]] + [_np.shape(x)[1] for x in arrays]
    split = _chain_order(dims)

    def prod(i, j):
        if i == j:
            return arrays[i]
        k = split[i][j]
        return matmul(prod(i, k), prod(k + 1, j))

    res = prod(0, len(arrays) - 1)
    if first_1d and last_1d:
        return reshape(res, shape=())
    if first_1d:
        return squeeze(res, 0)
    if last_1d:
        return squeeze(res, -1)
    return res


def tensorsolve(a, b, axes=None):
    """``numpy.linalg.tensorsolve``: reshape to a square system and ``solve``."""
    if not _traced(a, b):
        return _np.linalg.tensorsolve(a, b, axes=axes)
    an = _np.ndim(a)
    if axes is not None:
        allaxes = list(range(an))
        for k in axes:
            allaxes.remove(k)
            allaxes.insert(an, k)
        a = transpose(a, axes=allaxes)
    oldshape = _np.shape(a)[-(an - _np.ndim(b)):]
    prod = int(_np.prod(oldshape, dtype=_np.int64))
    if int(_np.prod(_np.shape(a), dtype=_np.int64)) != prod ** 2:
        raise LinAlgError("Input arrays must satisfy the requirement "
                          "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")
    res = solve(reshape(a, shape=(prod, prod)), reshape(b, shape=(-1,)))
    return reshape(res, shape=oldshape)


def tensorinv(a, ind=2):
    """``numpy.linalg.tensorinv``: reshape to a square matrix and ``inv``."""
    if not _traced(a):
        return _np.linalg.tensorinv(a, ind=ind)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    oldshape = _np.shape(a)
    prod = int(_np.prod(oldshape[:ind], dtype=_np.int64))
    invshape = oldshape[ind:] + oldshape[:ind]
    return reshape(inv(reshape(a, shape=(prod, -1))), shape=invshape)


def lstsq(a, b, rcond=None):
    """``numpy.linalg.lstsq`` -> (x, residuals, rank, s); x = pinv(a) b is differentiable
    where the rank of a is locally constant, residuals and s too; rank is an integer.

    Under ``vmap`` a is taken to have full rank when deciding whether residuals are returned.
    """
    if not _traced(a, b):
        return _np.linalg.lstsq(a, b, rcond=rcond)
    if _np.ndim(a) != 2:
        raise LinAlgError(f"linalg.lstsq: a has {_np.ndim(a)} dimensions; expected 2")
    m, n = _np.shape(a)
    b1 = _np.ndim(b) == 1
    bm = expand_dims(b, -1) if b1 else b
    if _np.shape(bm)[0] != m:
        raise LinAlgError(f"linalg.lstsq: incompatible dimensions, a {(m, n)} and b "
                          f"{_np.shape(b)}")
    if rcond is None:
        rcond = _np.finfo(_np.result_type(dtype_of(a), _np.float64)).eps * max(m, n)
    s = svd(a, compute_uv=False)
    x = matmul(pinv(a, rcond=rcond), bm)
    rank = sum(greater(s, rcond * _amax_nd(s, axis=-1, keepdims=True)), axis=-1)
    full = isinstance(rank, Tracer) or int(rank) == n
    if m > n and full:
        resid = sum(_abs2(bm - matmul(a, x)), axis=0)
    else:
        real = _np.real(_np.zeros((), _np.result_type(dtype_of(a), _np.float64))).dtype
        resid = _np.empty((0,), dtype=real)
    if b1:
        x = squeeze(x, -1)
    if not isinstance(rank, Tracer):
        rank = _np.int32(rank)
    return x, resid, rank, s


# --- norm ------------------------------------------------------------------------------------

def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _safe_sqrt(sum(_abs2(x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord == inf:
        return _max_shared(_abs(x), axis, keepdims)
    if ord == -inf:
        return _min_shared(_abs(x), axis, keepdims)
    if ord == 0:   # the count of nonzeros: an integer-valued step function, no derivative
        cnt = sum(not_equal(x, 0), axis=axis, keepdims=keepdims)
        real = _np.result_type(_np.real(_np.zeros((), dtype_of(x))).dtype, _np.float64)
        return cnt * _np.ones((), dtype=real)
    if ord == 1:
        return sum(_abs(x), axis=axis, keepdims=keepdims)
    return _safe_root(sum(power(_abs(x), float(ord)), axis=axis, keepdims=keepdims), ord)


def _matrix_norm(x, ord, axes, keepdims):
    nd = _np.ndim(x)
    row, col = (ax % nd for ax in axes)
    if row == col:
        raise ValueError("Duplicate axes given.")
    y = moveaxis(x, source=(row, col), destination=(nd - 2, nd - 1))
    if ord == 2:
        r = getitem(svdvals(y), idx=(Ellipsis, 0))
    elif ord == -2:
        r = getitem(svdvals(y), idx=(Ellipsis, -1))
    elif ord == 1:
        r = _max_shared(sum(_abs(y), axis=-2), -1)
    elif ord == -1:
        r = _min_shared(sum(_abs(y), axis=-2), -1)
    elif ord == inf:
        r = _max_shared(sum(_abs(y), axis=-1), -1)
    elif ord == -inf:
        r = _min_shared(sum(_abs(y), axis=-1), -1)
    elif ord in (None, "fro", "f"):
        r = _safe_sqrt(sum(_abs2(y), axis=(-2, -1)))
    elif ord == "nuc":
        r = sum(svdvals(y), axis=-1)
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices.")
    if keepdims:
        r = expand_dims(r, tuple(sorted((row, col))))
    return r


def norm(x, ord=None, axis=None, keepdims=False):
    """``numpy.linalg.norm``, every ``ord`` for vectors and matrices; differentiable.

    At x = 0 the 2-norm (and Frobenius norm) has derivative 0; ties in max/min-type norms
    share the derivative evenly; ``ord=0`` counts nonzeros and has no derivative."""
    if not _traced(x):
        return _np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    nd = _np.ndim(x)
    if axis is None:
        if ord is None:
            r = _safe_sqrt(sum(_abs2(x)))
            return reshape(r, shape=(1,) * nd) if keepdims else r
        if nd == 1:
            axis = (0,)
        elif nd == 2:
            axis = (0, 1)
        else:
            raise ValueError("Improper number of dimensions to norm.")
    elif not isinstance(axis, tuple):
        try:
            axis = (operator.index(axis),)
        except TypeError as e:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from e
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0] % nd, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """``numpy.linalg.vector_norm``: a vector norm over ``axis`` (several axes: flattened)."""
    if not _traced(x):
        return _np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    shape = _np.shape(x)
    nd = len(shape)
    if axis is None:
        y, ax, red = reshape(x, shape=(-1,)), 0, tuple(range(nd))
    elif isinstance(axis, tuple):
        red = tuple(sorted(a % nd for a in axis))
        rest = [i for i in range(nd) if i not in red]
        y = transpose(x, axes=tuple(rest) + red)
        y = reshape(y, shape=tuple(shape[i] for i in rest) + (-1,))
        ax = -1
    else:
        red = (axis % nd,)
        y, ax = x, axis
    r = norm(y, ord=ord, axis=ax)
    if keepdims:
        r = reshape(r, shape=tuple(1 if i in red else n for i, n in enumerate(shape)))
    return r


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """``numpy.linalg.matrix_norm``: a matrix norm of the last two axes."""
    if not _traced(x):
        return _np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def cond(x, p=None):
    """``numpy.linalg.cond``: s_max/s_min for p in (None, 2, -2), else
    norm(x, p) * norm(inv(x), p); differentiable."""
    if not _traced(x):
        return _np.linalg.cond(x, p)
    if p is None or p == 2 or p == -2:
        s = svdvals(x)
        first, last = getitem(s, idx=(Ellipsis, 0)), getitem(s, idx=(Ellipsis, -1))
        return first / last if p != -2 else last / first
    _check_square("cond", x)
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


# --- the Array API names numpy.linalg also carries ---------------------------------------------

def linalg_matmul(x1, x2, /):
    """``numpy.linalg.matmul``."""
    return matmul(x1, x2)


def linalg_tensordot(x1, x2, /, *, axes=2):
    """``numpy.linalg.tensordot``."""
    return tensordot(x1, x2, axes)


def outer(x1, x2, /):
    """``numpy.linalg.outer`` of two vectors."""
    if not _traced(x1, x2):
        return _np.linalg.outer(x1, x2)
    if _np.ndim(x1) != 1 or _np.ndim(x2) != 1:
        raise ValueError(f"linalg.outer: both inputs must be 1-D, got {_np.ndim(x1)}-D and "
                         f"{_np.ndim(x2)}-D")
    return expand_dims(x1, -1) * expand_dims(x2, 0)


def diagonal(x, /, *, offset=0):
    """``numpy.linalg.diagonal``: the diagonal of the last two axes."""
    if not _traced(x):
        return _np.linalg.diagonal(x, offset=offset)
    nr, nc = _np.shape(x)[-2:]
    r0, c0 = max(-offset, 0), max(offset, 0)
    k = max(0, min(nr - r0, nc - c0))
    rows, cols = _np.arange(k) + r0, _np.arange(k) + c0
    return getitem(x, idx=(Ellipsis, rows, cols))


def trace(x, /, *, offset=0, dtype=None):
    """``numpy.linalg.trace``: the trace of the last two axes."""
    if not _traced(x):
        return _np.linalg.trace(x, offset=offset, dtype=dtype)
    return sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


def matrix_transpose(x, /):
    """``numpy.linalg.matrix_transpose``."""
    if _np.ndim(x) < 2:
        raise ValueError("Input array must be at least 2-dimensional")
    return _mT(x)


def vecdot(x1, x2, /, *, axis=-1):
    """``numpy.linalg.vecdot``: sum(conj(x1) * x2) over ``axis``."""
    if not _traced(x1, x2):
        return _np.linalg.vecdot(x1, x2, axis=axis)
    return sum(_conj(x1) * x2, axis=axis)


def cross(x1, x2, /, *, axis=-1):
    """``numpy.linalg.cross`` of 3-vectors along ``axis``."""
    if not _traced(x1, x2):
        return _np.linalg.cross(x1, x2, axis=axis)
    if _np.shape(x1)[axis] != 3 or _np.shape(x2)[axis] != 3:
        raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors, got "
                         f"shapes {_np.shape(x1)} and {_np.shape(x2)} along axis {axis}")
    a = moveaxis(x1, source=axis, destination=-1)
    b = moveaxis(x2, source=axis, destination=-1)

    def c(v, i):
        return getitem(v, idx=(Ellipsis, i))

    out = stack([c(a, 1) * c(b, 2) - c(a, 2) * c(b, 1),
                 c(a, 2) * c(b, 0) - c(a, 0) * c(b, 2),
                 c(a, 0) * c(b, 1) - c(a, 1) * c(b, 0)], axis=-1)
    return moveaxis(out, source=-1, destination=axis)


# Public names (numpy.linalg's) -> the function here.
PUBLIC = {
    "cholesky": cholesky, "cond": cond, "cross": cross, "det": det, "diagonal": diagonal,
    "eig": eig, "eigh": eigh, "eigvals": eigvals, "eigvalsh": eigvalsh, "inv": inv,
    "lstsq": lstsq, "matmul": linalg_matmul, "matrix_norm": matrix_norm,
    "matrix_power": matrix_power, "matrix_rank": matrix_rank,
    "matrix_transpose": matrix_transpose, "multi_dot": multi_dot, "norm": norm, "outer": outer,
    "pinv": pinv, "qr": qr, "slogdet": slogdet, "solve": solve, "svd": svd, "svdvals": svdvals,
    "tensordot": linalg_tensordot, "tensorinv": tensorinv, "tensorsolve": tensorsolve,
    "trace": trace, "vecdot": vecdot, "vector_norm": vector_norm,
}

DIFFERENTIABLE = sorted(n for n in PUBLIC if n != "matrix_rank")
NONDIFFERENTIABLE = ["matrix_rank"]
