"""The fixed-order products against the order they promise, bit for bit: every output is
(...((C + A(r,0) B[0,l]) + A(r,1) B[1,l]) + ...), which plain Python floats compute exactly so."""

import numpy as np
import pytest

from rnn.core import products


def _in_order(C, A, B):
    """C + A B with each sum taken first term to last, one IEEE operation at a time (no FMA)."""
    out = C.copy()
    for r in range(A.shape[0]):
        for col in range(B.shape[1]):
            s = float(out[r, col])
            for p in range(A.shape[1]):
                s = s + float(A[r, p]) * float(B[p, col])
            out[r, col] = s
    return out


SHAPES = [
    (25, 100, 80),  # O = H V^T: the default run's sizes (tiles of 8 x 8, strips of 32, 32, 36)
    (25, 72, 100),
    (100, 100, 25),  # dW = dA^T H
    (80, 100, 25),
    (13, 37, 11),  # every remainder: 4-row tiles, 4-wide and single columns
    (1, 1, 1),
    (9, 36, 3),
]


@pytest.mark.parametrize("rows,cols,n", SHAPES)
def test_accumulate_sums_in_the_documented_order(rng, rows, cols, n):
    A, B, C = rng.standard_normal((rows, n)), rng.standard_normal((n, cols)), rng.standard_normal((rows, cols))
    got = C.copy()
    products.accumulate(got.reshape(-1), 0, cols, A.reshape(-1), 0, n, 1, B.reshape(-1), 0, cols, rows, cols, n)
    assert np.array_equal(got, _in_order(C, A, B))
    # A read through strides, as the kernel reads dO^T and dA^T: A(r, p) = At[p, r]
    At = np.ascontiguousarray(A.T)
    got = C.copy()
    products.accumulate(got.reshape(-1), 0, cols, At.reshape(-1), 0, 1, rows, B.reshape(-1), 0, cols, rows, cols, n)
    assert np.array_equal(got, _in_order(C, A, B))


@pytest.mark.parametrize("n,cols", [(100, 100), (100, 72), (7, 5), (33, 41)])
def test_matvec_in_either_strip_order_is_the_same_sum(rng, n, cols):
    B, x, y = rng.standard_normal((n, cols)), rng.standard_normal(n), rng.standard_normal(cols)
    want = _in_order(y[None, :], x[None, :], B)[0]
    for backwards in (False, True):
        got = y.copy()
        products.matvec_acc(got, x, B, backwards)
        assert np.array_equal(got, want), backwards
