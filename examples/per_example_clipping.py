"""Per-example gradients with ``vmap(grad(...))``, and per-example gradient clipping (the core
step of differentially private SGD): each example's gradient is clipped to norm C before
averaging, so no single example can move the weights by more than C / batch.

A loop over examples would cost one backward pass per example; ``vmap`` pushes the whole
batch through each rule at once. The script checks the batched gradients against the loop
and compares their speed.

Run:  python examples/per_example_clipping.py      (about a second)
"""

from __future__ import annotations

import time

import numpy as np

import chainrule as cr
from chainrule import nn, optim

rng = np.random.default_rng(0)
X = rng.standard_normal((512, 20))
y = (X[:, :2].sum(axis=1) > 0).astype(int)

model = nn.MLP([32, 2], activation="tanh")
params, _ = model.init(0, (20,))


def loss_one(p, x, t):
    """The loss of ONE example (x: (20,), t: a scalar label) -- vmap adds the batch."""
    return nn.cross_entropy(model(p, x), t)


per_example_grad = cr.vmap(cr.grad(loss_one), in_axes=(None, 0, 0))


def clipped_mean_grad(p, xb, yb, clip=1.0):
    g = per_example_grad(p, xb, yb)  # every leaf gets a leading batch axis
    leaves, td = cr.tree_flatten(g)
    norms = np.sqrt(sum(np.sum(leaf.reshape(len(yb), -1) ** 2, axis=1) for leaf in leaves))
    scale = np.minimum(1.0, clip / np.maximum(norms, 1e-12))  # (batch,)
    return cr.tree_unflatten(td, [np.mean(leaf * scale.reshape((-1,) + (1,) * (leaf.ndim - 1)),
                                          axis=0) for leaf in leaves]), norms


# Check: vmap's per-example gradients equal a Python loop of single-example gradients.
xb, yb = X[:64], y[:64]
t = time.perf_counter()
batched = per_example_grad(params, xb, yb)
t_vmap = time.perf_counter() - t
t = time.perf_counter()
looped = [cr.grad(loss_one)(params, xb[i], yb[i]) for i in range(64)]
t_loop = time.perf_counter() - t
for k, leaf in enumerate(cr.tree_leaves(batched)):
    np.testing.assert_allclose(leaf, np.stack([cr.tree_leaves(g)[k] for g in looped]),
                               rtol=1e-10, atol=1e-12)
print(f"64 per-example gradients: vmap {1e3 * t_vmap:.1f} ms, loop {1e3 * t_loop:.1f} ms "
      f"({t_loop / t_vmap:.0f}x), identical")

# Train with clipped per-example gradients.
opt = optim.sgd(0.2, momentum=0.9)
state = opt.init(params)
for epoch in range(8):
    for start in range(0, len(y), 64):
        g, norms = clipped_mean_grad(params, X[start:start + 64], y[start:start + 64])
        params, state = opt.update(g, state, params)
    acc = np.mean(model(params, X).argmax(1) == y)
    print(f"epoch {epoch + 1}: accuracy {acc:.1%}, per-example grad norms in the last batch: "
          f"median {np.median(norms):.2f}, max {norms.max():.2f} (clipped to 1.0)")
assert acc > 0.9
