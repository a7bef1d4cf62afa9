"""The exact loss over a whole text, the held-out split and priming (docs/algorithm.md sections 4.5, 8)."""

import io
import json
import math

import numpy as np
import pytest

from rnn.core import evaluate, kernel, model, modelfile
from rnn.core.corpus import Corpus, training_part, updates_per_epoch
from rnn.core.sample import prime, start_state, synthesize
from rnn.core.train import TrainConfig, train
from rnn.errors import UserError

from ..conftest import run_files, run_rnn


def _trained_like(K, m, rng, scale=0.3):
    """Weights of a trained model's size; W contracting (spectral radius about `scale`), as training keeps
    it: with a chaotic W two correct implementations part after a few dozen characters (last-bit
    differences grow tenfold per step), and a comparison over a long text would measure the chaos."""
    p = model.init_params(K, m, scale, int(rng.integers(1 << 30)))
    p.W /= np.sqrt(m)
    p.b[:] = rng.standard_normal(m) * scale
    p.c[:] = rng.standard_normal(K) * scale
    return p


@pytest.mark.parametrize("K,m", [(72, 100), (11, 7)])
def test_the_exact_loss_is_the_reference_models_loss_over_the_whole_text(rng, K, m):
    """model.loss (numpy, the readable statement) over the text as one long sequence, at 1e-12."""
    p = _trained_like(K, m, rng)
    ids = rng.integers(0, K, 3001)
    got = evaluate.evaluate(p, ids)
    want = model.loss(p, ids[:-1], ids[1:], np.zeros(m))
    assert got["characters"] == 3000
    assert abs(got["nats"] * 3000 - want) <= 1e-12 * want
    assert got["bpc"] == got["nats"] * 3000 / 3000 / math.log(2)
    h0 = np.tanh(rng.standard_normal(m))  # from a given state too
    assert abs(evaluate.evaluate(p, ids, h0)["nats"] * 3000 - model.loss(p, ids[:-1], ids[1:], h0)) <= 1e-12 * want


def test_the_block_length_changes_the_sum_only_by_rounding(rng):
    """Blocks of 64 characters, each summed, then the blocks: against one running sum, rounding only."""
    K, m = 30, 20
    p = _trained_like(K, m, rng)
    ids = rng.integers(0, K, 1000)
    blocks = [evaluate.total_loss(kernel.weights(p), kernel.workspace(K, m, b), np.zeros(m), ids.astype(np.int32))
              for b in (1, 7, 64, 999)]
    assert max(blocks) - min(blocks) <= 1e-12 * max(blocks)


def test_over_one_sequence_it_is_the_training_loss_to_the_last_bit(rng):
    """The same fixed-order arithmetic as the kernel: one sequence's loss from the same state, equal bits."""
    K, m, tau = 72, 100, 25
    p = _trained_like(K, m, rng)
    book = rng.integers(0, K, 400).astype(np.int32)
    h0 = np.tanh(rng.standard_normal(m))
    P, work = kernel.weights(p), kernel.workspace(K, m, tau)
    kernel.refresh_transposes(P, work)
    for e in (0, 25, 150):
        want = kernel.forward(book, e, tau, h0.copy(), P, work)
        got = evaluate.total_loss(kernel.weights(p), kernel.workspace(K, m, evaluate.BLOCK), h0.copy(),
                                  book[e:e + tau + 1])
        assert got == want


@pytest.mark.parametrize("N,tau,f", [(1000, 25, 0.1), (1_107_542, 25, 0.1), (101, 10, 0.05), (500, 7, 0.5), (60, 25, 0.01)])
def test_the_training_part_ends_on_a_sequence_boundary_and_leaves_the_fraction(N, tau, f):
    cut = training_part(N, tau, f)
    held = N - cut
    assert held >= max(2, math.ceil(f * N))  # at least the fraction is held out
    assert (cut - 1) % tau == 0  # a whole number of sequences: the last target is the last character
    assert held < max(2, math.ceil(f * N)) + tau  # and no more than one sequence beyond it
    assert updates_per_epoch(cut, tau) == (cut - 1) // tau
    assert training_part(N, tau, 0.0) == N


def test_a_text_too_short_for_its_held_out_part_names_the_key():
    with pytest.raises(UserError, match="`validation_fraction` 0.5 the training part is shorter than one sequence"):
        training_part(40, 25, 0.5)
    # with nothing held out, the remedy is the text or seq_length, not validation_fraction
    with pytest.raises(UserError, match=r"^the text has 25 characters, fewer than one sequence \(seq_length \+ 1 = "
                                        r"26\); use a longer text or a smaller `seq_length`$"):
        training_part(25, 25, 0.0)


