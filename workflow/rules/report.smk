rule provenance:
    """What made the results: config, corpus checksum, versions, git commit, machine, times."""
    input:
        facts=out.CORPUS_FACTS,
        summaries=SUMMARIES,
        benchmarks=["benchmarks/gradcheck.tsv"]
        + expand("benchmarks/train/seed{seed}.tsv", seed=SEEDS),
        code=sources("provenance"),
    output:
        out.PROVENANCE,
    log:
        "logs/provenance.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    params:
        config=lambda wildcards: json.dumps(config, sort_keys=True),
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
        out.CHECKSUMS,
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
        out.PROVENANCE,
        out.GRADCHECK,
        out.PASSAGE,
        out.BENCH,
        out.CHECKSUMS,
        reference=REFERENCE,
        code=sources("report"),
    output:
        out.MACROS,
        out.SETTINGS_TABLE,
        out.REPRODUCTION_TABLE,
    log:
        "logs/report_fragments.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    shell:
        "python -m rnn report --reference {input.reference:q} > {log:q} 2>&1"


rule report_pdf:
    """latexmk -pdf on report/report.tex; rebuilt exactly when a fragment or figure changes."""
    input:
        tex=out.REPORT_TEX,
        fragments=[
            out.MACROS,
            out.SETTINGS_TABLE,
            out.REPRODUCTION_TABLE,
            out.TABLE1,
            out.TABLE1_CELLS,
            out.SEEDS_TABLE,
            out.EVALUATION_TABLE,
            out.SNAPSHOTS_TABLE,
            out.PASSAGE_TABLE,
            out.PANEL_TABLE,
            out.SWEEP_SECTION,
        ],
        figures=FIGURES_PDF,
        code=sources("pdf"),
    output:
        out.REPORT_PDF,
    log:
        "logs/report_pdf.log",
    localrule: True
    conda:
        "../envs/rnn.yaml"
    shell:
        "python -m rnn pdf --tex {input.tex:q} --out {output:q} > {log:q} 2>&1"
