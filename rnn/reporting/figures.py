"""Figure 1 of the original report: smooth loss per update step (a), every 10,000th step (b), all seeds overlaid.

Long curves are drawn through a min/max envelope per pixel-sized bin, so the epoch-start spikes
survive while the PDF stays small. Every figure is written as PDF (for LaTeX) and PNG.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..files import atomic_write  # noqa: E402
from ..outputs import FIGURE_FORMATS  # noqa: E402
from ..pipeline.sweep import value_label  # noqa: E402

STYLE = {"font.size": 10, "axes.grid": True, "grid.alpha": 0.3, "savefig.dpi": 150,
         "pdf.fonttype": 42, "svg.hashsalt": "rnn", "axes.spines.top": False,
         "axes.spines.right": False}
METADATA = {"pdf": {"CreationDate": None, "ModDate": None}, "png": {"Software": None}}


def envelope(y: np.ndarray, bins: int = 3000):
    """(x, y) that draw the same picture as y at `bins` horizontal pixels: each bin's min and max."""
    n = len(y)
    steps = np.arange(1, n + 1)
    if n <= 2 * bins:
        return steps, y
    edges = np.linspace(0, n, bins + 1).astype(int)
    lo = np.minimum.reduceat(y, edges[:-1])
    hi = np.maximum.reduceat(y, edges[:-1])
    x = np.repeat(steps[edges[:-1]], 2)
    return x, np.column_stack([hi, lo]).ravel()


def _save(fig, out_base: Path) -> list[Path]:
    out_base.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in FIGURE_FORMATS:
        path = out_base.with_suffix("." + ext)
        with atomic_write(path) as f:  # whole or not at all, like every result
            fig.savefig(f, format=ext, bbox_inches="tight", metadata=METADATA[ext])
        paths.append(path)
    plt.close(fig)
    return paths


HALF_WIDTH = (4.0, 2.9)  # Figure 1's panels sit side by side: at half the page, fonts stay readable


def per_step(smooth: np.ndarray, upe: int, seed: int, out_base: Path) -> list[Path]:
    """Figure 1(a): smooth loss at every update step, epoch starts marked (the caption titles it)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=HALF_WIDTH)
        x, y = envelope(smooth)
        ax.plot(x, y, lw=0.6, color="C0", label=f"seed {seed}")
        epochs = len(smooth) // upe
        for k in range(1, epochs):
            ax.axvline(k * upe, color="0.6", lw=0.5, ls="--", alpha=0.7, label="epoch start" if k == 1 else None)
        ax.set_xlabel("update step")
        ax.set_ylabel("smooth loss")
        ax.set_xlim(0, len(smooth))
        ax.legend(loc="upper right", frameon=False)
        return _save(fig, out_base)


def every_nth(smooth: np.ndarray, every: int, seed: int, out_base: Path) -> list[Path]:
    """Figure 1(b): smooth loss every `every`-th update step (the caption titles it)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=HALF_WIDTH)
        steps = np.arange(every, len(smooth) + 1, every)
        ax.plot(steps, smooth[steps - 1], marker="o", ms=3, lw=1, color="C1", label=f"seed {seed}")
        ax.set_xlabel("update step")
        ax.set_ylabel("smooth loss")
        ax.legend(loc="upper right", frameon=False)
        return _save(fig, out_base)


