"""Analytic gradients against numerical ones (SPEC section 5; the seed's Table 1).

Two numerical methods, for every entry of every parameter:
- centred finite differences, (L(theta + h) - L(theta - h)) / 2h, h = 1e-4 as in the course;
- complex step, Im L(theta + i h) / h with h = 1e-30: no subtraction, so exact to machine
  precision; it needs the forward pass on complex numbers, which `model.forward` supports.
Relative error |a - n| / max(eps, |a| + |n|), eps = 1e-15 (seed eq. 1), maximum per parameter.
"""

from __future__ import annotations

import numpy as np

from .model import PARAM_NAMES, Params, gradients, init_params, loss

METHODS = ("finite_difference", "complex_step")
COMPLEX_STEP_H = 1e-30


def relative_error(a, n, eps: float = 1e-15):
    return np.abs(a - n) / np.maximum(eps, np.abs(a) + np.abs(n))


def numerical_gradient(p: Params, name: str, x, y, h0, method: str, h: float) -> np.ndarray:
    """dL/d(parameter `name`) entry by entry."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    q = Params(**{k: v.astype(np.complex128) for k, v in p.arrays().items()}) if method == "complex_step" else p.copy()
    theta = getattr(q, name)
    grad = np.zeros(theta.shape)
    for idx in np.ndindex(theta.shape):
        old = theta[idx]
        if method == "complex_step":
            theta[idx] = old + 1j * COMPLEX_STEP_H
            grad[idx] = loss(q, x, y, h0).imag / COMPLEX_STEP_H
        else:
            theta[idx] = old + h
            up = loss(q, x, y, h0)
            theta[idx] = old - h
            grad[idx] = (up - loss(q, x, y, h0)) / (2 * h)
        theta[idx] = old
    return grad


def check(ids, K: int, m: int, sig: float, seq_length: int, seed: int,
          methods=METHODS, h: float = 1e-4, eps: float = 1e-15) -> dict:
    """The table: {param: {method: max relative error}}, on the first seq_length characters, h0 = 0."""
    ids = np.asarray(ids)
    x, y = ids[:seq_length], ids[1:seq_length + 1]
    p = init_params(K, m, sig, seed)
    h0 = np.zeros(m)
    _, analytic, _ = gradients(p, x, y, h0)
    table = {}
    for name in ("V", "W", "U", "c", "b"):  # the seed's row order
        a = getattr(analytic, name)
        table[name] = {
            method: float(relative_error(a, numerical_gradient(p, name, x, y, h0, method, h), eps).max())
            for method in methods
        }
    assert set(table) == set(PARAM_NAMES)
    return table
