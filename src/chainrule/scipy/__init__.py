"""``chainrule.scipy``: SciPy's functions, differentiable (imported only on request).

``import chainrule`` needs only NumPy; this package, and SciPy with it, is loaded by
``import chainrule.scipy``. Submodules mirror SciPy's: ``special``, ``stats``, ``linalg``,
``signal``, ``integrate``; each is imported when first used (SciPy's own submodules are slow
to import), so ``import chainrule.scipy.special`` loads only what it needs.

    >>> import chainrule, chainrule.scipy.special as sps
    >>> float(chainrule.grad(sps.gammaln)(1.0))    # digamma(1) = -euler_gamma
    -0.5772156649015329
"""

import importlib

__all__ = ["integrate", "linalg", "signal", "special", "stats"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
