"""Synthesis (SPEC section 4): feed each sampled character back in; inverse-CDF sampling, seeded.

Temperature divides the logits; nucleus (top-p) sampling keeps the smallest set of most likely
characters whose probability reaches p. Both default to off (1.0), which is SPEC's plain sampling.
"""

from __future__ import annotations

import numpy as np

from .errors import UserError
from .model import Params, hidden_step


def next_distribution(o: np.ndarray, temperature: float = 1.0, top_p: float = 1.0) -> np.ndarray:
    """Probabilities from logits o after temperature and top-p; sums to 1."""
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


def synthesize(p: Params, h0, x0: int, n: int, rng: np.random.Generator,
               temperature: float = 1.0, top_p: float = 1.0) -> np.ndarray:
    """n character ids sampled from the model, starting from hidden state h0 and input x0."""
    if not temperature > 0:
        raise UserError(f"temperature must be > 0 (got {temperature})")
    if not 0 < top_p <= 1:
        raise UserError(f"top_p must be in (0, 1] (got {top_p})")
    h = np.array(h0, dtype=np.float64)
    x = int(x0)
    out = np.empty(n, dtype=np.int32)
    for t in range(n):
        h = hidden_step(p, h, x)
        probs = next_distribution(p.V @ h + p.c, temperature, top_p)
        cdf = np.cumsum(probs)
        x = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(cdf) - 1)
        out[t] = x
    return out


def snapshot_rng(sample_seed: int, step: int) -> np.random.Generator:
    """The generator of one snapshot: derived from (seed, step), so a resumed run draws the same text."""
    return np.random.default_rng([sample_seed, step])
