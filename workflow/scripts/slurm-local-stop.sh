#!/usr/bin/env bash
# Stop the single-node SLURM cluster started by slurm-local-start.sh: its daemons, by the pid
# files they were started with, node first and database last. Leaves nothing of it running.
stop() {  # stop NAME PIDFILE: SIGTERM, up to 30 s to exit, then SIGKILL
    local name=$1 pidfile=$2 pid
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 0  # not running (stale pid file)
    kill "$pid" 2>/dev/null
    for _ in $(seq 60); do
        [ -d "/proc/$pid" ] || return 0
        sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
}
# Jobs still queued or running are cancelled first, so that no job step outlives slurmd.
jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
if [ -n "${jobs// /}" ]; then
    # shellcheck disable=SC2086
    scancel $jobs 2>/dev/null
    for _ in $(seq 30); do
        [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
        sleep 1
    done
fi
stop slurmd /run/slurm/slurmd.pid
stop slurmctld /run/slurm/slurmctld.pid
stop slurmdbd /run/slurm/slurmdbd.pid
stop mariadbd /run/slurm-local/mariadb.pid
stop munged /run/munge/munged.pid
exit 0
