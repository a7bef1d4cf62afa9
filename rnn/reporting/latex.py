"""LaTeX fragments for the report: tables, snapshots and passages, with every character escaped.

Model text can hold any character of the corpus. `verbatim` writes it so that it compiles with
pdflatex (T1 fonts) and reads back from the PDF as written: specials are escaped, spaces kept
one by one, long lines wrapped with a visible marker, characters no 8-bit font has replaced by
their code point (U+XXXX) rather than breaking the build.
"""

from __future__ import annotations

import math

SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "$": r"\$", "#": r"\#",
    "&": r"\&", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "'": r"\textquotesingle{}", "`": r"\textasciigrave{}", '"': r"\textquotedbl{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "-": r"-{}",
}
# Non-ASCII characters that LaTeX's utf8 input and T1/TS1 fonts print as themselves.
PRINTABLE = set(chr(c) for c in range(0xA1, 0x100)) - {"\xad"} | set(
    "ŒœŠšŸŽžŁłŃńŘřŚśŤťŮůŹźŻżĄąĆćĘęĞğİıŐőŰűŞşŢţĐđ‘’‚“”„–—…•†‡‰‹›€™"
)
WRAP_MARK = r"\textcolor{gray}{\textbackslash{}}"


def escape(text: str) -> str:
    """Text for running prose or a table cell."""
    return "".join(_char(ch, space=" ") for ch in text)


def _char(ch: str, space: str) -> str:
    if ch == " ":
        return space
    if ch in SPECIALS:
        return SPECIALS[ch]
    if " " < ch < "\x7f" or ch in PRINTABLE:
        return ch
    if ch == "\t":
        return space * 4
    return r"\textcolor{gray}{[U+%04X]}" % ord(ch)


def verbatim(text: str, width: int = 88) -> str:
    """A block that keeps every line break and space; lines longer than width wrap with a mark."""
    out = [r"\begin{modeltext}"]
    for line in text.split("\n"):
        line = line.replace("\t", "    ")
        pieces = [line[i:i + width] for i in range(0, len(line), width)] or [""]
        for k, piece in enumerate(pieces):
            tail = WRAP_MARK if k < len(pieces) - 1 else ""
            out.append(r"\mbox{}" + "".join(_char(ch, space="~") for ch in piece) + tail + r"\\")
    out.append(r"\end{modeltext}")
    return "\n".join(out) + "\n"


def sci(x: float | None, digits: int = 2) -> str:
    """3.53e-07 -> \\ensuremath{3.53\\times10^{-7}} (1e-04 -> 10^{-4}); missing values are a dash."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "--"
    if x == 0:
        return r"\ensuremath{0}"
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    body = rf"10^{{{int(exponent)}}}"
    if float(mantissa) != 1:
        body = mantissa + r"\times" + body
    return r"\ensuremath{" + body + "}"


def fixed(x: float | None, digits: int = 2) -> str:
    return "--" if x is None else f"{x:.{digits}f}"


def tabular(header: list[str], rows: list[list[str]], align: str, caption: str | None = None,
            label: str | None = None, groups: list[tuple[str, int]] | None = None) -> str:
    """A booktabs table (a row may be MIDRULE); caption and label make it a floating table. `groups`,
    (title, columns) from the left ("" for none), is a header row above `header`, each title ruled
    over its columns: shorter column names, so that a wide table fits the page."""
    body = [rf"\begin{{tabular}}{{{align}}}", r"\toprule"]
    if groups:
        if sum(span for _, span in groups) != len(header):
            raise ValueError(f"the groups span {sum(span for _, span in groups)} columns, the header {len(header)}")
        cells, rules, first = [], [], 1
        for title, span in groups:
            cells.append(rf"\multicolumn{{{span}}}{{c}}{{{title}}}" if span > 1 else title)
            if title:
                rules.append(rf"\cmidrule(lr){{{first}-{first + span - 1}}}")
            first += span
        body += [" & ".join(cells) + r" \\", " ".join(rules)]
    body += [" & ".join(header) + r" \\", r"\midrule"]
    body += [r"\midrule" if r == MIDRULE else " & ".join(r) + r" \\" for r in rows]
    body += [r"\bottomrule", r"\end{tabular}"]
    if caption is None:
        return "\n".join(body) + "\n"
    return "\n".join([r"\begin{table}[htbp]", r"\centering", *body, rf"\caption{{{caption}}}",
                      rf"\label{{{label}}}" if label else "", r"\end{table}"]) + "\n"


MIDRULE = "midrule"  # a row of `tabular` that is a rule
METHOD_ABBREVIATIONS = {"finite_difference": "FD", "complex_step": "CS"}  # Table 1's caption spells them out


def table1(result: dict, reference: dict | None = None, by_m: dict | None = None) -> str:
    """The original's Table 1: max relative error per parameter; the original report's column first, then
    one column per method for each hidden size m checked (of result's first cell, or of `by_m`)."""
    by_m = by_m or result["by_m"]
    methods = list(next(iter(next(iter(by_m.values())).values())))
    header = ["Parameter"] + (["Original (FD)"] if reference else [])
    header += [f"$m = {m}$: {METHOD_ABBREVIATIONS.get(method, escape(method))}" for m in by_m for method in methods]
    rows = []
    for name in next(iter(by_m.values())):
        row = [name] + ([sci(reference.get(name))] if reference else [])
        row += [sci(by_m[m][name][method]) for m in by_m for method in methods]
        rows.append(row)
    return tabular(header, rows, "l" + "r" * (len(header) - 1))


def cells_table1(result: dict) -> str:
    """Table 1 of the other cells checked (gradcheck.json's by_cell), as one table; a comment without them."""
    by_cell = result.get("by_cell")
    if not by_cell:
        return "% no other cell was checked\n"
    parts = [r"\begin{table}[htbp]", r"\centering", r"\small"]
    for cell, by_m in by_cell.items():
        parts += [rf"\textbf{{{escape(cell.upper())}}}\par\smallskip", table1(result, None, by_m), r"\medskip"]
    parts += [r"\caption{Table~\ref{tab:gradcheck} for the gated cells: the maximum relative error of each "
              r"parameter's gradient by finite differences (FD) and the complex step (CS), with the cell's gates "
              r"stacked in U, W and b (docs/algorithm.md section 7). The FD errors of 1 are entries whose gradient "
              r"is below the last bit of the loss over 2h: their difference quotient is exactly 0.}",
              r"\label{tab:gradcheck-cells}", r"\end{table}", ""]
    return "\n".join(parts)
