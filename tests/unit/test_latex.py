"""Model text with every LaTeX special character compiles and reads back from the PDF as written."""

import re
import subprocess
import unicodedata

import pytest

from rnn.reporting import latex
from rnn.reporting.report import build_pdf

from ..conftest import ROOT

SAMPLE = 'Specials: \\ { } % $ # & _ ^ ~ and \\end{document}\n`q` \'q\' "q" <a|b> -- --- z\n' \
         "\ttabbed\n  two spaces   three\nNon-ASCII: ü é ß Æ ø • “curly” ‘single’ — – … °\n\n" \
         + "x" * 200 + "\nend"


# every character that is not written as itself, and what it becomes (written out by hand)
ESCAPED = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "$": r"\$", "#": r"\#", "&": r"\&",
    "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "'": r"\textquotesingle{}",
    "`": r"\textasciigrave{}", '"': r"\textquotedbl{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}", "-": r"-{}",
}


def test_escape_replaces_each_special_character_exactly():
    for ch, want in ESCAPED.items():
        assert latex.escape(ch) == want, ch
        assert latex.escape(f"a{ch}b") == f"a{want}b", ch
    assert latex.escape("".join(ESCAPED)) == "".join(ESCAPED.values())
    plain = "azAZ09!()*+,./:;=?@[] ¡éüßÆøÿ•–—…€"  # printed as themselves (¡ and ÿ: the ends of Latin-1)
    assert latex.escape(plain) == plain
    assert latex.escape("a\tb") == "a    b"  # a tab is four spaces
    # no 8-bit font has these: their code point, in gray
    for ch, code in (("中", "4E2D"), ("\x07", "0007"), ("\xad", "00AD"), ("\n", "000A"), ("\x7f", "007F"),
                     ("\xa0", "00A0"), ("Ā", "0100")):
        assert latex.escape(ch) == r"\textcolor{gray}{[U+%s]}" % code, repr(ch)


def test_verbatim_keeps_every_space_tab_and_line_exactly():
    assert latex.verbatim("a  b\t c\n\n   \n\t") == "\n".join([
        r"\begin{modeltext}",
        r"\mbox{}a~~b~~~~~c\\",  # two spaces; a tab (four) and a space
        r"\mbox{}\\",  # an empty line
        r"\mbox{}~~~\\",  # three spaces alone
        r"\mbox{}~~~~\\",  # a tab alone
        r"\end{modeltext}",
    ]) + "\n"
    assert latex.verbatim("") == "\\begin{modeltext}\n\\mbox{}\\\\\n\\end{modeltext}\n"


def test_verbatim_escapes_and_wraps_long_lines_with_a_mark():
    mark = r"\textcolor{gray}{\textbackslash{}}"
    assert latex.verbatim("ab_de f^\\", width=3) == "\n".join([
        r"\begin{modeltext}",
        r"\mbox{}ab\_" + mark + r"\\",
        r"\mbox{}de~" + mark + r"\\",
        r"\mbox{}f\textasciicircum{}\textbackslash{}\\",
        r"\end{modeltext}",
    ]) + "\n"
    assert latex.verbatim("\tx", width=2).count(mark) == 2  # the tab counts as four columns
    assert latex.verbatim("x" * 88) == "\\begin{modeltext}\n\\mbox{}" + "x" * 88 + "\\\\\n\\end{modeltext}\n"
    assert latex.verbatim("x" * 89).count(mark) == 1  # 88 columns by default
    assert latex.verbatim("中") == "\\begin{modeltext}\n\\mbox{}\\textcolor{gray}{[U+4E2D]}\\\\\n\\end{modeltext}\n"


def test_numbers():
    assert latex.sci(3.53e-07) == r"\ensuremath{3.53\times10^{-7}}"
    assert latex.sci(1e-4) == r"\ensuremath{10^{-4}}" and latex.sci(9.999e-5) == r"\ensuremath{10^{-4}}"
    assert latex.sci(-2.5e3) == r"\ensuremath{-2.50\times10^{3}}"
    assert latex.sci(3.53e-07, digits=1) == r"\ensuremath{3.5\times10^{-7}}"
    assert latex.sci(0.0) == r"\ensuremath{0}" and latex.sci(None) == "--" and latex.sci(float("nan")) == "--"
    assert latex.fixed(49.2371) == "49.24" and latex.fixed(3.14159, 3) == "3.142" and latex.fixed(None) == "--"


