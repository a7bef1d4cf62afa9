"""The cell kernels give the same bits on any machine (tests/workflow/test_portable.py for every cell): training,
gradient check, synthesis and the loss over a text, byte-identical under numba code generated for
baseline x86-64 (SSE2), Haswell (AVX2) and this host, each compiled afresh."""

import json
import os
import subprocess
import sys

import pytest

from ..conftest import ROOT
from .test_portable import MACHINES

pytestmark = pytest.mark.slow


def test_cells_are_byte_identical_across_emulated_machines(tmp_path):
    results = {}
    for name, env_extra in MACHINES.items():
        if "OPENBLAS_CORETYPE" in env_extra:
            continue  # the cell kernels call no BLAS
        d = tmp_path / name.split()[0]
        env = {**os.environ, **env_extra, "NUMBA_CACHE_DIR": str(d / "numba-cache"),
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.run([sys.executable, "-m", "tests.workflow.cells_everywhere", str(d / "out.json")], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, (name, proc.stderr[-2000:])
        results[name] = json.loads((d / "out.json").read_text())
    assert set(next(iter(results.values()))) == {"rnn", "lstm", "gru"}
    first_name, first = next(iter(results.items()))
    for name, r in results.items():
        assert r == first, f"{name} differs from {first_name}: {r} != {first}"
