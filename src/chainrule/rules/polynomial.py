"""NumPy's legacy polynomial functions (coefficients highest power first): ``polyadd``,
``polysub``, ``polymul``, ``polydiv``, ``polyder``, ``polyint``, ``poly``, ``roots``,
``polyfit``, ``vander``.

Why composites: each is a few slices, products, convolutions or a least-squares solve, so
the rules of ``convolve``, ``concatenate``, ``linalg.lstsq`` and ``linalg.eig`` give every
order and vmap. With plain arguments NumPy's own function runs.

Conventions:

- ``roots``: the eigenvalues of the companion matrix (as NumPy computes them), through
  ``linalg.eigvals``; the output is complex unless every root is real (as in NumPy). At a
  repeated root the derivative is undefined (it is infinite) and follows ``linalg.eig``'s
  convention. Leading zero coefficients are stripped by value (under ``vmap`` they cannot
  be, so the leading coefficient must be nonzero there); trailing zeros stay in the
  companion matrix, so the root 0 they give keeps its derivative in them.
- ``poly`` of a square matrix (its characteristic polynomial) is computed by the
  Faddeev-LeVerrier recursion, a polynomial in the entries, so its derivative exists
  everywhere (repeated eigenvalues included); the values agree with NumPy's (which goes
  through eigenvalues) to rounding.
- ``polydiv`` drops the leading entries of the remainder that are zero (NumPy's
  ``allclose(r[0], 0)`` test); under ``vmap`` only the entries that cancel by construction
  are dropped.

    >>> polymul(numpy.array([1.0, 1.0]), numpy.array([1.0, -1.0]))
    array([ 1.,  0., -1.])
"""

from __future__ import annotations

import numpy as _np

from ..core.trace import Tracer, getval
from ._passthrough import has_tracer
from .shape import atleast_1d, concatenate, getitem, reshape, stack

numpy = _np  # for the doctest


def _as_value(x):
    return x if isinstance(x, Tracer) else _np.asarray(x)


def _dtype(x):
    d = getattr(x, "dtype", None)
    return d if d is not None else _np.result_type(x)


def _is_poly1d(*xs):
    return any(isinstance(x, _np.poly1d) for x in xs)


def _no_poly1d(name, *xs):
    if _is_poly1d(*xs):
        raise TypeError(f"{name}: numpy.poly1d holds plain coefficients; pass a traced "
                        f"coefficient array instead")


def _len(x):
    return _np.shape(x)[0]


def _zeros(k, like):
    return _np.zeros(k, dtype=_np.result_type(_dtype(like), float))


# --- arithmetic --------------------------------------------------------------------------------

def _pad_front(a, n):
    k = n - _len(a)
    return a if k == 0 else concatenate([_zeros(k, a), a], 0)


def polyadd(a1, a2):
    """``numpy.polyadd``; differentiable in both."""
    if not has_tracer(a1, a2):
        return _np.polyadd(a1, a2)
    _no_poly1d("polyadd", a1, a2)
    a1, a2 = atleast_1d(_as_value(a1)), atleast_1d(_as_value(a2))
    n = max(_len(a1), _len(a2))
    return _pad_front(a1, n) + _pad_front(a2, n)


def polysub(a1, a2):
    """``numpy.polysub``; differentiable in both."""
    if not has_tracer(a1, a2):
        return _np.polysub(a1, a2)
    _no_poly1d("polysub", a1, a2)
    a1, a2 = atleast_1d(_as_value(a1)), atleast_1d(_as_value(a2))
    n = max(_len(a1), _len(a2))
    return _pad_front(a1, n) - _pad_front(a2, n)


def polymul(a1, a2):
    """``numpy.polymul``: ``convolve``; differentiable in both."""
    if not has_tracer(a1, a2):
        return _np.polymul(a1, a2)
    _no_poly1d("polymul", a1, a2)
    from .products import convolve

    return convolve(atleast_1d(_as_value(a1)), atleast_1d(_as_value(a2)))


