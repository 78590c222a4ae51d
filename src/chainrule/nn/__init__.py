"""``chainrule.nn``: layers, activations, losses and initializers for training networks by
backpropagation, in the functional style: parameters are a pytree, a model is a function.

    >>> import numpy, chainrule
    >>> from chainrule import nn
    >>> model = nn.MLP([16, 3])
    >>> params, _ = model.init(0, (4,))
    >>> x, y = numpy.ones((8, 4)), numpy.zeros(8, dtype=int)
    >>> loss = lambda p: nn.cross_entropy(model(p, x), y)
    >>> grads = chainrule.grad(loss)(params)
    >>> grads["layers"][0]["W"].shape
    (4, 16)

Layers (``init``/``apply`` pairs, see ``chainrule.nn.layers``): Dense, MLP, Sequential,
Dropout, LayerNorm, BatchNorm, Conv1D, Conv2D, AvgPool2D, MaxPool2D, Flatten, Embedding.
Parameters are saved and loaded by key path with ``chainrule.training.save_params`` /
``load_params`` (also exported here).
"""

from . import initializers
from ._ops import one_hot
from ._rng import new_key
from ._rng import split as split_rng
from .activations import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    logsumexp,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .functional import avg_pool2d, conv1d, conv2d, conv_output_shape, max_pool2d
from .layers import (
    MLP,
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Layer,
    LayerNorm,
    MaxPool2D,
    Sequential,
    count_params,
)
from .losses import binary_cross_entropy, cross_entropy, huber, mae, mse, nll

__all__ = [
    "MLP", "Activation", "AvgPool2D", "BatchNorm", "Conv1D", "Conv2D", "Dense", "Dropout",
    "Embedding", "Flatten", "Layer", "LayerNorm", "MaxPool2D", "Sequential", "avg_pool2d",
    "binary_cross_entropy", "conv1d", "conv2d", "conv_output_shape", "count_params",
    "cross_entropy", "elu", "gelu", "huber", "initializers", "leaky_relu", "load_params",
    "log_softmax", "logsumexp", "mae", "max_pool2d", "mse", "nll", "one_hot", "relu",
    "new_key", "save_params", "sigmoid", "silu", "softmax", "softplus", "split_rng", "tanh",
]


def __getattr__(name):
    # save/load live in chainrule.training; imported on first use to keep import light.
    if name in ("save_params", "load_params"):
        from .. import training

        return getattr(training, name)
    raise AttributeError(f"module 'chainrule.nn' has no attribute {name!r}")
