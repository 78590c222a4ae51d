"""chainrule.scipy.integrate: odeint and solve_ivp differentiated by the adjoint method
(reverse) and by forward sensitivities (forward), against closed forms, against an
independent forward-sensitivity solve in plain NumPy/SciPy, and against each other."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.scipy.integrate import odeint, solve_ivp

TIGHT = dict(rtol=1e-11, atol=1e-12)
TS = np.array([0.0, 0.4, 1.1, 2.0])


def decay(y, t, k):
    return -k * y


def exact_decay(y0, ts, k):
    return y0[None, :] * np.exp(-k * (ts - ts[0]))[:, None]


# --- values --------------------------------------------------------------------------------------

def test_odeint_values_match_scipy():
    y0 = np.array([1.0, 2.0])
    np.testing.assert_array_equal(odeint(decay, y0, TS, args=(0.7,)),
                                  si.odeint(decay, y0, TS, args=(0.7,)))
    ys, info = odeint(decay, y0, TS, args=(0.7,), full_output=True)
    assert info["message"] == "Integration successful."
    tf = odeint(lambda t, y, k: -k * y, y0, TS, args=(0.7,), tfirst=True)
    np.testing.assert_array_equal(tf, si.odeint(decay, y0, TS, args=(0.7,)))


@pytest.mark.parametrize("method", ["RK45", "DOP853", "LSODA", "BDF"])
def test_solve_ivp_values_match_scipy(method):
    f = lambda t, y, w: [y[1], -w * w * y[0]]
    te = np.linspace(0.0, 2.0, 5)
    got = solve_ivp(f, (0.0, 2.0), [1.0, 0.0], method=method, t_eval=te, args=(1.3,))
    want = si.solve_ivp(f, (0.0, 2.0), [1.0, 0.0], method=method, t_eval=te, args=(1.3,))
    np.testing.assert_allclose(got.y, want.y, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(got.t, want.t)
    assert got.success and got.y.shape == (2, 5)


# --- closed forms, both modes --------------------------------------------------------------------

def _fd(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    out = []
    for i in range(x.size):
        e = np.zeros_like(x).ravel()
        e[i] = eps
        e = e.reshape(x.shape)
        out.append((f(x + e) - f(x - e)) / (2 * eps))
    return np.moveaxis(np.array(out), 0, -1).reshape(np.shape(f(x)) + x.shape)


def test_decay_jacobians_closed_form():
    y0, k = np.array([1.0, 2.0]), 0.7
    jac_y0 = np.einsum("ti,ij->tij", np.exp(-k * (TS - TS[0]))[:, None] * np.ones((1, 2)),
                       np.eye(2))
    jac_k = -(TS - TS[0])[:, None] * exact_decay(y0, TS, k)
    jac_t = _fd(lambda t: exact_decay(y0, t, k), TS)  # exact function, differenced
    for jac in (cr.jacrev, cr.jacfwd):
        np.testing.assert_allclose(jac(lambda y: odeint(decay, y, TS, args=(k,), **TIGHT))(y0),
                                   jac_y0, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(jac(lambda kk: odeint(decay, y0, TS, args=(kk,), **TIGHT))(k),
                                   jac_k, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(jac(lambda t: odeint(decay, y0, t, args=(k,), **TIGHT))(TS),
                                   jac_t, rtol=1e-6, atol=1e-8)


def test_decay_grad_and_jvp_all_arguments():
    y0, k = np.array([1.0, 2.0]), 0.7

    def loss(y, t, kk):
        return cnp.sum(odeint(decay, y, t, args=(kk,), **TIGHT) ** 2)

    def exact(y, t, kk):
        return np.sum(exact_decay(y, t, kk) ** 2)

    g = cr.grad(loss, argnums=(0, 1, 2))(y0, TS, k)
    want = (_fd(lambda y: exact(y, TS, k), y0), _fd(lambda t: exact(y0, t, k), TS),
            _fd(lambda kk: exact(y0, TS, kk), k))
    for got, w in zip(g, want):
        np.testing.assert_allclose(got, w, rtol=1e-7, atol=1e-9)
    tangents = (np.array([0.3, -0.2]), np.array([0.1, 0.2, -0.1, 0.3]), 0.5)
    _, jv = cr.jvp(loss, (y0, TS, k), tangents)
    np.testing.assert_allclose(jv, sum(np.sum(w * t) for w, t in zip(want, tangents)),
                               rtol=1e-7)


@pytest.mark.parametrize("method", ["RK45", "DOP853", "LSODA", "BDF"])
def test_oscillator_solve_ivp_closed_form(method):
    # y'' = -w^2 y, y(0) = a, y'(0) = b: y(t) = a cos(wt) + b sin(wt) / w
    def osc(t, y, w):
        return cnp.stack([y[1], -w * w * y[0]])

    te = np.linspace(0.5, 3.0, 4)
    w, y0 = 1.3, np.array([1.0, 0.4])

    def final(w_, y0_):
        sol = solve_ivp(osc, (0.0, 3.0), y0_, method=method, t_eval=te, args=(w_,),
                        rtol=1e-10, atol=1e-12)
        return sol.y[0]

    T = te
    d_dw = -y0[0] * T * np.sin(w * T) + y0[1] * (T * np.cos(w * T) / w - np.sin(w * T) / w ** 2)
    d_dy0 = np.stack([np.cos(w * T), np.sin(w * T) / w], axis=1)
    tol = dict(rtol=2e-6, atol=2e-7) if method == "BDF" else dict(rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(cr.jacrev(final)(w, y0), d_dw, **tol)
    np.testing.assert_allclose(cr.jacfwd(final)(w, y0), d_dw, **tol)
    np.testing.assert_allclose(cr.jacrev(final, argnums=1)(w, y0), d_dy0, **tol)
    np.testing.assert_allclose(cr.jacfwd(final, argnums=1)(w, y0), d_dy0, **tol)


def test_solve_ivp_time_derivatives():
    # t_eval not starting at t_span[0]: t0 and every t_eval point are differentiable
    f = lambda t, y: -0.5 * y
    g = cr.grad(lambda t0, te: cnp.sum(solve_ivp(f, (t0, 3.0), [2.0], t_eval=te,
                                                 **TIGHT).y), argnums=(0, 1))
    te = np.array([1.0, 2.0, 3.0])
    g0, gte = g(0.2, te)
    np.testing.assert_allclose(g0, np.sum(0.5 * 2.0 * np.exp(-0.5 * (te - 0.2))), rtol=1e-8)
    np.testing.assert_allclose(gte, -0.5 * 2.0 * np.exp(-0.5 * (te - 0.2)), rtol=1e-8)
    # no t_eval: the solver's grid is constant, the end point moves
    gt1 = cr.grad(lambda t1: solve_ivp(f, (0.0, t1), [2.0], **TIGHT).y[0, -1])(2.5)
    np.testing.assert_allclose(gt1, -0.5 * 2.0 * np.exp(-1.25), rtol=1e-8)


# --- against an independent forward-sensitivity solve --------------------------------------------

P_LV = np.array([1.1, 0.4, 0.4, 0.1])


def lotka_volterra(y, t, p):
    prey, pred = y[0], y[1]
    return cnp.stack([p[0] * prey - p[1] * prey * pred, p[3] * prey * pred - p[2] * pred])


def _numpy_sensitivities(y0, ts, p):
    """dy/dp by integrating y' = f, S' = J S + df/dp in plain NumPy with SciPy's odeint."""

    def rhs(z, t):
        y, s = z[:2], z[2:].reshape(2, 4)
        x, w = y
        f = [p[0] * x - p[1] * x * w, p[3] * x * w - p[2] * w]
        jy = np.array([[p[0] - p[1] * w, -p[1] * x], [p[3] * w, p[3] * x - p[2]]])
        jp = np.array([[x, -x * w, 0.0, 0.0], [0.0, 0.0, -w, x * w]])
        return np.concatenate([f, (jy @ s + jp).ravel()])

    z = si.odeint(rhs, np.concatenate([y0, np.zeros(8)]), ts, rtol=1e-12, atol=1e-12)
    return z[:, 2:].reshape(len(ts), 2, 4)


