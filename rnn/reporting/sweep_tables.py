"""A sweep's tables, figures and report section, from the summaries of its runs (`pipeline.sweep` is the grid)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .. import outputs
from ..files import atomic_write, write_text
from ..pipeline.sweep import point_path, value_label
from ..settings import SWEEPABLE
from . import latex
from .results import bpc_columns, read_evaluation, read_smooth_losses, read_summary, read_timing

STATS = ("end_epoch1_smooth_loss", "final_smooth_loss", "best_smooth_loss", "final_bpc")


def load(run_list: list[dict]) -> list[dict]:
    """Each run with its summary, its evaluation and the number points are ranked by: the final bits
    per character on the held-out text, or on the training text when nothing is held out."""
    loaded = []
    for r in run_list:
        summary = read_summary(r["dir"])
        evaluation = read_evaluation(r["dir"], summary)
        final = (evaluation["heldout_bpc"] or evaluation["train_bpc"])[-1]
        # an RNN's summary names no cell (its bytes as before cells existed); a sweep's tables list each
        loaded.append({**r, "summary": {"cell": "rnn", **summary, "final_bpc": final}, "evaluation": evaluation})
    return loaded


def criterion(loaded: list[dict]) -> str:
    """What ranks the points, in words."""
    held = loaded[0]["evaluation"]["heldout_bpc"] is not None
    return "held-out bits per character" if held else "training-text bits per character (nothing held out)"


def write_metrics(loaded: list[dict], path) -> None:
    """One row per point and seed: every training setting, every scalar summary number and the bits per
    character at each epoch's end."""
    setting_cols = list(SWEEPABLE)
    numbers = [k for k, v in loaded[0]["summary"].items() if not isinstance(v, (list, dict)) and k not in setting_cols]
    with atomic_write(path, "w") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["point", *setting_cols, *numbers, *bpc_columns(loaded[0]["evaluation"])])
        for r in loaded:
            s = r["summary"]
            writer.writerow([point_path(r["point"]), *(s[k] for k in setting_cols),
                             *(repr(s[k]) if isinstance(s[k], float) else s[k] for k in numbers),
                             *map(repr, bpc_columns(r["evaluation"]).values())])


def statistics(loaded: list[dict]) -> list[dict]:
    """Per point: mean, min and max over seeds of each of STATS."""
    out = []
    for path in dict.fromkeys(point_path(r["point"]) for r in loaded):
        group = [r for r in loaded if point_path(r["point"]) == path]
        row = {"point": group[0]["point"], "seeds": len(group)}
        for key in STATS:
            values = [r["summary"][key] for r in group]
            row[key] = {"mean": sum(values) / len(values), "min": min(values), "max": max(values)}
        out.append(row)
    return out


def best_point(stats: list[dict]) -> int:
    """The index of the point with the lowest mean final bits per character."""
    return min(range(len(stats)), key=lambda i: stats[i]["final_bpc"]["mean"])


def _value(v) -> str:
    return latex.escape(value_label(v))


def table_tex(stats: list[dict]) -> str:
    """Per point: mean (min--max) of the three smooth losses and of the final bits per character; the
    point with the lowest mean final bits per character is marked."""
    best = best_point(stats)
    keys = list(stats[0]["point"])
    header = [latex.escape(k) for k in keys] + ["End of epoch 1", "Final", "Best", "Final BPC"]
    rows = []
    for i, row in enumerate(stats):
        cells = [f"{row[key]['mean']:.{3 if key == 'final_bpc' else 2}f} "
                 f"({row[key]['min']:.{3 if key == 'final_bpc' else 2}f}--{row[key]['max']:.{3 if key == 'final_bpc' else 2}f})"
                 for key in STATS]
        if i == best:
            cells = [rf"\textbf{{{c}}}" for c in cells]
        rows.append([_value(row["point"][k]) + (r"$^\star$" if i == best and j == 0 else "")
                     for j, k in enumerate(keys)] + cells)
    return latex.tabular(header, rows, "r" * len(keys) + "rrrr")


