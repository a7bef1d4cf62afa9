"""Synthesis (docs/algorithm.md section 4): feed each sampled character back in; inverse-CDF sampling, seeded.

Temperature divides the logits; nucleus (top-p) sampling keeps the smallest set of most likely
characters whose probability reaches p. Both default to off (1.0), which is plain sampling.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..errors import UserError
from . import cell_kernels, cells
from .elementwise import tanh_into
from .kernel import JIT, _copy, fast_exp
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


@njit(inline="always", **JIT)
def step(model, h, x, a, o):
    """One character through the RNN in the kernel's fixed-order arithmetic: h becomes
    tanh(U x + b + W h) and o the logits c + V h (docs/algorithm.md section 4.1). model = (UT, WT, VT,
    b, c): U, W and V transposed; a is scratch of size m. Sampling and the exact loss share it."""
    UT, WT, VT, b, c = model
    m = WT.shape[0]
    for i in range(m):
        a[i] = UT[x, i] + b[i]
    matvec_acc(a, h, WT)
    tanh_into(h, a)
    _copy(o, c)  # not o[:] = c: that compiles numpy's shape-error message (seconds)
    matvec_acc(o, h, VT)


@njit(inline="always", **JIT)
def _descending(o, order):
    """order = the indices of o from its largest entry to its smallest, ties in index order (what a
    stable sort of -o gives), by insertion (numpy's argsort costs seconds of compile time)."""
    for k in range(o.shape[0]):
        j = k
        while j > 0 and o[order[j - 1]] < o[k]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = k


@njit(inline="always", **JIT)
def draw(o, cdf, order, u, temperature, top_p):
    """The character drawn from logits o (overwritten) with one uniform u: softmax(o / temperature),
    top-p, inverse CDF (docs/algorithm.md sections 4.2-4.4); -1 when a logit is NaN or none is finite
    but -inf (a model that overflows: the caller refuses it)."""
    K = o.shape[0]
    mo = o[0]
    for k in range(K):
        if o[k] != o[k]:
            return -1
        mo = max(mo, o[k])
    if mo == -np.inf:
        return -1
    mx = mo / temperature
    if mo == np.inf:  # the infinite logits share the probability, the others get none
        mx = 1.0
        for k in range(K):
            o[k] = 1.0 if o[k] == np.inf else -np.inf
    elif abs(mx) < np.inf:
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
        _descending(o, order)
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
    u = u * cdf[K - 1]
    for k in range(K):
        if cdf[k] > u:
            return k
    return K - 1


@njit(**JIT)
def _sample(model, h, chars, how, out):
    """The RNN's loop, the same characters on any CPU: h through each character of feed in turn (inputs
    only, nothing drawn: priming), then, from input x, one character drawn per uniform into out, each fed
    back in. model = (UT, WT, VT, b, c); chars = (feed, x, uniforms); how = (temperature, top_p). One
    compiled loop for both, not two: a compile is seconds, a loop over no characters nothing."""
    feed, x, uniforms = chars
    temperature, top_p = how
    m, K = model[1].shape[0], model[2].shape[1]
    a, o, cdf, order = np.empty(m), np.empty(K), np.empty(K), np.empty(K, dtype=np.int64)
    for t in range(feed.shape[0]):
        step(model, h, feed[t], a, o)
    for t in range(out.shape[0]):
        step(model, h, x, a, o)
        x = draw(o, cdf, order, uniforms[t], temperature, top_p)
        out[t] = x
        if x < 0:
            break


@njit(**JIT)
def _sample_gated(P, work, state, chars, how, out):
    """The gated cells' loop: cell_kernels' step, the same feeding and drawing."""
    feed, x, uniforms = chars
    temperature, top_p = how
    K = P.V.shape[0]
    o, cdf, order = np.empty(K), np.empty(K), np.empty(K, dtype=np.int64)
    cell_kernels.refresh_transposes(P, work)
    for t in range(feed.shape[0]):
        cell_kernels.step_logits(feed[t], state, P, work, o)
    for t in range(out.shape[0]):
        cell_kernels.step_logits(x, state, P, work, o)
        x = draw(o, cdf, order, uniforms[t], temperature, top_p)
        out[t] = x
        if x < 0:
            break


def _run_loop(cell: str, p: Params, h, chars, how) -> np.ndarray:
    """The characters the cell's loop draws, one per uniform of chars = (feed, x0, uniforms), after
    feeding `feed`; h is updated in place. Every call passes the same types (feed contiguous int32), so
    the loop compiles once for priming and sampling both."""
    feed, x0, uniforms = chars
    out = np.empty(uniforms.shape[0], dtype=np.int32)
    chars = (np.ascontiguousarray(feed, dtype=np.int32), int(x0), uniforms)
    if cell == "rnn":
        _sample(rnn_model(p), h, chars, how, out)
    else:
        _sample_gated(cell_kernels.weights(p), cell_kernels.workspace(cell, p.K, p.m, 1), h, chars, how, out)
    return out


def rnn_model(p: Params):
    """(UT, WT, VT, b, c) of an RNN, contiguous float64: what `step` reads."""
    c64 = lambda a: np.array(a, dtype=np.float64, order="C")  # noqa: E731
    return c64(p.U.T), c64(p.W.T), c64(p.V.T), c64(p.b), c64(p.c)


def _checked_state(p: Params, h0, what: str) -> tuple[str, np.ndarray]:
    """(the cell, a float64 copy of the state h0) when h0 fits the model; a one-line error otherwise."""
    cell = cells.cell_of(p)
    h = np.array(h0, dtype=np.float64)
    if h.shape != (cells.state_size(cell, p.m),) or not np.isfinite(h).all():
        raise UserError(f"{what} does not fit the model ({cell}, m = {p.m})")
    return cell, h


def synthesize(p: Params, h0, x0: int, n: int, rng: np.random.Generator,
               temperature: float = 1.0, top_p: float = 1.0) -> np.ndarray:
    """n character ids sampled from a model of any cell, starting from its carried state h0 and input x0.

    One uniform draw per character, rng.random(n): the same stream as n calls of rng.random()."""
    if not 0 < temperature < np.inf:
        raise UserError(f"temperature must be > 0 and finite (got {temperature})")
    if not 0 < top_p <= 1:
        raise UserError(f"top_p must be in (0, 1] (got {top_p})")
    if not n >= 0:
        raise UserError(f"the length must be >= 0 (got {n})")
    if not 0 <= x0 < p.K:
        raise UserError(f"the start character {x0} is outside the model's vocabulary (K = {p.K})")
    cell, h = _checked_state(p, h0, "the state to start from")
    nothing_to_feed = np.empty(0, dtype=np.int32)
    out = _run_loop(cell, p, h, (nothing_to_feed, x0, rng.random(n)), (float(temperature), float(top_p)))
    bad = np.flatnonzero(out < 0)
    if bad.size:
        raise UserError(f"the model's scores of the next character are not numbers (NaN or all -inf) at character "
                        f"{bad[0]}: its weights overflow; retrain it")
    return out


def prime(p: Params, vocab: str, text: str, h0):
    """The state and next input after feeding `text` to the model from state h0 (docs/algorithm.md
    section 4.5): every character but the last goes through the recurrence, the last is the first input
    of the sampling that follows. A character outside the vocabulary is refused, naming it and its place."""
    if not text:
        raise UserError("the priming text is empty")
    index = {ch: i for i, ch in enumerate(vocab)}
    for position, ch in enumerate(text):
        if ch not in index:
            raise UserError(f"the priming text's character {ch!r} (U+{ord(ch):04X}) at position {position} is not "
                            "in the model's vocabulary")
    cell, h = _checked_state(p, h0, "the state to prime from")
    ids = np.array([index[ch] for ch in text], dtype=np.int32)
    _run_loop(cell, p, h, (ids[:-1], ids[-1], np.empty(0)), (1.0, 1.0))  # no uniforms: nothing drawn
    return h, int(ids[-1])


def start_state(p: Params, vocab: str, h, x0: int, text: str = "", prime_from: str = "zero"):
    """(h, x0) to sample from: the saved state, or the state after a priming text fed from a zero state
    or from the saved state."""
    if not text:
        return h, x0
    return prime(p, vocab, text, np.zeros_like(h) if prime_from == "zero" else h)


def snapshot_rng(synthesis_seed: int, step: int) -> np.random.Generator:
    """The generator of one snapshot: derived from (seed, step), so a resumed run draws the same text."""
    return np.random.default_rng([synthesis_seed, step])
