rule snapshots:
    """The shown run's text snapshots (before the first update, then every 10,000) as LaTeX."""
    input:
        f"{out.RUN_DIR.format(seed=config['show_seed'])}/{out.RunFiles.snapshots}",
        code=sources("snapshots"),
    output:
        report(
            out.SNAPSHOTS_TABLE,
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
        "python -m rnn snapshots --run {params.run:q} --out {output:q} > {log:q} 2>&1"


rule best_passage:
    """A passage from the best model over all seeds (lowest smooth loss)."""
    input:
        SUMMARIES,
        models=MODELS_BEST,
        corpus=out.CORPUS,
        code=sources("passage"),
    output:
        txt=report(
            out.PASSAGE_TEXT, caption="../report/passage.rst", category="Synthesis"
        ),
        json=out.PASSAGE,
        tex=out.PASSAGE_TABLE,
    log:
        "logs/best_passage.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        runs=RUN_DIRS,
        settings=lambda wildcards: flags(config, "passage"),
    shell:
        "python -m rnn passage --runs {params.runs:q} {params.settings} --corpus {input.corpus:q}"
        " --txt {output.txt:q} --json {output.json:q} --tex {output.tex:q} > {log:q} 2>&1"


rule sampling_panel:
    """Short passages from the best model at several temperatures and with top-p, from one state."""
    input:
        SUMMARIES,
        models=MODELS_BEST,
        corpus=out.CORPUS,
        code=sources("panel"),
    output:
        json=out.PANEL,
        tex=report(out.PANEL_TABLE, caption="../report/panel.rst", category="Synthesis"),
    log:
        "logs/sampling_panel.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        runs=RUN_DIRS,
        settings=lambda wildcards: flags(config, "panel"),
    shell:
        "python -m rnn panel --runs {params.runs:q} {params.settings} --corpus {input.corpus:q}"
        " --json {output.json:q} --tex {output.tex:q} > {log:q} 2>&1"
