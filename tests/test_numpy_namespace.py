"""chainrule.numpy against NumPy's whole namespace.

(a) every public name of chainrule.numpy is a listed function or a known constant, dtype or
submodule; (b) every public NumPy function (callables that are not classes) is
DIFFERENTIABLE, NONDIFFERENTIABLE or NOT_PROVIDED (with a reason), so a function added by a
new NumPy release fails here until it is classified; (c) differentiable functions are reached
from plain ``numpy`` calls on traced values; (d) the lists do not overlap.
"""

import numpy as onp
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.core.tracer_ops import function_map
from chainrule.rules import NUMPY_FAMILIES
from chainrule.rules.utilities import NOT_PROVIDED

CONSTANTS = {"e", "euler_gamma", "inf", "nan", "pi", "newaxis"}
DTYPES = {"bool_", "complex64", "complex128", "dtype", "float16", "float32", "float64", "int8",
          "int16", "int32", "int64", "intp", "uint8", "uint16", "uint32", "uint64"}
SUBMODULES = {"fft", "linalg", "random"}
# the lists themselves; tracer-method entry points (x[idx], x.flatten());
# ``annotations`` is the module's ``from __future__ import annotations``.
MACHINERY = {"DIFFERENTIABLE", "NONDIFFERENTIABLE", "NOT_PROVIDED", "getitem", "flatten",
             "annotations"}
# chainrule.numpy functions with no NumPy namesake
CHAINRULE_ONLY = {"at"}
# Differentiable functions that NumPy does not route through __array_function__ (array
# constructors and functions of no array argument): plain numpy.asarray(tracer) cannot reach
# chainrule, so these are used as chainrule.numpy.<name>.
NOT_DISPATCHED = {"array", "asanyarray", "asarray", "asarray_chkfinite", "ascontiguousarray",
                  "asfortranarray", "fromfunction", "fromiter", "full", "kaiser", "require",
                  "row_stack"}


def _numpy_functions():
    out = set()
    for n in dir(onp):
        if n.startswith("_"):
            continue
        obj = getattr(onp, n)
        if callable(obj) and not isinstance(obj, type):
            out.add(n)
    return out


def test_every_chainrule_name_is_classified():
    public = {n for n in dir(cnp) if not n.startswith("_")}
    listed = set(cnp.DIFFERENTIABLE) | set(cnp.NONDIFFERENTIABLE)
    unknown = public - listed - CONSTANTS - DTYPES - SUBMODULES - MACHINERY
    assert not unknown, f"public names of chainrule.numpy in no list: {sorted(unknown)}"
    missing = [n for n in listed if not callable(getattr(cnp, n, None))]
    assert not missing, f"listed but not provided: {missing}"
    for n in CONSTANTS | DTYPES:
        assert getattr(cnp, n) is getattr(onp, n) or (n == "nan" and onp.isnan(cnp.nan)), n


def test_every_numpy_function_is_classified():
    listed = set(cnp.DIFFERENTIABLE) | set(cnp.NONDIFFERENTIABLE) | set(NOT_PROVIDED)
    new = _numpy_functions() - listed
    assert not new, (f"NumPy functions chainrule.numpy does not classify (add them to a "
                     f"family's DIFFERENTIABLE/NONDIFFERENTIABLE, or to NOT_PROVIDED with a "
                     f"reason): {sorted(new)}")
    stale = set(NOT_PROVIDED) - _numpy_functions()
    assert not stale, f"NOT_PROVIDED names NumPy no longer has: {sorted(stale)}"
    assert (set(cnp.DIFFERENTIABLE) | set(cnp.NONDIFFERENTIABLE)) - _numpy_functions() \
        == CHAINRULE_ONLY


def test_not_provided_names_have_reasons_and_are_absent():
    for name, reason in NOT_PROVIDED.items():
        assert isinstance(reason, str) and len(reason) > 10, name
        assert not hasattr(cnp, name) or name in MACHINERY, name


