"""``chainrule.scipy.signal``: N-D convolution and correlation, differentiable in both inputs.

Why one primitive: the full convolution c = x * y is bilinear, so its JVP is itself and its
transposes are correlations, which are again full convolutions (with one input flipped)
followed by a slice. The modes ``same`` and ``valid`` are slices of ``full`` (centered as in
SciPy), and ``correlate(x, y)`` is ``convolve(x, flip(conj(y)))``; slicing, flipping and
conjugation are differentiable, so every mode and every order follows.

The values come from SciPy (``scipy.signal.convolve`` with the requested ``method``, or
``fftconvolve``), so they agree with SciPy's own to floating-point accuracy.

    >>> import numpy
    >>> convolve(numpy.array([1.0, 2.0]), numpy.array([1.0, 1.0]))
    array([1., 3., 2.])
"""

from __future__ import annotations

import numpy as _np
import scipy.signal as _ss

from chainrule.core.batching import materialize
from chainrule.core.primitive import Primitive

from . import _ops as o


def _conv_impl(x, y, naxes, method):
    lead = _np.ndim(x) - naxes
    if method == "fft":
        return _ss.fftconvolve(x, y, mode="full", axes=tuple(range(lead, _np.ndim(x))))
    if lead == 0:
        return _ss.convolve(x, y, mode="full", method=method)
    shape = _np.shape(x)[:lead]
    out = None
    for idx in _np.ndindex(*shape):
        r = _ss.convolve(x[idx], y[idx], mode="full", method=method)
        if out is None:
            out = _np.empty(shape + r.shape, dtype=r.dtype)
        out[idx] = r
    return out


def _flip_last(x, naxes):
    n = _np.ndim(x)
    return o.flip(x, axis=tuple(range(n - naxes, n)))


def _window(x, starts, sizes):
    """x[..., s0:s0+n0, s1:s1+n1, ...] over the last len(starts) axes."""
    idx = (Ellipsis,) + tuple(slice(s, s + n) for s, n in zip(starts, sizes, strict=True))
    return o.getitem(x, idx)


def _core(shape, naxes):
    return tuple(shape[len(shape) - naxes:])


def _conv_vjp_x(g, ans, x, y, naxes, method):
    ny = _core(_np.shape(y), naxes)
    full = _conv(g, _flip_last(y, naxes), naxes=naxes, method=method)
    return _window(full, [n - 1 for n in ny], _core(_np.shape(x), naxes))


def _conv_vjp_y(g, ans, x, y, naxes, method):
    nx = _core(_np.shape(x), naxes)
    full = _conv(g, _flip_last(x, naxes), naxes=naxes, method=method)
    return _window(full, [n - 1 for n in nx], _core(_np.shape(y), naxes))


def _conv_batch(vals, dims, naxes, method):
    size = next(_np.shape(v)[0] for v, d in zip(vals, dims, strict=True) if d is not None)
    x, y = (materialize(v, d, size) for v, d in zip(vals, dims, strict=True))
    return _conv(x, y, naxes=naxes, method=method), 0


_conv = Primitive("scipy.signal.convolve_full", _conv_impl)
_conv.defjvp(lambda g, ans, x, y, naxes, method: _conv(g, y, naxes=naxes, method=method),
             lambda g, ans, x, y, naxes, method: _conv(x, g, naxes=naxes, method=method))
_conv.defvjp(_conv_vjp_x, _conv_vjp_y)
_conv.defbatch(_conv_batch)


