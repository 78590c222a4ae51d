"""Discrete Fourier transforms (``numpy.fft``): linear primitives with hand-written transposes.

Why only transposes: every FFT is linear, so its JVP is the FFT itself applied to the tangent
(``deflinear``) and only the transpose -- the VJP -- is written. Four primitives carry
everything: ``fftn``, ``ifftn`` (complex to complex), ``rfftn`` (real to half-spectrum) and
``irfftn`` (half-spectrum to real); the 1-D and 2-D forms, ``hfft`` and ``ihfft`` are these
with fixed axes. Batching shifts the axes by one.

Complex convention: transposes, not adjoints (autograd's and JAX's). The DFT matrix is
symmetric, so the transpose of ``fftn`` is ``fftn`` with the same ``norm`` (not ``ifftn``).
Real-input/real-output transforms pair with the real part of sum(a * b):

- ``rfftn`` (x real): x_bar = Re(fftn(zero-pad(y_bar to n))).
- ``irfftn`` (y real): the half spectrum X stands for the Hermitian spectrum, so the middle
  frequencies count twice and X_0 (and X_{n/2} for even n) once: X_bar = w * ifftn(y_bar)
  cropped to n//2 + 1, with w = [1, 2, ..., 2, (1)].

A length argument ``n``/``s`` crops or zero-pads the input first; the transpose of a crop is a
zero-pad and vice versa.

    >>> import numpy, chainrule
    >>> chainrule.grad(lambda x: fft(x)[1].real)(numpy.zeros(4))
    array([ 1.,  0., -1.,  0.])
"""

from __future__ import annotations

import numpy as _np

from ..core.primitive import Primitive, deflinear
from ..core.trace import Tracer, dtype_of
from .shape import concatenate, getitem

numpy = _np  # for the doctest

_NORMS = ("backward", "ortho", "forward")


def _traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in xs)


def _ew(name):
    from .linalg import _ew as lookup

    return lookup(name)


def _real(x):
    return _ew("real")(x) if _np.issubdtype(dtype_of(x), _np.complexfloating) else x


def _conj(x):
    return _ew("conj")(x) if _np.issubdtype(dtype_of(x), _np.complexfloating) else x


def _resize(x, axes, sizes):
    """Crop or zero-pad ``x`` along each of ``axes`` to ``sizes`` (linear in x)."""
    for ax, n in zip(axes, sizes, strict=True):
        cur = _np.shape(x)[ax]
        if n < cur:
            x = getitem(x, idx=(slice(None),) * ax + (slice(0, n),))
        elif n > cur:
            shape = list(_np.shape(x))
            shape[ax] = n - cur
            x = concatenate([x, _np.zeros(shape, dtype=dtype_of(x))], axis=ax)
    return x


def _shape_along(x, axes):
    return tuple(_np.shape(x)[a] for a in axes)


def _batch_axes(prim):
    def rule(vals, dims, s, axes, norm):
        return prim(vals[0], s=s, axes=tuple(a + 1 for a in axes), norm=norm), 0

    return rule


# --- the four primitives ---------------------------------------------------------------------

def _fftn_impl(x, s, axes, norm):
    return _np.fft.fftn(x, s=s, axes=axes, norm=norm)


def _ifftn_impl(x, s, axes, norm):
    return _np.fft.ifftn(x, s=s, axes=axes, norm=norm)


def _rfftn_impl(x, s, axes, norm):
    return _np.fft.rfftn(x, s=s, axes=axes, norm=norm)


def _irfftn_impl(x, s, axes, norm):
    return _np.fft.irfftn(x, s=s, axes=axes, norm=norm)


def _like_input(ct, x):
    """A real input's cotangent is real: the transpose of its cast to complex is Re."""
    return ct if _np.issubdtype(dtype_of(x), _np.complexfloating) else _real(ct)


def _fftn_transpose(g, ans, x, s, axes, norm):
    # the DFT matrix is symmetric: transpose(fftn) = fftn, then undo the crop/pad
    out = _resize(fftn_p(g, s=s, axes=axes, norm=norm), axes, _shape_along(x, axes))
    return _like_input(out, x)


def _ifftn_transpose(g, ans, x, s, axes, norm):
    out = _resize(ifftn_p(g, s=s, axes=axes, norm=norm), axes, _shape_along(x, axes))
    return _like_input(out, x)


def _rfftn_transpose(g, ans, x, s, axes, norm):
    full = _resize(g, axes[-1:], s[-1:])   # zero-pad the half spectrum to n
    out = _real(fftn_p(full, s=s, axes=axes, norm=norm))
    return _resize(out, axes, _shape_along(x, axes))


