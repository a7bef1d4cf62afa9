"""Training: the schedule of docs/algorithm.md section 3, smooth loss, snapshots, best model, determinism, checkpoints."""

import io
import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rnn import model
from rnn.corpus import Corpus, updates_per_epoch
from rnn.errors import UserError
from rnn.train import TrainConfig, TrainingDiverged, train

from .conftest import run_rnn


def _cfg(**kw):
    base = dict(seed=3, m=10, epochs=2, snapshot_every=100, snapshot_until=300, snapshot_length=30)
    base.update(kw)
    return TrainConfig(**base)


def _reference_run(corpus, cfg):
    """docs/algorithm.md section 3 written out with the reference model: the losses of every step."""
    p = model.init_params(corpus.K, cfg.m, cfg.sig, cfg.seed)
    mem = p.zeros_like()
    tau, N, ids = cfg.seq_length, corpus.N, corpus.ids
    e, h, losses = 0, np.zeros(cfg.m), []
    for _ in range(cfg.epochs * updates_per_epoch(N, tau)):
        L, h = model.update(p, mem, ids[e:e + tau], ids[e + 1:e + tau + 1], h, cfg.eta, cfg.clip)
        losses.append(L)
        e += tau
        if e > N - tau - 1:
            e, h = 0, np.zeros(cfg.m)
    return np.array(losses)


def test_schedule_counts_and_first_steps_match_the_reference(tmp_path):
    text = "abcdefghij klmnop, qrstuv. wxyz!\n" * 4  # N = 132: 5 updates per epoch at tau 25
    c = Corpus.from_text(text, "t")
    cfg = _cfg(epochs=3, snapshot_every=2, snapshot_until=6)
    s = train(c, cfg, tmp_path)
    assert s["updates_per_epoch"] == 5 and s["steps"] == 15
    losses = np.load(tmp_path / "losses.npz")
    ref = _reference_run(c, cfg)
    # one step agrees to rounding; the chaos only lets a few steps be compared this way
    assert np.allclose(losses["loss"][:6], ref[:6], rtol=1e-9)
    sm = losses["smooth_loss"]
    assert sm[0] == losses["loss"][0]
    assert np.allclose(sm[1:], 0.999 * sm[:-1] + 0.001 * losses["loss"][1:], rtol=0, atol=1e-12)
    assert s["epoch_end_smooth_losses"] == [sm[4], sm[9], sm[14]]
    snaps = json.loads((tmp_path / "snapshots.json").read_text())
    assert [x["step"] for x in snaps] == [0, 2, 4, 6] and all(len(x["text"]) == 30 for x in snaps)
    assert snaps[0]["smooth_loss"] is None and snaps[1]["smooth_loss"] == sm[1]


def test_epoch_start_resets_hidden_state(tmp_path, small_corpus):
    """The first loss of epoch 2 equals a fresh h = 0 forward pass at e = 0 with the same parameters."""
    c = Corpus.from_text(small_corpus.text[:3000], "t")
    upe = updates_per_epoch(c.N, 25)
    cfg = _cfg(epochs=1)
    train(c, cfg, tmp_path)
    p, _, h, x0, meta = model.load_model(tmp_path / "model_final.npz")
    assert not h.any() and x0 == c.ids[0] and meta["step"] == upe
    cfg2 = _cfg(epochs=2)
    train(c, cfg2, tmp_path / "two")
    L2 = np.load(tmp_path / "two" / "losses.npz")["loss"][upe]
    assert np.isclose(L2, model.loss(p, c.ids[:25], c.ids[1:26], np.zeros(cfg.m)), rtol=1e-12)


def test_best_model_is_the_state_at_the_lowest_smooth_loss(tmp_path, small_corpus):
    c = Corpus.from_text(small_corpus.text[:3000], "t")
    s = train(c, _cfg(epochs=3), tmp_path)
    sm = np.load(tmp_path / "losses.npz")["smooth_loss"]
    assert s["best_smooth_loss"] == sm.min() and s["best_step"] == int(np.argmin(sm)) + 1
    # the saved best model reproduces the next step's loss of the run
    p, _, h, x0, meta = model.load_model(tmp_path / "model_best.npz")
    step = meta["step"]
    upe = updates_per_epoch(c.N, 25)
    e = (step % upe) * 25
    assert x0 == c.ids[e]
    if step < len(sm):
        L = model.loss(p, c.ids[e:e + 25], c.ids[e + 1:e + 26], h)
        assert np.isclose(L, np.load(tmp_path / "losses.npz")["loss"][step], rtol=1e-12)


