"""The SLURM profile users get, run for real on the local single-node cluster (.ci/run starts it)."""

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from .conftest import TINY_CONFIG, copy_workflow, require

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# The overlay for the local test cluster only: it has no slurmdbd, so there is no sacct and no
# account database; a real cluster needs neither flag.
LOCAL_OVERLAY = ["--slurm-status-command", "squeue", "--slurm-no-account",
                 "--slurm-init-seconds-before-status-checks", "1"]


def _slurm_up():
    if shutil.which("sinfo") is None:
        return False
    proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return proc.returncode == 0 and any(s in proc.stdout for s in ("idle", "mix", "alloc"))


@pytest.fixture(scope="module")
def slurm():
    require("SLURM", _slurm_up(), "no SLURM cluster answers sinfo (start one: workflow/scripts/slurm-local-start.sh)")


def snakemake(cwd, *args, check=True):
    # a hung snakemake ignores SIGTERM: stop it with SIGINT
    proc = subprocess.run(["timeout", "-s", "INT", "600", "snakemake", "--profile", "profiles/slurm",
                           *LOCAL_OVERLAY, *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout[-4000:] + proc.stderr[-4000:])
    return proc


def _job_ids(output):
    return re.findall(r"submitted with SLURM jobid (\d+)", output)


def _states(ids):
    out = subprocess.run(["squeue", "--states=all", "-h", "-o", "%i %T", "-j", ",".join(ids)],
                         capture_output=True, text=True).stdout
    return dict(line.split() for line in out.splitlines())


def _same_results(a, b):
    for f in ("gradcheck.json", "corpus.json"):
        assert (a / "results" / f).read_text() == (b / "results" / f).read_text(), f
    for seed in (1, 2):
        la = np.load(a / f"results/runs/seed{seed}/losses.npz")
        lb = np.load(b / f"results/runs/seed{seed}/losses.npz")
        assert np.array_equal(la["loss"], lb["loss"])
        sa = json.loads((a / f"results/runs/seed{seed}/summary.json").read_text())
        sb = json.loads((b / f"results/runs/seed{seed}/summary.json").read_text())
        assert sa == sb
        assert (a / f"results/runs/seed{seed}/snapshots.json").read_text() == \
               (b / f"results/runs/seed{seed}/snapshots.json").read_text()


def test_pipeline_on_slurm_equals_local_run(slurm, tmp_path, small_text):
    runs = {}
    for where in ("local", "slurm"):
        (tmp_path / where).mkdir()
        d = copy_workflow(tmp_path / where)
        (d / "book.txt").write_text(small_text[:5000])
        (d / "tiny.yaml").write_text(TINY_CONFIG.format(book="book.txt"))
        runs[where] = d
    subprocess.run(["snakemake", "--cores", "2", "results/metrics.csv", "results/table1.tex",
                    "--configfile", "tiny.yaml"], cwd=runs["local"], check=True, capture_output=True)
    proc = snakemake(runs["slurm"], "results/metrics.csv", "results/table1.tex", "--configfile", "tiny.yaml")
    out = proc.stdout + proc.stderr
    ids = _job_ids(out)
    # prepare, gradcheck and one train per seed went through sbatch; metrics is a local rule
    assert len(ids) == 4, out[-3000:]
    states = _states(ids)
    assert set(states) == set(ids) and set(states.values()) == {"COMPLETED"}, states
    assert re.search(r"localrule metrics", out)
    _same_results(runs["local"], runs["slurm"])


def test_failing_job_names_the_rule_and_a_rerun_picks_up(slurm, tmp_path, small_text):
    d = copy_workflow(tmp_path)
    (d / "book.txt").write_text(small_text[:5000])
    (d / "tiny.yaml").write_text(TINY_CONFIG.format(book="book.txt"))
    # eta = 1e308 makes every training run diverge, after prepare has succeeded
    proc = snakemake(d, "results/metrics.csv", "--configfile", "tiny.yaml", "--config", "eta=1e308",
                     "--retries", "0", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert re.search(r"Error in rule train", out) and "training diverged" in out
    assert (d / "results/corpus.npz").exists()
    proc = snakemake(d, "results/metrics.csv", "--configfile", "tiny.yaml")
    out = proc.stdout + proc.stderr
    assert "rule prepare" not in out and len(_job_ids(out)) == 2
    assert (d / "results/metrics.csv").exists()
