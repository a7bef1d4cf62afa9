"""Compiling ahead: every njit entry point the pipeline runs, compiled (or loaded from the per-machine
cache, `jitcache.py`) by running the real functions on a tiny text, before the jobs that run them start
side by side. `python -m rnn compile` and the benchmark call it; nothing that makes a result does, so an
edit here reruns neither training nor any other result (rnn/pipeline/code.py follows imports)."""

from __future__ import annotations

from pathlib import Path

from .jitcache import compile_clock


PARTS = ("train", "evaluate", "gradcheck", "synthesis")


def warm(parts=PARTS, cells=("rnn",)) -> dict:
    """Compile, or load from the cache, every njit entry point that the given parts of the pipeline run
    (training with its snapshots, the evaluation, the gradient check, synthesis with top-p) for each
    cell, for the types they run them with: the real functions on a tiny text. Returns the seconds per
    part, their sum, and what `jitcache.compile_clock` saw: the seconds spent compiling, and how many
    functions were compiled and how many loaded from the cache."""
    import io
    import tempfile
    from time import perf_counter

    import numpy as np

    from ..outputs import RunFiles
    from . import cell_gradcheck, evaluate, sample, train
    from .cells import init_params, state_size
    from .corpus import Corpus

    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    corpus = Corpus.from_text("a cab, a bac; abc. " * 4, "warm-up")
    seconds = {}
    with compile_clock() as clock:
        for cell in cells:
            name = "" if tuple(cells) == ("rnn",) else f" {cell}"
            with tempfile.TemporaryDirectory() as out:  # the kernel and, for the snapshot at step 0, the sampler
                if "train" in parts or "evaluate" in parts:
                    t = perf_counter()
                    cfg = train.TrainConfig(hidden_size=3, epochs=1, seq_length=5, snapshots_every=1, snapshots_until=0,
                                            snapshots_length=2, cell=cell)
                    train.train(corpus, cfg, out, progress_stream=io.StringIO())
                    seconds["train" + name] = perf_counter() - t
                if "evaluate" in parts:
                    t = perf_counter()
                    evaluate.evaluate_run(Path(out) / RunFiles.epochs, corpus, cfg.seq_length, 0.0)
                    seconds["evaluate" + name] = perf_counter() - t
            if "gradcheck" in parts:
                t = perf_counter()
                cell_gradcheck.check(cell, corpus.ids, corpus.K, 3, sig=0.01, seq_length=5, seed=1)
                seconds["gradcheck" + name] = perf_counter() - t
            if "synthesis" in parts:
                t = perf_counter()
                p = init_params(cell, corpus.K, 3, 0.01, 1)
                sample.synthesize(p, np.zeros(state_size(cell, 3)), 0, 2, np.random.default_rng(0), temperature=0.8,
                                  top_p=0.9)
                sample.prime(p, corpus.vocab, "ab", np.zeros(state_size(cell, 3)))
                seconds["synthesis" + name] = perf_counter() - t
    return {"seconds": seconds, "total_seconds": sum(seconds.values()), **clock}


def describe(result: dict) -> str:
    """One line for `warm()`'s result."""
    parts = ", ".join(f"{name} {s:.2f} s" for name, s in result["seconds"].items())
    return (f"compiled {result['compiled']} and loaded {result['loaded']} functions in "
            f"{result['total_seconds']:.2f} s ({parts}); cache {result['cache']}")
