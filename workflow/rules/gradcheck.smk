rule gradcheck:
    """The original report's Table 1: analytic vs numerical gradients, max relative error per parameter,
    for each cell the run trains."""
    input:
        corpus=out.CORPUS,
        reference=REFERENCE,
        code=sources("gradcheck"),
        # after the compile jobs: it loads training's and the evaluation's kernels from the cache
        # they fill instead of compiling them again (about 6 s each). Not ancient(): Snakemake 9 then
        # skips this job's input checks when they rerun, and an edit of kernel.py, an input of both,
        # would leave the table stale. The price: an edit that reruns training reruns this check too
        # (about 8 s for the RNN alone), a needless rerun, never a stale result.
        kernels=compile_records(CELLS),
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
    # after training; the longest of the jobs left goes first, so that the short ones fill the last
    # gaps. With gated cells (on 2 cores with 3 cells, about 87 s that otherwise ran alone) before the
    # evaluations; for the RNN alone (about 10 s, the evaluations about 13 s each) after them, in the
    # gap before the figures and the report
    priority: 10 if CELLS == ["rnn"] else 30
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
