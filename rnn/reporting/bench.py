"""`python -m rnn bench`: microseconds per update step of the naive baseline, the reference and the kernel.

All three run in one process on the original report's sizes (K = 80 random characters, m = 100, seq_length 25),
float64, one after another, so the speed-up is measured side by side on the same machine.
"""

from __future__ import annotations

import time

import numpy as np

from ..core import kernel, model

from . import naive


def _median_us(fn, repeats: int, per_call: int = 1) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) / per_call)
    return float(np.median(times) * 1e6)


def run(steps: int = 2000, K: int = 80, m: int = 100, tau: int = 25, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    book = rng.integers(0, K, 200_000).astype(np.int32)
    positions = iter(range(0, 10**12, tau))

    def sequence():
        e = next(positions) % (len(book) - tau - 1)
        return book[e:e + tau], book[e + 1:e + tau + 1]

    p0 = model.init_params(K, m, 0.01, seed)

    pn = {k: (v.copy() if v.ndim == 2 else v[:, None].copy()) for k, v in p0.arrays().items()}
    mn = {k: np.zeros_like(v) for k, v in pn.items()}
    hn = [np.zeros((m, 1))]

    def naive_step():
        x, y = sequence()
        _, hn[0] = naive.update(pn, mn, x, y, hn[0], 0.1)

    pr, mr, hr = p0.copy(), p0.zeros_like(), [np.zeros(m)]

    def reference_step():
        x, y = sequence()
        _, hr[0] = model.update(pr, mr, x, y, hr[0], 0.1)

    t = time.perf_counter()
    state = kernel.KernelState.from_params(p0)
    work = kernel.workspace(K, m, tau)
    hk = np.zeros(m)
    chunk = 1000
    losses, smooths = np.zeros(chunk), np.zeros(chunk)
    best_P = tuple(a.copy() for a in state.param_tuple())
    best = np.array([np.inf, 0.0, 0.0])
    P, M = state.param_tuple(), state.memory_tuple()

    def kernel_chunk():
        kernel.run_updates(book, (0.1, 5.0, tau), (P, M, hk, work), (best_P, np.zeros(m), best),
                           (losses, smooths), (0, 1, 100.0), chunk)

    kernel_chunk()
    first_call = time.perf_counter() - t

    for f in (naive_step, reference_step):
        for _ in range(50):
            f()
    n_slow = max(steps // 4, 50)
    result = {
        "K": K, "m": m, "seq_length": tau, "dtype": "float64",
        "naive_us": _median_us(naive_step, n_slow),
        "reference_us": _median_us(reference_step, n_slow),
        "kernel_us": _median_us(kernel_chunk, max(steps // chunk, 5) * 4, per_call=chunk),
        "kernel_first_call_seconds": first_call,
    }
    result["speedup_vs_naive"] = result["naive_us"] / result["kernel_us"]
    result["reference_speedup_vs_naive"] = result["naive_us"] / result["reference_us"]
    return result


def report(result: dict) -> str:
    return "\n".join([
        f"update step, K = {result['K']}, m = {result['m']}, seq_length = {result['seq_length']}, float64:",
        f"  naive (min-char-rnn style)  {result['naive_us']:9.1f} us/step",
        f"  reference (rnn.model)       {result['reference_us']:9.1f} us/step  "
        f"({result['reference_speedup_vs_naive']:.1f}x)",
        f"  compiled kernel             {result['kernel_us']:9.1f} us/step  ({result['speedup_vs_naive']:.1f}x)",
        f"  kernel ready after {result['kernel_first_call_seconds']:.2f} s (compile or cache load + first 1000 steps)",
    ])
