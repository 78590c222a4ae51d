"""The rest of NumPy's namespace: comparisons of whole arrays, printing, dtype queries,
configuration, file I/O, windows, ``i0``, and the in-place functions.

Why a module of its own: a NumPy script that switches to ``import chainrule.numpy as np``
calls ``np.allclose``, ``np.set_printoptions`` or ``np.loadtxt`` as often as ``np.sin``;
none has a derivative, but each must exist, accept traced values where it takes arrays
(``np.array_str(x)`` while debugging a loss), and under ``vmap`` work per example or say
clearly why it cannot. The in-place functions (``copyto``, ``fill_diagonal``, ``put`` ...)
work on plain arrays and raise on a traced one, pointing to the functional ``.at[...]`` form.
``NOT_PROVIDED`` lists, with a reason each, the few public NumPy callables that
``chainrule.numpy`` deliberately leaves out.

Differentiable here: ``i0`` (d i0 = i1, taken from SciPy when a derivative is asked for)
and ``kaiser`` in ``beta``.

    >>> import chainrule
    >>> round(float(chainrule.grad(i0)(1.0)), 12)  # i1(1)
    0.565159103992
"""

from __future__ import annotations

import numpy as _np

from ..core.batching import batch_elementwise
from ..core.primitive import Primitive
from ..core.trace import Tracer
from ._passthrough import inplace, passthrough

# --- whole-array comparisons, printing, bit packing: values in, no derivative out ------------

allclose = passthrough(_np.allclose, "allclose")
array_equal = passthrough(_np.array_equal, "array_equal")
array_equiv = passthrough(_np.array_equiv, "array_equiv")
array2string = passthrough(_np.array2string, "array2string")
array_repr = passthrough(_np.array_repr, "array_repr")
array_str = passthrough(_np.array_str, "array_str")
format_float_positional = passthrough(_np.format_float_positional, "format_float_positional")
format_float_scientific = passthrough(_np.format_float_scientific, "format_float_scientific")
base_repr = passthrough(_np.base_repr, "base_repr")
binary_repr = passthrough(_np.binary_repr, "binary_repr")
packbits = passthrough(_np.packbits, "packbits")
unpackbits = passthrough(_np.unpackbits, "unpackbits")
min_scalar_type = passthrough(_np.min_scalar_type, "min_scalar_type",
                              batch="error", reason="the result is one dtype for the batch, "
                              "but a 0-d value's dtype depends on its value")

# --- file output: writes the values (a side effect, so not under vmap) -----------------------

_WRITES = "it writes a file: one call cannot hold a batch of examples"
save = passthrough(_np.save, "save", batch="error", reason=_WRITES)
savez = passthrough(_np.savez, "savez", batch="error", reason=_WRITES)
savez_compressed = passthrough(_np.savez_compressed, "savez_compressed", batch="error",
                               reason=_WRITES)
savetxt = passthrough(_np.savetxt, "savetxt", batch="error", reason=_WRITES)


# --- queries that read only dtypes and shapes ---------------------------------------------------

def _standin(x):
    """A traced value's dtype and shape without its values (a zero-stride array)."""
    if isinstance(x, Tracer):
        return _np.broadcast_to(_np.zeros((), dtype=x.dtype), x.shape)
    if isinstance(x, (list, tuple)) and any(isinstance(v, Tracer) for v in x):
        return type(x)(_standin(v) for v in x)
    return x


def _meta(fn, name, what="reads only dtypes and shapes"):
    def wrapper(*args, **kwargs):
        return fn(*[_standin(a) for a in args], **{k: _standin(v) for k, v in kwargs.items()})

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = f"``numpy.{name}``; not differentiable ({what})."
    wrapper.__wrapped__ = fn
    return wrapper


