"""Results you can trust off the happy path, through the real snakemake: a replaced book, typed values,
bad inputs, target paths, a killed Snakemake (issue 18's cases 1, 3, 6, 9, 10; the README's "Interrupted
runs, bad input")."""

import json
import os
import signal
import subprocess
import time

import pytest

from ..conftest import run_files
from .conftest import Snakemake, planned, snakemake

pytestmark = pytest.mark.slow


def test_a_replaced_book_reruns_whatever_its_modification_time(workflow_dir, small_text):
    """Case 1: `cp -p` of another text (older than the results) reruns prepare; a touch does not."""
    d = workflow_dir
    snakemake(d, "results/corpus.json", "--configfile", "tiny.yaml")
    before = (d / "results/corpus.json").stat().st_mtime
    book = d / "book.txt"
    os.utime(book, (before + 100, before + 100))  # touched: same bytes, newer
    assert planned(snakemake(d, "results/corpus.json", "-n", "--configfile", "tiny.yaml")) == {}
    book.write_text(small_text[4000:8000])  # another text, restored from an old backup
    os.utime(book, (before - 10**6, before - 10**6))
    out = snakemake(d, "results/corpus.json", "-n", "--configfile", "tiny.yaml")
    assert planned(out).get("prepare") == 1, out[-2000:]


def test_a_replaced_book_reruns_without_snakemakes_records(workflow_dir, small_text):
    """Case 1 after `rm -rf .snakemake` (a common cure for a stale lock), where Snakemake has no record of
    the book's checksum: the book's content still decides, and the same text reruns nothing."""
    import shutil

    d = workflow_dir
    snakemake(d, "results/corpus.json", "--configfile", "tiny.yaml")
    before = (d / "results/corpus.json").stat().st_mtime
    shutil.rmtree(d / ".snakemake")
    assert planned(snakemake(d, "results/corpus.json", "-n", "--configfile", "tiny.yaml")) == {}
    book = d / "book.txt"
    book.write_text(small_text[8000:12000])
    os.utime(book, (before - 10**6, before - 10**6))
    shutil.rmtree(d / ".snakemake")
    out = snakemake(d, "results/corpus.json", "-n", "--configfile", "tiny.yaml")
    assert planned(out).get("prepare") == 1, out[-2000:]


@pytest.mark.parametrize("config,flag", [
    ("eta: 1e-1\n", "--eta=0.1"),  # YAML 1.1 reads 1e-1 as text
    ("epochs: 1.0\n", "--epochs=1 "),
    ("train_runtime: null\n", "--eta=0.1"),
])
def test_values_in_a_config_file_are_typed_as_on_the_command_line(workflow_dir, config, flag):
    """Case 10, through snakemake: `--configfile` and `--config` give the same typed values."""
    d = workflow_dir
    (d / "my.yaml").write_text(config)
    via_file = snakemake(d, "--configfile", "tiny.yaml", "my.yaml", "-n", "-p")
    key, _, value = config.strip().partition(": ")
    via_flag = snakemake(d, "--configfile", "tiny.yaml", "-n", "-p", "--config", f"{key}={value}")
    for out in (via_file, via_flag):
        assert flag in out, out[-1500:]


def test_seeds_written_as_floats_plan_one_job_each(workflow_dir):
    out = snakemake(workflow_dir, "--configfile", "tiny.yaml", "-n", "--config", "seeds=[1e0,2.0]", "show_seed=1")
    assert planned(out).get("train") == 2 and "seed1.0" not in out


@pytest.mark.parametrize("args,message", [
    (["--configfile", "bomb.yaml"], "config error: the configuration holds more than 10,000 values"),
    (["--config", "hidden_size=10000000"], "config error: a training job (hidden_size 10,000,000, 318 update steps) needs"),
    (["--config", "book=book.fifo"], "config error: book.fifo: not a regular file"),
    (["--config", "book=/dev/zero"], "config error: /dev/zero: not a regular file"),
    (["--config", "epochs=1.5"], "config error: key `epochs`: must be an integer (got 1.5)"),
    # the book against the settings: found inside a job, these cost the job's outputs (the encoded corpus)
    (["--config", "book=bad.txt"], "config error: bad.txt: invalid UTF-8 at byte offset 6 (line 1)"),
    (["--config", "seq_length=100000"], "config error: book.txt: the text has 4,000 characters, fewer than one "
                                        "sequence (seq_length + 1 = 100001); use a longer text or a smaller `seq_length`"),
    (["--config", "sweep={seq_length: [25, 100000]}"], "config error: book.txt: the text has 4,000 characters, fewer"),
    (["--config", "prime=the \u03a9"], "config error: config key `prime`: its character '\u03a9' (U+03A9) at "
                                        "position 4 does not occur in the book book.txt"),
])
def test_bad_inputs_stop_the_workflow_at_once_with_one_line(workflow_dir, args, message):
    """Case 6, through snakemake: before any job, in seconds, one line naming the key or file."""
    d = workflow_dir
    (d / "bad.txt").write_bytes(b"hello \xff world")
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    (d / "bomb.yaml").write_text("\n".join(lines + ["eta: *a8"]) + "\n")
    os.mkfifo(d / "book.fifo")
    t = time.monotonic()
    run = Snakemake(d, "--configfile", "tiny.yaml", *args)
    out = run.wait(check=False, timeout=60)
    assert run.returncode != 0 and time.monotonic() - t < 30
    errors = [ln for ln in out.splitlines() if ln.startswith("config error:")]
    assert len(errors) == 1 and errors[0].startswith(message), out[-1500:]
    assert "Traceback" not in out and not (d / "results").exists()


