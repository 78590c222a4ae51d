"""Workload ``hessian``: the dense Hessian of the Rosenbrock function in n = 128 variables.

The function is the chained generalization that ``scipy.optimize.rosen`` computes,
f(x) = Σ 100 (x[i+1] − x[i]²)² + (1 − x[i])², whose Hessian is tridiagonal; the floor fills
that closed form into a dense n×n array (what ``scipy.optimize.rosen_hess`` returns). Every
AD peer pays for n Hessian-vector products; the target is to beat every eager peer.
"""

from __future__ import annotations

import numpy as np

from . import libs
from .harness import Case, Peer


def rosen(x, sum_):
    return sum_(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def numpy_hessian(x):
    n = x.shape[0]
    H = np.zeros((n, n))
    d = np.zeros(n)
    d[:-1] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    d[1:] += 200.0
    off = -400.0 * x[:-1]
    i = np.arange(n)
    H[i, i] = d
    H[i[:-1], i[1:]] = off
    H[i[1:], i[:-1]] = off
    return H


def build(size: str, want) -> list[Case]:
    n = 6 if size == "tiny" else 128
    x = np.random.RandomState(0).uniform(-2.0, 2.0, n)
    peers = [Peer("numpy", lambda: numpy_hessian(x), what="closed form (tridiagonal, dense)")]

    if want("chainrule"):
        import chainrule
        import chainrule.numpy as cnp

        h = chainrule.hessian(lambda v: rosen(v, cnp.sum))
        peers.append(Peer("chainrule", lambda: h(x), what="chainrule.hessian"))
        if want("chainrule.jit"):
            jit_h = chainrule.jit(h)
            peers.append(Peer("chainrule.jit", lambda: jit_h(x), what="chainrule.jit(hessian)"))

    torch = libs.torch() if want("torch") or want("torch.func") else None
    if torch is not None:
        tx = torch.tensor(x)

        def tf(v):
            return rosen(v, torch.sum)

        if want("torch"):
            peers.append(Peer(
                "torch", lambda: torch.autograd.functional.hessian(tf, tx, vectorize=True),
                what="torch.autograd.functional.hessian(vectorize=True)"))
        if want("torch.func"):
            th = torch.func.hessian(tf)
            peers.append(Peer("torch.func", lambda: th(tx), what="torch.func.hessian"))

    jax = libs.jax() if want("jax") or want("jax.jit") else None
    if jax is not None:
        jh = jax.hessian(lambda v: rosen(v, jax.numpy.sum))
        jx = jax.numpy.asarray(x)
        if want("jax"):
            peers.append(Peer("jax", lambda: jh(jx), what="jax.hessian (eager)"))
        if want("jax.jit"):
            jhj = jax.jit(jh)
            peers.append(Peer("jax.jit", lambda: jhj(jx), what="jax.jit(jax.hessian)"))

    ag = libs.autograd() if want("autograd") else None
    if ag is not None:
        ah = ag.hessian(lambda v: rosen(v, ag.numpy.sum))
        peers.append(Peer("autograd", lambda: ah(x), what="autograd.hessian"))

    return [Case("hessian", f"hessian rosenbrock n={n}", peers, rtol=1e-9, atol=1e-12,
                 note="chained Rosenbrock (scipy.optimize.rosen); floor: closed form")]
