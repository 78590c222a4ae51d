"""Layers as init/apply pairs over pytrees of parameters (the functional style).

A layer holds only its hyperparameters. Parameters and state are plain pytrees it creates and
never mutates:

- ``params, state = layer.init(rng, input_shape)``: ``input_shape`` is the shape of one
  example (no batch axis), ``rng`` an integer seed or a ``numpy.random.Generator``.
  ``state`` is None except for layers with running statistics (``BatchNorm``).
- ``y, new_state = layer.apply(params, x, state=state, train=False, rng=None)``: ``x`` may
  carry any number of leading batch axes, or none (per-example code under ``vmap``).
  ``train=True`` turns on dropout (which then needs ``rng``) and batch statistics.
- ``layer(params, x, ...)`` is ``apply(...)[0]``: the output alone.
- ``layer.output_shape(input_shape)``: the shape of one output example.

    >>> import numpy
    >>> model = Sequential([Dense(4), relu, Dense(2)])
    >>> params, state = model.init(0, (3,))
    >>> model(params, numpy.ones((5, 3))).shape
    (5, 2)
    >>> [p["W"].shape for p in params if p]
    [(3, 4), (4, 2)]
"""

from __future__ import annotations

import math

import numpy as _np

from .. import numpy as cnp
from ..core.trace import is_tracer
from ..transforms import stop_gradient
from . import initializers as inits
from ._ops import one_hot
from ._rng import split, uniform
from .activations import get as get_activation
from .activations import relu
from .functional import avg_pool2d, conv_nd, conv_output_shape, max_pool2d

__all__ = ["Activation", "AvgPool2D", "BatchNorm", "Conv1D", "Conv2D", "Dense", "Dropout",
           "Embedding", "Flatten", "Layer", "LayerNorm", "MLP", "MaxPool2D", "Sequential",
           "count_params"]


def _shape(s) -> tuple:
    if isinstance(s, (int, _np.integer)):
        return (int(s),)
    return tuple(int(a) for a in s)


class Layer:
    """Base class: subclasses define ``init``, ``apply`` and ``output_shape``."""

    def init(self, rng, input_shape):
        return {}, None

    def output_shape(self, input_shape) -> tuple:
        return _shape(input_shape)

    def apply(self, params, x, *, state=None, train: bool = False, rng=None):
        raise NotImplementedError

    def __call__(self, params, x, *, state=None, train: bool = False, rng=None):
        return self.apply(params, x, state=state, train=train, rng=rng)[0]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


def _check_last_dim(name, x, expected):
    shape = _np.shape(x)
    if not shape or shape[-1] != expected:
        raise ValueError(f"{name}: expected inputs whose last axis has size {expected}, got "
                         f"shape {shape}")


class Dense(Layer):
    """y = x @ W + b with W of shape ``(in, features)``."""

    def __init__(self, features: int, use_bias: bool = True, w_init=inits.glorot_uniform,
                 b_init=inits.zeros):
        self.features = int(features)
        self.use_bias = use_bias
        self.w_init, self.b_init = inits.get(w_init), inits.get(b_init)

    def init(self, rng, input_shape):
        shape = _shape(input_shape)
        if not shape:
            raise ValueError("Dense: the input shape must have at least one axis")
        kw, kb = split(rng, 2)
        params = {"W": self.w_init(kw, (shape[-1], self.features))}
        if self.use_bias:
            params["b"] = self.b_init(kb, (self.features,))
        return params, None

    def output_shape(self, input_shape):
        return _shape(input_shape)[:-1] + (self.features,)

    def apply(self, params, x, *, state=None, train=False, rng=None):
        _check_last_dim("Dense", x, _np.shape(params["W"])[0])
        y = cnp.matmul(x, params["W"])
        if "b" in params:
            y = y + params["b"]
        return y, state


class Activation(Layer):
    """An elementwise function as a layer (plain callables in ``Sequential`` become these)."""

    def __init__(self, fn):
        self.fn = get_activation(fn)

    def apply(self, params, x, *, state=None, train=False, rng=None):
        return self.fn(x), state

    def __repr__(self):
        return f"Activation({getattr(self.fn, '__name__', self.fn)})"


