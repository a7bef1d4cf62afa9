rule train:
    """One training run per seed (the unit of parallelism); resumes from its checkpoint."""
    input:
        corpus=out.CORPUS,
        code=sources("train"),
    output:
        expand(f"{out.RUN_DIR}/{{name}}", name=out.RunFiles.all(), allow_missing=True),
    log:
        "logs/train/seed{seed}.log",
    benchmark:
        "benchmarks/train/seed{seed}.tsv"
    conda:
        "../envs/rnn.yaml"
    threads: 1
    resources:
        runtime=train_runtime_minutes,
        mem_mb=train_mem_mb,
    params:
        out_dir=lambda wildcards: out.RUN_DIR.format(seed=wildcards.seed),
        checkpoint=lambda wildcards: out.CHECKPOINT.format(seed=wildcards.seed),
        settings=flags(config, "train"),
    # exec: the job's process is the trainer itself, so that SIGTERM from SLURM (time limit,
    # preemption, scancel) reaches it and the job ends only once its checkpoint is written
    shell:
        "exec python -m rnn train --corpus {input.corpus:q} --out-dir {params.out_dir:q} --seed {wildcards.seed:q}"
        " {params.settings} --checkpoint {params.checkpoint:q} --exit-with-parent > {log:q} 2>&1"


rule bench:
    """Microseconds per update step: naive baseline, reference and compiled kernel, side by side."""
    input:
        code=sources("bench"),
    output:
        "results/bench.json",
    log:
        "logs/bench.log",
    localrule: True  # on a cluster too: a few seconds, on the machine that the report names
    conda:
        "../envs/rnn.yaml"
    threads: workflow.cores  # all local cores: no other job runs while it measures
    resources:
        runtime=10,
        mem_mb=lambda wildcards, attempt: 1000 * attempt,
    shell:
        "python -m rnn bench --out {output:q} > {log:q} 2>&1"