def cells_tex(loaded: list[dict], stats: list[dict], passages: dict[str, dict]) -> str:
    """The cells compared, when a sweep varies `cell`: per point its parameters, training speed, smooth
    losses and bits per character (mean over seeds), and a passage from its best model."""
    from ..pipeline.resources import parameter_count

    rows = []
    for row in stats:
        path = point_path(row["point"])
        group = [r for r in loaded if point_path(r["point"]) == path]
        s0, e0 = group[0]["summary"], group[0]["evaluation"]
        speed = np.mean([r["timing"]["steps_per_second"] for r in group])
        held = e0["heldout_bpc"] is not None
        bpc = [np.mean([(r["evaluation"]["heldout_bpc"] if held else r["evaluation"]["train_bpc"])[-1] for r in group])]
        if held:
            bpc.insert(0, np.mean([r["evaluation"]["train_bpc"][-1] for r in group]))
        rows.append([latex.escape(path.replace("/", ", ").replace("~", " = ")),
                     f"{parameter_count(s0['vocabulary'], s0['hidden_size'], s0['cell']):,}",
                     f"{speed:,.0f}", f"{row['best_smooth_loss']['mean']:.2f}", f"{row['final_smooth_loss']['mean']:.2f}",
                     *(f"{v:.3f}" for v in bpc)])
    header = ["Point", "Parameters", "Updates/s", "Best smooth", "Final smooth",
              *(["Training BPC", "Held-out BPC"] if len(rows[0]) == 7 else ["Training BPC"])]
    parts = [r"\subsection*{The cells side by side}",
             r"Per point: the number of parameters, training speed (updates per second, mean over seeds, two "
             r"seeds per core at a time; the machine is named in Section~\ref{sec:repro}), the best and the final "
             r"smooth loss and the final bits per character, means over seeds. Each point's passage comes from its "
             r"best model (lowest best smooth loss over its seeds).",
             r"\begin{table}[htbp]", r"\centering", r"\small", latex.tabular(header, rows, "lrrrrr" + "r" * (len(rows[0]) - 6)),
             r"\caption{The cells compared (speed: wall time of this run's training jobs, which differs between "
             r"machines and runs; every other number is exact).}", r"\label{tab:cells}", r"\end{table}"]
    for path, passage in passages.items():
        parts += [rf"\medskip\noindent\textbf{{{latex.escape(path.replace('/', ', ').replace('~', ' = '))}}} (seed "
                  rf"{passage['seed']}, update step {passage['step']:,}, smooth loss {passage['smooth_loss']:.2f}):\par",
                  latex.verbatim(passage["text"], 88)]
    return "\n".join(parts) + "\n"


def section_tex(stats: list[dict] | None, ranked_by: str = "", cells: str = "") -> str:
    """The report's Sweep section; empty when no sweep ran."""
    if not stats:
        return "% no sweep in this run\n"
    n_seeds = stats[0]["seeds"]
    return "\n".join([
        r"\section{Beyond the original: a hyperparameter sweep}",
        rf"Every combination of the swept settings, each trained with the same {n_seeds} seeds; the "
        r"other settings are the main run's. Smooth loss and final bits per character (BPC, Section~\ref{sec:bpc}) "
        rf"as mean over seeds (min--max); $\star$ and bold: the best point, the lowest mean final {ranked_by}.",
        r"\begin{table}[htbp]", r"\centering", r"\small", rf"\input{{../{outputs.SWEEP_TABLE}}}",
        r"\caption{Smooth loss per point of the sweep.}", r"\label{tab:sweep}", r"\end{table}",
        r"\begin{figure}[htbp]", r"\centering",
        *(rf"\includegraphics[width=0.9\textwidth,height=0.24\textheight,keepaspectratio]{{../{outputs.SWEEP_DIR}/{name}.pdf}}" + "\n"
          for name in outputs.SweepFigures.all()),
        r"\caption{Top: smooth loss per update step of each point (mean over seeds, band: min--max). "
        rf"Middle: {ranked_by} at every epoch's end (mean over seeds, band: min--max). "
        rf"Bottom: final {ranked_by} against each swept setting, one line per value of the others.}}",
        r"\label{fig:sweep}", r"\end{figure}", cells])


def write_all(run_list: list[dict], section, passage_length: int, synthesis_seed: int) -> None:
    """metrics.csv, table.tex, the figures (outputs.SWEEP_*) and the report section, from the runs of a
    sweep; when it varies the cell, the cells' comparison with a passage from each point's best model."""
    from . import figures
    from .results import best_passage

    loaded = load(run_list)
    write_metrics(loaded, outputs.SWEEP_METRICS)
    stats = statistics(loaded)
    write_text(outputs.SWEEP_TABLE, table_tex(stats))
    curves, bpcs = {}, {}
    for r in loaded:
        path = point_path(r["point"])
        curves.setdefault(path, []).append(read_smooth_losses(r["dir"], r["summary"]))
        bpcs.setdefault(path, []).append(r["evaluation"]["heldout_bpc"] or r["evaluation"]["train_bpc"])
    ranked_by = criterion(loaded)
    figures.sweep_curves(curves, Path(outputs.SWEEP_DIR) / outputs.SweepFigures.curves)
    figures.sweep_bpc(bpcs, ranked_by, Path(outputs.SWEEP_DIR) / outputs.SweepFigures.bpc)
    figures.sweep_final(stats, "final_bpc", f"final {ranked_by}", Path(outputs.SWEEP_DIR) / outputs.SweepFigures.final)
    cells = ""
    if "cell" in loaded[0]["point"]:
        for r in loaded:
            r["timing"] = read_timing(r["dir"])
        passages = {path: best_passage([r["dir"] for r in loaded if point_path(r["point"]) == path], passage_length,
                                       synthesis_seed) for path in curves}
        cells = cells_tex(loaded, stats, passages)
    write_text(section, section_tex(stats, ranked_by, cells))