def test_a_target_path_cannot_inject_a_shell_command(workflow_dir):
    """Case 9: every wildcard is constrained, so `seed$(touch PWNED)` names no job and runs nothing."""
    d = workflow_dir
    for target in ("results/runs/seed$(touch PWNED)/summary.json", "results/runs/seed1;touch PWNED/summary.json",
                   "results/sweep/eta~$(touch PWNED)/seed1/summary.json", "results/sweep/foo~1/seed1/summary.json",
                   "results/sweep/hidden_size~1.5/seed1/summary.json", "results/runs/seed01/summary.json",
                   "results/runs/seed12345678901234567890123/summary.json"):
        run = Snakemake(d, target, "--configfile", "tiny.yaml")
        assert "No rule to produce" in run.wait(check=False, timeout=300) and run.returncode != 0
        assert not (d / "PWNED").exists()
        assert not (d / "results/runs").exists()


def test_snakemake_killed_alone_leaves_no_trainer_and_the_rerun_is_not_stale(workflow_dir):
    """Case 3: kill -9 of Snakemake alone. Its trainer stops by itself (checkpoint, exit 143); after
    --unlock, a rerun with other settings trains those, and nothing of the old run is left."""
    d = workflow_dir
    long_run = ["--configfile", "tiny.yaml", "--config", "hidden_size=48", "epochs=300", "seeds=[1]", "show_seed=1",
                "checkpoint_every=100000"]
    target = "results/runs/seed1/summary.json"
    proc = Snakemake(d, "--cores", "1", target, *long_run).proc
    log = d / "logs/train/seed1.log"
    deadline = time.monotonic() + 300
    while not (log.exists() and "step " in log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert log.exists() and "step " in log.read_text(), "training did not start"
    proc.send_signal(signal.SIGKILL)  # Snakemake alone, not its process group
    proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "is gone: stopped at update step" not in log.read_text():
        time.sleep(0.2)
    assert "(Snakemake) is gone: stopped at update step" in log.read_text()
    orphans = subprocess.run(["pgrep", "-f", f"rnn train .*{d}"], capture_output=True, text=True).stdout.split()
    time.sleep(1.0)
    assert not subprocess.run(["pgrep", "-f", f"--out-dir {d}"], capture_output=True).stdout, orphans
    snakemake(d, *long_run, "--unlock")
    short = ["--configfile", "tiny.yaml", "--config", "hidden_size=48", "epochs=1", "seeds=[1]", "show_seed=1"]
    snakemake(d, target, *short)
    assert "not resuming" in log.read_text() and "(epochs differ)" in log.read_text()
    time.sleep(2)  # nothing writes the run afterwards
    summary = json.loads((d / target).read_text())
    assert summary["epochs"] == 1 and summary["hidden_size"] == 48
    assert planned(snakemake(d, target, "-n", *short)) == {}


def test_a_job_killed_after_it_trained_resumes_at_its_last_step(workflow_dir):
    """A SLURM time limit enforced a few seconds late, after the trainer finished: the job is TIMEOUT,
    Snakemake deletes its outputs and submits it again. The checkpoint that training keeps at its last step
    makes the retry write the same files instead of training from the start. It is removed when a run of the
    workflow that includes the job succeeds (`onsuccess`), here one in which the job is already done."""
    d = workflow_dir
    cfg = ["--configfile", "tiny.yaml", "--config", "seeds=[1]", "show_seed=1"]
    target, run_dir = "results/runs/seed1/summary.json", d / "results/runs/seed1"
    log, ck = d / "logs/train/seed1.log", d / "results/checkpoints/seed1.npz"
    snakemake(d, target, *cfg, "--no-hooks")  # the job done, the workflow's end not reached
    assert ck.exists() and "checkpoint kept at the last step" in log.read_text()
    first = run_files(run_dir)
    for path in run_dir.iterdir():  # what Snakemake does with the outputs of a job SLURM ended
        path.unlink()
    snakemake(d, target, *cfg, "--no-hooks")
    steps = json.loads((d / target).read_text())["steps"]
    assert f"resuming from results/checkpoints/seed1.npz at step {steps}\n" in log.read_text()
    assert run_files(run_dir) == first and ck.exists()
    out = snakemake(d, "results/runs/seed1/evaluation.json", *cfg)  # training up to date, its evaluation to do
    assert planned(out).get("evaluate") == 1 and "train" not in planned(out), out[-2000:]
    assert not ck.exists()


def test_any_legal_file_name_is_the_book_verbatim(workflow_dir, small_text):
    """Braces (which Snakemake would read as a wildcard), quotes, a leading dash, a name that is a YAML
    null: each is the book's file name, through the real snakemake."""
    d = workflow_dir
    for name in ("my{seed}book.txt", "-notes 'x'.txt", "null"):
        (d / name).write_text(small_text[:3000])
        out = snakemake(d, "results/corpus.json", "--configfile", "tiny.yaml", "--config", f"book={name}",
                        "--forcerun", "prepare")
        facts = json.loads((d / "results/corpus.json").read_text())
        assert facts["source"] == name and facts["characters"] == 3000, out[-1500:]
