rule gradcheck:
    """The original report's Table 1: analytic vs numerical gradients, max relative error per parameter,
    for each cell the run trains."""
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
        cells_table=out.TABLE1_CELLS,
        compiled=out.COMPILE_GRADCHECK,  # a measurement, not a result: not checksummed
    log:
        "logs/gradcheck.log",
    benchmark:
        "benchmarks/gradcheck.tsv"
    # after training, before the evaluations: the longest of the jobs left goes first, so that the
    # short ones fill the last gaps (on 2 cores with 3 cells, about 87 s that otherwise ran alone)
    priority: 30
    conda:
        "../envs/rnn.yaml"
    resources:
        runtime=lambda wildcards, attempt: 30 * len(CELLS) * attempt,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
    params:
        settings=lambda wildcards: flags(config, "gradcheck"),
        cells=",".join(CELLS),
    shell:
        "python -m rnn gradcheck --corpus {input.corpus:q} {params.settings} --cells {params.cells:q}"
        " --reference {input.reference:q} --out {output.json:q} --table {output.table:q}"
        " --cells-table {output.cells_table:q} --compile-record {output.compiled:q} > {log:q} 2>&1"
