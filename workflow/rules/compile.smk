rule compile:
    """Compile one cell's kernels that training, the evaluation and sampling run, once, into the
    per-machine cache (rnn/core/jitcache.py), before the jobs that run them start side by side; the
    gradient check compiles its own meanwhile."""
    input:
        code=sources("compile"),
    output:
        out.COMPILE,
    log:
        "logs/compile/{cell}.log",
    priority: 100
    conda:
        "../envs/rnn.yaml"
    resources:
        runtime=lambda wildcards, attempt: 15 * attempt,
        mem_mb=lambda wildcards, attempt: 1500 * attempt,
    shell:
        "python -m rnn compile --parts train,evaluate,synthesis --cells {wildcards.cell:q} --out {output:q} > {log:q} 2>&1"
