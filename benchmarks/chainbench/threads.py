"""Pin the thread pools of BLAS, OpenMP and XLA before numpy, torch or jax are imported.

Why before: OpenBLAS and MKL read their environment variables once, when the library loads,
and XLA reads ``XLA_FLAGS`` when its CPU client starts. Setting them later does nothing, so
the scripts call ``pin_threads`` before their first ``import numpy``. Torch's pools are set
by ``libs.torch()`` with ``torch.set_num_threads``.
"""

from __future__ import annotations

import os
import sys

ENV_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

THREADS = 1


def pin_threads(n: int) -> list[str]:
    """Set every pool to ``n`` threads; returns warnings (a library already imported)."""
    global THREADS
    THREADS = int(n)
    for var in ENV_VARS:
        os.environ[var] = str(THREADS)
    eigen = "false" if THREADS == 1 else "true"
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split()
             if not f.startswith(("--xla_cpu_multi_thread_eigen", "intra_op_parallelism_threads"))]
    flags += [f"--xla_cpu_multi_thread_eigen={eigen}", f"intra_op_parallelism_threads={THREADS}"]
    os.environ["XLA_FLAGS"] = " ".join(flags)
    warnings = []
    for mod in ("numpy", "torch", "jax"):
        if mod in sys.modules:
            warnings.append(f"{mod} was imported before the threads were pinned; its pool may "
                            "not follow --threads")
    if "numpy" in sys.modules:  # best effort: resize BLAS pools that already started
        try:
            import threadpoolctl

            threadpoolctl.threadpool_limits(THREADS)
        except ImportError:
            pass
    return warnings


def blas_threads() -> str:
    """What BLAS actually runs with (threadpoolctl when installed), for the report header."""
    try:
        import threadpoolctl
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    info = threadpoolctl.threadpool_info()
    return ", ".join(f"{i.get('internal_api')}={i.get('num_threads')}" for i in info) or "none"
