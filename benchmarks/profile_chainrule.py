#!/usr/bin/env python
"""Where chainrule's time goes: cProfile of the overhead, mlp_step and jacobian workloads.

    python benchmarks/profile_chainrule.py [--only overhead,mlp_step,jacobian] [--calls 50]
                                           [--sort tottime] [--top 25]

Two views of chainrule's peer of each workload (one thread):

1. ``--ops`` (default on): every primitive's implementation is wrapped with a timer, so the
   time splits into NumPy work per primitive (forward and backward separately) and the
   engine's own Python bookkeeping (the rest). cProfile cannot show this split: a NumPy ufunc
   is not a profiled C function, so its time lands in whichever Python frame called it.
2. cProfile, sorted by ``--sort``: which Python functions of the engine cost the most.

Findings go to notes/perf-findings.md.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _median_time(fn, calls):
    import statistics
    import time

    samples = []
    for _ in range(calls):
        t0 = time.process_time()
        fn()
        samples.append(time.process_time() - t0)
    return statistics.median(samples)


def op_report(label, fn, floor_fn, calls):
    """Time in each primitive's implementation, forward and backward, against the total."""
    import time

    import chainrule.transforms.reverse_mode as rm
    from chainrule.core.primitive import registry

    total = _median_time(fn, calls)
    floor = _median_time(floor_fn, calls)
    acc = {}
    phase = ["fwd"]

    def timed(name, impl):
        def run(*args, **params):
            t0 = time.process_time()
            try:
                return impl(*args, **params)
            finally:
                key = (name, phase[0])
                n, t = acc.get(key, (0, 0.0))
                acc[key] = (n + 1, t + time.process_time() - t0)

        return run

    saved = {name: p.impl for name, p in registry.items()}
    backward = rm.backward

    def timed_backward(*a, **k):
        phase[0] = "bwd"
        try:
            return backward(*a, **k)
        finally:
            phase[0] = "fwd"

    try:
        for name, p in registry.items():
            p.impl = timed(name, p.impl)
        rm.backward = timed_backward
        for _ in range(calls):
            fn()
    finally:
        for name, p in registry.items():
            p.impl = saved[name]
        rm.backward = backward
    work = sum(t for _, t in acc.values()) / calls
    print(f"\n=== {label}")
    print(f"chainrule {total * 1e3:.3f} ms per call, hand-written NumPy {floor * 1e3:.3f} ms "
          f"(ratio {total / floor:.2f}x); inside primitive implementations {work * 1e3:.3f} ms; "
          f"engine bookkeeping ~{(total - work) * 1e3:.3f} ms "
          f"({100 * (total - work) / total:.0f}% of chainrule's time)")
    print(f"{'primitive':<22}{'phase':>6}{'calls':>8}{'ms/call of f':>14}")
    for (name, ph), (n, t) in sorted(acc.items(), key=lambda kv: -kv[1][1])[:20]:
        print(f"{name:<22}{ph:>6}{n // calls:>8}{t / calls * 1e3:>14.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="overhead,mlp_step,jacobian")
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--no-cprofile", action="store_true")
    ap.add_argument("--size", default="quick", choices=("tiny", "quick", "full"),
                    help="tiny: the NumPy work vanishes and what is left is the engine's "
                         "fixed cost per call")
    args = ap.parse_args(argv)

    from chainbench.threads import pin_threads

    pin_threads(1)
    import cProfile
    import pstats

    from chainbench import builder

    want = lambda col: col == "chainrule"  # noqa: E731
    for name in args.only.split(","):
        for case in builder(name)(args.size, want):
            if name == "mlp_step" and "float64 tanh" not in case.label and "relu" not in case.label:
                continue
            if name == "big_jacobian" and args.size == "full":
                continue
            (peer,) = [p for p in case.peers if p.column == "chainrule"]
            (floor,) = [p for p in case.peers if p.column == "numpy"]
            peer.fn()  # warm up
            op_report(case.label, peer.fn, floor.fn, args.calls)
            if args.no_cprofile:
                continue
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.calls):
                peer.fn()
            prof.disable()
            st = pstats.Stats(prof)
            print(f"\n--- cProfile of {case.label}: {st.total_tt / args.calls * 1e3:.2f} ms per "
                  "call under the profiler (NumPy ufunc time is inside its caller's tottime)")
            st.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
