"""Compiling ahead: every njit entry point the pipeline runs, compiled (or loaded from the per-machine
cache, `jitcache.py`) by running the real functions on a tiny text, before the jobs that run them start
side by side. `python -m rnn compile` and the benchmark call it; nothing that makes a result does, so an
edit here reruns neither training nor any other result (rnn/pipeline/code.py follows imports)."""

from __future__ import annotations

from .jitcache import compile_clock


PARTS = ("train", "evaluate", "gradcheck", "synthesis")


def warm(parts=PARTS, cells=("rnn",)) -> dict:
    """Compile, or load from the cache, every njit entry point that the given parts of the pipeline run
    (training's update kernel, the evaluation's loss over a text, the gradient check, synthesis with
    top-p and priming) for each cell, for the types they run them with: the real functions on a tiny
    text, each part only its own. Returns the seconds per part, their sum, and what
    `jitcache.compile_clock` saw: the seconds spent compiling, and how many functions were compiled and
    how many loaded from the cache."""
    from time import perf_counter

    import numpy as np

    from . import cell_gradcheck, evaluate, sample
    from .cells import init_params, state_size
    from .corpus import Corpus
    from .run import Run

    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    corpus = Corpus.from_text("a cab, a bac; abc. " * 4, "warm-up")
    seconds = {}
    with compile_clock() as clock:
        for cell in cells:
            name = "" if tuple(cells) == ("rnn",) else f" {cell}"
            p = init_params(cell, corpus.K, 3, 0.01, 1)
            if "train" in parts:  # the update kernel, called as train.train calls it
                t = perf_counter()
                Run(corpus.ids, p, eta=0.1, clip=5.0, tau=5, steps=2).advance(2)
                seconds["train" + name] = perf_counter() - t
            if "evaluate" in parts:
                t = perf_counter()
                evaluate.evaluate(p, corpus.ids)
                seconds["evaluate" + name] = perf_counter() - t
            if "gradcheck" in parts:
                t = perf_counter()
                cell_gradcheck.check(cell, corpus.ids, corpus.K, 3, sig=0.01, seq_length=5, seed=1)
                seconds["gradcheck" + name] = perf_counter() - t
            if "synthesis" in parts:
                t = perf_counter()
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
