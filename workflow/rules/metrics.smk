rule metrics:
    """metrics.csv (one row per seed, every summary field) and the seeds table."""
    input:
        SUMMARIES,
        reference=REFERENCE,
        code=sources("metrics"),
    output:
        csv=report(out.METRICS, caption="../report/metrics.rst", category="Runs"),
        tex=out.SEEDS_TABLE,
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
