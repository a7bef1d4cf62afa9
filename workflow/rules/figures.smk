rule metrics:
    """metrics.csv (one row per seed, every summary field) and the seeds table."""
    input:
        SUMMARIES,
        reference=REFERENCE,
        code=sources("metrics"),
    output:
        csv=report(
            "results/metrics.csv", caption="../report/metrics.rst", category="Runs"
        ),
        tex="results/seeds.tex",
    log:
        "logs/metrics.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        runs=RUN_DIRS,
    shell:
        "python -m rnn metrics --runs {params.runs:q} --reference {input.reference:q}"
        " --csv {output.csv:q} --tex {output.tex:q} > {log:q} 2>&1"


rule figures:
    """Figure 1 (a) per update step, (b) every 10,000th step, and all seeds overlaid."""
    input:
        SUMMARIES,
        losses=[f"{d}/{out.RunFiles.losses}" for d in RUN_DIRS],
        code=sources("figures"),
    output:
        report(FIGURES, caption="../report/figures.rst", category="Smooth loss"),
    log:
        "logs/figures.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        runs=RUN_DIRS,
        settings=flags(config, "figures"),
    shell:
        f"python -m rnn figures --runs {{params.runs:q}} {{params.settings}} --out-dir {out.FIGURE_DIR}"
        " > {log:q} 2>&1"
