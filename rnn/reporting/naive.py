"""The benchmark's baseline: one update step written as Karpathy's min-char-rnn writes it.

One-hot input vectors, np.dot per time step in both loops, per-parameter clipping and AdaGrad.
Kept only so that `python -m rnn bench` measures the kernel against the textbook implementation.
"""

import numpy as np


def update(p, mem, inputs, targets, hprev, eta, clip=5.0):
    """p and mem are dicts of U, W, V, b, c (b and c as column vectors); returns (loss, hprev)."""
    U, W, V, b, c = p["U"], p["W"], p["V"], p["b"], p["c"]
    K = U.shape[1]
    xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((K, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(U, xs[t]) + np.dot(W, hs[t - 1]) + b)
        ys = np.dot(V, hs[t]) + c
        ps[t] = np.exp(ys - np.max(ys)) / np.sum(np.exp(ys - np.max(ys)))
        loss += -np.log(ps[t][targets[t], 0])
    dU, dW, dV = np.zeros_like(U), np.zeros_like(W), np.zeros_like(V)
    db, dc = np.zeros_like(b), np.zeros_like(c)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dV += np.dot(dy, hs[t].T)
        dc += dy
        dh = np.dot(V.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        db += dhraw
        dU += np.dot(dhraw, xs[t].T)
        dW += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(W.T, dhraw)
    for name, grad in zip(("U", "W", "V", "b", "c"), (dU, dW, dV, db, dc)):
        np.clip(grad, -clip, clip, out=grad)
        mem[name] += grad * grad
        p[name] += -eta * grad / np.sqrt(mem[name] + 1e-8)
    return loss, hs[len(inputs) - 1]
