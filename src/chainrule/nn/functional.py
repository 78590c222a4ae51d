"""Convolutions and pooling as functions of arrays, built by im2col from differentiable ops.

Why im2col: a convolution with a small kernel is one matrix product once every kernel offset's
shifted view of the input is stacked (``k_h * k_w`` strided slices). Slicing, ``stack``,
``reshape`` and ``matmul`` all have rules, so the convolution is differentiable to any order,
batches under ``vmap`` (per-example gradients of a CNN) and spends its time in BLAS. An FFT
convolution wins only for kernels much larger than the 3x3 or 5x5 ones of small CNNs (see
``benchmarks/conv_im2col_vs_fft.py``).

Layouts are PyTorch's: inputs ``(..., C, L)`` or ``(..., C, H, W)`` with any number of leading
batch axes (none at all under ``vmap``), weights ``(F, C, k)`` or ``(F, C, kh, kw)``. As in
every deep-learning library, "convolution" is cross-correlation (the kernel is not flipped).

    >>> import numpy
    >>> x = numpy.arange(5.0).reshape(1, 1, 5)
    >>> conv1d(x, numpy.ones((1, 1, 2))).tolist()
    [[[1.0, 3.0, 5.0, 7.0]]]
"""

from __future__ import annotations

import itertools
import math

import numpy as _np

from .. import numpy as cnp
from ._ops import pad_spatial

__all__ = ["avg_pool2d", "conv1d", "conv2d", "conv_nd", "conv_output_shape", "max_pool2d"]


def _tuple(v, n: int, what: str) -> tuple:
    if isinstance(v, (int, _np.integer)):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"{what} must be an int or {n} ints, got {v}")
    return v


def _pads(padding, n: int, kernel: tuple, dilation: tuple) -> tuple:
    """((lo, hi), ...) per spatial axis from 'valid', 'same', an int or per-axis values."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":  # output size = ceil(input / stride) for stride 1: total = d(k-1)
            out = []
            for k, d in zip(kernel, dilation, strict=True):
                total = d * (k - 1)
                out.append((total // 2, total - total // 2))
            return tuple(out)
        raise ValueError(f"padding must be 'valid', 'same', an int or a tuple, got {padding!r}")
    if isinstance(padding, (int, _np.integer)):
        return ((int(padding), int(padding)),) * n
    padding = tuple(padding)
    if len(padding) != n:
        raise ValueError(f"padding needs {n} entries (one per spatial axis), got {padding}")
    return tuple((int(p), int(p)) if isinstance(p, (int, _np.integer)) else tuple(map(int, p))
                 for p in padding)


def conv_output_shape(spatial, kernel, stride=1, padding="valid", dilation=1) -> tuple:
    """Spatial output size of a convolution (or pooling) with these settings."""
    n = len(spatial)
    kernel = _tuple(kernel, n, "kernel_size")
    stride, dilation = _tuple(stride, n, "stride"), _tuple(dilation, n, "dilation")
    pads = _pads(padding, n, kernel, dilation)
    out = []
    for s, k, st, d, (lo, hi) in zip(spatial, kernel, stride, dilation, pads, strict=True):
        span = s + lo + hi - d * (k - 1)
        if span < 1:
            raise ValueError(f"input size {tuple(spatial)} (padded by {pads}) is smaller than "
                             f"the dilated kernel {kernel} with dilation {dilation}")
        out.append((span - 1) // st + 1)
    return tuple(out)


def _patches(x, n: int, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple):
    """The shifted views of x, one per kernel offset (row-major), each ``(..., C, *out)``."""
    x = pad_spatial(x, pads)
    spatial = _np.shape(x)[-n:]
    out = conv_output_shape(spatial, kernel, stride, 0, dilation)
    views = []
    for offset in itertools.product(*(range(k) for k in kernel)):
        idx = tuple(slice(o * d, o * d + s * (m - 1) + 1, s)
                    for o, d, s, m in zip(offset, dilation, stride, out, strict=True))
        views.append(x[(Ellipsis,) + idx])
    return views, out


def _conv_fft(x, w, n: int, stride: tuple, pads: tuple):
    """Cross-correlation through the FFT: circular convolution with the flipped kernel at the
    input's (padded) size; the valid outputs never wrap around, so they are exact."""
    from ..numpy import fft

    x = pad_spatial(x, pads)
    spatial = _np.shape(x)[-n:]
    kernel = _np.shape(w)[2:]
    axes = tuple(range(-n, 0))
    flipped = w[(Ellipsis,) + (slice(None, None, -1),) * n]
    X = fft.rfftn(x, axes=axes)                                   # (..., C, *S')
    K = fft.rfftn(flipped, s=spatial, axes=axes)                  # (F, C, *S')
    Y = cnp.sum(cnp.expand_dims(X, -(n + 2)) * K, axis=-(n + 1))  # (..., F, *S')
    y = fft.irfftn(Y, s=spatial, axes=axes)
    return y[(Ellipsis,) + tuple(slice(k - 1, None, st) for k, st in zip(kernel, stride,
                                                                          strict=True))]


