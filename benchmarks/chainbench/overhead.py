"""Workload ``overhead`` (issue 2's per-op metric): a chain of elementwise ops on 16 floats.

The chain alternates sin, ×1.01, +0.1, tanh (1000 ops), then sums, then takes the gradient.
On 16 floats the arithmetic is nothing; what is measured is the per-op bookkeeping of each
engine, forward plus backward, as a ratio to a hand-written NumPy forward and backward of the
same chain (which pays NumPy's own per-call cost, about half a microsecond, and no more).
"""

from __future__ import annotations

import numpy as np

from . import libs
from .harness import Case, Peer

N = 16


def chain(v, sin, tanh, n_ops):
    for _ in range(n_ops // 4):
        v = sin(v)
        v = v * 1.01
        v = v + 0.1
        v = tanh(v)
    return v


def numpy_grad(x, n_ops):
    """Hand-written forward (saving what the backward needs) and backward of the chain."""
    saved = []
    v = x
    for _ in range(n_ops // 4):
        saved.append(v)           # sin's input, for cos
        v = np.sin(v)
        v = v * 1.01
        v = v + 0.1
        v = np.tanh(v)
        saved.append(v)           # tanh's output, for 1 - y²
    g = np.ones_like(v)           # d sum / d v
    for i in range(n_ops // 4 - 1, -1, -1):
        y = saved[2 * i + 1]
        g = g * (1.0 - y * y)
        g = g * 1.01
        g = g * np.cos(saved[2 * i])
    return g


def build(size: str, want) -> list[Case]:
    n_ops = 8 if size == "tiny" else 1000
    x = np.linspace(-1.0, 1.0, N)
    peers = [Peer("numpy", lambda: numpy_grad(x, n_ops), what="hand-written fwd+bwd")]

    if want("chainrule"):
        import chainrule
        import chainrule.numpy as cnp

        g = chainrule.grad(lambda v: cnp.sum(chain(v, cnp.sin, cnp.tanh, n_ops)))
        peers.append(Peer("chainrule", lambda: g(x), what="chainrule.grad"))
        if want("chainrule.jit"):
            jit_g = chainrule.jit(g)
            peers.append(Peer("chainrule.jit", lambda: jit_g(x), what="chainrule.jit(grad)"))

    torch = libs.torch() if want("torch") or want("torch.func") else None
    if torch is not None:
        xt = torch.tensor(x, requires_grad=True)

        def torch_eager():
            y = torch.sum(chain(xt, torch.sin, torch.tanh, n_ops))
            return torch.autograd.grad(y, xt)[0]

        if want("torch"):
            peers.append(Peer("torch", torch_eager, what="torch.autograd.grad"))
        if want("torch.func"):
            gf = torch.func.grad(lambda v: torch.sum(chain(v, torch.sin, torch.tanh, n_ops)))
            x0 = torch.tensor(x)
            peers.append(Peer("torch.func", lambda: gf(x0), what="torch.func.grad"))

    jax = libs.jax() if want("jax") or want("jax.jit") else None
    if jax is not None:
        jnp = jax.numpy
        gj = jax.grad(lambda v: jnp.sum(chain(v, jnp.sin, jnp.tanh, n_ops)))
        xj = jnp.asarray(x)
        if want("jax"):
            peers.append(Peer("jax", lambda: gj(xj), what="jax.grad (eager)"))
        if want("jax.jit"):
            gjit = jax.jit(gj)
            peers.append(Peer("jax.jit", lambda: gjit(xj), what="jax.jit(jax.grad)"))

    ag = libs.autograd() if want("autograd") else None
    if ag is not None:
        anp = ag.numpy
        ga = ag.grad(lambda v: anp.sum(chain(v, anp.sin, anp.tanh, n_ops)))
        peers.append(Peer("autograd", lambda: ga(x), what="autograd.grad"))

    return [Case("overhead", f"overhead ({n_ops} ops, n={N})", peers, per=n_ops,
                 rtol=1e-9, atol=1e-12,
                 note="fwd+bwd of a chain of sin, *1.01, +0.1, tanh on 16 float64; "
                      "ratio = time / hand-written NumPy fwd+bwd")]
