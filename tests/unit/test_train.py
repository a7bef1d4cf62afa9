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

from rnn.core import model, modelfile
from rnn.core.corpus import Corpus, updates_per_epoch
from rnn.errors import UserError
from rnn.core.train import TrainConfig, TrainingDiverged, train

from ..conftest import run_files, run_rnn, stopped_run
from ..reference import easy_then_hard, reference_run, rel


def _cfg(**kw):
    base = dict(seed=3, hidden_size=10, epochs=2, snapshots_every=100, snapshots_until=300, snapshots_length=30)
    base.update(kw)
    return TrainConfig(**base)


def _reference_run(corpus, cfg):
    """The reference trajectory (tests/reference.py) of a whole training run with cfg."""
    n = cfg.epochs * len(range(0, corpus.N - cfg.seq_length, cfg.seq_length))
    return reference_run(corpus.ids, corpus.K, cfg.hidden_size, n, sig=cfg.sig, seed=cfg.seed, eta=cfg.eta,
                         clip=cfg.clip, tau=cfg.seq_length)


def test_schedule_counts_and_every_step_match_the_reference(tmp_path):
    text = "abcdefghij klmnop, qrstuv. wxyz!\n" * 4  # N = 132: 5 updates per epoch at tau 25
    c = Corpus.from_text(text, "t")
    cfg = _cfg(epochs=3, snapshots_every=2, snapshots_until=6)
    s = train(c, cfg, tmp_path)
    assert s["updates_per_epoch"] == 5 and s["steps"] == 15
    losses = np.load(tmp_path / "losses.npz")
    ref = _reference_run(c, cfg)
    # at this size the kernel and the reference agree to rounding over the whole run
    assert np.all(np.abs(losses["loss"] - ref.losses) <= 1e-12 * ref.losses)
    assert np.all(np.abs(losses["smooth_loss"] - ref.smooths) <= 1e-12 * ref.smooths)
    sm = losses["smooth_loss"]
    assert sm[0] == losses["loss"][0]
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
    p, _, h, x0, meta = modelfile.load_model(tmp_path / "model_final.npz")
    assert not h.any() and x0 == c.ids[0] and meta["step"] == upe
    cfg2 = _cfg(epochs=2)
    train(c, cfg2, tmp_path / "two")
    L2 = np.load(tmp_path / "two" / "losses.npz")["loss"][upe]
    assert np.isclose(L2, model.loss(p, c.ids[:25], c.ids[1:26], np.zeros(cfg.hidden_size)), rtol=1e-12)


def test_best_model_is_the_state_at_the_lowest_smooth_loss(tmp_path):
    """A text that turns from easy to hard puts the lowest smooth loss mid-run: model_best.npz is the
    reference trajectory's state after that update, with the h and x0 the next update starts from."""
    c = Corpus.from_text(easy_then_hard(), "t")
    cfg = _cfg(epochs=3)
    s = train(c, cfg, tmp_path)
    ref = _reference_run(c, cfg)
    assert 1 < ref.best_step < s["steps"] - 20
    assert s["best_step"] == ref.best_step and abs(s["best_smooth_loss"] - ref.best_smooth) <= 1e-12 * ref.best_smooth
    p, vocab, h, x0, meta = modelfile.load_model(tmp_path / "model_best.npz")
    assert vocab == c.vocab and x0 == ref.best_x0 and meta["step"] == ref.best_step
    assert meta["smooth_loss"] == s["best_smooth_loss"] and meta["seed"] == cfg.seed
    for name in model.PARAM_NAMES:
        assert rel(getattr(p, name), getattr(ref.best_p, name)) <= 1e-12, name
    assert rel(h, ref.best_h) <= 1e-12
    # and the final model is the state after the last update
    p, _, h, x0, meta = modelfile.load_model(tmp_path / "model_final.npz")
    assert meta["step"] == s["steps"] and x0 == c.ids[ref.e] == c.ids[0]
    assert ref.e == 0 and not ref.h.any() and not h.any()  # training ends at the end of an epoch
    for name in model.PARAM_NAMES:
        assert rel(getattr(p, name), getattr(ref.p, name)) <= 1e-12, name


