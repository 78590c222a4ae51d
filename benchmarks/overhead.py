#!/usr/bin/env python
"""Per-op overhead of reverse mode (issue 2's metric), on its own.

    python benchmarks/overhead.py [--threads N] [--repeat K] [--clock cpu] [--peers chainrule,torch]

A chain of 1000 elementwise ops (alternating sin, ×1.01, +0.1, tanh) on a float64 vector of
16, then sum, then the gradient. Prints µs per op for forward+backward and the ratio to a
hand-written NumPy forward+backward of the same chain (target for chainrule: ≤ 3.0x), beside
PyTorch eager and HIPS autograd (and torch.func and JAX) when installed. Same harness as
``run.py --only overhead``: checked first, timed round-robin, medians.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=15, help="round-robin rounds (default 15)")
    ap.add_argument("--min-time", type=float, default=0.05, help="seconds per sample")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--peers", default="", help="columns besides numpy (default: all installed)")
    args = ap.parse_args(argv)

    from chainbench.threads import pin_threads

    for w in pin_threads(args.threads):
        print("warning:", w, file=sys.stderr)
    from chainbench import overhead
    from chainbench.harness import COLUMNS, run_case
    from chainbench.report import fmt_time, machine

    columns = set(COLUMNS) if not args.peers else {"numpy"} | set(args.peers.split(","))
    (case,) = overhead.build("full", lambda c: c in columns)
    res = run_case(case, args.repeat, args.min_time, args.clock)
    info = machine()
    print(f"per-op overhead: {case.label}, fwd+bwd; {args.repeat} round-robin rounds, "
          f"medians of {args.clock} time, {info['threads']} thread(s)")
    print(f"machine: {info['cpu']}, nproc {info['nproc']}; "
          + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print(f"{'peer':<12} {'time':>10} {'µs/op':>8} {'ratio':>8}   spread (min-max µs/op)")
    for col in COLUMNS:
        key = (col, "main")
        st = res.status.get(key)
        if st is None:
            continue
        if st != "ok":
            print(f"{col:<12} {st}")
            continue
        t = res.times[key]
        lo, hi = res.spread[key]
        print(f"{col:<12} {fmt_time(t):>10} {t / case.per * 1e6:8.2f} {res.ratio(col):7.2f}x"
              f"   {lo / case.per * 1e6:.2f}-{hi / case.per * 1e6:.2f}")
    r = res.ratio("chainrule")
    if r is not None:
        print(f"target chainrule <= 3.0x hand-written NumPy: "
              f"{'HOLDS' if r <= 3.0 else 'MISSED'} ({r:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
