"""Analytic gradients against numerical ones (docs/algorithm.md section 5; the original's Table 1).

The analytic gradients are the compiled kernel's back-propagation, un-clipped: the very code that
training runs. Two numerical methods, for every entry of every parameter:
- centred finite differences, (L(theta + h) - L(theta - h)) / 2h, h = 1e-4 as in the course;
- the complex step, Im L(theta + i h) / h as h -> 0, computed exactly as that limit with forward-mode
  dual numbers: each value carries its derivative with respect to the one perturbed entry
  (tanh'(a) = 1 - tanh(a)^2, d log softmax = do - p . do). No subtraction of nearly equal losses,
  so it is exact to rounding; `model.py`'s complex-number forward pass is the test oracle for it.
Both run on the kernel's fixed-order arithmetic, so the table has the same bits on any CPU.
Relative error |a - n| / max(eps, |a| + |n|), eps = 1e-15 (the original's eq. 1), maximum per parameter.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import kernel
from .kernel import JIT
from .model import Params, init_params
from .products import matvec_acc

METHODS = ("finite_difference", "complex_step")
ROW_ORDER = ("V", "W", "U", "c", "b")  # the original's Table 1
_INDEX = {"U": 0, "W": 1, "V": 2, "b": 3, "c": 4}  # position in Weights(UT, W, V, b, c), of every cell


def relative_error(a, n, eps: float = 1e-15):
    return np.abs(a - n) / np.maximum(eps, np.abs(a) + np.abs(n))


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
    """Set one entry of parameter `which`, and of its transposed copy for W and V (any cell: W is G m x m)."""
    _flat(P, which)[flat] = value
    m = P.W.shape[1]
    if which == 1:
        work.WT[flat % m, flat // m] = value
    elif which == 2:
        work.VT[flat % m, flat // m] = value


@njit(**JIT)
def _loss(book, tau, h0, P, work):
    """The sequence's loss from h0 (not written): kernel.forward, which is inlined where it is called,
    compiled here once for the finite differences' two calls per entry and the complex step's one."""
    return kernel.forward(book, 0, tau, h0, P, work)


@njit(**JIT)
def _finite_differences(book, tau, h0, P, work, which, h):
    theta = _flat(P, which)
    grad = np.zeros(theta.size)
    for flat in range(theta.size):
        old = theta[flat]
        _perturb(P, work, which, flat, old + h)
        up = _loss(book, tau, h0, P, work)
        _perturb(P, work, which, flat, old - h)
        down = _loss(book, tau, h0, P, work)
        _perturb(P, work, which, flat, old)
        grad[flat] = (up - down) / (2.0 * h)
    return grad


@njit(**JIT)
def _dual_numbers(book, tau, P, work, which, cols):
    """dL/d(every entry of parameter `which`) by forward-mode dual numbers around the forward pass
    already in work (H and the probabilities)."""
    H, Pr, WT, VT = work.H, work.Pr, work.WT, work.VT
    m, K = P.W.shape[0], P.V.shape[0]
    theta = _flat(P, which)
    grad = np.zeros(theta.size)
    dh = np.zeros(m)
    da = np.zeros(m)
    do = np.zeros(K)
    for flat in range(theta.size):
        row, col = flat // cols, flat % cols
        dL = 0.0
        if which == 2 or which == 4:  # V[k, j] or c[k]: only o_t moves, by h_t[j] or 1
            for t in range(tau):
                d = H[t + 1, col] if which == 2 else 1.0
                dL += Pr[t, row] * d - (d if book[t + 1] == row else 0.0)
            grad[flat] = dL
            continue
        dh[:] = 0.0
        for t in range(tau):
            # da_t = W dh_{t-1} + (d a_t / d theta)
            da[:] = 0.0
            matvec_acc(da, dh, WT)
            if which == 1:  # W[i, j]: a_t[i] gains h_{t-1}[j]
                da[row] += H[t, col]
            elif which == 0:  # UT[x, i] = U[i, x]: a_t[i] gains 1 where x_t = x
                if book[t] == row:
                    da[col] += 1.0
            else:  # b[i]
                da[row] += 1.0
            for i in range(m):
                dh[i] = (1.0 - H[t + 1, i] * H[t + 1, i]) * da[i]
            # do_t = V dh_t; d(-log p_t[y]) = p_t . do_t - do_t[y]
            do[:] = 0.0
            matvec_acc(do, dh, VT)
            s = 0.0
            for k in range(K):
                s += Pr[t, k] * do[k]
            dL += s - do[book[t + 1]]
        grad[flat] = dL
    return grad


def _kernel_state(p: Params, tau: int):
    P, work = kernel.weights(p), kernel.workspace(p.K, p.m, tau)
    kernel.refresh_transposes(P, work)
    return P, work


def _as_model_layout(name: str, flat: np.ndarray, p: Params) -> np.ndarray:
    return flat.reshape(p.U.shape[::-1]).T.copy() if name == "U" else flat.reshape(getattr(p, name).shape)


def analytic_gradients(p: Params, book: np.ndarray, h0: np.ndarray) -> Params:
    """Un-clipped gradients of the sequence book[:-1] -> book[1:], from the kernel's back-propagation."""
    tau = len(book) - 1
    P, work = _kernel_state(p, tau)
    kernel.loss_and_gradients(np.asarray(book, np.int32), 0, tau, h0.copy(), P, work)
    gUT = np.where(work.seen[:, None] == 1, work.gUT, 0.0)  # rows of absent characters are exactly zero
    return Params(U=gUT.T.copy(), W=work.gW.copy(), V=work.gV.copy(), b=work.gb.copy(), c=work.gc.copy())


def numerical_gradients(p: Params, book: np.ndarray, h0: np.ndarray, method: str, h: float = 1e-4) -> Params:
    """dL/d(every entry) by `method`, in the model's layout."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    tau = len(book) - 1
    book = np.asarray(book, np.int32)
    P, work = _kernel_state(p, tau)
    if method == "complex_step":
        _loss(book, tau, h0, P, work)  # H and the probabilities, for the dual numbers
    grads = {}
    for name, which in _INDEX.items():
        cols = P[which].shape[1] if P[which].ndim == 2 else 1  # the entry's row and column
        flat = (_dual_numbers(book, tau, P, work, which, cols) if method == "complex_step"
                else _finite_differences(book, tau, h0, P, work, which, h))
        grads[name] = _as_model_layout(name, flat, p)
    return Params(**grads)


def max_errors(analytic: Params, numerical: dict[str, Params], eps: float = 1e-15) -> dict:
    """{param: {method: max relative error}} in the original's row order."""
    return {name: {method: float(relative_error(getattr(analytic, name), getattr(g, name), eps).max())
                   for method, g in numerical.items()}
            for name in ROW_ORDER}


def check(ids, K: int, m: int, *, sig: float, seq_length: int, seed: int,
          methods=METHODS, h: float = 1e-4, eps: float = 1e-15) -> dict:
    """The table: {param: {method: max relative error}}, on the first seq_length characters, h0 = 0."""
    book = np.asarray(ids[:seq_length + 1], np.int32)
    p = init_params(K, m, sig, seed)
    h0 = np.zeros(m)
    analytic = analytic_gradients(p, book, h0)
    return max_errors(analytic, {method: numerical_gradients(p, book, h0, method, h) for method in methods}, eps)
