"""What the workflow removes once it has succeeded: the checkpoints its training jobs kept.

A training job keeps its checkpoint, at the last step, after it has written the run (`train
--keep-checkpoint`). Until Snakemake has recorded the job, the run's files are not safe: a SLURM time
limit enforced a few seconds after the trainer finished marks the job TIMEOUT, and Snakemake deletes
its outputs and submits it again; a Snakemake killed in that moment marks them incomplete. The retry
then resumes at the last step and only writes the files again, where it would have trained from the
start. Once a run of the workflow has succeeded, Snakemake has recorded each of its training jobs, and
their checkpoints are litter; the checkpoints of runs outside it are left alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..core import checkpoint
from ..errors import UserError
from ..outputs import CHECKPOINT
from ..reporting.results import read_summary


def holds_the_recorded_run(checkpoint_path, run_dir, code_sha256: str) -> bool:
    """True when the checkpoint is the last step of the run that `run_dir` holds: made by this code,
    with the same step count, cell, settings, seed and text wherever the summary records them."""
    try:
        made_with, scalars = checkpoint.header(checkpoint_path)
        summary = read_summary(run_dir)
    except UserError:  # absent or damaged: left to the trainer, which names it
        return False
    recorded = {**summary, "cell": summary.get("cell", "rnn"), "code_sha256": code_sha256}  # an RNN's names no cell
    return scalars.get("step") == summary["steps"] and all(
        made_with.get(key) == recorded[key]
        for key in ("cell", "code_sha256", *(made_with.keys() & summary.keys())))


def remove_finished_checkpoints(runs, code_sha256: str) -> list[str]:
    """Remove the checkpoint of each (checkpoint, run directory) of the training jobs that a successful
    run of the workflow has recorded, where it holds that run (and empty directories of sweep points);
    returns the paths removed. Anything else is kept."""
    root = Path(CHECKPOINT).parent.resolve()
    removed = []
    for path, run_dir in dict.fromkeys(runs):
        if not holds_the_recorded_run(path, run_dir, code_sha256):
            continue
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as exc:  # the others are still removed; this one is named
            print(f"warning: {path} was not removed ({exc}); it is resumed only by its own run", file=sys.stderr)
            continue
        removed.append(str(path))
        for parent in Path(path).resolve().parents:  # results/checkpoints/sweep/<point>/...: gone when empty
            if parent == root or root not in parent.parents:
                break
            try:
                parent.rmdir()
            except OSError:  # not empty (another seed's), or gone
                break
    return removed
