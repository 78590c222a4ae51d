"""HIPS autograd's extension model (Box, VSpace, ``@primitive`` with VJP makers) on chainrule.

Why: autograd's users extend it in three ways -- a function made a primitive with
``defvjp(f, lambda ans, x: lambda g: ...)``, a value type given its own ``Box`` (methods usable
on traced values) and ``VSpace`` (zeros, addition, inner products), and tools built on its
tracer. chainrule's core has tracers instead of boxes, pytrees instead of container boxes, and
rules ``rule(g, ans, *args)`` instead of makers. This module maps one onto the other so that
``chainrule.extend``, ``chainrule.tracer`` and ``chainrule.builtins`` can expose autograd's
names with autograd's behaviour. How each concept maps:

=======================  ====================================================================
autograd                 chainrule
=======================  ====================================================================
``Box`` (a boxed value)  a ``Tracer``; ``isinstance(t, MyBox)`` holds when the value under
                         tracer ``t`` has a type registered with ``MyBox.register``, and the
                         box class's named methods and properties are reachable on ``t``
SequenceBox / DictBox    not needed: containers are pytrees, their leaves are tracers
``VSpace``               ``vspace(x)``: zeros/ones/randn/standard_basis/inner products, for
                         arrays, containers and registered types (arithmetic on traced values
                         stays chainrule's differentiable ops)
ContainerVSpace.register also registers the type as a pytree node
``@primitive``           :class:`AutogradPrimitive`: one multiple-result chainrule primitive
                         whose positional arguments may be pytrees; VJP makers and JVP rules
                         are called with autograd's arguments
=======================  ====================================================================

    >>> import numpy, chainrule
    >>> @primitive
    ... def logsumexp(x):
    ...     return numpy.log(numpy.sum(numpy.exp(x)))
    >>> defvjp_autograd(logsumexp, lambda ans, x: lambda g: g * numpy.exp(x - ans))
    >>> chainrule.grad(logsumexp)(numpy.zeros(2))
    array([0.5, 0.5])
"""

from __future__ import annotations

import functools
import inspect
import itertools
import warnings
from collections.abc import Callable

import numpy as _np

from .core.batching import BatchTracer, DiagonalBatch
from .core.forward import JVPTracer
from .core.primitive import PerArgRules, Primitive
from .core.pytree import _nodes as _pytree_nodes
from .core.pytree import register_pytree_node, tree_flatten, tree_unflatten
from .core.reverse import RevTracer
from .core.trace import Tracer, Zero

# --- values under tracers ----------------------------------------------------------------------


def _peel(x):
    """The value one level under tracer ``x`` (for a batch: the batched array)."""
    t = type(x)
    if t is RevTracer:
        return x._value
    if t is JVPTracer:
        return x._primal
    if t is BatchTracer:
        return x._val
    v = x.primal_value()
    return x if v is None else v


def getval(x):
    """The plain value under any number of tracers (autograd's ``getval``).

    Inside ``vmap`` a batched value has no single plain value; it is returned as it is.
    """
    while isinstance(x, Tracer) and type(x) is not BatchTracer:
        v = _peel(x)
        if v is x:
            break
        x = v
    return x


def raw_type(x) -> type:
    """The type of the value under any number of tracers, batches included."""
    while isinstance(x, Tracer):
        v = _peel(x)
        if v is x:
            break
        x = v
    if type(x) is DiagonalBatch:  # a Jacobian's symbolic identity seed stands for an array
        return type(getval(x.d)) if not isinstance(x.d, Tracer) else raw_type(x.d)
    return type(x)


def isbox(x) -> bool:
    """Whether ``x`` is a traced value (autograd's ``isbox``: a tracer of any transform)."""
    return isinstance(x, Tracer)


def _is_tree_node(x) -> bool:
    t = type(x)
    return t in _pytree_nodes or (isinstance(x, tuple) and hasattr(x, "_fields"))