def _irfftn_transpose(g, ans, x, s, axes, norm):
    n = s[-1]
    m = n // 2 + 1
    z = _resize(ifftn_p(g, s=s, axes=axes, norm=norm), axes[-1:], (m,))
    w = _np.full(m, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    z = z * _np.reshape(w, (m,) + (1,) * (_np.ndim(z) - 1 - axes[-1]))
    return _like_input(_resize(z, axes, _shape_along(x, axes)), x)


fftn_p = deflinear(Primitive("fft.fftn", _fftn_impl), _fftn_transpose)
ifftn_p = deflinear(Primitive("fft.ifftn", _ifftn_impl), _ifftn_transpose)
rfftn_p = deflinear(Primitive("fft.rfftn", _rfftn_impl), _rfftn_transpose)
irfftn_p = deflinear(Primitive("fft.irfftn", _irfftn_impl), _irfftn_transpose)
for _p in (fftn_p, ifftn_p, rfftn_p, irfftn_p):
    _p.defbatch(_batch_axes(_p))


# --- argument normalization (NumPy's rules for n, s, axes, norm) ------------------------------

def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')
    return norm


def _check_out(out, name):
    if out is not None:
        raise TypeError(f"fft.{name}(..., out=...) cannot write a traced result in place; drop "
                        "`out=` and use the returned array.")


def _axes_and_sizes(x, s, axes, name, real_inverse=False):
    nd = _np.ndim(x)
    if axes is None:
        axes = tuple(range(nd)) if s is None else tuple(range(nd - len(s), nd))
    else:
        axes = tuple(axes)
    axes = tuple(a % nd for a in axes) if nd else axes
    if s is None:
        s = list(_shape_along(x, axes))
        if real_inverse and s:
            s[-1] = 2 * (s[-1] - 1)
    s = tuple(int(n) for n in s)
    if len(s) != len(axes):
        raise ValueError(f"fft.{name}: shape s {s} and axes {axes} have different lengths")
    for n in s:
        if n < 1:
            raise ValueError(f"fft.{name}: invalid number of data points ({n}) specified")
    return s, axes


def _one_axis(x, n, axis, name, real_inverse=False):
    nd = _np.ndim(x)
    if nd == 0:
        raise ValueError(f"fft.{name}: input must be at least 1-dimensional")
    ax = axis % nd
    if n is None:
        n = _np.shape(x)[ax]
        if real_inverse:
            n = 2 * (n - 1)
    return (int(n),), (ax,)


def _swap(norm):
    return {"backward": "forward", "forward": "backward", "ortho": "ortho"}[_norm(norm)]


# --- public functions ----------------------------------------------------------------------------

def _one_axis_transform(name, prim, doc, real_inverse=False):
    """``numpy.fft.<name>(a, n, axis, norm)`` through the n-D primitive ``prim``."""
    np_fn = getattr(_np.fft, name)

    def transform(a, n=None, axis=-1, norm=None, out=None):
        if not _traced(a):
            return np_fn(a, n, axis, norm, out)
        _check_out(out, name)
        s, axes = _one_axis(a, n, axis, name, real_inverse=real_inverse)
        return prim(a, s=s, axes=axes, norm=_norm(norm))

    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = doc
    return transform


fft = _one_axis_transform("fft", fftn_p, "``numpy.fft.fft``; linear, differentiable.")
ifft = _one_axis_transform("ifft", ifftn_p, "``numpy.fft.ifft``; linear, differentiable.")
rfft = _one_axis_transform("rfft", rfftn_p, "``numpy.fft.rfft``; real input, differentiable.")
irfft = _one_axis_transform("irfft", irfftn_p, "``numpy.fft.irfft``; real output, "
                            "differentiable in the half spectrum.", real_inverse=True)


def hfft(a, n=None, axis=-1, norm=None, out=None):
    """``numpy.fft.hfft``: irfft(conj(a)) with the norm's direction swapped."""
    if not _traced(a):
        return _np.fft.hfft(a, n, axis, norm, out)
    _check_out(out, "hfft")
    s, axes = _one_axis(a, n, axis, "hfft", real_inverse=True)
    return irfftn_p(_conj(a), s=s, axes=axes, norm=_swap(norm))


def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """``numpy.fft.ihfft``: conj(rfft(a)) with the norm's direction swapped."""
    if not _traced(a):
        return _np.fft.ihfft(a, n, axis, norm, out)
    _check_out(out, "ihfft")
    s, axes = _one_axis(a, n, axis, "ihfft")
    return _conj(rfftn_p(a, s=s, axes=axes, norm=_swap(norm)))


def _n_axes_transform(name, prim, doc, real_inverse=False, default_axes=None):
    """``numpy.fft.<name>(a, s, axes, norm)`` through the n-D primitive ``prim``; the 2-D
    forms are the same with ``axes=(-2, -1)`` by default."""
    np_fn = getattr(_np.fft, name)

    def transform(a, s=None, axes=default_axes, norm=None, out=None):
        if not _traced(a):
            return np_fn(a, s, axes, norm, out)
        _check_out(out, name)
        s, axes = _axes_and_sizes(a, s, axes, name, real_inverse=real_inverse)
        return prim(a, s=s, axes=axes, norm=_norm(norm))

    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = doc
    return transform


fftn = _n_axes_transform("fftn", fftn_p, "``numpy.fft.fftn``; linear, differentiable.")
ifftn = _n_axes_transform("ifftn", ifftn_p, "``numpy.fft.ifftn``; linear, differentiable.")
rfftn = _n_axes_transform("rfftn", rfftn_p, "``numpy.fft.rfftn``; real input, differentiable.")
irfftn = _n_axes_transform("irfftn", irfftn_p, "``numpy.fft.irfftn``; real output, "
                           "differentiable.", real_inverse=True)
fft2 = _n_axes_transform("fft2", fftn_p, "``numpy.fft.fft2``.", default_axes=(-2, -1))
ifft2 = _n_axes_transform("ifft2", ifftn_p, "``numpy.fft.ifft2``.", default_axes=(-2, -1))
rfft2 = _n_axes_transform("rfft2", rfftn_p, "``numpy.fft.rfft2``.", default_axes=(-2, -1))
irfft2 = _n_axes_transform("irfft2", irfftn_p, "``numpy.fft.irfft2``.", real_inverse=True,
                           default_axes=(-2, -1))


def _roll(x, shift, axis):
    n = _np.shape(x)[axis]
    k = shift % n if n else 0
    if k == 0:
        return x
    head = getitem(x, idx=(slice(None),) * axis + (slice(n - k, n),))
    tail = getitem(x, idx=(slice(None),) * axis + (slice(0, n - k),))
    return concatenate([head, tail], axis=axis)


def _shift(x, axes, sign, name):
    nd = _np.ndim(x)
    if axes is None:
        axes = tuple(range(nd))
    elif isinstance(axes, (int, _np.integer)):
        axes = (int(axes),)
    for ax in axes:
        ax = ax % nd
        x = _roll(x, sign * (_np.shape(x)[ax] // 2), ax)
    return x


def fftshift(x, axes=None):
    """``numpy.fft.fftshift``: the zero frequency to the center (a permutation, linear)."""
    if not _traced(x):
        return _np.fft.fftshift(x, axes)
    return _shift(x, axes, 1, "fftshift")


def ifftshift(x, axes=None):
    """``numpy.fft.ifftshift``: the inverse of ``fftshift``."""
    if not _traced(x):
        return _np.fft.ifftshift(x, axes)
    return _shift(x, axes, -1, "ifftshift")


def fftfreq(n, d=1.0, device=None):
    """``numpy.fft.fftfreq``; the frequencies are constants, differentiable only in the
    sample spacing ``d`` (they are proportional to 1/d)."""
    if isinstance(d, Tracer):
        return _np.fft.fftfreq(n, 1.0, device=device) / d
    return _np.fft.fftfreq(n, d, device=device)


def rfftfreq(n, d=1.0, device=None):
    """``numpy.fft.rfftfreq``; differentiable only in ``d`` (see ``fftfreq``)."""
    if isinstance(d, Tracer):
        return _np.fft.rfftfreq(n, 1.0, device=device) / d
    return _np.fft.rfftfreq(n, d, device=device)


PUBLIC = {
    "fft": fft, "ifft": ifft, "rfft": rfft, "irfft": irfft, "hfft": hfft, "ihfft": ihfft,
    "fftn": fftn, "ifftn": ifftn, "rfftn": rfftn, "irfftn": irfftn, "fft2": fft2,
    "ifft2": ifft2, "rfft2": rfft2, "irfft2": irfft2, "fftshift": fftshift,
    "ifftshift": ifftshift, "fftfreq": fftfreq, "rfftfreq": rfftfreq,
}

DIFFERENTIABLE = sorted(PUBLIC)
NONDIFFERENTIABLE: list = []