def conv_nd(x, w, b=None, stride=1, padding="valid", dilation=1, method="im2col"):
    """N-d cross-correlation: x ``(..., C, *S)``, w ``(F, C, *k)``, b ``(F,)`` or None.

    ``method="im2col"`` (default) stacks the kernel offsets' shifted views and does one matrix
    product; ``method="fft"`` multiplies spectra (dilation 1 only), which wins only for large
    kernels (see ``benchmarks/conv_im2col_vs_fft.py``).
    """
    wshape = _np.shape(w)
    n = len(wshape) - 2
    if n < 1:
        raise ValueError(f"conv: the weight must have shape (F, C, *kernel), got {wshape}")
    xshape = _np.shape(x)
    if len(xshape) < n + 1:
        raise ValueError(f"conv: input of shape {xshape} has no (C, *spatial) of {n} spatial "
                         f"axes")
    channels = xshape[-(n + 1)]
    if channels != wshape[1]:
        raise ValueError(f"conv: input has {channels} channels (shape {xshape}) but the weight "
                         f"expects {wshape[1]} (shape {wshape})")
    kernel = tuple(wshape[2:])
    stride, dilation = _tuple(stride, n, "stride"), _tuple(dilation, n, "dilation")
    pads = _pads(padding, n, kernel, dilation)
    if method == "fft":
        if any(d != 1 for d in dilation):
            raise ValueError(f"conv: method='fft' supports dilation 1 only, got {dilation}")
        conv_output_shape(xshape[-n:], kernel, stride, pads, dilation)  # validates sizes
        y = _conv_fft(x, w, n, stride, pads)
        if b is not None:
            y = y + cnp.reshape(b, (wshape[0],) + (1,) * n)
        return y
    if method != "im2col":
        raise ValueError(f"conv: method must be 'im2col' or 'fft', got {method!r}")
    views, out = _patches(x, n, kernel, stride, dilation, pads)
    lead = xshape[:-(n + 1)]
    K, L = math.prod(kernel), math.prod(out)
    cols = cnp.stack(views, axis=-(n + 1))  # (..., C, K, *out)
    cols = cnp.reshape(cols, lead + (channels * K, L))
    y = cnp.matmul(cnp.reshape(w, (wshape[0], channels * K)), cols)  # (..., F, L)
    y = cnp.reshape(y, lead + (wshape[0],) + out)
    if b is not None:
        y = y + cnp.reshape(b, (wshape[0],) + (1,) * n)
    return y


def conv1d(x, w, b=None, stride=1, padding="valid", dilation=1, method="im2col"):
    """1-d convolution: x ``(..., C, L)``, w ``(F, C, k)`` -> ``(..., F, L_out)``."""
    if len(_np.shape(w)) != 3:
        raise ValueError(f"conv1d: weight must be (F, C, k), got shape {_np.shape(w)}")
    return conv_nd(x, w, b, stride, padding, dilation, method)


def conv2d(x, w, b=None, stride=1, padding="valid", dilation=1, method="im2col"):
    """2-d convolution: x ``(..., C, H, W)``, w ``(F, C, kh, kw)`` -> ``(..., F, H', W')``."""
    if len(_np.shape(w)) != 4:
        raise ValueError(f"conv2d: weight must be (F, C, kh, kw), got shape {_np.shape(w)}")
    return conv_nd(x, w, b, stride, padding, dilation, method)


def avg_pool2d(x, window=2, stride=None, padding=0):
    """Mean over ``window`` patches of the last two axes (zero padding counts in the mean)."""
    window = _tuple(window, 2, "window")
    stride = window if stride is None else _tuple(stride, 2, "stride")
    views, _ = _patches(x, 2, window, stride, (1, 1), _pads(padding, 2, window, (1, 1)))
    total = views[0]
    for v in views[1:]:
        total = total + v
    return total / len(views)


def max_pool2d(x, window=2, stride=None):
    """Max over ``window`` patches of the last two axes; a tie sends the gradient to the
    first maximal entry in row-major window order."""
    window = _tuple(window, 2, "window")
    stride = window if stride is None else _tuple(stride, 2, "stride")
    views, _ = _patches(x, 2, window, stride, (1, 1), ((0, 0), (0, 0)))
    best = views[0]
    for v in views[1:]:
        best = cnp.where(v > best, v, best)
    return best
