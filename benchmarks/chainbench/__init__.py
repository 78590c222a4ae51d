"""chainbench: the benchmark suite of chainrule (issue 5) and its per-op overhead metric (issue 2).

Why a package beside the scripts: ``run.py`` and ``overhead.py`` share one harness (thread
pinning, correctness checks, round-robin timing, the table), and the smoke test in
``tests/test_benchmarks_smoke.py`` runs every workload's correctness check at tiny sizes
through the same code, so a workload that computes the wrong numbers fails a test, not a
benchmark run.

Each workload module has ``build(size, want) -> list[Case]`` with ``size`` one of
``"tiny"`` (smoke test), ``"quick"`` and ``"full"``, and ``want(column)`` saying whether a peer
column is selected. Nothing here imports numpy at import time of this file, so that
``threads.pin_threads`` can run first.
"""

WORKLOADS = (
    "overhead", "mlp_step", "jacobian", "hessian", "cheap_gradient", "big_jacobian",
)


def builder(name):
    """The ``build`` function of workload ``name`` (imported lazily: numpy comes after pinning)."""
    from . import big_jacobian, hessian, jacobian, mlp, overhead

    return {
        "overhead": overhead.build,
        "mlp_step": mlp.build_step,
        "jacobian": jacobian.build,
        "hessian": hessian.build,
        "cheap_gradient": mlp.build_cheap,
        "big_jacobian": big_jacobian.build,
    }[name]
