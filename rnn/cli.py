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


def _reference(path) -> dict | None:
    if not path:
        return None
    import yaml

    try:
        return yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read the reference figures ({exc})") from None


def cmd_prepare(a):
    from . import corpus

    c = corpus.load(a.book or corpus.DEFAULT_BOOK, a.seq_length)
    c.save(a.out)
    _json(a.facts, c.facts(a.seq_length))
    print(f"{c.source}: {c.N:,} characters, K = {c.K}, sha256 {c.sha256[:12]}")


def cmd_gradcheck(a):
    from . import gradcheck, latex
    from .corpus import Corpus

    c = Corpus.load(a.corpus)
    if c.N < a.seq_length + 1:
        raise UserError(f"{a.corpus}: {c.N} characters, gradient check needs seq_length + 1 = {a.seq_length + 1}")
    methods = [m.strip() for m in a.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in gradcheck.METHODS]
    if bad or not methods:
        raise UserError(f"--methods: unknown {bad}; choose from {', '.join(gradcheck.METHODS)}")
    table = gradcheck.check(c.ids, c.K, a.m, a.sig, a.seq_length, a.seed, methods, a.h, a.eps)
    result = {"max_relative_error": table,
              "settings": {"m": a.m, "sig": a.sig, "seq_length": a.seq_length, "seed": a.seed, "h": a.h,
                           "eps": a.eps, "methods": methods, "h0": "zeros",
                           "sequence": "first seq_length characters; targets shifted by one",
                           "complex_step": "forward-mode dual numbers: Im L(theta + ih)/h in the limit h -> 0"}}
    _json(a.out, result)
    ref = _reference(a.reference)
    _write(a.table, latex.table1(result, ref["gradient_check"]["max_relative_error"] if ref else None))
    for name, errs in table.items():
        print(name, "  ".join(f"{m} {v:.2e}" for m, v in errs.items()))


def cmd_train(a):
    from .corpus import Corpus
    from .train import TrainConfig, stop_on_sigterm, train

    c = Corpus.load(a.corpus)
    cfg = TrainConfig(seed=a.seed, m=a.m, eta=a.eta, sig=a.sig, seq_length=a.seq_length, epochs=a.epochs,
                      clip=a.clip, snapshot_every=a.snapshot_every, snapshot_until=a.snapshot_until,
                      snapshot_length=a.snapshot_length, sample_seed=a.sample_seed)
    with stop_on_sigterm() as stop:  # SLURM's time limit or preemption: checkpoint, exit 143
        s = train(c, cfg, a.out_dir, checkpoint_path=a.checkpoint, checkpoint_every=a.checkpoint_every,
                  stop=stop)
    print(f"seed {s['seed']}: {s['steps']:,} steps in {s['seconds']:.1f} s ({s['steps_per_second']:,.0f}/s); "
          f"smooth loss end of epoch 1 {s['end_epoch1_smooth_loss']:.2f}, final {s['final_smooth_loss']:.2f}, "
          f"best {s['best_smooth_loss']:.2f} at step {s['best_step']:,}")


def cmd_synthesize(a):
    import numpy as np

    from .model import load_model
    from .sample import synthesize

    p, vocab, h, x0, _ = load_model(a.model)
    if a.start_char is not None:
        if a.start_char not in vocab:
            raise UserError(f"--start-char {a.start_char!r} is not in the model's vocabulary")
        x0, h = vocab.index(a.start_char), np.zeros_like(h)
    ids = synthesize(p, h, x0, a.length, np.random.default_rng(a.seed), a.temperature, a.top_p)
    text = "".join(vocab[i] for i in ids)
    if a.out:
        _write(a.out, text)
    else:
        sys.stdout.write(text + "\n")


def cmd_bench(a):
    from . import bench

    result = bench.run(steps=a.steps)
    print(json.dumps(result, indent=2) if a.json else bench.report(result))
    if a.out:
        _json(a.out, result)


