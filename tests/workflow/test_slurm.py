"""The SLURM profile users get, run as shipped on the local single-node cluster with accounting.

workflow/scripts/slurm-local-start.sh (which .ci/run starts) runs slurmdbd, so the plugin's
default status command, sacct, answers as on a university cluster, and the user's default
account comes from the accounting database (the profile names none). The only extra option the
tests pass is FAST below; each test passes the options a user would add for what it tests.
"""

import csv
import getpass
import json
import re
import shutil
import subprocess
import time

import numpy as np
import pytest

from rnn.outputs import RunFiles

from ..conftest import require, tiny_config
from .conftest import Snakemake as Runner
from .conftest import copy_workflow


def _slurm_up():
    """A node that is up, and sacct answering (slurmdbd): the cluster these tests need."""
    if shutil.which("sinfo") is None or shutil.which("sacct") is None:
        return False
    node = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    accounting = subprocess.run(["sacct", "-n", "-X", "-S", "now"], capture_output=True, text=True)
    return (node.returncode == 0 and any(s in node.stdout for s in ("idle", "mix", "alloc"))
            and accounting.returncode == 0)


pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# Speed only, the path is the same: the plugin waits 40 s before its first sacct query, time that a
# busy cluster's slurmdbd may need to list a new job; the local slurmdbd lists it at once.
FAST = ["--slurm-init-seconds-before-status-checks", "1"]
RUN_FILES = RunFiles.reproducible()
SACCT_FIELDS = ("JobID", "State", "Elapsed", "Timelimit", "Account", "Partition", "Comment")


def Snakemake(cwd, *args, slurm=True):
    """`snakemake --profile profiles/slurm FAST ARGS` in the background (slurm=False: a local run, the
    workflow's default profile)."""
    return Runner(cwd, *((*FAST, *args) if slurm else args), profile="profiles/slurm" if slurm else None)


@pytest.fixture(autouse=True, scope="module")
def slurm():
    """Every test here needs a SLURM cluster with accounting: skipped without one, failed in CI."""
    require("SLURM with accounting", _slurm_up(),
            "no cluster answers sinfo and sacct (start one: sudo bash workflow/scripts/slurm-local-start.sh)")


def snakemake(cwd, *args, check=True):
    return Snakemake(cwd, *args).wait(check=check)


def _job_ids(output):
    return re.findall(r"submitted with SLURM jobid (\d+)", output)


def _train_job_id(run, seed=1, timeout=300):
    """The SLURM job id of the run's training job for `seed`, once its log shows progress."""
    log = run.cwd / f"logs/train/seed{seed}.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.proc.poll() is None:
        ids = re.findall(r"submitted with SLURM jobid (\d+) \(log: \S+/rule_train/", run.output())
        if ids and log.exists() and "\nstep " in "\n" + log.read_text():
            return ids[-1]
        time.sleep(0.5)
    raise AssertionError(f"no training job under way:\n{run.output()[-4000:]}")


def sacct(ids, history=False, show=True):
    """sacct's lines of these jobs (-D: every run of a requeued job), each a dict of SACCT_FIELDS.

    A cancelled job's State reads `CANCELLED by <uid>`; its first word is kept."""
    proc = subprocess.run(["sacct", "-n", "-P", "-X", *(["-D"] if history else []), "-j", ",".join(ids),
                           "--format", ",".join(SACCT_FIELDS)], capture_output=True, text=True, check=True)
    rows = [dict(zip(SACCT_FIELDS, line.split("|"))) for line in proc.stdout.splitlines()]
    for row in rows:
        row["State"] = row["State"].split()[0]
    if show:  # with pytest -s, or on failure
        print("\n".join(" ".join(r[f] for f in SACCT_FIELDS) for r in rows))
    return rows


