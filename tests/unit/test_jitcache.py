"""The compile cache (rnn/core/jitcache.py): shared by clones of the same code, new for changed code.

Each test runs `python` on a scratch copy of the package with its own cache directory, as a fresh
clone would."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "rnn"

# the loss of a small forward pass, and whether _forward was compiled or loaded from the cache
PROBE = """
import json
import numpy as np
from rnn.core import kernel, model
K, m, tau = 6, 4, 3
P, work = kernel.weights(model.init_params(K, m, 0.5, 1)), kernel.workspace(K, m, tau)
kernel.refresh_transposes(P, work)
book = (np.arange(20) % K).astype(np.int32)
loss = kernel.forward(book, 0, tau, np.zeros(m), P, work)
stats = kernel.forward.stats
print(json.dumps({"loss": float(loss).hex(), "loaded": sum(stats.cache_hits.values()),
                  "compiled": sum(stats.cache_misses.values()), "path": stats.cache_path}))
"""


def _clone(dest: Path) -> Path:
    shutil.copytree(PACKAGE, dest / "rnn", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _python(clone: Path, code: str, cache: Path, **env) -> str:
    env = {**os.environ, "PYTHONPATH": str(clone), "RNN_NUMBA_CACHE": str(cache), **env}
    env.pop("NUMBA_CACHE_DIR", None)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600,
                          cwd=clone)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def _probe(clone, cache, **env) -> dict:
    return json.loads(_python(clone, PROBE, cache, **env))


def _key(clone, cache) -> str:
    return _python(clone, "from rnn.core import jitcache; print(jitcache.source_key())", cache)


def test_the_key_follows_the_sources_of_the_compiled_code(tmp_path):
    """The key changes with core/products.py (a callee's file for kernel.py's functions, which
    numba's own cache ignores), not with reporting/report.py (no compiled code depends on it)."""
    clone, cache = _clone(tmp_path), tmp_path / "cache"
    before = _key(clone, cache)
    with open(clone / "rnn" / "reporting" / "report.py", "a") as f:
        f.write("\n# an edit the kernel does not see\n")
    assert _key(clone, cache) == before
    with open(clone / "rnn" / "core" / "products.py", "a") as f:
        f.write("\n# an edit of a file the kernel imports\n")
    assert _key(clone, cache) != before


def test_an_edited_callee_in_another_file_is_compiled_again(tmp_path):
    """Change the arithmetic of products.py: kernel.forward, defined in kernel.py, must not come
    from the cache (numba's own cache, keyed by kernel.py alone, returns the old code)."""
    clone, cache = _clone(tmp_path), tmp_path / "cache"
    first = _probe(clone, cache)
    again = _probe(clone, cache)
    assert first["compiled"] == 1 and again == {**first, "compiled": 0, "loaded": 1}
    products = clone / "rnn" / "core" / "products.py"
    source = products.read_text()
    add = "b.store(b.fadd(b.load(accs[r][v]), b.fmul(a, bv[v])), accs[r][v])"
    assert source.count(add) == 1
    products.write_text(source.replace(add, add.replace("fadd", "fsub")))
    edited = _probe(clone, cache)
    assert edited["compiled"] == 1 and edited["loss"] != first["loss"] and edited["path"] != first["path"]


def test_two_clones_of_the_same_code_share_the_cache(tmp_path):
    """Two clones at different paths: the second loads what the first compiled; the cache is outside
    both, and two processes compiling into it at the same time leave it whole."""
    cache = tmp_path / "cache"
    a, b = _clone(tmp_path / "a"), _clone(tmp_path / "b")
    env = {**os.environ, "PYTHONPATH": str(a), "RNN_NUMBA_CACHE": str(cache)}
    env.pop("NUMBA_CACHE_DIR", None)
    both = [subprocess.Popen([sys.executable, "-c", PROBE], env=env, stdout=subprocess.PIPE, text=True, cwd=a)
            for _ in range(2)]
    first = [json.loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in both]
    assert [p.returncode for p in both] == [0, 0] and first[0]["loss"] == first[1]["loss"]
    second = _probe(b, cache)
    assert second["compiled"] == 0 and second["loaded"] == 1 and second["loss"] == first[0]["loss"]
    assert Path(second["path"]).is_relative_to(cache) and not list((b / "rnn").rglob("*.nbi"))


def test_each_target_cpu_has_its_own_directory(tmp_path):
    """A node of another CPU (emulated: numba generating baseline x86-64 code) compiles into a
    directory of its own beside this one's, so that nodes of a shared home never write one index
    at the same time; and its code gives the same bits."""
    if os.uname().machine != "x86_64":
        pytest.skip("emulates an x86-64 CPU")
    clone, cache = _clone(tmp_path), tmp_path / "cache"
    host, generic = _probe(clone, cache), _probe(clone, cache, NUMBA_CPU_NAME="generic")
    assert host["compiled"] == generic["compiled"] == 1 and host["loss"] == generic["loss"]
    assert Path(generic["path"]).name.startswith("generic-") and Path(generic["path"]).parent == Path(host["path"]).parent


# the finite differences compile the evaluation's total_loss, and refresh_transposes inside its compile:
# counted once
CLOCK = """
import json, time
import numpy as np
from rnn.core import gradcheck, model
from rnn.core.jitcache import compile_clock
K, m, tau = 6, 4, 3
start = time.perf_counter()
with compile_clock() as clock:
    gradcheck.numerical_gradients(model.init_params(K, m, 0.5, 1), (np.arange(tau + 1) % K).astype(np.int32),
                                  np.zeros(m), "finite_difference")
print(json.dumps({**clock, "wall": time.perf_counter() - start}))
"""


def test_the_compile_clock_counts_what_a_process_compiles_and_loads(tmp_path):
    """A cold cache: functions compiled, none loaded, and compile seconds within the block's wall time
    (nested compiles counted once); the same code again: all loaded, nothing compiled."""
    clone, cache = _clone(tmp_path), tmp_path / "cache"
    cold = json.loads(_python(clone, CLOCK, cache))
    warm = json.loads(_python(clone, CLOCK, cache))
    assert cold["compiled"] >= 2 and cold["loaded"] == 0  # total_loss, refresh_transposes
    assert 0.5 * cold["wall"] < cold["compile_seconds"] <= cold["wall"]  # compiling is most of the block
    assert warm["compiled"] == 0 and warm["loaded"] >= 1  # total_loss, with its callee inside
    assert warm["compile_seconds"] == 0
    assert cold["cache"] == str(cache) and cold["cpu"] == warm["cpu"]


def _cli(clone, cache, *argv) -> None:
    assert _python(clone, f"from rnn.cli import main; print('rc', main({list(map(str, argv))!r}))", cache) == "rc 0"


def test_the_compile_jobs_and_then_the_gradient_check_write_their_compile_records(tmp_path):
    """The pipeline's order on a cold cache: the compile jobs (`compile --parts`, out.COMPILE_JOBS) compile;
    training and the evaluation then compile nothing; the gradient check compiles only its dual numbers
    and loads training's and the evaluation's kernels (a check with a compiled forward pass of its own
    compiled it again, about 6 s each); run again, the check and a compile job compile nothing."""
    from rnn.outputs import COMPILE_JOBS

    clone, cache = _clone(tmp_path), tmp_path / "cache"
    corpus = tmp_path / "corpus.npz"
    _python(clone, "from rnn.core.corpus import Corpus; "
            f"Corpus.from_text('a cab, a bac; abc. ' * 4, 'tiny').save({str(corpus)!r}); print('ok')", cache)

    def compile_job(job, attempt):
        _cli(clone, cache, "compile", "--parts", ",".join(COMPILE_JOBS[job]), "--out", tmp_path / f"{job}-{attempt}.json")
        return json.loads((tmp_path / f"{job}-{attempt}.json").read_text())

    for job in COMPILE_JOBS:
        cold = compile_job(job, "cold")
        assert 0 < cold["compile_seconds"] <= cold["total_seconds"] and cold["compiled"] > 0, job
    # a training job (with its snapshot at step 0) and an evaluation job, as the rules run them, find
    # everything compiled: numba's cache gains no entry
    compiled = sorted(cache.rglob("*.nbc"))
    run = tmp_path / "run"
    _cli(clone, cache, "train", "--corpus", corpus, "--out-dir", run, "--hidden-size", 3, "--seq-length", 5,
         "--epochs", 1, "--snapshots-every", 5, "--snapshots-length", 3)
    _cli(clone, cache, "evaluate", "--run", run, "--corpus", corpus, "--out", tmp_path / "evaluation.json")
    assert sorted(cache.rglob("*.nbc")) == compiled
    records = []
    for attempt in ("first", "again"):
        record = tmp_path / f"gradcheck-{attempt}.json"
        _cli(clone, cache, "gradcheck", "--corpus", corpus, "--gradcheck-hidden-sizes", 3, "--seq-length", 5,
             "--out", tmp_path / "g.json", "--table", tmp_path / "t.tex", "--compile-record", record)
        records.append(json.loads(record.read_text()))
    first, again = records
    assert first["compiled"] == 1 and first["loaded"] >= 2  # _dual_numbers; run_updates, total_loss
    assert 0 < first["compile_seconds"]
    assert again["compile_seconds"] == 0 and again["compiled"] == 0 and again["loaded"] > first["loaded"]
    assert set(first) == {"compile_seconds", "compiled", "loaded", "cache", "cpu"}
    warm = compile_job("text", "warm")
    assert warm["compile_seconds"] == 0 < warm["total_seconds"] and warm["compiled"] == 0 and warm["loaded"] > 0


def test_the_compile_clock_ignores_the_end_of_a_compile_it_did_not_see_start():
    """A compile that another thread began before the clock and ends inside it: the compiles that
    follow are still timed (numba's own listener lost count and timed nothing)."""
    import time

    from numba.core import event

    from rnn.core.jitcache import compile_clock

    event.start_event("numba:compile")
    with compile_clock() as clock:
        event.end_event("numba:compile")
        event.start_event("numba:compile")
        time.sleep(0.05)
        event.end_event("numba:compile")
    assert 0.05 <= clock["compile_seconds"] < 1
