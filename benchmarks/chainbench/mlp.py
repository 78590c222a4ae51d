"""Workloads ``mlp_step`` and ``cheap_gradient``: a 64-256-256-10 MLP with softmax
cross-entropy.

``mlp_step`` times one SGD step (loss, gradient of every parameter, updated parameters),
computed functionally so that every call does the same work. ``cheap_gradient`` times each
library's value_and_grad against the same library's forward on plain (untraced) arrays: the
"cheap gradient principle" says the ratio is a small constant, and the hand-written NumPy
fwd+bwd over NumPy fwd is the ratio a NumPy-based engine can hope for.

Every peer computes the same math with its own primitives: log-softmax as
``logits - log(sum(exp(logits)))`` without the max shift (the logits stay small at this
initialization, and not every engine had ``max`` when this was written), one-hot labels,
mean over the batch. relu is ``maximum(z, 0)`` with the mask ``z > 0`` in its derivative:
``torch.relu`` in PyTorch and ``chainrule.nn.relu`` in chainrule (derivative 0 at 0, like the
hand-written mask; JAX's and autograd's ``maximum`` give 1/2 at an exact 0, which these
random inputs never hit).
"""

from __future__ import annotations

import numpy as np

from . import libs
from .harness import Case, Peer

LR = 0.1


def sizes(size: str):
    if size == "tiny":
        return (5, 7, 6, 3), 4, 6
    return (64, 256, 256, 10), 128, 1024


def make_data(dims, batch, dtype, seed=0):
    rng = np.random.RandomState(seed)
    p = {}
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True), 1):
        p[f"W{i}"] = (rng.standard_normal((a, b)) / np.sqrt(a)).astype(dtype)
        p[f"b{i}"] = (0.1 * rng.standard_normal(b)).astype(dtype)
    x = rng.standard_normal((batch, dims[0])).astype(dtype)
    Y = np.eye(dims[-1], dtype=dtype)[rng.randint(0, dims[-1], batch)]
    return p, x, Y


# --- hand-written NumPy: the floor ------------------------------------------------------------

def numpy_forward(p, x, Y, act):
    f = np.tanh if act == "tanh" else (lambda z: np.maximum(z, 0))
    h1 = f(x @ p["W1"] + p["b1"])
    h2 = f(h1 @ p["W2"] + p["b2"])
    logits = h2 @ p["W3"] + p["b3"]
    lse = np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.sum(Y * (logits - lse)) / x.shape[0]


def numpy_value_and_grad(p, x, Y, act):
    B = x.shape[0]
    z1 = x @ p["W1"] + p["b1"]
    h1 = np.tanh(z1) if act == "tanh" else np.maximum(z1, 0)
    z2 = h1 @ p["W2"] + p["b2"]
    h2 = np.tanh(z2) if act == "tanh" else np.maximum(z2, 0)
    logits = h2 @ p["W3"] + p["b3"]
    e = np.exp(logits)
    s = np.sum(e, axis=1, keepdims=True)
    loss = -np.sum(Y * (logits - np.log(s))) / B
    # backward: d loss / d logits = (softmax - Y) / B (softmax rows sum to 1; Y one-hot)
    dl = (e / s - Y) / B
    g = {"W3": h2.T @ dl, "b3": np.sum(dl, axis=0)}
    dh2 = dl @ p["W3"].T
    dz2 = dh2 * (1 - h2 * h2) if act == "tanh" else dh2 * (z2 > 0)
    g["W2"] = h1.T @ dz2
    g["b2"] = np.sum(dz2, axis=0)
    dh1 = dz2 @ p["W2"].T
    dz1 = dh1 * (1 - h1 * h1) if act == "tanh" else dh1 * (z1 > 0)
    g["W1"] = x.T @ dz1
    g["b1"] = np.sum(dz1, axis=0)
    return loss, g


def numpy_step(p, x, Y, act):
    loss, g = numpy_value_and_grad(p, x, Y, act)
    return loss, g, {k: p[k] - LR * g[k] for k in p}


