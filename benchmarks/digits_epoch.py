"""Time per epoch of the demo's digits MLP: chainrule beside the same model in PyTorch.

The model, data, split, batches and optimizer are the demo's: an MLP 64-256-128-10 (ReLU,
dropout 0.3) on scikit-learn's digits (stratified 25% test split, seed 0), AdamW with cosine
decay, batch 32. Rows:

- chainrule fit:  ``chainrule.training.fit`` (the demo's loop: shuffling, metrics, bar off)
- chainrule loop: the bare step ``value_and_grad`` + ``optim.adamw(...).update`` per batch
- torch float64 / float32: the same model, data and batches in eager PyTorch

Each row reports the median seconds per epoch (best of ``--repeat`` interleaved rounds), its
ratio to torch float64 (same arithmetic) and the test accuracy reached. BLAS and torch are
pinned to one thread (small products: more threads only contend), and OPENBLAS_NUM_THREADS=1
is set before NumPy is imported.

    python benchmarks/digits_epoch.py [--epochs 40]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import nn, optim  # noqa: E402
from chainrule.cli import (  # noqa: E402
    DEMO_DROPOUT,
    DEMO_HIDDEN,
    DEMO_LR,
    DEMO_WEIGHT_DECAY,
    Standardizer,
    load_digits_dataset,
    split,
)
from chainrule.training import accuracy, batches, fit, predict  # noqa: E402


def data(seed=0):
    ds = load_digits_dataset()
    tr, te = split(len(ds.y), 0.25, seed, ds.y)
    sc = Standardizer(ds.X[tr])
    return sc(ds.X[tr]), ds.y[tr], sc(ds.X[te]), ds.y[te]


def make_opt(epochs, n):
    total = epochs * math.ceil(n / 32)
    return optim.adamw(optim.cosine_decay(DEMO_LR, total), weight_decay=DEMO_WEIGHT_DECAY)


def bench_fit(Xtr, ytr, Xte, yte, epochs, jit=True):
    model = nn.MLP(list(DEMO_HIDDEN) + [10], dropout=DEMO_DROPOUT)
    params, _ = model.init(0, (64,))
    res = fit(model, params, Xtr, ytr, optimizer=make_opt(epochs, len(ytr)), epochs=epochs,
              batch_size=32, progress=False, seed=0, jit=jit)
    return res.history["time"], accuracy(predict(model, res.params, Xte), yte)


def bench_loop(Xtr, ytr, Xte, yte, epochs, jit=False):
    model = nn.MLP(list(DEMO_HIDDEN) + [10], dropout=DEMO_DROPOUT)
    params, _ = model.init(0, (64,))
    opt = make_opt(epochs, len(ytr))
    state = opt.init(params)
    gen = np.random.default_rng(0)
    step = cr.value_and_grad(lambda p, x, y, k: nn.cross_entropy(model(p, x, train=True, rng=k),
                                                                 y))
    if jit:  # dropout keys as arguments: each replay draws its own masks
        step = cr.jit(step)
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        for xb, yb in batches((Xtr, ytr), 32, rng=gen):
            _, g = step(params, xb, yb, nn.new_key(gen) if jit else gen)
            params, state = opt.update(g, state, params)
        times.append(time.perf_counter() - t)
    return times, accuracy(model(params, Xte), yte)


def bench_torch(Xtr, ytr, Xte, yte, epochs, dtype_name):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    dtype = getattr(torch, dtype_name)
    h1, h2 = DEMO_HIDDEN
    model = torch.nn.Sequential(
        torch.nn.Linear(64, h1), torch.nn.ReLU(), torch.nn.Dropout(DEMO_DROPOUT),
        torch.nn.Linear(h1, h2), torch.nn.ReLU(), torch.nn.Dropout(DEMO_DROPOUT),
        torch.nn.Linear(h2, 10)).to(dtype)
    opt = torch.optim.AdamW(model.parameters(), lr=DEMO_LR, weight_decay=DEMO_WEIGHT_DECAY)
    total = epochs * math.ceil(len(ytr) / 32)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, total)
    X, Y = torch.tensor(Xtr, dtype=dtype), torch.tensor(ytr)
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = np.random.default_rng(0)
    times = []
    for _ in range(epochs):
        model.train()
        t = time.perf_counter()
        for idx in batches(np.arange(len(ytr)), 32, rng=gen):
            idx = torch.from_numpy(idx)
            opt.zero_grad()
            loss = loss_fn(model(X[idx]), Y[idx])
            loss.backward()
            opt.step()
            sched.step()
        times.append(time.perf_counter() - t)
    model.eval()
    with torch.no_grad():
        out = model(torch.tensor(Xte, dtype=dtype)).numpy()
    return times, accuracy(out, yte)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds over all rows (interleaved, so load from other processes "
                         "hits every row alike); each row reports its best round")
    args = ap.parse_args(argv)
    Xtr, ytr, Xte, yte = data()
    rows = [("chainrule fit", bench_fit),
            ("fit(jit=False)", lambda *a: bench_fit(*a, jit=False)),
            ("chainrule loop", bench_loop),
            ("jit loop", lambda *a: bench_loop(*a, jit=True))]
    try:
        import torch  # noqa: F401

        rows += [("torch float64", lambda *a: bench_torch(*a, "float64")),
                 ("torch float32", lambda *a: bench_torch(*a, "float32"))]
    except ImportError:
        print("PyTorch is not installed: chainrule rows only")
    results = {}
    for _ in range(args.repeat):
        for name, fn in rows:
            times, acc = fn(Xtr, ytr, Xte, yte, args.epochs)
            row = (statistics.median(times[1:] or times), sum(times), acc)
            if name not in results or row[0] < results[name][0]:
                results[name] = row
    ref = results.get("torch float64", (None,))[0]
    print(f"digits MLP 64-{DEMO_HIDDEN[0]}-{DEMO_HIDDEN[1]}-10, {len(ytr)} training examples, "
          f"batch 32, {args.epochs} epochs, 1 BLAS thread, best of {args.repeat} rounds")
    print(f"{'':16s}{'s/epoch (median)':>18s}{'total s':>10s}{'vs torch f64':>14s}"
          f"{'test acc':>10s}")
    for name, (med, tot, acc) in results.items():
        ratio = f"{med / ref:.2f}x" if ref else "-"
        print(f"{name:16s}{med:18.4f}{tot:10.2f}{ratio:>14s}{100 * acc:9.2f}%")


if __name__ == "__main__":
    main()
