"""Trace levels, tracers and symbolic zeros: the one mechanism every transform shares.

Why: ``grad``, ``jvp`` and ``vmap`` nest in any order because each call opens a *trace*
with a fresh, strictly increasing level, and a primitive call is handled by the innermost
(highest-level) trace among its arguments. Tracers of outer traces are plain constants to an
inner trace, so a closure that captures an outer variable is never confused with the inner
one (no perturbation confusion). Levels come from a global counter, so threads never share
a trace and need no lock.

    >>> t = new_level()            # doctest: +SKIP
"""

from __future__ import annotations

import itertools

import numpy as _np

_levels = itertools.count(1)


def new_level() -> int:
    """A level higher than every level handed out so far (thread-safe in CPython)."""
    return next(_levels)


class Trace:
    """One transform's view of a computation. Subclasses implement ``process``."""

    __slots__ = ("level",)

    def __init__(self) -> None:
        self.level = new_level()

    def process(self, prim, args, params):  # pragma: no cover - abstract
        raise NotImplementedError


class TracerArrayConversionError(TypeError):
    """A traced value reached NumPy's array conversion (it would lose its derivative)."""


class Zero:
    """A tangent or cotangent known to be zero; never materialized unless a user sees it.

    It remembers the primal it stands for so that it can become ``zeros_like`` on demand.
    """

    __slots__ = ("like",)

    def __init__(self, like) -> None:
        self.like = like

    def instantiate(self):
        from .valuetypes import value_types

        vt = value_types.get(type(self.like))
        if vt is not None:
            return vt.zeros(self.like)
        from ..numpy import zeros_like

        return zeros_like(self.like)

    def __repr__(self) -> str:
        return f"Zero(shape={_np.shape(self.like)})"


class Tracer:
    """A value seen by one trace. Operators and NumPy's protocols route back to primitives.

    The operator methods are installed by ``chainrule.core.tracer_ops`` so that this module
    knows no NumPy function by name.
    """

    __slots__ = ("_trace",)
    __array_priority__ = 1000

    # Subclasses define ``shape`` and ``dtype`` (for a batch tracer: those of one example)
    # and ``primal_value()`` (the value one level down, for non-differentiable uses).

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(_np.prod(self.shape, dtype=_np.int64))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d traced array")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        # Control flow on a concrete value is fine (the taken branch is differentiated);
        # a batch of values under vmap has no single truth value.
        v = getval(self)
        if isinstance(v, Tracer):
            raise TypeError("the truth value of a batched value under vmap is ambiguous: "
                            "use chainrule.numpy.where to select per example")
        return bool(v)

    def __setitem__(self, idx, value):
        raise TypeError(
            "cannot assign into a traced array (x[idx] = v): use the functional form "
            "x = x.at[idx].set(v) (or .add / .multiply)."
        )

    def _to_python(self, what: str):
        raise TypeError(
            f"{what} of a traced value cuts it off from differentiation; keep it an array, "
            "or take its value explicitly with chainrule.core.getval(x) (no derivative)."
        )

    def __float__(self):
        self._to_python("float()")

    def __int__(self):
        self._to_python("int()")

    def __complex__(self):
        self._to_python("complex()")

    def __index__(self):
        self._to_python("using it as an index, a size or a range bound (int())")

    def item(self, *args):
        self._to_python("x.item()")

    def tolist(self):
        self._to_python("x.tolist()")

    def peek(self):
        """The value one level down, for its type, shape or dtype only (``underlying``)."""
        return self.primal_value()

    def __hash__(self):
        return id(self)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(shape={self.shape}, dtype={self.dtype}, "
                f"level={self._trace.level})")


def dtype_of(x):
    d = getattr(x, "dtype", None)
    if d is not None:
        return d
    return _np.result_type(x)


def shape_of(x) -> tuple:
    """``numpy.shape(x)`` without NumPy's dispatch when ``x`` has a ``shape`` (arrays, tracers)."""
    try:
        return x.shape
    except AttributeError:
        return _np.shape(x)


def ndim_of(x) -> int:
    try:
        return x.ndim
    except AttributeError:
        return _np.ndim(x)


def getval(x):
    """The plain value under any number of tracers (for non-differentiable uses)."""
    return _under(x, False)


def underlying(x):
    """The plain value under any number of tracers, to read its type, shape or dtype only --
    never its numbers (a jit recording may go on; see ``StagedTracer.peek``)."""
    return _under(x, True)


def _under(x, peek: bool):
    while isinstance(x, Tracer):
        v = x.peek() if peek else x.primal_value()
        if v is x:
            break
        x = v
    return x


def is_tracer(x) -> bool:
    return isinstance(x, Tracer)
