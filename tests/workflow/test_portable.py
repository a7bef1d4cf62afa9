"""The same numbers on any machine: training, gradient check, evaluation and synthesis of every cell give
byte-identical files under different code generators (numba's target CPU) and BLAS kernels, because no
result depends on either: every sum runs in an order fixed by the code (rnn/core/products.py)."""

import hashlib
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

MACHINES = {  # each emulates another CPU for the code numba generates, or for OpenBLAS
    "generic x86-64 (SSE2)": {"NUMBA_CPU_NAME": "generic"},
    "haswell (AVX2)": {"NUMBA_CPU_NAME": "haswell"},
    "this host": {},  # AVX-512 or AVX2, whichever the machine has
    "OpenBLAS Prescott kernels": {"OPENBLAS_CORETYPE": "Prescott"},
}
COMMANDS = [
    ["prepare", "--book", "{d}/book.txt", "--seq-length", "25", "--out", "{o}/corpus.npz", "--facts", "{o}/corpus.json"],
    ["train", "--corpus", "{o}/corpus.npz", "--out-dir", "{o}/run", "--seed", "3", "--hidden-size", "24", "--epochs", "2",
     "--snapshots-every", "300", "--snapshots-until", "900", "--snapshots-length", "80"],
    ["gradcheck", "--corpus", "{o}/corpus.npz", "--gradcheck-hidden-sizes", "4,6", "--gradcheck-sig", "0.1",
     "--gradcheck-seed", "2",
     "--out", "{o}/gradcheck.json", "--table", "{o}/table1.tex"],
    ["synthesize", "--model", "{o}/run/model_best.npz", "--length", "400", "--seed", "5",
     "--temperature", "0.8", "--top-p", "0.9", "--out", "{o}/sample.txt"],
    ["evaluate", "--run", "{o}/run", "--corpus", "{o}/corpus.npz", "--out", "{o}/run/evaluation.json"],
    *([*train, "--cell", cell] for cell in ("lstm", "gru")
      for train in [["train", "--corpus", "{o}/corpus.npz", "--out-dir", "{o}/" + cell, "--seed", "3",
                     "--hidden-size", "16", "--epochs", "1", "--validation-fraction", "0.1", "--snapshots-every",
                     "150", "--snapshots-until", "300", "--snapshots-length", "60"]]),
    *(["evaluate", "--run", "{o}/" + cell, "--corpus", "{o}/corpus.npz", "--validation-fraction", "0.1",
       "--out", "{o}/" + cell + "/evaluation.json"] for cell in ("lstm", "gru")),
    ["gradcheck", "--corpus", "{o}/corpus.npz", "--gradcheck-hidden-sizes", "3,5", "--gradcheck-sig", "0.1",
     "--cells", "lstm,gru", "--out", "{o}/gradcheck_cells.json", "--table", "{o}/table1_cells.tex"],
    *(["synthesize", "--model", "{o}/" + cell + "/model_best.npz", "--length", "300", "--seed", "5",
       "--temperature", "0.8", "--top-p", "0.9", "--prime", "The", "--out", "{o}/" + cell + "/sample.txt"]
      for cell in ("lstm", "gru")),
]
COMPARED = ["corpus.npz", "run/losses.npz", "run/snapshots.json", "run/model_best.npz", "run/model_final.npz",
            "run/summary.json", "run/evaluation.json", "gradcheck.json", "table1.tex", "sample.txt",
            "gradcheck_cells.json",
            *(f"{cell}/{name}" for cell in ("lstm", "gru")
              for name in ("losses.npz", "snapshots.json", "model_best.npz", "epochs.npz", "evaluation.json",
                           "sample.txt"))]


def _run_all(d, name, env_extra):
    out = d / name.split()[0]
    env = {**os.environ, **env_extra, "NUMBA_CACHE_DIR": str(out / "numba-cache")}
    for args in COMMANDS:
        argv = [a.format(d=d, o=out) for a in args]
        proc = subprocess.run([sys.executable, "-m", "rnn", *argv], env=env, capture_output=True, text=True,
                              timeout=900)
        assert proc.returncode == 0, (name, argv[0], proc.stderr[-2000:])
    return {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in COMPARED}


def test_results_are_byte_identical_across_emulated_machines(tmp_path, small_text):
    (tmp_path / "book.txt").write_text(small_text[:9000])
    digests = {name: _run_all(tmp_path, name, env) for name, env in MACHINES.items()}
    first = next(iter(digests.values()))
    for name, d in digests.items():
        differ = [f for f in COMPARED if d[f] != first[f]]
        assert not differ, f"{name}: {differ} differ from {next(iter(digests))}"
