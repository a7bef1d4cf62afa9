rule compile:
    """Compile the kernels that training, the evaluation and sampling run, once, into the per-machine
    cache (rnn/core/jitcache.py), before the jobs that run them start side by side; the gradient check
    compiles its own meanwhile."""
    input:
        code=sources("compile"),
    output:
        out.COMPILE,
    log:
        "logs/compile.log",
    priority: 100
    conda:
        "../envs/rnn.yaml"
    resources:
        runtime=lambda wildcards, attempt: 15 * len(CELLS) * attempt,
        mem_mb=lambda wildcards, attempt: 1500 * attempt,
    params:
        cells=",".join(CELLS),
    shell:
        "python -m rnn compile --parts train,evaluate,synthesis --cells {params.cells:q} --out {output:q} > {log:q} 2>&1"
