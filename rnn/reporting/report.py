"""The report: LaTeX fragments generated from results/, and the PDF built from report/report.tex.

report/report.tex is written by hand and \\input's the fragments, so no number in it is typed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from . import latex
from ..errors import UserError
from ..files import atomic_write, read_json, write_text
from .. import outputs
from ..outputs import Figures
from .provenance import fingerprint, unread_records

TEX_INSTALL = ("sudo apt-get install --no-install-recommends texlive-latex-base "
               "texlive-latex-recommended latexmk lmodern")


def tex_missing(tex) -> list[str]:
    """What building `tex` needs and this machine lacks: the programs, then every class and package
    it loads, looked up with kpsewhich (so a TeX installation without, say, lmodern is caught before
    any training rather than at the end)."""
    missing = [p for p in ("latexmk", "pdflatex", "kpsewhich") if not shutil.which(p)]
    if missing:
        return missing
    source = Path(tex).read_text()
    needed = [f"{c}.cls" for c in re.findall(r"\\documentclass(?:\[[^]]*\])?\{([^}]+)\}", source)]
    for group in re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]+)\}", source):
        needed += [f"{p.strip()}.sty" for p in group.split(",")]
    proc = subprocess.run(["kpsewhich", *needed], capture_output=True, text=True)
    found = {Path(line).name for line in proc.stdout.splitlines()}
    return [name for name in needed if name not in found]


def _load(path: Path):
    return read_json(path)


# what the title calls the network the main runs train (config `cell`)
TITLE_CELLS = {"rnn": "A vanilla character-level RNN", "lstm": "A character-level LSTM", "gru": "A character-level GRU"}


def macros(grad: dict, corpus: dict, passage: dict, config: dict, reference: dict | None) -> str:
    """\\newcommand's for numbers that prose and captions mention."""
    s = grad["settings"]
    values = {
        "titlecell": TITLE_CELLS[config["cell"]],
        "corpusname": latex.escape(corpus["source"]),
        "corpusN": f"{corpus['characters']:,}".replace(",", "{,}"),  # in math mode
        "corpusK": str(corpus["vocabulary"]),
        "updatesperepoch": f"{corpus['updates_per_epoch']:,}",
        "showseed": str(config["show_seed"]),
        "clipvalue": f"{config['clip']:g}", "etavalue": f"{config['eta']:g}",
        "snapevery": f"{config['snapshots']['every']:,}",
        "snaplength": str(config["snapshots"]["length"]),
        "gcm": " and ".join(f"$m = {m}$" for m in s["hidden_sizes"]), "gcsig": str(s["sig"]), "gch": latex.sci(s["h"], 0),
        "gceps": latex.sci(s["eps"], 0), "gcseq": str(s["seq_length"]), "gcseed": str(s["seed"]),
        "passageloss": f"{passage['smooth_loss']:.2f}", "passageseed": str(passage["seed"]),
        "passagestep": f"{passage['step']:,}",
        "figperstep": Figures.per_step, "figevery": Figures.every, "figallseeds": Figures.all_seeds,
        "figbpc": Figures.bpc, "seqlength": str(config["seq_length"]),
        **heldout_macros(corpus, config),
        **outputs.report_inputs(),
        "originalbest": latex.fixed(reference["smooth_loss"]["best_model"]) if reference else "--",
    }
    return ("".join(rf"\newcommand{{\{k}}}{{{v}}}" + "\n" for k, v in values.items())
            + rf"\graphicspath{{{{../{outputs.FIGURE_DIR}/}}}}" + "\n")


def heldout_macros(corpus: dict, config: dict) -> dict:
    """How the report names the held-out text: the last validation_fraction of it, or none."""
    from ..core.corpus import training_part

    f = config["validation_fraction"]
    if not f:
        return {"heldoutdescription": "(with \\texttt{validation\\_fraction} 0, as in the original, nothing is held "
                                      "out)", "heldoutfigure": "", "heldouttable": ""}
    cut = training_part(corpus["characters"], config["seq_length"], f)
    held = f"{corpus['characters'] - cut:,}".replace(",", "{,}")
    return {"heldoutdescription": f"and on the held-out text: its last ${held}$ characters "
                                  f"(\\texttt{{validation\\_fraction}} {f:g}), never trained on",
            "heldoutfigure": " (solid) and over the held-out text (dashed)", "heldouttable": " and over the held-out text"}