def test_lists_do_not_overlap():
    d, nd = cnp.DIFFERENTIABLE, cnp.NONDIFFERENTIABLE
    assert len(d) == len(set(d)), "a name twice in DIFFERENTIABLE"
    assert len(nd) == len(set(nd)), "a name twice in NONDIFFERENTIABLE"
    assert not set(d) & set(nd)
    assert not set(NOT_PROVIDED) & (set(d) | set(nd))
    per_family = [n for fam in NUMPY_FAMILIES for n in fam.DIFFERENTIABLE + fam.NONDIFFERENTIABLE]
    assert len(per_family) == len(set(per_family)), "two families define the same name"


def test_no_numpy_function_object_is_reexported():
    # chainrule.numpy.f must wrap numpy.f: the dispatch map sends numpy.f(tracer) to it, and
    # numpy.f itself would dispatch back forever
    same = [n for n in cnp.DIFFERENTIABLE + cnp.NONDIFFERENTIABLE
            if getattr(cnp, n) is getattr(onp, n, None)]
    assert not same


def test_differentiable_functions_dispatch_from_plain_numpy():
    not_dispatched = set()
    for n in cnp.DIFFERENTIABLE:
        f = getattr(onp, n, None)
        if f is None:
            continue
        if isinstance(f, onp.ufunc):
            ours = getattr(cnp, f.__name__, None)
            assert ours is not None and ours is not f, n  # __array_ufunc__ finds it by name
        elif hasattr(f, "_implementation"):  # NumPy dispatches it via __array_function__
            assert function_map.get(f) in (getattr(cnp, n), getattr(cnp, f.__name__)), n
        else:
            not_dispatched.add(n)
    assert not_dispatched == NOT_DISPATCHED


def test_nondifferentiable_functions_reach_chainrule_too():
    for n in cnp.NONDIFFERENTIABLE:
        f = getattr(onp, n, None)
        if f is not None and not isinstance(f, onp.ufunc) and hasattr(f, "_implementation"):
            assert function_map.get(f) in (getattr(cnp, n), getattr(cnp, f.__name__)), n


X = onp.array([0.3, -1.2, 2.0, 0.7, -0.4, 1.1])
SAMPLES = [
    ("median", lambda m, x: m.median(x)),
    ("percentile", lambda m, x: m.sum(m.percentile(x, [20.0, 70.0]))),
    ("gradient", lambda m, x: m.sum(m.gradient(x) ** 2)),
    ("trapezoid", lambda m, x: m.trapezoid(x * x)),
    ("diff", lambda m, x: m.sum(m.diff(x, 2) ** 2)),
    ("cov", lambda m, x: m.sum(m.cov(m.reshape(x, (2, 3))))),
    ("polyfit", lambda m, x: m.sum(m.polyfit(m.arange(6.0), x, 2) ** 2)),
    ("block", lambda m, x: m.sum(m.block([[x[:3]], [x[3:]]]) ** 2)),
    ("delete_insert", lambda m, x: m.sum(m.insert(m.delete(x, 1), 0, x[2]) ** 3)),
    ("partition", lambda m, x: m.partition(x, 3)[3]),
    ("unique_values", lambda m, x: m.sum(m.unique_values(x) ** 2)),
    ("i0", lambda m, x: m.sum(m.i0(x))),
    ("histogram", lambda m, x: m.sum(m.histogram(X, 3, weights=x * x)[0] ** 2)),
    ("unwrap", lambda m, x: m.sum(m.unwrap(x * 3.0) ** 2)),
    ("corrcoef", lambda m, x: m.corrcoef(x, x * x)[0, 1]),
]


@pytest.mark.parametrize("name,f", SAMPLES, ids=[s[0] for s in SAMPLES])
def test_plain_numpy_calls_under_grad(name, f):
    want = cr.grad(lambda x: f(cnp, x))(X)
    got = cr.grad(lambda x: f(onp, x))(X)
    onp.testing.assert_allclose(got, want, rtol=1e-12)
    assert onp.any(got != 0)