# --- the same loss in each library --------------------------------------------------------

def xp_loss(xp, act_fn):
    """The loss for a NumPy-like namespace (chainrule.numpy, jax.numpy, autograd.numpy)."""

    def loss(p, x, Y):
        h1 = act_fn(x @ p["W1"] + p["b1"])
        h2 = act_fn(h1 @ p["W2"] + p["b2"])
        logits = h2 @ p["W3"] + p["b3"]
        lse = xp.log(xp.sum(xp.exp(logits), axis=1, keepdims=True))
        return -xp.sum(Y * (logits - lse)) / x.shape[0]

    return loss


def torch_loss(torch, act):
    f = torch.tanh if act == "tanh" else torch.relu

    def loss(p, x, Y):
        h1 = f(x @ p["W1"] + p["b1"])
        h2 = f(h1 @ p["W2"] + p["b2"])
        logits = h2 @ p["W3"] + p["b3"]
        lse = torch.log(torch.sum(torch.exp(logits), dim=1, keepdim=True))
        return -torch.sum(Y * (logits - lse)) / x.shape[0]

    return loss


def chainrule_relu():
    """chainrule's relu: derivative 0 at 0, as the hand-written mask ``z > 0`` and torch.relu
    (``maximum(z, 0)`` shares ties 1/2 each, which costs a tie check per layer)."""
    from chainrule import nn

    return nn.relu, "chainrule.nn.relu"


def _update(p, g):
    return {k: p[k] - LR * g[k] for k in p}


def _chainrule_fns(act, p, x, Y, want):
    import chainrule
    import chainrule.numpy as cnp

    if act == "tanh":
        a, desc = cnp.tanh, "tanh"
    else:
        a, desc = chainrule_relu()
    loss = xp_loss(cnp, a)
    vg = chainrule.value_and_grad(loss)

    def step():
        v, g = vg(p, x, Y)
        return v, g, _update(p, g)

    what = "value_and_grad" + (f" (relu as {desc})" if act == "relu" else "")
    out = {"chainrule": (lambda: loss(p, x, Y), lambda: vg(p, x, Y), step, f"chainrule.{what}")}
    if want("chainrule.jit"):
        jloss, jvg = chainrule.jit(loss), chainrule.jit(vg)

        def jstep():
            v, g = jvg(p, x, Y)
            return v, g, _update(p, g)

        out["chainrule.jit"] = (lambda: jloss(p, x, Y), lambda: jvg(p, x, Y), jstep,
                                f"chainrule.jit({what})")
    return out


def _torch_fns(torch, act, p, x, Y, want):
    loss = torch_loss(torch, act)
    tp = {k: torch.tensor(v) for k, v in p.items()}                      # plain tensors
    tpg = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}  # leaves
    tx, tY = torch.tensor(x), torch.tensor(Y)
    keys = list(tpg)
    out = {}

    def fwd():
        with torch.no_grad():
            return loss(tp, tx, tY)

    def vg():
        v = loss(tpg, tx, tY)
        gs = torch.autograd.grad(v, [tpg[k] for k in keys])
        return v.detach(), dict(zip(keys, gs, strict=True))

    def step():
        v, g = vg()
        with torch.no_grad():
            return v, g, {k: tpg[k] - LR * g[k] for k in keys}

    if want("torch"):
        out["torch"] = (fwd, vg, step, "torch.autograd.grad")
    if want("torch.func"):
        gv = torch.func.grad_and_value(loss)

        def f_vg():
            g, v = gv(tp, tx, tY)
            return v, g

        def f_step():
            v, g = f_vg()
            return v, g, {k: tp[k] - LR * g[k] for k in keys}

        out["torch.func"] = (fwd, f_vg, f_step, "torch.func.grad_and_value")
    return out


