"""Running the selected workloads and printing the table, the notes and the targets."""

from __future__ import annotations

import json
import os
import platform
import sys
import time

from . import WORKLOADS, builder, libs, threads
from .harness import COLUMNS, Result, run_case

# Targets of issue 5 (ratios to hand-written NumPy in the same run).
OVERHEAD_MAX = 3.0
MLP_MAX = 1.15
JACOBIAN_MAX = 1.3
CHEAP_MAX = 1.1
MEMORY_MAX = 1.5
EAGER = ("torch", "torch.func", "jax", "autograd")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    return {"cpu": cpu_model(), "nproc": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "threads": threads.THREADS,
            "blas": threads.blas_threads(), "versions": libs.versions()}


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def _status_cell(res: Result, col: str, roles) -> str | None:
    for role in roles:
        st = res.status.get((col, role))
        if st and st != "ok":
            return "WRONG" if st.startswith("WRONG") else "ERROR"
    return None


def cells(res: Result) -> list[str]:
    case = res.case
    present = {p.column for p in case.peers}
    roles = ("fwd", "vg") if case.kind == "cheap" else ("main",)
    row = []
    for col in COLUMNS:
        if col not in present:
            row.append("—")
            continue
        bad = _status_cell(res, col, roles)
        if bad:
            row.append(bad)
        elif case.kind == "cheap":
            r = res.own_ratio(col)
            row.append("—" if r is None else f"{r:.2f}")
        elif col == "numpy":
            t = res.times.get(("numpy", "main"))
            row.append("—" if t is None else fmt_time(t))
        else:
            r = res.ratio(col)
            row.append("—" if r is None else f"{r:.2f}x")
    return row


def table(results: list[Result], markdown: bool = False) -> str:
    head = ["workload"] + list(COLUMNS)
    rows = [[r.case.label] + cells(r) for r in results]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(x[i]) for x in [head] + rows) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                              for i, (c, w) in enumerate(zip(r, widths, strict=True)))
    return "\n".join([fmt(head), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows])


def notes(results: list[Result]) -> list[str]:
    out = []
    for r in results:
        c = r.case
        if c.per:
            per = [f"{col} {r.times[(col, 'main')] / c.per * 1e6:.2f}"
                   for col in COLUMNS if (col, "main") in r.times]
            out.append(f"{c.label}: µs per op fwd+bwd: " + ", ".join(per))
        if c.kind == "cheap":
            fw = [f"{col} {fmt_time(r.times[(col, 'fwd')])}"
                  for col in COLUMNS if (col, "fwd") in r.times]
            out.append(f"{c.label}: forward times: " + ", ".join(fw))
        if r.memory:
            if "error" in r.memory:
                out.append(f"{c.label}: memory: ERROR {r.memory['error']}")
            else:
                mem = [f"{col} peak {pk / 2**20:.0f} MiB = {pk / nb:.2f}x result "
                       f"({nb / 2**20:.0f} MiB)" for col, (pk, nb) in r.memory.items()]
                out.append(f"{c.label}: " + "; ".join(mem))
        lo_hi = r.spread.get(("numpy", "vg" if c.kind == "cheap" else "main"))
        if lo_hi and lo_hi[0] > 0 and lo_hi[1] / lo_hi[0] > 1.5:
            out.append(f"{c.label}: noisy: the NumPy samples range over "
                       f"{lo_hi[1] / lo_hi[0]:.1f}x (min {fmt_time(lo_hi[0])}, "
                       f"max {fmt_time(lo_hi[1])})")
        for (col, role), st in sorted(r.status.items()):
            if st != "ok":
                out.append(f"{c.label}: {col}" + (f" [{role}]" if role != "main" else "")
                           + f": {st}")
    return out


def legend(results: list[Result]) -> list[str]:
    seen = {}
    for r in results:
        for p in r.case.peers:
            if p.what:
                seen.setdefault((r.case.workload, p.column), set()).add(p.what)
    out = []
    for (w, col), whats in seen.items():
        out.append(f"{w} / {col}: " + "; ".join(sorted(whats)))
    return out


def targets(results: list[Result]) -> list[tuple[str, object, str]]:
    """[(target, True/False/None for not measured, detail)] for issue 5's targets, for
    chainrule's eager column and, where it was run, for ``chainrule.jit``."""
    by = {}
    for r in results:
        by.setdefault(r.case.workload, []).append(r)
    cols = [c for c in ("chainrule", "chainrule.jit")
            if any((c, role) in r.times for r in results for role in ("main", "vg"))]
    out = []
    for col in cols or ["chainrule"]:
        out += _targets_of(col, by)
    return out


