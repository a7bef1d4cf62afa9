"""What Snakemake ran when, read from its log: whether the schedule or the work itself sets a run's wall time.

    python tools/schedule.py [LOG] [--cores N]

LOG defaults to the newest `.snakemake/log/*.snakemake.log`; N to the log's `Provided cores`. Printed:
every job's start and end (seconds from the first start), the core-seconds of each rule (a job's time
times its threads), and the three figures that answer the question:
- wall: from the first job's start to the last job's end (Snakemake's own start and finish come on top);
- floor: the core-seconds over the cores. No schedule of this work on N cores can finish sooner;
  the dependencies between jobs can only add to it;
- idle: the core-seconds no job held, cores x wall - core-seconds.
The log stamps whole seconds: each job's time is good to a second, the sums to a few.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

_STAMP = re.compile(r"^\s*\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
_RULE = re.compile(r"^\s*(?:local)?(?:rule|checkpoint) (\w+):$")
_JOBID = re.compile(r"^\s+jobid: (\d+)$")
_MESSAGE = re.compile(r"^\s*Job (\d+): ")  # a rule with a `message:` prints this instead of its block
_THREADS = re.compile(r"^\s+threads: (\d+)$")
_FINISHED = re.compile(r"^\s*Finished jobid: (\d+)(?: \(Rule: (\w+)\))?")
_CORES = re.compile(r"^Provided cores: (\d+)$", re.MULTILINE)


class Job(NamedTuple):
    rule: str
    start: float  # seconds from the first job's start
    end: float
    threads: int


class Summary(NamedTuple):
    per_rule: dict  # rule -> core-seconds
    core_seconds: float
    wall: float
    floor: float
    idle: float


def jobs(text: str) -> list[Job]:
    """Every job that finished, in start order. A job that failed or was killed has no end and is left
    out; a job retried is counted from its last attempt's start."""
    stamp = block = None
    started, ends = {}, {}  # jobid -> [rule, start, threads]; jobid -> (end, rule)
    for line in text.splitlines():
        if m := _STAMP.match(line):
            stamp, block = datetime.strptime(m[1], "%a %b %d %H:%M:%S %Y"), None
        elif stamp is None:
            continue
        elif m := _RULE.match(line):
            block = [m[1], stamp, 1]
        elif (m := _JOBID.match(line)) and block is not None:
            started[m[1]] = block
        elif (m := _THREADS.match(line)) and block is not None:
            block[2] = int(m[1])
        elif m := _MESSAGE.match(line):
            started[m[1]] = [None, stamp, 1]
        elif m := _FINISHED.match(line):
            ends[m[1]] = (stamp, m[2])
    done = sorted((start, ends[j][1] or rule or "?", ends[j][0], threads)
                  for j, (rule, start, threads) in started.items() if j in ends)
    if not done:
        return []
    t0 = done[0][0]
    return [Job(rule, (start - t0).total_seconds(), (end - t0).total_seconds(), threads)
            for start, rule, end, threads in done]


def finished_lines(text: str) -> int:
    """How many jobs the log says finished: `jobs()` should have found each."""
    return sum(1 for line in text.splitlines() if _FINISHED.match(line))


def summary(done: list[Job], cores: int) -> Summary:
    """Core-seconds per rule and in all, and the wall, floor and idle core-seconds (module docstring)."""
    per_rule = defaultdict(float)
    for job in done:
        per_rule[job.rule] += (job.end - job.start) * job.threads
    busy = sum(per_rule.values())
    wall = max(job.end for job in done) - min(job.start for job in done)
    return Summary(dict(per_rule), busy, wall, busy / cores, cores * wall - busy)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log", nargs="?", type=Path, help="a Snakemake log (default: the newest of .snakemake/log)")
    ap.add_argument("--cores", type=int, help="the cores the run had (default: the log's `Provided cores`)")
    args = ap.parse_args(argv)
    log = args.log or max(Path(".snakemake/log").glob("*.snakemake.log"), key=lambda p: p.stat().st_mtime,
                          default=None)
    if log is None:
        ap.error("no .snakemake/log/*.snakemake.log here: run from a finished pipeline's directory, or name the log")
    if not log.is_file():
        ap.error(f"{log}: no such file")
    text = log.read_text(encoding="utf-8", errors="replace")
    done = jobs(text)
    if not done:
        ap.error(f"{log}: no finished job in this log")
    cores = args.cores or int((_CORES.search(text) or [None, 0])[1])
    if cores < 1:
        ap.error(f"{log}: the log does not say how many cores the run had: give --cores")
    for job in done:
        threads = f", {job.threads} threads" if job.threads > 1 else ""
        print(f"  {job.rule:20s} {job.start:6.0f} -> {job.end:6.0f} s  ({job.end - job.start:4.0f} s{threads})")
    s = summary(done, cores)
    for rule, seconds in sorted(s.per_rule.items(), key=lambda item: -item[1]):
        print(f"  {rule:20s} {seconds:6.0f} core-seconds")
    missed = finished_lines(text) - len(done)
    if missed:
        print(f"warning: {missed} finished jobs of the log were not read (a job shape this tool does not know); "
              "the figures leave them out", file=sys.stderr)
    print(f"{log}: wall {s.wall:.0f} s; {s.core_seconds:.0f} core-seconds on {cores} cores: floor {s.floor:.1f} s, "
          f"{s.idle:.0f} core-seconds idle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