def contains_tracer(args) -> bool:
    for a in args:
        if isinstance(a, Tracer):
            return True
        if _is_tree_node(a) and any(isinstance(v, Tracer) for v in tree_flatten(a)[0]):
            return True
    return False


# --- Box ---------------------------------------------------------------------------------------


class _BoxMeta(type):
    """``isinstance(t, MyBox)`` is true for a tracer whose value's type is registered to MyBox
    (or a subclass): tracers play the part of boxes."""

    def __instancecheck__(cls, x):
        if type.__instancecheck__(cls, x):
            return True
        if not isinstance(x, Tracer):
            return False
        if cls is Box:
            return True
        box_cls = Box.type_mappings.get(raw_type(x))
        return box_cls is not None and issubclass(box_cls, cls)


class Box(metaclass=_BoxMeta):
    """autograd's boxed value. In chainrule the tracers are the boxes: subclass ``Box`` to give
    traced values of your type named methods and properties, and ``MyBox.register(MyType)``.

    The methods run with ``self`` a chainrule tracer, so they should call primitives (or
    chainrule functions) on ``self``; ``self._value`` is the value one level down. Special
    methods (operators, indexing) are chainrule's NumPy operators, not the box class's: see
    docs/migration.md.
    """

    type_mappings: dict = {}
    types: set = set()
    __slots__ = ("_value", "_trace", "_node")

    def __init__(self, value, trace, node) -> None:
        self._value = value
        self._trace = trace
        self._node = node

    def __bool__(self):
        return bool(self._value)

    def __str__(self) -> str:
        return f"Autograd {type(self).__name__} with value {self._value}"

    @classmethod
    def register(cls, value_type) -> None:
        Box.types.add(cls)
        Box.type_mappings[value_type] = cls
        Box.type_mappings[cls] = cls
        _install_box_attributes()


def _tracer_getattr(self, name):
    """Attribute fallback on tracers: methods and properties of the registered Box class.

    Runs only when normal lookup fails, so it costs nothing on chainrule's own attributes.
    """
    if name.startswith("__") and name.endswith("__"):
        raise AttributeError(name)
    if name == "_value":  # autograd Box methods read self._value; RevTracer has it natively
        return _peel(self)
    box_cls = Box.type_mappings.get(raw_type(self))
    if box_cls is not None:
        for klass in box_cls.__mro__:
            if klass is Box or klass is object:
                break
            if name in klass.__dict__:
                attr = klass.__dict__[name]
                get = getattr(type(attr), "__get__", None)
                return get(attr, self, box_cls) if get is not None else attr
    raise AttributeError(f"'{type(self).__name__}' object (a traced value of type "
                         f"{raw_type(self).__name__}) has no attribute '{name}'")


def _install_box_attributes() -> None:
    # The core's Tracer has no attribute fallback; install ours once, the first time a Box
    # type is registered (see notes/core-bugs/autograd-box-hook.md for moving it to the core).
    if "__getattr__" not in Tracer.__dict__:
        Tracer.__getattr__ = _tracer_getattr


# --- VSpace ------------------------------------------------------------------------------------


