"""SIGTERM (SLURM's time limit, preemption, scancel) and SIGINT (Ctrl-C): training writes its checkpoint at
once and exits 143 (130 on SIGINT), so at most the current kernel chunk is computed again."""

import io
import json
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from rnn.core import checkpoint
from rnn.errors import Terminated
from rnn.core.corpus import updates_per_epoch
from rnn.core.train import TrainConfig, fingerprint, train
from rnn.outputs import RunFiles

from ..conftest import run_files, stopped_run

def _cfg(**kw):
    base = dict(seed=3, hidden_size=16, epochs=3, snapshots_every=500, snapshots_until=1500, snapshots_length=30)
    return TrainConfig(**{**base, **kw})


def test_stop_writes_the_checkpoint_after_the_current_chunk_and_the_rerun_ends_identical(tmp_path, small_corpus):
    cfg = _cfg()
    train(small_corpus, cfg, tmp_path / "straight", progress_stream=open("/dev/null", "w"))
    ck = tmp_path / "ck.npz"
    stop = threading.Event()
    stop.set()  # as if SIGTERM came during the first chunk
    upe = updates_per_epoch(small_corpus.N, 25)
    assert upe < 500  # the first chunk ends at the end of the first epoch, before the first snapshot
    with pytest.raises(Terminated, match=f"stopped at update step {upe} of .*checkpoint written to"):
        # no periodic checkpoint: the one resumed from is written on stop
        train(small_corpus, cfg, tmp_path / "resumed", checkpoint_path=ck, checkpoint_every=10**9,
              progress_stream=open("/dev/null", "w"), stop=stop)
    assert not (tmp_path / "resumed").exists()
    _, scalars, _ = checkpoint.load(ck, fingerprint(cfg, small_corpus))
    assert scalars["step"] == upe
    train(small_corpus, cfg, tmp_path / "resumed", checkpoint_path=ck, checkpoint_every=10**9,
          progress_stream=open("/dev/null", "w"))
    assert run_files(tmp_path / "resumed") == run_files(tmp_path / "straight")
    assert not ck.exists()


def _start(*args, sigint=signal.SIG_DFL):
    """A trainer, started with SIGINT at `sigint` (the default, whatever pytest itself was started with)."""
    return subprocess.Popen([sys.executable, "-m", "rnn", "train", *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))


def _sigterm_after_first_progress_line(proc, sig=signal.SIGTERM):
    """SIGTERM (or `sig`) once training is under way (its first progress line); the rest of stderr."""
    first = proc.stderr.readline()
    assert first.startswith("step "), first
    proc.send_signal(sig)
    rest = proc.stderr.read()
    return proc.wait(timeout=30), rest


@pytest.mark.slow
def test_sigterm_writes_a_checkpoint_and_exits_143_and_the_rerun_resumes(tmp_path, small_corpus):
    corpus = tmp_path / "c.npz"
    small_corpus.save(corpus)
    args = ["--corpus", corpus, "--seed", 2, "--hidden-size", 32, "--epochs", 150, "--snapshots-every", 5000,
            "--snapshots-until", 20000, "--snapshots-length", 40]
    proc = _start(*args, "--out-dir", tmp_path / "straight")
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    ck = tmp_path / "ck.npz"
    resumed = ["--out-dir", tmp_path / "resumed", "--checkpoint", ck, "--checkpoint-every", 10**9]
    status, err = _sigterm_after_first_progress_line(_start(*args, *resumed))
    assert status == 143, err
    last = err.strip().splitlines()[-1]  # one line, after any progress lines
    m = re.fullmatch(rf"SIGTERM: stopped at update step ([\d,]+) of ([\d,]+); checkpoint written to "
                     rf"{re.escape(str(ck))}, the same command resumes from it", last)
    assert m, err
    step, total = (int(g.replace(",", "")) for g in m.groups())
    assert 0 < step < total and ck.exists()  # no periodic checkpoint: this one was written on SIGTERM
    proc = _start(*args, *resumed)
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 0, err
    assert f"resuming from {ck} at step {step}" in err
    assert run_files(tmp_path / "resumed") == run_files(tmp_path / "straight")


@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stop_signal_without_a_checkpoint_says_the_run_starts_over(tmp_path, small_corpus, sig, status):
    corpus = tmp_path / "c.npz"
    small_corpus.save(corpus)
    proc = _start("--corpus", corpus, "--hidden-size", 16, "--epochs", 2000, "--out-dir", tmp_path / "o")
    exit_status, err = _sigterm_after_first_progress_line(proc, sig)
    assert exit_status == status and "Traceback" not in err, err
    assert err.strip().endswith("no --checkpoint was given, so a rerun starts over"), err
    assert not (tmp_path / "o").exists()