def polydiv(u, v):
    """``numpy.polydiv`` -> (quotient, remainder); differentiable in both (long division)."""
    if not has_tracer(u, v):
        return _np.polydiv(u, v)
    _no_poly1d("polydiv", u, v)
    u = atleast_1d(_as_value(u)) + 0.0
    v = atleast_1d(_as_value(v)) + 0.0
    m, n = _len(u) - 1, _len(v) - 1
    scale = 1.0 / getitem(v, idx=0)
    r = u
    q = []
    for k in range(0, m - n + 1):
        d = scale * getitem(r, idx=k)
        q.append(d)
        r = concatenate([getitem(r, idx=slice(0, k)),
                         getitem(r, idx=slice(k, k + n + 1)) - d * v,
                         getitem(r, idx=slice(k + n + 1, None))], 0)
    q = stack(q) if q else _zeros(1, u) + 0.0 * getitem(u, idx=slice(0, 1))
    # The first m - n + 1 entries of r cancel by construction; NumPy drops leading entries
    # while allclose(r[0], 0, rtol=1e-14) (at least one entry stays).
    start = max(m - n + 1, 0)
    if start >= _len(r):
        start = _len(r) - 1
    rv = getval(r)
    if isinstance(rv, Tracer):  # batched: drop only what cancels by construction
        return q, getitem(r, idx=slice(start, None))
    start = 0
    while start < len(rv) - 1 and _np.allclose(rv[start], 0, rtol=1e-14):
        start += 1
    return q, getitem(r, idx=slice(start, None))


# --- calculus ------------------------------------------------------------------------------------

def polyder(p, m=1):
    """``numpy.polyder``; differentiable in ``p``."""
    if not isinstance(p, Tracer):
        return _np.polyder(p, m)
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = atleast_1d(p)
    for _ in range(m):
        n = _len(p) - 1
        p = getitem(p, idx=slice(None, -1)) * _np.arange(n, 0, -1)
    return p


def polyint(p, m=1, k=None):
    """``numpy.polyint``; differentiable in ``p`` and in the constants ``k``."""
    if not has_tracer(p, k):
        return _np.polyint(p, m, k)
    _no_poly1d("polyint", p)
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    if k is None:
        k = _np.zeros(m, float)
    k = atleast_1d(_as_value(k))
    if _len(k) == 1 and m > 1:
        k = getitem(k, idx=0) * _np.ones(m, float)
    if _len(k) < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    p = _as_value(p)
    for i in range(m):
        p = concatenate([p / _np.arange(_len(p), 0, -1), getitem(k, idx=slice(i, i + 1))], 0)
    return p


# --- roots and coefficients -------------------------------------------------------------------

def _charpoly(a):
    """Faddeev-LeVerrier: the coefficients of det(x I - a), highest power first."""
    from .products import matmul
    from .reductions import trace

    n = _np.shape(a)[0]
    eye = _np.eye(n)
    coeffs = [1.0 + 0.0 * trace(a)]
    mk = None
    for k in range(1, n + 1):
        mk = eye * coeffs[-1] if mk is None else matmul(a, mk) + eye * coeffs[-1]
        coeffs.append(-trace(matmul(a, mk)) / k)
    return stack(coeffs)


def poly(seq_of_zeros):
    """``numpy.poly``: coefficients from roots (a product of (x - r) factors), or the
    characteristic polynomial of a square matrix; differentiable."""
    if not isinstance(seq_of_zeros, Tracer):
        return _np.poly(seq_of_zeros)
    from .creation import astype
    from .elementwise import real
    from .products import convolve

    z = atleast_1d(seq_of_zeros)
    sh = _np.shape(z)
    if len(sh) == 2 and sh[0] == sh[1] and sh[0] != 0:
        return _charpoly(z)
    if len(sh) != 1:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    if sh[0] == 0:
        return 1.0
    dt = _np.dtype(_np.mintypecode(_dtype(z).char))
    if dt != _dtype(z):
        z = astype(z, dt)
    a = _np.ones((1,), dtype=dt)
    for i in range(sh[0]):
        zi = getitem(z, idx=slice(i, i + 1))
        a = convolve(a, concatenate([_np.ones(1, dtype=dt), -zi], 0))
    if _np.issubdtype(_dtype(a), _np.complexfloating):
        zv = getval(z)
        if not isinstance(zv, Tracer):
            r = _np.asarray(zv, complex)
            if _np.all(_np.sort(r) == _np.sort(r.conjugate())):
                a = real(a)
    return a