def test_same_config_and_seed_give_identical_results(tmp_path, small_corpus):
    a = train(small_corpus, _cfg(), tmp_path / "a")
    b = train(small_corpus, _cfg(), tmp_path / "b")
    train(small_corpus, _cfg(seed=4), tmp_path / "c")
    la, lb, lc = (np.load(tmp_path / d / "losses.npz")["loss"] for d in "abc")
    assert np.array_equal(la, lb) and not np.array_equal(la, lc)
    assert a["best_smooth_loss"] == b["best_smooth_loss"]
    for name in ("model_best.npz", "model_final.npz"):
        pa, pb = modelfile.load_model(tmp_path / "a" / name)[0], modelfile.load_model(tmp_path / "b" / name)[0]
        assert all(np.array_equal(x, y) for x, y in zip(pa.arrays().values(), pb.arrays().values()))
    assert (tmp_path / "a" / "snapshots.json").read_text() == (tmp_path / "b" / "snapshots.json").read_text()


def test_snapshot_schedule_longer_than_training_warns(tmp_path):
    c = Corpus.from_text("abcdefghij klmnop, qrstuv. wxyz!\n" * 4, "t")
    err = io.StringIO()
    train(c, _cfg(epochs=1, snapshots_every=2, snapshots_until=100), tmp_path, progress_stream=err)
    assert "warning: snapshots are scheduled up to step 100" in err.getvalue()
    assert [s["step"] for s in json.loads((tmp_path / "snapshots.json").read_text())] == [0, 2, 4]


def test_divergence_names_the_step_and_keeps_the_last_good_checkpoint(tmp_path, small_corpus):
    ck = tmp_path / "ck.npz"
    with pytest.raises(TrainingDiverged, match=r"update step (\d+)") as info:
        train(small_corpus, _cfg(eta=1e307, hidden_size=10), tmp_path / "run", checkpoint_path=ck, checkpoint_every=1)
    bad = int(re.search(r"update step (\d+)", str(info.value)).group(1))
    assert "last good checkpoint" in str(info.value)
    with np.load(ck) as z:
        assert json.loads(str(z["scalars"]))["step"] == bad - 1
        assert all(np.isfinite(z[k]).all() for k in z.files if k.startswith("a_"))
    assert not (tmp_path / "run" / "summary.json").exists()


def test_bad_config_values_are_refused():
    for kw in ({"hidden_size": 0}, {"eta": -1.0}, {"epochs": 0}, {"seq_length": -3}, {"sig": 0.0}):
        with pytest.raises(UserError, match=next(iter(kw))):
            _cfg(**kw)


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
            "--snapshots-every", 500, "--snapshots-until", 4000, "--snapshots-length", 40, "--checkpoint-every", 700]
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
    assert run_files(out) == run_files(tmp_path / "straight")
    assert not ck.exists()


# one other value for every training setting (the list is checked against TrainConfig's fields)
OTHER_SETTINGS = {"seed": 4, "hidden_size": 11, "eta": 0.2, "sig": 0.02, "seq_length": 24, "epochs": 3, "clip": 4.0,
                  "snapshots_every": 50, "snapshots_until": 200, "snapshots_length": 31, "synthesis_seed": 1,
                  "validation_fraction": 0.1, "cell": "gru"}


def _checkpoint_of(corpus, cfg, path, tmp_path, code_sha256=""):
    """A real checkpoint of cfg on corpus, written as on SIGTERM after the first chunk."""
    stopped_run(corpus, cfg, tmp_path / "stopped", path, code_sha256=code_sha256)
    assert path.exists()


