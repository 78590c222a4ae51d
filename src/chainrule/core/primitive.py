"""Primitives: a NumPy-level function plus its VJP, JVP and batching rules, and the registry.

Why: everything differentiable reduces to a primitive call. With no tracer among its
arguments a primitive calls its implementation directly (zero cost where nothing is traced);
otherwise the innermost trace processes it. Rules follow one convention (see the design brief):

- VJP, one per argument: ``vjp(g, ans, *args, **params)`` -> that argument's cotangent;
- JVP, one per argument: ``jvp(g, ans, *args, **params)`` -> that argument's tangent contribution;
- batching: ``batch(args, dims, **params) -> (out, out_dim)`` where ``dims[i]`` is 0 or None.

Rules are written with chainrule's own wrapped functions, so rules are differentiable too.

    >>> import numpy
    >>> square = Primitive("square", numpy.square)
    >>> square.defvjp(lambda g, ans, x: 2 * g * x)           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

from .staging import constant_call
from .staging import recording as _recording
from .trace import Tracer, TracerArrayConversionError

registry: dict[str, Primitive] = {}


class Primitive:
    """A differentiable function of arrays; positional args are arrays, keywords are static."""

    # no __slots__: a primitive is also the public function, with __doc__ and __wrapped__

    def __init__(self, name: str, impl: Callable, *, nondiff: bool = False,
                 multiple_results: bool = False, register: bool = True) -> None:
        self.name = name
        self.__name__ = name
        self.impl = impl
        self.vjps: tuple = ()
        self.jvps: tuple = ()
        self.batch: Callable | None = None
        self.nondiff = nondiff
        self.multiple_results = multiple_results
        self.residuals: tuple | None = None  # None: the tape keeps every argument and the output
        self.__doc__ = getattr(impl, "__doc__", None)
        self.__wrapped__ = impl
        if register:
            registry[name] = self

    def __call__(self, *args, **params):
        # The hot path of every traced op: find the innermost trace inline (no helper call).
        top = None
        for a in args:
            if isinstance(a, Tracer):
                t = a._trace
                if top is None or t.level > top.level:
                    top = t
        if top is None:
            try:
                if _recording:  # a jit recording: a large result is recomputed per replay
                    return constant_call(self.impl, args, params)
                return self.impl(*args, **params)
            except TracerArrayConversionError:
                # A list or tuple holding tracers (np.sum([x[0], 2 * x[1]])): stack it into
                # one traced array and dispatch again. Costs nothing unless it happens.
                lifted = _lift_sequences(args)
                if lifted is None:
                    raise
                return self(*lifted, **params)
        return top.process(self, args, params)

    # -- rule registration -------------------------------------------------------------
    def defvjp(self, *rules) -> Primitive:
        """One VJP rule per positional argument (None: not differentiable in that argument)."""
        self.vjps = rules
        return self

    def defjvp(self, *rules) -> Primitive:
        """One JVP rule per positional argument (None: not differentiable in that argument)."""
        self.jvps = rules
        return self

    def defresiduals(self, ans: bool, args: tuple) -> Primitive:
        """Declare what the VJP rules read: the output (``ans``) and, per positional argument,
        its value (True) or only its shape and dtype (False). A declaration with no True
        covers every argument (``(False,)`` for a variadic primitive: all shape-only);
        otherwise arguments past those declared are kept (``getitem``'s index arrays). The
        reverse-mode tape then keeps no array that no rule reads (for ``add``, neither input
        nor output), so intermediates are freed as the forward pass goes, as in hand-written
        code."""
        args = tuple(args)
        self.residuals = (ans, True if all(args) else False if not any(args) else args)
        return self

    def defbatch(self, rule: Callable) -> Primitive:
        self.batch = rule
        return self

    def vjp_rule(self, i: int):
        rules = self.vjps
        if i < len(rules) and rules[i] is not None:
            return rules[i]
        raise NotImplementedError(
            f"no reverse-mode (VJP) rule for '{self.name}' with respect to argument {i}")

    def jvp_rule(self, i: int):
        rules = self.jvps
        if i < len(rules) and rules[i] is not None:
            return rules[i]
        raise NotImplementedError(
            f"no forward-mode (JVP) rule for '{self.name}' with respect to argument {i}")

    def __repr__(self) -> str:
        return f"<chainrule primitive {self.name}>"


def primitive(impl: Callable, name: str | None = None, **kw) -> Primitive:
    """Wrap ``impl`` as a primitive; attach rules with ``defvjp``/``defjvp``/``defbatch``.

        >>> import numpy
        >>> logsq = primitive(lambda x: numpy.log(x) ** 2, name="logsq")
        >>> logsq.defvjp(lambda g, ans, x: 2 * g * numpy.log(x) / x)  # doctest: +SKIP
    """
    return Primitive(name or getattr(impl, "__name__", "primitive"), impl, **kw)


def nondiff_primitive(name: str, impl: Callable, batch: Callable | None = None) -> Primitive:
    """A function whose output carries no derivative (comparisons, argmax, ...)."""
    p = Primitive(name, impl, nondiff=True)
    if batch is not None:
        p.batch = batch
    return p


def _holds_tracer(a) -> bool:
    if isinstance(a, Tracer):
        return True
    return isinstance(a, (list, tuple)) and any(_holds_tracer(v) for v in a)


def _lift_sequences(args):
    """``args`` with every list/tuple that holds tracers made one array; None if there is none."""
    if not any(isinstance(a, (list, tuple)) and _holds_tracer(a) for a in args):
        return None
    from ..numpy import asarray

    return [asarray(a) if isinstance(a, (list, tuple)) and _holds_tracer(a) else a
            for a in args]


class PerArgRules:
    """Rules for a primitive of any arity (stack, custom functions), made on demand:
    ``rules[k]`` is the rule for argument ``k``."""

    __slots__ = ("make",)

    def __init__(self, make: Callable) -> None:
        self.make = make

    def __len__(self) -> int:
        return 1 << 30

    def __getitem__(self, k: int):
        return self.make(k)


# --- helpers that classify ops instead of repeating rules ------------------------------

def deflinear(prim: Primitive, transpose: Callable) -> Primitive:
    """Declare a one-argument ``prim`` linear: its JVP is ``prim`` itself applied to the
    tangent; only the transpose (its VJP) is written by hand."""

    def jvp(g, ans, x, **params):
        return prim(g, **params)

    prim.defjvp(jvp)
    prim.defvjp(transpose)
    return prim


def defbilinear(prim: Primitive, transpose_x: Callable, transpose_y: Callable) -> Primitive:
    """Declare ``prim(x, y)`` linear in each argument separately (multiply, matmul): the JVP
    in x is ``prim(g, y)``, in y ``prim(x, g)``; only the two transposes are written."""
    prim.defjvp(lambda g, ans, x, y, **params: prim(g, y, **params),
                lambda g, ans, x, y, **params: prim(x, g, **params))
    prim.defvjp(transpose_x, transpose_y)
    return prim
