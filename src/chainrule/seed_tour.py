"""The seed document's examples, computed by chainrule and checked against closed forms.

1. The Jacobian of (f, g) with f(x, y) = 3x²y and g(x, y) = 2x + y⁸ (rows are functions,
   columns are variables).
2. A 3-input, 2-hidden, 1-output network: the chain rule dy/dx = dy/dz · dz/dx as a product
   of the layers' Jacobians, in both modes.

    >>> J = seed_jacobian(1.0, 2.0)
    >>> J.tolist()
    [[12.0, 3.0], [2.0, 1024.0]]
"""

from __future__ import annotations

import numpy as onp

import chainrule as cr
import chainrule.numpy as np


def seed_functions(v):
    x, y = v[0], v[1]
    return np.stack([3 * x ** 2 * y, 2 * x + y ** 8])


def seed_jacobian(x: float, y: float):
    return cr.jacobian(seed_functions)(onp.array([x, y]))


def seed_closed_form(x: float, y: float):
    return onp.array([[6 * x * y, 3 * x ** 2], [2.0, 8 * y ** 7]])


def network(seed: int = 0):
    """Weights of the seed's 3-2-1 network (tanh hidden layer, linear output)."""
    rng = onp.random.default_rng(seed)
    return {"W1": rng.standard_normal((2, 3)), "b1": rng.standard_normal(2),
            "W2": rng.standard_normal((1, 2)), "b2": rng.standard_normal(1)}


def hidden(p, x):
    return np.tanh(p["W1"] @ x + p["b1"])


def output(p, z):
    return p["W2"] @ z + p["b2"]


def chain_rule_check(x, p=None):
    """(dy/dx by jacrev, by jacfwd, dy/dz, dz/dx): the first two equal dy/dz @ dz/dx."""
    p = network() if p is None else p
    z = hidden(p, x)
    dz_dx = cr.jacobian(lambda x: hidden(p, x))(x)
    dy_dz = cr.jacobian(lambda z: output(p, z))(z)
    whole = lambda x: output(p, hidden(p, x))  # noqa: E731
    return cr.jacrev(whole)(x), cr.jacfwd(whole)(x), dy_dz, dz_dx


def main() -> None:
    with onp.printoptions(precision=4, suppress=True):  # not a global change for the caller
        _tour()


def _tour() -> None:
    print("1. Jacobian of (f, g) = (3x^2 y, 2x + y^8): rows are functions, columns variables")
    for x, y in [(1.0, 2.0), (-0.5, 1.5)]:
        J = seed_jacobian(x, y)
        ok = onp.allclose(J, seed_closed_form(x, y))
        print(f"   at (x, y) = ({x}, {y}):\n{J}\n   closed form [[6xy, 3x^2], [2, 8y^7]] "
              f"{'matches' if ok else 'DIFFERS'}")
    print("\n2. A 3-2-1 network: dy/dx = dy/dz . dz/dx")
    x = onp.array([0.5, -1.0, 2.0])
    rev, fwd, dy_dz, dz_dx = chain_rule_check(x)
    print(f"   dz/dx (2x3):\n{dz_dx}\n   dy/dz (1x2):\n{dy_dz}")
    print(f"   dy/dz . dz/dx = {dy_dz @ dz_dx}")
    print(f"   dy/dx reverse = {rev}\n   dy/dx forward = {fwd}")
    same = onp.allclose(rev, dy_dz @ dz_dx) and onp.allclose(fwd, dy_dz @ dz_dx)
    print(f"   chain rule {'holds' if same else 'FAILS'} in both modes")


if __name__ == "__main__":
    main()