def all_seeds(smooths: dict[int, np.ndarray], upe: int, out_base: Path) -> list[Path]:
    """Every seed's smooth loss, their mean and their min-max band."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 3.4))
        stack = np.vstack(list(smooths.values()))
        x, lo = envelope(stack.min(axis=0))
        _, hi = envelope(stack.max(axis=0))
        xm, mean = envelope(stack.mean(axis=0))
        ax.fill_between(x, np.minimum(lo, hi), np.maximum(lo, hi), color="C0", alpha=0.25, lw=0,
                        label="min-max over seeds")
        ax.plot(xm, mean, color="C0", lw=0.6, label=f"mean of {len(smooths)} seeds")
        for k in range(1, stack.shape[1] // upe):
            ax.axvline(k * upe, color="0.6", lw=0.5, ls="--", alpha=0.7, label="epoch start" if k == 1 else None)
        ax.set_xlabel("update step")
        ax.set_ylabel("smooth loss")
        ax.set_title("smooth loss of seeds " + ", ".join(str(s) for s in smooths) + ": mean and min-max band")
        ax.set_xlim(0, stack.shape[1])
        ax.legend(loc="upper right", frameon=False)
        return _save(fig, out_base)


SPIKE_FACTOR = 1.25  # exact values above this times the highest smooth loss are left off the axis, and listed
NOTE_WIDTH = 90  # characters per line of that list


def bpc_per_epoch(evaluations: dict[int, dict], epoch_smooths: dict[int, list], seq_length: int,
                  out_base: Path) -> list[Path]:
    """Left: every seed's exact bits per character at each epoch's end, on the training text (solid) and
    the held-out text (dashed). Right: the smooth loss at each epoch's end in the same unit (divided by
    seq_length ln 2): the running average over recent training sequences that the original reports.

    An epoch can end inside a loss spike, where the exact value is several times the smooth loss. When
    an exact value lies above SPIKE_FACTOR times the highest smooth value (a spike, or a held-out text
    that the model fits ever worse), the shared axis stops there, so that one value does not flatten
    every other curve: each value above it is marked by a triangle on the top edge and written out
    under the panel."""
    held = any(e["heldout_bpc"] is not None for e in evaluations.values())
    exact = {seed: [np.asarray(e[part], dtype=float) for part in ("train_bpc", "heldout_bpc") if e[part] is not None]
             for seed, e in evaluations.items()}  # per seed: training text, then held-out text
    smooth = {seed: np.array(s, dtype=float) / (seq_length * np.log(2)) for seed, s in epoch_smooths.items()}
    finite = np.concatenate([y[np.isfinite(y)] for y in smooth.values()])
    top = SPIKE_FACTOR * finite.max() if finite.size else np.inf  # no finite smooth value: no limit
    above = {seed: sorted({int(k) + 1 for y in ys for k in np.flatnonzero(y > top)}) for seed, ys in exact.items()}
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.0), sharey=True)
        for i, (seed, ys) in enumerate(exact.items()):
            for y, ls in zip(ys, ("-", "--")):
                left.plot(np.arange(1, len(y) + 1), y, color=f"C{i}", lw=1.0, ls=ls, marker=".",
                          label=f"seed {seed}" if ls == "-" else None)
            right.plot(np.arange(1, len(smooth[seed]) + 1), smooth[seed], color=f"C{i}", lw=1.0, marker=".",
                       label=f"seed {seed}")
        if any(above.values()):
            bottom = min(float(np.nanmin(y)) for y in [*smooth.values(), *(y for ys in exact.values() for y in ys)])
            left.set_ylim(bottom - 0.05 * (top - bottom), top)
            notes = []
            for i, (seed, epochs) in enumerate(above.items()):
                if epochs:
                    left.plot(epochs, [top] * len(epochs), ls="none", marker="^", color=f"C{i}", clip_on=False)
                    notes += textwrap.wrap(f"seed {seed}: " + ", ".join(
                        " / ".join(f"{y[k - 1]:.2f}" for y in exact[seed]) + f" (epoch {k})" for k in epochs),
                        NOTE_WIDTH, subsequent_indent="    ")
            left.text(0.0, -0.22, "\u25b2 above the axis" + (" (training / held-out)" if held else "") + ":\n"
                      + "\n".join(notes), transform=left.transAxes, fontsize=7, va="top")
        left.set_title("exact, training text" + (" (solid) and held-out text (dashed)" if held else ""), fontsize=9)
        right.set_title("smooth loss / (seq_length ln 2)", fontsize=9)
        for ax in (left, right):
            ax.set_xlabel("epoch")
            ax.xaxis.get_major_locator().set_params(integer=True)
        left.set_ylabel("bits per character")
        left.legend(loc="upper right", frameon=False, fontsize=8)
        return _save(fig, out_base)


def sweep_curves(curves: dict[str, list[np.ndarray]], out_base: Path) -> list[Path]:
    """Smooth loss per update step of each point of a sweep: mean over seeds and a min-max band."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        for i, (name, runs) in enumerate(curves.items()):
            length = min(len(r) for r in runs)
            stack = np.vstack([r[:length] for r in runs])
            x, mean = envelope(stack.mean(axis=0))
            _, lo = envelope(stack.min(axis=0))
            _, hi = envelope(stack.max(axis=0))
            ax.fill_between(x, np.minimum(lo, hi), np.maximum(lo, hi), color=f"C{i % 10}", alpha=0.15, lw=0)
            ax.plot(x, mean, color=f"C{i % 10}", lw=0.7, label=name.replace("/", ", ").replace("~", " = "))
        ax.set_xlabel("update step")
        ax.set_ylabel("smooth loss")
        ax.set_title("sweep: smooth loss per point (mean over seeds, band: min-max)")
        ax.legend(loc="upper right", frameon=False, fontsize=7)
        return _save(fig, out_base)