can_cast = _meta(_np.can_cast, "can_cast")
common_type = _meta(_np.common_type, "common_type")
promote_types = _meta(_np.promote_types, "promote_types")
mintypecode = _meta(_np.mintypecode, "mintypecode")
isdtype = _meta(_np.isdtype, "isdtype")
issubdtype = _meta(_np.issubdtype, "issubdtype")
isscalar = _meta(_np.isscalar, "isscalar")  # a traced value is an array, never a scalar
iterable = _meta(_np.iterable, "iterable")
isfortran = _meta(_np.isfortran, "isfortran")  # a traced value has no memory layout: False
broadcast_shapes = _meta(_np.broadcast_shapes, "broadcast_shapes")
typename = _meta(_np.typename, "typename")
mask_indices = _meta(_np.mask_indices, "mask_indices")


def shares_memory(a, b, /, max_work=None):
    """``numpy.shares_memory``; a traced value is immutable and shares memory only with
    itself."""
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        return a is b
    return _np.shares_memory(a, b) if max_work is None else _np.shares_memory(a, b, max_work)


def may_share_memory(a, b, /, max_work=None):
    """``numpy.may_share_memory``; as ``shares_memory`` for traced values."""
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        return a is b
    return _np.may_share_memory(a, b) if max_work is None else \
        _np.may_share_memory(a, b, max_work)


# --- configuration and file input: no arrays in, constants out ------------------------------

_CONFIG = ("get_printoptions", "set_printoptions", "printoptions", "getbufsize", "setbufsize",
           "geterr", "seterr", "geterrcall", "seterrcall")
_LOADERS = ("load", "loadtxt", "genfromtxt", "fromfile", "fromstring", "fromregex",
            "frombuffer")
for _name in _CONFIG:
    globals()[_name] = _meta(getattr(_np, _name), _name, "configuration")
for _name in _LOADERS:
    globals()[_name] = _meta(getattr(_np, _name), _name, "file input: a constant array")

# --- window functions -------------------------------------------------------------------------

bartlett = _meta(_np.bartlett, "bartlett", "a constant window of M points")
blackman = _meta(_np.blackman, "blackman", "a constant window of M points")
hamming = _meta(_np.hamming, "hamming", "a constant window of M points")
hanning = _meta(_np.hanning, "hanning", "a constant window of M points")


def kaiser(M, beta):
    """``numpy.kaiser``; differentiable in ``beta`` (through ``i0``)."""
    if not isinstance(beta, Tracer):
        return _np.kaiser(M, beta)
    from .elementwise import sqrt

    M = int(M)
    if M <= 0:
        return _np.array([])
    if M == 1:
        return _np.ones(1) + 0.0 * beta
    n = _np.arange(0, M)
    alpha = (M - 1) / 2.0
    return i0(beta * sqrt(1 - ((n - alpha) / alpha) ** 2.0)) / i0(beta)


# --- i0 and its derivative i1 -------------------------------------------------------------------

def _i1_impl(x):
    from scipy.special import i1 as sp_i1  # SciPy only when a derivative is asked for

    return sp_i1(x)


def _i1_over_x(x):
    """i1(x) / x, with its limit 1/2 at x = 0 (where it is even, so its slope there is 0)."""
    from .elementwise import equal, where

    zero = equal(x, 0.0)
    safe = where(zero, 1.0, x)
    return where(zero, 0.5, i1(safe) / safe)


def _i0_impl(x):
    return _np.i0(x)


i0_p = Primitive("i0", _i0_impl)
i0_p.defvjp(lambda g, ans, x: g * i1(x))
i0_p.defjvp(lambda g, ans, x: g * i1(x))
i0_p.defbatch(batch_elementwise(i0_p))

# i1' = i0 - i1 / x (at 0: 1/2). Third and higher derivatives at exactly x = 0 see the
# constant limit of i1/x, so they are 0 there instead of 1/8.
i1 = Primitive("i1", _i1_impl, register=False)
i1.defvjp(lambda g, ans, x: g * (i0_p(x) - _i1_over_x(x)))
i1.defjvp(lambda g, ans, x: g * (i0_p(x) - _i1_over_x(x)))
i1.defbatch(batch_elementwise(i1))


