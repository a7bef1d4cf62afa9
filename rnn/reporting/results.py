"""Results across runs: metrics.csv, the seeds table, the snapshots and the best model's passage."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from . import latex
from ..errors import UserError
from ..files import atomic_write, read_arrays, read_json
from ..core.cells import CELLS
from ..core.modelfile import load_model
from ..outputs import EVALUATION, RunFiles


SUMMARY_NUMBERS = ("first_loss", "end_epoch1_smooth_loss", "final_smooth_loss", "best_smooth_loss", "eta", "sig",
                   "clip")
SUMMARY_COUNTS = ("seed", "steps", "epochs", "updates_per_epoch", "best_step", "hidden_size", "seq_length",
                  "characters", "vocabulary")
SAME_IN_EVERY_SEED = ("cell", "epochs", "hidden_size", "eta", "sig", "seq_length", "clip", "synthesis_seed",
                      "corpus_sha256")


def _finite(v) -> bool:
    """A finite int or float, not a bool: what every number read from a result file must be."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def read_summary(run_dir) -> dict:
    """A run's summary.json, checked: every field the reports use is there, of its kind and finite."""
    path = Path(run_dir) / RunFiles.summary
    s = read_json(path)
    remedy = f"delete {run_dir} and run snakemake again to retrain it"
    if not isinstance(s, dict):
        raise UserError(f"{path}: not a summary (a JSON object); {remedy}")
    for key in SUMMARY_NUMBERS + SUMMARY_COUNTS:
        v = s.get(key)
        kind_ok = isinstance(v, int) if key in SUMMARY_COUNTS else isinstance(v, (int, float))
        if isinstance(v, bool) or not kind_ok or not abs(v) < 2**63 or not math.isfinite(v):
            raise UserError(f"{path}: `{key}` is missing or not a finite number; {remedy}")
    ends = s.get("epoch_end_smooth_losses")
    if not (isinstance(ends, list) and len(ends) == s["epochs"] and all(isinstance(x, (int, float)) for x in ends)):
        raise UserError(f"{path}: `epoch_end_smooth_losses` does not hold one loss per epoch; {remedy}")
    if not isinstance(s.get("corpus_sha256"), str) or s["steps"] != s["epochs"] * s["updates_per_epoch"]:
        raise UserError(f"{path}: inconsistent counts or checksum; {remedy}")
    if s.get("cell", "rnn") not in CELLS:  # an RNN's summary names no cell (its bytes as before cells)
        raise UserError(f"{path}: `cell` is {s['cell']!r}, not one of {', '.join(CELLS)}; {remedy}")
    return s


def read_timing(run_dir) -> dict:
    """A run's timing.json, checked: its seconds and updates per second, finite and positive."""
    path = Path(run_dir) / RunFiles.timing
    t = read_json(path)
    if not (isinstance(t, dict) and all(_finite(t.get(k)) and t[k] > 0 for k in ("seconds", "steps_per_second"))):
        raise UserError(f"{path}: `seconds` or `steps_per_second` is missing or not a positive number; delete "
                        f"{run_dir} and run snakemake again to retrain it")
    return t


def load_summaries(run_dirs) -> list[dict]:
    """The checked summaries of runs that differ in their seed only: runs of another text or other
    settings among them are mixed results, refused with the directory to retrain."""
    summaries = [read_summary(d) for d in run_dirs]
    for d, s in zip(run_dirs, summaries):
        differ = [k for k in SAME_IN_EVERY_SEED if s.get(k) != summaries[0].get(k)]
        if differ:
            raise UserError(f"{d}: trained with another {'text' if 'corpus_sha256' in differ else 'setting'} "
                            f"than {run_dirs[0]} ({', '.join(differ)} differ): mixed results; delete the stale "
                            "run directory and run snakemake again")
    return summaries