def _wait_for_state(job, state, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = sacct([job], show=False)
        if rows and rows[0]["State"] == state:
            return
        time.sleep(1)
    raise AssertionError(f"job {job} did not reach {state}")


def _default_account():
    out = subprocess.run(["sacctmgr", "-n", "-P", "show", "user", getpass.getuser(), "format=defaultaccount"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip()


def _workdir(path, config, text=None):
    path.mkdir()
    d = copy_workflow(path)
    if text is not None:
        (d / "book.txt").write_text(text)
    (d / "run.yaml").write_text(config)
    return d


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


def _same_run_files(a, b, seed=1):
    for name in RUN_FILES:
        assert (a / f"results/runs/seed{seed}/{name}").read_bytes() == \
               (b / f"results/runs/seed{seed}/{name}").read_bytes(), name


def _steps(d, seed=1):
    """The update steps of a finished run (its summary)."""
    return json.loads((d / f"results/runs/seed{seed}/summary.json").read_text())["steps"]


def _resumed_at(d, seed=1):
    """The step the last training attempt resumed from (its log), or None."""
    m = re.search(rf"resuming from results/checkpoints/seed{seed}.npz at step (\d+)", _train_log(d, seed))
    return int(m.group(1)) if m else None


def _train_log(d, seed=1):
    """The last training attempt's log: what a failed assertion on a resume shows."""
    return (d / f"logs/train/seed{seed}.log").read_text()


# --- the tiny pipeline: as a local run, on SLURM, as a job array -----------------------------------

TARGETS = ["results/metrics.csv", "results/table1.tex", "--configfile", "run.yaml"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, small_text):
    """The tiny pipeline run locally and on SLURM with the efficiency report (a user's flag)."""
    config = tiny_config("book.txt")
    base = tmp_path_factory.mktemp("tiny")
    local = _workdir(base / "local", config, small_text[:5000])
    d = _workdir(base / "slurm", config, small_text[:5000])
    Snakemake(local, "--cores", "2", *TARGETS, slurm=False).wait()
    return {"local": local, "slurm": d, "out": snakemake(d, *TARGETS, "--slurm-efficiency-report")}


def test_pipeline_on_slurm_equals_local_run(tiny):
    out = tiny["out"]
    ids = _job_ids(out)
    # prepare, the two compile jobs, gradcheck and one train and one evaluate per seed went through
    # sbatch; metrics is a local rule
    assert len(ids) == 8, out[-3000:]
    rows = sacct(ids)
    assert sorted(r["JobID"] for r in rows) == sorted(ids)
    assert {r["State"] for r in rows} == {"COMPLETED"}
    # no account in the profile: the jobs ran under the user's default account, as on a real cluster
    assert {r["Account"] for r in rows} == {_default_account()}
    assert re.search(r"localrule metrics", out)
    _same_results(tiny["local"], tiny["slurm"])


def test_efficiency_report_lists_the_training_jobs(tiny):
    reports = list(tiny["slurm"].glob("efficiency_report_*.csv"))
    assert len(reports) == 1, tiny["out"][-3000:]
    with open(reports[0]) as f:
        rows = list(csv.DictReader(f))
    train = {r["RuleName"]: r for r in rows if r["RuleName"].startswith("rule_train")}
    assert set(train) == {"rule_train_wildcards_1", "rule_train_wildcards_2"}
    for row in train.values():  # a job step's measured use, beside what was asked for
        assert float(row["Elapsed_sec"]) > 0 and float(row["RequestedMem_MB"]) > 0
        assert float(row["CPU Efficiency (%)"]) > 0 and float(row["MaxRSS_MB"]) > 0


def test_training_jobs_go_as_one_job_array(tiny, tmp_path, small_text):
    d = _workdir(tmp_path / "array", tiny_config("book.txt"), small_text[:5000])
    out = snakemake(d, *TARGETS, "--slurm-array-jobs", "train")
    arrays = re.findall(r"Submitted array job with Snakemake IDs [\d,]+ and SLURM job ID (\d+)", out)
    assert len(arrays) == 1, out[-3000:]
    assert len(_job_ids(out)) == 6  # prepare, two compile jobs, gradcheck and the two evaluations: single jobs
    rows = sacct(arrays)
    assert sorted(r["JobID"] for r in rows) == [f"{arrays[0]}_1", f"{arrays[0]}_2"]  # a task per seed
    assert {r["State"] for r in rows} == {"COMPLETED"}
    _same_results(tiny["local"], d)


def test_failing_job_names_the_rule_and_a_rerun_picks_up(tmp_path, small_text):
    d = _workdir(tmp_path / "w", tiny_config("book.txt"), small_text[:5000])
    target = ["results/metrics.csv", "--configfile", "run.yaml"]
    # eta = 1e308 makes every training run diverge, after prepare has succeeded
    run = Snakemake(d, *target, "--config", "eta=1e308", "--retries", "0")
    out = run.wait(check=False)
    assert run.proc.returncode != 0
    assert re.search(r"Error in rule train", out) and "training diverged" in out
    assert re.search(r"SLURM-job '\d+' failed, SLURM status is: 'FAILED'", out)
    assert (d / "results/corpus.npz").exists()
    out = snakemake(d, *target)
    assert "rule prepare" not in out and "rule compile" not in out
    assert len(_job_ids(out)) == 4  # the two training jobs again, then their evaluations
    assert (d / "results/metrics.csv").exists()


# --- killed training jobs lose no work ---------------------------------------------------------------

# About 2 minutes of training (800,000 update steps at m = 100, 120-150 us each), given 1 minute.
# No periodic checkpoint: what a later attempt resumes from was written on SIGTERM.
TIME_LIMIT_CONFIG = """\
seeds: [1]
show_seed: 1
epochs: 40
train_runtime: 1
checkpoint_every: 100000000
"""
# The default run's seed 1 (200,000 update steps, about 30 s), preempted or cancelled after a few.
SHORT_CONFIG = """\
seeds: [1]
show_seed: 1
checkpoint_every: 100000000
"""
SEED1 = ["results/runs/seed1/summary.json", "--configfile", "run.yaml"]


def _local_run(path, config):
    """The uninterrupted run to compare with, started now on the machine's other core."""
    d = _workdir(path, config)
    return d, Snakemake(d, "--cores", "1", *SEED1, slurm=False)


@pytest.fixture(scope="module")
def short_local(tmp_path_factory):
    return _local_run(tmp_path_factory.mktemp("short") / "local", SHORT_CONFIG)


def test_job_killed_at_its_time_limit_is_resubmitted_with_more_time_and_resumes(tmp_path):
    local, reference = _local_run(tmp_path / "local", TIME_LIMIT_CONFIG)
    d = _workdir(tmp_path / "slurm", TIME_LIMIT_CONFIG)
    out = snakemake(d, *SEED1)
    train = [r for r in sacct(_job_ids(out)) if r["Comment"] == "rule_train_wildcards_1"]
    # SLURM ended the first attempt at its 1 minute; Snakemake's retries (the profile's
    # `retries: 2`) asked for 2 (and 3) minutes, and the last attempt completed
    assert train[0]["State"] == "TIMEOUT" and train[0]["Timelimit"] == "00:01:00"
    assert {r["State"] for r in train[:-1]} == {"TIMEOUT"} and train[-1]["State"] == "COMPLETED"
    assert [r["Timelimit"] for r in train] == [f"00:0{i}:00" for i in range(1, len(train) + 1)]
    # from the checkpoint written on SIGTERM; or, when SLURM enforced the limit a few seconds after the
    # trainer had finished (Snakemake then deleted its outputs), from the one it kept at the last step
    assert 0 < (_resumed_at(d) or 0) <= _steps(d), _train_log(d)[-2000:]
    assert not (d / "results/checkpoints/seed1.npz").exists()
    reference.wait()
    _same_run_files(local, d)


def test_preempted_job_is_requeued_by_slurm_and_resumes(tmp_path, short_local):
    d = _workdir(tmp_path / "slurm", SHORT_CONFIG)
    run = Snakemake(d, *SEED1)
    job = _train_job_id(run)
    time.sleep(3)
    # a job in the higher-priority partition that needs the whole node preempts the training job
    subprocess.run(["sbatch", "-p", "urgent", "--exclusive", "-t", "1", "-J", "urgent", "--wrap", "sleep 2"],
                   check=True, capture_output=True)
    run.wait()
    assert [r["State"] for r in sacct([job], history=True)] == ["PREEMPTED", "COMPLETED"]
    assert len(_job_ids(run.output())) == 4  # prepare, two compile jobs and train: SLURM requeued it, not Snakemake
    assert 0 < (_resumed_at(d) or 0) < _steps(d), _train_log(d)[-2000:]  # mid-run: written on SIGTERM
    local, reference = short_local
    reference.wait()
    _same_run_files(local, d)


def test_cancelled_job_resumes_when_the_run_is_started_again(tmp_path, short_local):
    d = _workdir(tmp_path / "slurm", SHORT_CONFIG)
    run = Snakemake(d, *SEED1)
    job = _train_job_id(run)
    time.sleep(3)
    subprocess.run(["scancel", job], check=True)
    _wait_for_state(job, "CANCELLED")
    # Plugin 2.8.0 reads sacct's `CANCELLED by <uid>` as still running, so Snakemake would wait for
    # ever: the user stops it (README, "After a failure or a timeout") and starts the same command.
    run.interrupt()
    out = snakemake(d, *SEED1)
    rows = sacct([job, *_job_ids(out)])
    assert [r["State"] for r in rows] == ["CANCELLED", "COMPLETED"]
    assert 0 < (_resumed_at(d) or 0) < _steps(d), _train_log(d)[-2000:]  # mid-run: written on SIGTERM
    local, reference = short_local
    reference.wait()
    _same_run_files(local, d)
