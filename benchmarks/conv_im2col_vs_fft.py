"""Convolution in chainrule.nn: im2col against FFT, forward + backward, by kernel size.

Both are differentiable compositions of chainrule ops (``chainrule.nn.conv2d(...,
method="im2col" | "fft")``); each row times ``grad`` of sum(conv(x, w) ** 2) with respect to
x and w (one forward and one backward pass) and checks that the two methods agree.

im2col costs about N * F * C * k^2 * H' W' multiply-adds in one BLAS product plus k^2 strided
slices; FFT costs O(N C H W log(HW)) transforms plus an N * F * C * H W (complex) product,
independent of k. So im2col wins for the 3x3 / 5x5 kernels of small CNNs, FFT for large
kernels; the crossover is what this prints.

    python benchmarks/conv_im2col_vs_fft.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402


def timeit(fn, repeat=5):
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    rng = np.random.default_rng(0)
    N, C, F = 16, 8, 8
    print(f"grad of sum(conv2d(x, w)^2) in x and w; N={N}, C={C}, F={F}, 'same' padding, "
          f"best of 5, 1 BLAS thread")
    print(f"{'image':>7s}{'kernel':>8s}{'im2col ms':>11s}{'fft ms':>9s}{'fft/im2col':>12s}"
          f"{'max diff':>10s}")
    for size in (8, 32):
        x = rng.standard_normal((N, C, size, size))
        for k in (3, 5, 7, 11, 15):
            if k > size:
                continue
            w = rng.standard_normal((F, C, k, k)) / k

            def loss(x, w, method):
                return np.sum(nn.conv2d(x, w, padding="same", method=method) ** 2)

            g = {m: cr.grad(lambda x, w, m=m: loss(x, w, m), argnums=(0, 1))
                 for m in ("im2col", "fft")}
            diff = max(float(np.max(np.abs(a - b)) / (1 + np.max(np.abs(a))))
                       for a, b in zip(g["im2col"](x, w), g["fft"](x, w), strict=True))
            t_i = timeit(lambda: g["im2col"](x, w))
            t_f = timeit(lambda: g["fft"](x, w))
            print(f"{size:>4d}^2{k:>6d}^2{1e3 * t_i:11.2f}{1e3 * t_f:9.2f}{t_f / t_i:11.2f}x"
                  f"{diff:10.1e}")


if __name__ == "__main__":
    main()
