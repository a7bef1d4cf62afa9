#!/usr/bin/env bash
# Start a single-node SLURM cluster with job accounting on this machine, as a university cluster
# runs it: munge, a private MariaDB (127.0.0.1:3307, its own data directory), slurmdbd, slurmctld
# and slurmd, from the Debian packages slurmctld slurmd slurm-client munge slurmdbd mariadb-server
# (root; no systemd). The cluster `localcluster` gets the account `rnn` with the calling user
# (the sudo user, else the current one) as a member whose default account it is, so sbatch, sacct,
# sacctmgr and sshare answer as on a real cluster. For testing profiles/slurm; stop it all with
# slurm-local-stop.sh (it stops only what this script started, by the pid files below).
set -euo pipefail
for cmd in slurmctld slurmd slurmdbd sinfo sacctmgr munged mariadbd mariadb-install-db mariadb; do
    command -v "$cmd" >/dev/null || {
        echo "$cmd not found: apt-get install slurmctld slurmd slurm-client munge slurmdbd mariadb-server" >&2
        exit 1
    }
done
host=$(hostname -s)
user=${SUDO_USER:-$(id -un)}
db_dir=/var/lib/slurm-local/mariadb
db_run=/run/slurm-local
mkdir -p /etc/slurm /run/munge /run/slurm /var/spool/slurmd /var/spool/slurmctld /var/log/slurm \
    "$db_dir" "$db_run"

# munge: the credentials every SLURM daemon and command checks
chown munge:munge /run/munge
chmod 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged

wait_for() {  # wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq "$seconds"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 1
    done
    echo "$what did not come up; see /var/log/slurm/" >&2
    exit 1
}

# The node as slurmd sees it (CPUs, sockets, cores, threads, memory), less 1 GB for the system.
node=$(slurmd -C | head -n 1)
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
node=$(sed "s/RealMemory=[0-9]*/RealMemory=$((mem - 1024))/" <<<"$node")
# Accounting as on a real cluster: jobs are stored in slurmdbd (with the comment, where the SLURM
# plugin records the rule), only users with an association may submit, and every job step's CPU
# time and memory are sampled (sacct's TotalCPU and MaxRSS, the plugin's efficiency report), every
# second here so that the tests' jobs of a few seconds get a MaxRSS (real clusters: often 30 s).
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
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageEnforce=associations
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
# Preemption as on clusters with a low-priority partition: a job in partition urgent preempts the
# jobs in debug, which SLURM sends SIGTERM (then SIGKILL after KillWait, 30 s) and requeues.
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
# A requeued job waits for its old credential to expire; 120 s by default, 10 s here for speed.
AuthInfo=cred_expire=10
MailProg=/bin/true
JobCompType=jobcomp/none
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP PriorityTier=1
PartitionName=urgent Nodes=$host MaxTime=INFINITE State=UP PriorityTier=2
CONF

# MariaDB, private to this cluster (--no-defaults: a system MariaDB's settings do not apply)
touch /var/log/slurm/mariadb.log
chown mysql:mysql "$db_dir" "$db_run" /var/log/slurm/mariadb.log
if [ ! -d "$db_dir/mysql" ]; then
    mariadb-install-db --no-defaults --user=mysql --datadir="$db_dir" --skip-test-db \
        --auth-root-authentication-method=socket >/var/log/slurm/mariadb-install.log 2>&1
fi
db() { mariadb --no-defaults --socket="$db_run/mariadb.sock" -u root "$@"; }
if ! db -e "select 1" >/dev/null 2>&1; then
    mariadbd --no-defaults --user=mysql --datadir="$db_dir" --socket="$db_run/mariadb.sock" \
        --pid-file="$db_run/mariadb.pid" --bind-address=127.0.0.1 --port=3307 --skip-name-resolve \
        --innodb-buffer-pool-size=128M --innodb-lock-wait-timeout=900 --log-error=/var/log/slurm/mariadb.log \
        </dev/null >>/var/log/slurm/mariadb.log 2>&1 &
    wait_for 60 MariaDB db -e "select 1"
fi
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
db -e "CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1';
       ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$password';
       GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"

# slurmdbd: the accounting daemon that sacct and sacctmgr talk to
cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3307
StorageUser=slurm
StoragePass=$password
StorageLoc=slurm_acct_db
PidFile=/run/slurm/slurmdbd.pid
LogFile=/var/log/slurm/slurmdbd.log
CONF
chmod 0600 /etc/slurm/slurmdbd.conf
if pgrep -x slurmdbd >/dev/null; then
    kill "$(cat /run/slurm/slurmdbd.pid)"  # it must read the new password
    wait_for 30 "the old slurmdbd's exit" bash -c '! pgrep -x slurmdbd'
fi
slurmdbd
wait_for 60 slurmdbd sacctmgr -n list cluster

# The cluster, its account and the user, before slurmctld registers (sacctmgr -i: no prompt)
[ -n "$(sacctmgr -n list cluster localcluster format=cluster)" ] ||
    sacctmgr -i add cluster localcluster >/dev/null
[ -n "$(sacctmgr -n list account rnn format=account)" ] ||
    sacctmgr -i add account rnn cluster=localcluster description="char-RNN tests" organization=local >/dev/null
[ -n "$(sacctmgr -n list association user="$user" account=rnn format=user)" ] ||
    sacctmgr -i add user "$user" account=rnn cluster=localcluster >/dev/null
sacctmgr -i modify user "$user" set defaultaccount=rnn >/dev/null || true  # "nothing modified": already

# A controller or node daemon from an earlier start (perhaps without accounting) is restarted to
# read the new slurm.conf; jobs survive a restart.
for daemon in slurmctld slurmd; do
    if pgrep -x "$daemon" >/dev/null; then
        kill "$(cat "/run/slurm/$daemon.pid")"
        wait_for 30 "the old $daemon's exit" bash -c "! pgrep -x $daemon"
    fi
    "$daemon"
done
for _ in $(seq 60); do
    state=$(sinfo -h -o %T 2>/dev/null | head -n 1 || true)
    if [ "$state" = "idle" ]; then
        echo "local SLURM is up: node $host idle, accounting in slurmdbd, user $user in account rnn"
        exit 0
    fi
    [ "$state" = "down" ] || [ "$state" = "drained" ] && scontrol update nodename="$host" state=resume 2>/dev/null || true
    sleep 1
done
echo "local SLURM did not become idle (state: ${state:-none}); see /var/log/slurm/" >&2
exit 1
