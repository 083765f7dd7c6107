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
        # Nor at boot: this test runs its own daemons; a node meant to run Slurm configures it and enables them.
        local units=() u
        for u in "${missing[@]}"; do case $u in slurmctld|slurmd|munge) units+=("$u.service") ;; esac; done
        [ ${#units[@]} -eq 0 ] || ! command -v deb-systemd-helper >/dev/null ||
            deb-systemd-helper disable "${units[@]}" 2>/dev/null || true
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
    for _ in $(seq 50); do
        local alive=""
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ -n "$alive" ] || break
        sleep 0.1
    done
    # Whatever is left in our namespaces (slurmstepd, job processes) was started by this script.
    for i in 1 2 3 c; do
        local ns=pzs-n$i-$tag; [ "$i" = c ] && ns=$C
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    done
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && { log "cleanup: $p outlived SIGTERM"; kill -9 "$p"; }; done
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
    # verify exits 0 after warnings (an unknown signal name, a bad Restart= value: "…, ignoring"); any line naming
    # one of our files is a failure.
    if echo "$out" | grep -qF "$units/"; then log "systemd-analyze verify warned:"; echo "$out" >&2; exit 1; fi
    # Every variable a unit reads is set by its example environment file.
    for role in worker coordinator; do
        used=$(grep -v '^#' "$repo/deploy/systemd/prunerzero-$role.service" | grep -o '\$[{]\?PZ_[A-Z_]*' | tr -d '${')
        for v in $(echo "$used" | sort -u); do
            grep -q "^$v=" "$repo/deploy/systemd/$role.env.example" ||
                { log "prunerzero-$role.service reads $v, which $role.env.example does not set"; exit 1; }
        done
    done
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
KillWait=10
InactiveLimit=0
MinJobAge=600
NodeName=pzn1 NodeAddr=10.78.0.11 CPUs=1 RealMemory=1000 State=UNKNOWN
NodeName=pzn2 NodeAddr=10.78.0.12 CPUs=1 RealMemory=1000 State=UNKNOWN
NodeName=pzn3 NodeAddr=10.78.0.13 CPUs=1 RealMemory=1000 State=UNKNOWN
PartitionName=pz Nodes=pzn[1-3] Default=YES MaxTime=INFINITE State=UP
EOF
# Started with nsenter itself (not in_ns, a function, which would run in a subshell), so $! is the daemon.
nsenter --net="/run/netns/$C" slurmctld -D -i -f "$s/slurm.conf" > "$s/slurmctld.out" 2>&1 &
pids+=($!)
for i in 1 2 3; do
    mkdir -p "$s/spool/pzn$i"
    nsenter --net="/run/netns/pzs-n$i-$tag" slurmd -D -N "pzn$i" -f "$s/slurm.conf" > "$s/slurmd-pzn$i.out" 2>&1 &
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

# --- jobs ----------------------------------------------------------------------------------------------------------
# submit DIR CONFIG: the sbatch as a user would submit it, with this machine's sizes (1 CPU per node, no memory
# request) on the command line, which overrides its #SBATCH lines. Prints the job id (the caller records it in
# jobs_submitted, for the clean-up: this runs in a subshell).
submit() {
    local dir=$1 id
    mkdir -p "$dir"
    id=$(in_ctl env PZ_BIN="$bin" PZ_BUNDLE="$bundle" PZ_RUN_DIR="$dir/run" PZ_CONFIG="$2" PZ_PORT=47400 \
        sbatch --parsable --nodes=3 --cpus-per-task=1 --mem=0 --time=10 --chdir="$dir" \
        --output="$dir/slurm-%j.out" "$repo/deploy/slurm/prunerzero.sbatch")
    echo "${id%%;*}"
}
job_state() { in_ctl scontrol -o show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
# wait_job ID SECONDS: until the job has left the nodes; prints its final state.
wait_job() {
    local state=""
    for _ in $(seq $(( $2 * 5 ))); do
        state=$(job_state "$1")
        case $state in
            COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) break ;;
        esac
        sleep 0.2
    done
    # The nodes are free once no process of the job is left (COMPLETING ends).
    for _ in $(seq 150); do
        in_ctl squeue -h -j "$1" -t CG 2>/dev/null | grep -q . || break
        sleep 0.2
    done
    echo "$state"
}
evaluations() { local n; n=$(grep '"type":"result"' "$1" 2>/dev/null | grep -vc '"windows":"test"' || true); echo "${n:-0}"; }
duplicates() { grep '"type":"result"' "$1" | sed 's/.*"job":\([0-9]*\),.*/\1/' | sort | uniq -d | wc -l; }
fail() {
    log "$*"
    for f in "$work"/run*/slurm-*.out; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
    exit 1
}
# check_run JOURNAL BUDGET: finished, evaluations = budget, no job answered twice.
check_run() {
    grep -q '"type":"finished"' "$1" || fail "$1: the search did not finish"
    [ "$(evaluations "$1")" = "$2" ] || fail "$1: $(evaluations "$1") evaluations, budget $2"
    [ "$(duplicates "$1")" = 0 ] || fail "$1: $(duplicates "$1") jobs with two results"
}
config() {  # config FILE BUDGET SEED
    printf '{"bundle": "%s", "budget": %d, "population": 6, "seed": %d, "testTopK": 0}\n' "$bundle" "$2" "$3" > "$1"
}

# --- run 1: one job, to completion ---------------------------------------------------------------------------------
r1=$work/run1
rm -rf "$r1"; mkdir -p "$r1"
config "$r1/config.json" 12 1
started=$(date +%s)
job=$(submit "$r1" "$r1/config.json"); jobs_submitted+=("$job")
log "run 1: job $job submitted"
state=$(wait_job "$job" 240)
[ "$state" = COMPLETED ] || fail "run 1: job $job ended $state"
check_run "$r1/run/events.jsonl" 12
for n in "${nodes[@]}"; do
    grep '"type":"worker_joined"' "$r1/run/events.jsonl" | grep -q "\"worker\":\"$n-$job\"" ||
        fail "run 1: no worker joined from $n"
done
log "run 1: job $job COMPLETED in $(( $(date +%s) - started )) s, 12 evaluations, workers from ${nodes[*]}"

# --- run 2: scancel mid-search, submit again, resumed --------------------------------------------------------------
r2=$work/run2
rm -rf "$r2"; mkdir -p "$r2"
config "$r2/config.json" 24 2
journal=$r2/run/events.jsonl
job1=$(submit "$r2" "$r2/config.json"); jobs_submitted+=("$job1")
log "run 2: job $job1 submitted"
for _ in $(seq 1200); do [ "$(evaluations "$journal")" -ge 6 ] && break; sleep 0.1; done
[ "$(evaluations "$journal")" -ge 6 ] || fail "run 2: no 6 results within 120 s"
in_ctl scancel "$job1"
log "run 2: scancel $job1 after $(evaluations "$journal") evaluations"
state=$(wait_job "$job1" 60)
[ "$state" = CANCELLED ] || fail "run 2: job $job1 ended $state, not CANCELLED"
before=$(evaluations "$journal")
grep -q '"type":"finished"' "$journal" && fail "run 2: the search finished before scancel; raise the budget"
grep -q 'signal 15: stopping' "$r2/run/search.log" || fail "run 2: the coordinator never saw SIGTERM"
cp "$journal" "$r2/journal-at-cancel.jsonl"
log "run 2: job $job1 $state with $before evaluations; the coordinator stopped on SIGTERM"
job2=$(submit "$r2" "$r2/config.json"); jobs_submitted+=("$job2")
log "run 2: job $job2 submitted (same run directory)"
state=$(wait_job "$job2" 240)
[ "$state" = COMPLETED ] || fail "run 2: job $job2 ended $state"
grep -q "^prunerzero.sbatch: .*--resume in" "$r2/slurm-$job2.out" || fail "run 2: job $job2 did not resume"
[ "$(grep -c '"type":"resumed"' "$journal")" = 1 ] || fail "run 2: expected one resumed event"
# The journal up to the cancel is kept byte for byte; then the rest of the budget, no job answered twice.
cmp -s "$r2/journal-at-cancel.jsonl" <(head -c "$(stat -c %s "$r2/journal-at-cancel.jsonl")" "$journal") ||
    fail "run 2: the journal written before scancel changed"
check_run "$journal" 24
echo "$before $job1 $job2" > "$r2/cancel.txt"
log "run 2: resumed as job $job2 and finished: 24 evaluations ($before before scancel), none lost, none twice"