def test_a_trainer_started_to_ignore_sigint_goes_on(tmp_path, small_corpus):
    """A job started in the background ignores SIGINT (the Ctrl-C of the foreground): the trainer keeps it so,
    and stops on SIGTERM as ever."""
    corpus = tmp_path / "c.npz"
    small_corpus.save(corpus)
    proc = _start("--corpus", corpus, "--hidden-size", 16, "--epochs", 2000, "--out-dir", tmp_path / "o",
                  sigint=signal.SIG_IGN)
    assert proc.stderr.readline().startswith("step ")
    proc.send_signal(signal.SIGINT)
    time.sleep(1.5)  # several kernel chunks: a stop request would have been seen
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143 and proc.stderr.read().strip().splitlines()[-1].startswith("SIGTERM: stopped")


def test_ctrl_c_writes_a_checkpoint_and_stops_in_one_line(tmp_path, small_corpus):
    """Ctrl-C (SIGINT to the trainer, as a terminal sends it to Snakemake's jobs) stops training as SIGTERM does:
    a checkpoint at the current step and one line, exit 130; it was a KeyboardInterrupt traceback that lost
    every step since the last periodic checkpoint."""
    corpus, ck = tmp_path / "c.npz", tmp_path / "ck.npz"
    small_corpus.save(corpus)
    proc = _start("--corpus", corpus, "--hidden-size", 16, "--epochs", 2000, "--out-dir", tmp_path / "o",
                  "--checkpoint", ck, "--checkpoint-every", 10**9)
    status, err = _sigterm_after_first_progress_line(proc, signal.SIGINT)
    assert status == 130 and "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert re.fullmatch(rf"SIGINT: stopped at update step [\d,]+ of [\d,]+; checkpoint written to {re.escape(str(ck))}, "
                        "the same command resumes from it", err.strip().splitlines()[-1]), err
    assert ck.exists()


# --- a job killed after it trained: SLURM enforces a time limit some seconds late -------------------

def test_a_kept_checkpoint_holds_the_finished_run_and_a_rerun_only_writes_its_files(tmp_path, small_corpus):
    """With keep_checkpoint (the workflow's), the checkpoint is rewritten at the last step before the run's
    files: when Snakemake deletes the files of a job killed after it trained, the retry resumes at the last
    step and writes the same files, where it trained from the start. The workflow removes the checkpoint
    once it has recorded the run (pipeline.cleanup), and only a checkpoint of that run."""
    from rnn.pipeline.cleanup import remove_finished_checkpoints

    cfg = _cfg(seed=4)
    train(small_corpus, cfg, tmp_path / "straight", progress_stream=io.StringIO())
    run_dir, ck = tmp_path / "runs/seed4", tmp_path / "checkpoints/seed4.npz"
    err = io.StringIO()
    summary = train(small_corpus, cfg, run_dir, checkpoint_path=ck, progress_stream=err, keep_checkpoint=True)
    assert f"checkpoint kept at the last step in {ck}" in err.getvalue()
    made_with, scalars = checkpoint.header(ck)
    assert scalars["step"] == summary["steps"] and made_with == fingerprint(cfg, small_corpus)

    for name in RunFiles.all():  # Snakemake deletes the outputs of a job SLURM marked TIMEOUT
        (run_dir / name).unlink()
    assert remove_finished_checkpoints([(ck, run_dir)], "") == [] and ck.exists()  # no run recorded: kept
    err = io.StringIO()
    train(small_corpus, cfg, run_dir, checkpoint_path=ck, progress_stream=err, keep_checkpoint=True)
    assert f"resuming from {ck} at step {summary['steps']}\n" in err.getvalue()
    assert run_files(run_dir) == run_files(tmp_path / "straight")
    assert remove_finished_checkpoints([(ck, run_dir)], "other code") == [] and ck.exists()
    assert remove_finished_checkpoints([(ck, run_dir)], "") == [str(ck)] and not ck.exists()
    assert (tmp_path / "checkpoints").is_dir()  # not under the workflow's results/checkpoints: not pruned


@pytest.mark.parametrize("keep", [True, False])
def test_parameters_not_finite_at_the_end_are_a_divergence_and_no_checkpoint(tmp_path, small_corpus, monkeypatch,
                                                                           keep):
    """A last update whose loss is finite but whose parameters are not (the loss checks cannot see it): the run
    is refused as diverged, with or without a checkpoint, and the one kept is the last good one."""
    from rnn.core.train import RunState, TrainingDiverged

    advance, total = RunState.advance, _cfg().epochs * updates_per_epoch(small_corpus.N, 25)

    def last_update_overflows(run, n):
        done = advance(run, n)
        if run.step == total:
            run.P[0][0, 0] = np.inf
        return done

    monkeypatch.setattr(RunState, "advance", last_update_overflows)
    ck = tmp_path / "ck.npz"
    with pytest.raises(TrainingDiverged, match=f"the parameters are no longer finite at update step {total} "):
        train(small_corpus, _cfg(), tmp_path / "o", checkpoint_path=ck if keep else None, checkpoint_every=300,
              progress_stream=io.StringIO(), keep_checkpoint=keep)
    assert not (tmp_path / "o").exists()
    if keep:
        assert 0 < checkpoint.header(ck)[1]["step"] < total


