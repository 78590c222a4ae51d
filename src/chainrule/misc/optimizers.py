"""autograd's stochastic optimizers -- ``sgd`` (with momentum), ``rmsprop``, ``adam`` -- with its
signatures, defaults and update formulas, over parameters of any nest of tuples, lists and
dicts of arrays.

Why here: code written for ``autograd.misc.optimizers`` runs unchanged and produces the same
iterates. ``chainrule.optim`` stays the idiomatic optimizer API.

Each takes ``grad(params, i)`` (the gradient at iteration ``i``), the initial parameters and an
optional ``callback(params, i, g)`` called before each update; it returns the final parameters
in the structure of the initial ones. The work happens on one flat vector (see
``chainrule.misc.flatten``) and uses chainrule's differentiable functions, so an optimizer run
can itself be differentiated (meta-optimization), as in autograd.

    >>> import numpy
    >>> adam(lambda p, i: {"w": 2 * p["w"]}, {"w": numpy.ones(2)}, num_iters=1, step_size=0.1)
    {'w': array([0.9, 0.9])}
"""

from __future__ import annotations

import functools

from .. import numpy as np
from .flatten import flatten


def unflatten_optimizer(optimize):
    """Make an optimizer over flat 1-D vectors work on any nest of containers of arrays."""

    @functools.wraps(optimize)
    def _optimize(grad, x0, callback=None, *args, **kwargs):
        _x0, unflatten = flatten(x0)

        def _grad(x, i):
            return flatten(grad(unflatten(x), i))[0]

        if callback:
            def _callback(x, i, g):
                return callback(unflatten(x), i, unflatten(g))
        else:
            _callback = None
        return unflatten(optimize(_grad, _x0, _callback, *args, **kwargs))

    return _optimize


@unflatten_optimizer
def sgd(grad, x, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Stochastic gradient descent with momentum; ``grad(x, i)`` at iteration ``i``.

    ``v ← mass·v − (1 − mass)·g``, ``x ← x + step_size·v``, from ``v = 0``.
    """
    velocity = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return x


@unflatten_optimizer
def rmsprop(grad, x, callback=None, num_iters=100, step_size=0.1, gamma=0.9, eps=10**-8):
    """Root-mean-square propagation.

    ``s ← gamma·s + (1 − gamma)·g²`` from ``s = 1``, ``x ← x − step_size·g / (√s + eps)``.
    """
    avg_sq_grad = np.ones(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        avg_sq_grad = avg_sq_grad * gamma + g**2 * (1 - gamma)
        x = x - step_size * g / (np.sqrt(avg_sq_grad) + eps)
    return x


@unflatten_optimizer
def adam(grad, x, callback=None, num_iters=100, step_size=0.001, b1=0.9, b2=0.999, eps=10**-8):
    """Adam (Kingma & Ba, arXiv:1412.6980).

    ``m ← (1 − b1)·g + b1·m``, ``v ← (1 − b2)·g² + b2·v`` from zeros; with the bias corrections
    ``m̂ = m / (1 − b1^(i+1))``, ``v̂ = v / (1 − b2^(i+1))``: ``x ← x − step_size·m̂ / (√v̂ + eps)``.
    """
    m = np.zeros(len(x))
    v = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        m = (1 - b1) * g + b1 * m  # first moment estimate
        v = (1 - b2) * (g**2) + b2 * v  # second moment estimate
        mhat = m / (1 - b1 ** (i + 1))  # bias corrections
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step_size * mhat / (np.sqrt(vhat) + eps)
    return x


__all__ = ["adam", "rmsprop", "sgd", "unflatten_optimizer"]