def _jax_fns(jax, act, p, x, Y, want):
    jnp = jax.numpy
    loss = xp_loss(jnp, jnp.tanh if act == "tanh" else (lambda z: jnp.maximum(z, 0)))
    jp = {k: jnp.asarray(v) for k, v in p.items()}
    jx, jY = jnp.asarray(x), jnp.asarray(Y)
    vg = jax.value_and_grad(loss)

    def step(p_, x_, Y_):
        v, g = vg(p_, x_, Y_)
        return v, g, jax.tree.map(lambda a, b: a - LR * b, p_, g)

    out = {}
    if want("jax"):
        out["jax"] = (lambda: loss(jp, jx, jY), lambda: vg(jp, jx, jY),
                      lambda: step(jp, jx, jY), "jax.value_and_grad (eager)")
    if want("jax.jit"):
        lj, vgj, sj = jax.jit(loss), jax.jit(vg), jax.jit(step)
        out["jax.jit"] = (lambda: lj(jp, jx, jY), lambda: vgj(jp, jx, jY),
                          lambda: sj(jp, jx, jY), "jax.jit(value_and_grad)")
    return out


def _autograd_fns(ag, act, p, x, Y, want):
    anp = ag.numpy
    loss = xp_loss(anp, anp.tanh if act == "tanh" else (lambda z: anp.maximum(z, 0.0)))
    vg = ag.value_and_grad(loss)

    def step():
        v, g = vg(p, x, Y)
        return v, g, _update(p, g)

    return {"autograd": (lambda: loss(p, x, Y), lambda: vg(p, x, Y), step,
                         "autograd.value_and_grad")}


def library_fns(act, p, x, Y, want):
    """{column: (forward_fn, value_and_grad_fn, step_fn, what)}: zero-argument calls."""
    out = {}
    if want("chainrule"):
        out.update(_chainrule_fns(act, p, x, Y, want))
    torch = libs.torch() if want("torch") or want("torch.func") else None
    if torch is not None:
        out.update(_torch_fns(torch, act, p, x, Y, want))
    jax = libs.jax() if want("jax") or want("jax.jit") else None
    if jax is not None:
        out.update(_jax_fns(jax, act, p, x, Y, want))
    ag = libs.autograd() if want("autograd") else None
    if ag is not None:
        out.update(_autograd_fns(ag, act, p, x, Y, want))
    return out


def _tol(dtype):
    return (1e-7, 1e-9) if dtype == np.float64 else (2e-3, 2e-4)


def build_step(size: str, want) -> list[Case]:
    dims, batch, _ = sizes(size)
    cases = []
    for act in ("tanh", "relu"):
        for dtype in (np.float64, np.float32):
            p, x, Y = make_data(dims, batch, dtype)
            peers = [Peer("numpy", lambda p=p, x=x, Y=Y, act=act: numpy_step(p, x, Y, act),
                          what="hand-written fwd+bwd+update")]
            for col, (_, _, step, what) in library_fns(act, p, x, Y, want).items():
                peers.append(Peer(col, step, what=what))
            rtol, atol = _tol(dtype)
            name = np.dtype(dtype).name
            cases.append(Case("mlp_step", f"mlp_step {name} {act} (B={batch})", peers,
                              rtol=rtol, atol=atol,
                              note=f"one SGD step, {'-'.join(map(str, dims))} MLP"))
    return cases


def build_cheap(size: str, want) -> list[Case]:
    dims, _, batch = sizes(size)
    p, x, Y = make_data(dims, batch, np.float64, seed=1)
    peers = [Peer("numpy", lambda: numpy_forward(p, x, Y, "tanh"), role="fwd",
                  what="hand-written forward"),
             Peer("numpy", lambda: numpy_value_and_grad(p, x, Y, "tanh"), role="vg",
                  what="hand-written fwd+bwd")]
    for col, (fwd, vg, _, what) in library_fns("tanh", p, x, Y, want).items():
        peers.append(Peer(col, fwd, role="fwd", what=f"{col} forward on plain arrays"))
        peers.append(Peer(col, vg, role="vg", what=what))
    return [Case("cheap_gradient", f"cheap_gradient float64 tanh (B={batch})", peers,
                 kind="cheap",
                 note="each column: its value_and_grad time / its own forward time")]
