"""The sweep's figures with settings of every kind: numbers and cells in one grid."""

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
