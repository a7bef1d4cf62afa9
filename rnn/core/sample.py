"""Synthesis (docs/algorithm.md section 4): feed each sampled character back in; inverse-CDF sampling, seeded.

Temperature divides the logits; nucleus (top-p) sampling keeps the smallest set of most likely
characters whose probability reaches p. Both default to off (1.0), which is plain sampling.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..errors import UserError
from .kernel import JIT, fast_exp, fast_tanh
from .model import Params
from .products import matvec_acc


def next_distribution(o: np.ndarray, temperature: float = 1.0, top_p: float = 1.0) -> np.ndarray:
    """Probabilities from logits o after temperature and top-p; sums to 1.

    The readable numpy statement of the distribution that `_sample` draws from (tests hold it to this)."""
    z = o / temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    if top_p < 1.0:
        order = np.argsort(-p, kind="stable")
        keep = np.searchsorted(np.cumsum(p[order]), top_p) + 1  # smallest prefix reaching top_p
        mask = np.zeros_like(p)
        mask[order[:keep]] = 1.0
        p = p * mask
        p /= p.sum()
    return p


@njit(**JIT)
def _sample(model, h, x, uniforms, how, out):
    """The sampling loop in the kernel's fixed-order arithmetic: the same characters on any CPU.

    model = (UT, WT, VT, b, c) (U, W and V transposed); h and x: the state and input to start from;
    one uniform draw per character; how = (temperature, top_p)."""
    UT, WT, VT, b, c = model
    temperature, top_p = how
    m, K = WT.shape[0], VT.shape[1]
    a = np.empty(m)
    o = np.empty(K)
    cdf = np.empty(K)
    for t in range(out.shape[0]):
        for i in range(m):  # h_t = tanh(U x_t + b + W h_{t-1})
            a[i] = UT[x, i] + b[i]
        matvec_acc(a, h, WT)
        for i in range(m):
            h[i] = fast_tanh(a[i])
        o[:] = c  # o_t = c + V h_t, then softmax(o_t / temperature)
        matvec_acc(o, h, VT)
        mo = o[0]
        for k in range(1, K):
            mo = max(mo, o[k])
        mx = mo / temperature
        if abs(mx) < np.inf:
            for k in range(K):
                o[k] = o[k] / temperature
        else:  # o / temperature overflows (temperature near 0): the same limit, o - max o scaled first
            mx = 0.0
            for k in range(K):
                o[k] = (o[k] - mo) / temperature
        s = 0.0
        for k in range(K):
            o[k] = fast_exp(o[k] - mx)
            s += o[k]
        for k in range(K):
            o[k] = o[k] / s
        if top_p < 1.0:  # keep the smallest set of most likely characters reaching top_p
            order = np.argsort(-o, kind="mergesort")
            total = 0.0
            keep = K
            for r in range(K):
                total += o[order[r]]
                if total >= top_p:
                    keep = r + 1
                    break
            for r in range(keep, K):
                o[order[r]] = 0.0
        total = 0.0  # inverse CDF: the first k with cdf[k] > u * cdf[K - 1]
        for k in range(K):
            total += o[k]
            cdf[k] = total
        u = uniforms[t] * cdf[K - 1]
        x = K - 1
        for k in range(K):
            if cdf[k] > u:
                x = k
                break
        out[t] = x


def synthesize(p: Params, h0, x0: int, n: int, rng: np.random.Generator,
               temperature: float = 1.0, top_p: float = 1.0) -> np.ndarray:
    """n character ids sampled from the model, starting from hidden state h0 and input x0.

    One uniform draw per character, rng.random(n): the same stream as n calls of rng.random()."""
    if not 0 < temperature < np.inf:
        raise UserError(f"temperature must be > 0 and finite (got {temperature})")
    if not 0 < top_p <= 1:
        raise UserError(f"top_p must be in (0, 1] (got {top_p})")
    if not n >= 0:
        raise UserError(f"the length must be >= 0 (got {n})")
    if not 0 <= x0 < p.K or np.shape(h0) != (p.m,) or not np.isfinite(h0).all():
        raise UserError(f"the start character {x0} or the state is outside the model (K = {p.K}, m = {p.m})")
    out = np.empty(n, dtype=np.int32)
    c64 = lambda a: np.array(a, dtype=np.float64, order="C")  # noqa: E731
    _sample((c64(p.U.T), c64(p.W.T), c64(p.V.T), c64(p.b), c64(p.c)), c64(h0), int(x0), rng.random(n),
            (float(temperature), float(top_p)), out)
    return out


def snapshot_rng(sample_seed: int, step: int) -> np.random.Generator:
    """The generator of one snapshot: derived from (seed, step), so a resumed run draws the same text."""
    return np.random.default_rng([sample_seed, step])
