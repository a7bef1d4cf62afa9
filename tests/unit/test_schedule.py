"""tools/schedule.py: job times read from a Snakemake log, and the wall, floor and idle figures from them."""

import importlib.util
import subprocess
import sys

import pytest

from tests.conftest import ROOT

TOOL = ROOT / "tools" / "schedule.py"
_spec = importlib.util.spec_from_file_location("schedule", TOOL)
schedule = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(schedule)
Job = schedule.Job


def _start(stamp: str, rule: str, jobid: int, local: bool = True, threads: int = 0, kind: str = "rule") -> str:
    return (f"[Mon Nov 30 21:{stamp} 2026]\n{'local' if local else ''}{kind} {rule}:\n    input: a, b\n"
            f"    output: results/{rule}.json\n    log: logs/{rule}.log\n    jobid: {jobid}\n"
            f"    reason: Missing output files: results/{rule}.json\n"
            + (f"    threads: {threads}\n" if threads else "")
            + f"    resources: tmpdir=/tmp\nShell command: python -m rnn {rule}\n\n")


def _end(stamp: str, jobid: int, rule: str) -> str:
    return f"[Mon Nov 30 21:{stamp} 2026]\nFinished jobid: {jobid} (Rule: {rule})\n"


# two cores: compile 0-8 s beside prepare 0-2 s; train 3-44 s (a second after prepare ended) beside train 8-50 s;
# evaluate 44-59 s; a job that failed (its error block has a jobid too) and one killed at the end, neither
# finished; a checkpoint 59-60 s; a rule with a message 60-61 s; bench on both cores 61-64 s; `all` at 64 s.
# Core-seconds 8 + 2 + 41 + 42 + 15 + 1 + 1 + 2 x 3 = 116
LOG = ("Building DAG of jobs...\nProvided cores: 2\nSelect jobs to execute...\n"
       + _start("19:10", "compile", 3) + _start("19:10", "prepare", 4) + _end("19:12", 4, "prepare")
       + _start("19:13", "train", 5, local=False) + _end("19:18", 3, "compile") + _start("19:18", "train", 6)
       + _start("19:20", "gradcheck", 9)
       + "[Mon Nov 30 21:19:25 2026]\nError in rule gradcheck:\n    jobid: 9\n    output: results/table1.tex\n\n"
       + _end("19:54", 5, "train") + _start("19:54", "evaluate", 7) + _end("20:00", 6, "train")
       + _start("20:00", "figures", 8) + _end("20:09", 7, "evaluate")
       + _start("20:09", "sweep", 10, kind="checkpoint") + _end("20:10", 10, "sweep")
       + "[Mon Nov 30 21:20:10 2026]\nJob 11: making the snapshots\n\n" + _end("20:11", 11, "snapshots")
       + _start("20:11", "bench", 12, threads=2) + _end("20:14", 12, "bench")
       + _start("20:14", "all", 0) + _end("20:14", 0, "all") + "Complete log(s): x\n")


def test_jobs_are_read_with_their_start_end_and_threads():
    assert schedule.jobs(LOG) == [
        Job("compile", 0, 8, 1), Job("prepare", 0, 2, 1), Job("train", 3, 44, 1), Job("train", 8, 50, 1),
        Job("evaluate", 44, 59, 1), Job("sweep", 59, 60, 1), Job("snapshots", 60, 61, 1), Job("bench", 61, 64, 2),
        Job("all", 64, 64, 1)]
    assert schedule.finished_lines(LOG) == 9


def test_wall_floor_and_idle_core_seconds():
    s = schedule.summary(schedule.jobs(LOG), cores=2)
    assert s.per_rule == {"compile": 8, "prepare": 2, "train": 83, "evaluate": 15, "sweep": 1, "snapshots": 1,
                          "bench": 6, "all": 0}
    assert (s.core_seconds, s.wall, s.floor, s.idle) == (116, 64, 58, 12)
    assert schedule.summary(schedule.jobs(LOG), cores=1).floor == 116
    # the wall runs from the first start, wherever it is
    assert schedule.summary([Job("a", 5, 9, 1), Job("b", 6, 10, 1)], 2).wall == 5


def _run(*args):
    return subprocess.run([sys.executable, TOOL, *map(str, args)], capture_output=True, text=True)


def test_the_command_prints_the_figures_with_the_logs_cores(tmp_path):
    log = tmp_path / "run.snakemake.log"
    log.write_text(LOG)
    out = _run(log).stdout
    assert f"{log}: wall 64 s; 116 core-seconds on 2 cores: floor 58.0 s, 12 core-seconds idle" in out
    assert "  bench                    61 ->     64 s  (   3 s, 2 threads)" in out
    assert out.index("  train                    83 core-seconds") < out.index("  compile                   8 core")
    assert f"{log}: wall 64 s; 116 core-seconds on 4 cores: floor 29.0 s, 140 core-seconds idle" in _run(
        log, "--cores", "4").stdout


def test_finished_jobs_the_tool_cannot_read_are_counted_in_a_warning(tmp_path):
    log = tmp_path / "run.snakemake.log"
    log.write_text(LOG + "[Mon Nov 30 21:20:15 2026]\nFinished jobid: 99 (Rule: unknown)\n")
    assert "warning: 1 finished jobs of the log were not read" in _run(log).stderr


@pytest.mark.parametrize("text, problem", [
    (_start("19:10", "compile", 3), "no finished job in this log"),
    (_start("19:10", "prepare", 4) + _end("19:12", 4, "prepare"), "the log does not say how many cores"),
    (None, "no such file")])
def test_a_log_it_cannot_use_is_one_line_naming_it(tmp_path, text, problem):
    log = tmp_path / "run.snakemake.log"
    if text is not None:
        log.write_text(text)
    bad = _run(log)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1].startswith(f"schedule.py: error: {log}: {problem}")


@pytest.mark.parametrize("text", ["", "Building DAG of jobs...\n"])
def test_a_log_with_no_job_has_no_jobs(text):
    assert schedule.jobs(text) == []
