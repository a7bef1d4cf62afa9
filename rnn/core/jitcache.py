"""numba's compile cache for the rnn package: once per machine and user, keyed by content.

numba's own cache lives in each clone's `__pycache__` and checks only the file that defines a
function: a fresh clone compiles everything again, and an edit of a callee in another file
(`products.py` under `kernel.py`'s `run_updates`) leaves the caller's cached code stale. Here every
njit function of rnn/core (the layer that compiles; it imports nothing compiled from elsewhere) is
cached in

    $RNN_NUMBA_CACHE, else $NUMBA_CACHE_DIR/rnn, else $XDG_CACHE_HOME/rnn/numba, else ~/.cache/rnn/numba

under `<key>/<cpu>/`: the key hashes the content of every rnn/core module with the versions of
Python, numba, llvmlite and numpy; `<cpu>` names the target numba generates code for (CPU name and a
hash of its features). So clones of the same code share one cache, any edit of the core gets a new
directory (an edit elsewhere, of the report say, keeps it), and the nodes of a cluster with a
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
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import llvmlite
import numba
import numpy
from numba.core import event
from numba.core.caching import CacheImpl, _CacheLocator

ENV = "RNN_NUMBA_CACHE"


def cache_root() -> Path:
    """The directory every clone of this user on this machine (or shared home) caches into."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]).expanduser() / "rnn"
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "rnn" / "numba"


CORE = Path(__file__).resolve().parent


@cache
def source_key() -> str:
    """A hash of what the compiled code depends on: the core's sources and the compiler's versions."""
    h = hashlib.sha256()
    for part in (platform.python_implementation(), sys.version, numba.__version__, llvmlite.__version__,
                 numpy.__version__):
        h.update(part.encode() + b"\0")
    for path in sorted(CORE.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"core-{h.hexdigest()[:20]}"


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
        self._key = source_key()
        self._path = cache_root() / self._key / cpu_key()

    def get_cache_path(self):
        return str(self._path)

    def get_source_stamp(self):
        return self._key

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent != CORE:
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


def dispatchers() -> list:
    """Every njit function of the core's modules imported so far."""
    from numba.core.dispatcher import Dispatcher

    modules = [m for name, m in list(sys.modules.items()) if name.startswith(__package__ + ".")]
    return [f for module in modules for f in vars(module).values()
            if isinstance(f, Dispatcher) and f.py_func.__module__ == module.__name__]


def _cache_counts() -> dict:
    """{id of each core njit function: (signatures loaded from the cache, signatures compiled)} so far."""
    return {id(f): (sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values())) for f in dispatchers()}


class _CompileTimer(event.TimingListener):
    """numba's TimingListener that ignores the end of a compile it did not see start (one that another
    thread began before the clock was installed), instead of losing count of what follows."""

    def on_end(self, ev):
        if self._depth > 0:
            super().on_end(ev)


@contextmanager
def compile_clock():
    """What this process compiles inside the block: yields a dict that holds, once the block has run,
    `compile_seconds` (numba's compile events, timed by its TimingListener (_CompileTimer): the outermost,
    so a callee compiled inside its caller's compile counts once; loading from the cache is not an
    event, and a warm run records 0), `compiled` and `loaded` (signatures of the core's njit functions
    that numba compiled, callees included, or loaded from the cache, where a caller's file holds its
    callees), with the cache directory and the CPU key."""
    before, record, timer = _cache_counts(), {}, _CompileTimer()
    try:
        with event.install_listener("numba:compile", timer):
            yield record
    finally:
        after = _cache_counts()
        loaded, compiled = (sum(v[i] - before.get(f, (0, 0))[i] for f, v in after.items()) for i in (0, 1))
        record.update(compile_seconds=timer.duration if timer.done else 0.0, compiled=compiled, loaded=loaded,
                      cache=str(cache_root()), cpu=cpu_key())
