"""Hyperparameter sweeps: the grid, its directories, caching through the real `snakemake -n`, outputs."""

import csv
import json

import pytest

from rnn.pipeline import sweep

from .conftest import Snakemake, planned, tiny_workflow


def test_points_paths_and_the_main_runs_reuse():
    grid = sweep.points({"eta": [0.05, 0.1], "hidden_size": [8, 16]})
    assert grid == [{"eta": 0.05, "hidden_size": 8}, {"eta": 0.05, "hidden_size": 16},
                    {"eta": 0.1, "hidden_size": 8}, {"eta": 0.1, "hidden_size": 16}]
    assert sweep.points({}) == []
    for point in grid:
        assert sweep.parse_point(sweep.point_path(point)) == point
    assert sweep.point_path(grid[1]) == "eta~0.05/hidden_size~16"
    config = {"eta": 0.1, "hidden_size": 8, "seeds": [1, 2], "sweep": {"eta": [0.05, 0.1], "hidden_size": [8]}}
    dirs = [r["dir"] for r in sweep.runs(config)]
    assert dirs == ["results/sweep/eta~0.05/hidden_size~8/seed1", "results/sweep/eta~0.05/hidden_size~8/seed2",
                    "results/runs/seed1", "results/runs/seed2"]


def _snakemake(d, *args, check=True):
    return Snakemake(d, "--configfile", "tiny.yaml", *args).wait(check=check)


@pytest.mark.parametrize("value,message", [
    ("{momentum: [0.9]}", "key `sweep`: Additional properties are not allowed ('momentum' was unexpected)"),
    ("{eta: []}", "key `sweep.eta`"),
    ("{eta: [0.1, -1]}", "key `sweep.eta.1`"),
    ("{hidden_size: [2.5]}", "key `sweep.hidden_size.0`"),
])
def test_a_bad_sweep_stops_before_any_job_with_one_line(tmp_path, small_text, value, message):
    d = tiny_workflow(tmp_path, small_text[:3000])
    out = _snakemake(d, "-n", "--config", f"sweep={value}", check=False)
    lines = [ln for ln in out.splitlines() if ln.startswith("config error:")]
    assert len(lines) == 1 and message in lines[0], out[-1500:]
    assert "Traceback" not in out and not (d / "results").exists()


@pytest.mark.slow
def test_sweep_caches_points_and_writes_its_outputs(tmp_path, small_text):
    d = tiny_workflow(tmp_path, small_text[:6000])
    with open(d / "tiny.yaml", "a") as f:
        f.write("eta: 0.1\nsweep: {eta: [0.05, 0.1], clip: [5.0, 1.0]}\n")
    jobs = planned(_snakemake(d, "-n"))
    assert jobs["train"] == 2 and jobs["train_sweep"] == 3 * 2  # the main point is reused
    _snakemake(d)
    # the finished runs' checkpoints, kept by training, removed with their directories once the workflow succeeded
    kept = [log for log in (d / "logs/sweep").rglob("seed*.log") if "checkpoint kept at the last step" in log.read_text()]
    assert len(kept) == 3 * 2 and not (d / "results/checkpoints/sweep").exists()
    assert not list((d / "results/checkpoints").rglob("*"))
    # adding a value plans only the new points; removing one trains nothing
    jobs = planned(_snakemake(d, "-n", "--config", "sweep={eta: [0.05, 0.1, 0.2], clip: [5.0, 1.0]}"))
    assert jobs.get("train_sweep") == 2 * 2 and "train" not in jobs
    jobs = planned(_snakemake(d, "-n", "--config", "sweep={eta: [0.1], clip: [5.0, 1.0]}"))
    assert "train_sweep" not in jobs and "train" not in jobs

    rows = list(csv.DictReader(open(d / "results/sweep/metrics.csv")))
    assert len(rows) == 4 * 2
    assert {"point", "hidden_size", "eta", "sig", "seq_length", "clip", "epochs", "final_smooth_loss"} <= set(rows[0])
    for row in rows:
        run = "results/runs/seed" if row["point"] == "eta~0.1/clip~5.0" else f"results/sweep/{row['point']}/seed"
        summary = json.loads((d / f"{run}{row['seed']}/summary.json").read_text())
        assert float(row["final_smooth_loss"]) == summary["final_smooth_loss"]
        assert float(row["eta"]) == float(row["point"].split("/")[0].split("~")[1]) == summary["eta"]
    table = (d / "results/sweep/table.tex").read_text()
    means = {}
    for row in rows:
        means.setdefault(row["point"], []).append(float(row["final_smooth_loss"]))
    best = min(means, key=lambda p: sum(means[p]) / len(means[p]))
    eta, clip = (v.split("~")[1] for v in best.split("/"))
    marked = [ln for ln in table.splitlines() if r"$^\star$" in ln]
    assert len(marked) == 1 and marked[0].startswith(f"{float(eta):g}$^\\star$ & {float(clip):g} & ")
    for name in ("sweep_curves", "sweep_final"):
        for ext in ("pdf", "png"):
            assert (d / f"results/sweep/{name}.{ext}").stat().st_size > 1000
    assert "hyperparameter sweep" in (d / "results/tex/sweep.tex").read_text()
