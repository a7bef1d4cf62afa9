"""The gradient check of every cell (docs/algorithm.md sections 5 and 7.5): `gradcheck.py`'s table for
the LSTM and the GRU, by the same two methods, on the cell kernels' fixed-order arithmetic.

- analytic: `cell_kernels`' back-propagation, un-clipped: one update of training's own kernel
  (gradcheck.analytic_gradients, for every cell);
- centred finite differences (L(theta + h) - L(theta - h)) / 2h, on the kernels' forward pass;
- the complex step Im L(theta + ih) / h as h -> 0, by forward-mode dual numbers: for one entry at a
  time, the derivative of every value of the forward pass is carried through the cell's equations
  (sections 7.3-7.4: sigma' = sigma (1 - sigma), tanh' = 1 - tanh^2, products by the product rule,
  d log softmax = do - p . do). No difference of nearly equal losses, so it is exact to rounding;
  `cells.py`'s complex-number forward pass is the test oracle for it.
Entries of U for characters absent from the checked inputs have a gradient of exactly 0 by every
method and are not computed; the derivative of an entry of U is carried from the first step it acts on.
For the RNN, `check` is gradcheck.check.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from . import cell_kernels as ck
from . import cells, gradcheck
from .cell_kernels import JIT, _copy, _zero
from .gradcheck import _INDEX, METHODS, _as_model_layout, analytic_gradients, max_errors
from .products import matvec_acc
from ..errors import UserError
from .model import Params

# the derivatives of one step's values with respect to the one perturbed entry: of h_t, of S[t+1] (lstm,
# s_t; gru, r_t h_{t-1}), of the pre-activations a_t and of the logits o_t
Tangents = namedtuple("Tangents", "dh ds da do")


@njit(**JIT)
def _flat(P, which):
    """Parameter `which` (_INDEX) of the kernel's Weights as a flat view."""
    if which == 0:
        return P.UT.reshape(-1)
    if which == 1:
        return P.W.reshape(-1)
    if which == 2:
        return P.V.reshape(-1)
    if which == 3:
        return P.b
    return P.c


