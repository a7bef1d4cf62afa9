"""tools/schedule.py: job times read from a Snakemake log, and the wall, floor and idle figures from them."""

import importlib.util
import subprocess
import sys

import pytest

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("schedule", ROOT / "tools" / "schedule.py")
schedule = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(schedule)


def _start(stamp: str, rule: str, jobid: int, local: bool = True) -> str:
    return (f"[Mon Nov 30 21:{stamp} 2026]\n{'local' if local else ''}rule {rule}:\n    input: a, b\n"
            f"    output: results/{rule}.json\n    log: logs/{rule}.log\n    jobid: {jobid}\n"
            f"    reason: Missing output files: results/{rule}.json\n    resources: tmpdir=/tmp\n"
            f"Shell command: python -m rnn {rule}\n\n")


def _end(stamp: str, jobid: int, rule: str) -> str:
    return f"[Mon Nov 30 21:{stamp} 2026]\nFinished jobid: {jobid} (Rule: {rule})\n"


# two cores: compile 0-8 s beside prepare 0-2 s; train 8-50 s beside train 2-44 s (started when prepare ended);
# evaluate 44-59 s; a job killed at the end (never finished); `all` at 59 s. Job-seconds 8 + 2 + 42 + 42 + 15
LOG = ("Building DAG of jobs...\nSelect jobs to execute...\n"
       + _start("19:10", "compile", 3) + _start("19:10", "prepare", 4) + _end("19:12", 4, "prepare")
       + _start("19:12", "train", 5, local=False) + _end("19:18", 3, "compile") + _start("19:18", "train", 6)
       + _end("19:54", 5, "train") + _start("19:54", "evaluate", 7) + _end("20:00", 6, "train")
       + _start("20:00", "bench", 8) + _end("20:09", 7, "evaluate") + _start("20:09", "all", 0)
       + _end("20:09", 0, "all") + "Complete log(s): x\n")


def test_jobs_are_read_with_their_start_and_end():
    assert schedule.jobs(LOG) == [("compile", 0, 8), ("prepare", 0, 2), ("train", 2, 44), ("train", 8, 50),
                                  ("evaluate", 44, 59), ("all", 59, 59)]


def test_wall_floor_and_idle_core_seconds():
    s = schedule.summary(schedule.jobs(LOG), cores=2)
    assert s["per_rule"] == {"compile": 8, "prepare": 2, "train": 84, "evaluate": 15, "all": 0}
    assert (s["job_seconds"], s["wall"], s["floor"], s["idle"]) == (109, 59, 54.5, 9)
    assert schedule.summary(schedule.jobs(LOG), cores=1)["floor"] == 109


def test_the_command_prints_the_figures_and_refuses_a_log_without_jobs(tmp_path):
    log = tmp_path / "run.snakemake.log"
    log.write_text(LOG)
    out = subprocess.run([sys.executable, ROOT / "tools" / "schedule.py", log], capture_output=True, text=True,
                         check=True).stdout
    assert f"{log}: wall 59 s; 109 job-seconds on 2 cores: floor 54 s, 9 core-seconds idle" in out
    assert "  train                    84 job-seconds" in out
    log.write_text(_start("19:10", "compile", 3))
    bad = subprocess.run([sys.executable, ROOT / "tools" / "schedule.py", log], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1].endswith(f"{log}: no finished job in this log")


@pytest.mark.parametrize("text", ["", "Building DAG of jobs...\n"])
def test_a_log_with_no_job_has_no_jobs(text):
    assert schedule.jobs(text) == []