def cmd_metrics(a):
    from . import results

    summaries = results.load_summaries(a.runs)
    results.write_metrics(summaries, a.csv)
    _write(a.tex, results.seeds_tex(summaries, _reference(a.reference)))


def cmd_figures(a):
    import numpy as np

    from . import figures
    from .results import load_summaries

    runs = {s["seed"]: d for s, d in zip(load_summaries(a.runs), a.runs)}
    if a.show_seed not in runs:
        raise UserError(f"`show_seed` {a.show_seed} is not one of the trained seeds {sorted(runs)}")
    smooths = {seed: np.load(Path(d) / "losses.npz")["smooth_loss"] for seed, d in runs.items()}
    upe = load_summaries([runs[a.show_seed]])[0]["updates_per_epoch"]
    out = Path(a.out_dir)
    figures.per_step(smooths[a.show_seed], upe, a.show_seed, out / "fig1a_smooth_loss")
    figures.every_nth(smooths[a.show_seed], a.every, a.show_seed, out / "fig1b_smooth_loss_every")
    figures.all_seeds(smooths, upe, out / "fig_all_seeds")


def cmd_snapshots(a):
    from .results import snapshots_tex

    snaps = json.loads((Path(a.run) / "snapshots.json").read_text())
    _write(a.out, snapshots_tex(snaps))


def cmd_passage(a):
    from .corpus import Corpus
    from .results import best_passage, passage_tex

    vocab = Corpus.load(a.corpus).vocab if a.corpus else None
    passage = best_passage(a.runs, a.length, a.seed, vocab)
    _write(a.txt, passage["text"])
    _json(a.json, passage)
    _write(a.tex, passage_tex(passage))


def cmd_provenance(a):
    from . import provenance
    from .results import load_summaries

    config = json.loads(a.config)
    facts = json.loads(Path(a.corpus_facts).read_text())
    runs = {s["seed"]: json.loads((Path(d) / "timing.json").read_text())
            for s, d in zip(load_summaries(a.runs), a.runs)}
    bench = {}
    for path in map(Path, a.benchmarks):
        lines = path.read_text().splitlines()
        if len(lines) > 1:  # Snakemake's benchmark file: a header, then seconds first
            stage = path.stem if path.parent.name == "benchmarks" else f"{path.parent.name}/{path.stem}"
            bench[stage] = float(lines[1].split("\t")[0])
    _json(a.out, provenance.record(config=config, corpus=facts, runs=runs, stage_seconds=bench))


def cmd_checksums(a):
    from .provenance import checksums

    _write(a.out, checksums(a.files))


def cmd_report(a):
    from . import report

    report.write_fragments(a.results, a.out_dir, _reference(a.reference))