class Dropout(Layer):
    """Zero each entry with probability ``rate`` in training and scale the rest by
    1 / (1 - rate); the identity in evaluation. Training needs ``rng`` (a seed, a Generator or
    a key: see ``chainrule.nn.new_key``)."""

    def __init__(self, rate: float):
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)

    def apply(self, params, x, *, state=None, train=False, rng=None):
        if not train or self.rate == 0.0:
            return x, state
        if rng is None:
            raise ValueError("Dropout: train=True needs rng= (an integer seed, a numpy "
                             "Generator or a key from chainrule.nn.new_key) so that the mask "
                             "is reproducible")
        keep = uniform(rng, _np.shape(x)) >= self.rate
        return x * (keep / (1.0 - self.rate)), state


class Flatten(Layer):
    """Merge the last ``ndim`` axes into one. ``ndim=None`` merges all axes but the first
    (PyTorch's default); give ``ndim`` (e.g. 3 after a Conv2D) to also work under ``vmap``."""

    def __init__(self, ndim: int | None = None):
        self.ndim = ndim

    def output_shape(self, input_shape):
        shape = _shape(input_shape)
        n = len(shape) if self.ndim is None else self.ndim
        return shape[:len(shape) - n] + (math.prod(shape[len(shape) - n:]),)

    def apply(self, params, x, *, state=None, train=False, rng=None):
        shape = _np.shape(x)
        n = len(shape) - 1 if self.ndim is None else self.ndim
        if n > len(shape):
            raise ValueError(f"Flatten(ndim={self.ndim}): input of shape {shape} has too few "
                             f"axes")
        return cnp.reshape(x, shape[:len(shape) - n] + (-1,)), state


class Sequential(Layer):
    """Layers applied in order. Plain functions (``relu``) are wrapped as activations.

    ``params`` and ``state`` are lists with one entry per layer (``{}`` / None where a layer
    has none), so a leaf's key path reads ``[2]['W']``.
    """

    def __init__(self, layers):
        self.layers = [lay if isinstance(lay, Layer) else Activation(lay) for lay in layers]

    def init(self, rng, input_shape):
        shape = _shape(input_shape)
        params, states = [], []
        for lay, key in zip(self.layers, split(rng, len(self.layers)), strict=True):
            p, s = lay.init(key, shape)
            params.append(p)
            states.append(s)
            shape = lay.output_shape(shape)
        return params, (None if all(s is None for s in states) else states)

    def output_shape(self, input_shape):
        shape = _shape(input_shape)
        for lay in self.layers:
            shape = lay.output_shape(shape)
        return shape

    def apply(self, params, x, *, state=None, train=False, rng=None):
        if len(params) != len(self.layers):
            raise ValueError(f"Sequential: got params for {len(params)} layers, the model has "
                             f"{len(self.layers)}")
        states = [None] * len(self.layers) if state is None else list(state)
        keys = split(rng, len(self.layers)) if (rng is not None and train) else [None] * len(
            self.layers)
        new_states = []
        for lay, p, s, key in zip(self.layers, params, states, keys, strict=True):
            x, s = lay.apply(p, x, state=s, train=train, rng=key)
            new_states.append(s)
        return x, (None if all(s is None for s in new_states) else new_states)


class MLP(Layer):
    """A multilayer perceptron: Dense layers of sizes ``features`` with ``activation`` between
    them (none after the last), and optional dropout after each hidden activation.

    ``params = {"layers": [{"W": ..., "b": ...}, ...]}`` (key paths ``['layers'][0]['W']``).
    The default initializer is He uniform for ReLU-like activations, Glorot uniform otherwise.
    """

    def __init__(self, features, activation=relu, dropout: float = 0.0, w_init=None,
                 b_init=inits.zeros):
        self.features = [int(f) for f in features]
        if not self.features:
            raise ValueError("MLP: features must list at least the output size")
        self.activation = get_activation(activation)
        if w_init is None:
            relu_like = getattr(self.activation, "__name__", "") in ("relu", "leaky_relu",
                                                                      "elu", "gelu", "silu")
            w_init = inits.he_uniform if relu_like else inits.glorot_uniform
        self.dense = [Dense(f, w_init=w_init, b_init=b_init) for f in self.features]
        self.dropout = Dropout(dropout)

    def init(self, rng, input_shape):
        shape = _shape(input_shape)
        layers = []
        for lay, key in zip(self.dense, split(rng, len(self.dense)), strict=True):
            layers.append(lay.init(key, shape)[0])
            shape = lay.output_shape(shape)
        return {"layers": layers}, None

    def output_shape(self, input_shape):
        return _shape(input_shape)[:-1] + (self.features[-1],)

    def apply(self, params, x, *, state=None, train=False, rng=None):
        layers = params["layers"]
        if len(layers) != len(self.dense):
            raise ValueError(f"MLP: got params for {len(layers)} layers, the model has "
                             f"{len(self.dense)}")
        keys = split(rng, len(layers)) if (train and rng is not None) else [None] * len(layers)
        for i, (lay, p) in enumerate(zip(self.dense, layers, strict=True)):
            x = lay.apply(p, x)[0]
            if i < len(layers) - 1:
                x = self.activation(x)
                x = self.dropout.apply({}, x, train=train, rng=keys[i])[0]
        return x, state

    def __repr__(self):
        return (f"MLP(features={self.features}, activation={self.activation.__name__}, "
                f"dropout={self.dropout.rate})")


