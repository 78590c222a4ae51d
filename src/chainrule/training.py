"""Training networks by backpropagation: mini-batches, ``fit``, metrics, saving parameters.

``fit`` is the whole loop in one call: shuffled mini-batches, a gradient step by
``chainrule.value_and_grad``, an optimizer from ``chainrule.optim``, a tqdm progress bar (loss,
accuracy, examples per second), validation after each epoch, early stopping, and a ``History``
that plots itself. Parameters are saved as ``.npz`` keyed by pytree key paths
(``['layers'][0]['W']``) and loaded without pickle, so a parameter file cannot run code.

    >>> import numpy
    >>> from chainrule import nn, optim
    >>> rng = numpy.random.default_rng(0)
    >>> X = rng.standard_normal((64, 2)); y = (X[:, 0] * X[:, 1] > 0).astype(int)
    >>> model = nn.MLP([16, 2], activation="tanh")
    >>> params, _ = model.init(0, (2,))
    >>> result = fit(model, params, X, y, optimizer=optim.adam(0.05), epochs=30,
    ...              batch_size=16, progress=False)
    >>> result.history["accuracy"][-1] > 0.9
    True

scikit-learn, matplotlib and tqdm are optional: tqdm is imported by ``fit`` (with a plain-text
fallback), matplotlib only by ``History.plot``; ``import chainrule`` needs none of them.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as _np

from .core.pytree import tree_flatten, tree_flatten_with_path, tree_map, tree_unflatten
from .core.trace import getval
from .nn import losses as _losses
from .nn._rng import new_key
from .optim import optimizers as _optimizers
from .transforms import stop_gradient, value_and_grad
from .transforms.jit import jit as _jit

__all__ = ["FitResult", "History", "accuracy", "batches", "confusion_matrix", "evaluate", "fit",
           "load_params", "plot_history", "predict", "save_params"]


# --- mini-batches -----------------------------------------------------------------------------

def _num_examples(data) -> int:
    leaves = tree_flatten(data)[0]
    if not leaves:
        raise ValueError("batches: no arrays given")
    ns = {int(_np.shape(a)[0]) if _np.ndim(a) else -1 for a in leaves}
    if len(ns) != 1 or -1 in ns:
        shapes = [_np.shape(a) for a in leaves]
        raise ValueError(f"batches: every array needs the same number of examples along axis "
                         f"0, got shapes {shapes}")
    return ns.pop()


def batches(data, batch_size: int = 32, shuffle: bool = True, rng=None,
            drop_last: bool = False):
    """Yield mini-batches of ``data`` (an array or a pytree of arrays with a shared first axis),
    reshuffled on every call when ``shuffle`` (``rng``: seed or numpy Generator).

        >>> import numpy
        >>> [b.tolist() for b in batches(numpy.arange(5), 2, shuffle=False)]
        [[0, 1], [2, 3], [4]]
    """
    if batch_size < 1:
        raise ValueError(f"batches: batch_size must be >= 1, got {batch_size}")
    n = _num_examples(data)
    order = _np.arange(n)
    if shuffle:
        gen = rng if isinstance(rng, _np.random.Generator) else _np.random.default_rng(rng)
        order = gen.permutation(n)
    stop = n - (n % batch_size) if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield tree_map(lambda a, idx=idx: _np.asarray(a)[idx], data)


# --- metrics ----------------------------------------------------------------------------------

def predicted_classes(outputs):
    """Class predictions from logits/probabilities ``(..., C)``; a single logit per example
    ``(N,)`` or ``(N, 1)`` is binary (positive logit -> class 1)."""
    out = _np.asarray(getval(outputs))
    if out.ndim >= 2 and out.shape[-1] > 1:
        return out.argmax(axis=-1)
    return (out.reshape(out.shape[:1]) > 0).astype(int) if out.ndim else int(out > 0)


def accuracy(outputs, labels) -> float:
    """Fraction of examples whose predicted class (argmax of ``outputs``) equals ``labels``
    (integer classes, or one-hot rows).

        >>> import numpy
        >>> accuracy(numpy.array([[2.0, 1.0], [0.0, 3.0]]), numpy.array([0, 0]))
        0.5
    """
    pred = predicted_classes(outputs)
    lab = _np.asarray(getval(labels))
    if lab.ndim == _np.ndim(getval(outputs)) and lab.ndim >= 2 and lab.shape[-1] > 1:
        lab = lab.argmax(axis=-1)
    lab = lab.reshape(_np.shape(pred))
    return float(_np.mean(pred == lab)) if _np.size(pred) else float("nan")


def confusion_matrix(y_true, y_pred, num_classes: int | None = None):
    """``M[i, j]`` = number of examples of true class i predicted as class j.

        >>> confusion_matrix([0, 1, 1], [0, 1, 0]).tolist()
        [[1, 0], [1, 1]]
    """
    t = _np.asarray(y_true).astype(int).ravel()
    p = _np.asarray(y_pred).astype(int).ravel()
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: {t.size} true labels but {p.size} predictions")
    k = num_classes if num_classes is not None else int(max(t.max(initial=-1),
                                                            p.max(initial=-1)) + 1)
    m = _np.zeros((k, k), dtype=int)
    _np.add.at(m, (t, p), 1)
    return m


def _rmse(outputs, targets) -> float:
    d = _np.asarray(getval(outputs)) - _np.asarray(targets)
    return float(_np.sqrt(_np.mean(d * d)))


def _mae(outputs, targets) -> float:
    return float(_np.mean(_np.abs(_np.asarray(getval(outputs)) - _np.asarray(targets))))


METRICS: dict[str, Callable] = {"accuracy": accuracy, "rmse": _rmse, "mae": _mae}


# --- history ----------------------------------------------------------------------------------

class History(dict):
    """Per-epoch records: ``history["loss"][e]``, ``"val_loss"``, ``"accuracy"``, ``"val_..."``,
    ``"time"`` (seconds), ``"lr"``; plus ``best_epoch`` and ``stopped_early``."""

    best_epoch: int | None = None
    stopped_early: bool = False
    restored_best: bool = False

    def append(self, **values) -> None:
        for k, v in values.items():
            self.setdefault(k, []).append(float(v))

    @property
    def epochs(self) -> int:
        return len(self.get("loss", []))

    def to_json(self, path=None) -> str:
        text = json.dumps({"history": dict(self), "best_epoch": self.best_epoch,
                           "stopped_early": self.stopped_early,
                           "restored_best": self.restored_best}, indent=1)
        if path is not None:
            with open(path, "w") as f:
                f.write(text)
        return text

    def plot(self, path, title: str | None = None, val_name: str = "validation") -> str:
        return plot_history(self, path, title, val_name)


def plot_history(history, path, title: str | None = None, val_name: str = "validation") -> str:
    """Save a PNG with the loss (train and ``val_name``) and, when recorded, the accuracy or
    other metric per epoch; a dashed line marks the epoch whose parameters early stopping
    restored. Uses matplotlib's Agg canvas (no display needed, no global backend change)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    metric_names = [k for k in history if not k.startswith("val_")
                    and k not in ("loss", "time", "lr", "epoch")]
    panels = 1 + (1 if metric_names else 0)
    fig = Figure(figsize=(5.2 * panels, 3.8), dpi=100)
    FigureCanvasAgg(fig)
    epochs = _np.arange(1, len(history["loss"]) + 1)

    def panel(ax, key, label):
        ax.plot(epochs, history[key], "o-", ms=3, label=f"train {label}")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], "s-", ms=3, label=f"{val_name} {label}")
        if getattr(history, "restored_best", False):
            ax.axvline(history.best_epoch + 1, color="0.6", ls="--", lw=1,
                       label="restored best epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()

    ax = fig.add_subplot(1, panels, 1)
    panel(ax, "loss", "loss")
    if max(max(history["loss"]), max(history.get("val_loss", [0]))) / max(
            min(history["loss"]), 1e-12) > 30:
        ax.set_yscale("log")
    if metric_names:
        name = metric_names[0]
        ax2 = fig.add_subplot(1, panels, 2)
        panel(ax2, name, name)
        if name == "accuracy":
            ax2.set_ylim(top=1.0)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = os.fspath(path)
    fig.savefig(path)
    return path


# --- prediction and evaluation ----------------------------------------------------------------

def _apply_fn(model):
    """(params, x, state, train, rng) -> (out, state) for a Layer or a plain apply(params, x)."""
    if hasattr(model, "apply") and hasattr(model, "init"):
        return lambda p, x, state, train, rng: model.apply(p, x, state=state, train=train,
                                                           rng=rng)
    if callable(model):
        return lambda p, x, state, train, rng: (model(p, x), state)
    raise TypeError(f"model must be a chainrule.nn Layer or a function apply(params, x), got "
                    f"{type(model).__name__}")


def predict(model, params, X, state=None, batch_size: int = 1024):
    """The model's outputs on ``X`` in evaluation mode, computed in batches."""
    apply = _apply_fn(model)
    outs = [_np.asarray(getval(apply(params, xb, state, False, None)[0]))
            for xb in batches(X, batch_size, shuffle=False)]
    return _np.concatenate(outs, axis=0)


def evaluate(model, params, X, y, loss="cross_entropy", metrics=None, state=None,
             batch_size: int = 1024) -> dict:
    """``{"loss": ..., metric: ...}`` of the model on (X, y) in evaluation mode."""
    out = predict(model, params, X, state, batch_size)
    loss_fn = _losses.get(loss)
    res = {"loss": float(loss_fn(out, _np.asarray(y)))}
    for name, fn in _metric_fns(metrics, loss).items():
        res[name] = fn(out, y)
    return res


def _metric_fns(metrics, loss) -> dict:
    if metrics is None:
        classify = loss in ("cross_entropy", "nll", "binary_cross_entropy") or loss in (
            _losses.cross_entropy, _losses.nll, _losses.binary_cross_entropy)
        metrics = ("accuracy",) if classify else ()
    if isinstance(metrics, dict):
        return dict(metrics)
    if isinstance(metrics, str):
        metrics = (metrics,)
    out = {}
    for m in metrics:
        if callable(m):
            out[getattr(m, "__name__", "metric")] = m
        elif m in METRICS:
            out[m] = METRICS[m]
        else:
            raise ValueError(f"unknown metric {m!r}; choose from {sorted(METRICS)} or pass a "
                             f"function(outputs, targets)")
    return out


# --- fit --------------------------------------------------------------------------------------

class FitResult(NamedTuple):
    params: Any
    state: Any
    history: History
    opt_state: Any = None


class _Progress:
    """A tqdm bar when tqdm is installed and wanted, else one plain line per epoch."""

    def __init__(self, enabled: bool, total_epochs: int):
        self.enabled, self.total_epochs = enabled, total_epochs
        self.tqdm = None
        self.bar = None
        if enabled:
            try:
                from tqdm.auto import tqdm
                self.tqdm = tqdm
            except ImportError:
                self.tqdm = None

    def start_epoch(self, epoch: int, n: int) -> None:
        if self.tqdm is not None:
            self.bar = self.tqdm(total=n, unit="ex", unit_scale=True, leave=False,
                                 desc=f"epoch {epoch + 1}/{self.total_epochs}",
                                 dynamic_ncols=True, file=sys.stderr, disable=None)

    def step(self, k: int, loss: float, acc: float | None) -> None:
        if self.bar is not None:
            self.bar.update(k)
            post = {"loss": f"{loss:.4f}"}
            if acc is not None:
                post["acc"] = f"{acc:.3f}"
            self.bar.set_postfix(post, refresh=False)

    def end_epoch(self, line: str) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if not self.enabled:
            return
        if self.tqdm is not None:
            self.tqdm.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)