def read_smooth_losses(run_dir, summary: dict) -> np.ndarray:
    """The smooth loss of every update of a run, checked against its summary."""
    path = Path(run_dir) / RunFiles.losses
    smooth = read_arrays(path, ["smooth_loss"])["smooth_loss"]
    if smooth.ndim != 1 or smooth.dtype.kind != "f" or len(smooth) != summary["steps"] or not np.isfinite(smooth).all():
        raise UserError(f"{path}: smooth_loss does not hold {summary['steps']:,} finite losses; delete {run_dir} "
                        "and run snakemake again to retrain it")
    return smooth


def read_evaluation(run_dir, summary: dict) -> dict:
    """A run's evaluation.json, checked: one finite bits-per-character figure per epoch for the training
    text and, when there is one, for the held-out text."""
    path = Path(run_dir) / EVALUATION
    e = read_json(path)
    epochs = summary["epochs"]

    def per_epoch(v):
        return isinstance(v, list) and len(v) == epochs and all(_finite(x) for x in v)

    if not (isinstance(e, dict) and per_epoch(e.get("train_bpc")) and per_epoch(e.get("train_nats"))
            and (e.get("heldout_bpc") is None or (per_epoch(e["heldout_bpc"]) and per_epoch(e.get("heldout_nats"))))):
        raise UserError(f"{path}: does not hold bits per character for each of the {epochs} epochs; delete it and "
                        "run snakemake again to rebuild it")
    return e


def load_evaluations(run_dirs, summaries: list[dict]) -> list[dict]:
    """The checked evaluations of runs that differ in their seed only (load_summaries): evaluations that
    held out another part of the text are mixed results, refused with the directory to rebuild."""
    evaluations = [read_evaluation(d, s) for d, s in zip(run_dirs, summaries)]
    for d, e in zip(run_dirs, evaluations):
        if e.get("validation_fraction") != evaluations[0].get("validation_fraction"):
            raise UserError(f"{d}: evaluated with another `validation_fraction` than {run_dirs[0]} "
                            f"({e.get('validation_fraction')} against {evaluations[0].get('validation_fraction')}): "
                            "mixed results; delete the stale run directory and run snakemake again")
    return evaluations


def bpc_columns(evaluation: dict) -> dict:
    """{column: value} of a run's bits per character at each epoch's end, for metrics.csv."""
    columns = {}
    for part in ("train", "heldout"):
        for k, v in enumerate(evaluation[f"{part}_bpc"] or [], start=1):
            columns[f"{part}_bpc_epoch{k}"] = v
    return columns


def write_metrics(summaries: list[dict], path, evaluations: list[dict] | None = None) -> None:
    """One row per seed with every scalar summary field and the bits per character at each epoch's end
    (training text, held-out text): a plain-file experiment tracker."""
    rows = [{k: v for k, v in s.items() if not isinstance(v, (list, dict))} for s in summaries]
    for row, e in zip(rows, evaluations or []):
        row.update(bpc_columns(e))
    with atomic_write(path, "w") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})


def evaluation_tex(summaries: list[dict], evaluations: list[dict]) -> str:
    """Bits per character at the end of epoch 1 and of training, on the training text and on the held-out
    text when there is one; the held-out text's lowest and its epoch; mean, min and max over seeds."""
    held = evaluations[0]["heldout_bpc"] is not None
    parts = ("train", "heldout") if held else ("train",)
    rows, columns = [], []
    for s, e in zip(summaries, evaluations):
        values = [v for part in parts for v in (e[f"{part}_bpc"][0], e[f"{part}_bpc"][-1])]
        if held:
            best = int(np.argmin(e["heldout_bpc"]))
            values.append(e["heldout_bpc"][best])
            rows.append([str(s["seed"]), *(f"{v:.4f}" for v in values), str(best + 1)])
        else:
            rows.append([str(s["seed"]), *(f"{v:.4f}" for v in values)])
        columns.append(values)
    table = np.array(columns)
    rows.append(latex.MIDRULE)
    for stat, fn in (("mean", np.mean), ("min", np.min), ("max", np.max)):
        rows.append([stat, *(f"{v:.4f}" for v in fn(table, axis=0))] + ([""] if held else []))
    epochs = summaries[0]["epochs"]
    if not held:
        header = ["Seed", "Training, epoch 1", f"Training, epoch {epochs}"]
        return latex.tabular(header, rows, "lrr")
    # seven columns: the text's name once over its columns, so that the table fits the page
    header = ["Seed", "epoch 1", f"epoch {epochs}", "epoch 1", f"epoch {epochs}", "lowest", "at epoch"]
    return latex.tabular(header, rows, "l" + "r" * 6, groups=[("", 1), ("Training text", 2), ("Held-out text", 4)])


