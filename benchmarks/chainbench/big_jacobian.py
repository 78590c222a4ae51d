"""Workload ``big_jacobian``: the dense Jacobian of f(x) = sin(x) * roll(x, 1) + tanh(x) @ A,
x ∈ R^8000 (2000 in --quick), A n×n, with the peak memory of the computation measured.

The result alone is n² floats (512 MB at n = 8000); the target is a peak of at most 1.5x
that, so an engine may not hold several n×n intermediates at once (an identity seed, a
cotangent matrix, the product...). The floor is the closed form
J = Aᵀ·diag(1 − tanh²x) + diag(cos(x)·roll(x, 1)) + sin(x_i) at (i, i−1).

Peak memory is measured with tracemalloc, which sees NumPy's array buffers: it is reported
for the NumPy-based columns (numpy, chainrule), not for torch's or XLA's own allocators.
If ``chainrule.numpy`` has no ``roll``, chainrule writes ``x[perm]`` with the permutation
index ``perm = roll(arange(n), 1)`` (the same math) and the note says so.
"""

from __future__ import annotations

import numpy as np

from . import libs
from .harness import Case, Peer, traced_peak


def sizes(size: str) -> int:
    return {"tiny": 12, "quick": 2000, "full": 8000}[size]


def make_data(n, seed=0):
    rng = np.random.RandomState(seed)
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    return A, x


def numpy_jacobian(A, x):
    n = x.shape[0]
    t = np.tanh(x)
    J = A.T * (1.0 - t * t)            # ∂(tanh(x) @ A)_i / ∂x_j = A[j, i] (1 − tanh² x_j)
    i = np.arange(n)
    J[i, i] += np.cos(x) * np.roll(x, 1)
    J[i, i - 1] += np.sin(x)           # roll(x, 1)[i] = x[i − 1]
    return J


def build(size: str, want) -> list[Case]:
    n = sizes(size)
    A, x = make_data(n)
    peers = [Peer("numpy", lambda: numpy_jacobian(A, x), what="closed form")]
    note = f"n={n}; peak memory by tracemalloc (NumPy buffers) over the result's size"
    mem_fns = {"numpy": lambda: numpy_jacobian(A, x)}
    heavy = size == "full"  # at n = 8000 the eager peers repeat what their jit/func twins do

    if want("chainrule"):
        import chainrule
        import chainrule.numpy as cnp

        if hasattr(cnp, "roll"):
            def f(v):
                return cnp.sin(v) * cnp.roll(v, 1) + cnp.tanh(v) @ A
        else:
            perm = np.roll(np.arange(n), 1)
            note += "; chainrule has no roll: x[perm] with perm = roll(arange(n), 1)"

            def f(v):
                return cnp.sin(v) * v[perm] + cnp.tanh(v) @ A

        jf = chainrule.jacobian(f)
        peers.append(Peer("chainrule", lambda: jf(x), what="chainrule.jacobian"))
        mem_fns["chainrule"] = lambda: jf(x)
        if want("chainrule.jit"):
            jit_jf = chainrule.jit(jf)
            peers.append(Peer("chainrule.jit", lambda: jit_jf(x), what="chainrule.jit(jacobian)"))
            mem_fns["chainrule.jit"] = lambda: jit_jf(x)

    torch = libs.torch() if want("torch") or want("torch.func") else None
    if torch is not None:
        tA, tx = torch.tensor(A), torch.tensor(x)

        def tf(v):
            return torch.sin(v) * torch.roll(v, 1) + torch.tanh(v) @ tA

        if want("torch") and not heavy:
            peers.append(Peer(
                "torch", lambda: torch.autograd.functional.jacobian(tf, tx, vectorize=True),
                what="torch.autograd.functional.jacobian(vectorize=True)"))
        if want("torch.func"):
            tj = torch.func.jacrev(tf)
            peers.append(Peer("torch.func", lambda: tj(tx), what="torch.func.jacrev"))

    jax = libs.jax() if want("jax") or want("jax.jit") else None
    if jax is not None:
        jnp = jax.numpy
        jA, jx = jnp.asarray(A), jnp.asarray(x)
        jj = jax.jacrev(lambda v, a: jnp.sin(v) * jnp.roll(v, 1) + jnp.tanh(v) @ a)
        if want("jax") and not heavy:
            peers.append(Peer("jax", lambda: jj(jx, jA), what="jax.jacrev (eager)"))
        if want("jax.jit"):
            jjit = jax.jit(jj)
            peers.append(Peer("jax.jit", lambda: jjit(jx, jA), what="jax.jit(jax.jacrev)"))
    # autograd is left out: its jacobian loops over the n rows (minutes at this size).

    def memory():
        out = {}
        for col, fn in mem_fns.items():
            out[col] = traced_peak(fn)
        return out

    return [Case("big_jacobian", f"big_jacobian n={n}", peers, rtol=1e-9, atol=1e-12,
                 note=note, memory=memory, repeat=3, min_time=0.0)]
