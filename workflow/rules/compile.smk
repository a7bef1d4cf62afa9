rule compile:
    """Compile one cell's kernels that training, the evaluation and sampling run, once, into the
    per-machine cache (rnn/core/jitcache.py), before the jobs that run them: two jobs per cell
    (out.COMPILE_JOBS), side by side. The gradient check runs after them and loads what it shares.
    """
    input:
        # training's code, so that this job reruns when training would and never alone; the cache it
        # fills is keyed by content (jitcache.py), so what it compiles is never stale
        code=sources("train"),
    output:
        out.COMPILE,
    log:
        "logs/compile/{cell}/{job}.log",
    priority: 100
    conda:
        "../envs/rnn.yaml"
    resources:
        runtime=lambda wildcards, attempt: 15 * attempt,
        mem_mb=lambda wildcards, attempt: 1500 * attempt,
    params:
        parts=lambda wildcards: ",".join(out.COMPILE_JOBS[wildcards.job]),
    shell:
        "python -m rnn compile --parts {params.parts:q} --cells {wildcards.cell:q} --out {output:q} > {log:q} 2>&1"
