"""Analytic gradients against numerical ones (docs/algorithm.md section 5; the original's Table 1).

The analytic gradients are the compiled kernel's back-propagation, un-clipped: one update by the very
compiled function that training runs. Two numerical methods, for every entry of every parameter:
- centred finite differences, (L(theta + h) - L(theta - h)) / 2h, h = 1e-4 as in the course, each
  loss by the evaluation's compiled loss over a text;
- the complex step, Im L(theta + i h) / h as h -> 0, computed exactly as that limit with forward-mode
  dual numbers: each value carries its derivative with respect to the one perturbed entry
  (tanh'(a) = 1 - tanh(a)^2, d log softmax = do - p . do). No subtraction of nearly equal losses,
  so it is exact to rounding; `model.py`'s complex-number forward pass is the test oracle for it.
Both run on the kernel's fixed-order arithmetic, so the table has the same bits on any CPU. The check
reuses training's and the evaluation's compiled functions (loaded from the cache that the compile jobs
fill) and compiles only the dual numbers: a numba function of its own that contained the forward
pass would be compiled again, about 6 s each.
Relative error |a - n| / max(eps, |a| + |n|), eps = 1e-15 (the original's eq. 1), maximum per parameter.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import evaluate, kernel
from .kernel import JIT
from .model import Params, init_params
from .products import matvec_acc
from .run import Run

METHODS = ("finite_difference", "complex_step")
ROW_ORDER = ("V", "W", "U", "c", "b")  # the original's Table 1
_INDEX = {"U": 0, "W": 1, "V": 2, "b": 3, "c": 4}  # position in Weights(UT, W, V, b, c), of every cell


def relative_error(a, n, eps: float = 1e-15):
    return np.abs(a - n) / np.maximum(eps, np.abs(a) + np.abs(n))


@njit(**JIT)
def _dual_numbers(book, tau, work, which, size, cols):
    """dL/d(every entry of parameter `which`, of `size` entries in rows of `cols`) by forward-mode dual
    numbers around the forward pass already in work (H, the probabilities, WT and VT)."""
    H, Pr, WT, VT = work.H, work.Pr, work.WT, work.VT
    m, K = WT.shape[0], Pr.shape[1]
    grad = np.zeros(size)
    dh = np.zeros(m)
    da = np.zeros(m)
    do = np.zeros(K)
    for flat in range(size):
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
            # do_t = V dh_t; d(-log p_t[y_t]) = p_t . do_t - do_t[y_t]
            do[:] = 0.0
            matvec_acc(do, dh, VT)
            s = 0.0
            for k in range(K):
                s += Pr[t, k] * do[k]
            dL += s - do[book[t + 1]]
        grad[flat] = dL
    return grad


def _loss(book, h0, P, work) -> float:
    """The sequence's loss from h0 (not written), by the evaluation's compiled loss over a text
    (`evaluate.total_loss`): one block of the workspace's length, kernel.forward's own bits. Leaves H,
    the probabilities and the transposed copies of W and V in work."""
    return evaluate.total_loss(P, work, h0.copy(), book)


def _as_model_layout(name: str, flat: np.ndarray, p: Params) -> np.ndarray:
    return flat.reshape(p.U.shape[::-1]).T.copy() if name == "U" else flat.reshape(getattr(p, name).shape)


def analytic_gradients(p: Params, book: np.ndarray, state0: np.ndarray) -> Params:
    """Un-clipped gradients of the sequence book[:-1] -> book[1:] from state0, for any cell: one update by
    training's own compiled kernel (`run.Run`, called as training calls it), with eta = 0. AdaGrad clips a
    copy of each gradient, never the workspace's, and with eta = 0 changes no parameter. The rows of gUT
    of characters absent from the sequence are never written: exactly zero."""
    run = Run(book, p, eta=0.0, clip=1.0, tau=len(book) - 1, steps=1)
    run.h[:] = state0
    run.advance(1)
    w = run.work
    return Params(U=w.gUT.T.copy(), W=w.gW.copy(), V=w.gV.copy(), b=w.gb.copy(), c=w.gc.copy())


def _finite_differences(book, h0, P, work, which: int, h: float) -> np.ndarray:
    """Centred differences for the entries of parameter `which` (kernel layout, flat); the rows of UT
    of characters absent from the sequence are skipped: the loss does not depend on them (exactly 0)."""
    theta = P[which].reshape(-1)  # a view: the perturbation is the kernel's
    entries = range(theta.size)
    if which == 0:
        m = P.UT.shape[1]
        entries = [x * m + j for x in np.unique(book[:-1]) for j in range(m)]
    grad = np.zeros(theta.size)
    for flat in entries:
        old = theta[flat]
        theta[flat] = old + h
        up = _loss(book, h0, P, work)
        theta[flat] = old - h
        down = _loss(book, h0, P, work)
        theta[flat] = old
        grad[flat] = (up - down) / (2.0 * h)
    return grad


def numerical_gradients(p: Params, book: np.ndarray, h0: np.ndarray, method: str, h: float = 1e-4) -> Params:
    """dL/d(every entry) by `method`, in the model's layout."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    tau = len(book) - 1
    book = np.ascontiguousarray(book, np.int32)  # as Run and the evaluation take it: their compiled types
    P, work = kernel.weights(p), kernel.workspace(p.K, p.m, tau)
    if method == "complex_step":
        _loss(book, h0, P, work)  # H, the probabilities and WT, VT, for the dual numbers
    grads = {}
    for name, which in _INDEX.items():
        cols = P[which].shape[1] if P[which].ndim == 2 else 1  # the entry's row and column
        flat = (_dual_numbers(book, tau, work, which, P[which].size, cols) if method == "complex_step"
                else _finite_differences(book, h0, P, work, which, h))
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
