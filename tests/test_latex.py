"""Model text with every LaTeX special character compiles and reads back from the PDF as written."""

import re
import shutil
import subprocess
import unicodedata

import pytest

from rnn import latex
from rnn.report import build_pdf

from .conftest import ROOT

SAMPLE = 'Specials: \\ { } % $ # & _ ^ ~ and \\end{document}\n`q` \'q\' "q" <a|b> -- --- z\n' \
         "\ttabbed\n  two spaces   three\nNon-ASCII: ü é ß Æ ø • “curly” ‘single’ — – … °\n\n" \
         + "x" * 200 + "\nend"


def test_escape_has_no_raw_specials():
    out = latex.escape("a_b%c$d#e&f{g}h^i~j\\k")
    assert re.search(r"(?<!\\)[_%$#&{}]", out.replace("{}", "")) is None
    assert latex.sci(3.53e-07) == r"\ensuremath{3.53\times10^{-7}}" and latex.sci(1e-4) == r"\ensuremath{10^{-4}}"


def test_unprintable_characters_become_code_points():
    assert "[U+4E2D]" in latex.verbatim("中")


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="TeX is not installed")
def test_special_characters_round_trip_through_the_pdf(tmp_path):
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


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="TeX is not installed")
def test_two_builds_give_identical_pdfs(tmp_path):
    preamble = (ROOT / "report" / "report.tex").read_text().split(r"\input{../results/tex/macros.tex}")[0]
    (tmp_path / "t.tex").write_text(preamble + "\\begin{document}\nHello $x^2$.\n\\end{document}\n")
    build_pdf(tmp_path / "t.tex", tmp_path / "a.pdf", tmp_path / "b1")
    build_pdf(tmp_path / "t.tex", tmp_path / "b.pdf", tmp_path / "b2")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
