"""The path of every output, in one place: the workflow, the commands, the report and the tests read
them here. Renaming a file is one edit of this module (the report's LaTeX gets them as macros).

Paths are relative to the workflow's directory; `{seed}` and `{point}` are the rules' wildcards.
"""

from __future__ import annotations

RESULTS = "results"
CORPUS = "results/corpus.npz"
CORPUS_FACTS = "results/corpus.json"
GRADCHECK = "results/gradcheck.json"
TABLE1 = "results/table1.tex"
TABLE1_CELLS = "results/table1_cells.tex"  # Table 1 of the other cells checked (a comment without them)
RUN_DIR = "results/runs/seed{seed}"
CHECKPOINT = "results/checkpoints/seed{seed}.npz"  # not an output: Snakemake must never delete it
SWEEP_DIR = "results/sweep"  # results/sweep/<key>~<value>/.../seed{N}: Snakemake's Paramspace layout
SWEEP_RUN_DIR = "results/sweep/{point}/seed{seed}"
SWEEP_CHECKPOINT = "results/checkpoints/sweep/{point}/seed{seed}.npz"
METRICS = "results/metrics.csv"
SEEDS_TABLE = "results/seeds.tex"
EVALUATION_TABLE = "results/evaluation.tex"  # bits per character per seed at epoch 1 and at the end
SNAPSHOTS_TABLE = "results/snapshots.tex"
PASSAGE_TEXT = "results/best_passage.txt"
PASSAGE = "results/best_passage.json"
PASSAGE_TABLE = "results/best_passage.tex"
PANEL = "results/sampling_panel.json"
PANEL_TABLE = "results/sampling_panel.tex"
PROVENANCE = "results/provenance.json"
CHECKSUMS = "results/checksums.sha256"
BENCH = "results/bench.json"
BOOK_CHECKSUM = "results/book.sha256"  # the book's content, rewritten only when it changes: prepare's input
COMPILE = "results/compile/{cell}/{job}.json"  # what one compile job of a cell took, before its first training
# A cell's compile jobs, each the parts (warmup.PARTS) it compiles: about half of the compiling each, side by
# side on two cores before the first training; the gradient check runs after them and loads what it
# shares with training and the evaluation.
COMPILE_JOBS = {"train": ("train",), "text": ("evaluate", "synthesis")}
COMPILE_GRADCHECK = "results/compile/gradcheck.json"  # the seconds the gradient check spent compiling
TEX_DIR = "results/tex"  # fragments of the report generated from the results
MACROS = "results/tex/macros.tex"
SETTINGS_TABLE = "results/tex/settings.tex"
REPRODUCTION_TABLE = "results/tex/reproduction.tex"
SWEEP_SECTION = "results/tex/sweep.tex"
SWEEP_METRICS = "results/sweep/metrics.csv"
SWEEP_TABLE = "results/sweep/table.tex"
REPORT_TEX = "report/report.tex"
REPORT_PDF = "report/report.pdf"
REPORT_BUILD = "report/build"


class RunFiles:
    """The files of one training run, in its directory."""

    summary = "summary.json"
    losses = "losses.npz"
    snapshots = "snapshots.json"
    model_best = "model_best.npz"
    model_final = "model_final.npz"
    epochs = "epochs.npz"  # the parameters at the end of every epoch, for the evaluation
    timing = "timing.json"  # wall time: the one run file that differs between two identical runs

    @classmethod
    def all(cls) -> list[str]:
        return [cls.summary, cls.losses, cls.snapshots, cls.model_best, cls.model_final, cls.epochs, cls.timing]

    @classmethod
    def reproducible(cls) -> list[str]:
        return [name for name in cls.all() if name != cls.timing]


EVALUATION = "evaluation.json"  # in a run directory: bits per character at every epoch's end (rule evaluate)

FIGURE_DIR = "results/figures"
FIGURE_FORMATS = ("pdf", "png")


class Figures:
    """Figure base names (without extension), each written as PDF and PNG into FIGURE_DIR."""

    per_step = "fig1a_smooth_loss"
    every = "fig1b_smooth_loss_every"
    all_seeds = "fig_all_seeds"
    bpc = "fig_bpc"  # bits per character at every epoch's end beside the smooth loss, every seed

    @classmethod
    def all(cls) -> list[str]:
        return [cls.per_step, cls.every, cls.all_seeds, cls.bpc]


class SweepFigures:
    """A sweep's figure base names, each written as PDF and PNG into SWEEP_DIR."""

    curves = "sweep_curves"
    bpc = "sweep_bpc"
    final = "sweep_final"

    @classmethod
    def all(cls) -> list[str]:
        return [cls.curves, cls.bpc, cls.final]


def report_inputs() -> dict[str, str]:
    """{LaTeX macro name: path from the report's directory} of every file report.tex reads."""
    up = "../"
    return {"tableonefile": up + TABLE1, "cellsgradfile": up + TABLE1_CELLS, "seedsfile": up + SEEDS_TABLE, "evaluationfile": up + EVALUATION_TABLE, "snapshotsfile": up + SNAPSHOTS_TABLE,
            "passagefile": up + PASSAGE_TABLE, "panelfile": up + PANEL_TABLE, "sweepfile": up + SWEEP_SECTION,
            "settingsfile": up + SETTINGS_TABLE, "reproductionfile": up + REPRODUCTION_TABLE,
            "figuredir": up + FIGURE_DIR, "sweepdir": up + SWEEP_DIR}
