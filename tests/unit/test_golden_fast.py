"""The bytes of every kind of numeric result, in seconds: each command of the pipeline on a small text,
in process, compared with tests/golden/fast.sha256 (and heldout.sha256, a tenth of the text held out).

The text is the built-in prose up to its last new character (K = 72 and m = 100, the default run's
sizes, so the kernel runs the same products, tiles and strips as the default run), two seeds of two
epochs, a gradient check at m = 3 and m = 100, snapshots, the evaluation, the passage, the panel, the
tables. Any change to how a number is made or written changes a line of these files, as it would the
slow golden run's: refresh them with `RNN_UPDATE_GOLDEN=1 python -m pytest -k golden` (add `-m slow`
for the default run) and say why in the commit.
"""

import pytest

from rnn import outputs
from rnn.cli import main
from rnn.core.corpus import builtin_text

from ..conftest import ROOT
from ..golden import assert_matches_golden

N = 47_243  # the prose up to the first occurrence of its 72nd character


def _run(*args):
    assert main([str(a) for a in args]) == 0, args


def _small_pipeline(validation_fraction: float, prime: str = "", cell: str = "rnn") -> list[str]:
    """Every command on the small text, in the current directory; the numeric result files."""
    reference = str(ROOT / "report" / "reference.yaml")
    runs = [outputs.RUN_DIR.format(seed=s) for s in (1, 2)]
    held = f"--validation-fraction={validation_fraction}"
    _run("prepare", "--book=book.txt", "--out", outputs.CORPUS, "--facts", outputs.CORPUS_FACTS)
    # the RNN at the default run's sizes; the gated cells smaller (their step costs 3-4 times the RNN's)
    sizes, m = ("3,100", 100) if cell == "rnn" else ("3,12", 24)
    _run("gradcheck", "--corpus", outputs.CORPUS, f"--gradcheck-hidden-sizes={sizes}", "--reference", reference,
         f"--cells={cell}", "--out", outputs.GRADCHECK, "--table", outputs.TABLE1)
    for seed, d in zip((1, 2), runs):
        _run("train", "--corpus", outputs.CORPUS, "--out-dir", d, "--seed", seed, "--epochs=2", held,
             f"--cell={cell}", f"--hidden-size={m}", "--snapshots-every=700", "--snapshots-until=2100",
             "--snapshots-length=80")
        _run("evaluate", "--run", d, "--corpus", outputs.CORPUS, held, "--out", f"{d}/{outputs.EVALUATION}")
    _run("metrics", "--runs", *runs, "--reference", reference, "--csv", outputs.METRICS, "--tex", outputs.SEEDS_TABLE,
         "--bpc-tex", outputs.EVALUATION_TABLE)
    _run("snapshots", "--run", runs[1], "--out", outputs.SNAPSHOTS_TABLE)
    primed = [f"--prime={prime}"] if prime else []
    _run("passage", "--runs", *runs, "--corpus", outputs.CORPUS, "--passage-length=300", *primed,
         "--txt", outputs.PASSAGE_TEXT, "--json", outputs.PASSAGE, "--tex", outputs.PASSAGE_TABLE)
    _run("panel", "--runs", *runs, "--corpus", outputs.CORPUS, "--panel-temperatures=0.5,1.0,1.5", "--panel-length=80",
         *primed, "--json", outputs.PANEL, "--tex", outputs.PANEL_TABLE)
    return [outputs.CORPUS, outputs.CORPUS_FACTS, outputs.GRADCHECK, outputs.TABLE1, outputs.METRICS,
            outputs.SEEDS_TABLE, outputs.EVALUATION_TABLE, outputs.SNAPSHOTS_TABLE, outputs.PASSAGE_TEXT,
            outputs.PASSAGE, outputs.PASSAGE_TABLE, outputs.PANEL, outputs.PANEL_TABLE,
            *(f"{d}/{name}" for d in runs for name in [*outputs.RunFiles.reproducible(), outputs.EVALUATION])]


@pytest.mark.parametrize("golden,validation_fraction,prime,cell", [
    ("fast", 0.0, "", "rnn"),  # the original's algorithm, as the default run
    ("heldout", 0.1, "The old woman said", "rnn"),  # the last tenth held out; passage and panel primed
    ("lstm", 0.1, "The old", "lstm"),  # each gated cell, m = 24
    ("gru", 0.1, "The old", "gru"),
])
def test_every_numeric_result_of_a_small_run_has_its_golden_bytes(tmp_path, monkeypatch, golden,
                                                                   validation_fraction, prime, cell):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "book.txt").write_text(builtin_text("prose")[:N])
    files = _small_pipeline(validation_fraction, prime, cell)
    _run("checksums", *files, "--out", outputs.CHECKSUMS)
    assert_matches_golden(tmp_path / outputs.CHECKSUMS, golden)
