"""A small convolutional network on the 8x8 digits: Conv2D (im2col) -> ReLU -> MaxPool ->
Conv2D -> ReLU -> Flatten -> Dense, trained by backprop with Adam.

Every layer is a composition of differentiable chainrule ops, so the same model also gives
per-example gradients under ``vmap`` (shown at the end) and Hessian-vector products.

Run:  python examples/small_cnn.py      (about 5 seconds; needs scikit-learn)
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import chainrule as cr
from chainrule import nn, optim
from chainrule.training import fit, predict

X, y = load_digits(return_X_y=True)
X = (X / 16.0).reshape(-1, 1, 8, 8)  # (N, channels, height, width)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                    random_state=0)

model = nn.Sequential([
    nn.Conv2D(16, 3, padding="same", w_init="he_uniform"), nn.relu,   # 16 x 8 x 8
    nn.MaxPool2D(2),                                                   # 16 x 4 x 4
    nn.Conv2D(32, 3, padding="same", w_init="he_uniform"), nn.relu,   # 32 x 4 x 4
    nn.MaxPool2D(2),                                                   # 32 x 2 x 2
    nn.Flatten(ndim=3),                                                # 128
    nn.Dense(10),
])
params, _ = model.init(0, (1, 8, 8))
print(f"output shape per example {model.output_shape((1, 8, 8))}, "
      f"{nn.count_params(params):,} parameters")

epochs = 12
opt = optim.adam(optim.cosine_decay(3e-3, epochs * math.ceil(len(y_train) / 32)))
res = fit(model, params, X_train, y_train, optimizer=opt, epochs=epochs, batch_size=32,
          validation_data=(X_test, y_test), seed=0)
acc = np.mean(predict(model, res.params, X_test).argmax(1) == y_test)
print(f"test accuracy {acc:.2%}")


def loss_one(p, x, t):
    return nn.cross_entropy(model(p, x), t)


per_example = cr.vmap(cr.grad(loss_one), in_axes=(None, 0, 0))(res.params, X_test[:8],
                                                               y_test[:8])
print("per-example gradient of the first conv kernel:", per_example[0]["W"].shape)
assert acc > 0.95
