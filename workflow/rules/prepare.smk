rule prepare:
    """Read the book (UTF-8, universal newlines), build the sorted vocabulary, encode it."""
    input:
        book_input,
        code=sources("prepare"),
    output:
        corpus="results/corpus.npz",
        facts="results/corpus.json",
    log:
        "logs/prepare.log",
    conda:
        "../envs/rnn.yaml"
    resources:
        runtime=10,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
    params:
        book=config["book"],
        seq_length=config["seq_length"],
    shell:
        "python -m rnn prepare --book {params.book:q} --seq-length {params.seq_length}"
        " --out {output.corpus} --facts {output.facts} > {log} 2>&1"