class VSpace:
    """A value type's vector space: ``zeros``, ``ones``, ``randn``, ``standard_basis`` and the
    operations ``add``, ``scalar_mul``, ``inner_prod``, ``covector`` (autograd's). Subclass and
    ``MySpace.register(MyType)``; ``vspace(x)`` finds it.

    Unlike autograd the operations are plain methods, not primitives: on traced arrays they
    are written with chainrule's differentiable functions, so they differentiate anyway.
    """

    __slots__ = ()
    mappings: dict = {}
    iscomplex = False
    is_container = False  # ContainerVSpace: the registered type becomes a pytree node

    def __init__(self, value) -> None:
        pass

    def zeros(self):
        raise NotImplementedError(f"{type(self).__name__}.zeros")

    def ones(self):
        raise NotImplementedError(f"{type(self).__name__}.ones")

    def standard_basis(self):
        raise NotImplementedError(f"{type(self).__name__}.standard_basis")

    def randn(self):
        raise NotImplementedError(f"{type(self).__name__}.randn")

    def mut_add(self, x_prev, x_new):
        x_prev = x_prev if x_prev is not None else self.zeros()
        return self._mut_add(x_prev, x_new)

    def add(self, x_prev, x_new):
        return self._add(x_prev, x_new)

    def scalar_mul(self, x, a):
        return self._scalar_mul(x, a)

    def inner_prod(self, x, y):
        return self._inner_prod(x, y)

    def covector(self, x):
        return self._covector(x)

    def _add(self, x, y):
        return x + y

    def _mut_add(self, x, y):
        if isinstance(x, Tracer) or isinstance(y, Tracer):
            return x + y  # traced values are immutable
        x += y
        return x

    def _scalar_mul(self, x, a):
        return x * a

    def _inner_prod(self, x, y):
        raise NotImplementedError(f"{type(self).__name__}._inner_prod")

    def _covector(self, x):
        return x

    def __eq__(self, other):
        return type(self) is type(other) and _state(self) == _state(other)

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}_{_state(self)}"

    @classmethod
    def register(cls, value_type, vspace_maker=None) -> None:
        VSpace.mappings[value_type] = vspace_maker if vspace_maker else cls
        if not cls.is_container and vspace_maker is None and not issubclass(cls, ArrayVSpace):
            # a user's leaf value type (arrays and containers the core knows already): the
            # core makes its zeros and adds its cotangents through its VSpace
            from .core.valuetypes import register_value_type

            register_value_type(value_type, zeros=lambda x: vspace(x).zeros(),
                                add=lambda x, y: vspace(x).add(x, y))
        if (vspace_maker is None and cls.is_container
                and value_type not in _pytree_nodes
                and not (issubclass(value_type, tuple) and hasattr(value_type, "_fields"))):
            _register_container_pytree(value_type)


def _state(vs) -> dict:
    return dict(getattr(vs, "__dict__", {}))


def vspace(value) -> VSpace:
    """The vector space of ``value`` (a tracer's is that of its value)."""
    maker = VSpace.mappings.get(type(value))
    if maker is not None:
        return maker(value)
    if isinstance(value, Tracer):
        t = raw_type(value)
        if t in VSpace.mappings and not issubclass(t, _np.ndarray) and t is not BatchTracer:
            return vspace(getval(value))
        return ArrayVSpace.from_shape(value.shape, value.dtype)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return NamedTupleVSpace(value)
    if isinstance(value, _np.generic):  # numpy scalars of any width
        return vspace(_np.asarray(value))
    raise TypeError(f"Can't find vector space for value {value!r} of type {type(value)}. "
                    f"Valid types are {list(VSpace.mappings)}; register one with "
                    "MyVSpace.register(MyType).")


class ArrayVSpace(VSpace):
    def __init__(self, value) -> None:
        if isinstance(value, Tracer):
            self.shape, self.dtype = tuple(value.shape), _np.dtype(value.dtype)
        else:
            value = _np.asarray(value)
            self.shape, self.dtype = value.shape, value.dtype

    @classmethod
    def from_shape(cls, shape, dtype):
        kind = ComplexArrayVSpace if _np.issubdtype(dtype, _np.complexfloating) else cls
        vs = kind.__new__(kind)
        vs.shape, vs.dtype = tuple(shape), _np.dtype(dtype)
        return vs

    @property
    def size(self):
        return int(_np.prod(self.shape, dtype=_np.int64))

    @property
    def ndim(self):
        return len(self.shape)

    def zeros(self):
        return _np.zeros(self.shape, dtype=self.dtype)

    def ones(self):
        return _np.ones(self.shape, dtype=self.dtype)

    def standard_basis(self):
        for idx in _np.ndindex(*self.shape):
            v = _np.zeros(self.shape, dtype=self.dtype)
            v[idx] = 1
            yield v

    def randn(self):
        return _np.array(_np.random.randn(*self.shape)).astype(self.dtype)

    def _inner_prod(self, x, y):
        from . import numpy as cnp

        return cnp.sum(cnp.ravel(x) * cnp.ravel(y))