def test_same_config_and_seed_give_identical_results(tmp_path, small_corpus):
    a = train(small_corpus, _cfg(), tmp_path / "a")
    b = train(small_corpus, _cfg(), tmp_path / "b")
    train(small_corpus, _cfg(seed=4), tmp_path / "c")
    la, lb, lc = (np.load(tmp_path / d / "losses.npz")["loss"] for d in "abc")
    assert np.array_equal(la, lb) and not np.array_equal(la, lc)
    assert a["best_smooth_loss"] == b["best_smooth_loss"]
    for name in ("model_best.npz", "model_final.npz"):
        pa, pb = model.load_model(tmp_path / "a" / name)[0], model.load_model(tmp_path / "b" / name)[0]
        assert all(np.array_equal(x, y) for x, y in zip(pa.arrays().values(), pb.arrays().values()))
    assert (tmp_path / "a" / "snapshots.json").read_text() == (tmp_path / "b" / "snapshots.json").read_text()


def test_snapshot_schedule_longer_than_training_warns(tmp_path):
    c = Corpus.from_text("abcdefghij klmnop, qrstuv. wxyz!\n" * 4, "t")
    err = io.StringIO()
    train(c, _cfg(epochs=1, snapshot_every=2, snapshot_until=100), tmp_path, progress_stream=err)
    assert "warning: snapshots are scheduled up to step 100" in err.getvalue()
    assert [s["step"] for s in json.loads((tmp_path / "snapshots.json").read_text())] == [0, 2, 4]


def test_divergence_names_the_step_and_keeps_the_last_good_checkpoint(tmp_path, small_corpus):
    ck = tmp_path / "ck.npz"
    with pytest.raises(TrainingDiverged, match=r"update step (\d+)") as info:
        train(small_corpus, _cfg(eta=1e307, m=10), tmp_path / "run", checkpoint_path=ck, checkpoint_every=1)
    bad = int(re.search(r"update step (\d+)", str(info.value)).group(1))
    assert "last good checkpoint" in str(info.value)
    with np.load(ck) as z:
        assert json.loads(str(z["scalars"]))["step"] == bad - 1
        assert all(np.isfinite(z[k]).all() for k in z.files if k.startswith("a_"))
    assert not (tmp_path / "run" / "summary.json").exists()


def test_bad_config_values_are_refused():
    for kw in ({"m": 0}, {"eta": -1.0}, {"epochs": 0}, {"seq_length": -3}, {"sig": 0.0}):
        with pytest.raises(UserError, match=next(iter(kw))):
            _cfg(**kw)


def _files(d):
    return {n: (d / n).read_bytes()
            for n in ("losses.npz", "snapshots.json", "model_best.npz", "model_final.npz", "summary.json")}


def _wait_for_new_checkpoint(ck, since, proc, timeout=120):
    """Until the checkpoint file is newer than `since` (or the process has ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ck.exists() and ck.stat().st_mtime_ns > since:
            return True
        time.sleep(0.01)
    return False


@pytest.mark.slow
def test_killed_training_resumes_bit_identical(tmp_path, small_corpus):
    corpus_path = tmp_path / "c.npz"
    small_corpus.save(corpus_path)
    args = ["train", "--corpus", corpus_path, "--seed", 5, "--hidden-size", 64, "--epochs", 40,
            "--snapshot-every", 500, "--snapshot-until", 4000, "--snapshot-length", 40, "--checkpoint-every", 700]
    run_rnn(*args, "--out-dir", tmp_path / "straight", check=True)
    ck = tmp_path / "ck.npz"
    out = tmp_path / "resumed"
    kills, last = 0, 0
    for i, extra in enumerate((0.0, 0.25, 0.05, 0.4)):
        proc = subprocess.Popen([sys.executable, "-m", "rnn", *map(str, args), "--out-dir", out, "--checkpoint", ck],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # kill at a moment after this attempt has made progress (a new checkpoint), at varied offsets
        if _wait_for_new_checkpoint(ck, last, proc):
            last = ck.stat().st_mtime_ns
            time.sleep(extra)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL if i % 2 == 0 else signal.SIGTERM)
                kills += 1
        proc.wait()
    assert kills >= 3 and ck.exists()
    done = run_rnn(*args, "--out-dir", out, "--checkpoint", ck, check=True)
    assert "resuming from" in done.stderr
    assert _files(out) == _files(tmp_path / "straight")
    assert not ck.exists()


def test_checkpoint_from_other_settings_is_refused(tmp_path, small_corpus):
    corpus_path = tmp_path / "c.npz"
    small_corpus.save(corpus_path)
    ck = tmp_path / "ck.npz"
    from rnn import checkpoint
    from rnn.train import fingerprint

    checkpoint.save(ck, fingerprint(_cfg(eta=0.2), small_corpus), {}, {}, {})
    proc = run_rnn("train", "--corpus", corpus_path, "--out-dir", tmp_path / "o", "--checkpoint", ck, "--eta", 0.1)
    assert proc.returncode == 2 and "other settings" in proc.stderr and "Traceback" not in proc.stderr
    ck.write_bytes(b"PK\x03\x04 truncated")
    proc = run_rnn("train", "--corpus", corpus_path, "--out-dir", tmp_path / "o", "--checkpoint", ck)
    assert proc.returncode == 2 and "damaged checkpoint" in proc.stderr
