"""What the workflow removes once it has succeeded: the checkpoints of finished training runs.

A training job keeps its checkpoint, at the last step, after it has written the run (`train
--keep-checkpoint`). Until Snakemake has recorded the job, the run's files are not safe: a SLURM time
limit enforced a few seconds after the trainer finished marks the job TIMEOUT, and Snakemake deletes
its outputs and submits it again; a Snakemake killed in that moment marks them incomplete. The retry
then resumes at the last step and only writes the files again, where it would have trained from the
start. Once the workflow has succeeded every job in it is recorded, and the checkpoint is litter.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..core import checkpoint
from ..errors import UserError
from ..outputs import RunFiles
from . import sweep


def finished(checkpoint_path, run_dir) -> bool:
    """True when the checkpoint holds the run that `run_dir` holds, at its last step: the same step
    count, and the same seed, settings and text wherever the summary records them."""
    try:
        made_with, scalars = checkpoint.header(checkpoint_path)
        summary = json.loads((Path(run_dir) / RunFiles.summary).read_text())
    except (OSError, ValueError, UserError):  # absent or damaged: left to the trainer, which names it
        return False
    if not isinstance(summary, dict) or scalars.get("step") != summary.get("steps"):
        return False
    return all(made_with[key] == summary[key] for key in made_with.keys() & summary.keys())


def remove_finished_checkpoints(config: dict) -> list[str]:
    """Remove the checkpoint of each run of `config` (its seeds, and its sweep's points) that is finished;
    returns the paths removed. A checkpoint of a run still to be trained, or of other settings, is kept."""
    points = [{}, *sweep.points(config.get("sweep") or {})]
    runs = dict.fromkeys((sweep.checkpoint_path(config, p, seed), sweep.run_dir(config, p, seed))
                         for p in points for seed in config["seeds"])  # a point may be the main run
    removed = []
    for path, run_dir in runs:
        if finished(path, run_dir):
            Path(path).unlink()
            removed.append(path)
    return removed