class ComplexArrayVSpace(ArrayVSpace):
    iscomplex = True

    @property
    def size(self):
        return 2 * int(_np.prod(self.shape, dtype=_np.int64))

    def ones(self):
        return _np.ones(self.shape, dtype=self.dtype) * (1.0 + 1.0j)

    def standard_basis(self):
        for idx in _np.ndindex(*self.shape):
            for unit in (1.0, 1.0j):
                v = _np.zeros(self.shape, dtype=self.dtype)
                v[idx] = unit
                yield v

    def randn(self):
        re = _np.array(_np.random.randn(*self.shape)).astype(self.dtype)
        im = _np.array(_np.random.randn(*self.shape)).astype(self.dtype)
        return re + 1.0j * im

    def _inner_prod(self, x, y):
        from . import numpy as cnp

        return cnp.real(cnp.sum(cnp.conj(cnp.ravel(x)) * cnp.ravel(y)))

    def _covector(self, x):
        from . import numpy as cnp

        return cnp.conj(x)


VSpace.register(_np.ndarray,
                lambda x: ComplexArrayVSpace(x) if _np.iscomplexobj(x) else ArrayVSpace(x))
for _t in (float, _np.longdouble, _np.float64, _np.float32, _np.float16):
    ArrayVSpace.register(_t)
for _t in (complex, _np.clongdouble, _np.complex64, _np.complex128):
    ComplexArrayVSpace.register(_t)


class ContainerVSpace(VSpace):
    """A container's space: ``shape`` is the container of its elements' spaces."""

    is_container = True

    def __init__(self, value) -> None:
        self.shape = value
        self.shape = self._map(vspace)

    @property
    def size(self):
        return sum(self._values(self._map(lambda vs: vs.size)))

    def zeros(self):
        return self._map(lambda vs: vs.zeros())

    def ones(self):
        return self._map(lambda vs: vs.ones())

    def randn(self):
        return self._map(lambda vs: vs.randn())

    def standard_basis(self):
        zero = self.zeros()
        for i, vs in self._kv_pairs(self.shape):
            for x in vs.standard_basis():
                yield self._subval(zero, i, x)

    def _add(self, xs, ys):
        return self._map(lambda vs, x, y: vs._add(x, y), xs, ys)

    def _mut_add(self, xs, ys):
        return self._map(lambda vs, x, y: vs._mut_add(x, y), xs, ys)

    def _scalar_mul(self, xs, a):
        return self._map(lambda vs, x: vs._scalar_mul(x, a), xs)

    def _inner_prod(self, xs, ys):
        return sum(self._values(self._map(lambda vs, x, y: vs._inner_prod(x, y), xs, ys)))

    def _covector(self, xs):
        return self._map(lambda vs, x: vs._covector(x), xs)


class SequenceVSpace(ContainerVSpace):
    seq_type: type = tuple

    def _values(self, x):
        return x

    def _kv_pairs(self, x):
        return enumerate(x)

    def _map(self, f, *args):
        return self.seq_type(map(f, self.shape, *args))

    def _subval(self, xs, idx, x):
        out = list(xs)
        out[idx] = x
        return self.seq_type(out)


class ListVSpace(SequenceVSpace):
    seq_type = list


class TupleVSpace(SequenceVSpace):
    seq_type = tuple


class DictVSpace(ContainerVSpace):
    def _values(self, x):
        return x.values()

    def _kv_pairs(self, x):
        return x.items()

    def _map(self, f, *args):
        return {k: f(vs, *[x[k] for x in args]) for k, vs in self.shape.items()}

    def _subval(self, xs, idx, x):
        d = dict(xs.items())
        d[idx] = x
        return d


