rule train:
    """One training run per seed (the unit of parallelism); resumes from its checkpoint."""
    input:
        corpus=out.CORPUS,
        # compiled once, by the cell's compile jobs, before the runs start side by side. Not ancient():
        # Snakemake 9 skips the input checks of a job whose ancient input's job reruns, so a code edit
        # would rerun the compile jobs and not training. Their code inputs are training's: they rerun
        # only when training would anyway, or when a record is deleted or their rule edited (then
        # training reruns too: a needless rerun, never a stale result).
        compiled=lambda wildcards: compile_records(job_settings(wildcards)["cell"]),
        code=sources("train"),
    output:
        expand(f"{out.RUN_DIR}/{{name}}", name=out.RunFiles.all(), allow_missing=True),
    log:
        "logs/train/seed{seed}.log",
    benchmark:
        "benchmarks/train/seed{seed}.tsv"
    priority: 50  # training first: the longest jobs
    conda:
        "../envs/rnn.yaml"
    threads: 1
    resources:
        runtime=train_runtime_minutes,
        mem_mb=train_mem_mb,
    params:
        out_dir=lambda wildcards, output: os.path.dirname(output[0]),
        checkpoint=lambda wildcards: (
            out.SWEEP_CHECKPOINT if hasattr(wildcards, "point") else out.CHECKPOINT
        ).format(**wildcards),
        settings=lambda wildcards: flags(job_settings(wildcards), "train"),
    # exec: the job's process is the trainer itself, so that SIGTERM from SLURM (time limit,
    # preemption, scancel) reaches it and the job ends only once its checkpoint is written;
    # --exit-with-parent: a trainer whose Snakemake is killed stops instead of running on;
    # --keep-checkpoint: a job killed after training, before Snakemake recorded it (SLURM enforces
    # a time limit late), resumes at the last step; `onsuccess` (common.smk) removes it
    shell:
        "exec python -m rnn train --corpus {input.corpus:q} --out-dir {params.out_dir:q} --seed {wildcards.seed:q}"
        " {params.settings} --checkpoint {params.checkpoint:q} --exit-with-parent --keep-checkpoint > {log:q} 2>&1"


use rule train as train_sweep with:
    output:
        expand(
            f"{out.SWEEP_RUN_DIR}/{{name}}",
            name=out.RunFiles.all(),
            allow_missing=True,
        ),
    log:
        "logs/sweep/{point}/seed{seed}.log",
    benchmark:
        "benchmarks/sweep/{point}/seed{seed}.tsv"
