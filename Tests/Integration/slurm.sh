#!/usr/bin/env bash
# deploy/slurm/prunerzero.sbatch on a real Slurm (Debian's 22.05): munged, slurmctld and three slurmd, each slurmd
# its own node in its own network namespace, all joined by a bridge.
#
#   slurm.sh --check                       installs Slurm and munge if missing; exit 0 when this test can run here,
#                                          else prints why and exits 77
#   slurm.sh BIN_DIR FIXTURE_MODEL_DIR WORK_DIR
#
# BIN_DIR holds prunerzero-coordinator and prunerzero-worker; FIXTURE_MODEL_DIR is a small Hugging Face LLaMA
# (with calib.bin and eval.bin); WORK_DIR receives the bundle, the Slurm state, the runs and every log. Needs root,
# iproute2 and the packages slurmctld, slurmd, slurm-client and munge (installed here when missing).
#
# Topology (private addresses that exist only inside these namespaces):
#
#     pzs-c-N: bridge pzbr, 10.78.0.1/24 — munged's socket is a file, so every namespace shares it; slurmctld,
#              and the test's sbatch, squeue, scancel
#       ├─veth─ pzs-n1-N 10.78.0.11  slurmd -N pzn1   (the batch step: coordinator + a worker)
#       ├─veth─ pzs-n2-N 10.78.0.12  slurmd -N pzn2   (a worker)
#       └─veth─ pzs-n3-N 10.78.0.13  slurmd -N pzn3   (a worker)
#
# Run 1: the sbatch on three nodes runs a small search to completion.
# Run 2: a larger search, scancel'ed once a few results are in (SIGTERM, then SIGKILL after KillWait), then the
# same sbatch submitted again with the same run directory: it resumes from the journal and finishes.
#
# Also checks the systemd units with `systemd-analyze verify`. Writes WORK_DIR/run{1,2}/run/events.jsonl (checked
# again by SlurmTests), WORK_DIR/run2/cancel.txt ("RESULTS_BEFORE_CANCEL JOB1 JOB2") and logs. Namespaces, daemons
# and jobs are removed whatever happens.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
log() { echo "slurm: $*" >&2; }
skip() { echo "SKIP: $*"; exit 77; }

packages=(slurmctld slurmd slurm-client munge)
check() {
    [ "$(id -u)" -eq 0 ] || skip "Slurm's daemons and network namespaces need root (CI runs as root)"
    command -v ip >/dev/null || skip "ip is missing (apt-get install iproute2)"
    local probe=pzsprobe-$$
    ip netns add "$probe" 2>/dev/null || skip "\`ip netns\` is unavailable (a container needs CAP_SYS_ADMIN)"
    ip netns del "$probe"
    local missing=() p
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        command -v apt-get >/dev/null || skip "${missing[*]} missing and no apt-get"
        log "installing ${missing[*]}"
        # Debian's maintainer scripts start the daemons where systemd runs; policy-rc.d stops that, since this test
        # runs its own with its own configuration.
        local policy=/usr/sbin/policy-rc.d added=""
        if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; added=1; fi
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}"; } > /tmp/pz-slurm-apt.log 2>&1 || {
            [ -z "$added" ] || rm -f "$policy"
            skip "apt-get install ${missing[*]} failed: $(tail -1 /tmp/pz-slurm-apt.log)"; }
        [ -z "$added" ] || rm -f "$policy"
    fi
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null ||
        skip "slurmctld, slurmd or munged is not on PATH after installing"
}
if [ "${1:-}" = "--check" ]; then check; exit 0; fi
check > /dev/null || exit $?

bin=$(cd "$1" && pwd) model=$2 work=$3
mkdir -p "$work"; work=$(cd "$work" && pwd)
tag=$$
C=pzs-c-$tag
nodes=(pzn1 pzn2 pzn3)
pids=()
jobs_submitted=()

# nsenter, not `ip netns exec`: the latter mounts a fresh /sys, without the cgroup file systems that slurmd's cgroup
# plugin insists on reading at start-up even with proctrack/linuxproc and task/none.
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
in_ctl() { in_ns "$C" env SLURM_CONF="$work/slurm/slurm.conf" "$@"; }

cleanup() {
    set +e
    for j in "${jobs_submitted[@]}"; do in_ctl scancel "$j" 2>/dev/null; done
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    sleep 1
    # Whatever is left in our namespaces (slurmstepd, job processes) was started by this script.
    for i in 1 2 3 c; do
        local ns=pzs-n$i-$tag; [ "$i" = c ] && ns=$C
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    done
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    for i in 1 2 3; do ip netns del "pzs-n$i-$tag" 2>/dev/null; done
    ip netns del "$C" 2>/dev/null
}
trap cleanup EXIT INT TERM

