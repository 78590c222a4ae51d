"""Checks, round-robin timing and memory measurement for one workload case.

Why round-robin: this kind of machine is noisy (shared cores, frequency changes). Timing
peer A for a minute and then peer B lets a slow minute land on one of them only; taking one
sample of every peer in turn, many times, and quoting medians spreads the noise over all of
them alike. Every sample loops a peer enough times to last ``min_time`` seconds so that the
timer's resolution does not matter.

Each case first runs every peer once and compares its result with the hand-written NumPy
reference (``numpy`` column, same ``role``). A peer that raises is ``ERROR``, one that
disagrees is ``WRONG``; neither is timed.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .libs import block, to_numpy

COLUMNS = ("numpy", "chainrule", "chainrule.jit", "torch", "torch.func", "jax", "jax.jit",
           "autograd")


@dataclass
class Peer:
    column: str                     # one of COLUMNS
    fn: Callable[[], Any]           # the zero-argument call that is timed
    role: str = "main"              # cheap_gradient has "fwd" and "vg"
    what: str = ""                  # the API it uses, for the legend


@dataclass
class Case:
    workload: str
    label: str
    peers: list
    kind: str = "ratio"             # "ratio": time / numpy's; "cheap": each column's vg / fwd
    rtol: float = 1e-7
    atol: float = 1e-9              # relative to the largest |entry| of the reference leaf
    per: int | None = None          # ops per call, to report µs per op
    note: str = ""
    memory: Callable | None = None  # () -> {column: (peak_bytes, result_bytes)}
    repeat: int | None = None       # overrides of the run's settings (slow cases)
    min_time: float | None = None


@dataclass
class Result:
    case: Case
    # (column, role) -> "ok" | "WRONG ..." | "ERROR ..."
    status: dict = field(default_factory=dict)
    times: dict = field(default_factory=dict)    # (column, role) -> median seconds
    spread: dict = field(default_factory=dict)   # (column, role) -> (min, max) of the samples
    memory: dict = field(default_factory=dict)   # column -> (peak_bytes, result_bytes)

    def ratio(self, column: str, role: str = "main"):
        t = self.times.get((column, role))
        ref = self.times.get(("numpy", role))
        return None if t is None or not ref else t / ref

    def own_ratio(self, column: str):
        """cheap_gradient: this column's value_and_grad time over its own forward time."""
        vg, fwd = self.times.get((column, "vg")), self.times.get((column, "fwd"))
        return None if vg is None or not fwd else vg / fwd


# --- correctness ---------------------------------------------------------------------------

def _leaves(tree, path=""):
    if isinstance(tree, dict):
        for k in sorted(tree):
            yield from _leaves(tree[k], f"{path}[{k!r}]")
    elif isinstance(tree, (tuple, list)):
        for i, v in enumerate(tree):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, np.asarray(tree)


def compare(ref, out, rtol: float, atol: float):
    """None when ``out`` matches ``ref`` leaf by leaf, else a message naming the leaf."""
    a, b = list(_leaves(ref)), list(_leaves(out))
    if [p for p, _ in a] != [p for p, _ in b]:
        return f"structure {[p for p, _ in b]} != {[p for p, _ in a]}"
    for (path, r), (_, o) in zip(a, b, strict=True):
        if r.shape != o.shape:
            return f"leaf{path}: shape {o.shape} != {r.shape}"
        if o.dtype != r.dtype and np.issubdtype(r.dtype, np.floating):
            return f"leaf{path}: dtype {o.dtype} != {r.dtype}"
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        if not np.allclose(o, r, rtol=rtol, atol=atol * scale + 1e-300, equal_nan=False):
            err = np.max(np.abs(o - r)) / (scale or 1.0)
            return f"leaf{path}: max error {err:.2e} (relative to max |ref|)"
    return None


def check(case: Case) -> tuple[dict, dict]:
    """Run every peer once; return (status, outputs) keyed by (column, role)."""
    status, outputs = {}, {}
    for p in case.peers:
        key = (p.column, p.role)
        try:
            outputs[key] = to_numpy(block(p.fn()))
            status[key] = "ok"
        except Exception as e:  # a peer that cannot run is reported, not fatal
            first = str(e).splitlines()[0][:120] if str(e) else ""
            status[key] = f"ERROR {type(e).__name__}: {first}"
    for key, out in outputs.items():
        if key[0] == "numpy":
            continue
        ref = outputs.get(("numpy", key[1]))
        if ref is None:
            status[key] = "ERROR no numpy reference"
            continue
        msg = compare(ref, out, case.rtol, case.atol)
        if msg:
            status[key] = f"WRONG {msg}"
    return status, outputs


# --- timing ------------------------------------------------------------------------------

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _run(fn, number, clock=time.perf_counter):
    t0 = clock()
    for _ in range(number):
        block(fn())
    return (clock() - t0) / number


def time_peers(peers: dict, repeat: int, min_time: float, clock: str = "wall"):
    """Median seconds per call of each peer, sampled round-robin. ``peers``: key -> fn.

    ``clock="cpu"`` measures this process's CPU time (all its threads) instead of wall time:
    on a machine shared with other work it does not count the time spent waiting for a core.
    """
    tick = CLOCKS[clock]
    keys = list(peers)
    number = {}
    for k in keys:  # calibrate (the check was the warm-up call); min_time 0: one call
        t = _run(peers[k], 1) if min_time > 0 else 1.0
        number[k] = max(1, int(min_time / max(t, 1e-9)))
    samples = {k: [] for k in keys}
    for r in range(repeat):
        shift = r % len(keys)  # rotate the order so that no peer always runs first
        for k in keys[shift:] + keys[:shift]:
            samples[k].append(_run(peers[k], number[k], tick))
    med = {k: statistics.median(v) for k, v in samples.items()}
    spread = {k: (min(v), max(v)) for k, v in samples.items()}
    return med, spread


def run_case(case: Case, repeat: int, min_time: float, clock: str = "wall") -> Result:
    gc.collect()
    res = Result(case)
    res.status, _ = check(case)
    ok = {(p.column, p.role): p.fn for p in case.peers
          if res.status.get((p.column, p.role)) == "ok"}
    if ok:
        res.times, res.spread = time_peers(
            ok, case.repeat or repeat, case.min_time if case.min_time is not None else min_time,
            clock)
    if case.memory is not None:
        try:
            res.memory = case.memory()
        except Exception as e:
            res.memory = {"error": f"{type(e).__name__}: {e}"}
    return res


def traced_peak(fn) -> tuple[int, int]:
    """(peak bytes allocated during ``fn()`` beyond what was live before, bytes of its result),
    by tracemalloc: NumPy reports its array buffers to it, so this sees every array a
    NumPy-based engine makes (not torch's or XLA's own allocators)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    nbytes = sum(v.nbytes for _, v in _leaves(to_numpy(out)))
    del out
    return peak, nbytes
