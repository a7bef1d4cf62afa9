"""What the report states about a run comes from the run: with a held-out part, an epoch is fewer steps."""

import io
import json

from rnn.core.corpus import Corpus
from rnn.core.train import TrainConfig, train
from rnn.reporting import provenance


def test_steps_per_epoch_are_the_training_parts(tmp_path, small_text):
    corpus = Corpus.from_text(small_text[:3000], "t")
    facts = tmp_path / "corpus.json"
    facts.write_text(json.dumps(corpus.facts(25)))
    runs = []
    for seed in (1, 2):
        runs.append(tmp_path / f"seed{seed}")
        train(corpus, TrainConfig(seed=seed, hidden_size=4, epochs=1, snapshots_until=0, validation_fraction=0.2),
              runs[-1], progress_stream=io.StringIO())
    trained = json.loads((runs[0] / "summary.json").read_text())["updates_per_epoch"]
    record = provenance.from_files({"validation_fraction": 0.2}, facts, runs, [])
    assert record["corpus"]["updates_per_epoch"] == trained < corpus.facts(25)["updates_per_epoch"]
    assert record["corpus"]["characters"] == corpus.N  # the text itself, as prepared


def test_checksums_refuse_a_damaged_result_naming_it_and_write_nothing(tmp_path, monkeypatch):
    """A truncated or damaged result is refused by the checksums job, one line naming it, and no checksum file is
    written: a damaged file must not be certified as a result (it was, with exit 0)."""
    import subprocess
    import sys

    import numpy as np
    import pytest

    from rnn.errors import UserError
    from rnn.files import save_npz, write_json

    monkeypatch.chdir(tmp_path)
    save_npz("a.npz", x=np.arange(1000.0), y=np.ones(3))
    write_json("b.json", {"k": [1, 2, 3]})
    for name in ("c.tex", "d.txt", "e.csv"):
        (tmp_path / name).write_text("ok \u00e9\n", encoding="utf-8")
    good = ["a.npz", "b.json", "c.tex", "d.txt", "e.csv"]
    assert provenance.checksums(good).count("\n") == 5

    def damaged(name, data: bytes, problem: str):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(UserError, match=rf"^{name}: damaged \({problem}.*; delete it and run snakemake again"):
            provenance.checksums(good)
        out = subprocess.run([sys.executable, "-m", "rnn", "checksums", *good, "--out", "sums"], capture_output=True,
                             text=True)
        assert out.returncode == 2 and out.stderr.startswith(f"error: {name}: damaged") and "Traceback" not in out.stderr
        assert not (tmp_path / "sums").exists()

    whole = (tmp_path / "a.npz").read_bytes()
    damaged("a.npz", whole[:len(whole) // 2], "")  # truncated
    flipped = bytearray(whole)
    flipped[len(whole) // 2] ^= 0xFF  # a byte of an array's data: only the zip's CRC tells
    damaged("a.npz", bytes(flipped), "")
    (tmp_path / "a.npz").write_bytes(whole)
    damaged("b.json", b'{"k": [1, 2', "JSONDecodeError")
    write_json("b.json", {"k": [1, 2, 3]})
    damaged("c.tex", b"ok \xff\n", "UnicodeDecodeError")
    (tmp_path / "f.png").write_bytes(b"\x89PNG")
    with pytest.raises(ValueError, match="f.png: no check for a .png file"):  # never certified unread
        provenance.checksums(["f.png"])