def test_the_held_out_text_is_never_trained_on(tmp_path, small_text):
    """A run with a tenth held out trains exactly as a run on the training part alone (same vocabulary):
    every loss, snapshot and model byte for byte."""
    text = small_text[:6000]
    whole = Corpus.from_text(text, "t")
    cfg = dict(hidden_size=12, epochs=2, snapshots_every=50, snapshots_until=150, snapshots_length=40)
    s = train(whole, TrainConfig(**cfg, validation_fraction=0.1), tmp_path / "held", progress_stream=io.StringIO())
    cut = training_part(whole.N, 25, 0.1)
    assert s["updates_per_epoch"] == (cut - 1) // 25 < updates_per_epoch(whole.N, 25)
    part = Corpus(text=text[:cut], vocab=whole.vocab, ids=whole.ids[:cut], source="t")
    train(part, TrainConfig(**cfg), tmp_path / "part", progress_stream=io.StringIO())
    held, alone = run_files(tmp_path / "held"), run_files(tmp_path / "part")
    for name in ("losses.npz", "snapshots.json", "model_best.npz", "model_final.npz"):
        assert held[name] == alone[name], name
    # and the held-out text changes nothing when it changes
    other = Corpus.from_text(text[:cut] + text[cut:][::-1], "t")
    assert other.vocab == whole.vocab
    train(other, TrainConfig(**cfg, validation_fraction=0.1), tmp_path / "other", progress_stream=io.StringIO())
    assert run_files(tmp_path / "other")["losses.npz"] == held["losses.npz"]


def test_evaluation_of_every_epoch_on_both_parts(tmp_path, small_text):
    whole = Corpus.from_text(small_text[:5000], "t")
    whole.save(tmp_path / "c.npz")
    train(whole, TrainConfig(hidden_size=10, epochs=3, snapshots_until=0, validation_fraction=0.2), tmp_path / "r",
          progress_stream=io.StringIO())
    proc = run_rnn("evaluate", "--run", tmp_path / "r", "--corpus", tmp_path / "c.npz", "--validation-fraction=0.2",
                   "--out", tmp_path / "e.json", check=True)
    e = json.loads((tmp_path / "e.json").read_text())
    cut = training_part(whole.N, 25, 0.2)
    assert (e["training_characters"], e["heldout_characters"]) == (cut, whole.N - cut)
    models, vocab, meta = modelfile.load_epoch_models(tmp_path / "r" / "epochs.npz")
    assert len(models) == 3 and vocab == whole.vocab
    final = modelfile.load_model(tmp_path / "r" / "model_final.npz")[0]
    assert all(np.array_equal(a, b) for a, b in zip(models[-1].arrays().values(), final.arrays().values()))
    for k, p in enumerate(models):
        for part, ids in (("train", whole.ids[:cut]), ("heldout", whole.ids[cut:])):
            want = model.loss(p, ids[:-1], ids[1:], np.zeros(10)) / (len(ids) - 1) / math.log(2)
            assert abs(e[f"{part}_bpc"][k] - want) <= 1e-12 * want, (part, k)
    assert e["train_bpc"][2] < e["train_bpc"][0]  # it learns
    assert "heldout" in proc.stdout
    # evaluated with another fraction than it was trained with: refused
    proc = run_rnn("evaluate", "--run", tmp_path / "r", "--corpus", tmp_path / "c.npz", "--validation-fraction=0.1",
                   "--out", tmp_path / "x.json")
    assert proc.returncode == 2 and "not the" in proc.stderr and "validation_fraction" in proc.stderr


@pytest.fixture(scope="module")
def abc_model(tmp_path_factory):
    """A model that has learned a repetitive text: after 'abcde' comes 'f'."""
    d = tmp_path_factory.mktemp("abc")
    c = Corpus.from_text("abcdefgh. " * 300, "abc")
    train(c, TrainConfig(hidden_size=16, epochs=6, snapshots_until=0, eta=0.1), d, progress_stream=io.StringIO())
    return d / "model_final.npz"


def test_a_primed_model_continues_the_text(abc_model):
    p, vocab, h, x0, _ = modelfile.load_model(abc_model)
    for text, follows in (("abcde", "fgh. abcdefgh."), ("h. abc", "defgh. abcd"), ("g", "h. abcdefgh")):
        h1, x1 = prime(p, vocab, text, np.zeros(p.m))
        ids = synthesize(p, h1, x1, len(follows), np.random.default_rng(0), temperature=1e-3)
        assert "".join(vocab[i] for i in ids) == follows, text
    proc = run_rnn("synthesize", "--model", abc_model, "--prime", "cdefg", "--length", 8, "--temperature", 0.001,
                   check=True)
    assert proc.stdout == "cdefgh. abcde\n"  # the priming text, then what follows it


def test_priming_from_the_saved_state_or_from_zero(abc_model):
    p, vocab, h, x0, _ = modelfile.load_model(abc_model)
    assert start_state(p, vocab, h, x0) == (h, x0)  # no priming text: the saved state
    hz, xz = start_state(p, vocab, h, x0, "abc", "zero")
    hs, xs = start_state(p, vocab, h + 0.5, x0, "abc", "saved")
    assert xz == xs == vocab.index("c") and not np.array_equal(hz, hs)
    assert np.array_equal(hz, prime(p, vocab, "abc", np.zeros(p.m))[0])


def test_a_priming_character_outside_the_vocabulary_is_refused_naming_it(abc_model):
    p, vocab, h, _, _ = modelfile.load_model(abc_model)
    with pytest.raises(UserError, match=r"character 'z' \(U\+007A\) at position 3 is not in the model's vocabulary"):
        prime(p, vocab, "abcz", h)
    proc = run_rnn("synthesize", "--model", abc_model, "--prime", "ab\u00e9")
    assert proc.returncode == 2 and "'\u00e9' (U+00E9) at position 2" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_rnn("synthesize", "--model", abc_model, "--prime", "ab", "--start-char", "a")
    assert proc.returncode == 2 and "not both" in proc.stderr