class LayerNorm(Layer):
    """Normalize over the last ``ndim`` axes of each example, then scale and shift
    (learned, shaped like those axes)."""

    def __init__(self, eps: float = 1e-5, ndim: int = 1, use_scale: bool = True,
                 use_bias: bool = True):
        self.eps, self.ndim = float(eps), int(ndim)
        self.use_scale, self.use_bias = use_scale, use_bias

    def init(self, rng, input_shape):
        shape = _shape(input_shape)
        if len(shape) < self.ndim:
            raise ValueError(f"LayerNorm(ndim={self.ndim}): input shape {shape} has too few "
                             f"axes")
        pshape = shape[len(shape) - self.ndim:]
        params = {}
        if self.use_scale:
            params["scale"] = _np.ones(pshape)
        if self.use_bias:
            params["bias"] = _np.zeros(pshape)
        return params, None

    def apply(self, params, x, *, state=None, train=False, rng=None):
        axes = tuple(range(-self.ndim, 0))
        mu = cnp.mean(x, axis=axes, keepdims=True)
        xc = x - mu
        var = cnp.mean(xc * xc, axis=axes, keepdims=True)
        y = xc / cnp.sqrt(var + self.eps)
        if "scale" in params:
            y = y * params["scale"]
        if "bias" in params:
            y = y + params["bias"]
        return y, state


class BatchNorm(Layer):
    """Batch normalization over every axis but the channel axis (axis 0 of one example:
    ``(C,)`` features or ``(C, H, W)`` images), as in PyTorch.

    ``train=True`` normalizes with the batch's statistics and returns updated running
    statistics as the new state: ``running = (1 - momentum) * running + momentum * batch``
    (the running variance is the unbiased one). ``train=False`` uses the running statistics.
    The state is ``{"mean": (C,), "var": (C,)}``; it is data, never differentiated.
    """

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5):
        self.momentum, self.eps = float(momentum), float(eps)

    def init(self, rng, input_shape):
        shape = _shape(input_shape)
        if not shape:
            raise ValueError("BatchNorm: the input shape needs a channel axis")
        c = shape[0]
        return ({"scale": _np.ones(c), "bias": _np.zeros(c)},
                {"mean": _np.zeros(c), "var": _np.ones(c)})

    def apply(self, params, x, *, state=None, train=False, rng=None):
        if state is None:
            raise ValueError("BatchNorm: pass state= (the running statistics from init)")
        c = _np.shape(params["scale"])[0]
        shape = _np.shape(x)
        # The example's channel axis is axis 0 of its shape; x has one leading batch axis.
        nd = len(shape)
        if nd < 2 or shape[1] != c:
            raise ValueError(f"BatchNorm: expected input (N, {c}, ...), got shape {shape}")
        bshape = (1, c) + (1,) * (nd - 2)
        axes = (0,) + tuple(range(2, nd))
        if train:
            mean = cnp.mean(x, axis=axes, keepdims=True)
            xc = x - mean
            var = cnp.mean(xc * xc, axis=axes, keepdims=True)
            n = math.prod(shape[a] for a in axes)
            m = self.momentum
            bm, bv = stop_gradient(cnp.reshape(mean, (c,))), stop_gradient(cnp.reshape(var, (c,)))
            unbiased = bv * (n / max(n - 1, 1))
            new_state = {"mean": (1 - m) * state["mean"] + m * bm,
                         "var": (1 - m) * state["var"] + m * unbiased}
        else:
            xc = x - cnp.reshape(state["mean"], bshape)
            var = cnp.reshape(state["var"], bshape)
            new_state = state
        y = xc / cnp.sqrt(var + self.eps)
        y = y * cnp.reshape(params["scale"], bshape) + cnp.reshape(params["bias"], bshape)
        return y, new_state


