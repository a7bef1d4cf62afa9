rule prepare:
    """Read the book (UTF-8, universal newlines), build the sorted vocabulary, encode it."""
    input:
        book=out.BOOK_CHECKSUM,  # the book's content (common.smk): not its modification time
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
        settings=lambda wildcards: flags(config, "prepare"),
    shell:
        "python -m rnn prepare {params.settings} --out {output.corpus:q} --facts {output.facts:q} > {log:q} 2>&1"
