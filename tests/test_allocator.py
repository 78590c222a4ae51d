"""chainrule.allocator: freed temporaries are reused instead of page-faulted in again."""

import subprocess
import sys

import pytest

from chainrule.allocator import tune_allocator

# An MLP-like step of hand-written NumPy whose temporaries are 128 KiB-256 KiB: the sizes at
# which glibc's default thresholds unmap or trim memory on every free.
_PROGRAM = """
import resource, sys
import numpy as np
if sys.argv[1] == "tuned":
    from chainrule.allocator import tune_allocator
    assert tune_allocator()
rng = np.random.default_rng(0)
x, W, b = rng.standard_normal((128, 256)), rng.standard_normal((256, 256)), np.ones(256)
def step():
    a = x @ W; z = a + b; h = np.tanh(z); g = (1 - h * h) @ W.T
    return (x.T @ g).sum() + z.sum()
for _ in range(20):
    step()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(100):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0) / 100)
"""


def _faults_per_step(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", _PROGRAM, mode], capture_output=True, text=True,
                         check=True, env={"OPENBLAS_NUM_THREADS": "1", "PATH": ""})
    return float(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_tuned_allocator_reuses_freed_memory():
    if not tune_allocator():
        pytest.skip("not glibc")
    tuned = _faults_per_step("tuned")
    assert tuned < 2, f"{tuned} page faults per step with the allocator tuned"
    assert tuned <= _faults_per_step("default")

