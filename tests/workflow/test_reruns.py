"""Code-aware reruns through the real `snakemake -n`: an edit to a module replans exactly the jobs
whose command runs it; a `touch` plans nothing (Snakemake compares small inputs by checksum)."""

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager

import pytest

from ..conftest import ROOT
from .conftest import planned, snakemake, tiny_workflow

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, small_text):
    """The tiny pipeline, run once, with its own copy of the rnn package (found first on PYTHONPATH),
    so that the tests can edit the code without touching the repository."""
    d = tiny_workflow(tmp_path_factory.mktemp("code"), small_text[:6000])
    shutil.copytree(ROOT / "rnn", d / "rnn", ignore=shutil.ignore_patterns("__pycache__"))
    snakemake(d, "--configfile", "tiny.yaml", env=_env(d))
    return d


def _env(d):
    return {**os.environ, "PYTHONPATH": str(d)}


def _planned(d) -> dict[str, int]:
    """Job counts of a dry run (empty when nothing is to be done)."""
    return planned(snakemake(d, "--configfile", "tiny.yaml", "-n", env=_env(d)))


@contextmanager
def _edited(path):
    """The file with a comment line appended, put back byte for byte afterwards."""
    original = path.read_bytes()
    path.write_text(original.decode() + "\n# an edit\n")
    try:
        yield
    finally:
        path.write_bytes(original)


def test_the_package_copy_is_what_runs(workdir):
    """The jobs' `python -m rnn` and the Snakefile's imports (which list the rules' code inputs) find
    the copy (no .pyc to look at: the test machines set PYTHONDONTWRITEBYTECODE)."""
    found = subprocess.run([sys.executable, "-c", "import rnn.pipeline.code as c; print(c.PACKAGE)"], cwd=workdir,
                           env=_env(workdir), capture_output=True, text=True, check=True).stdout.strip()
    assert found == str((workdir / "rnn").resolve())


def test_touch_plans_nothing(workdir):
    for name in ("core/kernel.py", "reporting/figures.py", "cli.py"):
        os.utime(workdir / "rnn" / name)
    assert _planned(workdir) == {}


def test_editing_the_kernel_replans_training_and_what_follows(workdir):
    with _edited(workdir / "rnn" / "core" / "kernel.py"):
        planned = _planned(workdir)
    assert planned.get("train") == 2 and planned.get("gradcheck") == 1 and planned.get("best_passage") == 1
    assert planned.get("compile") == 2  # the two compile jobs run first; training is replanned for its own code inputs
    assert planned.get("bench") == 1  # the report's microseconds are the new kernel's
    assert "prepare" not in planned and "checksums" in planned
    assert _planned(workdir) == {}  # the same bytes again: nothing to do


def test_editing_the_figures_replans_figures_and_the_pdf_only(workdir):
    with _edited(workdir / "rnn" / "reporting" / "figures.py"):
        planned = _planned(workdir)
    assert planned.get("figures") == 1
    assert not {"train", "prepare", "gradcheck", "metrics", "best_passage"} & set(planned), planned
    if shutil.which("latexmk"):
        assert planned.get("report_pdf") == 1


@pytest.mark.parametrize("module,replanned", [
    ("core/gradcheck.py", "gradcheck"),  # the ahead-of-time compile (core/warmup.py) imports it: training does not
    ("core/evaluate.py", "evaluate"),
])
def test_editing_what_training_does_not_run_keeps_training(workdir, module, replanned):
    with _edited(workdir / "rnn" / module):
        planned = _planned(workdir)
    assert planned.get(replanned), planned
    assert not {"train", "compile", "prepare"} & set(planned), planned