def test_tabular_and_table1_exactly():
    rows = [["1", "2"], latex.MIDRULE, ["3", "4"]]
    body = "\\begin{tabular}{lr}\n\\toprule\nA & B \\\\\n\\midrule\n1 & 2 \\\\\n\\midrule\n3 & 4 \\\\\n" \
           "\\bottomrule\n\\end{tabular}\n"
    assert latex.tabular(["A", "B"], rows, "lr") == body
    assert latex.tabular(["A", "B"], rows, "lr", caption="Cap", label="tab:x") == (
        "\\begin{table}[htbp]\n\\centering\n" + body + "\\caption{Cap}\n\\label{tab:x}\n\\end{table}\n")
    assert latex.tabular(["A", "B"], rows, "lr", caption="Cap") == (
        "\\begin{table}[htbp]\n\\centering\n" + body + "\\caption{Cap}\n\n\\end{table}\n")
    result = {"by_m": {"5": {"V": {"finite_difference": 1.234e-7, "complex_step": 4.5e-16},
                             "W": {"finite_difference": 2e-6, "complex_step": 0.0}},
                       "100": {"V": {"finite_difference": 3e-5, "complex_step": 1e-15},
                               "W": {"finite_difference": 1e-2, "complex_step": 2e-12}}}}
    assert latex.table1(result) == "\n".join([
        r"\begin{tabular}{lrrrr}", r"\toprule",
        r"Parameter & $m = 5$: FD & $m = 5$: CS & $m = 100$: FD & $m = 100$: CS \\", r"\midrule",
        r"V & \ensuremath{1.23\times10^{-7}} & \ensuremath{4.50\times10^{-16}} & \ensuremath{3.00\times10^{-5}} & "
        r"\ensuremath{10^{-15}} \\",
        r"W & \ensuremath{2.00\times10^{-6}} & \ensuremath{0} & \ensuremath{10^{-2}} & \ensuremath{2.00\times10^{-12}} \\",
        r"\bottomrule", r"\end{tabular}"]) + "\n"
    with_original = latex.table1(result, {"V": 3.53e-7})
    assert r"Parameter & Original (FD) & $m = 5$: FD" in with_original
    assert r"\begin{tabular}{lrrrrr}" in with_original
    assert r"V & \ensuremath{3.53\times10^{-7}} & \ensuremath{1.23\times10^{-7}} & " in with_original
    assert r"W & -- & \ensuremath{2.00\times10^{-6}} & " in with_original
    other = {"by_m": {"3": {"b": {"my_method": 1e-3}}}}
    assert r"Parameter & $m = 3$: my\_method \\" in latex.table1(other)


def test_special_characters_round_trip_through_the_pdf(tex, tmp_path):
    preamble = (ROOT / "report" / "report.tex").read_text().split(r"\input{../results/tex/macros.tex}")[0]
    doc = preamble + "\\pagestyle{empty}\\begin{document}\n" + latex.verbatim(SAMPLE, width=60) + "\\end{document}\n"
    (tmp_path / "t.tex").write_text(doc)
    build_pdf(tmp_path / "t.tex", tmp_path / "t.pdf", tmp_path / "build")
    text = subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    # wrapped lines end in a backslash mark; whitespace layout is the PDF reader's, and it spells
    # the ellipsis glyph as three dots (NFKC)
    squash = lambda s: re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))  # noqa: E731
    got = squash(text).replace("\\", "")
    assert squash(SAMPLE).replace("\\", "") == got
    assert "\\end{document}" in text and "ü" in text and "•" in text