def _fmt(name, v):
    if name.endswith("accuracy"):
        return f"{name} {100 * v:.2f}%"
    return f"{name} {v:.4f}"


def fit(model, params, X, y, *, loss="cross_entropy", optimizer="adam", epochs: int = 10,
        batch_size: int = 32, validation_data=None, state=None, metrics=None, seed=0,
        early_stopping: int | None = None, monitor: str | None = None,
        restore_best: bool = True, progress: bool = True, opt_state=None,
        callback: Callable | None = None, jit: bool = True) -> FitResult:
    """Train ``model`` (a ``chainrule.nn`` Layer, or a function ``apply(params, x)``) on (X, y).

    - ``loss``: a name from ``chainrule.nn.losses`` or ``loss(outputs, targets) -> scalar``.
    - ``optimizer``: a ``chainrule.optim`` Optimizer or a name (default options).
    - ``validation_data=(X_val, y_val)``: evaluated after every epoch (eval mode).
    - ``metrics``: names (``"accuracy"``, ``"rmse"``, ``"mae"``) or functions; default
      accuracy for classification losses.
    - ``early_stopping=patience``: stop after ``patience`` epochs without improvement of
      ``monitor`` (default ``"val_loss"``, or ``"loss"`` without validation data; names ending
      in "accuracy" are maximized); ``restore_best`` returns the best epoch's parameters.
    - ``seed``: shuffling and dropout randomness (int or numpy Generator).
    - ``callback(epoch, params, history)``: called after each epoch; returning True stops.
    - ``jit``: record the training step once per batch shape and replay it
      (``chainrule.jit``); a model whose step cannot be recorded (it reads values from
      Python) runs eagerly, as with ``jit=False``. Dropout draws from a fresh key per step.

    Returns ``FitResult(params, state, history, opt_state)``.
    """
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    apply = _apply_fn(model)
    loss_fn = _losses.get(loss)
    opt = _optimizers.get(optimizer)
    metric_fns = _metric_fns(metrics, loss)
    X, y = _np.asarray(X) if not isinstance(X, (dict, list, tuple)) else X, _np.asarray(y)
    n = _num_examples((X, y))
    if n == 0:
        raise ValueError("fit: the training set is empty")
    gen = seed if isinstance(seed, _np.random.Generator) else _np.random.default_rng(seed)
    if opt_state is None:
        opt_state = opt.init(params)
    if monitor is None:
        monitor = "val_loss" if validation_data is not None else "loss"
    maximize = monitor.endswith("accuracy")

    def objective(p, st, xb, yb, key):
        out, new_st = apply(p, xb, st, True, key)
        # stop_gradient: outputs and state are data, never differentiated (and nn-1 before
        # its fix returned live tracers as aux).
        return loss_fn(out, yb), stop_gradient((out, new_st))

    step_grad = value_and_grad(objective, has_aux=True)
    if jit:
        step_grad = _jit(step_grad, warn=False)
    history = History()
    best_value, best, waited = None, None, 0
    bar = _Progress(progress, epochs)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        bar.start_epoch(epoch, n)
        lr = opt.lr(int(opt_state["step"]))
        total, seen, sums = 0.0, 0, {k: 0.0 for k in metric_fns}
        for xb, yb in batches((X, y), batch_size, shuffle=True, rng=gen):
            (lval, (out, new_state)), grads = step_grad(params, state, xb, yb, new_key(gen))
            lval = float(getval(lval))
            if not math.isfinite(lval):
                bar.end_epoch(f"epoch {epoch + 1}: the loss became {lval}; stopping")
                raise FloatingPointError(f"fit: the training loss became {lval} in epoch "
                                         f"{epoch + 1}; lower the learning rate")
            params, opt_state = opt.update(grads, opt_state, params)
            state = tree_map(getval, new_state)
            k = _np.shape(yb)[0]
            total += lval * k
            seen += k
            out = getval(out)
            for name, fn in metric_fns.items():
                sums[name] += fn(out, yb) * k
            bar.step(k, total / seen, sums["accuracy"] / seen if "accuracy" in sums else None)
        elapsed = time.perf_counter() - t0
        record = {"loss": total / seen, **{k: v / seen for k, v in sums.items()}}
        if validation_data is not None:
            Xv, yv = validation_data
            ev = evaluate(model, params, Xv, yv, loss_fn, metric_fns, state)
            record.update({f"val_{k}": v for k, v in ev.items()})
        history.append(**record, time=elapsed, lr=lr)
        if monitor not in record:
            raise ValueError(f"fit: cannot monitor {monitor!r}; recorded: {sorted(record)}")
        value = record[monitor]
        improved = best_value is None or (value > best_value if maximize else value < best_value)
        if improved:
            best_value, waited, history.best_epoch = value, 0, epoch
            best = (params, state)
        else:
            waited += 1
        parts = [f"epoch {epoch + 1:>3}/{epochs}"] + [_fmt(k, v) for k, v in record.items()]
        parts.append(f"{elapsed:.2f}s ({seen / max(elapsed, 1e-9):,.0f} ex/s)")
        bar.end_epoch("  ".join(parts))
        if callback is not None and callback(epoch, params, history):
            break
        if early_stopping is not None and waited >= early_stopping:
            history.stopped_early = True
            if progress:
                bar.end_epoch(f"early stopping: no {monitor} improvement in {early_stopping} "
                              f"epochs; best epoch {history.best_epoch + 1}")
            break
    if restore_best and early_stopping is not None and best is not None:
        params, state = best
        history.restored_best = True
    return FitResult(params, state, history, opt_state)


