rule gradcheck:
    """The original report's Table 1: analytic vs numerical gradients, max relative error per parameter."""
    input:
        corpus=out.CORPUS,
        reference=REFERENCE,
        code=sources("gradcheck"),
    output:
        json=out.GRADCHECK,
        table=report(
            out.TABLE1,
            caption="../report/table1.rst",
            category="Gradient check",
        ),
    log:
        "logs/gradcheck.log",
    benchmark:
        "benchmarks/gradcheck.tsv"
    conda:
        "../envs/rnn.yaml"
    resources:
        runtime=30,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
    params:
        settings=lambda wildcards: flags(config, "gradcheck"),
    shell:
        "python -m rnn gradcheck --corpus {input.corpus:q} {params.settings} --reference {input.reference:q}"
        " --out {output.json:q} --table {output.table:q} > {log:q} 2>&1"