def test_two_builds_give_identical_pdfs(tex, tmp_path):
    preamble = (ROOT / "report" / "report.tex").read_text().split(r"\input{../results/tex/macros.tex}")[0]
    (tmp_path / "t.tex").write_text(preamble + "\\begin{document}\nHello $x^2$.\n\\end{document}\n")
    build_pdf(tmp_path / "t.tex", tmp_path / "a.pdf", tmp_path / "b1")
    build_pdf(tmp_path / "t.tex", tmp_path / "b.pdf", tmp_path / "b2")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def _macros(cell: str = "rnn", source: str = "t.txt") -> str:
    """The report's macros for a small run of `cell` on the text `source`."""
    from rnn.reporting.report import macros

    grad = {"settings": {"hidden_sizes": [5], "sig": 0.01, "h": 1e-4, "eps": 1e-15, "seq_length": 25, "seed": 1}}
    corpus = {"source": source, "characters": 1000, "vocabulary": 20, "updates_per_epoch": 39}
    config = {"cell": cell, "show_seed": 1, "clip": 5.0, "eta": 0.1, "snapshots": {"every": 10, "length": 5},
              "seq_length": 25, "validation_fraction": 0.0}
    return macros(grad, corpus, {"smooth_loss": 40.0, "seed": 0, "step": 7}, config, None)


@pytest.mark.parametrize("cell, title", [("rnn", "A vanilla character-level RNN"), ("lstm", "A character-level LSTM"),
                                         ("gru", "A character-level GRU")])
def test_the_title_names_the_cell_the_runs_train(cell, title):
    """report.tex's title is the macro \\titlecell, which names the config's cell (an LSTM run is not
    titled a vanilla RNN)."""
    assert r"\title{\titlecell{} trained with AdaGrad" in (ROOT / "report" / "report.tex").read_text()
    assert "\\newcommand{\\titlecell}{" + title + "}\n" in _macros(cell=cell)


@pytest.mark.parametrize("source, note", [("builtin:prose", " The corpus is the built-in one: English prose generated"),
                                          ("data/goblet_book.txt", "")])
def test_the_report_says_when_its_corpus_is_the_built_in_one(source, note):
    """The built-in corpus repeats its sentences, so its losses are far below a novel's: the report says so, and
    says nothing of the kind for a user's text."""
    assert "report's.\\corpusnote{} The settings" in (ROOT / "report" / "report.tex").read_text()
    line = next(ln for ln in _macros(source=source).splitlines() if ln.startswith("\\newcommand{\\corpusnote}"))
    assert line.startswith("\\newcommand{\\corpusnote}{" + note) and (note or line.endswith("{}"))
    if note:
        assert "not comparable with the original report" in line


def _wide_tables() -> dict:
    """The report's tables at their widest: five seeds, a held-out text, every provenance row, long names."""
    from rnn.reporting import report, results

    seeds = range(1, 6)
    summaries = [{"seed": s, "epochs": 10, "end_epoch1_smooth_loss": 55.5, "final_smooth_loss": 44.4,
                  "best_smooth_loss": 43.2, "best_step": 1_100_700, "updates_per_epoch": 110_070} for s in seeds]
    evaluations = [{"train_bpc": [9.5248] + [1.6] * 9, "heldout_bpc": [9.5135] + [1.7] * 9} for _ in seeds]
    prov = {"corpus": {"source": "/home/astudent/courses/dd2424deeplearning/assignment4/data/goblet_book_full_text.txt",
                       "characters": 1_107_542,
                       "vocabulary": 80, "updates_per_epoch": 44_301, "sha256": "4db3da60e8d6" * 5 + "d5fe"},
            "git": {"commit": "6ccbfb3c72648f83dd1649be2cf4e94861d52251", "dirty": True},
            "machine": {"cpu": "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", "cores": 64},
            "versions": {"python": "3.11.7", "numpy": "2.4.6", "numba": "0.68.1", "llvmlite": "0.50.0",
                         "matplotlib": "3.11.2", "PyYAML": "6.0.4", "snakemake": "9.27.1"},
            "stage_seconds": {"gradcheck": 18.7, **{f"train/seed{s}": 1234.5 for s in seeds}},
            "runs": {str(s): {"steps_per_second": 5430.0} for s in seeds}}
    bench = {"K": 80, "m": 100, "seq_length": 25, "naive_us": 3538.0, "reference_us": 1176.0, "kernel_us": 200.0, "speedup_vs_naive": 17.7,
             "pipeline_compile": {"seconds": {"results/compile/rnn/train.json": 7.4,
                                              "results/compile/rnn/text.json": 5.6,
                                              "results/compile/gradcheck.json": 1.2},
                                  "total_seconds": 14.2, "compiled": 11, "loaded": 1,
                                  "unread": {"results/compile/lstm/train.json": "missing"}}}
    by_m = {m: {p: {"finite_difference": 1.234e-7, "complex_step": 4.5e-16} for p in "VWUcb"} for m in ("5", "100")}
    return {"reproduction": report.reproduction_table(prov, bench, "228e201a2602"),
            "evaluation": results.evaluation_tex(summaries, evaluations),
            "seeds": results.seeds_tex(summaries),
            "table1": latex.table1({"by_m": by_m}, {"V": 3.53e-7})}


