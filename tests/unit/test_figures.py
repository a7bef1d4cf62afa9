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


SMOOTH_NATS = {1: [40.0, 35.0, 30.0], 2: [41.0, 36.0, 31.0]}  # about 2.3 to 1.7 bits per character
TOP = figures.SPIKE_FACTOR * 41.0 / (25 * np.log(2))  # the axis limit when a value lies above it


def _triangles(ax) -> list:
    """(epoch, y) of every triangle marker drawn on the axes."""
    return [(x, y) for line in ax.get_lines() if line.get_marker() == "^"
            for x, y in zip(line.get_xdata(), line.get_ydata())]


def test_a_loss_spike_does_not_flatten_the_bpc_panel_and_its_value_is_written(captured, tmp_path):
    """An epoch that ends inside a loss spike (9.5 bits against about 2): the axis stops near the smooth
    losses, a triangle on the top edge marks the spike's epoch, and its values, training and held-out,
    are written under the panel."""
    evaluations = {1: _evaluation([2.4, 2.1, 1.6], [2.45, 2.15, 1.85]),
                   2: _evaluation([9.52, 2.2, 1.9], [9.51, 2.25, 1.95])}
    figures.bpc_per_epoch(evaluations, SMOOTH_NATS, 25, tmp_path / "bpc")
    (fig,) = captured
    left = fig.axes[0]
    assert left.get_ylim()[1] == pytest.approx(TOP)
    assert left.get_ylim()[0] == pytest.approx(1.6 - 0.05 * (TOP - 1.6))  # the lowest value (exact) less a margin
    assert _triangles(left) == [(1, pytest.approx(TOP))] and not _triangles(fig.axes[1])
    (note,) = [t.get_text() for t in left.texts]
    assert note == "\u25b2 above the axis (training / held-out):\nseed 2: 9.52 / 9.51 (epoch 1)"


def test_a_held_out_value_above_the_axis_alone_is_marked_too(captured, tmp_path):
    evaluations = {1: _evaluation([2.4, 2.1, 1.8], [2.45, 2.15, 1.85]),
                   2: _evaluation([2.5, 2.2, 1.9], [2.55, 9.15, 1.95])}
    figures.bpc_per_epoch(evaluations, SMOOTH_NATS, 25, tmp_path / "bpc")
    (fig,) = captured
    assert _triangles(fig.axes[0]) == [(2, pytest.approx(TOP))]
    assert "seed 2: 2.20 / 9.15 (epoch 2)" in fig.axes[0].texts[0].get_text()


def test_a_long_list_of_values_above_the_axis_is_wrapped(captured, tmp_path):
    evaluations = {1: _evaluation([9.0 + k / 10 for k in range(12)])}
    figures.bpc_per_epoch(evaluations, {1: [40.0] * 12}, 25, tmp_path / "bpc")
    (fig,) = captured
    lines = fig.axes[0].texts[0].get_text().split("\n")
    assert len(lines) > 2 and max(map(len, lines)) <= figures.NOTE_WIDTH
    assert "9.00 (epoch 1)" in lines[1] and "10.10 (epoch 12)" in lines[-1]


@pytest.mark.parametrize("heldout", [None, [2.45, 2.15, 1.85]])
def test_without_a_spike_the_bpc_panel_shows_every_value(captured, tmp_path, heldout):
    evaluations = {1: _evaluation([2.4, 2.1, 1.8], heldout), 2: _evaluation([2.6, 2.2, 1.9], heldout)}
    figures.bpc_per_epoch(evaluations, SMOOTH_NATS, 25, tmp_path / "bpc")
    (fig,) = captured
    left = fig.axes[0]
    assert left.get_ylim()[1] >= 2.6 and left.get_ylim()[0] <= 1.8
    assert len(left.texts) == 0 and not _triangles(left)