# --- the systemd units ---------------------------------------------------------------------------------------------
# verify needs the binaries the units name to exist; it reads the unit files only (systemd need not be PID 1).
if command -v systemd-analyze >/dev/null; then
    units=$work/units; mkdir -p "$units"
    cp "$repo"/deploy/systemd/*.service "$units/"
    # The units run /usr/local/bin/prunerzero-*: verify checks that ExecStart's program exists, so point it here.
    sed -i "s#/usr/local/bin/#$bin/#g" "$units"/*.service
    if ! out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$units"/*.service 2>&1); then
        log "systemd-analyze verify failed:"; echo "$out" >&2; exit 1
    fi
    # verify exits 0 on some warnings; treat any line naming our units as a failure.
    if echo "$out" | grep -q 'prunerzero'; then log "systemd-analyze verify warned:"; echo "$out" >&2; exit 1; fi
    log "systemd-analyze verify: both units clean"
else
    log "systemd-analyze is missing: units not verified"
fi

# --- a small bundle ------------------------------------------------------------------------------------------------
bundle=$work/bundle
if [ ! -f "$bundle/manifest.json" ]; then
    log "calibrating a bundle from $model"
    "$bin/prunerzero-worker" calibrate --model "$model" --data "$model/calib.bin" --nsamples 4 --seqlen 64 --seed 0 \
        --eval-data "$model/eval.bin" --eval-windows 4 --test-data "$model/eval.bin" --test-windows 2 \
        --out "$bundle" > "$work/calibrate.log" 2>&1
fi

# --- namespaces, bridge, munge, slurmctld, slurmd ------------------------------------------------------------------
ip netns add "$C"; ip -n "$C" link set lo up
ip -n "$C" link add pzbr type bridge
ip -n "$C" addr add 10.78.0.1/24 dev pzbr
ip -n "$C" link set pzbr up
for i in 1 2 3; do
    ns=pzs-n$i-$tag
    ip netns add "$ns"; ip -n "$ns" link set lo up
    ip link add "pzs$i-$tag" type veth peer name "pzn$i-$tag"
    ip link set "pzs$i-$tag" netns "$C"; ip link set "pzn$i-$tag" netns "$ns"
    ip -n "$C" link set "pzs$i-$tag" master pzbr; ip -n "$C" link set "pzs$i-$tag" up
    ip -n "$ns" addr add "10.78.0.1$i/24" dev "pzn$i-$tag"; ip -n "$ns" link set "pzn$i-$tag" up
done

s=$work/slurm
mkdir -p "$s/munge" "$s/ctld" "$s/spool"
chmod 755 "$s/munge"  # clients need to reach the socket
head -c 1024 /dev/urandom > "$s/munge/munge.key"; chmod 400 "$s/munge/munge.key"
munged -F --force --socket="$s/munge/socket" --key-file="$s/munge/munge.key" --pid-file="$s/munge/munged.pid" \
    --log-file="$s/munge/munged.log" --seed-file="$s/munge/seed" > "$s/munged.out" 2>&1 &
pids+=($!)

ctl_host=$(hostname -s)  # slurmctld accepts the role only if SlurmctldHost names this host
cat > "$s/slurm.conf" <<EOF
# Generated by Tests/Integration/slurm.sh: no cgroups, no accounting, every path under $s.
ClusterName=pztest
SlurmctldHost=$ctl_host(10.78.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$s/munge/socket
StateSaveLocation=$s/ctld
SlurmdSpoolDir=$s/spool/%n
SlurmctldPidFile=$s/slurmctld.pid
SlurmdPidFile=$s/slurmd-%n.pid
SlurmctldLogFile=$s/slurmctld.log
SlurmdLogFile=$s/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=15
InactiveLimit=0
MinJobAge=600
NodeName=pzn1 NodeAddr=10.78.0.11 CPUs=1 RealMemory=1000 State=UNKNOWN
NodeName=pzn2 NodeAddr=10.78.0.12 CPUs=1 RealMemory=1000 State=UNKNOWN
NodeName=pzn3 NodeAddr=10.78.0.13 CPUs=1 RealMemory=1000 State=UNKNOWN
PartitionName=pz Nodes=pzn[1-3] Default=YES MaxTime=INFINITE State=UP
EOF
in_ns "$C" slurmctld -D -i -f "$s/slurm.conf" > "$s/slurmctld.out" 2>&1 &
pids+=($!)
for i in 1 2 3; do
    mkdir -p "$s/spool/pzn$i"
    in_ns "pzs-n$i-$tag" slurmd -D -N "pzn$i" -f "$s/slurm.conf" > "$s/slurmd-pzn$i.out" 2>&1 &
    pids+=($!)
done
for _ in $(seq 150); do
    idle=$(in_ctl sinfo -h -N -o '%N %t' 2>/dev/null | grep -c ' idle$' || true)
    [ "$idle" = 3 ] && break
    sleep 0.2
done
if [ "$idle" != 3 ]; then
    log "the three nodes did not come up idle:"; in_ctl sinfo -N >&2 || true
    tail -n 5 "$s"/slurmctld.log "$s"/slurmd-*.log >&2 || true
    exit 1
fi
log "Slurm up: $(in_ctl sinfo -h -o '%D nodes %t in %P')"
