#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine (Debian packages slurmctld, slurmd,
# slurm-client, munge; root; no systemd), for testing profiles/slurm. Stop it with
# slurm-local-stop.sh. Without slurmdbd there is no sacct: the test overlay uses squeue.
set -euo pipefail
for cmd in slurmctld slurmd sinfo munged; do
    command -v "$cmd" >/dev/null || { echo "$cmd not found: apt-get install slurmctld slurmd slurm-client munge" >&2; exit 1; }
done
host=$(hostname -s)
mkdir -p /etc/slurm /run/munge /run/slurm /var/spool/slurmd /var/spool/slurmctld /var/log/slurm
chown munge:munge /run/munge
chmod 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged

# The node as slurmd sees it (CPUs, sockets, cores, threads, memory), less 1 GB for the system.
node=$(slurmd -C | head -n 1)
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
node=$(sed "s/RealMemory=[0-9]*/RealMemory=$((mem - 1024))/" <<<"$node")
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=localcluster
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MinJobAge=600
ReturnToService=2
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
JobCompType=jobcomp/none
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 60); do
    state=$(sinfo -h -o %T 2>/dev/null | head -n 1 || true)
    if [ "$state" = "idle" ]; then
        echo "local SLURM is up: node $host idle"
        exit 0
    fi
    [ "$state" = "down" ] || [ "$state" = "drained" ] && scontrol update nodename="$host" state=resume 2>/dev/null || true
    sleep 1
done
echo "local SLURM did not become idle (state: ${state:-none}); see /var/log/slurm/" >&2
exit 1
