"""The figures: the sweep's grid of numbers and cells; the bits-per-character panel when an epoch ends in a loss spike."""

import numpy as np
import pytest

from rnn.reporting import figures


@pytest.fixture
def captured(monkeypatch):
    """The figure a plotting function made, instead of its files."""
    made = []
    monkeypatch.setattr(figures, "_save", lambda fig, out_base: made.append(fig) or [])
    return made


def test_sweep_final_labels_a_grid_of_cells_and_hidden_sizes(captured, tmp_path):
    stats = [{"point": {"cell": cell, "hidden_size": m},
              "final_bpc": {"mean": 2.0 + i, "min": 1.9 + i, "max": 2.1 + i}}
             for i, (cell, m) in enumerate((c, m) for c in ("rnn", "gru") for m in (50, 100))]
    figures.sweep_final(stats, "final_bpc", "final held-out bits per character", tmp_path / "final")
    (fig,) = captured
    axes = fig.axes
    assert [ax.get_xlabel() for ax in axes] == ["cell", "hidden_size"]
    assert {ax.get_ylabel() for ax in axes} == {"final held-out bits per character"}  # not a legend entry
    assert sorted(t.get_text() for t in axes[0].get_legend().get_texts()) == ["hidden_size = 100", "hidden_size = 50"]
    assert sorted(t.get_text() for t in axes[1].get_legend().get_texts()) == ["cell = gru", "cell = rnn"]


def _evaluation(train, heldout=None):
    return {"train_bpc": train, "heldout_bpc": heldout}


def test_a_loss_spike_does_not_flatten_the_bpc_panel_and_its_value_is_written(captured, tmp_path):
    """An epoch that ends inside a loss spike (9.5 bits against about 2): the axis stops near the smooth
    losses, and the spike's values, training and held-out, are written under the panel."""
    smooth_nats = {1: [40.0, 35.0, 30.0], 2: [41.0, 36.0, 31.0]}  # about 2.3 to 1.7 bits per character
    evaluations = {1: _evaluation([2.4, 2.1, 1.8], [2.45, 2.15, 1.85]),
                   2: _evaluation([9.52, 2.2, 1.9], [9.51, 2.25, 1.95])}
    figures.bpc_per_epoch(evaluations, smooth_nats, 25, tmp_path / "bpc")
    (fig,) = captured
    left = fig.axes[0]
    highest_smooth = 41.0 / (25 * np.log(2))
    assert left.get_ylim()[1] == pytest.approx(figures.SPIKE_FACTOR * highest_smooth)
    assert left.get_ylim()[0] < 1.8
    texts = [t.get_text() for t in left.texts]
    assert any("seed 2: 9.52 / 9.51 (epoch 1)" in t for t in texts)
    assert not any("seed 1" in t for t in texts)


def test_without_a_spike_the_bpc_panel_shows_every_value(captured, tmp_path):
    evaluations = {1: _evaluation([2.4, 2.1, 1.8]), 2: _evaluation([2.6, 2.2, 1.9])}
    figures.bpc_per_epoch(evaluations, {1: [40.0, 35.0, 30.0], 2: [41.0, 36.0, 31.0]}, 25, tmp_path / "bpc")
    (fig,) = captured
    left = fig.axes[0]
    assert left.get_ylim()[1] >= 2.6 and left.get_ylim()[0] <= 1.8
    assert len(left.texts) == 0
