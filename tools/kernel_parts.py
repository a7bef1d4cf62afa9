"""Where the kernel's update step spends its time: each part timed alone, all parts in alternating
rounds in one process (load on the machine hits them alike), medians.

    python tools/kernel_parts.py [--rounds 41] [--K 80] [--m 100]

The parts: the 49 matrix-vector products W h and W^T da, the four block products (H V^T, dO^T H,
dO V, dA^T H), tanh and exp over a step's elements, clip + AdaGrad (W and V with their transposed
copies, b, c and 20 rows of U), the forward pass, forward and back-propagation, and a whole step
as training runs it (run_updates).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnn.core import jitcache, kernel, model  # noqa: E402
from rnn.core.run import Run  # noqa: E402
from rnn.reporting import provenance  # noqa: E402
from rnn.core.elementwise import exp_into, tanh_into  # noqa: E402
from rnn.core.products import JIT, matmul, matmul_add, matvec_acc  # noqa: E402


@njit(**JIT)
def _matvecs(P, work, reps):
    H, dA, W, WT = work.H, work.dA, P.W, work.WT
    for _ in range(reps):
        for t in range(H.shape[0] - 1):
            matvec_acc(H[t + 1], H[t], WT, t % 2 == 1)
        for t in range(dA.shape[0] - 2, -1, -1):
            matvec_acc(dA[t], dA[t + 1], W, t % 2 == 1)


@njit(**JIT)
def _block_products(P, work, reps):
    H, Pr, dA = work.H, work.Pr, work.dA
    for _ in range(reps):
        matmul_add(Pr, H[1:], work.VT)
        matmul(work.gV, Pr.T, H[1:])
        matmul(work.dHo, Pr, P.V)
        matmul(work.gW, dA.T, H[:-1])


@njit(**JIT)
def _tanh_exp(a, o, reps):
    for _ in range(reps):
        for t in range(a.shape[0]):
            tanh_into(a[t], a[t])
        for t in range(o.shape[0]):
            exp_into(o[t], o[t], 0.0)


@njit(**JIT)
def _adagrad(P, M, work, reps):
    seen = work[9]
    for _ in range(reps):
        for k in range(min(20, seen.shape[0])):
            seen[k] = 1
        kernel._apply_update(P, M, work, 1e-12, 5.0)


@njit(**JIT)
def _forward(book, h, P, work, reps):
    for r in range(reps):
        kernel.forward(book, 0, work.Pr.shape[0], h, P, work)


@njit(**JIT)
def _gradients(book, h, P, work, reps):
    for r in range(reps):
        kernel.loss_and_gradients(book, 0, work.Pr.shape[0], h, P, work)
        work[9][:] = 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=41)
    ap.add_argument("--reps", type=int, default=20, help="steps' worth of each part per timing")
    ap.add_argument("--K", type=int, default=80)
    ap.add_argument("--m", type=int, default=100)
    ap.add_argument("--tau", type=int, default=25)
    a = ap.parse_args(argv)
    K, m, tau, R = a.K, a.m, a.tau, a.reps
    rng = np.random.default_rng(0)
    book = rng.integers(0, K, 200_000).astype(np.int32)
    p0 = model.init_params(K, m, 0.01, 1)
    P, M, work = kernel.weights(p0), kernel.weights(p0.zeros_like()), kernel.workspace(K, m, tau)
    kernel.refresh_transposes(P, work)
    kernel.loss_and_gradients(book, 0, tau, np.zeros(m), P, work)  # realistic values in every array
    a_, o_ = rng.standard_normal((tau, m)) * 0.5, rng.standard_normal((tau, K)) - 3.0
    run = Run(book, p0, eta=1e-12, clip=5.0, tau=tau, steps=R)

    def whole_step():
        run.step = 0  # the loss record holds R updates: each timing writes it again
        run.advance(R)

    parts = {
        f"{2 * tau - 1} matrix-vector products": lambda: _matvecs(P, work, R),
        "4 block products": lambda: _block_products(P, work, R),
        "tanh and exp": lambda: _tanh_exp(a_.copy(), o_.copy(), R),
        "clip + AdaGrad": lambda: _adagrad(P, M, work, R),
        "forward pass": lambda: _forward(book, np.zeros(m), P, work, R),
        "forward + back-propagation": lambda: _gradients(book, np.zeros(m), P, work, R),
        "whole step (run_updates)": whole_step,
    }
    for fn in parts.values():  # compile or load, warm up
        fn()
    times = {name: [] for name in parts}
    for _ in range(a.rounds):
        for name, fn in parts.items():
            t = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t) / R * 1e6)
    step = float(np.median(times["whole step (run_updates)"]))
    print(f"{provenance.machine()['cpu']} ({jitcache.cpu_key().rsplit('-', 1)[0]}); K = {K}, m = {m}, "
          f"seq_length = {tau}; medians of {a.rounds} alternating rounds, us per step:")
    for name, v in times.items():
        print(f"  {name:28s} {np.median(v):7.1f}  ({np.median(v) / step:4.0%} of a step; 10th percentile {np.percentile(v, 10):6.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
