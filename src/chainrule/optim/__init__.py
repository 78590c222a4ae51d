"""``chainrule.optim``: optimizers for training (pure ``init``/``update`` pairs over pytrees),
learning-rate schedules and gradient clipping. (``chainrule.optimize`` is the SciPy bridge.)

    >>> import numpy, chainrule
    >>> from chainrule import optim
    >>> loss = lambda p: (p["x"] - 3.0) ** 2
    >>> opt = optim.adam(0.1)
    >>> params = {"x": numpy.array(0.0)}
    >>> state = opt.init(params)
    >>> for _ in range(300):
    ...     params, state = opt.update(chainrule.grad(loss)(params), state, params)
    >>> round(float(params["x"]), 2)
    3.0
"""

from . import schedules
from .optimizers import (
    Optimizer,
    adagrad,
    adam,
    adamw,
    clip_by_global_norm,
    get,
    global_norm,
    rmsprop,
    sgd,
)
from .schedules import (
    constant,
    cosine_decay,
    exponential_decay,
    step_decay,
    warmup,
    warmup_cosine,
)

__all__ = ["Optimizer", "adagrad", "adam", "adamw", "clip_by_global_norm", "constant",
           "cosine_decay", "exponential_decay", "get", "global_norm", "rmsprop", "schedules",
           "sgd", "step_decay", "warmup", "warmup_cosine"]
