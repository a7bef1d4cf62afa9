# Shared by every stage: config validation, the targets, and job resources.
import json
import os
import sys

from snakemake.utils import validate

from rnn import outputs as out
from rnn.code import sources
from rnn.corpus import updates_per_epoch
from rnn.report import TEX_INSTALL, tex_missing
from rnn.settings import flags
from rnn.sweep import FIGURES as SWEEP_FIGURES
from rnn.sweep import SWEEP_DIR, parse_point, point_config
from rnn.sweep import runs as sweep_runs


def config_error(message):
    """Stop before any job runs, with one line that names the config key."""
    print(f"config error: {message}", file=sys.stderr)
    sys.exit(1)


def explain_config_error():
    """The first schema violation as `key`: what is wrong (Snakemake's own message is generic)."""
    import jsonschema
    import yaml

    with open(workflow.source_path("../schemas/config.schema.yaml")) as f:
        schema = yaml.safe_load(f)
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(config)
    )
    if error is None:
        return "invalid configuration"
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    return f"key `{key}`: {error.message}"


def numbers_in(value):
    """Numbers inside lists and mappings given with --config arrive as strings (Snakemake reads
    them with YAML's BaseLoader): `--config seeds=[1,2]` must mean [1, 2]."""
    if isinstance(value, list):
        return [numbers_in(v) for v in value]
    if isinstance(value, dict):
        return {k: numbers_in(v) for k, v in value.items()}
    if isinstance(value, str):
        for parse in (int, float):
            try:
                return parse(value)
            except ValueError:
                pass
    return value


for key, value in list(config.items()):
    if isinstance(value, (list, dict)):
        config[key] = numbers_in(value)

try:
    validate(config, "../schemas/config.schema.yaml")
except Exception:
    config_error(f"{explain_config_error()} (see workflow/schemas/config.schema.yaml)")

if config["show_seed"] not in config["seeds"]:
    config_error(
        f"key `show_seed`: {config['show_seed']} is not one of `seeds` {config['seeds']}"
    )

SEEDS = config["seeds"]
RUN_DIRS = [out.RUN_DIR.format(seed=s) for s in SEEDS]
SUMMARIES = [f"{d}/{out.RunFiles.summary}" for d in RUN_DIRS]
# the book is an input (so editing it reruns the pipeline) unless it is built in
BOOK = [] if config["book"].startswith("builtin:") else [config["book"]]
SWEEP_RUNS = sweep_runs(config)  # [{point, seed, dir}]: empty without a sweep
FIGURES = expand(
    f"{out.FIGURE_DIR}/{{name}}.{{ext}}", name=out.Figures.all(), ext=out.FIGURE_FORMATS
)
FIGURES_PDF = expand(f"{out.FIGURE_DIR}/{{name}}.pdf", name=out.Figures.all())
# Every numeric result, in results/checksums.sha256: none records time, versions or the machine.
CHECKSUMMED = [
    out.CORPUS,
    out.CORPUS_FACTS,
    out.GRADCHECK,
    out.TABLE1,
    *(f"{d}/{name}" for d in RUN_DIRS for name in out.RunFiles.reproducible()),
    "results/metrics.csv",
    "results/seeds.tex",
    "results/snapshots.tex",
    "results/best_passage.txt",
    "results/best_passage.json",
    "results/best_passage.tex",
    "results/sampling_panel.json",
    "results/sampling_panel.tex",
    *([f"{SWEEP_DIR}/metrics.csv", f"{SWEEP_DIR}/table.tex"] if SWEEP_RUNS else []),
]
TEX_MISSING = tex_missing(workflow.source_path("../../report/report.tex"))
REFERENCE = "report/reference.yaml"


def final_targets():
    targets = [
        out.CORPUS_FACTS,
        out.TABLE1,
        "results/metrics.csv",
        "results/seeds.tex",
        *FIGURES,
        "results/snapshots.tex",
        "results/best_passage.txt",
        "results/provenance.json",
        "results/checksums.sha256",
        "results/tex/reproduction.tex",
        "results/tex/sweep.tex",
    ]
    if not TEX_MISSING:
        targets.append("report/report.pdf")
    else:
        print(
            f"TeX lacks {', '.join(TEX_MISSING)}: every result and the fragments of report/report.tex "
            f"are built, but not report/report.pdf; install TeX with `{TEX_INSTALL}` and rerun",
            file=sys.stderr,
        )
    return targets


def _train_steps(input):
    """Update steps of one run, from the prepared corpus's facts (known when the job is ready)."""
    try:
        with open(str(input.corpus).replace(".npz", ".json")) as f:
            per_epoch = json.load(f)["updates_per_epoch"]
    except (OSError, KeyError, ValueError):  # not prepared yet: assume a long novel
        per_epoch = updates_per_epoch(2_000_000, config["seq_length"])
    return config["epochs"] * per_epoch


def train_runtime_minutes(wildcards, input, attempt):
    """Minutes: config `train_runtime`, or if null, 10 plus 400 us per update step (2-3x this
    machine's speed); times the attempt, so a retry after a time limit gets more."""
    first = config["train_runtime"] or int(10 + _train_steps(input) * 400e-6 / 60)
    return first * attempt


def train_mem_mb(wildcards, input, attempt):
    """Two float64 loss curves plus the process (~300 MB), more on each retry."""
    return int(600 + 16 * _train_steps(input) / 1e6 * 3) * attempt
