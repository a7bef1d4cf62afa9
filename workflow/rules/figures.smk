rule metrics:
    """metrics.csv (one row per seed, every summary field) and the seeds table."""
    input:
        summaries,
        reference=REFERENCE,
        code=sources("metrics"),
    output:
        csv=report(
            "results/metrics.csv", caption="../report/metrics.rst", category="Runs"
        ),
        tex="results/seeds.tex",
    log:
        "logs/metrics.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        runs=run_dirs,
    shell:
        "python -m rnn metrics --runs {params.runs} --reference {input.reference}"
        " --csv {output.csv} --tex {output.tex} > {log} 2>&1"


rule figures:
    """Figure 1 (a) per update step, (b) every 10,000th step, and all seeds overlaid."""
    input:
        summaries,
        losses=expand("results/runs/seed{seed}/losses.npz", seed=SEEDS),
        code=sources("figures"),
    output:
        report(
            expand(
                "results/figures/{name}.{ext}",
                name=["fig1a_smooth_loss", "fig1b_smooth_loss_every", "fig_all_seeds"],
                ext=["pdf", "png"],
            ),
            caption="../report/figures.rst",
            category="Smooth loss",
        ),
    log:
        "logs/figures.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        runs=run_dirs,
        show_seed=config["show_seed"],
        every=config["snapshots"]["every"],
    shell:
        "python -m rnn figures --runs {params.runs} --show-seed {params.show_seed}"
        " --every {params.every} --out-dir results/figures > {log} 2>&1"
