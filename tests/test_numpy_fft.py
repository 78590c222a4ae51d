"""chainrule.numpy.fft: every transform through check_all (order 2, both modes, vmap) over
lengths, crops and pads, axes and norms; values against numpy.fft; oracles vs PyTorch.

The functions are written with plain ``numpy.fft`` calls: on arrays they are NumPy's reference,
on traced values they dispatch to chainrule.
"""

import numpy as np
import pytest
from helpers import check_all

import chainrule as cr
import chainrule.numpy.fft as cfft
from chainrule.rules.linalg import _imag, _real

rng = np.random.default_rng(0)


def rand(*s):
    return rng.standard_normal(s)


def crand(*s):
    return rng.standard_normal(s) + 1j * rng.standard_normal(s)


NORMS = [None, "ortho", "forward"]
CASES = []
for norm in NORMS:
    tag = norm or "backward"
    CASES += [
        (f"fft-real-{tag}", lambda x, nm=norm: np.fft.fft(x, norm=nm), (rand(5),)),
        (f"fft-complex-crop-{tag}", lambda x, nm=norm: np.fft.fft(x, n=3, norm=nm),
         (crand(2, 4),)),
        (f"ifft-pad-axis0-{tag}", lambda x, nm=norm: np.fft.ifft(x, n=5, axis=0, norm=nm),
         (crand(3, 2),)),
        (f"rfft-even-{tag}", lambda x, nm=norm: np.fft.rfft(x, norm=nm), (rand(2, 6),)),
        (f"rfft-odd-pad-{tag}", lambda x, nm=norm: np.fft.rfft(x, n=7, norm=nm), (rand(5),)),
        (f"irfft-even-{tag}", lambda x, nm=norm: np.fft.irfft(x, norm=nm), (crand(4),)),
        (f"irfft-odd-{tag}", lambda x, nm=norm: np.fft.irfft(x, n=7, norm=nm), (crand(2, 4),)),
        (f"hfft-{tag}", lambda x, nm=norm: np.fft.hfft(x, norm=nm), (crand(4),)),
        (f"ihfft-{tag}", lambda x, nm=norm: np.fft.ihfft(x, norm=nm), (rand(5),)),
        (f"fftn-{tag}", lambda x, nm=norm: np.fft.fftn(x, norm=nm), (crand(2, 3, 2),)),
        (f"irfftn-{tag}", lambda x, nm=norm: np.fft.irfftn(x, norm=nm), (crand(3, 3),)),
    ]
CASES += [
    ("fft-crop-real", lambda x: np.fft.fft(x, n=3), (rand(5),)),
    ("fft-axis0-stack", lambda x: np.fft.fft(x, axis=0), (rand(3, 2, 2),)),
    ("ifft-real-input", np.fft.ifft, (rand(4),)),
    ("rfft-crop-axis0", lambda x: np.fft.rfft(x, n=3, axis=0), (rand(5, 2),)),
    ("irfft-crop", lambda x: np.fft.irfft(x, n=4), (crand(5),)),
    ("irfft-pad", lambda x: np.fft.irfft(x, n=10), (crand(3),)),
    ("irfft-real-input", np.fft.irfft, (rand(4),)),
    ("irfft-axis0", lambda x: np.fft.irfft(x, axis=0), (crand(3, 2),)),
    ("hfft-odd-n", lambda x: np.fft.hfft(x, n=5), (crand(3),)),
    ("ihfft-crop", lambda x: np.fft.ihfft(x, n=4), (rand(6),)),
    ("fftn-s-axes", lambda x: np.fft.fftn(x, s=(3, 2), axes=(0, 2)), (crand(2, 3, 4),)),
    ("fftn-pad-crop", lambda x: np.fft.fftn(x, s=(4, 2), axes=(1, 2)), (rand(2, 3, 3),)),
    ("ifftn-axes", lambda x: np.fft.ifftn(x, axes=(1,)), (crand(2, 3),)),
    ("rfftn", np.fft.rfftn, (rand(2, 3, 4),)),
    ("rfftn-s-axes", lambda x: np.fft.rfftn(x, s=(3, 5), axes=(2, 0)), (rand(2, 3, 4),)),
    ("irfftn-s-axes", lambda x: np.fft.irfftn(x, s=(3, 4), axes=(0, 1)), (crand(2, 3, 2),)),
    ("fft2", np.fft.fft2, (rand(2, 3, 3),)),
    ("ifft2", lambda x: np.fft.ifft2(x, s=(2, 4)), (crand(3, 3),)),
    ("rfft2", np.fft.rfft2, (rand(3, 4),)),
    ("irfft2", lambda x: np.fft.irfft2(x, axes=(0, 1)), (crand(3, 3, 2),)),
    ("fftshift", np.fft.fftshift, (rand(3, 4),)),
    ("fftshift-axis", lambda x: np.fft.fftshift(x, axes=1), (crand(2, 5),)),
    ("ifftshift", np.fft.ifftshift, (rand(5, 2),)),
    ("ifftshift-axes", lambda x: np.fft.ifftshift(x, axes=(0,)), (rand(3, 4),)),
    ("fftfreq", lambda d: np.fft.fftfreq(5, d), (np.array(0.3),)),
    ("rfftfreq", lambda d: np.fft.rfftfreq(6, d=d), (np.array(2.0),)),
    ("fft-then-ifft", lambda x: np.fft.ifft(np.fft.fft(x) * np.arange(4)), (rand(4),)),
]


