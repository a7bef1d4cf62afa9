"""Time this tree's kernel against the BLAS kernel of commit e21fefd, alternately in one process.

    python tools/compare_kernel.py [--rounds 30] [--chunk 200] [--K 80] [--m 100]

e21fefd's rnn/kernel.py is taken from git (`git show`) into a module of its own, kept in the
rnn compile cache directory so that numba compiles it once per machine. Both kernels start from
the same weights and text and run `--chunk` updates in turn, `--rounds` times; load on the
machine hits both alike. Prints the median microseconds per update of each and their ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnn import jitcache, kernel, model, provenance  # noqa: E402

BLAS_COMMIT = "e21fefd"


def blas_kernel():
    """e21fefd's kernel as module `rnn_blas_kernel` (its relative imports pointed at rnn)."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{BLAS_COMMIT}:rnn/kernel.py"],
                            capture_output=True, text=True, check=True).stdout
    source = source.replace("from .model import", "from rnn.model import")
    path = jitcache.cache_root() / "compare" / f"kernel_{BLAS_COMMIT}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != source:
        path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"rnn_blas_kernel_{BLAS_COMMIT}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # numba's cache finds a function's module by name
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--chunk", type=int, default=200)
    ap.add_argument("--K", type=int, default=80)
    ap.add_argument("--m", type=int, default=100)
    ap.add_argument("--tau", type=int, default=25)
    a = ap.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    K, m, tau, n = a.K, a.m, a.tau, a.chunk
    book = np.random.default_rng(0).integers(0, K, 200_000).astype(np.int32)
    p0 = model.init_params(K, m, 0.01, 1)
    old = blas_kernel()

    def portable():
        state = kernel.KernelState.from_params(p0)
        args = [book, (0.1, 5.0, tau), (state.param_tuple(), state.memory_tuple(), np.zeros(m),
                                        kernel.workspace(K, m, tau)),
                (tuple(x.copy() for x in state.param_tuple()), np.zeros(m), np.array([np.inf, 0.0, 0.0])),
                (np.zeros(n), np.zeros(n)), None, n]
        pos = [0, 0, 0.0]

        def run():
            args[5] = tuple(pos)
            done, pos[0], pos[2] = kernel.run_updates(*args)
            pos[1] += done
        return run

    def blas():
        state = old.KernelState.from_params(p0)
        P, M, work = state.param_tuple(), state.memory_tuple(), old.workspace(K, m, tau)
        h, best_P, best_h = np.zeros(m), tuple(x.copy() for x in P), np.zeros(m)
        best, losses, smooths = np.array([np.inf, 0.0, 0.0]), np.zeros(n), np.zeros(n)
        pos = [0, 0, 0.0]

        def run():
            done, pos[0], pos[2] = old.run_updates(book, pos[0], h, P, M, work, 0.1, 5.0, tau, n, pos[1], pos[2],
                                                   losses, smooths, best_P, best_h, best)
            pos[1] += done
        return run

    runs = {"portable": portable(), f"BLAS {BLAS_COMMIT}": blas()}
    times = {name: [] for name in runs}
    for name, run in runs.items():  # compile or load, and warm up
        t = time.perf_counter()
        run()
        print(f"{name}: ready after {time.perf_counter() - t:.2f} s", file=sys.stderr)
    for _ in range(a.rounds):
        for name, run in runs.items():
            t = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - t) / n * 1e6)
    med = {name: float(np.median(v)) for name, v in times.items()}
    (pn, pt), (bn, bt) = med.items()
    print(f"CPU: {provenance.machine()['cpu']} ({jitcache.cpu_key().rsplit('-', 1)[0]}); K = {K}, m = {m}, seq_length = {tau}; {a.rounds} rounds of {n} updates, alternating")
    for name, v in times.items():
        q1, q3 = np.percentile(v, [25, 75])
        print(f"  {name:14s} {med[name]:7.1f} us/step (quartiles {q1:.1f} - {q3:.1f})")
    print(f"  ratio BLAS / portable = {bt / pt:.3f} (above 1: the portable kernel is faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
