"""The peer libraries, imported lazily and configured once: torch on the pinned thread
count, JAX with float64 enabled. A library that is not installed is simply absent (its
columns read "—"); ``to_numpy`` turns any peer's result into plain NumPy for the checks.
"""

from __future__ import annotations

import importlib
import importlib.metadata

from . import threads

_cache: dict = {}


def _load(name):
    if name in _cache:
        return _cache[name]
    try:
        mod = importlib.import_module(name)
    except ImportError:
        mod = None
    if mod is not None and name == "torch":
        mod.set_num_threads(threads.THREADS)
        try:
            mod.set_num_interop_threads(threads.THREADS)
        except RuntimeError:  # already set, or work already ran
            pass
    if mod is not None and name == "jax":
        mod.config.update("jax_enable_x64", True)
    _cache[name] = mod
    return mod


def torch():
    return _load("torch")


def jax():
    return _load("jax")


def autograd():
    return _load("autograd")


def versions() -> dict:
    out = {}
    for dist in ("chainrule", "numpy", "scipy", "torch", "jax", "jaxlib", "autograd"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def to_numpy(tree):
    """Peers' results (tensors, jax arrays, nested tuples/dicts) as NumPy, for comparison."""
    import numpy as np

    if isinstance(tree, dict):
        return {k: to_numpy(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(to_numpy(v) for v in tree)
    mod = type(tree).__module__
    if mod.startswith("torch"):
        return tree.detach().cpu().numpy()
    return np.asarray(tree)


def block(tree):
    """Wait for JAX's asynchronous dispatch to finish (a no-op for everything else)."""
    jax = _cache.get("jax")
    if jax is not None:
        jax.block_until_ready(tree)
    return tree
