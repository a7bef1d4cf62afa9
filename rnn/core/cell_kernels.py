"""The compiled kernels of the gated cells, LSTM and GRU (docs/algorithm.md section 7): training
(`update_step`, `run_updates`, with kernel.py's contract), the loss over a whole text and synthesis,
tested equal to the numpy reference `cells.py`. Sampling from a gated cell is `sample.synthesize`, with
this module's `step_logits`. The pipeline runs the RNN through kernel.py and sample.py; the RNN step
here (G = 1) lets the tests hold these loops to that code.

The same bits on any CPU, as kernel.py (docs/algorithm.md section 6): every sum runs in the order of
`products.matmul_add` / `products.matvec_acc`, exp, tanh, log and the sigmoid 1 / (1 + exp(-x)) are
kernel.py's polynomials (on whole rows: elementwise.py), no BLAS, no fast-math, no library reductions.

Layout. The parameters and the AdaGrad memory are `Weights(UT, W, V, b, c)` with UT = U^T (K x G m: one
row per character), W (G m x m), V (K x m), b (G m), c (K); kernel.weights makes them from a
model.Params of any cell. The cell is read from the shapes: G = rows of W / columns of W (4 lstm, 3 gru,
1 rnn). `state` is the carried state vector of cells.py: h (m), or h then s (lstm, 2m). The argument
groups are named tuples (below); as they are tuples, kernel.run_updates accepts them too.

Speed (K = 80, m = 100, tau = 25, `python -m rnn bench --cells rnn,lstm,gru`, measured beside the RNN kernel in one
process on a shared 2-core AMD EPYC): an LSTM update takes 3.1-3.4 times the RNN's, a GRU update
2.3-2.5 times. Of the LSTM's time, about 40 % is the forward pass (the 4m x m product W h, one
400-column product per step, and five exp-based gate functions per unit per step), 50 % back-propagation
(the 400-deep product W^T da per step, the block product dW, the output layer as the RNN's) and 10 %
AdaGrad over four times the RNN's weights. The same code serves both cells; every argument group has
the same types for both, so numba compiles each function once.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from . import cells, kernel
from .elementwise import exp_into, tanh_into
from .kernel import JIT, fast_exp, fast_log, fast_tanh
from .model import ADAGRAD_EPS, Params
from .products import matmul, matmul_add, matvec_acc

Work = namedtuple("Work", [
    "H",  # (tau+1) x m: hidden states, H[0] = h_prev
    "S",  # (tau+1) x m: lstm, cell states (S[0] = s_prev); gru, S[t] = r_t * h_{t-1}
    "T",  # tau x m: lstm, tanh(s_t) of step t at T[t]
    "A",  # tau x G m: pre-activations, then the gates (i, f, g, o or r, z, n)
    "dA",  # tau x G m: dL/d(pre-activations)
    "Pr",  # tau x K: logits, probabilities, then dL/do
    "dHo",  # tau x m: dO V, dL/dh_t through the output layer
    "dh", "ds",  # m each: gradients carried back from step t + 1
    "gUT", "gW", "gV", "gb", "gc",  # gradients, in the layout of Weights (gUT: seen rows only)
    "seen",  # K: which characters occur in the sequence
    "WT", "VT",  # W^T (m x G m), V^T (m x K): the forward products read W and V by columns
])


def workspace(cell: str, K: int, m: int, tau: int) -> Work:
    """Scratch arrays for sequences of up to tau characters, allocated once per run."""
    G = cells.BLOCKS[cells.check_cell(cell)]
    z = np.zeros
    return Work(H=z((tau + 1, m)), S=z((tau + 1, m)), T=z((tau, m)), A=z((tau, G * m)), dA=z((tau, G * m)),
                Pr=z((tau, K)), dHo=z((tau, m)), dh=z(m), ds=z(m),
                gUT=z((K, G * m)), gW=z((G * m, m)), gV=z((K, m)), gb=z(G * m), gc=z(K),
                seen=z(K, dtype=np.uint8), WT=z((m, G * m)), VT=z((m, K)))


weights, params_of = kernel.weights, kernel.params_of  # Params <-> Weights (copies), for every cell


@njit(inline="always", **JIT)
def _copy(dst, src):
    """dst = src, element by element (1-d). Loops, not slice assignments: numba compiles a
    shape-mismatch error path of about a second for every slice assignment."""
    for i in range(dst.shape[0]):
        dst[i] = src[i]


@njit(inline="always", **JIT)
def _zero(a):
    for i in range(a.shape[0]):
        a[i] = 0.0


@njit(inline="always", **JIT)
def _transpose(dst, src):
    """dst = src^T (a copy: no arithmetic)."""
    rows, cols = src.shape
    for i in range(rows):
        for j in range(cols):
            dst[j, i] = src[i, j]


# --- one step of each cell: H[t] (and S[t]) -> H[t+1] (and S[t+1]) --------------------------------
@njit(inline="always", **JIT)
def fast_sigmoid(x):
    """1 / (1 + exp(-x)) with kernel.py's exp; 0 < result <= 1 for every x (exp(-x) is clamped)."""
    return 1.0 / (1.0 + fast_exp(-x))


