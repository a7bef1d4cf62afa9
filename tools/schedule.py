"""What Snakemake ran when, read from its log: whether the schedule or the work itself sets a run's wall time.

    python tools/schedule.py [LOG] [--cores 2]

LOG defaults to the newest `.snakemake/log/*.snakemake.log`. Printed: every job's start and end (seconds
from the first start), the job-seconds of each rule, and the three figures that answer the question:
- wall: from the first job's start to the last job's end;
- floor: the job-seconds over the cores, the least wall time any schedule of this work could take
  (each job here runs on one core);
- idle: the core-seconds no job used, cores x wall - job-seconds.
The log stamps whole seconds, so each job's time is good to about a second.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
_RULE = re.compile(r"^(?:local)?rule (\w+):$")
_JOBID = re.compile(r"^\s+jobid: (\d+)$")
_FINISHED = re.compile(r"^Finished jobid: (\d+)")


def jobs(text: str) -> list[tuple[str, float, float]]:
    """(rule, start, end) of every job that finished, in start order, in seconds from the first start."""
    stamp = rule = None
    starts, ends = {}, {}
    for line in text.splitlines():
        if m := _STAMP.match(line):
            stamp, rule = datetime.strptime(m[1], "%a %b %d %H:%M:%S %Y"), None
        elif (m := _RULE.match(line)) and stamp is not None:
            rule = m[1]
        elif (m := _JOBID.match(line)) and rule is not None:
            starts[m[1]], rule = (rule, stamp), None
        elif (m := _FINISHED.match(line)) and stamp is not None:
            ends[m[1]] = stamp
    done = sorted((start, rule, ends[j]) for j, (rule, start) in starts.items() if j in ends)
    if not done:
        return []
    t0 = done[0][0]
    return [(rule, (start - t0).total_seconds(), (end - t0).total_seconds()) for start, rule, end in done]


def summary(done: list[tuple[str, float, float]], cores: int) -> dict:
    """Job-seconds per rule and in all, and the wall, floor and idle core-seconds (module docstring)."""
    per_rule = defaultdict(float)
    for rule, start, end in done:
        per_rule[rule] += end - start
    busy = sum(per_rule.values())
    wall = max(end for _, _, end in done) - min(start for _, start, _ in done)
    return {"per_rule": dict(per_rule), "job_seconds": busy, "wall": wall, "floor": busy / cores,
            "idle": cores * wall - busy}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log", nargs="?", type=Path, help="a Snakemake log (default: the newest of .snakemake/log)")
    ap.add_argument("--cores", type=int, default=2)
    a = ap.parse_args(argv)
    log = a.log or max(Path(".snakemake/log").glob("*.snakemake.log"), key=lambda p: p.stat().st_mtime, default=None)
    if log is None:
        ap.error("no .snakemake/log/*.snakemake.log here: run from a finished pipeline's directory, or name the log")
    done = jobs(log.read_text(encoding="utf-8", errors="replace"))
    if not done:
        ap.error(f"{log}: no finished job in this log")
    for rule, start, end in done:
        print(f"  {rule:20s} {start:6.0f} -> {end:6.0f} s  ({end - start:4.0f} s)")
    s = summary(done, a.cores)
    for rule, seconds in sorted(s["per_rule"].items(), key=lambda item: -item[1]):
        print(f"  {rule:20s} {seconds:6.0f} job-seconds")
    print(f"{log}: wall {s['wall']:.0f} s; {s['job_seconds']:.0f} job-seconds on {a.cores} cores: floor "
          f"{s['floor']:.0f} s, {s['idle']:.0f} core-seconds idle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