# --- saving and loading -----------------------------------------------------------------------

_ROOT = "<root>"
_STRUCTURE = "__structure__"


def _encode_structure(td):
    """A JSON-able description of a TreeDef (dicts, lists, tuples, None; other containers
    are described as tuples), so that ``load_params`` can rebuild empty sub-trees too."""
    if td.kind is None:
        return 0
    if td.kind is dict:
        keys = [k if isinstance(k, (str, int)) else str(k) for k in td.aux]
        return {"dict": keys, "c": [_encode_structure(c) for c in td.children]}
    if td.kind is type(None):
        return {"none": 1}
    name = "list" if td.kind is list else "tuple"
    return {name: [_encode_structure(c) for c in td.children]}


def _decode_structure(enc, it):
    if enc == 0:
        return next(it)
    if "dict" in enc:
        return {k: _decode_structure(c, it) for k, c in zip(enc["dict"], enc["c"], strict=True)}
    if "none" in enc:
        return None
    items = [_decode_structure(c, it) for c in enc.get("list", enc.get("tuple", []))]
    return items if "list" in enc else tuple(items)


def save_params(path, params) -> str:
    """Save a pytree of arrays to ``path`` (.npz), one entry per leaf keyed by its key path
    (``['layers'][0]['W']``). Returns the path written."""
    pairs, td = tree_flatten_with_path(params)
    arrays = {_STRUCTURE: _np.array(json.dumps(_encode_structure(td)))}
    for key, leaf in pairs:
        a = _np.asarray(getval(leaf))
        if a.dtype == object:
            raise TypeError(f"save_params: leaf {key or _ROOT} is not a numeric array "
                            f"(dtype object); only arrays can be saved without pickle")
        arrays[key or _ROOT] = a
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    _np.savez(path, **arrays)
    return path


