"""`python -m rnn <command>`: one command per pipeline stage, every setting a flag.

A user mistake (a missing file, a bad value) ends with one line on stderr and exit status 2,
never a traceback; results already written are left as they were.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import Terminated, UserError


from .files import write_json as _json
from .files import write_text as _write
from . import outputs
from .outputs import Figures, RunFiles
from .settings import add_flags


# the original report's figures that the tables and the report read, as paths into reference.yaml
REFERENCE_FIGURES = tuple(("gradient_check", "max_relative_error", name) for name in ("U", "W", "V", "b", "c")) + (
    ("smooth_loss", "best_model"), ("smooth_loss", "after_10_epochs"),
    *(("smooth_loss", "end_of_epoch_1", stat) for stat in ("mean", "min", "max")))


def _reference(path) -> dict | None:
    """reference.yaml, read and checked: every figure the report reads is there and a number."""
    if not path:
        return None
    import yaml

    try:
        ref = yaml.safe_load(Path(path).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read the reference figures ({' '.join(str(exc).split())})") from None
    for keys in REFERENCE_FIGURES:
        value = ref
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{path}: `{'.'.join(keys)}` is missing or not a number (got {value!r}); give the "
                            "original report's figure there, or restore the file with `git checkout " + str(path) + "`")
    return ref


def cmd_prepare(a):
    from .core import corpus

    c = corpus.load(a.book, a.seq_length)
    c.save(a.out)
    _json(a.facts, c.facts(a.seq_length))
    print(f"{c.source}: {c.N:,} characters, K = {c.K}, sha256 {c.sha256[:12]}")


def cmd_gradcheck(a):
    from .core import cell_gradcheck
    from .core.jitcache import compile_clock
    from .core.corpus import Corpus
    from .pipeline import resources
    from .reporting import latex

    ref = _reference(a.reference)  # read first: a bad file is found before the work, not after it
    c = Corpus.load(a.corpus)
    resources.check_config([], a.gradcheck_hidden_sizes, c.N, c.K)  # each size fits this machine's memory
    with compile_clock() as clock:
        result = cell_gradcheck.run(c.ids, c.K, hidden_sizes=a.gradcheck_hidden_sizes, sig=a.gradcheck_sig,
                                    seq_length=a.seq_length, seed=a.gradcheck_seed, methods=a.gradcheck_methods,
                                    h=a.gradcheck_h, eps=a.gradcheck_eps, cells_=a.cells)
    _json(a.out, result)
    if a.compile_record:
        _json(a.compile_record, clock)
    original = ref["gradient_check"]["max_relative_error"] if ref and a.cells[0] == "rnn" else None  # an RNN's
    _write(a.table, latex.table1(result, original))
    if a.cells_table:
        _write(a.cells_table, latex.cells_table1(result))
    for cell, by_m in {a.cells[0]: result["by_m"], **result.get("by_cell", {})}.items():
        for m, table in by_m.items():
            for name, errs in table.items():
                print(cell, f"m = {m}", name, "  ".join(f"{method} {v:.2e}" for method, v in errs.items()))


def cmd_train(a):
    from contextlib import nullcontext
    from dataclasses import fields

    from .core.corpus import Corpus
    from .core.train import TrainConfig, train
    from .pipeline import code, guard, resources

    c = Corpus.load(a.corpus)
    cfg = TrainConfig(**{f.name: getattr(a, f.name) for f in fields(TrainConfig)})
    steps = resources.job_steps({"epochs": cfg.epochs, "seq_length": cfg.seq_length}, c.N)
    resources.check_training(c.K, cfg.hidden_size, steps, c.N, cfg.epochs, cell=cfg.cell)
    # one trainer per run directory; SLURM's time limit, preemption (SIGTERM), Ctrl-C (SIGINT) or a Snakemake
    # that is gone (--exit-with-parent): checkpoint, exit 143 (130 on SIGINT)
    with guard.exclusive(a.out_dir), guard.stop_on_signals() as stop:
        with guard.stop_when_parent_exits(stop) if a.exit_with_parent else nullcontext():
            try:
                s = train(c, cfg, a.out_dir, checkpoint_path=a.checkpoint, checkpoint_every=a.checkpoint_every,
                          stop=stop, code_sha256=code.fingerprint("train"), keep_checkpoint=a.keep_checkpoint)
            except Terminated as exc:
                exc.exit_status = stop.exit_status  # of the signal that stopped it
                raise
    print(f"seed {s['seed']}: {s['steps']:,} steps in {s['seconds']:.1f} s ({s['steps_per_second']:,.0f}/s); "
          f"smooth loss end of epoch 1 {s['end_epoch1_smooth_loss']:.2f}, final {s['final_smooth_loss']:.2f}, "
          f"best {s['best_smooth_loss']:.2f} at step {s['best_step']:,}")


def cmd_evaluate(a):
    from .core.corpus import Corpus
    from .core.evaluate import evaluate_run

    result = evaluate_run(Path(a.run) / RunFiles.epochs, Corpus.load(a.corpus), a.seq_length, a.validation_fraction)
    _json(a.out, result)
    last = {k: v[-1] for k, v in result.items() if k.endswith("_bpc") and v}
    print(f"{a.run}: bits per character at the end of training: "
          + ", ".join(f"{k[:-4]} {v:.4f}" for k, v in last.items()))


def cmd_synthesize(a):
    import numpy as np

    from .core.modelfile import load_model
    from .core.sample import start_state, synthesize
    from .pipeline import resources

    p, vocab, h, x0, _ = load_model(a.model)
    if a.start_char is not None:
        if a.prime:
            raise UserError("give --start-char or --prime, not both (--start-char c is --prime c)")
        if len(a.start_char) != 1:
            raise UserError(f"--start-char must be one character (got {a.start_char!r}, {len(a.start_char)})")
        if a.start_char not in vocab:
            raise UserError(f"--start-char {a.start_char!r} is not in the model's vocabulary")
        x0, h = vocab.index(a.start_char), np.zeros_like(h)
    h, x0 = start_state(p, vocab, h, x0, a.prime, a.prime_from)
    resources.check_fits(100 * a.length, f"sampling {a.length:,} characters", "--length")  # draws, ids and text
    ids = synthesize(p, h, x0, a.length, np.random.default_rng(a.seed), a.temperature, a.top_p)
    text = a.prime + "".join(vocab[i] for i in ids)  # as char-rnn prints it: the priming text, then what follows
    if a.out:
        _write(a.out, text)
    else:
        sys.stdout.write(text + "\n")


def cmd_bench(a):
    from .reporting import bench

    result = bench.run(steps=a.steps, cells_=a.cells)
    if a.compile_records:
        result["pipeline_compile"] = bench.pipeline_compile(a.compile_records)
    print(json.dumps(result, indent=2) if a.json else bench.report(result))
    if a.out:
        _json(a.out, result)


def cmd_compile(a):
    from .core import warmup

    result = warmup.warm(a.parts, a.cells)
    print(warmup.describe(result))
    if a.out:
        _json(a.out, result)


def cmd_metrics(a):
    from .reporting import results

    summaries = results.load_summaries(a.runs)
    evaluations = results.load_evaluations(a.runs, summaries)
    results.write_metrics(summaries, a.csv, evaluations)
    _write(a.tex, results.seeds_tex(summaries, _reference(a.reference)))
    _write(a.bpc_tex, results.evaluation_tex(summaries, evaluations))


def cmd_figures(a):

    from .reporting import figures, results
    from .reporting.results import load_summaries, read_smooth_losses

    summaries = load_summaries(a.runs)
    runs = {s["seed"]: (d, s) for s, d in zip(summaries, a.runs)}
    if a.show_seed not in runs:
        raise UserError(f"`show_seed` {a.show_seed} is not one of the trained seeds {sorted(runs)}")
    smooths = {seed: read_smooth_losses(d, s) for seed, (d, s) in runs.items()}
    upe = runs[a.show_seed][1]["updates_per_epoch"]
    out = Path(a.out_dir)
    figures.per_step(smooths[a.show_seed], upe, a.show_seed, out / Figures.per_step)
    figures.every_nth(smooths[a.show_seed], a.snapshots_every, a.show_seed, out / Figures.every)
    figures.all_seeds(smooths, upe, out / Figures.all_seeds)
    evaluations = dict(zip(runs, results.load_evaluations(a.runs, summaries)))
    figures.bpc_per_epoch(evaluations, {seed: s["epoch_end_smooth_losses"] for seed, (d, s) in runs.items()},
                          runs[a.show_seed][1]["seq_length"], out / Figures.bpc)


def cmd_snapshots(a):
    from .files import read_json
    from .reporting.results import snapshots_tex

    path = Path(a.run) / RunFiles.snapshots
    snaps = read_json(path)
    if not (isinstance(snaps, list) and all(isinstance(x, dict) and isinstance(x.get("step"), int)
                                            and isinstance(x.get("text"), str) for x in snaps)):
        raise UserError(f"{path}: not a list of snapshots; delete {a.run} and run snakemake again to retrain it")
    _write(a.out, snapshots_tex(snaps))


def cmd_passage(a):
    from .core.corpus import Corpus
    from .reporting.results import best_passage, passage_tex

    vocab = Corpus.load(a.corpus).vocab if a.corpus else None
    passage = best_passage(a.runs, a.passage_length, a.synthesis_seed, vocab_of_corpus=vocab, prime=a.prime,
                           prime_from=a.prime_from)
    _write(a.txt, passage["text"])
    _json(a.json, passage)
    _write(a.tex, passage_tex(passage))


def cmd_panel(a):
    from .core.corpus import Corpus
    from .reporting.results import panel_tex, sampling_panel

    vocab = Corpus.load(a.corpus).vocab if a.corpus else None
    panel = sampling_panel(a.runs, a.panel_temperatures, a.panel_top_p, a.panel_length, a.synthesis_seed,
                           vocab_of_corpus=vocab, prime=a.prime, prime_from=a.prime_from)
    _json(a.json, panel)
    _write(a.tex, panel_tex(panel))


def cmd_sweep(a):
    from .reporting import sweep_tables

    runs = json.loads(a.runs)
    if runs:
        sweep_tables.write_all(runs, a.section, a.passage_length, a.synthesis_seed)
    else:
        _write(a.section, sweep_tables.section_tex(None))


def cmd_provenance(a):
    from .reporting import provenance

    _json(a.out, provenance.from_files(json.loads(a.config), a.corpus_facts, a.runs, a.benchmarks))


def cmd_checksums(a):
    from .reporting.provenance import checksums

    _write(a.out, checksums(a.files))


def cmd_settings(a):
    from .pipeline.generated import generated_files

    stale = [path for path, text in generated_files(a.root).items()
             if not path.exists() or path.read_text() != text]
    if a.write:
        for path in stale:
            _write(path, generated_files(a.root)[path])
        print(f"rewrote {len(stale)} file(s): {', '.join(map(str, stale)) or 'none'}")
    elif stale:
        raise UserError(f"{', '.join(map(str, stale))} differ from what the code generates; run "
                        "`python -m rnn settings --write`")


def cmd_report(a):
    from .reporting import report

    report.write_fragments(_reference(a.reference))


def cmd_pdf(a):
    from .reporting import report

    report.build_pdf(a.tex, a.out, a.build_dir)


def _count(text: str, high: int = 10**9) -> int:
    """An integer from 0 to `high` (a length)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (got {value})")
    if value > high:
        raise argparse.ArgumentTypeError(f"must be <= {high:,} (got {value:,})")
    return value


