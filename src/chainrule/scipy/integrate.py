"""``chainrule.scipy.integrate``: ``odeint`` and ``solve_ivp``, differentiable by the adjoint
method in the initial state, the time points and the parameters.

Why the adjoint method: backpropagating through a solver's internal steps stores every step
and differentiates the discretization (step-size control included). Instead, one ODE solve is
one primitive; its reverse-mode rule integrates the augmented system backwards in time
(Pontryagin; Chen et al., "Neural ordinary differential equations", NeurIPS 2018):

    y' = f(y, t, p),   a' = -a^T df/dy,   p_bar' = -a^T df/dp,

from each output time to the previous one, starting at the stored output and adding that
output's cotangent to ``a`` at each stop. Time points get t_bar_i = g_i . f(y_i, t_i) (i >= 1)
and t_bar_0 = -a(t_0+) . f(y_0, t_0). Forward mode integrates the forward sensitivities
s' = df/dy s + df/dp dp alongside y. Both are again ODE solves with SciPy, so:

- the vector-Jacobian and Jacobian-vector products of the right-hand side come from
  chainrule (``vjp``/``jvp`` of your ``func``: write it with chainrule or plain NumPy
  operators; return an array or a list);
- the rules call this same primitive, so ``jacrev``/``jacfwd`` (batched adjoints and
  sensitivities) and second derivatives work too, at the cost of more solves;
- ``vmap`` solves the batch as one stacked system (right-hand side vmapped), so batched
  results agree with a loop to the solver's tolerance, not bit for bit.

Accuracy: derivatives are as accurate as the solver tolerances (``rtol``/``atol``), which the
backward and sensitivity solves share with the forward one. Tighten them for exact-looking
gradients (SciPy's ``solve_ivp`` defaults, rtol=1e-3, are loose).

    >>> import chainrule, numpy
    >>> decay = lambda y, t, k: -k * y
    >>> dy_dk = chainrule.grad(lambda k: odeint(decay, 1.0, [0.0, 2.0], args=(k,),
    ...                                         rtol=1e-10, atol=1e-12)[-1, 0])
    >>> round(float(dy_dk(0.5)), 8)   # d/dk exp(-2k) = -2 exp(-1)
    -0.73575888
"""

from __future__ import annotations

import numpy as _np
import scipy.integrate as _si

from chainrule.core.batching import loop_batch, materialize
from chainrule.core.primitive import PerArgRules, Primitive
from chainrule.core.pytree import tree_flatten, tree_unflatten
from chainrule.core.trace import Tracer, getval

from . import _ops as o

# --- the numerical solver -------------------------------------------------------------------------

# Options that describe the forward problem's Jacobian; they do not apply to the derived
# (adjoint and sensitivity) systems.
_JACOBIAN_OPTIONS = ("Dfun", "col_deriv", "ml", "mu", "jac", "jac_sparsity", "lband", "uband")


class _Solver:
    """Which SciPy integrator, with which options; ``run`` solves on plain arrays."""

    def __init__(self, kind: str, method: str | None, options: dict) -> None:
        self.kind, self.method, self.options = kind, method, options
        self.info: dict = {}

    def derived(self) -> _Solver:
        return _Solver(self.kind, self.method,
                       {k: v for k, v in self.options.items() if k not in _JACOBIAN_OPTIONS})

    def run(self, f, y0, ts):
        y0 = _np.asarray(y0, dtype=float)
        ts = _np.asarray(ts, dtype=float)
        shape = y0.shape
        if ts.shape[0] == 1 or _np.all(ts == ts[0]):
            return _np.broadcast_to(y0, ts.shape + shape).copy()
        if self.kind == "odeint":
            ys, info = _si.odeint(lambda y, t: _np.ravel(f(y.reshape(shape), t)), y0.ravel(), ts,
                                  full_output=True, **self.options)
            if info.get("message") and info["message"] != "Integration successful.":
                raise RuntimeError(f"odeint: {info['message']}")
            self.info = info
        else:
            sol = _si.solve_ivp(lambda t, y: _np.ravel(f(y.reshape(shape), t)),
                                (ts[0], ts[-1]), y0.ravel(), method=self.method, t_eval=ts,
                                **self.options)
            if not sol.success:
                raise RuntimeError(f"solve_ivp ({self.method}): {sol.message}")
            self.info = {"nfev": sol.nfev, "njev": sol.njev, "nlu": sol.nlu,
                         "status": sol.status, "message": sol.message}
            ys = sol.y.T
        return ys.reshape(ts.shape + shape)


