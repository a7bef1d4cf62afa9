rule bench:
    """Microseconds per update step: naive baseline, reference and compiled kernel, side by side. It runs
    last, alone (all cores are its), when every result is made: it delays no job of the experiment and
    finds the kernels compiled."""
    input:
        ancient(out.CHECKSUMS),
        ancient(FIGURES_PDF),
        code=sources("bench"),
    output:
        out.BENCH,
    log:
        "logs/bench.log",
    localrule: True  # on a cluster too: a few seconds, on the machine that the report names
    conda:
        "../envs/rnn.yaml"
    threads: workflow.cores  # all local cores: no other job runs while it measures
    resources:
        runtime=10,
        mem_mb=lambda wildcards, attempt: 1000 * attempt,
    params:
        cells=",".join(CELLS),  # the kernels of the cells this run trains
    shell:
        "python -m rnn bench --cells {params.cells:q} --out {output:q} > {log:q} 2>&1"