@njit(**JIT)
def _rnn_step(x, t, P, work):
    """h_t = tanh((U x_t + b) + W h_{t-1}) (docs/algorithm.md section 2.3)."""
    m = P.W.shape[1]
    a = work.H[t + 1]
    u = P.UT[x]
    for j in range(m):
        a[j] = u[j] + P.b[j]
    matvec_acc(a, work.H[t], work.WT, t % 2 == 1)
    tanh_into(a, a)


@njit(**JIT)
def _lstm_step(x, t, P, work):
    """docs/algorithm.md section 7.3: a = (U x_t + b) + W h_{t-1}; i, f, o = sigmoid, g = tanh of
    their blocks (kept in A[t]); s_t = f s_{t-1} + i g; h_t = o tanh(s_t)."""
    m = P.W.shape[1]
    a = work.A[t]
    u = P.UT[x]
    for k in range(4 * m):
        a[k] = u[k] + P.b[k]
    matvec_acc(a, work.H[t], work.WT, t % 2 == 1)  # one product for the four blocks
    s_prev, s, tanh_s, h = work.S[t], work.S[t + 1], work.T[t], work.H[t + 1]
    for j in range(m):
        i = fast_sigmoid(a[j])
        f = fast_sigmoid(a[m + j])
        g = fast_tanh(a[2 * m + j])
        o = fast_sigmoid(a[3 * m + j])
        a[j], a[m + j], a[2 * m + j], a[3 * m + j] = i, f, g, o
        s[j] = f * s_prev[j] + i * g
        tanh_s[j] = fast_tanh(s[j])
        h[j] = o * tanh_s[j]


@njit(**JIT)
def _gru_step(x, t, P, work):
    """docs/algorithm.md section 7.4: r, z = sigmoid((U x_t + b) + W h_{t-1}) on their blocks;
    n = tanh((U x_t + b) + W_n (r h_{t-1})); h_t = z h_{t-1} + (1 - z) n."""
    m = P.W.shape[1]
    a = work.A[t]
    u = P.UT[x]
    for k in range(3 * m):
        a[k] = u[k] + P.b[k]
    h_prev, rh, h = work.H[t], work.S[t], work.H[t + 1]
    matvec_acc(a[:2 * m], h_prev, work.WT[:, :2 * m], t % 2 == 1)  # blocks r and z: columns 0 .. 2m-1 of W^T
    for j in range(m):
        r = fast_sigmoid(a[j])
        a[j] = r
        a[m + j] = fast_sigmoid(a[m + j])
        rh[j] = r * h_prev[j]
    matvec_acc(a[2 * m:], rh, work.WT[:, 2 * m:])  # block n: W_n (r h_{t-1}), columns 2m .. 3m-1 of W^T
    for j in range(m):
        n = fast_tanh(a[2 * m + j])
        a[2 * m + j] = n
        z = a[m + j]
        h[j] = z * h_prev[j] + (1.0 - z) * n


@njit(inline="always", **JIT)
def _step(x, t, P, work):
    G = P.W.shape[0] // P.W.shape[1]
    if G == 4:
        _lstm_step(x, t, P, work)
    elif G == 3:
        _gru_step(x, t, P, work)
    else:
        _rnn_step(x, t, P, work)


@njit(inline="always", **JIT)
def _load_state(state, work):
    """H[0] = h, and S[0] = s for the LSTM (its state is h then s)."""
    m = work.H.shape[1]
    _copy(work.H[0], state[:m])
    if state.shape[0] == 2 * m:
        _copy(work.S[0], state[m:])


@njit(inline="always", **JIT)
def _store_state(state, work, t):
    """The carried state after step t: H[t] (and S[t] for the LSTM)."""
    m = work.H.shape[1]
    _copy(state[:m], work.H[t])
    if state.shape[0] == 2 * m:
        _copy(state[m:], work.S[t])