# --- packing several arrays into one state vector -------------------------------------------------

def _pack(parts):
    return o.concatenate([o.reshape(p, (-1,)) for p in parts], axis=0)


def _unpack(s, shapes):
    out, start = [], 0
    for shape in shapes:
        n = int(_np.prod(shape, dtype=_np.int64))
        out.append(o.reshape(o.getitem(s, (slice(start, start + n),)), shape))
        start += n
    return out


def _dot(a, b):
    return o.sum(a * b)


# --- the primitive -------------------------------------------------------------------------------

def _ode(rhs, solver, y0, ts, params):
    """ys[i] = y(ts[i]) for y' = rhs(y, t, *params), y(ts[0]) = y0: one primitive call."""
    return _ode_primitive(rhs, solver)(y0, ts, *params)


def _ode_primitive(rhs, solver):
    def impl(y0, ts, *params):
        return solver.run(lambda y, t: rhs(y, t, *params), y0, ts)

    prim = Primitive("scipy.integrate.ode", impl, register=False)
    cache: dict = {}

    def vjp_of(k):
        def rule(g, ans, y0, ts, *params):
            if cache.get("g") is not g or cache.get("ans") is not ans:
                cts = _adjoint(rhs, solver.derived(), g, ans, y0, ts, params)
                cache.update(g=g, ans=ans, cts=cts)
            return cache["cts"][k]

        return rule

    def jvp_of(k):
        def rule(tangent, ans, y0, ts, *params):
            return _sensitivity(rhs, solver.derived(), k, tangent, ans, y0, ts, params)

        return rule

    prim.vjps = PerArgRules(vjp_of)
    prim.jvps = PerArgRules(jvp_of)
    prim.defbatch(lambda vals, dims: _ode_batch(prim, rhs, solver, vals, dims))
    return prim


def _adjoint(rhs, solver, g, ys, y0, ts, params):
    """Cotangents of (y0, ts, *params) from the augmented system solved backwards."""
    from chainrule.transforms import vjp

    shape = _np.shape(y0)
    pshapes = [_np.shape(p) for p in params]
    n_t = _np.shape(ts)[0]

    def augmented(s, t, *ps):
        y, a, *_ = _unpack(s, [shape, shape] + pshapes)
        fy, pull = vjp(lambda yy, *pp: rhs(yy, t, *pp), y, *ps)
        cts = pull(a)
        return _pack([fy] + [-c for c in cts])

    y_bar = o.getitem(g, (n_t - 1,))
    p_bar = [o.zeros_like(p) for p in params]
    t_bar = []
    for i in range(n_t - 1, 0, -1):
        y_i, t_i, g_i = o.getitem(ys, (i,)), o.getitem(ts, (i,)), o.getitem(g, (i,))
        t_bar.append(_dot(rhs(y_i, t_i, *params), g_i))
        s0 = _pack([y_i, y_bar] + p_bar)
        span = o.stack([t_i, o.getitem(ts, (i - 1,))])
        s1 = o.getitem(_ode(augmented, solver, s0, span, params), (1,))
        _, y_bar, *p_bar = _unpack(s1, [shape, shape] + pshapes)
        y_bar = y_bar + o.getitem(g, (i - 1,))
    a0 = y_bar - o.getitem(g, (0,))  # the adjoint just after t0: ys[0] = y0 is not moved by t0
    t_bar.append(-_dot(rhs(y0, o.getitem(ts, (0,)), *params), a0))
    return [y_bar, o.stack(t_bar[::-1])] + p_bar


