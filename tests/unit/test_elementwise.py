"""The array exp and tanh of rnn/core/elementwise.py give the bits of the scalar kernel.fast_exp and
kernel.fast_tanh on every element: random values over the whole range, both sides of every branch
point (the clamps at -708 and 709, |x| = 0.625, 0), signed zeros, subnormals, infinities and NaN, and
every length through the loop's block, vector and single-element parts; this CPU's vector width only
(tests/workflow/test_portable.py runs the whole pipeline on the others)."""

import numpy as np
import pytest
from numba import njit

from rnn.core import kernel
from rnn.core.elementwise import LOG2E, exp_into, tanh_into


@njit(error_model="numpy")
def _scalar(xs, shift, tanh):
    out = np.empty_like(xs)
    for i in range(xs.shape[0]):
        out[i] = kernel.fast_tanh(xs[i]) if tanh else kernel.fast_exp(xs[i] - shift)
    return out


@njit(error_model="numpy")
def _arrays(xs, shift, tanh):
    out = np.empty_like(xs)
    if tanh:
        tanh_into(out, xs)
    else:
        exp_into(out, xs, shift)
    return out


@njit(error_model="numpy")
def _in_place(xs, shift, tanh):
    if tanh:
        tanh_into(xs, xs)
    else:
        exp_into(xs, xs, shift)


def _ulps_around(points, k: int = 3):
    """Each point and its k nearest doubles on either side."""
    points = np.asarray(points, dtype=np.float64)
    out = [points]
    up, down = points.copy(), points.copy()
    for _ in range(k):
        up, down = np.nextafter(up, np.inf), np.nextafter(down, -np.inf)
        out += [up, down]
    return np.concatenate(out)


def _values():
    edges = [0.0, 0.625, 708.0, 709.0, 710.0, 1e-300, 5e-324, 1e308, 20.0, 19.0]
    special = np.concatenate([_ulps_around(edges, 1), [np.inf, np.nan]])
    # where exp's n = floor(x log2 e + 1/2) steps, (k - 1/2) / log2 e, and tanh's argument -2|x| reaches them
    steps = (np.arange(-1022, 1024) - 0.5) / LOG2E
    rng = np.random.default_rng(20)
    return np.concatenate([special, -special, _ulps_around(steps), _ulps_around(-steps / 2),
                           np.linspace(-0.625, 0.625, 40_001),  # tanh's rational part, densely
                           rng.standard_normal(20_011) * 3, rng.uniform(-760, 760, 5003),
                           rng.standard_normal(1001) * 1e-6])


@pytest.mark.parametrize("tanh, shift", [(False, 0.0), (False, 1.75), (False, -3.0), (True, 0.0)])
def test_the_array_functions_give_the_scalar_bits(tanh, shift):
    xs = _values()
    for n in (0, 1, 3, 4, 5, 15, 16, 17, 31, 33, len(xs)):
        expected, got = _scalar(xs[:n], shift, tanh), _arrays(xs[:n], shift, tanh)
        assert np.array_equal(expected.view(np.int64), got.view(np.int64)), n  # every bit, NaN's and zeros' signs
    in_place = xs.copy()
    _in_place(in_place, shift, tanh)
    assert np.array_equal(in_place.view(np.int64), _scalar(xs, shift, tanh).view(np.int64))


def test_arrays_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        _in_place_pair(np.zeros(5), np.zeros(4))


@njit(error_model="numpy")
def _in_place_pair(dst, src):
    tanh_into(dst, src)