@njit(**JIT)
def _output_loss(book, e, tau, P, work, loss):
    """loss + sum_t -log p_t[book[e + t + 1]], t = 0, 1, ... in order, with o_t = c + V h_t
    (h_t = H[t+1]) and p_t = softmax(o_t) left in Pr (docs/algorithm.md sections 2.3-2.4)."""
    K = P.V.shape[0]
    Pr = work.Pr
    for t in range(tau):
        _copy(Pr[t], P.c)
    matmul_add(Pr[:tau], work.H[1:tau + 1], work.VT)  # O = c + H[1:] V^T
    for t in range(tau):
        o = Pr[t]
        mx = o[0]
        for k in range(1, K):
            mx = max(mx, o[k])
        oy = o[book[e + t + 1]]
        exp_into(o, o, mx)
        s = 0.0
        for k in range(K):
            s += o[k]
        inv = 1.0 / s
        for k in range(K):
            o[k] *= inv
        loss += fast_log(s) - (oy - mx)
    return loss


@njit(**JIT)
def forward(book, e, tau, state, P, work):
    """The loss of the sequence at position e from the carried state; leaves the forward pass in work."""
    _load_state(state, work)
    for t in range(tau):
        _step(book[e + t], t, P, work)
    return _output_loss(book, e, tau, P, work, 0.0)


# --- back-propagation through time -----------------------------------------------------------------
@njit(**JIT)
def _output_backward(book, e, tau, P, work):
    """Pr becomes dL/do; gV = dO^T H[1:], dHo = dO V, gc = sum_t dO_t."""
    K = P.V.shape[0]
    Pr, gV, gc = work.Pr, work.gV, work.gc
    for t in range(tau):
        Pr[t, book[e + t + 1]] -= 1.0
    matmul(gV, Pr[:tau].T, work.H[1:tau + 1])
    matmul(work.dHo[:tau], Pr[:tau], P.V)
    for k in range(K):
        gc[k] = 0.0
    for t in range(tau):
        for k in range(K):
            gc[k] += Pr[t, k]


@njit(**JIT)
def _lstm_backward(tau, P, work):
    """dA and gW of docs/algorithm.md section 7.3, from the last step back."""
    m = P.W.shape[1]
    A, dA, S, T, dHo, dh, ds = work.A, work.dA, work.S, work.T, work.dHo, work.dh, work.ds
    _zero(ds)  # dL/ds_{t+1} f_{t+1}, carried back
    for t in range(tau - 1, -1, -1):
        _copy(dh, dHo[t])
        if t < tau - 1:
            matvec_acc(dh, dA[t + 1], P.W, t % 2 == 1)  # + W^T da_{t+1}
        a, da, s_prev, tanh_s = A[t], dA[t], S[t], T[t]
        for j in range(m):
            i, f, g, o = a[j], a[m + j], a[2 * m + j], a[3 * m + j]
            dsj = dh[j] * o * (1.0 - tanh_s[j] * tanh_s[j]) + ds[j]
            da[j] = dsj * g * i * (1.0 - i)
            da[m + j] = dsj * s_prev[j] * f * (1.0 - f)
            da[2 * m + j] = dsj * i * (1.0 - g * g)
            da[3 * m + j] = dh[j] * tanh_s[j] * o * (1.0 - o)
            ds[j] = dsj * f
    matmul(work.gW, dA[:tau].T, work.H[:tau])  # gW = dA^T H[:-1]


@njit(**JIT)
def _gru_backward(tau, P, work):
    """dA and gW of docs/algorithm.md section 7.4, from the last step back."""
    m = P.W.shape[1]
    A, dA, H, RH, dHo = work.A, work.dA, work.H, work.S, work.dHo
    carry, d_rh = work.dh, work.ds  # dL/dh_t through step t + 1; W_n^T da_n
    _zero(carry)
    for t in range(tau - 1, -1, -1):
        a, da, h_prev = A[t], dA[t], H[t]
        for j in range(m):
            z, n = a[m + j], a[2 * m + j]
            dh = dHo[t, j] + carry[j]
            da[2 * m + j] = dh * (1.0 - z) * (1.0 - n * n)
            da[m + j] = dh * (h_prev[j] - n) * z * (1.0 - z)
            carry[j] = dh * z
        _zero(d_rh)
        matvec_acc(d_rh, da[2 * m:], P.W[2 * m:], t % 2 == 1)  # W_n^T da_n
        for j in range(m):
            r = a[j]
            da[j] = d_rh[j] * h_prev[j] * r * (1.0 - r)
            carry[j] += d_rh[j] * r
        if t > 0:
            matvec_acc(carry, da[:2 * m], P.W[:2 * m], t % 2 == 1)  # + W_rz^T da_rz
    # rows r, z: dA_rz^T h_{t-1}; rows n: dA_n^T (r_t h_{t-1})
    matmul(work.gW[:2 * m], dA[:tau, :2 * m].T, H[:tau])
    matmul(work.gW[2 * m:], dA[:tau, 2 * m:].T, RH[:tau])


