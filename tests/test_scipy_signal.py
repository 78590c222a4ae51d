"""chainrule.scipy.signal: convolve/correlate/fftconvolve in every mode and method, N-D:
values against SciPy, derivatives (order 2, both modes, vmap), closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
from helpers import check_all

import chainrule as cr
import chainrule.scipy.signal as cs

SHAPES = [((6,), (3,)), ((3,), (5,)), ((4, 5), (2, 3)), ((2, 3), (3, 4)), ((3, 2, 4), (2, 2, 2))]
MODES = ["full", "same", "valid"]


def _pair(s1, s2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=s1), rng.normal(size=s2)


def _valid_ok(s1, s2):
    return all(a >= b for a, b in zip(s1, s2)) or all(b >= a for a, b in zip(s1, s2))


CASES = [(fn, mode, method, s1, s2) for fn in ("convolve", "correlate") for mode in MODES
         for method in ("auto", "direct", "fft") for s1, s2 in SHAPES
         if mode != "valid" or _valid_ok(s1, s2)]


@pytest.mark.parametrize("fn,mode,method,s1,s2", CASES)
def test_values_match_scipy(fn, mode, method, s1, s2):
    x, y = _pair(s1, s2)
    got = getattr(cs, fn)(x, y, mode=mode, method=method)
    want = getattr(ss, fn)(x, y, mode=mode, method=method)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


GRAD_CASES = [(fn, mode, s1, s2) for fn in ("convolve", "correlate") for mode in MODES
              for s1, s2 in SHAPES[:4] if mode != "valid" or _valid_ok(s1, s2)]


@pytest.mark.parametrize("fn,mode,s1,s2", GRAD_CASES)
def test_grads(fn, mode, s1, s2):
    x, y = _pair(s1, s2, seed=1)
    check_all(lambda a, b: getattr(cs, fn)(a, b, mode=mode, method="direct"), x, y)


@pytest.mark.parametrize("mode", MODES)
def test_fftconvolve(mode):
    x, y = _pair((4, 5), (2, 3), seed=2)
    np.testing.assert_allclose(cs.fftconvolve(x, y, mode), ss.fftconvolve(x, y, mode),
                               rtol=1e-12, atol=1e-12)
    check_all(lambda a, b: cs.fftconvolve(a, b, mode), x, y)


def test_fftconvolve_axes_broadcast():
    x, y = _pair((3, 6), (1, 3), seed=3)
    for mode in MODES:
        np.testing.assert_allclose(cs.fftconvolve(x, y, mode, axes=1),
                                   ss.fftconvolve(x, y, mode, axes=1), rtol=1e-12, atol=1e-12)
    check_all(lambda a, b: cs.fftconvolve(a, b, "same", axes=-1), x, y)
    np.testing.assert_allclose(cs.oaconvolve(x, y, axes=1), ss.oaconvolve(x, y, axes=1),
                               rtol=1e-12, atol=1e-12)


def test_closed_form_gradients():
    # d/dx sum(convolve(x, y, full)) = sum(y) everywhere; d/dy the same with sum(x)
    x, y = _pair((5, 4), (2, 3), seed=4)
    gx, gy = cr.grad(lambda a, b: cr.numpy.sum(cs.convolve(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.full(x.shape, y.sum()), rtol=1e-12)
    np.testing.assert_allclose(gy, np.full(y.shape, x.sum()), rtol=1e-12)
    # the Jacobian of a 1-D full convolution in x is the Toeplitz matrix of y
    a, b = _pair((4,), (3,), seed=5)
    jac = cr.jacobian(lambda v: cs.convolve(v, b))(a)
    toeplitz = np.array([[b[i - j] if 0 <= i - j < 3 else 0.0 for j in range(4)]
                         for i in range(6)])
    np.testing.assert_allclose(jac, toeplitz, atol=1e-15)


def test_complex_correlate():
    rng = np.random.default_rng(6)
    x = rng.normal(size=5) + 1j * rng.normal(size=5)
    y = rng.normal(size=3) + 1j * rng.normal(size=3)
    for mode in MODES:
        np.testing.assert_allclose(cs.correlate(x, y, mode), ss.correlate(x, y, mode),
                                   rtol=1e-12, atol=1e-12)
    check_all(lambda a, b: cs.correlate(a, b, "same"), x, y, order=1)


def test_errors():
    with pytest.raises(ValueError, match="dimensionality"):
        cs.convolve(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match="valid"):
        cs.convolve(np.ones((3, 2)), np.ones((2, 3)), mode="valid")
    with pytest.raises(ValueError, match="mode"):
        cs.convolve(np.ones(3), np.ones(2), mode="bogus")
    with pytest.raises(ValueError, match="method"):
        cs.convolve(np.ones(3), np.ones(2), method="bogus")


AUTOGRAD_CONV = [
    ((5, 6), (3, 2), dict(axes=([0, 1], [0, 1]), dot_axes=[(), ()], mode="valid")),
    ((5, 6), (3, 2), dict(axes=([0, 1], [0, 1]), mode="full")),
    ((2, 3, 6, 6), (3, 4, 3, 3), dict(axes=([2, 3], [2, 3]), dot_axes=([1], [0]), mode="valid")),
    ((2, 3), (5, 4), dict(axes=([0, 1], [0, 1]), mode="full")),  # the larger array second
]


def _reference(A, B, kw):
    """The definition, independently: SciPy for plain N-D convolution; for the image case
    (A: n, c, h, w and B: c, f, kh, kw contracted over c) explicit loops over the kernel."""
    if "dot_axes" not in kw or kw["dot_axes"] == [(), ()]:
        return ss.convolve(A, B, mode=kw["mode"])
    kh, kw_ = B.shape[2:]
    H, W = A.shape[2] - kh + 1, A.shape[3] - kw_ + 1
    out = np.zeros((A.shape[0], B.shape[1], H, W))
    for p in range(kh):
        for q in range(kw_):
            out += np.einsum("nchw,cf->nfhw", A[:, :, p:p + H, q:q + W],
                             B[:, :, kh - 1 - p, kw_ - 1 - q])
    return out


@pytest.mark.parametrize("sa,sb,kw", AUTOGRAD_CONV)
def test_autograd_style_tensor_convolve(sa, sb, kw):
    """autograd.scipy.signal.convolve(A, B, axes=, dot_axes=, mode=), as its convnet uses."""
    rng = np.random.default_rng(7)
    A, B = rng.standard_normal(sa), rng.standard_normal(sb)
    out = cs.convolve(A, B, **kw)
    np.testing.assert_allclose(out, _reference(A, B, kw), rtol=1e-12, atol=1e-12)
    check_all(lambda a, b: cs.convolve(a, b, **kw), A, B, vmap=False)
    try:
        import autograd.scipy.signal as ags
    except ImportError:
        return
    np.testing.assert_allclose(out, ags.convolve(A, B, **kw), rtol=1e-12, atol=1e-12)
