"""`python -m rnn bench`: microseconds per update step of the naive baseline, the reference and the kernel.

All three run in one process on the original report's sizes (K = 80 random characters, m = 100,
seq_length 25), float64, in alternating rounds, so that load on the machine hits them alike; the
figures are medians over the rounds. Also recorded: the seconds `warmup.warm()` took in this
process (a cold cache compiles, a warm one loads), and the kernel's multiply-adds per second against
this core's peak without FMA, measured by `_peak_loop`, so that the floor of a step is known. Given
the records of the pipeline's compiling jobs (the compile jobs of each cell, the gradient check), the
seconds they spent compiling, summed (`pipeline_compile`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ..core import cells, jitcache, model, warmup
from ..core.run import Run
from ..core.products import JIT, _F64, _I32, _shapes, _splat
from . import naive, provenance


def multiply_adds(K: int, m: int, tau: int) -> int:
    """Multiply-adds of the products of one update step: W h and W^T da (tau and tau - 1 times),
    O = H V^T, dO^T H, dO V and dA^T H."""
    return m * m * (2 * tau - 1) + 3 * tau * K * m + m * m * tau


@intrinsic
def _chains(typingctx, n, f, g):
    """n rounds of x_i = x_i * f and y_i = y_i + g on independent vectors of the target's width, as
    many of each as its vector registers hold: vector multiplies and adds, no FMA. Returns a sum of
    them, so that none is optimised away."""

    def codegen(context, builder, sig, args):
        n_, f_, g_ = args
        shape = _shapes(context)
        lanes, chains = shape["lanes"], (shape["registers"] - 4) // 2
        vec = ir.VectorType(_F64, lanes)
        fv, gv = _splat(builder, f_, lanes), _splat(builder, g_, lanes)
        xs = [cgutils.alloca_once_value(builder, _splat(builder, ir.Constant(_F64, 1.0 + k), lanes)) for k in range(chains)]
        ys = [cgutils.alloca_once_value(builder, _splat(builder, ir.Constant(_F64, k), lanes)) for k in range(chains)]
        with cgutils.for_range(builder, n_):
            for x, y in zip(xs, ys):
                builder.store(builder.fmul(builder.load(x), fv), x)
                builder.store(builder.fadd(builder.load(y), gv), y)
        total = ir.Constant(vec, [0.0] * lanes)
        for acc in xs + ys:
            total = builder.fadd(total, builder.load(acc))
        return builder.extract_element(total, ir.Constant(_I32, 0))

    return types.float64(n, f, g), codegen


@njit(**JIT)
def _peak_loop(n, f, g):
    return _chains(n, f, g)


def peak_multiply_adds_per_second(seconds: float = 0.3) -> float:
    """This core's multiply-adds per second without FMA: the best of several timed runs of `_peak_loop`."""
    from numba.core.registry import cpu_target

    shape = _shapes(cpu_target.target_context)
    per_round = shape["lanes"] * ((shape["registers"] - 4) // 2)
    _peak_loop(10, 1.0, 0.0)
    rounds, best, end = 200_000, 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        _peak_loop(rounds, 1.0000000001, 1e-9)
        best = max(best, rounds * per_round / (time.perf_counter() - t))
    return best


def _kernel_chunk(cell: str, book, K: int, m: int, tau: int, seed: int, chunk: int):
    """A function making `chunk` updates of `cell`'s kernel per call (training goes on from call to call)."""
    run = Run(book, cells.init_params(cell, K, m, 0.01, seed), eta=0.1, clip=5.0, tau=tau, steps=chunk)

    def go():
        run.step = 0  # the same loss record each time
        run.advance(chunk)

    return go


def run(steps: int = 2000, K: int = 80, m: int = 100, tau: int = 25, seed: int = 0, rounds: int = 10,
        cells_=("rnn",)) -> dict:
    """Median microseconds per step of the naive baseline, the reference and each cell's kernel, `steps`
    RNN kernel steps in all (a tenth of that of the reference, a twentieth of the naive baseline; as
    many of each gated cell), in `rounds` alternating rounds."""
    compiled = warmup.warm(cells=cells_)
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

    chunk = max(steps // rounds, 1)
    gated = [cell for cell in cells_ if cell != "rnn"]
    blocks = {"naive": (naive_step, max(chunk // 20, 1)), "reference": (reference_step, max(chunk // 10, 1)),
              "kernel": (_kernel_chunk("rnn", book, K, m, tau, seed, chunk), 1),
              **{f"kernel_{cell}": (_kernel_chunk(cell, book, K, m, tau, seed, chunk), 1) for cell in gated}}
    for fn, _ in blocks.values():  # warm up: caches, branch predictors, numpy's first calls
        fn()
    times = {name: [] for name in blocks}
    for _ in range(rounds):
        for name, (fn, calls) in blocks.items():
            t = time.perf_counter()
            for _ in range(calls):
                fn()
            times[name].append((time.perf_counter() - t) / (chunk if name.startswith("kernel") else calls) * 1e6)
    us = {name: float(np.median(v)) for name, v in times.items()}
    peak = peak_multiply_adds_per_second()
    madds = multiply_adds(K, m, tau)
    result = {
        "K": K, "m": m, "seq_length": tau, "dtype": "float64", "cpu": provenance.machine()["cpu"],
        "target": jitcache.cpu_key().rsplit("-", 1)[0], "rounds": rounds,
        "naive_us": us["naive"], "reference_us": us["reference"], "kernel_us": us["kernel"],
        "compile_seconds": compiled["total_seconds"], "compile_cold": compiled["compiled"] > 0,
        "compiled_functions": compiled["compiled"], "loaded_functions": compiled["loaded"],
        "multiply_adds_per_step": madds,
        "kernel_multiply_adds_per_second": madds / (us["kernel"] * 1e-6),
        "peak_multiply_adds_per_second": peak,
        "floor_us": madds / peak * 1e6,
    }
    result["cells"] = {cell: {"us": us[f"kernel_{cell}"], "ratio_to_rnn": float(np.median(
        np.array(times[f"kernel_{cell}"]) / np.array(times["kernel"])))} for cell in gated}
    result["speedup_vs_naive"] = result["naive_us"] / result["kernel_us"]
    result["reference_speedup_vs_naive"] = result["naive_us"] / result["reference_us"]
    result["kernel_over_floor"] = result["kernel_us"] / result["floor_us"]
    return result


def pipeline_compile(records) -> dict:
    """The seconds numba spent compiling in each of the pipeline's compiling jobs (the compile jobs of
    each cell, the gradient check: their records, as `python -m rnn compile` and `gradcheck
    --compile-record` write them), summed over jobs that may have run side by side, and how many
    functions they compiled and loaded. A record that is missing or unreadable is left out of the sum
    and named under `unread` with the reason: it is a measurement, and remaking it would retrain.
    (A compile job's record from before `compile_seconds` existed gives the seconds of its warm-up.)"""
    seconds, unread, compiled, loaded = {}, {}, 0, 0
    for path in map(str, records):
        try:
            record = json.loads(Path(path).read_text(encoding="utf-8"))
            s = record["compile_seconds"] if "compile_seconds" in record else record["total_seconds"]
            c, n = record["compiled"], record["loaded"]
            if not (type(s) in (int, float) and 0 <= s < float("inf") and type(c) is int and type(n) is int
                    and c >= 0 and n >= 0):
                raise ValueError("its seconds or counts are not a measurement")
        except FileNotFoundError:
            unread[path] = "missing"
            continue
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            unread[path] = f"{type(exc).__name__}: {exc}"
            continue
        seconds[path] = float(s)
        compiled += c
        loaded += n
    return {"seconds": seconds, "total_seconds": sum(seconds.values()), "compiled": compiled, "loaded": loaded,
            "unread": unread}


def report(result: dict) -> str:
    how = ("compiled {compiled_functions} functions into an empty cache" if result["compile_cold"]
           else "loaded {loaded_functions} functions from the cache").format(**result)
    return "\n".join([
        f"update step, K = {result['K']}, m = {result['m']}, seq_length = {result['seq_length']}, float64, "
        f"{result['cpu']} ({result['target']}), medians of {result['rounds']} alternating rounds:",
        f"  naive (min-char-rnn style)  {result['naive_us']:9.1f} us/step",
        f"  reference (rnn.model)       {result['reference_us']:9.1f} us/step  "
        f"({result['reference_speedup_vs_naive']:.1f}x)",
        f"  compiled kernel             {result['kernel_us']:9.1f} us/step  ({result['speedup_vs_naive']:.1f}x)",
        *(f"  compiled kernel, {cell:<10} {c['us']:9.1f} us/step  ({c['ratio_to_rnn']:.2f}x the RNN's, the median "
          "of the rounds' ratios)" for cell, c in result.get("cells", {}).items()),
        f"  kernel: {result['multiply_adds_per_step'] / 1e6:.2f} million multiply-adds per step at "
        f"{result['kernel_multiply_adds_per_second'] / 1e9:.2f} G/s; this core's peak without FMA "
        f"{result['peak_multiply_adds_per_second'] / 1e9:.2f} G/s (measured), so the floor is "
        f"{result['floor_us']:.1f} us/step and the kernel takes {result['kernel_over_floor']:.2f}x that",
        f"  compiled code ready in {result['compile_seconds']:.2f} s ({how})",
        *([_pipeline_line(result["pipeline_compile"])] if result.get("pipeline_compile") else []),
    ])


def _pipeline_line(pc: dict) -> str:
    jobs = " + ".join(f"{path} {s:.1f} s" for path, s in pc["seconds"].items())
    return (f"  compiling in this pipeline's jobs: {jobs} = {pc['total_seconds']:.1f} s "
            f"({pc['compiled']} functions compiled, {pc['loaded']} loaded from the cache)"
            + provenance.unread_records(pc))
