"""The seed document, step by step: Jacobians, the chain rule as a product of Jacobians, and
backpropagation through the layers of a small network to train it.

1. f(x, y) = 3x²y and g(x, y) = 2x + y⁸ stacked: the Jacobian has the functions as rows and
   the variables as columns, [[6xy, 3x²], [2, 8y⁷]].
2. A 3-2-1 network y = W2 tanh(W1 x + b1) + b2: dy/dx = dy/dz · dz/dx, the product of the two
   layers' Jacobians, which is what reverse mode (jacrev) and forward mode (jacfwd) compute.
3. Supervised learning: θ̂ = argmin L(y, f(x; θ)). Backpropagation is the same chain rule
   applied to the loss as a function of the weights; plain gradient descent then fits the
   3-2-1 network to a target function.

Run:  python examples/seed_walkthrough.py      (about a second)
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.seed_tour import (
    chain_rule_check,
    hidden,
    network,
    output,
    seed_closed_form,
    seed_jacobian,
)

np.set_printoptions(precision=4, suppress=True)

# 1. The Jacobian of two functions of two variables.
J = seed_jacobian(1.0, 2.0)
print("1. Jacobian of (3x^2 y, 2x + y^8) at (1, 2):\n", J)
assert np.allclose(J, seed_closed_form(1.0, 2.0))

# 2. The chain rule through a 3-2-1 network, in both modes.
x = np.array([0.5, -1.0, 2.0])
rev, fwd, dy_dz, dz_dx = chain_rule_check(x)
print("\n2. dz/dx (2x3):\n", dz_dx, "\n   dy/dz (1x2):", dy_dz, "\n   dy/dz . dz/dx:",
      dy_dz @ dz_dx, "\n   jacrev:", rev, " jacfwd:", fwd)
assert np.allclose(rev, dy_dz @ dz_dx) and np.allclose(fwd, rev)

# 3. Backpropagation trains the network: fit y = sin(x1) + x2 * x3 / 4 on random inputs.
rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, (200, 3))
Y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] / 4


def predict(p, X):
    # The same two per-example layers as above, mapped over the rows of X by vmap.
    return cr.vmap(lambda x: output(p, hidden(p, x)))(X).ravel()


def loss(p):
    return cnp.mean((predict(p, X) - Y) ** 2)


p = network(seed=0)
print("\n3. gradient descent on the mean squared error (gradients by backpropagation)")
step = cr.value_and_grad(loss)
for it in range(1501):
    value, g = step(p)
    p = {k: p[k] - 0.2 * g[k] for k in p}  # θ ← θ − η ∂L/∂θ
    if it % 300 == 0:
        print(f"   step {it:4d}  loss {value:.5f}")
# The gradient of the loss in W1 is itself a chain-rule product: check one entry by a finite
# difference.
eps, E = 1e-6, np.zeros_like(p["W1"])
E[0, 1] = eps
fd = (loss({**p, "W1": p["W1"] + E}) - loss({**p, "W1": p["W1"] - E})) / (2 * eps)
print(f"   dL/dW1[0,1]: backprop {cr.grad(loss)(p)['W1'][0, 1]:.8f}, finite difference {fd:.8f}")
assert value < 0.01
