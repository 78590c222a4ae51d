"""Losses, each with ``reduction="mean" | "sum" | "none"``.

Classification losses take logits (never probabilities), so they are computed in the stable
log-sum-exp form: ``cross_entropy`` = logsumexp(z) - z[label], ``binary_cross_entropy`` =
softplus(z) - y z. Labels may be integer class indices or one-hot / soft probability rows.

    >>> import numpy
    >>> float(cross_entropy(numpy.array([[0.0, 0.0]]), numpy.array([1])))  # log 2
    0.6931471805599453
    >>> float(mse(numpy.array([1.0, 3.0]), numpy.array([0.0, 0.0])))
    5.0
"""

from __future__ import annotations

import numpy as _np

from .. import numpy as cnp
from ._ops import one_hot
from .activations import log_softmax, softplus

__all__ = ["binary_cross_entropy", "cross_entropy", "huber", "mae", "mse", "nll"]

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(values, reduction: str):
    if reduction == "mean":
        return cnp.mean(values)
    if reduction == "sum":
        return cnp.sum(values)
    if reduction == "none":
        return values
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _arrays(*values):
    """Python lists and numbers become arrays (traced values and arrays pass through)."""
    return tuple(cnp.asarray(v) if isinstance(v, (list, tuple, int, float)) else v
                 for v in values)


def _check_same_shape(name, pred, target):
    ps, ts = _np.shape(pred), _np.shape(target)
    if ps != ts:
        raise ValueError(f"{name}: predictions have shape {ps} but targets have shape {ts}")


def mse(pred, target, reduction: str = "mean"):
    """Squared error (pred - target)^2, reduced."""
    pred, target = _arrays(pred, target)
    _check_same_shape("mse", pred, target)
    return _reduce((pred - target) ** 2, reduction)


def mae(pred, target, reduction: str = "mean"):
    """Absolute error |pred - target|, reduced (derivative 0 where they are equal)."""
    pred, target = _arrays(pred, target)
    _check_same_shape("mae", pred, target)
    r = pred - target
    # Nested where() rather than abs(): a definite derivative (0) at r = 0.
    return _reduce(cnp.where(r > 0, r, cnp.where(r < 0, -r, 0.0)), reduction)


def huber(pred, target, delta: float = 1.0, reduction: str = "mean"):
    """0.5 r^2 for |r| <= delta, delta (|r| - delta / 2) beyond; continuous first derivative."""
    pred, target = _arrays(pred, target)
    _check_same_shape("huber", pred, target)
    if delta <= 0:
        raise ValueError(f"huber: delta must be positive, got {delta}")
    r = pred - target
    a = cnp.where(r > 0, r, -r)
    return _reduce(cnp.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)), reduction)


def _targets_like(name, logp, labels):
    """Integer labels -> one-hot rows matching ``logp``; float labels must match its shape."""
    labels_arr = labels
    shape = _np.shape(logp)
    if _np.issubdtype(_np.result_type(labels_arr), _np.integer):
        lshape = _np.shape(labels_arr)
        if lshape != shape[:-1]:
            raise ValueError(f"{name}: integer labels have shape {lshape}, expected {shape[:-1]} "
                             f"for logits of shape {shape}")
        return one_hot(labels_arr, shape[-1], dtype=cnp.result_type(logp))
    if _np.shape(labels_arr) != shape:
        raise ValueError(f"{name}: one-hot/probability labels have shape "
                         f"{_np.shape(labels_arr)}, expected the logits' shape {shape}")
    return labels_arr


def cross_entropy(logits, labels, reduction: str = "mean", label_smoothing: float = 0.0):
    """Softmax cross entropy from logits (last axis = classes).

    ``labels``: integer class indices of shape ``logits.shape[:-1]``, or one-hot / probability
    rows of the logits' shape. ``label_smoothing`` mixes the targets with the uniform
    distribution.
    """
    logits, labels = _arrays(logits, labels)
    logp = log_softmax(logits, axis=-1)
    target = _targets_like("cross_entropy", logp, labels)
    if label_smoothing:
        k = _np.shape(logp)[-1]
        target = target * (1.0 - label_smoothing) + label_smoothing / k
    return _reduce(-cnp.sum(target * logp, axis=-1), reduction)


def nll(log_probs, labels, reduction: str = "mean"):
    """Negative log likelihood of ``labels`` under ``log_probs`` (e.g. log_softmax output)."""
    log_probs, labels = _arrays(log_probs, labels)
    target = _targets_like("nll", log_probs, labels)
    return _reduce(-cnp.sum(target * log_probs, axis=-1), reduction)


def binary_cross_entropy(logits, targets, reduction: str = "mean"):
    """Sigmoid cross entropy from logits: softplus(z) - y z, for targets y in [0, 1]."""
    logits, targets = _arrays(logits, targets)
    _check_same_shape("binary_cross_entropy", logits, targets)
    return _reduce(softplus(logits) - targets * logits, reduction)


LOSSES = {"mse": mse, "mae": mae, "huber": huber, "cross_entropy": cross_entropy, "nll": nll,
          "binary_cross_entropy": binary_cross_entropy}


def get(name_or_fn):
    """A loss by name (``"cross_entropy"``) or the callable itself."""
    if callable(name_or_fn):
        return name_or_fn
    try:
        return LOSSES[name_or_fn]
    except KeyError:
        raise ValueError(f"unknown loss {name_or_fn!r}; choose one of {sorted(LOSSES)}") from None