def cmd_pdf(a):
    from . import report

    report.build_pdf(a.tex, a.out, a.build_dir)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m rnn", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)

    def command(name, fn, help_):
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(fn=fn)
        return p

    p = command("prepare", cmd_prepare, "read a book (a path or builtin:NAME) and save it encoded")
    p.add_argument("--book", help="a UTF-8 text file or builtin:NAME (default: the built-in prose)")
    p.add_argument("--seq-length", type=int, default=25)
    p.add_argument("--out", required=True, help="encoded corpus (.npz)")
    p.add_argument("--facts", required=True, help="corpus facts (.json)")

    def model_flags(p):
        """The model's settings, shared by gradcheck and train (defaults: the seed's)."""
        p.add_argument("--corpus", required=True, help="encoded corpus from `prepare`")
        p.add_argument("--m", type=int, default=100, help="hidden units")
        p.add_argument("--sig", type=float, default=0.01, help="init scale of U, W, V")
        p.add_argument("--seq-length", type=int, default=25)
        p.add_argument("--seed", type=int, default=1, help="weight-initialisation seed")

    p = command("gradcheck", cmd_gradcheck, "analytic vs numerical gradients (the seed's Table 1)")
    model_flags(p)
    p.add_argument("--h", type=float, default=1e-4, help="finite-difference step")
    p.add_argument("--eps", type=float, default=1e-15)
    p.add_argument("--methods", default="finite_difference,complex_step")
    p.add_argument("--reference", help="reference.yaml with the seed's figures")
    p.add_argument("--out", required=True, help="gradcheck.json")
    p.add_argument("--table", required=True, help="table1.tex")

    p = command("train", cmd_train, "train one run (SPEC section 3) into a directory")
    model_flags(p)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--eta", type=float, default=0.1, help="AdaGrad learning rate")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--snapshot-every", type=int, default=10_000)
    p.add_argument("--snapshot-until", type=int, default=100_000)
    p.add_argument("--snapshot-length", type=int, default=200)
    p.add_argument("--sample-seed", type=int, default=0)
    p.add_argument("--checkpoint", help="checkpoint file: resumed from if present, removed at the end")
    p.add_argument("--checkpoint-every", type=int, default=20_000, help="update steps between checkpoints")

    p = command("synthesize", cmd_synthesize, "sample text from a saved model")
    p.add_argument("--model", required=True)
    p.add_argument("--length", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--start-char", help="start from this character and h0 = 0 instead of the saved state")
    p.add_argument("--out", help="text file (default: stdout)")

    p = command("bench", cmd_bench, "time the update step: naive baseline, reference, compiled kernel")
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", help="also write the JSON here")

    p = command("metrics", cmd_metrics, "metrics.csv and the seeds table from run directories")
    p.add_argument("--runs", nargs="+", required=True)
    p.add_argument("--csv", required=True)
    p.add_argument("--tex", required=True)
    p.add_argument("--reference")

    p = command("figures", cmd_figures, "Figure 1 (a), (b) and the all-seeds figure, PDF and PNG")
    p.add_argument("--runs", nargs="+", required=True)
    p.add_argument("--show-seed", type=int, required=True)
    p.add_argument("--every", type=int, default=10_000)
    p.add_argument("--out-dir", required=True)

    p = command("snapshots", cmd_snapshots, "the snapshots of one run as LaTeX")
    p.add_argument("--run", required=True)
    p.add_argument("--out", required=True)

    p = command("passage", cmd_passage, "a passage from the best model over all runs")
    p.add_argument("--runs", nargs="+", required=True)
    p.add_argument("--length", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--corpus", help="encoded corpus the models must have been trained on")
    p.add_argument("--txt", required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--tex", required=True)

    p = command("provenance", cmd_provenance, "record config, corpus, versions, commit, machine, times")
    p.add_argument("--config", required=True, help="the configuration as JSON")
    p.add_argument("--corpus-facts", required=True)
    p.add_argument("--runs", nargs="*", default=[])
    p.add_argument("--benchmarks", nargs="*", default=[])
    p.add_argument("--out", required=True)

    p = command("checksums", cmd_checksums, "sha256sum-format checksums of result files")
    p.add_argument("files", nargs="+")
    p.add_argument("--out", required=True)

    p = command("report", cmd_report, "the report's generated fragments from results/")
    p.add_argument("--results", default="results")
    p.add_argument("--reference")
    p.add_argument("--out-dir", required=True)

    p = command("pdf", cmd_pdf, "compile the report with latexmk (reproducible bytes)")
    p.add_argument("--tex", default="report/report.tex")
    p.add_argument("--out", default="report/report.pdf")
    p.add_argument("--build-dir", default="report/build")
    return ap


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        args.fn(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Terminated as exc:
        print(f"SIGTERM: {exc}", file=sys.stderr)
        return exc.exit_status
    return 0


def console() -> int:
    """Entry point of `python -m rnn` and `rnn`: one BLAS thread per process (one process per core)."""
    import os

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    return main()