def _sensitivity(rhs, solver, k, tangent, ys, y0, ts, params):
    """The tangent of ys for a tangent of argument k (0: y0, 1: ts, 2+: params)."""
    from chainrule.transforms import jvp

    shape = _np.shape(y0)
    n_t = _np.shape(ts)[0]

    if k >= 2:
        j = k - 2

        def system(s, t, *ps_and_dp):
            ps, dp = list(ps_and_dp[:-1]), ps_and_dp[-1]
            y, dy = _unpack(s, [shape, shape])

            def f(yy, pj):
                full = list(ps)
                full[j] = pj
                return rhs(yy, t, *full)

            fy, df = jvp(f, (y, ps[j]), (dy, dp))
            return _pack([fy, df])

        out = _ode(system, solver, _pack([y0, o.zeros_like(y0)]), ts, list(params) + [tangent])
    else:
        def system(s, t, *ps):
            y, dy = _unpack(s, [shape, shape])
            fy, df = jvp(lambda yy: rhs(yy, t, *ps), (y,), (dy,))
            return _pack([fy, df])

        if k == 0:
            dy0 = tangent
        else:  # moving t0 starts the same trajectory earlier or later
            dy0 = -rhs(y0, o.getitem(ts, (0,)), *params) * o.getitem(tangent, (0,))
        out = _ode(system, solver, _pack([y0, dy0]), ts, params)
    n = int(_np.prod(shape, dtype=_np.int64))
    d_ys = o.reshape(o.getitem(out, (slice(None), slice(n, 2 * n))), (n_t,) + shape)
    if k == 1:  # each output moves along the trajectory with its own time point
        f_all = o.stack([rhs(o.getitem(ys, (i,)), o.getitem(ts, (i,)), *params)
                         for i in range(n_t)])
        d_ys = d_ys + f_all * o.reshape(tangent, (n_t,) + (1,) * len(shape))
    return d_ys


def _ode_batch(prim, rhs, solver, vals, dims):
    """A batch of solves as one stacked system with a vmapped right-hand side."""
    from chainrule.transforms import vmap

    y0, ts, *params = vals
    d0, dt, *dps = dims
    if dt is not None:  # different time grids: one solve each
        return loop_batch(prim)(vals, dims)
    size = next(_np.shape(v)[0] for v, d in zip(vals, dims, strict=True) if d is not None)
    y0 = materialize(y0, d0, size)
    in_axes = (0,) + tuple(dps)

    def batched_rhs(yb, t, *ps):
        return vmap(lambda y, *p: rhs(y, t, *p), in_axes=in_axes)(yb, *ps)

    return _ode(batched_rhs, solver, y0, ts, params), 1


# --- public functions ----------------------------------------------------------------------------

def _is_dynamic(leaf) -> bool:
    if isinstance(leaf, Tracer):
        return True
    if isinstance(leaf, (bool, int, str)) or leaf is None or callable(leaf):
        return False
    try:
        return _np.issubdtype(_np.asarray(leaf).dtype, _np.inexact)
    except (TypeError, ValueError):
        return False


class _Args:
    """Splits ``args`` into differentiable leaves (float arrays, tracers) and static ones."""

    def __init__(self, args) -> None:
        leaves, self.treedef = tree_flatten(tuple(args))
        self.leaves = leaves
        self.dynamic = [i for i, v in enumerate(leaves) if _is_dynamic(v)]

    def values(self):
        return [o.as_float(self.leaves[i]) for i in self.dynamic]

    def rebuild(self, dyn):
        leaves = list(self.leaves)
        for i, v in zip(self.dynamic, dyn, strict=True):
            leaves[i] = v
        return tree_unflatten(self.treedef, leaves)


def _as_rhs(func, packer, tfirst):
    def rhs(y, t, *dyn):
        args = packer.rebuild(dyn)
        out = func(t, y, *args) if tfirst else func(y, t, *args)
        return o.asarray(out) if isinstance(out, (list, tuple)) else out

    return rhs


def odeint(func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, ml=None, mu=None,
           rtol=None, atol=None, tcrit=None, h0=0.0, hmax=0.0, hmin=0.0, ixpr=0, mxstep=0,
           mxhnil=0, mxordn=12, mxords=5, printmessg=0, tfirst=False):
    """``scipy.integrate.odeint``: y(t) for dy/dt = func(y, t, *args), y(t[0]) = y0.

    Returns an array of shape ``(len(t),) + shape(y0)``, differentiable (adjoint method) in
    ``y0``, in the time points ``t`` and in every float array among ``args``. With
    ``full_output`` also returns SciPy's info dict of the forward solve.
    """
    options = {"rtol": rtol, "atol": atol, "tcrit": tcrit, "h0": h0, "hmax": hmax,
               "hmin": hmin, "ixpr": ixpr, "mxstep": mxstep, "mxhnil": mxhnil,
               "mxordn": mxordn, "mxords": mxords, "printmessg": printmessg}
    if Dfun is not None:
        dfun = (lambda y, tt, *a: Dfun(tt, y, *a)) if tfirst else Dfun
        options.update(Dfun=lambda y, tt: dfun(y, tt, *packer.rebuild(
            [getval(v) for v in packer.values()])), col_deriv=col_deriv)
    if ml is not None or mu is not None:
        options.update(ml=ml, mu=mu)
    packer = _Args(args)
    solver = _Solver("odeint", None, options)
    y0 = o.as_float(y0)
    if _np.ndim(y0) == 0:  # SciPy's odeint treats a scalar as a 1-vector
        y0 = o.reshape(y0, (1,))
    ys = _ode(_as_rhs(func, packer, tfirst), solver, y0, o.as_float(t), packer.values())
    return (ys, solver.info) if full_output else ys