def settings_table(config: dict) -> str:
    """Every setting as config.yaml writes it (null, not Python's None)."""
    def text(v) -> str:
        return "null" if v is None else str(v).lower() if isinstance(v, bool) else str(v)

    def flat(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from flat(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}", ", ".join(map(text, v)) if isinstance(v, list) else text(v)

    rows = [[r"\texttt{" + latex.escape(k) + "}", latex.escape(v)] for k, v in flat(config)]
    return latex.tabular(["Setting (config.yaml)", "Value"], rows, "ll")


def _commit(git: dict) -> str:
    if not git.get("commit"):
        return "not run from a git checkout"
    return r"\texttt{" + git["commit"] + "}" + (" (with uncommitted changes)" if git.get("dirty") else "")


def reproduction_table(prov: dict, bench: dict | None, results_fingerprint: str) -> str:
    c = prov["corpus"]
    rows = [
        ["Results fingerprint", r"\texttt{" + results_fingerprint + "} (sha256 of \\texttt{results/checksums.sha256}, "
         "first 12 digits: the same on any machine for the same settings and text)"],
        ["Corpus", latex.escape(c["source"]).replace("/", "/\\allowbreak{}")],  # a long path breaks at a slash
        ["Characters $N$; vocabulary $K$", f"{c['characters']:,}; {c['vocabulary']}"],
        ["Update steps per epoch", f"{c['updates_per_epoch']:,}"],
        ["SHA-256 of the text", r"\texttt{\scriptsize " + c["sha256"] + "}"],
        ["Git commit", _commit(prov["git"])],
        ["Machine", latex.escape(f"{prov['machine']['cpu']}, {prov['machine']['cores']} cores")],
    ]
    rows += [[latex.escape(k), latex.escape(str(v))] for k, v in prov["versions"].items() if v]
    for stage, seconds in sorted(prov["stage_seconds"].items()):
        rows.append([f"Wall time: {latex.escape(stage)}", f"{seconds:,.1f} s"])
    if prov["runs"]:
        rows.append(["Training speed (below): how measured", "the seeds in parallel, one per core"])
    for seed, run in sorted(prov["runs"].items(), key=lambda kv: int(kv[0])):
        rows.append([f"Training speed: seed {seed}", f"{run['steps_per_second']:,.0f} updates/s"])
    if bench:
        rows.append(["Update step (below): how measured",
                     latex.escape(f"alone (no other job running), one core of {prov['machine']['cpu']}")])
        rows.append(["Update step: naive numpy baseline", f"{bench['naive_us']:,.0f} $\\mu$s"])
        rows.append(["Update step: reference (numpy)", f"{bench['reference_us']:,.0f} $\\mu$s"])
        rows.append(["Update step: compiled kernel",
                     f"{bench['kernel_us']:,.0f} $\\mu$s ({bench['speedup_vs_naive']:.1f}$\\times$ faster than the baseline)"])
    if bench and bench.get("pipeline_compile"):
        pc = bench["pipeline_compile"]
        jobs = ", ".join(f"{_compiling_job(path)} {seconds:.1f} s" for path, seconds in pc["seconds"].items())
        rows.append(["Compiling, summed over the jobs that compile", latex.escape(
            f"{pc['total_seconds']:.1f} s ({jobs}): {pc['compiled']} functions compiled, {pc['loaded']} loaded "
            f"from the cache{unread_records(pc)}")])
    ragged = r">{\raggedright\arraybackslash}"  # columns of fixed width, so that the table fits the page
    return latex.tabular(["Item", "Value"], rows, f"{ragged}p{{0.36\\textwidth}}{ragged}p{{0.56\\textwidth}}")


def _compiling_job(path: str) -> str:
    """A compile record's job as the table names it: the gradient check, or a cell's compile job (cell/job)."""
    p = Path(path)
    return "gradient check" if p.stem == "gradcheck" else f"compile job {p.parent.name}/{p.stem}"


def write_fragments(reference: dict | None) -> None:
    """The report's macros, settings table and reproduction table, from the results."""
    prov = _load(Path(outputs.PROVENANCE))
    grad = _load(Path(outputs.GRADCHECK))
    passage = _load(Path(outputs.PASSAGE))
    bench = _load(Path(outputs.BENCH)) if Path(outputs.BENCH).exists() else None
    write_text(outputs.MACROS, macros(grad, prov["corpus"], passage, prov["config"], reference))
    write_text(outputs.SETTINGS_TABLE, settings_table(prov["config"]))
    write_text(outputs.REPRODUCTION_TABLE, reproduction_table(prov, bench, fingerprint(outputs.CHECKSUMS)))


def build_pdf(tex, out_pdf, build_dir=outputs.REPORT_BUILD) -> None:
    """latexmk -pdf in a fresh build_dir; the same inputs give the same bytes (SOURCE_DATE_EPOCH).

    The build directory is emptied first: latexmk keeps the state of an earlier run there, and after
    a run that failed (a full disk, a broken fragment) it would fail again on unchanged inputs. LaTeX is
    judged by its exit status, its log and the PDF it leaves; its output is read as bytes, decoded
    leniently (it splits lines inside multi-byte characters)."""
    if not (shutil.which("latexmk") and shutil.which("pdflatex")):
        raise UserError(f"latexmk/pdflatex not found, so no PDF; {Path(tex)} is ready: install TeX with `{TEX_INSTALL}`")
    tex = Path(tex)
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0"), "FORCE_SOURCE_DATE": "1"}
    build = Path(build_dir).resolve()
    if build.exists() and not build.is_dir():
        raise UserError(f"{build}: the build directory is a file; remove it or give another --build-dir")
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
           f"-outdir={build}", tex.name]
    proc = subprocess.run(cmd, cwd=tex.parent, env=env, capture_output=True)
    log = build / (tex.stem + ".log")
    text = proc.stdout.decode("utf-8", errors="replace")
    if log.exists():
        text += "\n" + log.read_bytes().decode("utf-8", errors="replace")
    pdf = build / (tex.stem + ".pdf")
    fatal = any(marker in text for marker in ("Fatal error occurred", "no output PDF file produced",
                                              "No pages of output"))
    if proc.returncode != 0 or fatal or not pdf.is_file():
        # the first error line names the problem (model text in an overfull box may start with "!" too)
        errors = [ln for ln in text.splitlines() if re.match(r"\S+\.tex:\d+: ", ln) or ln.startswith("! ")]
        raise UserError(f"LaTeX failed on {tex}: {(errors or [f'exit status {proc.returncode}'])[0]} (full log: {log})")
    with atomic_write(out_pdf) as f:
        f.write(pdf.read_bytes())