def test_the_checkpoint_is_kept_before_the_run_files_are_written(tmp_path, small_corpus, monkeypatch):
    """A kill while the files are written (here an error) leaves the checkpoint at the last step."""
    import rnn.core.train as train_module

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "_write_run", killed)
    ck = tmp_path / "ck.npz"
    with pytest.raises(KeyboardInterrupt):
        train(small_corpus, _cfg(), tmp_path / "o", checkpoint_path=ck, progress_stream=io.StringIO(),
              keep_checkpoint=True)
    upe = updates_per_epoch(small_corpus.N, 25)
    assert checkpoint.header(ck)[1]["step"] == _cfg().epochs * upe


@pytest.mark.parametrize("other", ["settings", "cell", "a run still to train", "damaged"])
def test_a_checkpoint_that_is_not_the_recorded_runs_is_kept(tmp_path, small_corpus, other):
    from rnn.pipeline.cleanup import remove_finished_checkpoints

    run_dir, ck = tmp_path / "runs/seed4", tmp_path / "ck.npz"
    train(small_corpus, _cfg(seed=4), run_dir, progress_stream=io.StringIO())  # the run recorded: an RNN, eta 0.1
    if other == "a run still to train":  # the same settings, stopped after the first chunk
        stopped_run(small_corpus, _cfg(seed=4), tmp_path / "s", ck)
    elif other == "damaged":
        ck.write_bytes(b"PK\x03\x04 truncated")
    else:  # finished, with the same number of steps
        cfg = _cfg(seed=4, eta=0.2) if other == "settings" else _cfg(seed=4, cell="gru")
        train(small_corpus, cfg, tmp_path / "o", checkpoint_path=ck, progress_stream=io.StringIO(),
              keep_checkpoint=True)
    assert remove_finished_checkpoints([(ck, run_dir)], "") == [] and ck.exists()


def test_removing_a_sweep_points_checkpoint_removes_its_empty_directories(tmp_path, small_corpus, monkeypatch):
    from rnn.pipeline.cleanup import remove_finished_checkpoints

    monkeypatch.chdir(tmp_path)
    ck, other = (tmp_path / f"results/checkpoints/sweep/eta~0.2/clip~1.0/seed{s}.npz" for s in (4, 5))
    run_dir = tmp_path / "results/sweep/eta~0.2/clip~1.0/seed4"
    train(small_corpus, _cfg(seed=4), run_dir, checkpoint_path=ck, progress_stream=io.StringIO(), keep_checkpoint=True)
    stopped_run(small_corpus, _cfg(seed=5), tmp_path / "s", other)
    assert remove_finished_checkpoints([(ck, run_dir)], "") == [str(ck)]
    assert other.exists()  # its directory stays while it holds a checkpoint
    other.unlink()
    train(small_corpus, _cfg(seed=4), run_dir, checkpoint_path=ck, progress_stream=io.StringIO(), keep_checkpoint=True)
    assert remove_finished_checkpoints([(ck, run_dir)], "") == [str(ck)]
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["checkpoints", "sweep"]
    assert not any((tmp_path / "results/checkpoints").iterdir())


def test_a_resumed_run_times_every_attempt(tmp_path, small_corpus):
    """timing.json (the report's training speed) counts the training of the attempts before a resume, which
    each checkpoint carries on: the speed was the whole run's steps over the last attempt's seconds."""
    cfg, ck = _cfg(), tmp_path / "ck.npz"
    stopped_run(small_corpus, cfg, tmp_path / "o", ck)
    arrays, scalars, records = checkpoint.load(ck, fingerprint(cfg, small_corpus))
    assert 0 < scalars["seconds"] < 60
    checkpoint.save(ck, fingerprint(cfg, small_corpus), arrays, {**scalars, "seconds": 1000.0}, records)
    stopped_run(small_corpus, cfg, tmp_path / "o", ck)  # a second attempt, stopped again
    assert 1000 < checkpoint.header(ck)[1]["seconds"] < 1060
    summary = train(small_corpus, cfg, tmp_path / "o", checkpoint_path=ck, progress_stream=io.StringIO())
    timing = json.loads((tmp_path / "o/timing.json").read_text())
    assert 1000 < timing["seconds"] < 1060 and timing["steps_per_second"] == summary["steps"] / timing["seconds"]
