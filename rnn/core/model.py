"""The reference vanilla RNN (docs/algorithm.md section 2): small and readable, checked against the equations.

    a_t = W h_{t-1} + U x_t + b,   h_t = tanh(a_t),   o_t = V h_t + c,   p_t = softmax(o_t)
    L   = -sum_t log p_t[y_t]

Everything here works on float64 and on complex128 (the complex-step gradient check runs the
forward pass on complex numbers). The compiled kernel in `kernel.py` must agree with `update`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


ADAGRAD_EPS = 1e-8
PARAM_NAMES = ("U", "W", "V", "b", "c")


@dataclass
class Params:
    """U (m x K), W (m x m), V (K x m), b (m), c (K)."""

    U: np.ndarray
    W: np.ndarray
    V: np.ndarray
    b: np.ndarray
    c: np.ndarray

    @property
    def m(self) -> int:
        """Hidden units: W's columns (its rows are G m for a cell of G blocks: docs/algorithm.md section 7)."""
        return self.W.shape[1]

    @property
    def K(self) -> int:
        return self.U.shape[1]

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def copy(self) -> "Params":
        return Params(**{k: v.copy() for k, v in self.arrays().items()})

    def zeros_like(self) -> "Params":
        return Params(**{k: np.zeros_like(v) for k, v in self.arrays().items()})


def init_params(K: int, m: int, sig: float, seed: int) -> Params:
    """U, W, V ~ sig * N(0, 1), drawn in that order from numpy's PCG64 seeded with `seed`; b = c = 0."""
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((m, K)) * sig
    W = rng.standard_normal((m, m)) * sig
    V = rng.standard_normal((K, m)) * sig
    return Params(U=U, W=W, V=V, b=np.zeros(m), c=np.zeros(K))


def hidden_step(p: Params, h, x: int):
    """h_t = tanh(W h_{t-1} + U x_t + b) for one input index x."""
    return np.tanh(p.W @ h + p.U[:, x] + p.b)


def forward(p: Params, x, h0):
    """Hidden states H (tau+1 rows, H[0] = h0) and log-probabilities (tau x K) for inputs x."""
    tau = len(x)
    H = np.zeros((tau + 1, p.m), dtype=np.result_type(p.W, p.U, h0))
    H[0] = h0
    for t in range(tau):
        H[t + 1] = hidden_step(p, H[t], x[t])
    O = H[1:] @ p.V.T + p.c
    Z = O - O.real.max(axis=1, keepdims=True)  # a constant shift: exact for softmax, also for complex O
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return H, log_p


def loss(p: Params, x, y, h0):
    """L = -sum_t log p_t[y_t] (a sum over the sequence, not a mean)."""
    _, log_p = forward(p, x, h0)
    return -log_p[np.arange(len(y)), y].sum()


def backward(p: Params, x, y, H, log_p) -> Params:
    """Gradients of L by back-propagation through time; h0 = H[0] is an input, not a parameter."""
    tau = len(x)
    dO = np.exp(log_p)
    dO[np.arange(tau), y] -= 1.0
    dA = np.zeros((tau, p.m))
    da_next = np.zeros(p.m)
    dH = dO @ p.V
    for t in reversed(range(tau)):
        dh = dH[t] + p.W.T @ da_next
        da_next = dA[t] = dh * (1.0 - H[t + 1] ** 2)
    dU = np.zeros_like(p.U)
    np.add.at(dU.T, np.asarray(x), dA)
    return Params(U=dU, W=dA.T @ H[:-1], V=dO.T @ H[1:], b=dA.sum(axis=0), c=dO.sum(axis=0))


def gradients(p: Params, x, y, h0):
    """(loss, gradients, last hidden state) of one sequence."""
    H, log_p = forward(p, x, h0)
    L = -log_p[np.arange(len(y)), y].sum()
    return L, backward(p, x, y, H, log_p), H[-1]


def update(p: Params, mem: Params, x, y, h_prev, eta: float, clip: float = 5.0):
    """One training step in place (docs/algorithm.md sections 3.3-3.4): clip, then AdaGrad. Returns (loss, new h_prev)."""
    L, g, h = gradients(p, x, y, h_prev)
    for name in PARAM_NAMES:
        gi = np.clip(getattr(g, name), -clip, clip)
        Mi = getattr(mem, name)
        Mi += gi * gi
        getattr(p, name)[...] -= eta * gi / np.sqrt(Mi + ADAGRAD_EPS)
    return L, h
