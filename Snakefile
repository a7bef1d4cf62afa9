# A vanilla character-level RNN trained with AdaGrad (DD2424 Assignment 4), from a book to a report.
#   snakemake                          everything (the default profile sets --cores)
#   snakemake results/table1.tex       one target and what it needs
#   snakemake --profile profiles/slurm on a SLURM cluster
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/prepare.smk"
include: "workflow/rules/compile.smk"
include: "workflow/rules/gradcheck.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/bench.smk"
include: "workflow/rules/metrics.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/synthesis.smk"
include: "workflow/rules/sweep.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        final_targets(),