class _Conv(Layer):
    ndim = 0

    def __init__(self, features: int, kernel_size, stride=1, padding="valid", dilation=1,
                 use_bias: bool = True, w_init=inits.glorot_uniform, b_init=inits.zeros,
                 method: str = "im2col"):
        n = self.ndim
        self.method = method
        self.features = int(features)
        ks = (int(kernel_size),) * n if isinstance(kernel_size, (int, _np.integer)) else tuple(
            kernel_size)
        if len(ks) != n:
            raise ValueError(f"{type(self).__name__}: kernel_size needs {n} entries, got {ks}")
        self.kernel_size = ks
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.use_bias = use_bias
        self.w_init, self.b_init = inits.get(w_init), inits.get(b_init)

    def _check(self, shape):
        if len(shape) != self.ndim + 1:
            axes = "(C, L)" if self.ndim == 1 else "(C, H, W)"
            raise ValueError(f"{type(self).__name__}: one example must have shape {axes}, "
                             f"got {shape}")

    def init(self, rng, input_shape):
        shape = _shape(input_shape)
        self._check(shape)
        kw, kb = split(rng, 2)
        params = {"W": self.w_init(kw, (self.features, shape[0]) + self.kernel_size)}
        if self.use_bias:
            params["b"] = self.b_init(kb, (self.features,))
        return params, None

    def output_shape(self, input_shape):
        shape = _shape(input_shape)
        self._check(shape)
        return (self.features,) + conv_output_shape(shape[1:], self.kernel_size, self.stride,
                                                    self.padding, self.dilation)

    def apply(self, params, x, *, state=None, train=False, rng=None):
        return conv_nd(x, params["W"], params.get("b"), self.stride, self.padding,
                       self.dilation, self.method), state


class Conv1D(_Conv):
    """1-d convolution (im2col): one example ``(C, L)`` -> ``(features, L_out)``;
    W ``(features, C, k)``."""

    ndim = 1


class Conv2D(_Conv):
    """2-d convolution (im2col): one example ``(C, H, W)`` -> ``(features, H', W')``;
    W ``(features, C, kh, kw)``. ``padding``: 'valid', 'same', an int or per-axis pairs;
    ``method``: 'im2col' (default) or 'fft' (for large kernels)."""

    ndim = 2


class _Pool2D(Layer):
    def __init__(self, window=2, stride=None):
        self.window = window
        self.stride = window if stride is None else stride

    def output_shape(self, input_shape):
        shape = _shape(input_shape)
        return shape[:-2] + conv_output_shape(shape[-2:], self.window, self.stride)


class AvgPool2D(_Pool2D):
    """Mean over windows of the last two axes."""

    def apply(self, params, x, *, state=None, train=False, rng=None):
        return avg_pool2d(x, self.window, self.stride), state


class MaxPool2D(_Pool2D):
    """Max over windows of the last two axes (ties: the first in row-major order)."""

    def apply(self, params, x, *, state=None, train=False, rng=None):
        return max_pool2d(x, self.window, self.stride), state


class Embedding(Layer):
    """Integer ids -> rows of a ``(num_embeddings, features)`` table (N(0, 1) init)."""

    def __init__(self, num_embeddings: int, features: int, w_init=None):
        self.num_embeddings, self.features = int(num_embeddings), int(features)
        self.w_init = inits.normal(1.0) if w_init is None else inits.get(w_init)

    def init(self, rng, input_shape):
        return {"table": self.w_init(rng, (self.num_embeddings, self.features))}, None

    def output_shape(self, input_shape):
        return _shape(input_shape) + (self.features,)

    def apply(self, params, x, *, state=None, train=False, rng=None):
        if is_tracer(x):  # ids batched by vmap: a one-hot product batches like any op
            return cnp.matmul(one_hot(x, self.num_embeddings, cnp.result_type(params["table"])),
                              params["table"]), state
        ids = _np.asarray(x)
        if not _np.issubdtype(ids.dtype, _np.integer):
            raise TypeError(f"Embedding: ids must be integers, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_embeddings):
            raise ValueError(f"Embedding: ids must lie in [0, {self.num_embeddings}), got "
                             f"values in [{ids.min()}, {ids.max()}]")
        return params["table"][ids], state


def count_params(params) -> int:
    """The number of scalar parameters in a pytree."""
    from ..core.pytree import tree_leaves

    return int(sum(_np.size(leaf) for leaf in tree_leaves(params)))