_TOKEN = re.compile(r"\['((?:[^'\\]|\\.)*)'\]|\[(-?\d+)\]|\.([A-Za-z_]\w*)")


def _parse_path(key: str):
    pos, out = 0, []
    while pos < len(key):
        m = _TOKEN.match(key, pos)
        if m is None:
            raise ValueError(f"load_params: cannot parse the key path {key!r}")
        if m.group(1) is not None:
            out.append(("key", m.group(1)))
        elif m.group(2) is not None:
            out.append(("index", int(m.group(2))))
        else:
            out.append(("key", m.group(3)))
        pos = m.end()
    return out


def _build(entries):
    """Nested dicts/lists from ((tokens), array) pairs."""
    if len(entries) == 1 and not entries[0][0]:
        return entries[0][1]
    kinds = {toks[0][0] for toks, _ in entries}
    groups: dict = {}
    for toks, a in entries:
        groups.setdefault(toks[0][1], []).append((toks[1:], a))
    if kinds == {"index"}:
        return [_build(groups[i]) for i in sorted(groups)]
    return {k: _build(v) for k, v in groups.items()}


def load_params(path, like=None, strict: bool = True):
    """Load parameters saved by ``save_params`` (never unpickles).

    With ``like`` (a pytree of the expected structure, e.g. fresh ``model.init`` output) the
    result has exactly that structure, and a missing leaf, an unexpected one (``strict``) or a
    shape mismatch raises a ValueError naming the leaf. Without it, the structure is rebuilt
    from the key paths as nested dicts and lists.
    """
    path = os.fspath(path)
    try:
        data = _np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"load_params: no such file: {path}") from None
    except (ValueError, OSError) as e:
        raise ValueError(f"load_params: {path} is not a parameter file saved by save_params "
                         f"({e})") from None
    if not hasattr(data, "files"):
        raise ValueError(f"load_params: {path} holds a single array, not a .npz of parameters")
    with data:
        try:
            stored = {k: data[k] for k in data.files}
        except ValueError as e:  # an object array: refused, never unpickled
            raise ValueError(f"load_params: {path} is not a parameter file saved by "
                             f"save_params ({e})") from None
    structure = stored.pop(_STRUCTURE, None)
    if like is None:
        if structure is not None:
            skeleton = _decode_structure(json.loads(str(structure)), iter(range(len(stored))))
            pairs, td = tree_flatten_with_path(skeleton)
            try:
                return tree_unflatten(td, [stored[key or _ROOT] for key, _ in pairs])
            except KeyError as e:
                raise ValueError(f"load_params: {path} lacks leaf {e.args[0]} listed in its "
                                 f"structure") from None
        if list(stored) == [_ROOT]:
            return stored[_ROOT]
        return _build([(_parse_path(k), a) for k, a in stored.items()])
    pairs, td = tree_flatten_with_path(like)
    leaves = []
    for key, ref in pairs:
        name = key or _ROOT
        if name not in stored:
            raise ValueError(f"load_params: {path} has no entry for leaf {name} (it holds "
                             f"{len(stored)} leaves: {', '.join(list(stored)[:6])}"
                             f"{', ...' if len(stored) > 6 else ''})")
        a = stored.pop(name)
        want = _np.shape(ref)
        if a.shape != want:
            raise ValueError(f"load_params: leaf {name} has shape {a.shape} in {path} but "
                             f"shape {want} in the model")
        leaves.append(a)
    if strict and stored:
        raise ValueError(f"load_params: {path} has leaves the model lacks: "
                         f"{', '.join(sorted(stored))} (pass strict=False to ignore them)")
    return tree_unflatten(td, leaves)