def sweep_bpc(bpcs: dict[str, list[list[float]]], label: str, out_base: Path) -> list[Path]:
    """Bits per character at every epoch's end of each point of a sweep: mean over seeds, min-max band."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        for i, (name, runs) in enumerate(bpcs.items()):
            stack = np.array(runs)
            epochs = np.arange(1, stack.shape[1] + 1)
            ax.fill_between(epochs, stack.min(axis=0), stack.max(axis=0), color=f"C{i % 10}", alpha=0.15, lw=0)
            ax.plot(epochs, stack.mean(axis=0), color=f"C{i % 10}", lw=1.0, marker=".",
                    label=name.replace("/", ", ").replace("~", " = "))
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="upper right", frameon=False, fontsize=7)
        return _save(fig, out_base)


def sweep_final(stats: list[dict], key_of: str, label: str, out_base: Path) -> list[Path]:
    """The final value of stats' `key_of` (what ranks the points) against each swept setting, one line per
    combination of the other settings."""
    keys = list(stats[0]["point"])
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(keys), figsize=(3.4 * len(keys), 3.0), squeeze=False)
        for ax, key in zip(axes[0], keys):
            others = [k for k in keys if k != key]
            groups: dict[tuple, list] = {}
            for row in stats:
                groups.setdefault(tuple(row["point"][k] for k in others), []).append(row)
            for i, (rest, rows) in enumerate(groups.items()):
                rows.sort(key=lambda r: r["point"][key])
                x = [r["point"][key] for r in rows]
                y = np.array([r[key_of]["mean"] for r in rows])
                err = np.array([[r[key_of]["mean"] - r[key_of]["min"] for r in rows],
                                [r[key_of]["max"] - r[key_of]["mean"] for r in rows]])
                legend = ", ".join(f"{k} = {value_label(v)}" for k, v in zip(others, rest)) or "mean over seeds"
                ax.errorbar(x, y, yerr=err, marker="o", ms=3, lw=1, capsize=2, color=f"C{i % 10}", label=legend)
            ax.set_xlabel(key)
            ax.set_ylabel(label)
            values = sorted({row["point"][key] for row in stats}, key=str)
            if all(isinstance(v, (int, float)) for v in values):
                if key in ("eta", "sig"):
                    ax.set_xscale("log")
                values = sorted(values)
                ax.set_xticks(values, [f"{v:g}" for v in values])  # the swept values, not log-scale decades
                ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
            ax.legend(frameon=False, fontsize=7)
        fig.tight_layout()
        return _save(fig, out_base)
