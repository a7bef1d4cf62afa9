"""numba's compile cache for the rnn package: once per machine and user, keyed by content.

numba's own cache lives in each clone's `__pycache__` and checks only the file that defines a
function: a fresh clone compiles everything again, and an edit of a callee in another file
(`products.py` under `kernel.py`'s `run_updates`) leaves the caller's cached code stale. Here every
njit function of the package is cached in

    $RNN_NUMBA_CACHE, else $NUMBA_CACHE_DIR/rnn, else $XDG_CACHE_HOME/rnn/numba, else ~/.cache/rnn/numba

under `<key>/<cpu>/`: the key hashes the content of the function's module and of every rnn module
it imports (transitively), with the versions of Python, numba, llvmlite and numpy; `<cpu>` names the
target numba generates code for (CPU name and a hash of its features). So clones of the same code
share one cache, any edit of compiled code gets a new directory, and the nodes of a cluster with a
shared home each find their own code. numba writes each file under a temporary name and renames it
into place, so processes that compile at the same time do not see half-written files; within one
`<key>/<cpu>` directory they write the same entries (one signature per function), so whichever
rename lands last is as good as the other.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import warnings
from functools import cache
from pathlib import Path

import llvmlite
import numba
import numpy
from numba.core.caching import CacheImpl, _CacheLocator

from . import code

ENV = "RNN_NUMBA_CACHE"


def cache_root() -> Path:
    """The directory every clone of this user on this machine (or shared home) caches into."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]).expanduser() / "rnn"
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "rnn" / "numba"


def _closure(module: str) -> list[str]:
    """`module` and every rnn module it imports, directly or not (code.py's reading of the imports)."""
    todo, done = {module}, set()
    while todo:
        name = todo.pop()
        if name not in done and (code.PACKAGE / f"{name}.py").is_file():
            done.add(name)
            todo |= code._imports(code._tree(name), name)
    return sorted(done)


@cache
def source_key(module: str) -> str:
    """A hash of what a compiled function of `module` depends on: sources and compiler versions."""
    h = hashlib.sha256()
    for part in (platform.python_implementation(), sys.version, numba.__version__, llvmlite.__version__,
                 numpy.__version__):
        h.update(part.encode() + b"\0")
    for name in _closure(module):
        h.update(name.encode() + b"\0" + (code.PACKAGE / f"{name}.py").read_bytes() + b"\0")
    return f"{module}-{h.hexdigest()[:20]}"


@cache
def cpu_key() -> str:
    """The code-generation target of this process as numba keys it: CPU name and features."""
    from numba.core.registry import cpu_target

    triple, name, features = cpu_target.target_context.codegen().magic_tuple()
    return f"{name}-{hashlib.sha256(f'{triple} {features}'.encode()).hexdigest()[:12]}"


class _Locator(_CacheLocator):
    """numba's cache locator for the package's files (numba asks it before its own)."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._key = source_key(Path(py_file).stem)
        self._path = cache_root() / self._key / cpu_key()

    def get_cache_path(self):
        return str(self._path)

    def get_source_stamp(self):
        return self._key

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent != code.PACKAGE:
            return None
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()
        except OSError as exc:
            warnings.warn(f"rnn: cannot write the compile cache {self._path} ({exc}); set {ENV} to a "
                          "writable directory. Falling back to numba's cache in the clone.", stacklevel=2)
            return None
        return self


if _Locator not in CacheImpl._locator_classes:
    CacheImpl._locator_classes.insert(0, _Locator)


def _dispatchers():
    """Every njit function of the package's modules that compile code."""
    from numba.core.dispatcher import Dispatcher

    from . import gradcheck, kernel, products, sample

    return [f for module in (products, kernel, gradcheck, sample) for f in vars(module).values()
            if isinstance(f, Dispatcher) and f.py_func.__module__ == module.__name__]


def warm() -> dict:
    """Compile, or load from the cache, every njit entry point that training, the gradient check,
    synthesis and the benchmark run, for the types they run them with: the real commands on a
    tiny text. Returns the seconds per command, their sum, and how many functions were compiled
    and how many loaded from the cache."""
    import io
    import tempfile
    from time import perf_counter

    import numpy as np

    from . import gradcheck, sample, train
    from .corpus import Corpus

    counts = {id(f): (sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values())) for f in _dispatchers()}
    corpus = Corpus.from_text("a cab, a bac; abc. " * 4, "warm-up")
    seconds = {}
    t = perf_counter()
    with tempfile.TemporaryDirectory() as out:  # the kernel and, for the snapshot at step 0, the sampler
        cfg = train.TrainConfig(m=3, epochs=1, seq_length=5, snapshot_every=1, snapshot_until=0, snapshot_length=2)
        train.train(corpus, cfg, out, progress_stream=io.StringIO())
    seconds["train"] = perf_counter() - t
    t = perf_counter()
    gradcheck.check(corpus.ids, corpus.K, 3, 0.01, 5, 1)
    seconds["gradcheck"] = perf_counter() - t
    t = perf_counter()
    p = train.init_params(corpus.K, 3, 0.01, 1)
    sample.synthesize(p, np.zeros(3), 0, 2, np.random.default_rng(0), temperature=0.8, top_p=0.9)
    seconds["synthesis"] = perf_counter() - t
    hits = misses = 0
    for f in _dispatchers():
        h0, m0 = counts.get(id(f), (0, 0))
        hits += sum(f.stats.cache_hits.values()) - h0
        misses += sum(f.stats.cache_misses.values()) - m0
    return {"seconds": seconds, "total_seconds": sum(seconds.values()), "compiled": misses, "loaded": hits,
            "cache": str(cache_root())}


def describe(result: dict) -> str:
    """One line for `warm()`'s result."""
    parts = ", ".join(f"{name} {s:.2f} s" for name, s in result["seconds"].items())
    return (f"compiled {result['compiled']} and loaded {result['loaded']} functions in "
            f"{result['total_seconds']:.2f} s ({parts}); cache {result['cache']}")