@njit(**JIT)
def _perturb(P, work, which, flat, value):
    """Set one entry of parameter `which`, and of its transposed copy for W and V (W is G m x m)."""
    _flat(P, which)[flat] = value
    m = P.W.shape[1]
    if which == 1:
        work.WT[flat % m, flat // m] = value
    elif which == 2:
        work.VT[flat % m, flat // m] = value


@njit(**JIT)
def _finite_differences(book, tau, state0, P, work, which, h):
    theta = _flat(P, which)
    grad = np.zeros(theta.size)
    state = np.empty_like(state0)
    n = P.UT.shape[1]
    for flat in range(theta.size):
        if which == 0 and not _occurs(book, tau, flat // n):
            continue  # L does not depend on it: exactly 0
        old = theta[flat]
        _perturb(P, work, which, flat, old + h)
        _copy(state, state0)
        up = ck.forward(book, 0, tau, state, P, work)
        _perturb(P, work, which, flat, old - h)
        _copy(state, state0)
        down = ck.forward(book, 0, tau, state, P, work)
        _perturb(P, work, which, flat, old)
        grad[flat] = (up - down) / (2.0 * h)
    return grad


@njit(inline="always", **JIT)
def _occurs(book, tau, x):
    for t in range(tau):
        if book[t] == x:
            return True
    return False


@njit(inline="always", **JIT)
def _lstm_tangent(t, k, seed, P, work, d):
    """d.dh, d.ds: the derivatives of h_{t-1}, s_{t-1} -> of h_t, s_t (docs/algorithm.md section 7.3);
    `seed` is the entry's own derivative of a_t[k]."""
    m = P.W.shape[1]
    dh, ds, da = d.dh, d.ds, d.da
    a, s_prev, tanh_s = work.A[t], work.S[t], work.T[t]
    _zero(da)
    da[k] = seed
    matvec_acc(da, dh, work.WT)  # + W dh_{t-1}
    for j in range(m):
        i, f, g, o = a[j], a[m + j], a[2 * m + j], a[3 * m + j]
        di = i * (1.0 - i) * da[j]
        df = f * (1.0 - f) * da[m + j]
        dg = (1.0 - g * g) * da[2 * m + j]
        do = o * (1.0 - o) * da[3 * m + j]
        dsj = df * s_prev[j] + f * ds[j] + di * g + i * dg
        ds[j] = dsj
        dh[j] = do * tanh_s[j] + o * (1.0 - tanh_s[j] * tanh_s[j]) * dsj


@njit(inline="always", **JIT)
def _gru_tangent(t, k, seed, P, work, d):
    """d.dh: the derivative of h_{t-1} -> of h_t (docs/algorithm.md section 7.4); `seed` is the entry's
    own derivative of the pre-activation a_t[k] (block n: of W_n (r h_{t-1}) + U_n x_t + b_n)."""
    m = P.W.shape[1]
    dh, d_rh, da = d.dh, d.ds, d.da
    a, h_prev = work.A[t], work.H[t]
    _zero(da)
    da[k] = seed
    matvec_acc(da[:2 * m], dh, work.WT[:, :2 * m])  # + W_{r,z} dh_{t-1}
    for j in range(m):
        r = a[j]
        da[j] = r * (1.0 - r) * da[j]  # now dr
        da[m + j] = a[m + j] * (1.0 - a[m + j]) * da[m + j]  # now dz
        d_rh[j] = da[j] * h_prev[j] + r * dh[j]
    matvec_acc(da[2 * m:], d_rh, work.WT[:, 2 * m:])  # + W_n d(r h)
    for j in range(m):
        z, n = a[m + j], a[2 * m + j]
        dn = (1.0 - n * n) * da[2 * m + j]
        dh[j] = da[m + j] * (h_prev[j] - n) + z * dh[j] + (1.0 - z) * dn


@njit(inline="always", **JIT)
def _output_tangent(book, t, work, d):
    """d(-log p_t[y_t]) = p_t . do_t - do_t[y_t], do_t = V dh_t."""
    dh, do = d.dh, d.do
    _zero(do)
    matvec_acc(do, dh, work.VT)
    s = 0.0
    for k in range(do.shape[0]):
        s += work.Pr[t, k] * do[k]
    return s - do[book[t + 1]]


@njit(**JIT)
def _dual_numbers(book, tau, P, work, which):
    """dL/d(every entry of parameter `which`) by forward-mode dual numbers around the forward pass
    already in work (`cell_kernels.forward`: states, gates, probabilities)."""
    K, m = P.V.shape
    n = P.W.shape[0]
    lstm = n == 4 * m
    H, Pr = work.H, work.Pr
    theta = _flat(P, which)
    grad = np.zeros(theta.size)
    if which == 2 or which == 4:  # V[k, j] or c[k]: only o_t moves, by h_t[j] or 1
        for flat in range(theta.size):
            row = flat // m if which == 2 else flat
            dL = 0.0
            for t in range(tau):
                d = H[t + 1, flat % m] if which == 2 else 1.0
                dL += Pr[t, row] * d - (d if book[t + 1] == row else 0.0)
            grad[flat] = dL
        return grad
    d = Tangents(dh=np.zeros(m), ds=np.zeros(m), da=np.zeros(n), do=np.zeros(K))
    for flat in range(theta.size):
        first, x, k, j = 0, 0, 0, 0  # the first step at which the entry acts; the entry's indices
        if which == 0:  # UT[x, k] = U[k, x]: a_t[k] gains 1 where x_t = x
            x, k = flat // n, flat % n
            while first < tau and book[first] != x:
                first += 1
        elif which == 1:  # W[k, j]: a_t[k] gains the j-th entry of what W multiplies
            k, j = flat // m, flat % m
        else:  # b[k]
            k = flat
        _zero(d.dh)
        _zero(d.ds)
        dL = 0.0
        for t in range(first, tau):
            if which == 0:
                seed = 1.0 if book[t] == x else 0.0
            elif which == 1:  # h_{t-1}, or r_t h_{t-1} for the GRU's block n
                seed = work.S[t, j] if not lstm and k >= 2 * m else H[t, j]
            else:
                seed = 1.0
            if lstm:
                _lstm_tangent(t, k, seed, P, work, d)
            else:
                _gru_tangent(t, k, seed, P, work, d)
            dL += _output_tangent(book, t, work, d)
        grad[flat] = dL
    return grad


def _kernel_state(p: Params, tau: int):
    cell = cells.cell_of(p)
    P, work = ck.weights(p), ck.workspace(cell, p.K, p.V.shape[1], tau)
    ck.refresh_transposes(P, work)
    return P, work


def numerical_gradients(p: Params, book: np.ndarray, state0: np.ndarray, method: str, h: float = 1e-4) -> Params:
    """dL/d(every entry) by `method` (finite_difference or complex_step), in the model's layout."""
    if cells.cell_of(p) == "rnn":
        return gradcheck.numerical_gradients(p, book, state0, method, h)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    tau = len(book) - 1
    book = np.ascontiguousarray(book, np.int32)
    state0 = np.array(state0, np.float64)
    P, work = _kernel_state(p, tau)
    if method == "complex_step":
        ck.forward(book, 0, tau, state0.copy(), P, work)
    grads = {}
    for name, which in _INDEX.items():
        flat = (_dual_numbers(book, tau, P, work, which) if method == "complex_step"
                else _finite_differences(book, tau, state0, P, work, which, h))
        grads[name] = _as_model_layout(name, flat, p)
    return Params(**grads)


def check(cell: str, ids, K: int, m: int, *, sig: float, seq_length: int, seed: int,
          methods=METHODS, h: float = 1e-4, eps: float = 1e-15) -> dict:
    """The table of gradcheck.check for any cell: {param: {method: max relative error}}, on the first
    seq_length characters, from the zero state, with cells.init_params."""
    if cells.check_cell(cell) == "rnn":
        return gradcheck.check(ids, K, m, sig=sig, seq_length=seq_length, seed=seed, methods=methods, h=h, eps=eps)
    book = np.asarray(ids[:seq_length + 1], np.int32)
    p = cells.init_params(cell, K, m, sig, seed)
    state0 = np.zeros(cells.state_size(cell, m))
    analytic = analytic_gradients(p, book, state0)
    return max_errors(analytic, {method: numerical_gradients(p, book, state0, method, h) for method in methods}, eps)


def run(ids, K: int, *, hidden_sizes, sig: float, seq_length: int, seed: int, methods, h: float, eps: float,
        cells_=("rnn",)) -> dict:
    """What gradcheck.json holds: the first cell's table at each hidden size (by_m), the other cells'
    (by_cell, only when there are others: an RNN's file is as before cells existed), and the settings."""
    if len(ids) < seq_length + 1:
        raise UserError(f"the corpus has {len(ids)} characters; the gradient check needs seq_length + 1 = "
                        f"{seq_length + 1}")
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise UserError(f"`gradcheck.methods`: unknown {bad}; choose from {', '.join(METHODS)}")

    def by_m(cell):
        return {str(m): check(cell, ids, K, m, sig=sig, seq_length=seq_length, seed=seed, methods=methods, h=h,
                              eps=eps) for m in hidden_sizes}

    result = {"by_m": by_m(cells_[0]), **({"by_cell": {c: by_m(c) for c in cells_[1:]}} if len(cells_) > 1 else {}),
              "settings": {"hidden_sizes": hidden_sizes, "sig": sig, "seq_length": seq_length, "seed": seed, "h": h,
                           "eps": eps, "methods": methods, "h0": "zeros",
                           "sequence": "first seq_length characters; targets shifted by one",
                           "complex_step": "forward-mode dual numbers: Im L(theta + ih)/h in the limit h -> 0",
                           **({"cells": list(cells_)} if tuple(cells_) != ("rnn",) else {})}}
    return result
