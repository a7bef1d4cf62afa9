"""Time this tree's kernel against another commit's, by default the BLAS kernel of e21fefd, alternately in one process.

    python tools/compare_kernel.py [--against e21fefd] [--rounds 200] [--chunk 50] [--K 80] [--m 100]

The other commit's rnn package is taken from git (`git archive`) into a package of its own,
`rnn_<commit>`, kept in the rnn compile cache directory so that numba compiles it once per machine.
Both kernels start from the same weights and text and run `--chunk` updates in turn, `--rounds`
times; load on the machine hits both alike. Prints the median microseconds per update of each, the
ratio of the medians, and the median of the ratios of the two in each round (on a busy machine the
steadier figure: each round's pair ran under about the same load).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

# one BLAS thread, as the old kernel ran in training: set before numpy loads BLAS (a second, spinning
# thread would take the other core and slow both kernels)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnn.core import jitcache, kernel, model  # noqa: E402
from rnn.reporting import provenance  # noqa: E402


def other_kernel(commit: str):
    """The kernel module of `commit`'s rnn package, imported as package rnn_<commit>."""
    name = "rnn_" + subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", commit], capture_output=True,
                                   text=True, check=True).stdout.strip()
    home = jitcache.cache_root() / "compare"
    if not (home / name).is_dir():
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "rnn"], capture_output=True,
                                 check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(home / "tmp", filter="data")
        (home / "tmp" / "rnn").rename(home / name)
    sys.path.insert(0, str(home))
    layered = (home / name / "core" / "kernel.py").is_file()  # since the core subpackage
    return importlib.import_module(f"{name}.core.kernel" if layered else f"{name}.kernel")


def runner(k, book, p0, K, m, tau, n):
    """n updates per call of kernel module k, whichever signature its run_updates has."""
    named = hasattr(k, "Hyper")  # since the argument groups are named tuples
    if named:
        P, M = k.weights(p0), k.weights(p0.zeros_like())
    else:
        state = k.KernelState.from_params(p0)
        P, M = state.param_tuple(), state.memory_tuple()
    work = k.workspace(K, m, tau)
    copies = tuple(x.copy() for x in P)
    h, best_P, best_h = np.zeros(m), type(P)(*copies) if named else copies, np.zeros(m)
    best, losses, smooths = np.array([np.inf, 0.0, 0.0]), np.zeros(n), np.zeros(n)
    pos = [0, 0, 0.0]
    grouped = len(inspect.signature(k.run_updates.py_func).parameters) == 7

    def run():
        if named:
            done, pos[0], pos[2] = k.run_updates(book, k.Hyper(0.1, 5.0, tau), k.State(P, M, h, work),
                                                 k.Best(best_P, best_h, best), k.Record(losses, smooths),
                                                 k.Position(*pos), n)
        elif grouped:
            done, pos[0], pos[2] = k.run_updates(book, (0.1, 5.0, tau), (P, M, h, work), (best_P, best_h, best),
                                                 (losses, smooths), tuple(pos), n)
        else:  # e21fefd's
            done, pos[0], pos[2] = k.run_updates(book, pos[0], h, P, M, work, 0.1, 5.0, tau, n, pos[1], pos[2],
                                                 losses, smooths, best_P, best_h, best)
        pos[1] += done
    return run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", default="e21fefd", help="the other commit (default: the BLAS kernel's)")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--K", type=int, default=80)
    ap.add_argument("--m", type=int, default=100)
    ap.add_argument("--tau", type=int, default=25)
    a = ap.parse_args(argv)
    K, m, tau, n = a.K, a.m, a.tau, a.chunk
    book = np.random.default_rng(0).integers(0, K, 200_000).astype(np.int32)
    p0 = model.init_params(K, m, 0.01, 1)
    runs = {"this tree": runner(kernel, book, p0, K, m, tau, n),
            a.against: runner(other_kernel(a.against), book, p0, K, m, tau, n)}
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
    print(f"CPU: {provenance.machine()['cpu']} ({jitcache.cpu_key().rsplit('-', 1)[0]}); K = {K}, m = {m}, "
          f"seq_length = {tau}; {a.rounds} rounds of {n} updates, alternating")
    for name, v in times.items():
        q1, q3 = np.percentile(v, [25, 75])
        print(f"  {name:14s} {med[name]:7.1f} us/step (quartiles {q1:.1f} - {q3:.1f})")
    paired = np.array(times[a.against]) / np.array(times["this tree"])  # the same round: the same load
    q1, q3 = np.percentile(paired, [25, 75])
    print(f"  ratio {a.against} / this tree: of the medians {med[a.against] / med['this tree']:.3f}, median of the "
          f"rounds' ratios {np.median(paired):.3f} (quartiles {q1:.3f} - {q3:.3f}); above 1: this tree is faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