@njit(**JIT)
def _input_gradients(book, e, tau, work):
    """gb = sum_t da_t; the rows of gUT of the sequence's characters (marked in `seen`)."""
    dA, gb, gUT, seen = work.dA, work.gb, work.gUT, work.seen
    n = dA.shape[1]
    for k in range(n):
        gb[k] = 0.0
    for t in range(tau):
        for k in range(n):
            gb[k] += dA[t, k]
        xt = book[e + t]
        row = gUT[xt]
        if seen[xt]:
            for k in range(n):
                row[k] += dA[t, k]
        else:
            seen[xt] = 1
            for k in range(n):
                row[k] = dA[t, k]


@njit(**JIT)
def loss_and_gradients(book, e, tau, state, P, work):
    """Forward and back-propagation (un-clipped) of the sequence at position e, into work."""
    loss = forward(book, e, tau, state, P, work)
    _output_backward(book, e, tau, P, work)
    if P.W.shape[0] == 4 * P.W.shape[1]:
        _lstm_backward(tau, P, work)
    else:
        _gru_backward(tau, P, work)
    _input_gradients(book, e, tau, work)
    return loss


# --- the update --------------------------------------------------------------------------------------
@njit(inline="always", **JIT)
def _adagrad(theta, mem, grad, eta, clip):
    """Clip to [-clip, clip], M += g^2, theta -= eta g / sqrt(M + eps) (docs/algorithm.md sections 3.3-3.4)."""
    for i in range(theta.shape[0]):
        g = min(max(grad[i], -clip), clip)
        mi = mem[i] + g * g
        mem[i] = mi
        theta[i] -= eta * g / np.sqrt(mi + ADAGRAD_EPS)


@njit(**JIT)
def _adagrad_and_transpose(theta, mem, grad, thetaT, eta, clip):
    """_adagrad row by row, each new row also written into the transposed copy while in cache."""
    rows, cols = theta.shape
    for i in range(rows):
        _adagrad(theta[i], mem[i], grad[i], eta, clip)
        row = theta[i]
        for j in range(cols):
            thetaT[j, i] = row[j]


@njit(**JIT)
def refresh_transposes(P, work):
    """WT and VT from W and V (a copy, no arithmetic)."""
    _transpose(work.WT, P.W)
    _transpose(work.VT, P.V)


@njit(**JIT)
def _apply_update(P, M, work, eta, clip):
    """Clip + AdaGrad of every parameter; the rows of UT only of the sequence's characters (the others'
    gradient is exactly 0, and so is their update)."""
    K = P.V.shape[0]
    for k in range(K):
        if work.seen[k]:
            work.seen[k] = 0
            _adagrad(P.UT[k], M.UT[k], work.gUT[k], eta, clip)
    _adagrad_and_transpose(P.W, M.W, work.gW, work.WT, eta, clip)
    _adagrad_and_transpose(P.V, M.V, work.gV, work.VT, eta, clip)
    _adagrad(P.b, M.b, work.gb, eta, clip)
    _adagrad(P.c, M.c, work.gc, eta, clip)


@njit(**JIT)
def update_step(book, e, hyper, state):
    """One update (docs/algorithm.md sections 3 and 7) on the sequence at position e, in place; state.h
    becomes the carried state after the sequence. Returns the loss, with the parameters before the update."""
    P, M, h, work = state.P, state.M, state.h, state.work
    refresh_transposes(P, work)
    loss = loss_and_gradients(book, e, hyper.tau, h, P, work)
    _apply_update(P, M, work, hyper.eta, hyper.clip)
    _store_state(h, work, hyper.tau)
    return loss