_IVP_METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")


def solve_ivp(fun, t_span, y0, method="RK45", t_eval=None, dense_output=False, events=None,
              vectorized=False, args=None, **options):
    """``scipy.integrate.solve_ivp``, differentiable (adjoint method) in ``y0``, in the time
    points (``t_span[0]`` and ``t_eval``) and in every float array among ``args``.

    Returns SciPy's ``OdeResult``; ``sol.y`` (shape ``(n, len(sol.t))``) carries the
    derivatives. Without ``t_eval``, the solver's own output times are kept as constants
    (the endpoints stay differentiable). ``events`` and ``dense_output`` are not supported.
    """
    from scipy.integrate._ivp.ivp import OdeResult

    if isinstance(method, str) and method not in _IVP_METHODS:
        raise ValueError(f"solve_ivp: method must be one of {_IVP_METHODS}, not {method!r}")
    if not isinstance(method, str):
        raise NotImplementedError("solve_ivp: only the named methods are differentiable, "
                                  f"{_IVP_METHODS}")
    if events is not None:
        raise NotImplementedError("solve_ivp: events are not supported by the differentiable "
                                  "solver (event times are not differentiated)")
    if dense_output:
        raise NotImplementedError("solve_ivp: dense_output is not supported by the "
                                  "differentiable solver; pass t_eval")
    y0 = o.as_float(y0)
    if _np.ndim(y0) != 1:
        raise ValueError(f"solve_ivp: y0 must be 1-dimensional, got shape {_np.shape(y0)}")
    packer = _Args(() if args is None else args)
    t0, t1 = t_span
    t0 = o.as_float(t0)
    solver = _Solver("ivp", method, dict(options))
    rhs = _as_rhs(lambda t, y, *a: fun(t, y, *a), packer, True)
    # rhs(y, t, *dyn) calls fun(t, y, *args)
    drop_first = False
    if t_eval is None:
        plain = _si.solve_ivp(lambda t, y: _np.ravel(rhs(y, t, *[getval(v) for v in
                                                                  packer.values()])),
                              (float(getval(t0)), float(getval(o.as_float(t1)))),
                              _np.asarray(getval(y0)), method=method, **options)
        inner = plain.t[1:-1]
        ts = o.concatenate([o.reshape(t0, (1,)), inner, o.reshape(o.as_float(t1), (1,))])
    else:
        t_eval = o.as_float(t_eval)
        first = getval(t_eval)
        if isinstance(first, Tracer) or _np.shape(first)[0] == 0 or \
                float(_np.asarray(first)[0]) != float(_np.asarray(getval(t0))):
            ts = o.concatenate([o.reshape(t0, (1,)), t_eval])
            drop_first = True
        else:
            ts = t_eval
    ys = _ode(rhs, solver, y0, ts, packer.values())
    if drop_first:
        ys, ts = o.getitem(ys, (slice(1, None),)), o.getitem(ts, (slice(1, None),))
    info = solver.info
    return OdeResult(t=ts, y=o.transpose(ys), sol=None, t_events=None, y_events=None,
                     nfev=info.get("nfev", 0), njev=info.get("njev", 0),
                     nlu=info.get("nlu", 0), status=info.get("status", 0),
                     message=info.get("message", "The solver successfully reached the end "
                                                 "of the integration interval."),
                     success=True)


DIFFERENTIABLE = ["odeint", "solve_ivp"]
NONDIFFERENTIABLE: list = []