def _not_resumed(corpus, cfg, ck, tmp_path, differ: str):
    """Training with a checkpoint of another identity starts from step 0, says why in one line, and
    ends as a run that never saw the checkpoint."""
    err = io.StringIO()
    train(corpus, cfg, tmp_path / "o", checkpoint_path=ck, progress_stream=err)
    lines = [ln for ln in err.getvalue().splitlines() if ln.startswith("not resuming")]
    assert len(lines) == 1 and f"({differ} differ)" in lines[0] and lines[0].endswith("training starts from step 0")
    train(corpus, cfg, tmp_path / "fresh", progress_stream=io.StringIO())
    assert run_files(tmp_path / "o") == run_files(tmp_path / "fresh")


@pytest.mark.parametrize("key", sorted(OTHER_SETTINGS))
def test_checkpoint_differing_in_one_setting_is_not_resumed(tmp_path, small_corpus, key):
    """A checkpoint made with one setting changed, and only that one, is not resumed: the run starts
    over, naming the setting."""
    from dataclasses import fields, replace

    from rnn.core import checkpoint
    from rnn.core.train import fingerprint

    assert set(OTHER_SETTINGS) == {f.name for f in fields(TrainConfig)}
    corpus = Corpus.from_text(small_corpus.text[:3000], "t")
    cfg = _cfg(epochs=1, snapshots_every=40, snapshots_until=80)
    other = replace(cfg, **{key: OTHER_SETTINGS[key]})
    assert getattr(other, key) != getattr(cfg, key)
    ck = tmp_path / "ck.npz"
    _checkpoint_of(corpus, other, ck, tmp_path)
    _not_resumed(corpus, cfg, ck, tmp_path, key)
    # the same settings are accepted, and everything saved comes back
    checkpoint.save(ck, fingerprint(other, corpus), {"x": np.arange(3.0)}, {"step": 7}, {"snapshots": []})
    arrays, scalars, records = checkpoint.load(ck, fingerprint(other, corpus))
    assert list(arrays) == ["x"] and np.array_equal(arrays["x"], np.arange(3.0))
    assert scalars == {"step": 7} and records == {"snapshots": []}


def test_checkpoint_of_another_text_is_not_resumed(tmp_path, small_corpus):
    """Same settings, another text: with the same vocabulary (corpus_sha256), or another (also vocab)."""
    cfg = _cfg(epochs=1, snapshots_every=40, snapshots_until=80)
    text = small_corpus.text[:3000]
    corpus = Corpus.from_text(text, "t")
    swapped = Corpus.from_text(text[1:] + text[0], "t")  # the same characters in another order
    assert swapped.vocab == corpus.vocab
    for i, (other, differ) in enumerate(((swapped, "corpus_sha256"),
                                         (Corpus.from_text(text[:2000], "t"), "corpus_sha256, vocab"))):
        ck = tmp_path / f"ck{i}.npz"
        _checkpoint_of(other, cfg, ck, tmp_path / f"a{i}")
        _not_resumed(corpus, cfg, ck, tmp_path / f"b{i}", differ)


def test_checkpoint_of_other_code_is_not_resumed(tmp_path, small_corpus):
    """The code that trains is part of a checkpoint's identity: after an edit, a run starts over."""
    corpus = Corpus.from_text(small_corpus.text[:3000], "t")
    cfg = _cfg(epochs=1, snapshots_every=40, snapshots_until=80)
    ck = tmp_path / "ck.npz"
    _checkpoint_of(corpus, cfg, ck, tmp_path, code_sha256="0" * 64)  # as if made by other code
    _not_resumed(corpus, cfg, ck, tmp_path, "code_sha256")