def _seed(text: str) -> int:
    """A seed: an integer from 0 to 2^63 - 1 (seeds are stored as 64-bit integers)."""
    from .settings import MAX_SEED

    return _count(text, MAX_SEED)


def _choices(text: str, what: str, known) -> tuple[str, ...]:
    """A comma-separated list of known names, each once."""
    chosen = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    unknown = [c for c in chosen if c not in known]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown {what} {', '.join(unknown) or '(none)'}; choose from {', '.join(known)}")
    return chosen


def _cell_list(text: str) -> tuple[str, ...]:
    """A comma-separated list of cells, each once."""
    from .core.cells import CELLS

    return _choices(text, "cell", CELLS)


def _parts(text: str) -> tuple[str, ...]:
    """A comma-separated list of the pipeline's compiled parts."""
    from .core.warmup import PARTS

    return _choices(text, "part", PARTS)


def _cells(text: str) -> tuple[str, ...]:
    """A comma-separated list of cells; the RNN always among them (the others are timed against it)."""
    return tuple(dict.fromkeys(["rnn", *_cell_list(text)]))


def _positive(text: str) -> float:
    """A finite number > 0 (a temperature)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0 and finite (got {text})")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag ends with one line (and exit status 2), not a usage dump."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (see `{self.prog} --help`)\n")


def parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="python -m rnn", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name, fn, help_):
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(fn=fn)
        return p

    # every setting's flag comes from rnn/settings.py, with its default and meaning
    p = command("prepare", cmd_prepare, "read a book (a path or builtin:NAME) and save it encoded")
    add_flags(p, "prepare")
    p.add_argument("--out", required=True, help="encoded corpus (.npz)")
    p.add_argument("--facts", required=True, help="corpus facts (.json)")

    p = command("gradcheck", cmd_gradcheck, "analytic vs numerical gradients (the original's Table 1)")
    p.add_argument("--corpus", required=True, help="encoded corpus from `prepare`")
    add_flags(p, "gradcheck")
    p.add_argument("--reference", help="reference.yaml with the original report's figures")
    p.add_argument("--cells", type=_cell_list, default=("rnn",),
                   help="the cells to check, comma-separated; the first is Table 1's (default: rnn)")
    p.add_argument("--out", required=True, help="gradcheck.json")
    p.add_argument("--table", required=True, help="table1.tex")
    p.add_argument("--cells-table", help="the other cells' Table 1 (.tex)")
    p.add_argument("--compile-record", help="also write here (.json) the seconds numba spent compiling its kernels, "
                   "and how many it compiled or loaded from the cache")

    p = command("train", cmd_train, "train one run (docs/algorithm.md section 3) into a directory")
    p.add_argument("--corpus", required=True, help="encoded corpus from `prepare`")
    p.add_argument("--seed", type=_seed, default=1, help="weight-initialisation seed (one of config key `seeds`)")
    add_flags(p, "train")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--checkpoint", help="checkpoint file: resumed from if present, removed at the end "
                   "(unless --keep-checkpoint)")
    p.add_argument("--keep-checkpoint", action="store_true",
                   help="keep the checkpoint, at the last step, when the run ends: the workflow sets it, so that "
                        "a job killed before Snakemake recorded it resumes there; the workflow removes it after")
    p.add_argument("--exit-with-parent", action="store_true",
                   help="stop (checkpoint, exit 143) when the parent process is gone: the workflow sets it, so "
                        "that a killed Snakemake leaves no trainer running")

    p = command("evaluate", cmd_evaluate, "bits per character of a run's model at every epoch's end, on the "
                "training text and the held-out text")
    p.add_argument("--run", required=True, help="a run directory (its epochs.npz)")
    p.add_argument("--corpus", required=True, help="the encoded corpus it was trained on")
    add_flags(p, "evaluate")
    p.add_argument("--out", required=True, help="evaluation.json")

    p = command("synthesize", cmd_synthesize, "sample text from a saved model")
    p.add_argument("--model", required=True)
    p.add_argument("--length", type=_count, default=1000, help="characters to sample (0 to a billion)")
    p.add_argument("--seed", type=_seed, default=0, help="the sampling generator's seed (>= 0)")
    p.add_argument("--temperature", type=_positive, default=1.0, help="> 0: near 0 the most likely character")
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--start-char", help="start from this character and h0 = 0 instead of the saved state")
    add_flags(p, "synthesize")  # --prime TEXT, --prime-from zero|saved
    p.add_argument("--out", help="text file (default: stdout): the priming text, then what follows it")

    p = command("bench", cmd_bench, "time the update step: naive baseline, reference, compiled kernel of each cell")
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--cells", type=_cells, default=("rnn", "lstm", "gru"),
                   help="the cells whose kernels are timed, comma-separated (default: rnn,lstm,gru)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", help="also write the JSON here")
    p.add_argument("--compile-records", nargs="*", default=[],
                   help="the records of this pipeline's compiling jobs (results/compile/), summed into the JSON")

    p = command("compile", cmd_compile, "compile every compiled function the pipeline runs into the per-machine "
                "cache (or load it from there), and print the seconds")
    p.add_argument("--parts", type=_parts, default=("train", "evaluate", "gradcheck", "synthesis"),
                   help="comma-separated: train, evaluate, gradcheck, synthesis (default: all)")
    p.add_argument("--cells", type=_cell_list, default=("rnn",), help="the cells, comma-separated (default: rnn)")
    p.add_argument("--out", help="also write the seconds as JSON here")

    p = command("metrics", cmd_metrics, "metrics.csv, the seeds table and the bits-per-character table from run "
                "directories (their summary.json and evaluation.json)")
    p.add_argument("--runs", nargs="+", required=True)
    p.add_argument("--csv", required=True)
    p.add_argument("--tex", required=True)
    p.add_argument("--bpc-tex", required=True, help="the bits-per-character table (.tex)")
    p.add_argument("--reference")

    p = command("figures", cmd_figures, "Figure 1 (a), (b) and the all-seeds figure, PDF and PNG")
    p.add_argument("--runs", nargs="+", required=True)
    add_flags(p, "figures")
    p.add_argument("--out-dir", required=True)

    p = command("snapshots", cmd_snapshots, "the snapshots of one run as LaTeX")
    p.add_argument("--run", required=True)
    p.add_argument("--out", required=True)

    def from_best_model(name, fn, help_):
        """A command that samples from the best model of the runs given."""
        p = command(name, fn, help_)
        p.add_argument("--runs", nargs="+", required=True)
        add_flags(p, name)
        p.add_argument("--corpus", help="encoded corpus the models must have been trained on")
        return p

    p = from_best_model("passage", cmd_passage, "a passage from the best model over all runs")
    p.add_argument("--txt", required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--tex", required=True)

    p = from_best_model("panel", cmd_panel, "short passages from the best model at several temperatures and top-p")
    p.add_argument("--json", required=True)
    p.add_argument("--tex", required=True)

    p = command("sweep", cmd_sweep, "a sweep's metrics.csv, table, figures and report section from its runs")
    p.add_argument("--runs", required=True, help="JSON: [{point, seed, dir}, ...] (empty: no sweep)")
    p.add_argument("--section", required=True, help="the report's Sweep section (.tex); the other files go to "
                   f"{outputs.SWEEP_DIR}")
    add_flags(p, "sweep")  # the passages from each cell's best model, when a sweep varies the cell

    p = command("provenance", cmd_provenance, "record config, corpus, versions, commit, machine, times")
    p.add_argument("--config", required=True, help="the configuration as JSON")
    p.add_argument("--corpus-facts", required=True)
    p.add_argument("--runs", nargs="*", default=[])
    p.add_argument("--benchmarks", nargs="*", default=[])
    p.add_argument("--out", required=True)

    p = command("checksums", cmd_checksums, "sha256sum-format checksums of result files")
    p.add_argument("files", nargs="+")
    p.add_argument("--out", required=True)

    p = command("settings", cmd_settings, "check (or --write) config.yaml, the schema and the README's tables")
    p.add_argument("--write", action="store_true", help="rewrite them from rnn/settings.py and the modules")
    p.add_argument("--root", default=".", help="the repository's directory")

    p = command("report", cmd_report, f"the report's generated fragments (in {outputs.TEX_DIR}) from the results")
    p.add_argument("--reference")

    p = command("pdf", cmd_pdf, "compile the report with latexmk (reproducible bytes)")
    p.add_argument("--tex", default=outputs.REPORT_TEX)
    p.add_argument("--out", default=outputs.REPORT_PDF)
    p.add_argument("--build-dir", default=outputs.REPORT_BUILD)
    return ap


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        args.fn(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Terminated as exc:
        print(exc, file=sys.stderr)
        return exc.exit_status
    return 0


def console() -> int:
    """Entry point of `python -m rnn` and `rnn`: one BLAS thread per process (one process per core)."""
    import os

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    return main()
