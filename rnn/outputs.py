"""The name of every output, in one place: the workflow, the CLI, the report and the tests read them here.

Renaming a file is one edit of this module. Paths are relative to the workflow's directory.
"""

from __future__ import annotations

CORPUS = "results/corpus.npz"
CORPUS_FACTS = "results/corpus.json"
GRADCHECK = "results/gradcheck.json"
TABLE1 = "results/table1.tex"
RUN_DIR = "results/runs/seed{seed}"
CHECKPOINT = "results/checkpoints/seed{seed}.npz"  # not an output: Snakemake must never delete it


class RunFiles:
    """The files of one training run, in its directory."""

    summary = "summary.json"
    losses = "losses.npz"
    snapshots = "snapshots.json"
    model_best = "model_best.npz"
    model_final = "model_final.npz"
    timing = "timing.json"  # wall time: the one run file that differs between two identical runs

    @classmethod
    def all(cls) -> list[str]:
        return [cls.summary, cls.losses, cls.snapshots, cls.model_best, cls.model_final, cls.timing]

    @classmethod
    def reproducible(cls) -> list[str]:
        return [name for name in cls.all() if name != cls.timing]


FIGURE_DIR = "results/figures"
FIGURE_FORMATS = ("pdf", "png")


class Figures:
    """Figure base names (without extension), each written as PDF and PNG into FIGURE_DIR."""

    per_step = "fig1a_smooth_loss"
    every = "fig1b_smooth_loss_every"
    all_seeds = "fig_all_seeds"

    @classmethod
    def all(cls) -> list[str]:
        return [cls.per_step, cls.every, cls.all_seeds]
