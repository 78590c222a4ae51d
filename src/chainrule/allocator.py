"""Keep freed memory for reuse: glibc's allocator tuned for code that makes many temporaries.

Why: every traced op -- and every hand-written NumPy expression -- allocates its result fresh.
With glibc's defaults an array of about 128 KiB or more is unmapped, or the top of the heap
trimmed, as soon as it is freed, so the next temporary of that size pays page faults on fresh
pages. Whether that happens depends on what the process did before (glibc moves its
thresholds as it sees large frees), so the same code runs up to 2x slower or faster from one
process to the next. Measured here: a hand-written NumPy MLP training step took 223 page
faults and 45% longer; chainrule's Hessian of Rosenbrock (n=128) 1.8x longer.

``tune_allocator()`` raises both thresholds, process-wide: freed memory stays in the heap and
is reused. The process keeps the memory it has used at its peak (not returned to the OS until
exit). It is opt-in: a library should not change its host process's allocator unasked;
chainrule's own programs (the CLI, the benchmarks) call it.

    >>> applied = tune_allocator()  # True on glibc (Linux); False, changing nothing, elsewhere
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_allocator(trim_threshold: int = 256 << 20, mmap_threshold: int = 32 << 20) -> bool:
    """Set glibc's ``M_TRIM_THRESHOLD`` and ``M_MMAP_THRESHOLD`` (bytes); True where applied,
    False where the C library is not glibc (macOS, Windows, musl): nothing is changed there."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_TRIM_THRESHOLD, int(trim_threshold))) and \
        bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)))
