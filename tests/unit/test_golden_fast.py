"""The bytes of every kind of numeric result, in seconds: each command of the pipeline on a small text,
in process, compared with tests/golden/fast.sha256.

The text is the built-in prose up to its last new character (K = 72 and m = 100, the default run's
sizes, so the kernel runs the same products, tiles and strips as the default run), two seeds of two
epochs, a gradient check at m = 3 and m = 100, snapshots, the passage, the panel, the tables. Any
change to how a number is made or written changes a line of fast.sha256, as it would the slow golden
run's: refresh both with `RNN_UPDATE_GOLDEN=1 python -m pytest -k golden` (add `-m slow` for the
default run) and say why in the commit.
"""

from rnn import outputs
from rnn.cli import main
from rnn.core.corpus import builtin_text

from ..conftest import ROOT
from ..golden import assert_matches_golden

N = 47_243  # the prose up to the first occurrence of its 72nd character


def test_every_numeric_result_of_a_small_run_has_its_golden_bytes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "book.txt").write_text(builtin_text("prose")[:N])
    reference = str(ROOT / "report" / "reference.yaml")
    runs = [outputs.RUN_DIR.format(seed=s) for s in (1, 2)]

    def run(*args):
        assert main([str(a) for a in args]) == 0, args

    run("prepare", "--book=book.txt", "--out", outputs.CORPUS, "--facts", outputs.CORPUS_FACTS)
    run("gradcheck", "--corpus", outputs.CORPUS, "--gradcheck-hidden-sizes=3,100", "--reference", reference,
        "--out", outputs.GRADCHECK, "--table", outputs.TABLE1)
    for seed, d in zip((1, 2), runs):
        run("train", "--corpus", outputs.CORPUS, "--out-dir", d, "--seed", seed, "--epochs=2",
            "--snapshots-every=700", "--snapshots-until=2100", "--snapshots-length=80")
    run("metrics", "--runs", *runs, "--reference", reference, "--csv", outputs.METRICS, "--tex", outputs.SEEDS_TABLE)
    run("snapshots", "--run", runs[1], "--out", outputs.SNAPSHOTS_TABLE)
    run("passage", "--runs", *runs, "--corpus", outputs.CORPUS, "--passage-length=300", "--txt", outputs.PASSAGE_TEXT,
        "--json", outputs.PASSAGE, "--tex", outputs.PASSAGE_TABLE)
    run("panel", "--runs", *runs, "--corpus", outputs.CORPUS, "--panel-temperatures=0.5,1.0,1.5", "--panel-length=80",
        "--json", outputs.PANEL, "--tex", outputs.PANEL_TABLE)
    files = [outputs.CORPUS, outputs.CORPUS_FACTS, outputs.GRADCHECK, outputs.TABLE1, outputs.METRICS,
             outputs.SEEDS_TABLE, outputs.SNAPSHOTS_TABLE, outputs.PASSAGE_TEXT, outputs.PASSAGE,
             outputs.PASSAGE_TABLE, outputs.PANEL, outputs.PANEL_TABLE,
             *(f"{d}/{name}" for d in runs for name in outputs.RunFiles.reproducible())]
    run("checksums", *files, "--out", outputs.CHECKSUMS)
    assert_matches_golden(tmp_path / outputs.CHECKSUMS, "fast")