def roots(p):
    """``numpy.roots``: eigenvalues of the companion matrix; differentiable (see the
    module docstring for repeated roots and zero coefficients)."""
    if not isinstance(p, Tracer):
        return _np.roots(p)
    from .creation import astype
    from .linalg import eigvals

    p = atleast_1d(p)
    if _np.ndim(p) != 1:
        raise ValueError("Input must be a rank-1 array.")
    pv = getval(p)
    if not isinstance(pv, Tracer):
        nz = _np.nonzero(_np.ravel(pv))[0]
        if len(nz) == 0:
            return _np.array([])
        # Leading zeros go (their roots are at infinity). Trailing zeros stay in the
        # companion matrix: each gives the root 0, whose derivative in that coefficient
        # (the root moves off 0) NumPy's stripping would lose.
        p = getitem(p, idx=slice(int(nz[0]), None))
    if not _np.issubdtype(_dtype(p), _np.inexact):
        p = astype(p, float)
    N = _len(p)
    if N > 1:
        first = reshape(-getitem(p, idx=slice(1, None)) / getitem(p, idx=0), (1, N - 1))
        rest = _np.eye(N - 2, N - 1, dtype=_np.result_type(_dtype(p), float))
        r = eigvals(concatenate([first, rest], 0))
    else:
        r = _np.array([])
    return r


# --- vander and polyfit ---------------------------------------------------------------------

def vander(x, N=None, increasing=False):
    """``numpy.vander``; differentiable (columns are running products, as NumPy builds
    them)."""
    if not isinstance(x, Tracer):
        return _np.vander(x, N, increasing)
    from .assembly import flip
    from .reductions import cumprod
    from .shape import broadcast_to

    if _np.ndim(x) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = _len(x)
    N = n if N is None else int(N)
    if N == 0:
        return _np.zeros((n, 0), dtype=_np.result_type(_dtype(x), int))
    ones = _np.ones((n, 1), dtype=_np.result_type(_dtype(x), int))
    if N == 1:
        out = ones + 0.0 * reshape(x, (n, 1))
    else:
        powers = cumprod(broadcast_to(reshape(x, (n, 1)), (n, N - 1)), axis=1)
        out = concatenate([ones, powers], 1)
    return out if increasing else flip(out, 1)


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """``numpy.polyfit``: a scaled least-squares fit through ``linalg.lstsq``; differentiable
    in ``x``, ``y`` and ``w`` where the Vandermonde matrix keeps full rank."""
    if not has_tracer(x, y, w):
        return _np.polyfit(x, y, deg, rcond, full, w, cov)
    import warnings

    from .elementwise import sqrt
    from .linalg import inv, lstsq
    from .products import dot, outer
    from .reductions import sum as _sum
    from .shape import transpose

    order = int(deg) + 1
    x = _as_value(x) + 0.0
    y = _as_value(y) + 0.0
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if _np.ndim(x) != 1:
        raise TypeError("expected 1D vector for x")
    if _len(x) == 0:
        raise TypeError("expected non-empty vector for x")
    if _np.ndim(y) < 1 or _np.ndim(y) > 2:
        raise TypeError("expected 1D or 2D array for y")
    if _len(x) != _len(y):
        raise TypeError("expected x and y to have same length")
    if rcond is None:
        rcond = _len(x) * _np.finfo(_dtype(x)).eps
    lhs = vander(x, order)
    rhs = y
    if w is not None:
        w = _as_value(w) + 0.0
        if _np.ndim(w) != 1:
            raise TypeError("expected a 1-d array for weights")
        if _len(w) != _len(y):
            raise TypeError("expected w and y to have the same length")
        lhs = lhs * reshape(w, (-1, 1))
        rhs = rhs * (reshape(w, (-1, 1)) if _np.ndim(rhs) == 2 else w)
    scale = sqrt(_sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, resids, rank, s = lstsq(lhs, rhs, rcond)
    c = transpose(transpose(c) / scale)
    rv = getval(rank)
    if not isinstance(rv, Tracer) and rv != order and not full:
        warnings.warn("Polyfit may be poorly conditioned", _np.exceptions.RankWarning,
                      stacklevel=2)
    if full:
        return c, resids, rank, s, rcond
    if cov:
        vbase = inv(dot(transpose(lhs), lhs)) / outer(scale, scale)
        if cov == "unscaled":
            fac = 1
        else:
            if _len(x) <= order:
                raise ValueError("the number of data points must exceed order to scale the "
                                 "covariance matrix")
            fac = resids / (_len(x) - order)
        if _np.ndim(y) == 1:
            return c, vbase * fac
        return c, reshape(vbase, _np.shape(vbase) + (1,)) * fac
    return c


DIFFERENTIABLE = [
    "poly", "polyadd", "polyder", "polydiv", "polyfit", "polyint", "polymul", "polysub",
    "roots", "vander",
]
NONDIFFERENTIABLE: list = []