def _targets_of(col: str, by: dict) -> list[tuple[str, object, str]]:
    out = []
    tag = "" if col == "chainrule" else f" ({col})"

    def ok(v, limit):
        return None if v is None else v <= limit

    for r in by.get("overhead", []):
        v = r.ratio(col)
        out.append((f"overhead <= {OVERHEAD_MAX}x{tag}", ok(v, OVERHEAD_MAX),
                    "not measured" if v is None else f"{v:.2f}x"))
    if "mlp_step" in by:
        vals = [(r.case.label, r.ratio(col)) for r in by["mlp_step"]]
        measured = [v for _, v in vals if v is not None]
        holds = None if len(measured) < len(vals) else all(v <= MLP_MAX for v in measured)
        out.append((f"mlp_step <= {MLP_MAX}x every config{tag}", holds,
                    ", ".join(f"{lab.split(' (')[0].replace('mlp_step ', '')} "
                              + ("n/a" if v is None else f"{v:.2f}x") for lab, v in vals)))
    for r in by.get("jacobian", []):
        if "chainrule.jacobian" in r.case.label:
            v = r.ratio(col)
            jit = r.ratio("jax.jit")
            out.append((f"jacobian <= {JACOBIAN_MAX}x via jacobian{tag}", ok(v, JACOBIAN_MAX),
                        ("not measured" if v is None else f"{v:.2f}x")
                        + ("" if jit is None else f" (jax.jit {jit:.2f}x)")))
    for r in by.get("hessian", []):
        v = r.times.get((col, "main"))
        eager = {c: r.times[(c, "main")] for c in EAGER if (c, "main") in r.times}
        holds = None if v is None or not eager else all(v < t for t in eager.values())
        detail = "not measured" if v is None else (
            f"{col} {fmt_time(v)} vs " + ", ".join(f"{c} {fmt_time(t)}"
                                                  for c, t in eager.items()))
        out.append((f"hessian faster than every eager peer{tag}", holds, detail))
    for r in by.get("cheap_gradient", []):
        v, ref = r.own_ratio(col), r.own_ratio("numpy")
        holds = None if v is None or ref is None else v <= CHEAP_MAX * ref
        out.append((f"cheap_gradient <= {CHEAP_MAX} x NumPy's ratio{tag}", holds,
                    "not measured" if holds is None
                    else f"{col} {v:.2f} vs numpy {ref:.2f} ({v / ref:.2f}x)"))
    for r in by.get("big_jacobian", []):
        m = r.memory.get(col) if r.memory and "error" not in r.memory else None
        v = None if m is None else m[0] / m[1]
        t = r.ratio(col)
        out.append((f"big_jacobian peak memory <= {MEMORY_MAX}x result{tag}", ok(v, MEMORY_MAX),
                    ("not measured" if v is None else f"{v:.2f}x ({r.case.label})")
                    + ("" if t is None else f"; time {t:.1f}x the closed form")))
    return out


def run(names, size: str, columns, repeat: int, min_time: float, clock: str = "wall",
        log=sys.stderr):
    want = lambda col: col in columns  # noqa: E731
    results = []
    for name in names:
        t0 = time.perf_counter()
        print(f"[{name}] building...", file=log, flush=True)
        for case in builder(name)(size, want):
            print(f"[{name}] {case.label}: checking and timing "
                  f"{', '.join(sorted({p.column for p in case.peers}))}", file=log, flush=True)
            results.append(run_case(case, repeat, min_time, clock))
        print(f"[{name}] done in {time.perf_counter() - t0:.1f} s", file=log, flush=True)
    return results


def print_report(results, info, size, repeat, elapsed, clock="wall", out=sys.stdout):
    print(f"chainrule benchmarks ({size}; {repeat} round-robin rounds, medians of {clock} time; "
          f"{info['threads']} thread(s); BLAS {info['blas']}; "
          f"malloc {info.get('malloc', 'default')})", file=out)
    print(f"machine: {info['cpu']}, nproc {info['nproc']}, Python {info['python']}", file=out)
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()), file=out)
    print("numpy column: time of the hand-written NumPy version; others: time / numpy's "
          "(lower is better). cheap_gradient: each column's value_and_grad / its own forward.",
          file=out)
    print("", file=out)
    print(table(results), file=out)
    extra = notes(results)
    if extra:
        print("\nnotes:", file=out)
        for line in extra:
            print("  " + line, file=out)
    print("\npeers:", file=out)
    for line in legend(results):
        print("  " + line, file=out)
    tg = targets(results)
    if tg:
        print("\ntargets (issue 5):", file=out)
        for name, holds, detail in tg:
            mark = {True: "HOLDS", False: "MISSED", None: "n/a"}[holds]
            print(f"  [{mark:6}] {name}: {detail}", file=out)
    print(f"\ntotal {elapsed:.0f} s", file=out)


def to_json(results, info, size, repeat) -> dict:
    rows = []
    for r in results:
        rows.append({
            "workload": r.case.workload, "label": r.case.label, "kind": r.case.kind,
            "status": {f"{c}/{ro}": s for (c, ro), s in r.status.items()},
            "times": {f"{c}/{ro}": t for (c, ro), t in r.times.items()},
            "spread": {f"{c}/{ro}": s for (c, ro), s in r.spread.items()},
            "memory": {k: list(v) if isinstance(v, tuple) else v for k, v in r.memory.items()},
            "cells": dict(zip(COLUMNS, cells(r), strict=True)),
        })
    return {"machine": info, "size": size, "repeat": repeat, "results": rows,
            "targets": [list(t) for t in targets(results)],
            "table_markdown": table(results, markdown=True)}


def main(args) -> int:
    names = WORKLOADS if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        print(f"unknown workload(s) {unknown}; choose from {', '.join(WORKLOADS)}", file=sys.stderr)
        return 2
    columns = set(COLUMNS) if not args.peers else {"numpy"} | set(args.peers.split(","))
    size = "quick" if args.quick else "full"
    repeat = args.repeat or (5 if args.quick else 9)
    min_time = 0.02 if args.quick else 0.1
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    results = run(names, size, columns, repeat, min_time, args.clock)
    info = machine()
    info["malloc"] = getattr(args, "malloc", "default")
    if load0 is not None:
        info["loadavg_1min"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    print_report(results, info, size, repeat, time.perf_counter() - t0, args.clock)
    if "loadavg_1min" in info:
        a, b = info["loadavg_1min"]
        print(f"load average (1 min) at start {a}, at end {b} on {info['nproc']} cores"
              # this run itself adds about --threads to the load
            + ("; the machine was busy: numbers are noisy"
               if max(a, b) > info["threads"] + 0.5 else ""))
    if args.json:
        out = to_json(results, info, size, repeat)
        out["clock"] = args.clock
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
    return 0
