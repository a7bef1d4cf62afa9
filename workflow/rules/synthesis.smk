rule snapshots:
    """The shown run's text snapshots (before the first update, then every 10,000) as LaTeX."""
    input:
        f"results/runs/seed{config['show_seed']}/snapshots.json",
        code=sources("snapshots"),
    output:
        report(
            "results/snapshots.tex",
            caption="../report/snapshots.rst",
            category="Synthesis",
        ),
    log:
        "logs/snapshots.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        run=lambda wildcards, input: os.path.dirname(input[0]),
    shell:
        "python -m rnn snapshots --run {params.run} --out {output} > {log} 2>&1"


rule best_passage:
    """A passage from the best model over all seeds (lowest smooth loss)."""
    input:
        summaries,
        models=expand("results/runs/seed{seed}/model_best.npz", seed=SEEDS),
        corpus="results/corpus.npz",
        code=sources("passage"),
    output:
        txt=report(
            "results/best_passage.txt",
            caption="../report/passage.rst",
            category="Synthesis",
        ),
        json="results/best_passage.json",
        tex="results/best_passage.tex",
    log:
        "logs/best_passage.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        runs=run_dirs,
        length=config["passage_length"],
        seed=config["synthesis_seed"],
    shell:
        "python -m rnn passage --runs {params.runs} --length {params.length} --seed {params.seed}"
        " --corpus {input.corpus} --txt {output.txt} --json {output.json} --tex {output.tex} > {log} 2>&1"
