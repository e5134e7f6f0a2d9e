#!/bin/bash
# Runs a small rcsim campaign on a real single-node Slurm cluster on this machine and checks it.
#
# Run as root on Debian (12 tested, Slurm 22.05): it installs `slurm-wlm` and `munge` with apt-get
# if they are missing, starts munged, slurmctld and slurmd (directly, no systemd needed) on a
# configuration of its own under $RCSIM_SLURM_DIR (default /tmp/rcsim-slurm; /etc/slurm is not
# touched), submits the campaign with submit.sh (fuzz-array.sbatch + merge.sbatch), waits for the
# merge job, runs the same seeds unsharded, and compares the two `results.jsonl` with `cmp`.
# It exits 0 only when they are byte-identical and both runs gave the same verdict.
#
# Idempotent: a key, directory or daemon already there is reused; the daemons this run started
# are stopped when it ends (set RCSIM_SLURM_KEEP=1 to leave them running; a later run reuses them,
# and `local-cluster.sh stop` stops them).
#
# Environment: SEEDS (default 0..200), RCSIM (default <repo>/target/release/rcsim, built with
# `cargo build --release` when absent), RCSIM_SLURM_DIR, RCSIM_SLURM_KEEP, RCSIM_SLURM_TIMEOUT
# (seconds to wait for the jobs, default 1800).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${RCSIM_SLURM_DIR:-/tmp/rcsim-slurm}
seeds=${SEEDS:-0..200}
timeout=${RCSIM_SLURM_TIMEOUT:-1800}
export SLURM_CONF=$dir/slurm.conf

say() { printf '[local-cluster] %s\n' "$*"; }
die() { say "error: $*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts munged, slurmctld, slurmd)"

# --- daemons this run started, stopped on exit ------------------------------------------------
# Each entry is "name pidfile"; a pid is only signalled while it still runs that program.
started=()
stop_started() {
  [ "${RCSIM_SLURM_KEEP:-0}" = 1 ] && return 0
  local i name pidfile pid
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    read -r name pidfile <<<"${started[i]}"
    pid=$(cat "$pidfile" 2>/dev/null) || continue
    [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$name" ] || continue
    say "stopping $name (pid $pid)"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    [ "$name" != munged ] || rm -f "$dir/munged.ours"
  done
}
trap stop_started EXIT

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

mkdir -p "$dir/ctld" "$dir/slurmd"
if [ "${1:-}" = stop ]; then
  RCSIM_SLURM_KEEP=0
  [ ! -f "$dir/munged.ours" ] || started+=("munged /run/munge/munged.pid")
  started+=("slurmctld $dir/slurmctld.pid" "slurmd $dir/slurmd.pid")
  exit 0
fi

# --- packages ---------------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge
fi
say "$(slurmctld -V), $(munged --version 2>&1 | head -n 1)"

# --- the rcsim binary -------------------------------------------------------------------------
if [ -z "${RCSIM:-}" ]; then
  RCSIM=$repo/target/release/rcsim
  [ -x "$RCSIM" ] || (cd "$repo" && cargo build --release)
fi
[ -x "$RCSIM" ] || die "no rcsim binary at $RCSIM"
export RCSIM

# --- munge ------------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  say "creating /etc/munge/munge.key"
  mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
    || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "starting munged"
  runuser -u munge -- munged
  started+=("munged /run/munge/munged.pid")
  touch "$dir/munged.ours"
  munge -n | unmunge >/dev/null || die "munge does not work (see /var/log/munge/munged.log)"
fi

# --- slurm.conf -------------------------------------------------------------------------------
node=$(slurmd -C | head -n 1) # NodeName=<host> CPUs=... RealMemory=... as slurmd sees them
host=$(hostname -s)
cat >"$dir/slurm.conf.new" <<EOF
# Written by deploy/slurm/local-cluster.sh: a single-node trial cluster, no accounting.
ClusterName=rcsim-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/slurmd
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
$node State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
if cmp -s "$dir/slurm.conf.new" "$dir/slurm.conf"; then
  rm "$dir/slurm.conf.new"
else
  mv "$dir/slurm.conf.new" "$dir/slurm.conf"
  say "wrote $dir/slurm.conf"
  if alive "$dir/slurmctld.pid"; then scontrol reconfigure; fi
fi

# --- slurmctld and slurmd ---------------------------------------------------------------------
if ! alive "$dir/slurmctld.pid"; then
  say "starting slurmctld"
  slurmctld -f "$SLURM_CONF"
  started+=("slurmctld $dir/slurmctld.pid")
fi
if ! alive "$dir/slurmd.pid"; then
  say "starting slurmd"
  slurmd -f "$SLURM_CONF"
  started+=("slurmd $dir/slurmd.pid")
fi
nodename=${node#NodeName=}
nodename=${nodename%% *}
for _ in $(seq 60); do
  state=$(sinfo -h -n "$nodename" -o %t 2>/dev/null || true)
  case $state in idle | mix | alloc) break ;; esac
  case $state in down* | drain*) scontrol update NodeName="$nodename" State=RESUME || true ;; esac
  sleep 1
done
sinfo
case $state in idle | mix | alloc) ;; *) die "node $nodename is '$state', not idle (see $dir/*.log)" ;; esac

# --- the campaign on Slurm --------------------------------------------------------------------
work=$dir/run
rm -rf "$work"
mkdir -p "$work"
cd "$work"
export CAMPAIGN_DIR=$work/campaign SEEDS=$seeds
say "submitting seeds $seeds with $here/submit.sh (RCSIM=$RCSIM)"
out=$(sh "$here/submit.sh")
echo "$out"
merge=$(echo "$out" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
[ -n "$merge" ] || die "no merge job id in submit.sh's output"

waited=0
while squeue -h -j "$merge" 2>/dev/null | grep -q .; do
  [ "$waited" -lt "$timeout" ] || die "merge job $merge not done after ${timeout}s"
  sleep 2
  waited=$((waited + 2))
done
info=$(scontrol -o show job "$merge")
jobstate=$(echo "$info" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
exitcode=$(echo "$info" | sed -n 's/.* ExitCode=\([0-9]*\):.*/\1/p')
say "array and merge done after ${waited}s; merge job $merge: $jobstate, exit code $exitcode"
for f in rcsim-fuzz-*.log rcsim-merge-*.log; do
  say "--- $f"
  cat "$f"
done

# --- the same seeds, unsharded, and the comparison --------------------------------------------
say "running the same seeds unsharded: $RCSIM fuzz --seeds $seeds --out $work/whole"
set +e
"$RCSIM" fuzz --seeds "$seeds" --out "$work/whole"
whole=$?
set -e
[ "$whole" -le 1 ] || die "the unsharded run exited $whole"
if ! cmp "$work/campaign/merged/results.jsonl" "$work/whole/results.jsonl"; then
  say "FAIL: the merged results.jsonl differs from the unsharded one"
  exit 1
fi
if [ "$exitcode" != "$whole" ]; then
  say "FAIL: the merge job exited $exitcode, the unsharded run $whole"
  exit 1
fi
say "OK: merged results.jsonl ($(wc -l <"$work/whole/results.jsonl") seeds) is byte-identical to the unsharded run; both exited $whole"
