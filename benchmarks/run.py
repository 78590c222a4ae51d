#!/usr/bin/env python
"""Run chainrule's benchmark suite (issue 5) and print the table.

    python benchmarks/run.py                 # every workload, full sizes (several minutes)
    python benchmarks/run.py --quick         # smaller sizes and fewer rounds (< 2 minutes)
    python benchmarks/run.py --only overhead,jacobian --repeat 15
    python benchmarks/run.py --threads 2 --peers chainrule,torch --json out.json

Each workload checks first that every peer computes the numbers of the hand-written NumPy
version (a peer that disagrees is reported WRONG and not timed), then times all peers in
alternation and quotes medians, as ratios to the NumPy time of the same run. Threads are
pinned to 1 unless --threads says otherwise: this must happen before numpy is imported, so
the imports below come after the arguments are parsed.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

WORKLOADS = ("overhead", "mlp_step", "jacobian", "hessian", "cheap_gradient", "big_jacobian")
COLUMNS = ("chainrule", "torch", "torch.func", "jax", "jax.jit", "autograd")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smaller sizes (big_jacobian n=2000) and 5 rounds: under two minutes")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for BLAS, OpenMP, torch and XLA (default 1)")
    ap.add_argument("--only", default="",
                    help="comma-separated workloads: " + ", ".join(WORKLOADS))
    ap.add_argument("--repeat", type=int, default=0,
                    help="round-robin rounds (default 9, 5 with --quick)")
    ap.add_argument("--peers", default="",
                    help="comma-separated columns to run besides numpy: " + ", ".join(COLUMNS))
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall time (default) or this process's CPU time, which does not count "
                         "waiting for a core on a machine shared with other work")
    ap.add_argument("--malloc", choices=("reuse", "default"), default="reuse",
                    help="reuse (default): glibc keeps freed memory for reuse "
                         "(chainrule.allocator.tune_allocator), for every column alike, so that "
                         "page faults on fresh temporaries -- which depend on what the process "
                         "ran before -- do not decide the ratios; default: glibc as it comes")
    ap.add_argument("--json", default="", help="also write the results to this JSON file")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from chainbench.threads import pin_threads

    for w in pin_threads(args.threads):
        print("warning:", w, file=sys.stderr)
    if args.malloc == "reuse":
        from chainrule.allocator import tune_allocator

        if not tune_allocator():
            args.malloc = "default (not glibc)"
    from chainbench import report

    return report.main(args)


if __name__ == "__main__":
    sys.exit(main())
