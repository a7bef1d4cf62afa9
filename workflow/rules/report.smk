rule provenance:
    """What made the results: config, corpus checksum, versions, git commit, machine, times."""
    input:
        facts=out.CORPUS_FACTS,
        summaries=SUMMARIES,
        benchmarks=["benchmarks/gradcheck.tsv"]
        + expand("benchmarks/train/seed{seed}.tsv", seed=SEEDS),
        code=sources("provenance"),
    output:
        "results/provenance.json",
    log:
        "logs/provenance.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        config=json.dumps(config, sort_keys=True),
        runs=RUN_DIRS,
    shell:
        "python -m rnn provenance --config {params.config:q} --corpus-facts {input.facts:q}"
        " --runs {params.runs:q} --benchmarks {input.benchmarks:q} --out {output:q} > {log:q} 2>&1"


rule checksums:
    """sha256sum lines of every numeric result: equal files on any machine (tests/golden/)."""
    input:
        CHECKSUMMED,
        code=sources("checksums"),
    output:
        "results/checksums.sha256",
    log:
        "logs/checksums.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        files=CHECKSUMMED,
    shell:
        "python -m rnn checksums {params.files:q} --out {output:q} > {log:q} 2>&1"


rule report_fragments:
    """The numbers the hand-written report/report.tex \\input's: settings, macros, reproduction."""
    input:
        "results/provenance.json",
        out.GRADCHECK,
        "results/best_passage.json",
        "results/bench.json",
        "results/checksums.sha256",
        reference=REFERENCE,
        code=sources("report"),
    output:
        "results/tex/macros.tex",
        "results/tex/settings.tex",
        "results/tex/reproduction.tex",
    log:
        "logs/report_fragments.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    shell:
        "python -m rnn report --results results --reference {input.reference:q}"
        " --out-dir results/tex > {log:q} 2>&1"


rule report_pdf:
    """latexmk -pdf on report/report.tex; rebuilt exactly when a fragment or figure changes."""
    input:
        tex="report/report.tex",
        fragments=[
            "results/tex/macros.tex",
            "results/tex/settings.tex",
            "results/tex/reproduction.tex",
            out.TABLE1,
            "results/seeds.tex",
            "results/snapshots.tex",
            "results/best_passage.tex",
            "results/sampling_panel.tex",
            "results/tex/sweep.tex",
        ],
        figures=FIGURES_PDF,
    output:
        "report/report.pdf",
    log:
        "logs/report_pdf.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    shell:
        "python -m rnn pdf --tex {input.tex:q} --out {output:q} --build-dir report/build > {log:q} 2>&1"
