"""The reference cells, RNN, LSTM and GRU (docs/algorithm.md section 7): small and readable numpy,
the oracle of the compiled cell kernels (`cell_kernels.py`) as `model.py` is of the RNN kernel.

Every cell has the RNN's parameters, stacked by gate (`model.Params`, the same names):

    U (G m x K), W (G m x m), V (K x m), b (G m), c (K);   G = 1 (rnn), 4 (lstm), 3 (gru)

with the blocks of m rows of U, W and b in the order i, f, g, o (lstm) and r, z, n (gru). A cell
carries ONE state vector from one sequence to the next: h (rnn, gru: m entries) or h and the cell
state s one after the other (lstm: 2m entries), so that training, checkpoints, the best model and
sampling treat every cell alike. The forward pass works on float64 and on complex128 (the complex
step of the gradient check); back-propagation and the update on float64.
"""

from __future__ import annotations

import numpy as np

from . import model
from .model import ADAGRAD_EPS, PARAM_NAMES, Params

CELLS = ("rnn", "lstm", "gru")
BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}  # G: blocks of m rows in U, W and b
FORGET_BIAS = 1.0  # the LSTM's forget-gate bias at initialisation (docs/algorithm.md section 7.2)


def check_cell(cell: str) -> str:
    if cell not in BLOCKS:
        raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(CELLS)}")
    return cell


def state_size(cell: str, m: int) -> int:
    """Entries of the carried state: 2m for the LSTM (h, then s), m otherwise."""
    return 2 * m if check_cell(cell) == "lstm" else m


def cell_of(p: Params) -> str:
    """The cell whose parameters p are: the number of blocks G = rows of W / columns of W."""
    G = p.W.shape[0] // p.W.shape[1]
    for cell, blocks in BLOCKS.items():
        if blocks == G and p.W.shape[0] == G * p.W.shape[1]:
            return cell
    raise ValueError(f"W of shape {p.W.shape} is not a cell's (G m x m, G in 1, 3, 4)")


def init_params(cell: str, K: int, m: int, sig: float, seed: int) -> Params:
    """U (G m x K), W (G m x m), V (K x m) ~ sig * N(0, 1), drawn in that order (each row by row) from
    numpy's PCG64 seeded with `seed`; b = 0 but the LSTM's forget block, FORGET_BIAS; c = 0.
    For the RNN (G = 1) these are exactly `model.init_params`'s draws (docs/algorithm.md section 7.2)."""
    G = BLOCKS[check_cell(cell)]
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((G * m, K)) * sig
    W = rng.standard_normal((G * m, m)) * sig
    V = rng.standard_normal((K, m)) * sig
    b = np.zeros(G * m)
    if cell == "lstm":
        b[m:2 * m] = FORGET_BIAS
    return Params(U=U, W=W, V=V, b=b, c=np.zeros(K))


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# --- one step of each cell: (state_{t-1}, x_t) -> (state_t, what back-propagation needs) ---------

def rnn_step(p: Params, state, x: int):
    """h_t = tanh(W h_{t-1} + U x_t + b) (docs/algorithm.md section 2.3)."""
    h = model.hidden_step(p, state, x)
    return h, (h,)


def lstm_step(p: Params, state, x: int):
    """docs/algorithm.md section 7.3: gates i, f, o, candidate g; s_t = f s_{t-1} + i g, h_t = o tanh(s_t)."""
    m = p.V.shape[1]
    h, s = state[:m], state[m:]
    a = p.W @ h + p.U[:, x] + p.b
    i, f, g, o = sigmoid(a[:m]), sigmoid(a[m:2 * m]), np.tanh(a[2 * m:3 * m]), sigmoid(a[3 * m:])
    s = f * s + i * g
    h = o * np.tanh(s)
    return np.concatenate([h, s]), (i, f, g, o)


def gru_step(p: Params, h, x: int):
    """docs/algorithm.md section 7.4 (Cho et al. 2014): the reset gate r acts on h_{t-1} before W_n;
    h_t = z h_{t-1} + (1 - z) n."""
    m = p.V.shape[1]
    a = p.W[:2 * m] @ h + p.U[:2 * m, x] + p.b[:2 * m]
    r, z = sigmoid(a[:m]), sigmoid(a[m:])
    n = np.tanh(p.W[2 * m:] @ (r * h) + p.U[2 * m:, x] + p.b[2 * m:])
    return z * h + (1.0 - z) * n, (r, z, n)


STEPS = {"rnn": rnn_step, "lstm": lstm_step, "gru": gru_step}


