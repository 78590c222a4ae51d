"""Workload ``jacobian``: the full Jacobian of f(x) = tanh(W2 @ tanh(W1 @ x)), x ∈ R^256.

The floor is the closed form diag(1 − h2²)·W2·diag(1 − h1²)·W1: one matrix product and two
scalings. A batched reverse pass costs two products (identity cotangents through W2, then
W1) unless a rule knows that its seed is an identity. Three rows: chainrule's ``jacobian``
(its own choice of mode, against each peer's reverse mode), then ``jacrev`` and ``jacfwd``
each against the peers' same mode.
"""

from __future__ import annotations

import numpy as np

from . import libs
from .harness import Case, Peer


def make_data(n, seed=0):
    rng = np.random.RandomState(seed)
    W1 = rng.standard_normal((n, n)) / np.sqrt(n)
    W2 = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    return W1, W2, x


def numpy_jacobian(W1, W2, x):
    h1 = np.tanh(W1 @ x)
    h2 = np.tanh(W2 @ h1)
    return ((1 - h2 * h2)[:, None] * W2 * (1 - h1 * h1)[None, :]) @ W1


def build(size: str, want) -> list[Case]:
    n = 6 if size == "tiny" else 256
    W1, W2, x = make_data(n)
    floor = Peer("numpy", lambda: numpy_jacobian(W1, W2, x), what="closed form")
    rows = {"jacobian": [floor], "jacrev": [floor], "jacfwd": [floor]}

    if want("chainrule"):
        import chainrule
        import chainrule.numpy as cnp

        def f(v):
            return cnp.tanh(W2 @ cnp.tanh(W1 @ v))

        for mode in rows:
            jf = getattr(chainrule, mode)(f)
            rows[mode].append(Peer("chainrule", lambda jf=jf: jf(x), what=f"chainrule.{mode}"))
            if want("chainrule.jit"):
                jj = chainrule.jit(jf)
                rows[mode].append(Peer("chainrule.jit", lambda jj=jj: jj(x),
                                       what=f"chainrule.jit({mode})"))

    torch = libs.torch() if want("torch") or want("torch.func") else None
    if torch is not None:
        tW1, tW2, tx = torch.tensor(W1), torch.tensor(W2), torch.tensor(x)

        def tf(v):
            return torch.tanh(tW2 @ torch.tanh(tW1 @ v))

        ajac = torch.autograd.functional.jacobian
        for mode, strategy in (("jacobian", "reverse-mode"), ("jacrev", "reverse-mode"),
                               ("jacfwd", "forward-mode")):
            if want("torch"):
                rows[mode].append(Peer(
                    "torch", lambda s=strategy: ajac(tf, tx, vectorize=True, strategy=s),
                    what=f"torch.autograd.functional.jacobian(vectorize=True, {strategy})"))
            if want("torch.func"):
                tmode = "jacfwd" if mode == "jacfwd" else "jacrev"
                jf = getattr(torch.func, tmode)(tf)
                rows[mode].append(Peer("torch.func", lambda jf=jf: jf(tx),
                                       what=f"torch.func.{tmode}"))

    jax = libs.jax() if want("jax") or want("jax.jit") else None
    if jax is not None:
        jnp = jax.numpy
        jW1, jW2, jx = jnp.asarray(W1), jnp.asarray(W2), jnp.asarray(x)

        def jf_(v, a, b):
            return jnp.tanh(b @ jnp.tanh(a @ v))

        for mode in rows:
            jmode = "jacfwd" if mode == "jacfwd" else "jacrev"
            jj = getattr(jax, jmode)(jf_)
            if want("jax"):
                rows[mode].append(Peer("jax", lambda jj=jj: jj(jx, jW1, jW2),
                                       what=f"jax.{jmode} (eager)"))
            if want("jax.jit"):
                jit = jax.jit(jj)
                rows[mode].append(Peer("jax.jit", lambda jit=jit: jit(jx, jW1, jW2),
                                       what=f"jax.jit(jax.{jmode})"))

    ag = libs.autograd() if want("autograd") else None
    if ag is not None:
        anp = ag.numpy
        aj = ag.jacobian(lambda v: anp.tanh(W2 @ anp.tanh(W1 @ v)))
        for mode in ("jacobian", "jacrev"):  # autograd has reverse mode only
            rows[mode].append(Peer("autograd", lambda: aj(x), what="autograd.jacobian"))

    labels = {"jacobian": f"jacobian n={n} (chainrule.jacobian)",
              "jacrev": f"jacobian n={n} (jacrev)", "jacfwd": f"jacobian n={n} (jacfwd)"}
    return [Case("jacobian", labels[mode], peers, rtol=1e-9, atol=1e-12,
                 note="tanh(W2 @ tanh(W1 @ x)); floor diag(1-h2^2) W2 diag(1-h1^2) W1")
            for mode, peers in rows.items()]
