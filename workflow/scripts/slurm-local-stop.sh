#!/usr/bin/env bash
# Stop the single-node SLURM cluster started by slurm-local-start.sh.
for daemon in slurmd slurmctld munged; do
    pkill -x "$daemon" 2>/dev/null || true
done
for _ in $(seq 20); do
    pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || exit 0
    sleep 0.5
done
pkill -9 -x slurmd 2>/dev/null; pkill -9 -x slurmctld 2>/dev/null
exit 0
