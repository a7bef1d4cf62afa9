rule bench:
    """Microseconds per update step: naive baseline, reference and compiled kernel, side by side. It runs
    last, alone (all cores are its), when every result is made: it delays no job of the experiment and
    finds the kernels compiled."""
    input:
        # after every result (not ancient(): Snakemake 9 would then skip this job's own input checks
        # whenever these rerun, and a kernel edit would leave the old kernel's figures in the report)
        out.CHECKSUMS,
        FIGURES_PDF,
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
        # made before CHECKSUMS; not inputs: a missing record would make Snakemake retrain
        records=compile_records(CELLS) + [out.COMPILE_GRADCHECK],
    shell:
        "python -m rnn bench --cells {params.cells:q} --compile-records {params.records:q} --out {output:q}"
        " > {log:q} 2>&1"
