"""Learning-rate schedules: functions from the update count k = 0, 1, 2, ... to a rate.

Every optimizer in ``chainrule.optim`` accepts a float or one of these; update k uses
``schedule(k)``. Schedules compose: ``warmup(cosine_decay(0.1, 1000), 100)``.

    >>> s = step_decay(0.1, step_size=10, gamma=0.5)
    >>> s(0), s(9), s(10), s(25)
    (0.1, 0.1, 0.05, 0.025)
    >>> w = warmup(0.1, warmup_steps=4)
    >>> [round(w(k), 3) for k in range(6)]
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1]
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["as_schedule", "constant", "cosine_decay", "exponential_decay", "step_decay",
           "warmup", "warmup_cosine"]

Schedule = Callable[[int], float]


def as_schedule(lr) -> Schedule:
    """A schedule from a float (constant) or a callable (returned as is)."""
    if callable(lr):
        return lr
    lr = float(lr)
    if not lr >= 0.0:
        raise ValueError(f"the learning rate must be a non-negative number, got {lr}")
    return constant(lr)


def constant(lr: float) -> Schedule:
    def schedule(k):
        return lr
    return schedule


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """``lr * gamma ** (k // step_size)`` (PyTorch's StepLR, counted in updates)."""
    if step_size < 1:
        raise ValueError(f"step_decay: step_size must be >= 1, got {step_size}")

    def schedule(k):
        return lr * gamma ** (int(k) // step_size)
    return schedule


def exponential_decay(lr: float, gamma: float) -> Schedule:
    """``lr * gamma ** k``."""
    def schedule(k):
        return lr * gamma ** int(k)
    return schedule


def cosine_decay(lr: float, total_steps: int, final_lr: float = 0.0) -> Schedule:
    """Half a cosine from ``lr`` at k = 0 to ``final_lr`` at k = total_steps, then flat."""
    if total_steps < 1:
        raise ValueError(f"cosine_decay: total_steps must be >= 1, got {total_steps}")

    def schedule(k):
        t = min(int(k), total_steps) / total_steps
        return final_lr + 0.5 * (lr - final_lr) * (1.0 + math.cos(math.pi * t))
    return schedule


def warmup(schedule, warmup_steps: int) -> Schedule:
    """Linear warm-up: update k < warmup_steps uses ``(k + 1) / warmup_steps`` of the
    schedule's first rate; afterwards ``schedule(k - warmup_steps)``."""
    base = as_schedule(schedule)
    if warmup_steps < 0:
        raise ValueError(f"warmup: warmup_steps must be >= 0, got {warmup_steps}")

    def sched(k):
        k = int(k)
        if k < warmup_steps:
            return base(0) * (k + 1) / warmup_steps
        return base(k - warmup_steps)
    return sched


def warmup_cosine(lr: float, warmup_steps: int, total_steps: int,
                  final_lr: float = 0.0) -> Schedule:
    """Linear warm-up to ``lr`` over ``warmup_steps``, then cosine decay to ``final_lr`` at
    ``total_steps`` (counted from the start)."""
    return warmup(cosine_decay(lr, max(total_steps - warmup_steps, 1), final_lr), warmup_steps)
