"""Results you can trust off the happy path: kills, edits, replaced inputs, damaged files, odd values.

Each test names the case of issue 18 it guards ("case N"); the README's "Interrupted runs, bad input"
section states these guarantees.
"""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rnn.pipeline import guard

from rnn.core import model, modelfile

from rnn import settings
from rnn.core.corpus import Corpus, read_text
from rnn.errors import UserError
from rnn.core.train import TrainConfig, TrainingDiverged, train

from ..conftest import run_rnn, stopped_run


def _one_line(proc, *needles):
    """A user mistake: exit status 2, one line on stderr naming what is wrong, no traceback."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# --- case 4: a model file with a value that is not finite; an exploding loss ------------------------
def test_a_model_whose_vocabulary_repeats_a_character_is_refused(tmp_path):
    """A vocabulary of 'aab' gives one character two ids: refused by name (it sampled 'aaaa...', exit 0)."""
    modelfile.save_model(tmp_path / "m.npz", model.init_params(3, 4, 0.1, 1), "aab")
    proc = run_rnn("synthesize", "--model", tmp_path / "m.npz", "--length", 5)
    _one_line(proc, f"{tmp_path / 'm.npz'}: its vocabulary repeats a character")


def test_a_model_with_a_nan_weight_is_refused(tmp_path):
    p = model.init_params(5, 3, 0.1, 1)
    p.W[1, 2] = np.nan
    modelfile.save_model(tmp_path / "m.npz", p, "abcde")
    _one_line(run_rnn("synthesize", "--model", tmp_path / "m.npz", "--length", 10), "m.npz", "W", "not finite")
    p = model.init_params(5, 3, 0.1, 1)
    modelfile.save_model(tmp_path / "h.npz", p, "abcde", h=np.array([0.0, np.inf, 0.0]))
    _one_line(run_rnn("synthesize", "--model", tmp_path / "h.npz"), "h.npz", "h hold values that are not finite")


def test_an_exploding_loss_stops_training_with_one_line(tmp_path, small_corpus):
    """eta = 1000: the loss goes from about 100 to thousands, every value finite. Training stops at the
    first smooth loss over the limit (docs/algorithm.md section 3.9) and writes no results."""
    from rnn.core.train import divergence_limit

    with pytest.raises(TrainingDiverged, match=r"smooth loss [\d,.]+ passed [\d,.]+ .* at update step (\d+)") as info:
        train(small_corpus, TrainConfig(hidden_size=10, eta=1000.0, epochs=2, snapshots_until=0), tmp_path / "run",
              progress_stream=io.StringIO())
    assert "lower `eta` (now 1000.0)" in str(info.value)
    assert not (tmp_path / "run").exists()
    # the rule: ten times the larger of the first loss and tau ln K
    assert divergence_limit(50.0, 25, 80) == 10 * 25 * np.log(80)
    assert divergence_limit(500.0, 25, 80) == 5000.0


def test_a_healthy_run_stays_far_below_the_divergence_limit(tmp_path, small_corpus):
    """The limit stops nothing a normal run does: the default settings' highest smooth loss, epoch
    starts included, is below the first loss."""
    s = train(small_corpus, TrainConfig(hidden_size=20, epochs=3, snapshots_until=0), tmp_path, progress_stream=io.StringIO())
    smooth = np.load(tmp_path / "losses.npz")["smooth_loss"]
    assert smooth.max() <= s["first_loss"] * 1.0001


# --- case 5: indices read from a file never reach compiled code unchecked ---------------------------
@pytest.mark.parametrize("x0", [100000, -5, 5])
def test_a_start_index_outside_the_vocabulary_is_refused(tmp_path, x0):
    modelfile.save_model(tmp_path / "m.npz", model.init_params(5, 3, 0.1, 1), "abcde", x0=x0)
    proc = run_rnn("synthesize", "--model", tmp_path / "m.npz", "--length", 20)
    _one_line(proc, "m.npz", f"x0 = {x0} is outside the vocabulary of 5")


def test_a_damaged_checkpoint_is_refused_before_the_kernel_sees_it(tmp_path, small_corpus):
    """A checkpoint of the right identity whose position, arrays or best model do not fit the run."""
    from rnn.core import checkpoint
    from rnn.core.train import fingerprint

    cfg = TrainConfig(hidden_size=6, epochs=6, snapshots_until=0)  # more than one kernel chunk
    ck = tmp_path / "ck.npz"
    stopped_run(small_corpus, cfg, tmp_path / "a", ck)
    fp = fingerprint(cfg, small_corpus)
    arrays, scalars, records = checkpoint.load(ck, fp)
    damage = {
        "position": lambda a, s: s.update(e=10**9),
        "nan weight": lambda a, s: a["W"].__setitem__((0, 0), np.nan),
        "shape": lambda a, s: a.update(W=np.zeros((3, 3))),
        "best character": lambda a, s: a["best"].__setitem__(2, 10**6),
        "missing array": lambda a, s: a.pop("mV"),
        "negative time": lambda a, s: s.update(seconds=-1.0),
        "no time": lambda a, s: s.pop("seconds"),
        "infinite time": lambda a, s: s.update(seconds=float("inf")),
    }
    for what, change in damage.items():
        a, s = {k: v.copy() for k, v in arrays.items()}, dict(scalars)
        change(a, s)
        checkpoint.save(ck, fp, a, s, records)
        with pytest.raises(UserError, match="damaged checkpoint"):
            train(small_corpus, cfg, tmp_path / "b", checkpoint_path=ck, progress_stream=io.StringIO())


# --- case 6: inputs of every kind --------------------------------------------------------------------
def test_a_fifo_or_a_device_is_refused_at_once(tmp_path):
    fifo = tmp_path / "book.fifo"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(UserError, match="not a regular file"):
            read_text(path)
    proc = subprocess.run([sys.executable, "-m", "rnn", "prepare", "--book", str(fifo), "--out", str(tmp_path / "c.npz"),
                           "--facts", str(tmp_path / "c.json")], capture_output=True, text=True, timeout=60)
    _one_line(proc, "not a regular file")


def test_a_book_over_the_size_limit_names_the_limit_and_how_to_raise_it(tmp_path, monkeypatch):
    book = tmp_path / "big.txt"
    book.write_text("a" * 2_000_001)
    monkeypatch.setenv("RNN_MAX_BOOK_MB", "2")
    with pytest.raises(UserError, match=r"2,000,001 bytes, more than the limit of 2,000,000; raise it with "
                                        r"RNN_MAX_BOOK_MB="):
        read_text(book)
    monkeypatch.setenv("RNN_MAX_BOOK_MB", "3")
    assert len(read_text(book)) == 2_000_001


def test_a_yaml_alias_bomb_is_refused_before_it_is_walked():
    import yaml

    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = yaml.safe_load("\n".join(lines + ["eta: *a8"]))  # 9^9 = 387 million values, shared
    t = time.perf_counter()
    with pytest.raises(UserError, match="more than 10,000 values"):
        settings.typed_config(bomb)
    assert time.perf_counter() - t < 1.0  # refused by counting, not after walking


def test_a_hidden_size_too_large_for_memory_is_refused_naming_the_key(tmp_path, small_corpus):
    small_corpus.save(tmp_path / "c.npz")
    proc = run_rnn("train", "--corpus", tmp_path / "c.npz", "--out-dir", tmp_path / "r", "--hidden-size", 10_000_000)
    line = _one_line(proc, "a training job (hidden_size 10,000,000, 4,790 update steps) needs about", "lower `hidden_size`")
    assert "GB of memory and this machine has" in line and not (tmp_path / "r").exists()
    from rnn.pipeline import resources

    job = {"hidden_size": 100, "epochs": 1, "seq_length": 25}
    resources.check_config([(job, {})], [5, 100], 1_000_000, 80)
    with pytest.raises(UserError, match="lower `epochs`"):
        resources.check_config([({**job, "epochs": 10**9}, {})], [5], 1_000_000, 80)
    with pytest.raises(UserError, match="lower `sweep.hidden_size`"):
        resources.check_config([(job, {}), ({**job, "hidden_size": 10**7}, {"hidden_size": 10**7})], [5], 1_000_000, 80)
    with pytest.raises(UserError, match="lower `gradcheck.hidden_sizes`"):
        resources.check_config([(job, {})], [5, 10**7], 1_000_000, 80)


# --- case 7: the PDF step ------------------------------------------------------------------------------
def test_the_pdf_step_recovers_from_a_failed_build_and_reads_any_bytes(tex, tmp_path):
    """A build that failed (here: the PDF could not be written, as on a full disk) leaves latexmk's
    state behind; the next build succeeds. LaTeX's output split inside UTF-8 characters is no error."""
    from rnn.reporting.report import build_pdf

    doc = tmp_path / "r.tex"
    doc.write_text("\\documentclass{article}\\usepackage[utf8]{inputenc}\\begin{document}\n\\typeout{"
                   + "a\u00e9\U0001F600" * 40 + "}\nHello \u00e9.\n\\end{document}\n")
    build = tmp_path / "build"
    (build / "r.pdf").mkdir(parents=True)  # pdflatex cannot write its PDF
    failed = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", f"-outdir={build}",
                             "r.tex"], cwd=tmp_path, capture_output=True)
    assert failed.returncode != 0
    (build / "r.pdf").rmdir()  # the disk is free again
    again = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", f"-outdir={build}",
                            "r.tex"], cwd=tmp_path, capture_output=True)
    assert again.returncode != 0  # latexmk alone repeats the failure on unchanged inputs
    build_pdf(doc, tmp_path / "out.pdf", build)
    assert (tmp_path / "out.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_latex_error_is_one_line_naming_it(tex, tmp_path):
    from rnn.reporting.report import build_pdf

    doc = tmp_path / "r.tex"
    doc.write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n")
    with pytest.raises(UserError, match=r"LaTeX failed on .*r\.tex: .*Undefined control sequence"):
        build_pdf(doc, tmp_path / "out.pdf", tmp_path / "build")
    assert not (tmp_path / "out.pdf").exists()


# --- case 8: damaged result files ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, small_text):
    d = tmp_path_factory.mktemp("runs")
    corpus = Corpus.from_text(small_text[:3000], "t")
    for seed in (1, 2):
        train(corpus, TrainConfig(seed=seed, hidden_size=6, epochs=1, snapshots_until=0), d / f"seed{seed}",
              progress_stream=io.StringIO())
    return d


@pytest.mark.parametrize("damage,needle", [
    ("garbled summary", "summary.json: damaged (JSONDecodeError"),
    ("summary without a field", "summary.json: `best_smooth_loss` is missing"),
    ("truncated losses", "losses.npz: damaged (BadZipFile"),
    ("short losses", "losses.npz: smooth_loss does not hold"),
    ("another text", "trained with another text than"),
    ("another cell", "trained with another setting than"),
    ("another held-out part", "evaluated with another `validation_fraction` than"),
])
def test_a_damaged_result_file_gets_one_line_naming_it(tmp_path, two_runs, damage, needle):
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(two_runs, runs)
    summary, losses = runs / "seed2" / "summary.json", runs / "seed2" / "losses.npz"
    s = json.loads(summary.read_text())
    if damage == "garbled summary":
        summary.write_text(summary.read_text()[:40])
    elif damage == "summary without a field":
        summary.write_text(json.dumps({k: v for k, v in s.items() if k != "best_smooth_loss"}))
    elif damage == "truncated losses":
        losses.write_bytes(losses.read_bytes()[:100])
    elif damage == "short losses":
        np.savez(losses, loss=np.zeros(3), smooth_loss=np.ones(3))
    elif damage == "another cell":
        summary.write_text(json.dumps({**s, "cell": "lstm"}))
    elif damage == "another held-out part":  # each evaluation well-formed on its own
        for seed, fraction in ((1, 0.0), (2, 0.1)):
            held = [3.5] if fraction else None
            (runs / f"seed{seed}" / "evaluation.json").write_text(json.dumps({
                "validation_fraction": fraction, "train_bpc": [3.0], "train_nats": [2.0],
                "heldout_bpc": held, "heldout_nats": held}))
    else:
        summary.write_text(json.dumps({**s, "corpus_sha256": "0" * 64}))
    proc = run_rnn("figures", "--runs", runs / "seed1", runs / "seed2", "--show-seed", 1, "--out-dir", tmp_path / "f")
    line = _one_line(proc, needle)
    assert "seed2" in line and "snakemake" in line  # names the file and the remedy


@pytest.mark.parametrize("damage,needle", [
    ("best_model: 38.30", "`smooth_loss.best_model` is missing or not a number (got None)"),
    ("    W: 2.21e-06", "`gradient_check.max_relative_error.W` is missing"),
    ("    mean: 49.24", "`smooth_loss.end_of_epoch_1.mean` is missing"),
])
def test_a_damaged_reference_file_names_the_figure(tmp_path, damage, needle):
    """report/reference.yaml is read by three commands: a figure missing or not a number is named in one
    line with the file, never a KeyError from inside the table code."""
    from rnn import cli

    shipped = (Path(__file__).resolve().parents[2] / "report" / "reference.yaml").read_text()
    assert cli._reference(Path(__file__).resolve().parents[2] / "report" / "reference.yaml")["smooth_loss"]
    assert damage in shipped
    for name, text in (("missing", shipped.replace(damage, "")),
                       ("text", shipped.replace(damage, damage.split(":")[0] + ": about 38"))):
        bad = tmp_path / f"{name}.yaml"
        bad.write_text(text)
        with pytest.raises(UserError) as caught:
            cli._reference(bad)
        message = str(caught.value)
        assert str(bad) in message and "\n" not in message and "git checkout" in message
        assert needle.split(" (got")[0] in message, message
        if name == "missing":
            assert needle in message


# --- case 10: values typed once ---------------------------------------------------------------------------
def _config(**changes):
    import yaml

    from ..conftest import ROOT

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config.update(changes)
    return config


@pytest.mark.parametrize("key,given,typed", [
    ("eta", "1e-1", 0.1),  # YAML 1.1 reads 1e-1 as text
    ("eta", 1, 1.0),
    ("epochs", 1.0, 1),
    ("epochs", "1e1", 10),
    ("seeds", ["1e0", 2.0], [1, 2]),
    ("train_runtime", "null", None),
    ("train_runtime", None, None),
    ("hidden_size", None, 100),  # null is the default
    ("book", 123, "123"),  # a file named 123
    ("sweep", {"eta": ["1e-2", 0.1]}, {"eta": [0.01, 0.1]}),
])
def test_each_value_is_typed_once(key, given, typed):
    assert settings.typed_config(_config(**{key: given}))[key] == typed


@pytest.mark.parametrize("key,given,message", [
    ("epochs", 1.5, "key `epochs`: must be an integer (got 1.5)"),
    ("epochs", True, "key `epochs`: must be an integer"),
    ("eta", "fast", "key `eta`: must be a finite number (got 'fast')"),
    ("eta", float("inf"), "key `eta`: must be a finite number"),
    ("seeds", 3, "key `seeds`: must be a list"),
    ("seeds", [1, "two"], "key `seeds.1`: must be an integer"),
    ("book", 1.5, "key `book`: must be text"),
])
def test_a_value_of_the_wrong_type_names_its_key(key, given, message):
    with pytest.raises(UserError) as info:
        settings.typed_config(_config(**{key: given}))
    assert str(info.value).startswith(message), str(info.value)


def test_every_integer_setting_has_its_real_range_in_the_schema():
    def integers(prop, path):
        if prop.get("type") == "integer" or "integer" in (prop.get("type") or []):
            yield path, prop
        for key, sub in prop.get("properties", {}).items():
            yield from integers(sub, f"{path}.{key}".lstrip("."))
        if "items" in prop:
            yield from integers(prop["items"], f"{path}[]")

    found = dict(integers(settings.schema(), ""))
    assert "seeds[]" in found and "snapshots.every" in found
    for path, prop in found.items():
        assert "minimum" in prop or "exclusiveMinimum" in prop, path
    assert found["seeds[]"]["minimum"] == 0 and found["passage_length"]["maximum"] == settings.MAX_TEXT_IN_REPORT


def test_the_cli_types_values_as_the_config_does(tmp_path):
    proc = run_rnn("train", "--corpus", tmp_path / "none.npz", "--out-dir", tmp_path, "--epochs", "1.0", "--eta", "1e-1")
    _one_line(proc, "none.npz: encoded corpus not found")  # both values accepted; the missing corpus named
    _one_line(run_rnn("train", "--corpus", "x", "--out-dir", tmp_path, "--epochs", "1.5"),
              "argument --epochs: must be an integer (got '1.5')")


def test_the_report_shows_null_as_the_config_does():
    from rnn.reporting.report import settings_table

    table = settings_table({"train_runtime": None, "eta": 0.1})
    assert "null" in table and "None" not in table


# --- case 11: any legal file name as the book ----------------------------------------------------------
def test_a_book_named_like_an_option_is_read_verbatim(tmp_path, small_text):
    book = tmp_path / "-notes.txt"
    book.write_text(small_text[:2000])
    flags = settings.flags({**_config(), "book": "-notes.txt"}, "prepare")
    assert "--book=-notes.txt" in flags
    proc = subprocess.run(f"{sys.executable} -m rnn prepare {flags} --out c.npz --facts c.json", shell=True,
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert Corpus.load(tmp_path / "c.npz").text == small_text[:2000]


# --- case 12: sampling values -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sampler(tmp_path_factory):
    d = tmp_path_factory.mktemp("m")
    p = model.init_params(6, 8, 0.5, 3)
    p.c[:] = np.linspace(-3, 3, 6)  # logits beyond 1.8 in size: o / 1e-308 overflows
    modelfile.save_model(d / "m.npz", p, "abcdef", h=np.tanh(np.linspace(-1, 1, 8)), x0=2)
    return d / "m.npz", p


@pytest.mark.parametrize("args,needle", [
    (["--start-char", "ab"], "--start-char must be one character (got 'ab', 2)"),
    (["--start-char", ""], "--start-char must be one character (got '', 0)"),
    (["--start-char", "z"], "--start-char 'z' is not in the model's vocabulary"),
    (["--seed", "-1"], "argument --seed: must be >= 0 (got -1)"),
    (["--length", "-5"], "argument --length: must be >= 0 (got -5)"),
    (["--temperature", "0"], "argument --temperature: must be > 0 and finite"),
    (["--temperature", "nan"], "argument --temperature: must be > 0 and finite"),
])
def test_bad_sampling_values_are_refused_in_one_line(sampler, args, needle):
    _one_line(run_rnn("synthesize", "--model", sampler[0], "--length", 5, *args), needle)


@pytest.mark.parametrize("temperature", [1e-3, 1e-200, 1e-308, 5e-324])
def test_temperature_near_zero_is_the_greedy_limit(sampler, temperature):
    """Each character is the most likely one after the one before (numpy's own argmax of the
    model's logits), however small the temperature."""
    path, p = sampler
    proc = run_rnn("synthesize", "--model", path, "--length", 30, "--temperature", temperature, check=True)
    text = proc.stdout.rstrip("\n")
    h, x = np.tanh(np.linspace(-1, 1, 8)), 2
    want = []
    for _ in range(30):
        h = model.hidden_step(p, h, x)
        x = int(np.argmax(p.V @ h + p.c))
        want.append("abcdef"[x])
    assert text == "".join(want)


# --- case 13: messages name only files that exist ----------------------------------------------------------
def test_a_divergence_before_any_checkpoint_names_none(tmp_path, small_corpus):
    ck = tmp_path / "ck.npz"
    with pytest.raises(TrainingDiverged) as info:
        train(small_corpus, TrainConfig(hidden_size=10, eta=1e307, epochs=1), tmp_path / "r", checkpoint_path=ck,
              checkpoint_every=10**9, progress_stream=io.StringIO())
    assert not ck.exists() and "checkpoint" not in str(info.value)


# --- case 3: no orphans, one trainer per run directory -------------------------------------------------------
def test_a_second_trainer_cannot_take_a_run_directory(tmp_path):
    with guard.exclusive(tmp_path / "run"):
        t = time.perf_counter()
        with pytest.raises(UserError, match=rf"another trainer \(pid {os.getpid()} on .*\) is writing this run"):
            with guard.exclusive(tmp_path / "run", wait_seconds=0.3):
                pass
        assert time.perf_counter() - t >= 0.3
    with guard.exclusive(tmp_path / "run", wait_seconds=0):  # released with its holder
        pass


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from rnn.pipeline import guard\n"
                               f"with guard.exclusive({str(tmp_path / 'run')!r}):\n"
                               "    print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(UserError, match=rf"pid {holder.pid}"):
        with guard.exclusive(tmp_path / "run", wait_seconds=0.2):
            pass
    holder.kill()
    holder.wait()
    with guard.exclusive(tmp_path / "run", wait_seconds=0):
        pass


@pytest.mark.slow
def test_a_trainer_whose_parent_is_killed_checkpoints_and_stops(tmp_path, small_corpus):
    """kill -9 of the trainer's parent (Snakemake) alone: the trainer notices within a second, writes its
    checkpoint and exits 143 instead of running on; the same command then resumes from it."""
    corpus = tmp_path / "c.npz"
    small_corpus.save(corpus)
    log = tmp_path / "train.log"
    args = [sys.executable, "-m", "rnn", "train", "--corpus", str(corpus), "--out-dir", str(tmp_path / "run"),
            "--hidden-size", "32", "--epochs", "200", "--snapshots-until", "0", "--checkpoint", str(tmp_path / "ck.npz"),
            "--checkpoint-every", str(10**9), "--exit-with-parent"]
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys\n"
                               f"p = subprocess.Popen({args!r}, stderr=open({str(log)!r}, 'w'))\n"
                               "print(p.pid, flush=True); p.wait()"], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 120
    while "step " not in log.read_text() and time.monotonic() < deadline:  # training is under way
        time.sleep(0.1)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    t = time.monotonic()
    while time.monotonic() - t < 30:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the trainer kept running after its parent was killed")
    last = log.read_text().strip().splitlines()[-1]
    assert last.startswith(f"the parent process {parent.pid} (Snakemake) is gone: stopped at update step"), last
    assert (tmp_path / "ck.npz").exists()


# --- more inputs of every kind (found by a second reader) ---------------------------------------------
def test_text_settings_are_taken_verbatim():
    """A book named null, ~ or with spaces is that file; only a real YAML null means the default."""
    for name in ("null", "~", " my book.txt "):
        assert settings.typed_config(_config(book=name))["book"] == name
    assert settings.typed_config(_config(book=None))["book"] == "builtin:prose"
    assert settings.typed_config(_config(prime=" "))["prime"] == " "
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(settings.typed_config(_config(book="")), settings.schema())


def test_seeds_fit_in_64_bits():
    import jsonschema

    jsonschema.validate(settings.typed_config(_config(seeds=[2**63 - 1])), settings.schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(settings.typed_config(_config(seeds=[2**63])), settings.schema())


@pytest.mark.parametrize("args,needle", [
    (["train", "--corpus", "c.npz", "--out-dir", "r", "--seed", "-1"], "argument --seed: must be >= 0"),
    (["train", "--corpus", "c.npz", "--out-dir", "r", "--seed", str(2**64)], "argument --seed: must be <="),
    (["train", "--corpus", "c.npz", "--out-dir", "r", "--checkpoint-every", "0"],
     "argument --checkpoint-every: must be >= 1 (got 0)"),
    (["synthesize", "--model", "m.npz", "--length", "100000000000"], "argument --length: must be <="),
    (["gradcheck", "--corpus", "c.npz", "--out", "g", "--table", "t", "--gradcheck-hidden-sizes", "0,5"],
     "argument --gradcheck-hidden-sizes: must be >= 1 (got 0)"),
    (["gradcheck", "--corpus", "c.npz", "--out", "g", "--table", "t", "--gradcheck-hidden-sizes", ",,"],
     "argument --gradcheck-hidden-sizes: give at least 1 value(s), comma-separated (got ',,')"),
    (["gradcheck", "--corpus", "c.npz", "--out", "g", "--table", "t", "--gradcheck-hidden-sizes", "3,3"],
     "argument --gradcheck-hidden-sizes: a value is given twice (got '3,3')"),
])
def test_out_of_range_flags_are_refused_in_one_line(args, needle):
    _one_line(run_rnn(*args), needle)


def test_the_gradient_check_by_hand_refuses_a_size_over_memory_and_a_reference_that_is_not_yaml(tmp_path, small_corpus):
    """By hand as in the workflow: a gradient-check size too large for memory is one line naming the key before
    anything is computed or written (it was numpy's MemoryError traceback); a reference file that is not YAML is
    one line (it was YAML's multi-line message), also before anything is written."""
    small_corpus.save(tmp_path / "c.npz")
    base = ["gradcheck", "--corpus", tmp_path / "c.npz", "--out", tmp_path / "g.json", "--table", tmp_path / "t.tex"]
    _one_line(run_rnn(*base, "--gradcheck-hidden-sizes", 10_000_000), "the gradient check at m = 10,000,000 needs about",
              "lower `gradcheck.hidden_sizes`")
    assert not (tmp_path / "g.json").exists()
    (tmp_path / "ref.yaml").write_text("a: [1,\n  b: {\n")
    _one_line(run_rnn(*base, "--gradcheck-hidden-sizes", 3, "--reference", tmp_path / "ref.yaml"),
              f"{tmp_path / 'ref.yaml'}: cannot read the reference figures (while parsing")
    assert not (tmp_path / "g.json").exists()  # found before the work


def test_a_book_limit_that_is_not_a_number_is_refused(tmp_path, monkeypatch):
    (tmp_path / "b.txt").write_text("abc" * 100)
    for value in ("nan", "inf", "1e400", "-5", "lots"):
        monkeypatch.setenv("RNN_MAX_BOOK_MB", value)
        with pytest.raises(UserError, match="RNN_MAX_BOOK_MB=.* is not a number of megabytes"):
            read_text(tmp_path / "b.txt")


def test_a_model_whose_scores_overflow_is_sampled_as_their_limit_or_refused(tmp_path):
    p = model.init_params(5, 3, 0.1, 1)
    p.c[:] = [1.7e308, 1.7e308, 0.0, 0.0, 0.0]
    p.V[:2] = 1e308  # finite weights; the first two scores overflow to +inf
    modelfile.save_model(tmp_path / "inf.npz", p, "abcde", h=np.full(3, 0.9))
    proc = run_rnn("synthesize", "--model", tmp_path / "inf.npz", "--length", 30, check=True)
    assert set(proc.stdout.strip()) <= {"a", "b"}  # the infinite scores share the probability
    p.c[:] = -1.7e308
    p.V[:] = -1e308  # every score -inf: no distribution to draw from
    modelfile.save_model(tmp_path / "nan.npz", p, "abcde", h=np.full(3, 0.9))
    _one_line(run_rnn("synthesize", "--model", tmp_path / "nan.npz", "--length", 30), "not numbers", "retrain it")


def test_a_summary_with_an_integer_too_large_for_a_float_is_damaged(tmp_path, two_runs):
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(two_runs, runs)
    summary = runs / "seed2" / "summary.json"
    summary.write_text(summary.read_text().replace('"steps": ', '"steps": 1' + "0" * 400 + " + 0 * "))
    text = json.loads((two_runs / "seed2" / "summary.json").read_text())
    text["steps"] = 10**400
    summary.write_text(json.dumps(text))
    proc = run_rnn("metrics", "--runs", runs / "seed1", runs / "seed2", "--csv", tmp_path / "m.csv",
                   "--tex", tmp_path / "s.tex", "--bpc-tex", tmp_path / "b.tex")
    _one_line(proc, "summary.json: `steps` is missing or not a finite number")


def test_a_checkpoint_with_negative_adagrad_memory_or_a_nan_smooth_loss_is_damaged(tmp_path, small_corpus):
    from rnn.core import checkpoint
    from rnn.core.train import fingerprint

    cfg = TrainConfig(hidden_size=6, epochs=6, snapshots_until=0)
    ck = tmp_path / "ck.npz"
    stopped_run(small_corpus, cfg, tmp_path / "a", ck)
    fp = fingerprint(cfg, small_corpus)
    arrays, scalars, records = checkpoint.load(ck, fp)
    a = {k: v.copy() for k, v in arrays.items()}
    a["mW"][0, 0] = -1.0
    checkpoint.save(ck, fp, a, scalars, records)
    with pytest.raises(UserError, match="AdaGrad memory mW holds a negative value"):
        train(small_corpus, cfg, tmp_path / "b", checkpoint_path=ck, progress_stream=io.StringIO())
    checkpoint.save(ck, fp, arrays, {**scalars, "smooth": float("nan")}, records)
    with pytest.raises(UserError, match="its smooth loss nan is not finite"):
        train(small_corpus, cfg, tmp_path / "b", checkpoint_path=ck, progress_stream=io.StringIO())


def test_a_device_as_the_model_is_not_a_model_file():
    _one_line(run_rnn("synthesize", "--model", "/dev/zero"), "/dev/zero: not a regular file")


def test_exclamation_marks_in_the_typeset_text_are_no_latex_error(tex, tmp_path):
    """An overfull line of model text that begins with ! in LaTeX's log: the build succeeded."""
    from rnn.reporting.report import build_pdf

    doc = tmp_path / "bang.tex"
    doc.write_text("\\documentclass{article}\\begin{document}\\hbox to 1cm{Wow" + "!" * 300 + "}\\end{document}\n")
    build_pdf(doc, tmp_path / "o.pdf", tmp_path / "b")
    assert (tmp_path / "o.pdf").read_bytes()[:5] == b"%PDF-"
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="the build directory is a file"):
        build_pdf(doc, tmp_path / "o.pdf", tmp_path / "file")


def test_a_summary_with_an_unknown_cell_is_damaged(tmp_path, two_runs):
    """An RNN's summary names no cell (its bytes as before cells existed); a cell the code does not know
    is a damaged file, refused with the run to retrain."""
    import shutil

    from rnn.reporting.results import read_summary

    assert "cell" not in read_summary(two_runs / "seed1")
    runs = tmp_path / "runs"
    shutil.copytree(two_runs, runs)
    summary = runs / "seed2" / "summary.json"
    summary.write_text(json.dumps({**json.loads(summary.read_text()), "cell": "transformer"}))
    with pytest.raises(UserError, match="summary.json: `cell` is 'transformer', not one of rnn, lstm, gru"):
        read_summary(runs / "seed2")


def test_a_json_result_nested_past_the_parsers_depth_is_named(tmp_path):
    """json.loads raises RecursionError, not ValueError, on deep nesting: it was a traceback."""
    from rnn.files import read_json

    (tmp_path / "summary.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(UserError, match=r"summary.json: damaged \(RecursionError"):
        read_json(tmp_path / "summary.json")


@pytest.mark.parametrize("timing", ['{"seconds": 1.5}', '{"seconds": "1", "steps_per_second": 2}', "[]",
                                    '{"seconds": 0, "steps_per_second": 2}'])
def test_a_damaged_timing_file_is_named(tmp_path, two_runs, timing):
    """timing.json feeds the report's speeds and a sweep's table: checked like every other result file."""
    import shutil

    from rnn.reporting.results import read_timing

    assert read_timing(two_runs / "seed1")["steps_per_second"] > 0
    runs = tmp_path / "runs"
    shutil.copytree(two_runs, runs)
    (runs / "seed2" / "timing.json").write_text(timing)
    with pytest.raises(UserError, match=r"seed2/timing.json: `seconds` or `steps_per_second` is missing"):
        read_timing(runs / "seed2")


def test_a_best_model_without_its_step_is_named(tmp_path, two_runs):
    """A model file that loads (shapes, values) but was not written by a training run: one line."""
    import shutil

    from rnn.reporting.results import best_passage

    runs = tmp_path / "runs"
    shutil.copytree(two_runs, runs)
    for seed in (1, 2):
        path = runs / f"seed{seed}" / "model_best.npz"
        p, vocab, h, x0, meta = modelfile.load_model(path)
        modelfile.save_model(path, p, vocab, h=h, x0=x0)  # no metadata
    with pytest.raises(UserError, match=r"model_best.npz: its metadata has no `step` and `smooth_loss`"):
        best_passage([runs / "seed1", runs / "seed2"], 20, 0)
