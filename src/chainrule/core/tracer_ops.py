"""Operators, methods and NumPy's dispatch protocols on tracers.

Why: users write ``x @ W + b`` and ``numpy.sin(x)``; both must reach chainrule's primitives,
never fall through to NumPy on the raw value (autograd's worst trap: a silently cut graph).
``__array_ufunc__`` finds a ufunc's primitive by name in the registry; ``__array_function__``
looks the NumPy function up in ``function_map``, filled by ``chainrule.numpy``. A NumPy
function with no derivative rule raises an error that names it.

    >>> import numpy, chainrule
    >>> chainrule.grad(lambda x: numpy.sin(x) * 2.0)(0.0)
    np.float64(2.0)
"""

from __future__ import annotations

import numpy as _numpy

from .primitive import registry
from .trace import Tracer, TracerArrayConversionError

# NumPy function object -> chainrule function; filled by chainrule.numpy (and scipy).
function_map: dict = {}
# NumPy functions that take no derivative and may see raw values (shape, ndim, ...).
passthrough_functions: set = set()

_ns = None


def _cnp():
    global _ns
    if _ns is None:
        import chainrule.numpy as ns

        _ns = ns
    return _ns


def _binary(name, reflected=False):
    # The primitive is looked up once, on first use (the families register after the core).
    cell: list = []

    def prim():
        if not cell:
            cell.append(registry[name])
        return cell[0]

    # With a constant on the other side, this tracer's trace is the innermost one: go to it
    # directly (the most common traced op, x * 1.01, skips the dispatch loop).
    # Two tracers of the same trace (x @ W inside grad) go there directly too.
    if reflected:
        def op(self, other):
            p = cell[0] if cell else prim()
            if isinstance(other, Tracer) and other._trace is not self._trace:
                return p(other, self)
            return self._trace.process(p, (other, self), _NO_PARAMS)
    else:
        def op(self, other):
            p = cell[0] if cell else prim()
            if isinstance(other, Tracer) and other._trace is not self._trace:
                return p(self, other)
            return self._trace.process(p, (self, other), _NO_PARAMS)
    op.__name__ = name
    return op


_NO_PARAMS: dict = {}  # shared, never mutated: primitives called with no keyword params


def _unary(name):
    def op(self):
        return registry[name](self)

    op.__name__ = name
    return op


def _method(name):
    def method(self, *args, **kwargs):
        return getattr(_cnp(), name)(self, *args, **kwargs)

    method.__name__ = name
    return method


_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
    "pow": "power", "matmul": "matmul", "floordiv": "floor_divide", "mod": "remainder",
}
_COMPARE = {
    "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
    "eq": "equal", "ne": "not_equal",
}
_METHODS = (
    "sum", "mean", "prod", "max", "min", "std", "var", "cumsum", "cumprod", "dot", "swapaxes",
    "squeeze", "ravel", "flatten", "clip", "round",
    "argmax", "argmin", "argsort", "trace", "diagonal", "repeat", "take", "conj",
    "conjugate", "astype", "copy", "any", "all", "nonzero",
)


def _shape_args(args):
    """``x.reshape(2, 3)`` and ``x.reshape((2, 3))`` alike, as NumPy's methods take them."""
    if len(args) == 1 and not isinstance(args[0], int):
        return args[0]
    return args


def _sort_method(self, *args, **kwargs):
    raise TypeError("x.sort() sorts in place, which a traced array cannot do: "
                    "write x = chainrule.numpy.sort(x)")


def _reshape_method(self, *shape, order="C"):
    return _cnp().reshape(self, _shape_args(shape), order=order)


def _transpose_method(self, *axes):
    return _cnp().transpose(self, _shape_args(axes) if axes else None)


def _install() -> None:
    for py, name in _BINARY.items():
        setattr(Tracer, f"__{py}__", _binary(name))
        setattr(Tracer, f"__r{py}__", _binary(name, reflected=True))
    for py, name in _COMPARE.items():
        setattr(Tracer, f"__{py}__", _binary(name))
    Tracer.__neg__ = _unary("negative")
    Tracer.__invert__ = _unary("invert")
    Tracer.__round__ = lambda self, ndigits=0: _cnp().round(self, ndigits)
    Tracer.__divmod__ = lambda self, other: _cnp().divmod(self, other)
    Tracer.__rdivmod__ = lambda self, other: _cnp().divmod(other, self)
    Tracer.__abs__ = _unary("absolute")
    Tracer.__pos__ = lambda self: self
    Tracer.__getitem__ = lambda self, idx: _cnp().getitem(self, idx)
    for name in _METHODS:
        setattr(Tracer, name, _method(name))
    Tracer.sort = _sort_method
    Tracer.reshape = _reshape_method
    Tracer.transpose = _transpose_method
    Tracer.T = property(lambda self: _cnp().transpose(self))
    Tracer.mT = property(lambda self: _cnp().swapaxes(self, -1, -2))
    Tracer.real = property(lambda self: _cnp().real(self))
    Tracer.imag = property(lambda self: _cnp().imag(self))
    Tracer.at = property(lambda self: _cnp().at(self))
    Tracer.__array_ufunc__ = _array_ufunc
    Tracer.__array_function__ = _array_function
    Tracer.__array__ = _no_array


