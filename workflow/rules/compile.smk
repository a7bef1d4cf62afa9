rule compile:
    """Compile one cell's kernels that training, the evaluation and sampling run, once, into the
    per-machine cache (rnn/core/jitcache.py), before the jobs that run them start side by side; the
    gradient check compiles its own meanwhile."""
    input:
        # training's code, so that this job reruns when training would and never alone; the cache it
        # fills is keyed by content (jitcache.py), so what it compiles is never stale
        code=sources("train"),
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
