rule prepare:
    """Read the book (UTF-8, universal newlines), build the sorted vocabulary, encode it."""
    input:
        BOOK,
        code=sources("prepare"),
    output:
        corpus=out.CORPUS,
        facts=out.CORPUS_FACTS,
    log:
        "logs/prepare.log",
    conda:
        "../envs/rnn.yaml"
    resources:
        runtime=10,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
    params:
        settings=flags(config, "prepare"),
    shell:
        "python -m rnn prepare {params.settings} --out {output.corpus} --facts {output.facts} > {log} 2>&1"
