"""The fixed-order products against the order they promise, bit for bit: every output is
(...((C + A(r,0) B[0,l]) + A(r,1) B[1,l]) + ...), which plain Python floats compute exactly so;
on the views the kernels pass (a transposed A as dA.T, row slices as H[1:], column blocks of W^T)."""

import numpy as np
import pytest
from numba import njit

from rnn.core.products import matmul, matmul_add, matvec_acc


# the products are intrinsics, for compiled code: these call them on the views numpy passes in
@njit
def _matmul_add(C, A, B):
    matmul_add(C, A, B)


@njit
def _matmul(C, A, B):
    matmul(C, A, B)


@njit
def _matvec_acc(y, x, B, backwards):
    matvec_acc(y, x, B, backwards)


@njit
def _matvec_acc_default(y, x, B):
    matvec_acc(y, x, B)


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


def _inside(rng, a, rows=(2, 1), cols=(3, 2)):
    """A view of a bigger random array holding a's values: its strides are not a's shape."""
    big = rng.standard_normal((rows[0] + a.shape[0] + rows[1], cols[0] + a.shape[1] + cols[1]))
    view = big[rows[0]:rows[0] + a.shape[0], cols[0]:cols[0] + a.shape[1]]
    view[...] = a
    return view


def _transposed(a):
    """A view with a's values read by columns, as the kernel reads dA.T and Pr.T."""
    return np.ascontiguousarray(a.T).T


SHAPES = [
    (25, 100, 80),  # O = H V^T: the default run's sizes (tiles of 8 x 8, strips of 32, 32, 36)
    (25, 72, 100),
    (100, 100, 25),  # dW = dA^T H
    (80, 100, 25),
    (13, 37, 11),  # every remainder: 4-row tiles, 4-wide and single columns
    (1, 1, 1),
    (9, 36, 3),
]


def _operands(rng, rows, cols, n):
    """(A, B, C) values and, for each, the views the kernels use; C's are for writing into."""
    A, B, C = rng.standard_normal((rows, n)), rng.standard_normal((n, cols)), rng.standard_normal((rows, cols))
    views = [
        (A, B, C.copy()),  # contiguous
        (_transposed(A), B, C.copy()),  # dO^T, dA^T
        (_inside(rng, A, cols=(0, 0)), _inside(rng, B, cols=(0, 0)), C.copy()),  # H[1:], H[:-1]: row slices
        (_inside(rng, A), _inside(rng, B), _inside(rng, C)),  # blocks of columns: W^T's, gW's, dA's
        (_inside(rng, np.ascontiguousarray(A.T)).T, B, _inside(rng, C, cols=(0, 0))),  # dA[:, 2m:].T, gW[2m:]
    ]
    return A, B, C, views


@pytest.mark.parametrize("rows,cols,n", SHAPES)
def test_matmul_add_sums_in_the_documented_order_on_every_view(rng, rows, cols, n):
    A, B, C, views = _operands(rng, rows, cols, n)
    want = _in_order(C, A, B)
    for i, (a, b, c) in enumerate(views):
        _matmul_add(c, a, b)
        assert np.array_equal(c, want), i


@pytest.mark.parametrize("rows,cols,n", SHAPES)
def test_matmul_is_the_sum_from_zero_and_does_not_read_c(rng, rows, cols, n):
    A, B, C, views = _operands(rng, rows, cols, n)
    want = _in_order(np.zeros_like(C), A, B)
    for i, (a, b, c) in enumerate(views):
        c[...] = np.nan
        _matmul(c, a, b)
        assert np.array_equal(c, want), i


@pytest.mark.parametrize("n,cols", [(100, 100), (100, 72), (7, 5), (33, 41)])
def test_matvec_in_either_strip_order_is_the_same_sum(rng, n, cols):
    B, x, y = rng.standard_normal((n, cols)), rng.standard_normal(n), rng.standard_normal(cols)
    want = _in_order(y[None, :], x[None, :], B)[0]
    got = y.copy()
    _matvec_acc_default(got, x, B)
    assert np.array_equal(got, want)
    strided_x = _inside(rng, x[:, None], cols=(1, 1))[:, 0]
    for backwards in (False, True):
        for b, xv in ((B, x), (_inside(rng, B), strided_x)):  # W^T's blocks of columns; a column as x
            got = y.copy()
            _matvec_acc(got, xv, b, backwards)
            assert np.array_equal(got, want), backwards


def test_shapes_that_do_not_match_or_rows_not_contiguous_are_refused_before_writing(rng):
    """The loops trust the shapes and read rows of B and C as vectors: anything else would read out of
    bounds or the wrong elements."""
    A, B, C = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    bad = [(C, A, B[:3]), (C, A[:2], B), (C[:, :4], A, B),  # shapes
           (C, A, _transposed(B)), (C, A, _inside(rng, np.repeat(B, 2, axis=1))[:, ::2]),  # B's rows
           (_transposed(C), A, B)]  # C's rows
    for i, (c, a, b) in enumerate(bad):
        before = c.copy()
        for product in (_matmul_add, _matmul):
            with pytest.raises(ValueError, match="shapes that do not match, or a row"):
                product(c, a, b)
            assert np.array_equal(c, before), i
    y, x = rng.standard_normal(5), rng.standard_normal(4)
    for yv, xv, b in ((y[:4], x, B), (y, x[:3], B), (y, x, _transposed(B)), (np.repeat(y, 2)[::2], x, B)):
        with pytest.raises(ValueError, match="matvec_acc: shapes that do not match"):
            _matvec_acc(yv, xv, b, False)