@pytest.fixture
def package_copy(tmp_path):
    """A copy of the rnn package to edit (tests point pipeline.code.PACKAGE at it)."""
    import shutil

    from rnn.pipeline import code

    copy = tmp_path / "rnn"
    shutil.copytree(code.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_code_fingerprint_follows_every_module_a_command_runs(package_copy, monkeypatch):
    """An edit to any file the command imports (the kernel, the products it calls) changes it; an edit
    to a module it does not run (the figures, for training) does not."""
    from rnn.pipeline import code

    copy = package_copy
    monkeypatch.setattr(code, "PACKAGE", copy)
    before = code.fingerprint("train")
    for name, changes in (("core/products.py", True), ("core/kernel.py", True), ("reporting/naive.py", False),
                          ("settings.py", True), ("reporting/figures.py", False)):
        original = (copy / name).read_text()
        (copy / name).write_text(original + "\n# an edit\n")
        assert (code.fingerprint("train") != before) == changes, name
        (copy / name).write_text(original)
    assert code.fingerprint("train") == before


def test_the_modules_a_command_runs_are_read_from_the_package_in_use(package_copy, monkeypatch):
    """The trees and imports are cached per file, not per module name: a copy of the package whose kernel
    and cli import one more module each is read afresh after the installed one was (`sources` serves
    every rule). The fingerprint test above needs no cache clearing for the same reason."""
    from rnn.pipeline import code

    installed = set(code.modules("train"))  # the installed package, walked and cached
    assert not installed & {"reporting.figures", "reporting.naive"}
    copy = package_copy
    kernel, cli = copy / "core" / "kernel.py", copy / "cli.py"
    kernel.write_text(kernel.read_text() + "\nfrom ..reporting import figures  # noqa\n")
    cli.write_text(cli.read_text() + "\nfrom .reporting import naive  # noqa\n")  # cli's tree is cached too
    monkeypatch.setattr(code, "PACKAGE", copy)
    assert {"reporting.figures", "reporting.naive"} <= set(code.modules("train"))
    assert str(copy / "reporting" / "figures.py") in code.sources("train")


def test_checkpoint_from_other_settings_starts_over_and_a_damaged_one_is_refused(tmp_path, small_corpus):
    corpus_path = tmp_path / "c.npz"
    small_corpus.save(corpus_path)
    ck = tmp_path / "ck.npz"
    from rnn.core import checkpoint
    from rnn.core.train import fingerprint

    checkpoint.save(ck, fingerprint(_cfg(eta=0.2), small_corpus), {}, {}, {})
    args = ("train", "--corpus", corpus_path, "--out-dir", tmp_path / "o", "--checkpoint", ck, "--hidden-size", 5,
            "--epochs", 1, "--snapshots-until", 0)
    proc = run_rnn(*args, "--eta", 0.1)
    assert proc.returncode == 0 and "not resuming" in proc.stderr and "Traceback" not in proc.stderr
    ck.write_bytes(b"PK\x03\x04 truncated")
    proc = run_rnn(*args)
    assert proc.returncode == 2 and "damaged checkpoint" in proc.stderr


def test_checkpoint_with_a_pickled_array_is_refused_as_damaged(tmp_path, small_corpus):
    from rnn.core import checkpoint
    from rnn.core.train import fingerprint

    fp = fingerprint(_cfg(), small_corpus)
    ck = tmp_path / "ck.npz"
    np.savez(ck, fingerprint=np.array(json.dumps(fp)), scalars=np.array("{}"), records=np.array("{}"),
             a_x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(UserError, match="damaged checkpoint"):
        checkpoint.load(ck, fp)


def test_checkpoint_lacking_a_setting_names_it(tmp_path, small_corpus):
    """A checkpoint whose fingerprint has no `eta` at all (an older format) differs in eta."""
    from rnn.core import checkpoint
    from rnn.core.train import fingerprint

    fp = fingerprint(_cfg(), small_corpus)
    ck = tmp_path / "ck.npz"
    checkpoint.save(ck, {k: v for k, v in fp.items() if k != "eta"}, {}, {}, {})
    with pytest.raises(checkpoint.Mismatch, match=r"made with other settings \(eta differ\)"):
        checkpoint.load(ck, fp)
