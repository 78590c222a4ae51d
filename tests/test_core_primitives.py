"""Every primitive of the core set through check_grads (order 2, both modes) and vmap."""

import numpy as onp
import pytest
from helpers import check_all

import chainrule.numpy as np

rng = onp.random.default_rng(0)
V = rng.standard_normal(4)
M = rng.standard_normal((3, 4))
B = rng.standard_normal((2, 3, 4))
POS = onp.abs(rng.standard_normal((3, 4))) + 0.5
S = onp.asarray(0.7)

UNARY = [
    ("negative", np.negative), ("exp", np.exp), ("sin", np.sin), ("cos", np.cos),
    ("tanh", np.tanh), ("log", lambda x: np.log(x * x + 0.5)),
    ("sqrt", lambda x: np.sqrt(x * x + 0.5)), ("abs", lambda x: np.abs(x + 3.0)),
    ("sum", np.sum), ("sum_axis0", lambda x: np.sum(x, axis=0)),
    ("sum_axis_neg_keep", lambda x: np.sum(x, axis=-1, keepdims=True)),
    ("mean", np.mean), ("mean_axis", lambda x: np.mean(x, axis=0)),
    ("reshape", lambda x: np.reshape(x, (-1,))), ("transpose", np.transpose),
    ("method_T", lambda x: x.T * 2.0), ("getitem", lambda x: x[..., ::-1][0] * x[0]),
]


@pytest.mark.parametrize("name,f", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("x", [V, M, B], ids=["vector", "matrix", "batched"])
def test_unary(name, f, x):
    check_all(f, x)


def test_scalar_inputs():
    for f in (np.sin, np.exp, np.tanh, lambda x: x ** 3):
        check_all(f, S)


BINARY = [
    ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
    ("divide", lambda x, y: x / (y * y + 0.5)), ("power", lambda x, y: (x * x + 0.5) ** y),
    ("operators", lambda x, y: -x + y * 2.0 - x / 3.0 + x * y),
]


@pytest.mark.parametrize("name,f", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((1, 4), (3, 1)),
                                    ((), (3, 4)), ((2, 3, 4), (3, 1))],
                         ids=["same", "row", "outer", "scalar", "batched"])
def test_binary_broadcasting(name, f, shapes):
    x = rng.standard_normal(shapes[0])
    y = rng.standard_normal(shapes[1])
    check_all(f, x, y)


PRODUCTS = [
    ("matmul_mm", (3, 4), (4, 2)), ("matmul_mv", (3, 4), (4,)), ("matmul_vm", (4,), (4, 2)),
    ("matmul_vv", (4,), (4,)), ("matmul_batched", (2, 3, 4), (4, 2)),
    ("matmul_bb", (2, 3, 4), (2, 4, 5)),
]


@pytest.mark.parametrize("name,sx,sy", PRODUCTS, ids=[p[0] for p in PRODUCTS])
def test_matmul(name, sx, sy):
    x = rng.standard_normal(sx)
    y = rng.standard_normal(sy)
    check_all(np.matmul, x, y)
    check_all(lambda a, b: a @ b, x, y)
    onp.testing.assert_allclose(np.matmul(x, y), onp.matmul(x, y))


@pytest.mark.parametrize("sx,sy", [((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)),
                                   ((3,), ()), ((2, 3, 4), (5, 4, 2))])
def test_dot(sx, sy):
    x = rng.standard_normal(sx)
    y = rng.standard_normal(sy)
    onp.testing.assert_allclose(np.dot(x, y), onp.dot(x, y), atol=1e-12)
    check_all(np.dot, x, y)


def test_tensordot():
    a = rng.standard_normal((2, 3, 4))
    b = rng.standard_normal((4, 3, 5))
    for axes in (1, ([1, 2], [1, 0]), ([2], [0])):
        onp.testing.assert_allclose(np.tensordot(a, b, axes), onp.tensordot(a, b, axes))
        check_all(lambda a, b: np.tensordot(a, b, axes), a, b)