@njit(**JIT)
def _keep_best(P, state, best):
    _copy(best.P.UT.reshape(-1), P.UT.reshape(-1))
    _copy(best.P.W.reshape(-1), P.W.reshape(-1))
    _copy(best.P.V.reshape(-1), P.V.reshape(-1))
    _copy(best.P.b, P.b)
    _copy(best.P.c, P.c)
    _copy(best.h, state)


@njit(**JIT)
def run_updates(book, hyper, state, best_state, record, position, n_steps):
    """Up to n_steps updates (docs/algorithm.md sections 3 and 7), recording every loss: kernel.run_updates
    for the gated cells, with the same arguments and the same semantics.

    hyper = Hyper(eta, clip, tau); state = State(P, M, h, work): parameters, AdaGrad memory, the carried
    state and scratch; best_state = Best(P, h, best); record = Record(losses, smooths), one entry per
    update to make; position = Position(e, step, smooth): the text position, the updates done before
    and the smooth loss after them (ignored when step == 0: it starts at the first loss).
    best = [lowest smooth loss, its step, x0]: the best model is the state after that update (the
    parameters, and the carried state and x0 the next update starts from), copied to best_state only
    once a run of new minima ends (before the next update changes the parameters). Stops before
    updating on a non-finite loss. At an epoch's end e = 0 and the carried state is reset to 0.
    Returns (updates done, e, smooth)."""
    eta, clip, tau = hyper.eta, hyper.clip, hyper.tau
    P, M, h, work = state.P, state.M, state.h, state.work
    best = best_state.best
    losses, smooths = record.losses, record.smooths
    e, step, smooth = position.e, position.step, position.smooth
    N = book.shape[0]
    refresh_transposes(P, work)
    pending = False
    done = n_steps
    for s in range(n_steps):
        loss = loss_and_gradients(book, e, tau, h, P, work)
        new_smooth = loss if step == 0 else 0.999 * smooth + 0.001 * loss
        if pending and not new_smooth < best[0]:
            _keep_best(P, h, best_state)
            pending = False
        if not np.isfinite(loss):
            losses[s] = loss
            smooths[s] = new_smooth
            done = s
            break
        step += 1
        smooth = new_smooth
        losses[s] = loss
        smooths[s] = smooth
        if smooth < best[0]:
            best[0] = smooth
            best[1] = step
            pending = True
        _apply_update(P, M, work, eta, clip)
        _store_state(h, work, tau)
        e += tau
        if e > N - tau - 1:
            e = 0
            _zero(h)
        if pending:
            best[2] = book[e]
    if pending:
        _keep_best(P, h, best_state)
    return done, e, smooth


# --- the loss over a whole text (every cell) ---------------------------------------------------------
@njit(**JIT)
def _loss_over_text(book, state, P, work):
    """Feed book[0 .. n-2], score book[1 .. n-1], carrying the state, in blocks of the workspace's length
    (docs/algorithm.md section 8.2): each block's losses summed in order, then the blocks' sums in order."""
    block = work.Pr.shape[0]
    n = book.shape[0]
    refresh_transposes(P, work)
    total = 0.0
    e = 0
    while e < n - 1:
        tau = min(block, n - 1 - e)
        _load_state(state, work)
        for t in range(tau):
            _step(book[e + t], t, P, work)
        total += _output_loss(book, e, tau, P, work, 0.0)  # a block's sum, then the blocks in order
        _store_state(state, work, tau)
        e += tau
    return total


def loss_over_text(book, p: Params, state0, block: int = 64) -> float:
    """Total nats of -log p(book[t+1] | book[..t]) over the text from the carried state state0 (not
    changed), for any cell (rnn, lstm, gru): an exact held-out evaluation."""
    book = np.ascontiguousarray(book, dtype=np.int32)
    cell = cells.cell_of(p)
    K, m = p.V.shape
    state = np.array(state0, dtype=np.float64)
    if state.shape != (cells.state_size(cell, m),):
        raise ValueError(f"state of shape {state.shape}; the {cell} needs ({cells.state_size(cell, m)},)")
    return _loss_over_text(book, state, weights(p), workspace(cell, K, m, block))


# --- synthesis (every cell) ----------------------------------------------------------------------------
@njit(inline="always", **JIT)
def step_logits(x, state, P, work, o):
    """One step of synthesis: the state advances on input x, o = c + V h (fixed order).
    Needs work.WT and work.VT (`refresh_transposes`)."""
    _load_state(state, work)
    _step(x, 0, P, work)
    _store_state(state, work, 1)
    _copy(o, P.c)
    matvec_acc(o, work.H[1], work.VT)