class NamedTupleVSpace(SequenceVSpace):
    def __init__(self, value) -> None:
        self.seq_type = type(value)
        super().__init__(value)

    def _map(self, f, *args):
        return self.seq_type(*map(f, self.shape, *args))

    def _subval(self, xs, idx, x):
        out = list(xs)
        out[idx] = x
        return self.seq_type(*out)


ListVSpace.register(list)
TupleVSpace.register(tuple)
DictVSpace.register(dict)


def _register_container_pytree(value_type) -> None:
    """A type registered with a ContainerVSpace subclass is a container: make it a pytree node,
    so that its leaves are traced and gradients come back in the same type."""

    def flatten(x):
        vs = VSpace.mappings[value_type](x)
        return [v for _, v in vs._kv_pairs(x)], vs

    def unflatten(vs, children):
        it = iter(children)
        return vs._map(lambda _: next(it))

    register_pytree_node(value_type, flatten, unflatten)


class SparseObject:
    """autograd's lazily added cotangent: ``mut_add(dense)`` adds it into ``dense``. A VJP that
    returns one is densified (``mut_add(vs.zeros())``) where chainrule receives it."""

    __slots__ = ("vs", "mut_add")

    def __init__(self, vs, mut_add) -> None:
        self.vs = vs
        self.mut_add = mut_add


VSpace.register(SparseObject, lambda x: x.vs)


def densify(ct):
    if type(ct) is SparseObject:
        return ct.mut_add(ct.vs.zeros())
    return ct


# --- autograd-style primitives -------------------------------------------------------------------


class _Call:
    """What one call of an autograd-style primitive needs at rule time: the argument and
    output structures, which argument owns each leaf, and a per-node cache of cotangents."""

    __slots__ = ("in_td", "out_td", "owner", "cache")

    def __init__(self, in_td) -> None:
        self.in_td = in_td
        self.out_td = None
        self.owner = []
        for k, child in enumerate(in_td.children):
            self.owner.extend((k, i) for i in range(child.num_leaves))
        self.cache: dict = {}

    def arg_leaves(self, leaves, k):
        return [v for v, (a, _) in zip(leaves, self.owner, strict=False) if a == k]


_MISSING = object()


