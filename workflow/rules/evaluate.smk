rule evaluate:
    """Bits per character of a run's model at every epoch's end: exact, over the training text and the
    held-out text (config `validation_fraction`)."""
    input:
        corpus=out.CORPUS,
        epochs=f"{out.RUN_DIR}/{out.RunFiles.epochs}",
        code=sources("evaluate"),
    output:
        f"{out.RUN_DIR}/{out.EVALUATION}",
    log:
        "logs/evaluate/seed{seed}.log",
    priority: 20  # each run's evaluation in the gaps training leaves
    conda:
        "../envs/rnn.yaml"
    threads: 1
    resources:
        runtime=30,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
    params:
        run=lambda wildcards, input: os.path.dirname(input.epochs),
        settings=lambda wildcards: flags(job_settings(wildcards), "evaluate"),
    shell:
        "python -m rnn evaluate --run {params.run:q} --corpus {input.corpus:q} {params.settings}"
        " --out {output:q} > {log:q} 2>&1"


use rule evaluate as evaluate_sweep with:
    input:
        corpus=out.CORPUS,
        epochs=f"{out.SWEEP_RUN_DIR}/{out.RunFiles.epochs}",
        code=sources("evaluate"),
    output:
        f"{out.SWEEP_RUN_DIR}/{out.EVALUATION}",
    log:
        "logs/evaluate/sweep/{point}/seed{seed}.log",
