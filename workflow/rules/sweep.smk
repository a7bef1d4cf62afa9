# A hyperparameter sweep (config key `sweep`): every combination of the listed values, each trained
# with every seed by rule train_sweep into results/sweep/<key>~<value>/.../seed{N}/ (Snakemake's
# Paramspace layout). A point equal to the main run's settings reuses results/runs/seed{N}.


rule sweep:
    """The sweep's metrics.csv (a row per point and seed), table, figures and report section; without
    a sweep, an empty section."""
    input:
        [f"{r['dir']}/{out.RunFiles.summary}" for r in SWEEP_RUNS],
        [f"{r['dir']}/{out.RunFiles.losses}" for r in SWEEP_RUNS],
        [f"{r['dir']}/{out.EVALUATION}" for r in SWEEP_RUNS],
        [
            f"{r['dir']}/{name}"
            for r in SWEEP_RUNS
            for name in (out.RunFiles.model_best, out.RunFiles.timing)
        ],
        code=sources("sweep"),
    output:
        **{
            name: report(paths, caption="../report/sweep.rst", category="Sweep")
            for name, paths in SWEEP_OUTPUTS.items()
        },
        section=out.SWEEP_SECTION,
    log:
        "logs/sweep.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        runs=lambda wildcards: json.dumps(SWEEP_RUNS),  # key order kept: the directories' order
        settings=lambda wildcards: flags(config, "sweep"),
    shell:
        "python -m rnn sweep --runs {params.runs:q} {params.settings} --section {output.section:q} > {log:q} 2>&1"