def test_lotka_volterra_adjoint_vs_forward_sensitivities():
    y0, ts = np.array([10.0, 5.0]), np.linspace(0.0, 3.0, 6)
    f = lambda p: odeint(lotka_volterra, y0, ts, args=(p,), **TIGHT)
    want = _numpy_sensitivities(y0, ts, P_LV)
    np.testing.assert_allclose(cr.jacrev(f)(P_LV), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(cr.jacfwd(f)(P_LV), want, rtol=1e-6, atol=1e-7)
    # a scalar loss: reverse = forward
    loss = lambda p, y: cnp.sum(odeint(lotka_volterra, y, ts, args=(p,), **TIGHT) ** 2)
    g_rev = cr.grad(loss, argnums=(0, 1))(P_LV, y0)
    _, jv = cr.jvp(loss, (P_LV, y0), (np.ones(4), np.zeros(2)))
    np.testing.assert_allclose(np.sum(g_rev[0]), jv, rtol=1e-7)


# --- higher order, vmap, pytrees -----------------------------------------------------------------

def test_second_order():
    y0 = np.array([1.0])
    f = lambda k: odeint(decay, y0, TS, args=(k,), **TIGHT)[-1, 0]
    want = TS[-1] ** 2 * np.exp(-0.7 * TS[-1])
    np.testing.assert_allclose(cr.grad(cr.grad(f))(0.7), want, rtol=1e-6)
    np.testing.assert_allclose(cr.hessian(f)(0.7), want, rtol=1e-6)


def test_vmap_matches_loop_to_tolerance():
    ks = np.array([0.3, 0.7, 1.2])
    y0 = np.array([1.0, 2.0])
    got = cr.vmap(lambda k: odeint(decay, y0, TS, args=(k,), **TIGHT))(ks)
    want = np.stack([exact_decay(y0, TS, k) for k in ks])
    np.testing.assert_allclose(got, want, rtol=1e-9)
    g = cr.vmap(cr.grad(lambda k: odeint(decay, y0, TS, args=(k,), **TIGHT)[-1, 1]))(ks)
    np.testing.assert_allclose(g, -TS[-1] * 2.0 * np.exp(-ks * TS[-1]), rtol=1e-8)
    # batched time grids fall back to one solve each
    tss = np.stack([TS, 2 * TS])
    got = cr.vmap(lambda t: odeint(decay, y0, t, args=(0.7,), **TIGHT))(tss)
    np.testing.assert_allclose(got, np.stack([exact_decay(y0, t, 0.7) for t in tss]),
                               rtol=1e-9)


def test_pytree_and_static_args():
    def f(y, t, params, power, label):
        assert label == "static" and power == 2
        return -params["k"] * y ** power + params["c"]

    args = ({"k": 0.5, "c": 0.1}, 2, "static")
    y0 = np.array([1.0])
    ys = odeint(f, y0, TS, args=args, **TIGHT)
    np.testing.assert_allclose(ys, si.odeint(lambda y, t: -0.5 * y ** 2 + 0.1, y0, TS, **TIGHT),
                               rtol=1e-9)
    g = cr.grad(lambda p: odeint(f, y0, TS, args=(p, 2, "static"), **TIGHT)[-1, 0])(args[0])
    fd_k = (si.odeint(lambda y, t: -(0.5 + 1e-6) * y ** 2 + 0.1, y0, TS, **TIGHT)[-1, 0]
            - si.odeint(lambda y, t: -(0.5 - 1e-6) * y ** 2 + 0.1, y0, TS, **TIGHT)[-1, 0]) / 2e-6
    np.testing.assert_allclose(g["k"], fd_k, rtol=1e-6)


def test_errors():
    with pytest.raises(NotImplementedError, match="events"):
        solve_ivp(lambda t, y: -y, (0.0, 1.0), [1.0], events=lambda t, y: y[0])
    with pytest.raises(NotImplementedError, match="dense_output"):
        solve_ivp(lambda t, y: -y, (0.0, 1.0), [1.0], dense_output=True)
    with pytest.raises(ValueError, match="method"):
        solve_ivp(lambda t, y: -y, (0.0, 1.0), [1.0], method="Euler")


def test_lotka_volterra_example_gradient():
    # the example's loss and gradient (one adjoint solve) agree with finite differences
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parent.parent / "examples" / "lotka_volterra.py"
    spec = importlib.util.spec_from_file_location("lv_example", path)
    lv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lv)
    data = lv.make_data()
    x = np.log(np.array([1.0, 0.35, 0.45, 0.12]))
    v, g = cr.value_and_grad(lv.loss)(x, data)
    assert np.all(np.isfinite(g)) and v > 0
    e = np.array([0.3, -0.2, 0.5, 0.1])
    fd = (lv.loss(x + 1e-5 * e, data) - lv.loss(x - 1e-5 * e, data)) / 2e-5
    np.testing.assert_allclose(np.dot(g, e), fd, rtol=1e-4)