def _mode_slice(full, s1, s2, mode, what):
    if mode == "full":
        return full
    if mode == "same":
        return _window(full, [(n2 - 1) // 2 for n2 in s2], s1)
    if mode == "valid":
        if not (all(a >= b for a, b in zip(s1, s2, strict=True))
                or all(b >= a for a, b in zip(s1, s2, strict=True))):
            raise ValueError(f"{what}: for 'valid' mode, one must be at least as large as the "
                             f"other in every dimension (shapes {s1} and {s2})")
        return _window(full, [min(a, b) - 1 for a, b in zip(s1, s2, strict=True)],
                       [abs(a - b) + 1 for a, b in zip(s1, s2, strict=True)])
    raise ValueError(f"{what}: acceptable mode flags are 'valid', 'same', or 'full', "
                     f"not {mode!r}")


def _check(in1, in2, what):
    if _np.ndim(in1) != _np.ndim(in2):
        raise ValueError(f"{what}: in1 and in2 should have the same dimensionality "
                         f"(got {_np.ndim(in1)} and {_np.ndim(in2)})")
    if 0 in _np.shape(in1) or 0 in _np.shape(in2):
        raise ValueError(f"{what}: inputs must not be empty")


def _method(method, in1, in2, mode):
    if method not in ("auto", "direct", "fft"):
        raise ValueError(f"acceptable method flags are 'auto', 'direct', or 'fft', "
                         f"not {method!r}")
    if method == "auto":
        # decide once, from the shapes, exactly as SciPy would for these inputs
        method = _ss.choose_conv_method(_np.empty(_np.shape(in1), in1.dtype),
                                        _np.empty(_np.shape(in2), in2.dtype), mode=mode)
    return method


def convolve(in1, in2, mode="full", method="auto", *, axes=None, dot_axes=None):
    """``scipy.signal.convolve``: N-D convolution, modes full/same/valid; differentiable in
    both inputs.

    HIPS autograd's form works too: ``convolve(A, B, axes=[axes_A, axes_B],
    dot_axes=[dot_A, dot_B], mode="full"|"valid")`` convolves along ``axes``, contracts
    ``dot_axes`` and takes the outer product over the other axes (output: A's other axes, B's
    other axes, then the convolved axes), as its convnet example uses.
    """
    if axes is not None or dot_axes is not None or isinstance(mode, (list, tuple)):
        if isinstance(mode, (list, tuple)):  # autograd's third positional argument is axes
            axes, mode = mode, (method if method != "auto" else "full")
        return _convolve_autograd(in1, in2, axes, dot_axes or [(), ()], mode)
    in1, in2 = o.as_float(in1), o.as_float(in2)
    _check(in1, in2, "convolve")
    if _np.ndim(in1) == 0:
        return in1 * in2
    n = _np.ndim(in1)
    full = _conv(in1, in2, naxes=n, method=_method(method, in1, in2, mode))
    return _mode_slice(full, _np.shape(in1), _np.shape(in2), mode, "convolve")


def _convolve_autograd(A, B, axes, dot_axes, mode):
    """autograd's tensor convolution, written with differentiable gathers and one einsum."""
    from chainrule import numpy as cnp

    if mode not in ("full", "valid"):
        raise NotImplementedError(f"convolve with axes=/dot_axes=: mode {mode!r} (autograd's "
                                  "form has 'full' and 'valid')")
    A, B = o.as_float(A), o.as_float(B)
    if axes is None:
        axes = [list(range(_np.ndim(A))), list(range(_np.ndim(A)))]
    ax_a, ax_b = [list(a) for a in axes]
    dot_a, dot_b = [list(d) for d in dot_axes]
    sa, sb = _np.shape(A), _np.shape(B)
    if any(sb[j] > sa[i] for i, j in zip(ax_a, ax_b)):
        if mode == "valid" and not all(sb[j] >= sa[i] for i, j in zip(ax_a, ax_b)):
            raise ValueError("convolve: one array must be larger than the other along all "
                             "convolved axes")
        # convolution commutes: convolve B with A and put A's other axes first again
        out = _convolve_autograd(B, A, [ax_b, ax_a], [dot_b, dot_a], mode)
        n_ign_b = _np.ndim(B) - len(ax_b) - len(dot_b)
        n_ign_a = _np.ndim(A) - len(ax_a) - len(dot_a)
        order = (list(range(n_ign_b, n_ign_b + n_ign_a)) + list(range(n_ign_b))
                 + list(range(n_ign_a + n_ign_b, _np.ndim(out))))
        return cnp.transpose(out, order)
    ign_a = [i for i in range(_np.ndim(A)) if i not in ax_a and i not in dot_a]
    ign_b = [i for i in range(_np.ndim(B)) if i not in ax_b and i not in dot_b]
    A_t = cnp.transpose(A, ign_a + dot_a + ax_a)
    B_t = cnp.flip(cnp.transpose(B, ign_b + dot_b + ax_b),
                   axis=tuple(range(len(ign_b) + len(dot_b), _np.ndim(B))))
    if mode == "full":  # full = valid on A padded by len(B) - 1 on both sides
        pad = [(0, 0)] * (len(ign_a) + len(dot_a)) + [(sb[j] - 1, sb[j] - 1) for j in ax_b]
        A_t = cnp.pad(A_t, pad)
    # windows: out[k] = sum_j A[k + j] * flip(B)[j] along each convolved axis
    pos = len(ign_a) + len(dot_a)
    for j in ax_b:
        n_a, n_b = _np.shape(A_t)[pos], sb[j]
        windows = _np.arange(n_a - n_b + 1)[:, None] + _np.arange(n_b)[None, :]
        A_t = cnp.take(A_t, windows, axis=pos)  # axis pos -> (out, window)
        pos += 2
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    la = "".join(next(letters) for _ in ign_a)
    lb = "".join(next(letters) for _ in ign_b)
    ld = "".join(next(letters) for _ in dot_a)
    lo = [next(letters) for _ in ax_a]
    lw = [next(letters) for _ in ax_a]
    spec_a = la + ld + "".join(a + w for a, w in zip(lo, lw))
    spec_b = lb + ld + "".join(lw)
    return cnp.einsum(f"{spec_a},{spec_b}->{la}{lb}{''.join(lo)}", A_t, B_t)


def correlate(in1, in2, mode="full", method="auto"):
    """``scipy.signal.correlate``: N-D cross-correlation (``convolve`` with ``in2`` flipped
    and conjugated), modes full/same/valid; differentiable in both inputs."""
    in1, in2 = o.as_float(in1), o.as_float(in2)
    _check(in1, in2, "correlate")
    if _np.ndim(in1) == 0:
        return in1 * o.conj(in2)
    rev = o.flip(o.conj(in2) if _np.issubdtype(in2.dtype, _np.complexfloating) else in2)
    full = _conv(in1, rev, naxes=_np.ndim(in1), method=_method(method, in1, in2, mode))
    return _mode_slice(full, _np.shape(in1), _np.shape(in2), mode, "correlate")


def fftconvolve(in1, in2, mode="full", axes=None):
    """``scipy.signal.fftconvolve``: convolution by FFT over ``axes`` (default all); the other
    axes broadcast. Differentiable in both inputs."""
    in1, in2 = o.as_float(in1), o.as_float(in2)
    _check(in1, in2, "fftconvolve")
    n = _np.ndim(in1)
    if n == 0:
        return in1 * in2
    axes = tuple(range(n)) if axes is None else tuple(
        a % n for a in ((axes,) if isinstance(axes, (int, _np.integer)) else axes))
    rest = tuple(i for i in range(n) if i not in axes)
    s1, s2 = _np.shape(in1), _np.shape(in2)
    lead = _np.broadcast_shapes(tuple(s1[i] for i in rest), tuple(s2[i] for i in rest))
    order = rest + axes
    x = o.transpose(in1, order)
    y = o.transpose(in2, order)
    x = o.broadcast_to(x, lead + tuple(s1[i] for i in axes))
    y = o.broadcast_to(y, lead + tuple(s2[i] for i in axes))
    full = _conv(x, y, naxes=len(axes), method="fft")
    out = _mode_slice(full, tuple(s1[i] for i in axes), tuple(s2[i] for i in axes), mode,
                      "fftconvolve")
    return o.transpose(out, tuple(_np.argsort(order)))


oaconvolve = fftconvolve

DIFFERENTIABLE = ["convolve", "correlate", "fftconvolve", "oaconvolve"]
NONDIFFERENTIABLE: list = []
