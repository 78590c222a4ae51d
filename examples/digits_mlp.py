"""An MLP trained by backpropagation on scikit-learn's handwritten digits (the demo's main
job, written out): load, split, standardize, build, fit with a progress bar, evaluate,
plot, save, reload.

Run:  python examples/digits_mlp.py [OUT_DIR]      (5-10 seconds; needs scikit-learn,
      matplotlib and tqdm: pip install 'chainrule[demo]')

Training runs on one BLAS thread, as the demo does: the mini-batch products are small, and
extra threads only contend (the same script is about twice as slow with the default threading
on a busy 2-core machine).
"""

from __future__ import annotations

import math
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from chainrule import nn, optim
from chainrule.training import (
    confusion_matrix,
    fit,
    load_params,
    predict,
    save_params,
)

out_dir = sys.argv[1] if len(sys.argv) > 1 else "."

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                    random_state=0)
mean, std = X_train.mean(0), X_train.std(0)
std[std == 0] = 1.0  # constant pixels (always blank at the border)
X_train, X_test = (X_train - mean) / std, (X_test - mean) / std

model = nn.MLP([256, 128, 10], activation="relu", dropout=0.3)
params, _ = model.init(0, (64,))
print(f"{model}: {nn.count_params(params):,} parameters")

epochs, batch = 40, 32
steps = epochs * math.ceil(len(y_train) / batch)
opt = optim.adamw(optim.cosine_decay(2e-3, steps), weight_decay=1e-2)
with threadpool_limits(1, user_api="blas"):
    result = fit(model, params, X_train, y_train, loss="cross_entropy", optimizer=opt,
                 epochs=epochs, batch_size=batch, validation_data=(X_test, y_test), seed=0)

pred = predict(model, result.params, X_test).argmax(axis=1)
print(f"test accuracy {np.mean(pred == y_test):.2%}")
print(confusion_matrix(y_test, pred))

path = save_params(f"{out_dir}/digits_mlp.npz", result.params)
again = load_params(path, like=params)
assert np.array_equal(predict(model, again, X_test), predict(model, result.params, X_test))
print("saved", path, "and", result.history.plot(f"{out_dir}/digits_mlp.png",
                                                 title="MLP on digits"))
