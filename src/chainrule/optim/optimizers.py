"""Optimizers as pure ``init``/``update`` pairs over pytrees of parameters.

    opt = adam(1e-3)
    state = opt.init(params)
    params, state = opt.update(grads, state, params)     # returns new values, mutates nothing

The state is a pytree too (``{"step": ..., "m": tree, ...}``), so it can be saved with the
parameters. Updates follow PyTorch's ``torch.optim`` definitions exactly (tests compare them
step by step), with these options on every optimizer:

- ``lr``: a float or a schedule from ``chainrule.optim.schedules``; update k uses ``lr(k)``.
- ``weight_decay``: L2 added to the gradient (``g + wd * p``), as PyTorch's ``weight_decay``;
  ``adamw`` decays the weights directly instead (``p *= 1 - lr * wd``).
- ``decay_mask``: ``callable(path, leaf) -> bool`` choosing the leaves that decay (e.g. not
  biases: ``lambda path, p: p.ndim > 1``); all of them by default.
- ``clip_norm``: clip the gradient by its global norm before anything else.

Updates are written with NumPy operators and functions that dispatch on chainrule's traced
values, so an update step is itself differentiable (hypergradients).

    >>> import numpy
    >>> opt = sgd(0.1)
    >>> p, s = opt.update({"w": numpy.array([1.0])}, opt.init({"w": numpy.zeros(1)}),
    ...                   {"w": numpy.zeros(1)})
    >>> p["w"]
    array([-0.1])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as _np

from ..core.pytree import tree_flatten, tree_paths, tree_unflatten
from ..core.trace import is_tracer
from .schedules import as_schedule

__all__ = ["Optimizer", "adagrad", "adam", "adamw", "clip_by_global_norm", "global_norm",
           "rmsprop", "sgd"]


class Optimizer(NamedTuple):
    """``init(params) -> state``; ``update(grads, state, params) -> (params, state)``;
    ``lr(step) -> float`` the schedule (the state's ``"step"`` counts updates done)."""

    init: Callable[[Any], Any]
    update: Callable[[Any, Any, Any], tuple]
    lr: Callable[[int], float]
    name: str = "optimizer"


def global_norm(tree) -> Any:
    """sqrt of the sum of squares of every leaf."""
    leaves = tree_flatten(tree)[0]
    if not leaves:
        return 0.0
    total = sum(_np.sum(g * g) for g in leaves)
    return _np.sqrt(total)


def clip_by_global_norm(tree, max_norm: float):
    """Scale ``tree`` so that its global norm is at most ``max_norm``; returns
    ``(clipped, norm_before)``."""
    if max_norm <= 0:
        raise ValueError(f"clip_by_global_norm: max_norm must be positive, got {max_norm}")
    norm = global_norm(tree)
    if is_tracer(norm):  # differentiable form (the clipped branch only where it applies)
        scale = _np.where(norm > max_norm, max_norm / _np.where(norm > 0, norm, 1.0), 1.0)
    else:
        scale = max_norm / norm if norm > max_norm else 1.0
    leaves, td = tree_flatten(tree)
    return tree_unflatten(td, [g * scale for g in leaves]), norm


def _zeros(leaves, fill=0.0):
    return [_np.full(_np.shape(p), fill, dtype=_np.result_type(p, _np.float64)
                     if not _np.iscomplexobj(p) else _np.result_type(p)) for p in leaves]


def _make(name, lr, weight_decay, decay_mask, clip_norm, init_slots, step_fn, decoupled=False):
    """Shared plumbing: flatten, clip, weight decay, schedule, step count; ``step_fn`` maps
    (g, p, slots, lr, t) -> (new_p, new_slots) for one leaf."""
    schedule = as_schedule(lr)
    if weight_decay < 0:
        raise ValueError(f"{name}: weight_decay must be >= 0, got {weight_decay}")
    if clip_norm is not None and clip_norm <= 0:
        raise ValueError(f"{name}: clip_norm must be positive, got {clip_norm}")

    def init(params):
        leaves, td = tree_flatten(params)
        slots = {k: tree_unflatten(td, _zeros(leaves, fill)) for k, fill in init_slots.items()}
        return {"step": _np.zeros((), dtype=_np.int64), **slots}

    def update(grads, state, params):
        p_leaves, td = tree_flatten(params)
        g_leaves, g_td = tree_flatten(grads)
        if len(g_leaves) != len(p_leaves):
            raise ValueError(f"{name}.update: grads have {len(g_leaves)} leaves ({g_td}), "
                             f"params {len(p_leaves)} ({td})")
        paths = tree_paths(td)
        for path, g, p in zip(paths, g_leaves, p_leaves, strict=True):
            if _np.shape(g) != _np.shape(p):
                raise ValueError(f"{name}.update: gradient{path} has shape {_np.shape(g)}, the "
                                 f"parameter has shape {_np.shape(p)}")
        if clip_norm is not None:
            g_leaves = tree_flatten(clip_by_global_norm(g_leaves, clip_norm)[0])[0]
        step = int(state["step"])
        rate = schedule(step)
        t = step + 1
        slot_leaves = {k: tree_flatten(state[k])[0] for k in init_slots}
        new_p, new_slots = [], {k: [] for k in init_slots}
        for i, (path, g, p) in enumerate(zip(paths, g_leaves, p_leaves, strict=True)):
            decay = weight_decay and (decay_mask is None or decay_mask(path, p))
            if decay and not decoupled:
                g = g + weight_decay * p
            if decay and decoupled:
                p = p * (1.0 - rate * weight_decay)
            slots = {k: v[i] for k, v in slot_leaves.items()}
            p, slots = step_fn(g, p, slots, rate, t)
            new_p.append(p)
            for k in init_slots:
                new_slots[k].append(slots[k])
        new_state = {"step": _np.asarray(t, dtype=_np.int64)}
        for k in init_slots:
            new_state[k] = tree_unflatten(td, new_slots[k])
        return tree_unflatten(td, new_p), new_state

    return Optimizer(init, update, schedule, name)


def sgd(lr=0.01, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0,
        decay_mask=None, clip_norm: float | None = None) -> Optimizer:
    """Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``:
    ``buf = momentum * buf + g``; ``p -= lr * (g + momentum * buf if nesterov else buf)``."""
    if momentum < 0:
        raise ValueError(f"sgd: momentum must be >= 0, got {momentum}")
    if nesterov and momentum == 0:
        raise ValueError("sgd: nesterov=True needs momentum > 0")

    if momentum == 0:
        def step(g, p, slots, lr, t):
            return p - lr * g, slots
        return _make("sgd", lr, weight_decay, decay_mask, clip_norm, {}, step)

    def step_m(g, p, slots, lr, t):
        buf = momentum * slots["momentum"] + g
        d = g + momentum * buf if nesterov else buf
        return p - lr * d, {"momentum": buf}

    return _make("sgd", lr, weight_decay, decay_mask, clip_norm, {"momentum": 0.0}, step_m)


def _adam_step(b1, b2, eps):
    def step(g, p, slots, lr, t):
        m = b1 * slots["m"] + (1.0 - b1) * g
        v = b2 * slots["v"] + (1.0 - b2) * (g * g)
        bc1, bc2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        denom = _np.sqrt(v) / math.sqrt(bc2) + eps
        return p - (lr / bc1) * (m / denom), {"m": m, "v": v}
    return step


def adam(lr=1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         weight_decay: float = 0.0, decay_mask=None, clip_norm: float | None = None
         ) -> Optimizer:
    """Adam (Kingma & Ba) with bias correction, as ``torch.optim.Adam`` (L2 weight decay)."""
    return _make("adam", lr, weight_decay, decay_mask, clip_norm, {"m": 0.0, "v": 0.0},
                 _adam_step(b1, b2, eps))


def adamw(lr=1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          weight_decay: float = 0.01, decay_mask=None, clip_norm: float | None = None
          ) -> Optimizer:
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``:
    ``p *= 1 - lr * weight_decay`` before the Adam step."""
    return _make("adamw", lr, weight_decay, decay_mask, clip_norm, {"m": 0.0, "v": 0.0},
                 _adam_step(b1, b2, eps), decoupled=True)


def rmsprop(lr=0.01, alpha: float = 0.99, eps: float = 1e-8, momentum: float = 0.0,
            centered: bool = False, weight_decay: float = 0.0, decay_mask=None,
            clip_norm: float | None = None) -> Optimizer:
    """RMSprop, as ``torch.optim.RMSprop``: ``v = alpha v + (1 - alpha) g^2``,
    ``p -= lr g / (sqrt(v) + eps)`` (``centered`` subtracts the squared mean gradient)."""
    slots = {"v": 0.0}
    if centered:
        slots["g_avg"] = 0.0
    if momentum:
        slots["momentum"] = 0.0

    def step(g, p, s, lr, t):
        new = {"v": alpha * s["v"] + (1.0 - alpha) * (g * g)}
        var = new["v"]
        if centered:
            new["g_avg"] = alpha * s["g_avg"] + (1.0 - alpha) * g
            var = var - new["g_avg"] * new["g_avg"]
        d = g / (_np.sqrt(var) + eps)
        if momentum:
            new["momentum"] = momentum * s["momentum"] + d
            d = new["momentum"]
        return p - lr * d, new

    return _make("rmsprop", lr, weight_decay, decay_mask, clip_norm, slots, step)


def adagrad(lr=0.01, eps: float = 1e-10, initial_accumulator_value: float = 0.0,
            weight_decay: float = 0.0, decay_mask=None, clip_norm: float | None = None
            ) -> Optimizer:
    """Adagrad, as ``torch.optim.Adagrad``: ``s += g^2``, ``p -= lr g / (sqrt(s) + eps)``."""
    def step(g, p, s, lr, t):
        acc = s["sum"] + g * g
        return p - lr * g / (_np.sqrt(acc) + eps), {"sum": acc}

    return _make("adagrad", lr, weight_decay, decay_mask, clip_norm,
                 {"sum": float(initial_accumulator_value)}, step)


OPTIMIZERS = {"sgd": sgd, "adam": adam, "adamw": adamw, "rmsprop": rmsprop, "adagrad": adagrad}


def get(name_or_opt, **kwargs) -> Optimizer:
    """An optimizer by name (``"adam"``, with keyword options) or the Optimizer itself."""
    if isinstance(name_or_opt, Optimizer):
        return name_or_opt
    try:
        return OPTIMIZERS[name_or_opt](**kwargs)
    except KeyError:
        raise ValueError(f"unknown optimizer {name_or_opt!r}; choose one of "
                         f"{sorted(OPTIMIZERS)}") from None