def i0(x):
    """``numpy.i0`` (modified Bessel function of the first kind, order 0); differentiable
    for real x: d i0(x)/dx = i1(x), computed by ``scipy.special.i1`` (imported only when a
    derivative is taken)."""
    if isinstance(x, Tracer) and _np.issubdtype(x.dtype, _np.complexfloating):
        raise TypeError("i0: complex input is not supported (as in numpy.i0)")
    return i0_p(x)


# --- in place: plain arrays as NumPy; traced arrays point to the functional form ---------------

copyto = inplace(_np.copyto, "copyto",
                 "dst = chainrule.numpy.where(where_mask, src, dst), or "
                 "chainrule.numpy.broadcast_to(src, dst.shape)")
fill_diagonal = inplace(_np.fill_diagonal, "fill_diagonal",
                        "a = a.at[numpy.diag_indices_from(a)].set(val)")
place = inplace(_np.place, "place",
                "arr = arr.at[mask].set(vals) (vals holding one entry per True in mask)")
put = inplace(_np.put, "put",
              "a = chainrule.numpy.ravel(a).at[ind].set(v).reshape(a.shape)")
putmask = inplace(_np.putmask, "putmask",
                  "a = chainrule.numpy.where(mask, values, a)")
put_along_axis = inplace(_np.put_along_axis, "put_along_axis",
                         "idx = list(numpy.ogrid[tuple(map(slice, arr.shape))]); "
                         "idx[axis] = indices; arr = arr.at[tuple(idx)].set(values)")


# --- what chainrule.numpy leaves out, and why ---------------------------------------------------

_DATETIME = "datetime64 calendars and units: no floating-point values to differentiate"
_MATRIX = ("builds numpy.matrix, whose * is a matrix product; use 2-D arrays "
           "(chainrule.numpy.block, atleast_2d) and @")
NOT_PROVIDED = {
    "asmatrix": _MATRIX,
    "bmat": _MATRIX,
    "busday_count": _DATETIME,
    "busday_offset": _DATETIME,
    "is_busday": _DATETIME,
    "datetime_as_string": _DATETIME,
    "datetime_data": _DATETIME,
    "frompyfunc": ("makes an object-dtype ufunc that calls Python per element; write the "
                   "function with chainrule.numpy operations, or batch it with chainrule.vmap"),
    "from_dlpack": ("imports another library's memory without a copy; a traced value has no "
                    "buffer to share: convert (numpy.from_dlpack) outside the traced code"),
    "nested_iters": ("iterates over raw array memory; traced values have none: use "
                     "array operations"),
    "info": "NumPy's help browser: use numpy.info",
    "show_config": "NumPy's build configuration: use numpy.show_config",
    "show_runtime": "NumPy's runtime environment report: use numpy.show_runtime",
    "get_include": "C headers for building extensions against NumPy: use numpy.get_include",
    "test": "NumPy's own test suite: use numpy.test",
}


DIFFERENTIABLE = ["i0", "kaiser"]
NONDIFFERENTIABLE = [
    "allclose", "array2string", "array_equal", "array_equiv", "array_repr", "array_str",
    "bartlett", "base_repr", "binary_repr", "blackman", "broadcast_shapes", "can_cast",
    "common_type", "copyto", "fill_diagonal", "format_float_positional",
    "format_float_scientific", "hamming", "hanning", "isdtype", "isfortran", "isscalar",
    "issubdtype", "iterable", "mask_indices", "may_share_memory", "min_scalar_type",
    "mintypecode", "packbits", "place", "promote_types", "put", "put_along_axis", "putmask",
    "save", "savetxt", "savez", "savez_compressed", "shares_memory", "typename", "unpackbits",
    *_CONFIG, *_LOADERS,
]
del _name