def forward(cell: str, p: Params, x, state0):
    """States (tau+1 rows, states[0] = state0), each step's gates, log-probabilities (tau x K)."""
    step = STEPS[check_cell(cell)]
    states, gates = [np.asarray(state0)], []
    for t in range(len(x)):
        state, g = step(p, states[-1], x[t])
        states.append(state)
        gates.append(g)
    states = np.array(states)
    O = states[1:, :p.V.shape[1]] @ p.V.T + p.c  # logits from h_t, the first m entries of the state
    Z = O - O.real.max(axis=1, keepdims=True)  # a constant shift: exact for softmax, also for complex O
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return states, gates, log_p


def loss(cell: str, p: Params, x, y, state0):
    """L = -sum_t log p_t[y_t] (a sum over the sequence, not a mean)."""
    log_p = forward(cell, p, x, state0)[2]
    return -log_p[np.arange(len(y)), y].sum()


# --- back-propagation through time: dL/da_t (the pre-activations) of each cell ------------------

def _rnn_backward(p, states, gates, dH):
    tau, m = dH.shape
    dA, da = np.zeros((tau, m)), np.zeros(m)
    for t in reversed(range(tau)):
        h = gates[t][0]
        da = dA[t] = (dH[t] + p.W.T @ da) * (1.0 - h * h)
    return dA, dA.T @ states[:-1]


def _lstm_backward(p, states, gates, dH):
    tau, m = dH.shape
    dA = np.zeros((tau, 4 * m))
    da, ds_next = np.zeros(4 * m), np.zeros(m)  # da_{t+1}, and dL/ds_{t+1} times f_{t+1}
    for t in reversed(range(tau)):
        i, f, g, o = gates[t]
        s_prev, tanh_s = states[t, m:], np.tanh(states[t + 1, m:])
        dh = dH[t] + p.W.T @ da
        ds = dh * o * (1.0 - tanh_s ** 2) + ds_next
        da = dA[t] = np.concatenate([ds * g * i * (1.0 - i), ds * s_prev * f * (1.0 - f),
                                     ds * i * (1.0 - g ** 2), dh * tanh_s * o * (1.0 - o)])
        ds_next = ds * f
    return dA, dA.T @ states[:-1, :m]


def _gru_backward(p, states, gates, dH):
    tau, m = dH.shape
    dA, RH = np.zeros((tau, 3 * m)), np.zeros((tau, m))
    dh_next = np.zeros(m)  # dL/dh_t through step t + 1
    for t in reversed(range(tau)):
        r, z, n = gates[t]
        h_prev = states[t]
        RH[t] = r * h_prev
        dh = dH[t] + dh_next
        da_n = dh * (1.0 - z) * (1.0 - n ** 2)
        da_z = dh * (h_prev - n) * z * (1.0 - z)
        d_rh = p.W[2 * m:].T @ da_n  # W_n acts on r * h_{t-1}
        da_r = d_rh * h_prev * r * (1.0 - r)
        dA[t] = np.concatenate([da_r, da_z, da_n])
        dh_next = dh * z + d_rh * r + p.W[:2 * m].T @ dA[t, :2 * m]
    return dA, np.vstack([dA[:, :2 * m].T @ states[:-1], dA[:, 2 * m:].T @ RH])


BACKWARDS = {"rnn": _rnn_backward, "lstm": _lstm_backward, "gru": _gru_backward}


def backward(cell: str, p: Params, x, y, states, gates, log_p) -> Params:
    """Gradients of L by back-propagation through time; state0 = states[0] is an input, not a parameter."""
    tau, m = len(x), p.V.shape[1]
    dO = np.exp(log_p)
    dO[np.arange(tau), y] -= 1.0
    H = states[:, :m]
    dA, dW = BACKWARDS[check_cell(cell)](p, states, gates, dO @ p.V)
    dU = np.zeros_like(p.U)
    np.add.at(dU.T, np.asarray(x), dA)
    return Params(U=dU, W=dW, V=dO.T @ H[1:], b=dA.sum(axis=0), c=dO.sum(axis=0))


def gradients(cell: str, p: Params, x, y, state0):
    """(loss, gradients, last state) of one sequence."""
    states, gates, log_p = forward(cell, p, x, state0)
    L = -log_p[np.arange(len(y)), y].sum()
    return L, backward(cell, p, x, y, states, gates, log_p), states[-1]


def update(cell: str, p: Params, mem: Params, x, y, state, eta: float, *, clip: float = 5.0):
    """One training step in place (docs/algorithm.md sections 3.3-3.4, as `model.update`): clip, then
    AdaGrad. Returns (loss, the new carried state)."""
    L, g, state = gradients(cell, p, x, y, state)
    for name in PARAM_NAMES:
        gi = np.clip(getattr(g, name), -clip, clip)
        Mi = getattr(mem, name)
        Mi += gi * gi
        getattr(p, name)[...] -= eta * gi / np.sqrt(Mi + ADAGRAD_EPS)
    return L, state
