"""The Snakemake workflow through the real `snakemake` command, in a temporary directory."""

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
import yaml

from ..conftest import ROOT
from ..golden import assert_matches_golden
from .conftest import Snakemake, copy_workflow, planned, snakemake, tiny_workflow

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, small_text):
    """The tiny end-to-end run: small text, m = 8, two seeds, two short epochs."""
    d = tiny_workflow(tmp_path_factory.mktemp("wf"), small_text[:8000], book="book text.txt")
    snakemake(d, "--configfile", "tiny.yaml")
    return d


def _sci_value(cell: str) -> float:
    """The number in a cell written by latex.sci: 1.23\\times10^{-4}, 10^{-4} or 0."""
    m = re.search(r"(\d\.\d\d)\\times10\^\{(-?\d+)\}|10\^\{(-?\d+)\}|\{(0)\}", cell)
    if m.group(1):
        return float(f"{m.group(1)}e{m.group(2)}")
    return float(f"1e{m.group(3)}") if m.group(3) else 0.0


def test_every_target_exists_and_numbers_agree(tiny):
    r = tiny / "results"
    facts = json.loads((r / "corpus.json").read_text())
    assert facts["characters"] == 8000 and facts["updates_per_epoch"] == (8000 - 26) // 25 + 1
    assert facts["sha256"] == hashlib.sha256((tiny / "book text.txt").read_text().encode()).hexdigest()
    rows = list(csv.DictReader(open(r / "metrics.csv")))
    assert [int(x["seed"]) for x in rows] == [1, 2]
    for row in rows:
        s = json.loads((r / f"runs/seed{row['seed']}/summary.json").read_text())
        for key in ("end_epoch1_smooth_loss", "final_smooth_loss", "best_smooth_loss"):
            assert float(row[key]) == s[key]
        assert int(row["best_step"]) == s["best_step"] and int(row["steps"]) == s["steps"] == 2 * facts["updates_per_epoch"]
        sm = np.load(r / f"runs/seed{row['seed']}/losses.npz")["smooth_loss"]
        assert s["final_smooth_loss"] == sm[-1]
    by_m = json.loads((r / "gradcheck.json").read_text())["by_m"]
    assert list(by_m) == ["3", "8"]
    table = (r / "table1.tex").read_text()
    reference = yaml.safe_load((ROOT / "report/reference.yaml").read_text())["gradient_check"]["max_relative_error"]
    for name in ("V", "W", "U", "c", "b"):
        line = next(ln for ln in table.splitlines() if ln.startswith(name + " &"))
        got = [_sci_value(cell) for cell in line.split("&")[1:6]]
        want = [reference[name]] + [float(f"{by_m[m][name][k]:.2e}") for m in ("3", "8")
                                    for k in ("finite_difference", "complex_step")]
        assert got == want, (line, want)
    snaps = json.loads((r / "runs/seed2/snapshots.json").read_text())
    assert [x["step"] for x in snaps] == [0, 200, 400, 600]
    assert "After 600 update steps" in (r / "snapshots.tex").read_text()
    passage = json.loads((r / "best_passage.json").read_text())
    assert len((r / "best_passage.txt").read_text()) == 120 == len(passage["text"])
    best = min(rows, key=lambda x: float(x["best_smooth_loss"]))
    assert passage["seed"] == int(best["seed"]) and passage["smooth_loss"] == float(best["best_smooth_loss"])
    for name in ("fig1a_smooth_loss", "fig1b_smooth_loss_every", "fig_all_seeds", "fig_bpc"):
        assert (r / f"figures/{name}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (r / f"figures/{name}.png").read_bytes()[:4] == b"\x89PNG"
    prov = json.loads((r / "provenance.json").read_text())
    assert prov["corpus"]["sha256"] == facts["sha256"] and prov["config"]["hidden_size"] == 8
    assert prov["versions"]["numpy"] and prov["git"].keys() >= {"commit", "dirty"}
    assert set(prov["stage_seconds"]) == {"gradcheck", "train/seed1", "train/seed2"}
    assert all(v > 0 for v in prov["stage_seconds"].values())
    for log in ("prepare", "gradcheck", "train/seed1", "metrics", "figures", "snapshots", "best_passage"):
        assert (tiny / "logs" / f"{log}.log").exists(), log


def test_report_pdf_has_the_results(tex, tiny):
    pdf = tiny / "report" / "report.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for table in json.loads((tiny / "results/gradcheck.json").read_text())["by_m"].values():
        for errs in table.values():
            assert f"{errs['finite_difference']:.2e}".split("e")[0] in text
    rows = list(csv.DictReader(open(tiny / "results/metrics.csv")))
    for row in rows:
        assert f"{float(row['end_epoch1_smooth_loss']):.2f}" in text
    assert "49.24" in text and "45.86–51.19" in text
    # pdftotext joins a line that ends in "-" with the next and drops the "-": compare without them
    flat = re.sub(r"[\s\\-]+", "", text)
    first = json.loads((tiny / "results/runs/seed2/snapshots.json").read_text())[0]["text"]
    passage = (tiny / "results/best_passage.txt").read_text()
    panel = json.loads((tiny / "results/sampling_panel.json").read_text())["samples"]
    for sample in (first, passage, *(s["text"] for s in panel)):
        assert re.sub(r"[\s\\-]+", "", sample) in flat
    assert "Original (FD)" in text and "original report" in text and "seed report" not in text


def test_sampling_panel_samples_one_state_at_each_setting(tiny):
    """Same model, state and draws: the temperature-1 sample is the best passage's beginning; sharper and
    flatter ones differ from it; the nucleus sample too."""
    panel = json.loads((tiny / "results/sampling_panel.json").read_text())
    passage = json.loads((tiny / "results/best_passage.json").read_text())
    texts = {(s["temperature"], s["top_p"]): s["text"] for s in panel["samples"]}
    assert list(texts) == [(0.5, 1.0), (1.0, 1.0), (1.5, 1.0), (1.0, 0.9)]
    assert all(len(t) == 60 for t in texts.values()) and panel["seed"] == passage["seed"]
    assert texts[(1.0, 1.0)] == passage["text"][:60]
    assert len(set(texts.values())) == 4
    tex = (tiny / "results/sampling_panel.tex").read_text()
    assert "Temperature 0.5." in tex and "Nucleus sampling, top-$p$ 0.9." in tex


def test_tiny_run_reproduces_its_golden_checksums(tiny):
    """Every numeric result of the tiny run, byte for byte, as committed in tests/golden/tiny.sha256."""
    lines = (tiny / "results/checksums.sha256").read_text().splitlines()
    # corpus, gradient check, 7 files per seed (6 of training, the evaluation), tables, passage, panel
    assert len(lines) == 4 + 2 * 7 + 9
    for line in lines:
        digest, path = line.split("  ", 1)
        assert hashlib.sha256((tiny / path).read_bytes()).hexdigest() == digest, path
    assert_matches_golden(tiny / "results/checksums.sha256", "tiny")


def test_default_pipeline_reproduces_its_golden_checksums(tmp_path):
    """The whole default pipeline (built-in prose, 5 seeds x 10 epochs): tests/golden/default.sha256."""
    d = copy_workflow(tmp_path)
    snakemake(d, "results/checksums.sha256", timeout=3600)
    assert_matches_golden(d / "results/checksums.sha256", "default")


def test_noop_rerun(tiny):
    assert planned(snakemake(tiny, "--configfile", "tiny.yaml", "-n")) == {}


def test_snakemake_html_report(tiny):
    snakemake(tiny, "--configfile", "tiny.yaml", "--report", "report.html")
    html = (tiny / "report.html").read_text(errors="replace")
    for name in ("table1.tex", "metrics.csv", "fig1a_smooth_loss", "best_passage.txt", "Gradient check"):
        assert name in html, name


def test_single_target_builds_only_its_dependencies(tmp_path, small_text):
    d = tiny_workflow(tmp_path, small_text[:3000])
    snakemake(d, "results/table1.tex", "--configfile", "tiny.yaml")
    assert (d / "results/table1.tex").exists() and (d / "results/corpus.npz").exists()
    assert not (d / "results/runs").exists()


def test_dry_run_of_the_default_config(tmp_path):
    d = copy_workflow(tmp_path)
    out = snakemake(d, "-n")
    jobs = planned(out)
    assert jobs["train"] == 5 and jobs["prepare"] == 1 and jobs["gradcheck"] == 1 and jobs["compile"] == 2
    # the gradient check waits for both compile jobs: it loads their kernels instead of compiling them again
    gradcheck_inputs = re.search(r"rule gradcheck:\n\s+input: (.*)", out).group(1)
    assert {"results/compile/rnn/train.json", "results/compile/rnn/text.json"} <= set(gradcheck_inputs.split(", "))
    # the README's example: lists and numbers from the command line
    (d / "data").mkdir()
    (d / "data/goblet_book.txt").write_text("stand-in text for the novel. " * 40)
    out = snakemake(d, "-n", "--config", "book=data/goblet_book.txt", "epochs=1", "seeds=[1,2]")
    assert planned(out)["train"] == 2, out[-2000:]


def test_changing_one_hyperparameter_reruns_only_what_it_affects(tiny):
    jobs = planned(snakemake(tiny, "--configfile", "tiny.yaml", "-n", "--config", "eta=0.05"))
    assert jobs["train"] == 2 and "gradcheck" not in jobs and "prepare" not in jobs
    (tiny / "gc.yaml").write_text("gradcheck: {hidden_sizes: [6], sig: 0.01, seed: 1, h: 1.0e-4, eps: 1.0e-15, methods: [complex_step]}\n")
    jobs = planned(snakemake(tiny, "--configfile", "tiny.yaml", "gc.yaml", "-n"))
    assert jobs["gradcheck"] == 1 and "train" not in jobs


def test_a_missing_tex_package_drops_the_pdf_before_any_job(tmp_path):
    """A TeX tree without lmodern (kpsewhich finds everything else): one line names it and the apt
    command, before any job; everything but the PDF is planned."""
    if not shutil.which("kpsewhich"):
        pytest.skip("needs kpsewhich")
    fake = tmp_path / "bin"
    fake.mkdir()
    real = shutil.which("kpsewhich")
    (fake / "kpsewhich").write_text(f'#!/bin/sh\nfor f in "$@"; do [ "$f" = lmodern.sty ] || {real} "$f"; done\n')
    (fake / "kpsewhich").chmod(0o755)
    (tmp_path / "wf").mkdir()
    d = copy_workflow(tmp_path / "wf")
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    out = snakemake(d, "-n", env=env, timeout=300)
    lines = [ln for ln in out.splitlines() if "lmodern.sty" in ln]
    assert len(lines) == 1 and "apt-get install" in lines[0] and lines[0].startswith("TeX lacks lmodern.sty")
    assert "report_pdf" not in planned(out) and planned(out)["train"] == 5


EVERY_KEY = {  # a value other than the default for every top-level key, as a user types it after --config
    "book": "b.txt", "cell": "gru", "hidden_size": "12", "eta": "0.05", "sig": "0.02", "seq_length": "20", "epochs": "1",
    "clip": "4.0", "seeds": "[1,2]", "snapshots": "{every: 300, until: 600, length: 50}", "show_seed": "2",
    "synthesis_seed": "3", "passage_length": "50", "checkpoint_every": "500",
    "panel": "{temperatures: [0.7, 1.3], top_p: 0.5, length: 40}", "train_runtime": "30",
    "sweep": "{eta: [0.02]}", "validation_fraction": "0.1", "prime": "The old", "prime_from": "saved",
    "gradcheck": "{hidden_sizes: [4, 6], sig: 0.02, seed: 2, h: 0.001, eps: 1.0e-14, methods: [complex_step]}",
}


def test_every_config_key_is_settable_with_dash_dash_config(tmp_path, small_text):
    """The real `snakemake --config KEY=VALUE` for every key of rnn/settings.py (no one-letter keys)."""
    from rnn.settings import SETTINGS

    assert set(EVERY_KEY) == {s.key.split(".")[0] for s in SETTINGS}
    d = copy_workflow(tmp_path)
    (d / "b.txt").write_text(small_text[:3000])
    out = snakemake(d, "-n", "-p", "--config", *(f"{k}={v}" for k, v in EVERY_KEY.items()))
    for flag in ("--book=b.txt", "--cell=gru", "--hidden-size=12", "--eta=0.05", "--sig=0.02", "--seq-length=20", "--epochs=1",
                 "--clip=4.0", "--snapshots-every=300", "--snapshots-until=600", "--snapshots-length=50",
                 "--synthesis-seed=3", "--checkpoint-every=500", "--gradcheck-hidden-sizes=4,6", "--gradcheck-h=0.001",
                 "--gradcheck-eps=1e-14", "--gradcheck-methods=complex_step", "--gradcheck-sig=0.02",
                 "--gradcheck-seed=2", "--show-seed=2", "--passage-length=50", "--panel-temperatures=0.7,1.3",
                 "--panel-top-p=0.5", "--panel-length=40", "--eta=0.02", "--validation-fraction=0.1",
                 "'--prime=The old'", "--prime-from=saved"):
        assert flag in out, flag
    assert planned(out)["train_sweep"] == 2 and planned(out)["train"] == 2 and "runtime=30" in out


@pytest.mark.parametrize("override,key", [
    (["epoch=3"], "epoch"),
    (["hidden_size=0"], "hidden_size"),
    ({"gradcheck": {"hidden_sizes": [5], "sig": 0.01, "seed": 1, "h": -1, "eps": 1e-15, "methods": ["complex_step"]}}, "gradcheck.h"),
    (["eta=-0.1"], "eta"),
    (["seeds=[]"], "seeds"),
    (["seeds=[1,1]"], "seeds"),
    (["seq_length=abc"], "seq_length"),
    (["show_seed=9"], "show_seed"),
])
def test_bad_config_stops_before_any_job(tmp_path, override, key):
    d = copy_workflow(tmp_path)
    if isinstance(override, dict):
        import yaml

        (d / "bad.yaml").write_text(yaml.safe_dump(override))
        run = Snakemake(d, "--configfile", "bad.yaml")
    else:
        run = Snakemake(d, "--config", *override)
    err = run.wait(check=False)
    assert run.returncode != 0
    assert f"`{key}`" in err or f"'{key}'" in err, err[-2000:]
    assert not (d / "results").exists()


def test_lint_and_format():
    snakemake(ROOT, "--lint")
    fmt = subprocess.run(["snakefmt", "--check", "Snakefile", "workflow"], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_killed_pipeline_resumes_training_from_its_checkpoint(tmp_path, small_text):
    """SIGKILL the whole snakemake run mid-training; the rerun resumes and ends bit-identical."""
    import os
    import signal
    import time

    dirs = {}
    for name in ("straight", "killed"):
        (tmp_path / name).mkdir()
        dirs[name] = tiny_workflow(tmp_path / name, small_text[:8000])
    target = ["results/runs/seed1/summary.json", "--configfile", "tiny.yaml", "--config", "hidden_size=100",
              "epochs=12"]
    snakemake(dirs["straight"], *target)
    d = dirs["killed"]
    proc = Snakemake(d, "--cores", "1", *target, new_session=True).proc
    ck = d / "results/checkpoints/seed1.npz"
    deadline = time.monotonic() + 120
    while not ck.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert ck.exists(), "no checkpoint was written before the run ended"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    snakemake(d, "--unlock", *target)  # a hard kill leaves Snakemake's lock behind
    snakemake(d, *target)  # the default profile sets rerun-incomplete
    resumed = re.search(r"resuming from \S+ at step (\d+)", (d / "logs/train/seed1.log").read_text())
    steps = json.loads((d / "results/runs/seed1/summary.json").read_text())["steps"]
    assert resumed and 0 < int(resumed.group(1)) < steps  # mid-run, not the checkpoint kept at the last step
    for name in ("losses.npz", "snapshots.json", "model_best.npz", "model_final.npz"):
        a = (dirs["straight"] / "results/runs/seed1" / name).read_bytes()
        assert a == (d / "results/runs/seed1" / name).read_bytes(), name
