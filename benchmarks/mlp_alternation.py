#!/usr/bin/env python
"""mlp_step ratios timed in tight alternation with the hand-written NumPy step.

    python benchmarks/mlp_alternation.py [--rounds 40] [--steps 10]

Each round times ``steps`` hand-written NumPy steps, ``steps`` chainrule steps, then
``steps`` NumPy steps again, and takes chainrule's time over the mean of the two NumPy
blocks; prints the median and quartiles over the rounds for the four configs of ``run.py``'s
mlp_step (float64/float32 x tanh/relu), for ``value_and_grad`` (eager) and for
``chainrule.jit`` of it. On a shared, noisy machine this moves less than the
round-robin harness, whose blocks are seconds apart. One thread, allocator tuned, as run.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--steps", type=int, default=10, help="steps per timed block")
    args = ap.parse_args(argv)

    import numpy as np
    from chainbench import mlp

    import chainrule
    import chainrule.numpy as cnp
    from chainrule.allocator import tune_allocator

    tune_allocator()
    configs = {}
    for dtype in (np.float64, np.float32):
        for act in ("tanh", "relu"):
            p, x, Y = mlp.make_data((64, 256, 256, 10), 128, dtype)
            a = cnp.tanh if act == "tanh" else mlp.chainrule_relu()[0]
            vg = chainrule.value_and_grad(mlp.xp_loss(cnp, a))
            jvg = chainrule.jit(vg)
            configs[f"{np.dtype(dtype).name} {act}"] = (
                lambda p=p, x=x, Y=Y, act=act: mlp.numpy_step(p, x, Y, act),
                {"eager": lambda vg=vg, p=p, x=x, Y=Y: mlp._update(p, vg(p, x, Y)[1]),
                 "jit": lambda vg=jvg, p=p, x=x, Y=Y: mlp._update(p, vg(p, x, Y)[1])})
    ratios: dict = {(k, c): [] for k, (_, fns) in configs.items() for c in fns}
    for _ in range(args.rounds):
        for name, (hand, fns) in configs.items():
            for col, chain in fns.items():
                t0 = time.perf_counter()
                for _ in range(args.steps):
                    hand()
                t1 = time.perf_counter()
                for _ in range(args.steps):
                    chain()
                t2 = time.perf_counter()
                for _ in range(args.steps):
                    hand()
                t3 = time.perf_counter()
                ratios[name, col].append(2 * (t2 - t1) / ((t1 - t0) + (t3 - t2)))
    print(f"mlp_step, chainrule / hand-written NumPy, {args.rounds} rounds of {args.steps} steps "
          "(median [quartiles]); eager: value_and_grad, jit: chainrule.jit(value_and_grad):")
    for (name, col), r in ratios.items():
        r.sort()
        n = len(r)
        print(f"  {name:13s} {col:5s} {r[n // 2]:.3f}x [{r[n // 4]:.3f}-{r[3 * n // 4]:.3f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