@pytest.mark.parametrize("f,args", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_derivatives(f, args):
    check_all(f, *args)


@pytest.mark.parametrize("f,args", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_traced_values_match_numpy(f, args):
    want = f(*args)
    got, _ = cr.vjp(f, *args)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.shape(got) == np.shape(want)


def test_every_public_name_is_listed_and_tested():
    assert set(np.fft.__all__) == set(cfft.DIFFERENTIABLE) | set(cfft.NONDIFFERENTIABLE)
    tested = {c[0].split("-")[0] for c in CASES}
    assert set(cfft.DIFFERENTIABLE) <= tested


def test_transforms_are_linear():
    x, v = rand(6), rand(6)
    for f in [np.fft.fft, np.fft.rfft, np.fft.ihfft]:
        out, t = cr.jvp(f, (x,), (v,))
        np.testing.assert_allclose(t, f(v), atol=1e-12)


def test_real_input_gets_a_real_gradient():
    g = cr.grad(lambda x: _real(np.fft.fft(x)[1]))(np.zeros(4))
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, [1.0, 0.0, -1.0, 0.0], atol=1e-15)


def test_irfft_transpose_weights_hermitian_pairs():
    # y = irfft(X) with n = 4: sum(y) = Re(X_0) only; y[0] = (Re X0 + 2 Re X1 + Re X2) / 4
    g = cr.grad(lambda x: np.fft.irfft(x)[0])(np.zeros(3) + 0j)
    np.testing.assert_allclose(g, [0.25, 0.5, 0.25])
    g = cr.grad(lambda x: np.fft.irfft(x, n=5)[0])(np.zeros(3) + 0j)
    np.testing.assert_allclose(g, [0.2, 0.4, 0.4])


def test_out_argument_is_refused_when_traced():
    with pytest.raises(TypeError, match="out="):
        cr.grad(lambda x: np.sum(np.fft.rfft(x, out=np.zeros(3, complex)).real))(rand(4))
    with pytest.raises(ValueError, match="norm"):
        cr.vjp(lambda x: np.fft.fft(x, norm="bad"), rand(3))


def test_fftfreq_plain_values_unchanged():
    np.testing.assert_array_equal(cfft.fftfreq(5, 0.3), np.fft.fftfreq(5, 0.3))
    np.testing.assert_array_equal(cfft.rfftfreq(6), np.fft.rfftfreq(6))


try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

W = rand(4, 5) + 1j * rand(4, 5)


ORACLES = [
    ("fft", lambda m, x: m.fft(x, n=5, axis=-1), crand(4, 6)),
    ("rfft", lambda m, x: m.rfft(x, n=8), rand(4, 6)),
    ("irfft", lambda m, x: m.irfft(x, n=5), crand(4, 3)),
    ("fft2", lambda m, x: m.fft2(x, s=(4, 5)), rand(3, 3)),
    ("irfftn", lambda m, x: m.irfftn(x, s=(4, 5)), crand(4, 3)),
    ("ihfft", lambda m, x: m.ihfft(x, n=8), rand(4, 6)),
]


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("f,x", [c[1:] for c in ORACLES], ids=[c[0] for c in ORACLES])
def test_oracle_torch(f, x):
    tx = torch.tensor(x, requires_grad=True)
    ty = f(torch.fft, tx)
    tw = torch.tensor(W[: ty.shape[0], : ty.shape[1]])
    loss = (ty.real * tw.real).sum() + ((ty.imag * tw.imag).sum() if ty.is_complex() else 0)
    loss.backward()
    w = W[: ty.shape[0], : ty.shape[1]]

    def ours(x):
        y = f(np.fft, x)
        return np.sum(_real(y) * w.real) + np.sum(_imag(y) * w.imag)

    g = cr.grad(ours)(x)
    # PyTorch's gradient of a real loss in a complex input is the conjugate of the transpose
    want = tx.grad.numpy()
    np.testing.assert_allclose(g, np.conj(want), rtol=1e-10, atol=1e-12)
