"""NumPy's polynomial functions (chainrule.rules.polynomial): values against NumPy on plain
and traced arguments, then check_all (check_grads order 2 in both modes, vmap, derivatives
under vmap). Root sets are compared through symmetric functions (power sums), which do not
depend on the order eig returns them in.
"""

import doctest

import numpy as onp
import pytest
from helpers import check_all, square_floats, values_match

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.rules import polynomial

rng = onp.random.default_rng(3)
P3 = onp.array([1.3, -0.4, 0.7])
P5 = onp.array([0.9, 0.2, -1.1, 0.5, 0.3])
X8 = onp.linspace(-1.0, 1.2, 8) + 0.01 * rng.standard_normal(8)
Y8 = onp.sin(2 * X8) + 0.1 * rng.standard_normal(8)
W8 = 0.5 + rng.uniform(size=8)
Y82 = onp.stack([Y8, onp.cos(X8)], 1)
A3 = rng.standard_normal((3, 3))
ROOTS = onp.array([0.5, -1.2, 2.0, 0.3])


def _power_sums(m, r):
    """sum(r**j) for j = 1..3: real for a real polynomial, independent of the root order
    (written as products: see notes/core-bugs/numpy-misc-1.md for x**1 at x = 0)."""
    return m.real(m.stack([m.sum(r), m.sum(r * r), m.sum(r * r * r)]))


TABLE = [
    ("polyadd", lambda m, a, b: m.polyadd(a, b), [P3, P5]),
    ("polyadd_scalar", lambda m, a, b: m.polyadd(a, b), [onp.asarray(0.4), P3]),
    ("polysub", lambda m, a, b: m.polysub(a, b), [P5, P3]),
    ("polymul", lambda m, a, b: m.polymul(a, b), [P3, P5]),
    ("polydiv", lambda m, a, b: m.polydiv(a, b), [P5, P3]),
    ("polydiv_short", lambda m, a, b: m.polydiv(a, b), [P3[:2].copy(), P5]),
    ("polyder", lambda m, a: m.polyder(a), [P5]),
    ("polyder_2", lambda m, a: m.polyder(a, 2), [P5]),
    ("polyint", lambda m, a: m.polyint(a), [P3]),
    ("polyint_k", lambda m, a, k: m.polyint(a, 2, k), [P3, onp.array([0.3, -0.2])]),
    ("polyint_scalar_k", lambda m, a, k: m.polyint(a, 3, k), [P3, onp.asarray(0.7)]),
    ("poly_roots", lambda m, r: m.poly(r), [ROOTS]),
    ("poly_matrix", lambda m, a: m.poly(a), [A3]),
    ("roots_power_sums", lambda m, p: _power_sums(m, m.roots(p)), [P5]),
    ("roots_trailing_zero", lambda m, p: _power_sums(m, m.roots(p)),
     [onp.array([1.0, -0.5, 0.25, 0.0])]),
    ("roots_of_poly", lambda m, r: m.sort(m.real(m.roots(m.poly(r)))), [ROOTS]),
    ("vander", lambda m, x: m.vander(x), [P5]),
    ("vander_n_increasing", lambda m, x: m.vander(x, 3, increasing=True), [P5]),
    ("vander_zero", lambda m, x: m.vander(x, 4), [onp.array([0.0, 1.5, -0.5])]),
    ("polyfit", lambda m, x, y: m.polyfit(x, y, 2), [X8, Y8]),
    ("polyfit_2d_y", lambda m, x, y: m.polyfit(x, y, 3), [X8, Y82]),
    ("polyfit_weights", lambda m, x, y, w: m.polyfit(x, y, 2, w=w), [X8, Y8, W8]),
    ("polyfit_cov", lambda m, x, y: m.polyfit(x, y, 2, cov=True), [X8, Y8]),
    ("polyfit_cov_unscaled", lambda m, x, y: m.polyfit(x, y, 1, cov="unscaled"), [X8, Y8]),
    ("polyfit_full", lambda m, x, y: m.polyfit(x, y, 2, full=True)[:2], [X8, Y8]),
]


@pytest.mark.parametrize("name,f,args", TABLE, ids=[t[0] for t in TABLE])
def test_polynomial(name, f, args):
    values_match(f, args, dtypes=False, rtol=1e-10)
    check_all(lambda *a: square_floats(f(cnp, *a)), *args)


def test_polyval_of_polyfit_interpolates():
    # fitting a cubic exactly through 4 points: d fit(x0) / d y = e_0 (interpolation)
    x = onp.array([-1.0, 0.0, 0.5, 2.0])
    y = onp.array([0.3, -0.2, 1.0, 0.4])
    g = cr.grad(lambda yy: cnp.polyval(cnp.polyfit(x, yy, 3), x[1]))(y)
    onp.testing.assert_allclose(g, [0, 1, 0, 0], atol=1e-10)


def test_root_derivative_closed_form():
    # a simple root r of p moves by dr/dp_k = -r^(n-k) / p'(r)
    p = onp.array([1.0, -3.0, 2.0])  # roots 1, 2
    g = cr.jacobian(lambda c: cnp.sort(cnp.real(cnp.roots(c))))(p)
    for i, r in enumerate([1.0, 2.0]):
        dp = 2 * r - 3.0
        onp.testing.assert_allclose(g[i], [-r ** 2 / dp, -r / dp, -1 / dp], atol=1e-12)


def test_roots_strip_leading_zeros_and_complex_output():
    r = cr.vjp(lambda c: cnp.roots(c), onp.array([0.0, 1.0, 0.0, 1.0]))[0]
    onp.testing.assert_allclose(onp.sort_complex(r), onp.sort_complex(onp.roots([1, 0, 1])))
    assert onp.iscomplexobj(r)


def test_charpoly_derivative_at_repeated_eigenvalues():
    # det(x I - A) for A = I: the coefficients are smooth in A even though eig is not
    g = cr.jacobian(lambda a: cnp.poly(a))(onp.eye(2))
    # coefficients: [1, -tr A, det A]; d tr / dA = I, d det / dA = cof(A) = I at A = I
    onp.testing.assert_allclose(g[1], -onp.eye(2), atol=1e-12)
    onp.testing.assert_allclose(g[2], onp.eye(2), atol=1e-12)


def test_plain_numpy_dispatches():
    f = lambda c: onp.sum(onp.polyder(onp.polymul(c, c))) + onp.sum(onp.polyint(c))  # noqa: E731
    want = cr.grad(lambda c: cnp.sum(cnp.polyder(cnp.polymul(c, c))) + cnp.sum(cnp.polyint(c)))
    onp.testing.assert_allclose(cr.grad(f)(P3), want(P3))


def test_poly1d_is_refused_with_traced_values():
    with pytest.raises(TypeError, match="poly1d"):
        cr.grad(lambda c: cnp.sum(cnp.polyadd(onp.poly1d([1.0, 2.0]), c)))(P3)


def test_module_doctest():
    assert doctest.testmod(polynomial, optionflags=doctest.ELLIPSIS).failed == 0