_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}
_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}


def _numpy_name(func) -> str:
    """``numpy.linalg.inv`` rather than ``numpy.inv``: the public module of a function."""
    mod = (getattr(func, "__module__", None) or "numpy").split(".")
    mod = [m for m in mod if not m.startswith("_")]
    return ".".join(mod + [func.__name__])


# ufunc -> chainrule function, for the plain call ``ufunc(*inputs)`` (an array on the left of
# an operator, ``Y * x``, comes here): looked up once per ufunc, not on every call.
_ufunc_fns: dict = {}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method == "__call__" and not kwargs:
        fn = _ufunc_fns.get(ufunc)
        if fn is not None:
            return fn(*inputs)
    name = ufunc.__name__
    if kwargs.get("out") is not None:
        raise TypeError(f"numpy.{name}(..., out=...) writes in place, which a traced value cannot "
                        "take: drop `out=` and use the returned array.")
    kwargs.pop("out", None)
    if method == "__call__":
        fn = _ufunc_rule(ufunc)
        if fn is not None:
            _ufunc_fns[ufunc] = fn
            return fn(*inputs, **kwargs)
    elif method == "reduce" and name in _REDUCE:
        kwargs.setdefault("axis", 0)  # ufunc.reduce's default, unlike numpy.sum's
        return getattr(_cnp(), _REDUCE[name])(*inputs, **kwargs)
    elif method == "accumulate" and name in _ACCUMULATE:
        kwargs.setdefault("axis", 0)
        return getattr(_cnp(), _ACCUMULATE[name])(*inputs, **kwargs)
    owner = "numpy." if getattr(_numpy, name, None) is ufunc else "the ufunc "
    raise NotImplementedError(
        f"{owner}{name}.{method} has no derivative rule in chainrule "
        f"(called on a traced value of shape {self.shape}).")


def _ufunc_rule(ufunc):
    """chainrule's function for a ufunc: registered by object (SciPy's ufuncs), else NumPy's
    own by name. SciPy's ufuncs register when ``chainrule.scipy.special`` is imported, which
    happens here on first need if the user's code has imported SciPy already."""
    fn = function_map.get(ufunc)
    if fn is not None:
        return fn
    name = ufunc.__name__
    if getattr(_numpy, name, None) is ufunc:
        fn = getattr(_cnp(), name, None)
        return None if fn is ufunc else fn
    import sys

    if "scipy.special" in sys.modules and "chainrule.scipy.special" not in sys.modules:
        import chainrule.scipy.special  # noqa: F401  (fills function_map)

        return function_map.get(ufunc)
    return None


def _array_function(self, func, types, args, kwargs):
    fn = function_map.get(func)
    if fn is not None:
        return fn(*args, **kwargs)
    if func in passthrough_functions:
        return func._implementation(*args, **kwargs) if hasattr(func, "_implementation") \
            else NotImplemented
    _cnp()  # make sure the map is filled, then look again
    fn = function_map.get(func)
    if fn is not None:
        return fn(*args, **kwargs)
    raise NotImplementedError(
        f"{_numpy_name(func)} has no derivative rule in chainrule (called on a traced value "
        f"of shape {self.shape}); write it with differentiable functions or define one with "
        "chainrule.extend.primitive.")


def _no_array(self, dtype=None, copy=None):
    raise TracerArrayConversionError(
        "a traced value was converted to a plain NumPy array, which would cut it off from "
        "differentiation. Common causes and fixes:\n"
        "  - a plain numpy function given a list of traced values (numpy.mean([x, y])): NumPy "
        "dispatches only on array arguments; call chainrule.numpy's function instead\n"
        "  - a plain array indexed by a traced index (a[i]): chainrule.numpy.take(a, i, axis=...) "
        "or chainrule.numpy.at(a)[i].get()\n"
        "  - numpy.random with a traced parameter: draws have no derivative in their "
        "parameters; write loc + scale * standard_normal(size), or use chainrule.numpy.random\n"
        "  - numpy.asarray(x) on purpose: chainrule.stop_gradient(x) makes the cut explicit")


_install()