def seed_statistics(summaries: list[dict], key: str) -> dict:
    values = np.array([s[key] for s in summaries], dtype=float)
    return {"mean": float(values.mean()), "min": float(values.min()), "max": float(values.max()),
            "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0}


def seeds_tex(summaries: list[dict], reference: dict | None = None) -> str:
    """Smooth loss per seed at the end of epoch 1 and of training, with mean, min and max."""
    rows = [[str(s["seed"]), latex.fixed(s["end_epoch1_smooth_loss"]), latex.fixed(s["final_smooth_loss"]),
             latex.fixed(s["best_smooth_loss"]),
             f"{s['best_step']:,} ({(s['best_step'] - 1) // s['updates_per_epoch'] + 1})"] for s in summaries]
    rows.append(latex.MIDRULE)
    keys = ("end_epoch1_smooth_loss", "final_smooth_loss", "best_smooth_loss")
    stats = [seed_statistics(summaries, key) for key in keys]
    for stat in ("mean", "min", "max"):
        rows.append([stat] + [latex.fixed(s[stat]) for s in stats] + [""])
    if reference:
        ref = reference["smooth_loss"]
        e1 = ref["end_of_epoch_1"]
        rows.append(latex.MIDRULE)
        rows.append([r"original report (mean)", latex.fixed(e1["mean"]), r"$\approx$" + latex.fixed(ref["after_10_epochs"], 0),
                     latex.fixed(ref["best_model"]), ""])
        rows.append([r"original report (min--max)", f"{e1['min']:.2f}--{e1['max']:.2f}", "", "", ""])
    epochs = summaries[0]["epochs"]
    header = ["Seed", "End of epoch 1", f"End of epoch {epochs}", "Best", "Best at step (epoch)"]
    return latex.tabular(header, rows, "lrrrr")


def snapshots_tex(snapshots: list[dict], width: int = 88) -> str:
    """Each snapshot under a heading with its update step and smooth loss."""
    parts = []
    for snap in snapshots:
        loss = "" if snap["smooth_loss"] is None else f", smooth loss {snap['smooth_loss']:.2f}"
        when = "before the first update" if snap["step"] == 0 else f"after {snap['step']:,} update steps"
        parts.append(rf"\medskip\noindent\textbf{{{when.capitalize()}{loss}.}}\par" + "\n" + latex.verbatim(snap["text"], width))
    return "\n".join(parts)


def best_model(run_dirs, vocab_of_corpus: str | None = None):
    """(summary, params, vocab, h, x0, meta) of the best model over all runs (lowest best smooth loss);
    with vocab_of_corpus, a model trained on another text is refused."""
    summaries = load_summaries(run_dirs)
    i = int(np.argmin([s["best_smooth_loss"] for s in summaries]))
    path = Path(run_dirs[i]) / RunFiles.model_best
    p, vocab, h, x0, meta = load_model(path)
    if not all(_finite(meta.get(k)) for k in ("step", "smooth_loss")):
        raise UserError(f"{path}: its metadata has no `step` and `smooth_loss`: not a best model of a training "
                        f"run; delete {run_dirs[i]} and run snakemake again to retrain it")
    if vocab_of_corpus is not None and vocab != vocab_of_corpus:
        raise UserError(f"{path}: its vocabulary ({len(vocab)} characters) is not the corpus's "
                        f"({len(vocab_of_corpus)}): the model was trained on another text; retrain it")
    return summaries[i], p, vocab, h, x0, meta


def _priming(prime: str, prime_from: str) -> dict:
    """What a passage records of its priming text: nothing without one (so the default files are as
    before priming existed)."""
    return {"prime": prime, "prime_from": prime_from} if prime else {}


def best_passage(run_dirs, passage_length: int, synthesis_seed: int, *, vocab_of_corpus: str | None = None,
                 prime: str = "", prime_from: str = "zero") -> dict:
    """`passage_length` characters from the best model over all runs, after the priming text if there is one."""
    from ..core.sample import start_state, synthesize  # here: the tables and figures need no numba (0.3-0.5 s)

    summary, p, vocab, h, x0, meta = best_model(run_dirs, vocab_of_corpus)
    h, x0 = start_state(p, vocab, h, x0, prime, prime_from)
    ids = synthesize(p, h, x0, passage_length, np.random.default_rng(synthesis_seed))
    return {"seed": summary["seed"], "step": int(meta["step"]), "smooth_loss": float(meta["smooth_loss"]),
            "synthesis_seed": synthesis_seed, "length": passage_length, **_priming(prime, prime_from),
            "text": "".join(vocab[j] for j in ids)}


def sampling_panel(run_dirs, temperatures, top_p: float, length: int, seed: int, *,
                   vocab_of_corpus: str | None = None, prime: str = "", prime_from: str = "zero") -> dict:
    """Short passages from the best model, from the same state and with the same draws, at each
    temperature and with nucleus sampling: what the sampling settings do to the same model."""
    from ..core.sample import start_state, synthesize  # as in best_passage

    summary, p, vocab, h, x0, meta = best_model(run_dirs, vocab_of_corpus)
    h, x0 = start_state(p, vocab, h, x0, prime, prime_from)
    samples = [{"temperature": t, "top_p": 1.0} for t in temperatures] + [{"temperature": 1.0, "top_p": top_p}]
    for s in samples:
        ids = synthesize(p, h, x0, length, np.random.default_rng(seed), s["temperature"], s["top_p"])
        s["text"] = "".join(vocab[j] for j in ids)
    return {"seed": summary["seed"], "step": int(meta["step"]), "synthesis_seed": seed, "length": length,
            **_priming(prime, prime_from), "samples": samples}


def panel_tex(panel: dict, width: int = 88) -> str:
    parts = [rf"\noindent Each sample has {panel['length']} characters from the best model (seed {panel['seed']}, "
             rf"update step {panel['step']:,}), all starting from its state with synthesis seed {panel['synthesis_seed']}"
             + (", after the priming text." if "prime" in panel else ".")]
    for s in panel["samples"]:
        how = (f"temperature {float(s['temperature'])!r}" if s["top_p"] == 1.0
               else f"nucleus sampling, top-$p$ {s['top_p']:g}")
        if s["temperature"] == 1.0 and s["top_p"] == 1.0:
            how += " (plain sampling: the passage above begins so)"
        parts.append(rf"\medskip\noindent\textbf{{{how.capitalize()}.}}\par" + "\n" + latex.verbatim(s["text"], width))
    return "\n".join(parts)


def _priming_tex(record: dict, width: int) -> str:
    if "prime" not in record:
        return ""
    state = "from h = 0" if record["prime_from"] == "zero" else "from the model's saved state"
    return (rf"\medskip\noindent\textbf{{Priming text}} (fed {state}; what follows continues it):\par" + "\n"
            + latex.verbatim(record["prime"], width) + "\n\\medskip\n")


def passage_tex(passage: dict, width: int = 88) -> str:
    head = (rf"\noindent From the best model (seed {passage['seed']}, update step {passage['step']:,}, "
            rf"smooth loss {passage['smooth_loss']:.2f}); synthesis seed {passage['synthesis_seed']}:" + "\n\n")
    return head + _priming_tex(passage, width) + latex.verbatim(passage["text"], width)