def test_the_report_tables_fit_the_page(tex, tmp_path):
    """Each table, typeset with the report's own preamble, fits within the text width: LaTeX reports no
    overfull line (the provenance table and the held-out table ran 31 pt and 29 pt into the margin)."""
    preamble = (ROOT / "report" / "report.tex").read_text().split(r"\input{../results/tex/macros.tex}")[0]
    for name, table in _wide_tables().items():
        (tmp_path / f"{name}.tex").write_text(preamble + "\\begin{document}\n\\noindent\n" + table + "\\end{document}\n")
        build_pdf(tmp_path / f"{name}.tex", tmp_path / f"{name}.pdf", tmp_path / f"build-{name}")
        log = (tmp_path / f"build-{name}" / f"{name}.log").read_text(errors="replace")
        assert "Overfull \\hbox" not in log, f"{name}: " + log[log.index("Overfull"):][:120]


def test_the_held_out_table_names_each_text_once_over_its_columns():
    table = _wide_tables()["evaluation"]
    assert "\\multicolumn{2}{c}{Training text} & \\multicolumn{4}{c}{Held-out text} \\\\" in table
    assert "\\cmidrule(lr){2-3} \\cmidrule(lr){4-7}" in table
    assert "Seed & epoch 1 & epoch 10 & epoch 1 & epoch 10 & lowest & at epoch \\\\" in table
    assert "\n5 & 9.5248 & 1.6000 & 9.5135 & 1.7000 & 1.7000 & 2 \\\\" in table


def test_a_group_header_spans_its_columns_even_untitled():
    table = latex.tabular(["a", "b", "c", "d"], [["1", "2", "3", "4"]], "llll", groups=[("", 2), ("G", 2)])
    assert "\\multicolumn{2}{c}{} & \\multicolumn{2}{c}{G} \\\\\n\\cmidrule(lr){3-4}\n" in table
    with pytest.raises(ValueError, match="the groups span 3 columns, the header 4"):
        latex.tabular(["a", "b", "c", "d"], [], "llll", groups=[("", 1), ("G", 2)])


def test_the_reproduction_table_names_what_compiling_cost_this_run():
    table = _wide_tables()["reproduction"]
    assert ("Compiling, summed over the jobs that compile & 14.2 s (compile job rnn/train 7.4 s, compile job "
            "rnn/text 5.6 s, gradient check 1.2 s): 11 functions compiled, 1 loaded from the cache; not read: "
            "results/compile/lstm/train.json (missing)") in table


def test_the_reproduction_table_says_at_which_sizes_the_update_step_was_timed():
    """The benchmark times the original's sizes, not the run's (the built-in corpus has K = 72): the table says so."""
    table = _wide_tables()["reproduction"]
    assert ("one core of Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz, at the sizes of the original report (K = 80, "
            "m = 100, seq\\_length 25) on a random text, whatever the sizes of this run") in table
    assert ("each seed one job on one core, beside the other jobs of the pipeline; a resumed run's steps over "
            "the training time of all its attempts") in table


def test_a_long_corpus_path_breaks_at_its_slashes():
    assert "home/\\allowbreak{}astudent/\\allowbreak{}courses" in _wide_tables()["reproduction"]
