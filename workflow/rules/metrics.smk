rule metrics:
    """metrics.csv (one row per seed: every summary field, bits per character at each epoch's end), the
    seeds table and the bits-per-character table."""
    input:
        SUMMARIES,
        EVALUATIONS,
        reference=REFERENCE,
        code=sources("metrics"),
    output:
        csv=report(out.METRICS, caption="../report/metrics.rst", category="Runs"),
        tex=out.SEEDS_TABLE,
        bpc=report(
            out.EVALUATION_TABLE, caption="../report/evaluation.rst", category="Runs"
        ),
    log:
        "logs/metrics.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        runs=RUN_DIRS,
    shell:
        "python -m rnn metrics --runs {params.runs:q} --reference {input.reference:q}"
        " --csv {output.csv:q} --tex {output.tex:q} --bpc-tex {output.bpc:q} > {log:q} 2>&1"
