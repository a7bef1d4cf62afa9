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
