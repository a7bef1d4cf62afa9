"""Microseconds per update step of every cell's kernel, side by side in one process (for `python -m
rnn bench`), at the original's sizes by default (K = 80, m = 100, seq_length 25).

The RNN runs through kernel.py, the LSTM and the GRU through cell_kernels.py. This module stands apart
from the kernels so that editing it does not make numba recompile them (its cache is per source file).
"""

from __future__ import annotations

import time

import numpy as np

from ..core import cells, kernel
from ..core.cell_kernels import Best, Hyper, Position, Record, State, Weights, run_updates, weights, workspace


def _chunk_runner(cell: str, K: int, m: int, tau: int, seed: int, chunk: int):
    """A function running `chunk` updates of `cell` on a random text (the RNN through kernel.py)."""
    rng = np.random.default_rng(seed)
    book = rng.integers(0, K, 200_000).astype(np.int32)
    p = cells.init_params(cell, K, m, 0.01, seed)
    P, M = weights(p), weights(p.zeros_like())
    state = np.zeros(cells.state_size(cell, m))
    work = kernel.workspace(K, m, tau) if cell == "rnn" else workspace(cell, K, m, tau)
    run = kernel.run_updates if cell == "rnn" else run_updates
    best = Best(Weights(*(a.copy() for a in P)), state.copy(), np.array([np.inf, 0.0, 0.0]))
    record = Record(np.zeros(chunk), np.zeros(chunk))
    position = [0]

    def go():
        _, position[0], _ = run(book, Hyper(0.1, 5.0, tau), State(P, M, state, work), best, record,
                                 Position(position[0], 1, 100.0), chunk)

    return go


def bench_cells(cells_=cells.CELLS, K: int = 80, m: int = 100, tau: int = 25, rounds: int = 15,
                chunk: int = 200, seed: int = 0) -> dict:
    """{cell: {"us": median microseconds per update step, "first_call_seconds": compile or cache load
    and the first chunk, "ratio_to_rnn": the median over rounds of its time / the RNN's}}: the cells'
    chunks run in turn, round after round, in this one process, so that a machine shared with other
    work slows each cell alike (the ratio only when "rnn" is among the cells)."""
    runners, result = {}, {}
    for cell in cells_:
        t = time.perf_counter()
        runners[cell] = _chunk_runner(cell, K, m, tau, seed, chunk)
        runners[cell]()
        result[cell] = {"first_call_seconds": time.perf_counter() - t}
    times = {cell: [] for cell in cells_}
    for _ in range(rounds):
        for cell, go in runners.items():
            t = time.perf_counter()
            go()
            times[cell].append((time.perf_counter() - t) / chunk * 1e6)
    for cell in cells_:
        result[cell]["us"] = float(np.median(times[cell]))
        if "rnn" in cells_:
            result[cell]["ratio_to_rnn"] = float(np.median(np.array(times[cell]) / np.array(times["rnn"])))
    return result


def bench_cell(cell: str, K: int = 80, m: int = 100, tau: int = 25, rounds: int = 15, chunk: int = 200,
               seed: int = 0) -> float:
    """Median microseconds per update step of one cell's kernel (see bench_cells)."""
    return bench_cells((cell,), K, m, tau, rounds, chunk, seed)[cell]["us"]