class AutogradPrimitive:
    """A function made a primitive in autograd's way: ``@primitive`` then ``defvjp(f, maker)``
    with ``maker(ans, *args, **kwargs) -> vjp(g)``, and ``defjvp(f, rule)`` with
    ``rule(g, ans, *args, **kwargs)``.

    Calling it with no tracer among its arguments calls the function itself. Otherwise it is
    one call of a multiple-result chainrule primitive over the leaves of its arguments
    (positional arguments may be tuples, lists or dicts holding traced arrays, as autograd's
    container boxes allow) and of its result (which may be a container, or a value of a
    type with a registered VSpace). Keyword arguments are static, as in autograd.
    """

    def __init__(self, fun: Callable) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        name = getattr(fun, "__name__", "primitive")
        self._make_vjp = self._no_vjp
        self._jvp = self._no_jvp
        self.notrace: set = set()
        prim = Primitive(name, self._impl, multiple_results=True, register=False)
        prim.vjps = PerArgRules(self._vjp_rule)
        prim.jvps = PerArgRules(self._jvp_rule)
        prim.autograd_primitive = self
        self.primitive = prim

    def __call__(self, *args, **kwargs):
        if not contains_tracer(args):
            return self.fun(*args, **kwargs)
        leaves, in_td = tree_flatten(args)
        call = _Call(in_td)
        outs = self.primitive(*leaves, _call=call, **kwargs)
        return tree_unflatten(call.out_td, list(outs))

    def __get__(self, obj, objtype=None):
        # used as a method or property getter of a Box class, as in autograd
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self) -> str:
        return f"<autograd-style primitive {self.__name__}>"

    def _impl(self, *leaves, _call, **kwargs):
        out = self.fun(*tree_unflatten(_call.in_td, leaves), **kwargs)
        o_leaves, _call.out_td = tree_flatten(out)
        return tuple(o_leaves)

    # -- rule storage: every def* form becomes one of these two functions ----------------------
    def _no_vjp(self, k, ans, args, kwargs):
        raise NotImplementedError(f"VJP of {self.__name__} wrt argnum {k} not defined")

    def _no_jvp(self, k, g, ans, args, kwargs):
        # No JVP given: derive it from the VJP maker. vjp(u) is linear in the output
        # cotangent u, so the VJP of u -> vjp(u) at cotangent g is J_k g (forward mode, and so
        # Hessians by forward over reverse, for primitives autograd users gave only a VJP).
        try:
            vjp = self._make_vjp(k, ans, args, kwargs)
        except NotImplementedError:
            vjp = None
        if vjp is None:
            raise NotImplementedError(f"JVP of {self.__name__} wrt argnum {k} not defined "
                                      "(and no VJP to derive it from)")
        from .core.pytree import tree_map
        from .numpy import zeros_like
        from .transforms.reverse_mode import trace_vjp

        rec = trace_vjp(lambda u: vjp(u), (tree_map(zeros_like, ans),), what=self.__name__)
        return rec.vjp_fn(g)[0]

    def set_vjp_makers(self, makers, argnums=None) -> None:
        table = dict(zip(itertools.count() if argnums is None else argnums, makers, strict=False))

        def make(k, ans, args, kwargs):
            maker = table.get(k, _MISSING)
            if maker is _MISSING:
                return self._no_vjp(k, ans, args, kwargs)
            if maker is None:
                return None
            try:
                vjp = maker(ans, *args, **kwargs)
            except TypeError as e:
                if _binds(maker, 1 + len(args), kwargs):
                    raise
                raise TypeError(self._maker_hint(k, "cannot be called as maker(ans, *args)")) \
                    from e
            if not callable(vjp):
                raise TypeError(self._maker_hint(k, f"returned {type(vjp).__name__}, not a "
                                                    "function"))
            return vjp

        self._make_vjp = make

    def _maker_hint(self, k, problem):
        return (f"the VJP maker for argument {k} of {self.__name__} {problem}: a primitive made "
                "with chainrule.extend.primitive(f) takes autograd's makers "
                "`lambda ans, *args: lambda g: ...`; for chainrule's rules "
                "`rule(g, ans, *args)` make it with primitive(f, name=...)")

    def set_vjp_argnum(self, vjpmaker) -> None:
        self._make_vjp = lambda k, ans, args, kwargs: vjpmaker(k, ans, args, kwargs)

    def set_vjp_argnums(self, vjpmaker) -> None:
        def make(k, ans, args, kwargs):
            vjp = vjpmaker((k,), ans, args, kwargs)
            return lambda g: next(iter(vjp(g)))

        self._make_vjp = make

    def set_jvp_rules(self, rules, argnums=None) -> None:
        table = dict(zip(itertools.count() if argnums is None else argnums, rules, strict=False))

        def jvp(k, g, ans, args, kwargs):
            rule = table.get(k, _MISSING)
            if rule is _MISSING:
                return self._no_jvp(k, g, ans, args, kwargs)
            if rule is None:
                return None
            if isinstance(rule, str):
                if rule != "same":
                    raise ValueError(f"Bad JVP '{rule}' for '{self.__name__}'")
                return self(*_subval(args, k, g), **kwargs)
            return rule(g, ans, *args, **kwargs)

        self._jvp = jvp

    def set_jvp_argnum(self, jvpmaker) -> None:
        self._jvp = lambda k, g, ans, args, kwargs: jvpmaker(k, g, ans, args, kwargs)

    def set_jvp_argnums(self, jvpmaker) -> None:
        self._jvp = lambda k, g, ans, args, kwargs: jvpmaker((k,), (g,), ans, args, kwargs)

    # -- the chainrule rules, one per argument leaf --------------------------------------------
    def _vjp_rule(self, j):
        def rule(g, ans, *leaves, _call, **kwargs):
            if "rev" in self.notrace:
                return None
            k, pos = _call.owner[j]
            cache = _call.cache
            if cache.get("g") is not g:  # one maker call per node and argument, not per leaf
                cache.clear()
                cache["g"] = g
            if k not in cache:
                args = tree_unflatten(_call.in_td, leaves)
                ans_t = tree_unflatten(_call.out_td, list(ans))
                vjp = self._make_vjp(k, ans_t, args, kwargs)
                if vjp is None:
                    cache[k] = None
                else:
                    g_t = tree_unflatten(_call.out_td, [_instantiate(c) for c in g])
                    ct = densify(vjp(g_t))
                    cache[k] = _leaves_like(ct, _call.in_td.children[k], self.__name__, k)
            cts = cache[k]
            return None if cts is None else cts[pos]

        return rule

    def _jvp_rule(self, j):
        def rule(t, ans, *leaves, _call, **kwargs):
            if "fwd" in self.notrace:
                return None
            k, pos = _call.owner[j]
            args = tree_unflatten(_call.in_td, leaves)
            own = _call.arg_leaves(leaves, k)
            tangents = [t if i == pos else _zeros_like(v) for i, v in enumerate(own)]
            g_k = tree_unflatten(_call.in_td.children[k], tangents)
            ans_t = tree_unflatten(_call.out_td, list(ans))
            out = self._jvp(k, g_k, ans_t, args, kwargs)
            if out is None:
                return None
            out_leaves, _ = tree_flatten(densify(out), is_leaf=lambda x: x is None)
            if len(out_leaves) != _call.out_td.num_leaves:
                raise ValueError(f"the JVP of {self.__name__} for argument {k} has "
                                 f"{len(out_leaves)} leaves; its output has "
                                 f"{_call.out_td.num_leaves}")
            return tuple(Zero(a) if o is None else o for o, a in zip(out_leaves, ans, strict=False))

        return rule


