# A hyperparameter sweep (config key `sweep`): every combination of the listed values, each trained
# with every seed into results/sweep/<key>~<value>/.../seed{N}/ (Snakemake's Paramspace layout).
# A point equal to the main run's settings reuses results/runs/seed{N}: nothing is trained twice.


rule train_sweep:
    """One (point, seed) of the sweep: the main run's settings with the point's values."""
    input:
        corpus=out.CORPUS,
        code=sources("train"),
    output:
        expand(
            f"{SWEEP_DIR}/{{point}}/seed{{seed}}/{{name}}",
            name=out.RunFiles.all(),
            allow_missing=True,
        ),
    log:
        f"logs/sweep/{{point}}/seed{{seed}}.log",
    benchmark:
        f"benchmarks/sweep/{{point}}/seed{{seed}}.tsv"
    conda:
        "../envs/rnn.yaml"
    threads: 1
    resources:
        runtime=train_runtime_minutes,
        mem_mb=train_mem_mb,
    params:
        out_dir=lambda wildcards: f"{SWEEP_DIR}/{wildcards.point}/seed{wildcards.seed}",
        checkpoint=lambda wildcards: f"results/checkpoints/sweep/{wildcards.point}/seed{wildcards.seed}.npz",
        settings=lambda wildcards: flags(
            point_config(config, parse_point(wildcards.point)), "train"
        ),
    shell:  # exec: as in rule train, so that SIGTERM reaches the trainer
        "exec python -m rnn train --corpus {input.corpus:q} --out-dir {params.out_dir:q} --seed {wildcards.seed:q}"
        " {params.settings} --checkpoint {params.checkpoint:q} --exit-with-parent > {log:q} 2>&1"


if SWEEP_RUNS:

    rule sweep:
        """The sweep's metrics.csv (a row per point and seed), table, figures and report section."""
        input:
            [f"{r['dir']}/{out.RunFiles.summary}" for r in SWEEP_RUNS],
            [f"{r['dir']}/{out.RunFiles.losses}" for r in SWEEP_RUNS],
            code=sources("sweep"),
        output:
            metrics=report(
                f"{SWEEP_DIR}/metrics.csv",
                caption="../report/sweep.rst",
                category="Sweep",
            ),
            table=report(
                f"{SWEEP_DIR}/table.tex",
                caption="../report/sweep.rst",
                category="Sweep",
            ),
            figures=report(
                expand(
                    f"{SWEEP_DIR}/{{name}}.{{ext}}",
                    name=SWEEP_FIGURES,
                    ext=out.FIGURE_FORMATS,
                ),
                caption="../report/sweep.rst",
                category="Sweep",
            ),
            section="results/tex/sweep.tex",
        log:
            "logs/sweep.log",
        localrule: True
        conda:
            "../envs/rnn.yaml"
        params:
            runs=json.dumps(SWEEP_RUNS),  # key order kept: it is the directories' order
            out_dir=SWEEP_DIR,
        shell:
            "python -m rnn sweep --runs {params.runs:q} --out-dir {params.out_dir:q}"
            " --section {output.section:q} > {log:q} 2>&1"

else:

    rule no_sweep:
        """Without a sweep, the report's Sweep section is empty."""
        input:
            code=sources("sweep"),
        output:
            section="results/tex/sweep.tex",
        log:
            "logs/sweep.log",
        localrule: True
        conda:
            "../envs/rnn.yaml"
        params:
            runs="[]",
            out_dir=SWEEP_DIR,
        shell:
            "python -m rnn sweep --runs {params.runs:q} --out-dir {params.out_dir:q}"
            " --section {output.section:q} > {log:q} 2>&1"
