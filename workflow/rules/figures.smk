rule figures:
    """Figure 1 (a) per update step, (b) every 10,000th step, and all seeds overlaid."""
    input:
        SUMMARIES,
        losses=LOSSES,
        evaluations=EVALUATIONS,
        code=sources("figures"),
    output:
        report(FIGURES, caption="../report/figures.rst", category="Smooth loss"),
    log:
        "logs/figures.log",
    priority: 5  # the longest job after the evaluations: first, beside the light ones
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        runs=RUN_DIRS,
        out_dir=lambda wildcards, output: os.path.dirname(output[0]),
        settings=lambda wildcards: flags(config, "figures"),
    shell:
        "python -m rnn figures --runs {params.runs:q} {params.settings} --out-dir {params.out_dir:q}"
        " > {log:q} 2>&1"