def _binds(fn, nargs, kwargs) -> bool:
    try:
        inspect.signature(fn).bind(*range(nargs), **kwargs)
    except TypeError:
        return False
    except ValueError:  # no signature (a builtin): assume it binds
        return True
    return True


def _instantiate(c):
    return c.instantiate() if type(c) is Zero else c


def _zeros_like(v):
    from . import numpy as cnp

    return cnp.zeros_like(v)


def _leaves_like(ct, td, name, k):
    leaves, _ = tree_flatten(ct, is_leaf=lambda x: x is None)
    if len(leaves) != td.num_leaves:
        raise ValueError(f"the VJP of {name} for argument {k} returned {len(leaves)} leaves; "
                         f"the argument has {td.num_leaves}")
    return leaves


def _subval(args, k, v):
    out = list(args)
    out[k] = v
    return tuple(out)


def primitive(f_raw: Callable) -> AutogradPrimitive:
    """autograd's ``@primitive``: see :class:`AutogradPrimitive`."""
    return AutogradPrimitive(f_raw)


def defvjp_autograd(fun: AutogradPrimitive, *makers, argnums=None) -> None:
    """autograd's ``defvjp(fun, maker_0, maker_1, ..., argnums=...)`` (replaces earlier ones)."""
    fun.set_vjp_makers(makers, argnums)


def notrace_primitive(f_raw: Callable) -> Callable:
    """A function that sees plain values and whose result carries no derivative."""

    @functools.wraps(f_raw)
    def f_wrapped(*args, **kwargs):
        return f_raw(*map(getval, args), **kwargs)

    f_wrapped._is_primitive = True
    return f_wrapped


def warn_independent() -> None:
    warnings.warn("Output seems independent of input.", stacklevel=3)
