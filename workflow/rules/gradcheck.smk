rule gradcheck:
    """The seed's Table 1: analytic vs numerical gradients, max relative error per parameter."""
    input:
        corpus="results/corpus.npz",
        reference=REFERENCE,
        code=sources("gradcheck"),
    output:
        json="results/gradcheck.json",
        table=report(
            "results/table1.tex",
            caption="../report/table1.rst",
            category="Gradient check",
        ),
    log:
        "logs/gradcheck.log",
    benchmark:
        "benchmarks/gradcheck.tsv"
    conda:
        "../envs/rnn.yaml"
    resources:
        runtime=30,
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
    params:
        m=config["gradcheck"]["m"],
        sig=config["gradcheck"]["sig"],
        seed=config["gradcheck"]["seed"],
        h=config["gradcheck"]["h"],
        eps=config["gradcheck"]["eps"],
        methods=",".join(config["gradcheck"]["methods"]),
        seq_length=config["seq_length"],
    shell:
        "python -m rnn gradcheck --corpus {input.corpus} --m {params.m} --sig {params.sig}"
        " --seq-length {params.seq_length} --seed {params.seed} --h {params.h} --eps {params.eps}"
        " --methods {params.methods} --reference {input.reference}"
        " --out {output.json} --table {output.table} > {log} 2>&1"
