rule train:
    """One training run per seed (the unit of parallelism); resumes from its checkpoint."""
    input:
        corpus="results/corpus.npz",
        code=sources("train"),
    output:
        expand("results/runs/seed{{seed}}/{name}", name=RUN_FILES),
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
        out_dir=lambda wildcards: f"results/runs/seed{wildcards.seed}",
        m=config["m"],
        eta=config["eta"],
        sig=config["sig"],
        seq_length=config["seq_length"],
        epochs=config["epochs"],
        clip=config["clip"],
        snapshot_every=config["snapshots"]["every"],
        snapshot_until=config["snapshots"]["until"],
        snapshot_length=config["snapshots"]["length"],
        sample_seed=config["synthesis_seed"],
        checkpoint_every=config["checkpoint_every"],
    # exec: the job's process is the trainer itself, so that SIGTERM from SLURM (time limit,
    # preemption, scancel) reaches it and the job ends only once its checkpoint is written
    shell:
        "exec python -m rnn train --corpus {input.corpus} --out-dir {params.out_dir} --seed {wildcards.seed}"
        " --m {params.m} --eta {params.eta} --sig {params.sig} --seq-length {params.seq_length}"
        " --epochs {params.epochs} --clip {params.clip} --snapshot-every {params.snapshot_every}"
        " --snapshot-until {params.snapshot_until} --snapshot-length {params.snapshot_length}"
        " --sample-seed {params.sample_seed} --checkpoint results/checkpoints/seed{wildcards.seed}.npz"
        " --checkpoint-every {params.checkpoint_every} > {log} 2>&1"


rule bench:
    """Microseconds per update step: naive baseline, reference and compiled kernel, side by side."""
    input:
        code=sources("bench"),
    output:
        "results/bench.json",
    log:
        "logs/bench.log",
    conda:
        "../envs/rnn.yaml"
    resources:
        runtime=10,
        mem_mb=lambda wildcards, attempt: 1000 * attempt,
    shell:
        "python -m rnn bench --out {output} > {log} 2>&1"
