#!/usr/bin/env bash
# Fault test: kill -9 workers (several times) and the coordinator (once, then --resume) during a search, and
# report evaluations lost, duplicated, and the wall-time overhead against the same search without faults.
#
#   killtest.sh BIN_DIR BUNDLE_DIR WORK_DIR [BUDGET] [WORKERS] [WORKER_KILLS] [clean|noclean]
#
# BUNDLE_DIR may also be a small model directory (with calib.bin and eval.bin): it is calibrated into WORK_DIR.
# `noclean` skips the run without faults (no overhead figure; what the CI test does).
# Single host (tcp loopback) with the cluster secret; workers are separate processes (as on a cluster), restarted
# with the same id after each kill (as systemd or a Slurm step would). Leases 6 s, heartbeats 2 s.
# Prints one summary line per run and a final "killtest:" line with the numbers.
set -euo pipefail
bin=$1 bundle=$2 work=$3 budget=${4:-30} workers=${5:-3} kills=${6:-4} baseline=${7:-clean}
port=$((10000 + $$ % 22000))  # below the ephemeral range (32768+), where client sockets never sit
address=tcp://127.0.0.1:$port
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
log() { echo "killtest: $*" >&2; }
now() { date +%s.%N; }

mkdir -p "$work"
if [ ! -f "$bundle/manifest.json" ] && [ -f "$bundle/config.json" ]; then
    model=$bundle bundle=$work/bundle
    "$bin/prunerzero-worker" calibrate --model "$model" --data "$model/calib.bin" --nsamples 4 --seqlen 64 --seed 0 \
        --eval-data "$model/eval.bin" --eval-windows 4 --test-data "$model/eval.bin" --test-windows 2 \
        --out "$bundle" --force > "$work/calibrate.log" 2>&1
fi
secret=$work/secret
( umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$secret" )
config() {  # config RUN_DIR
    printf '{"bundle": "%s", "budget": %d, "population": 8, "seed": 3, "leaseSeconds": 6, "heartbeatSeconds": 2,
      "testTopK": 0, "listen": "%s"}\n' "$bundle" "$budget" "$address" > "$1.json"
}

declare -A worker_pid
start_worker() {  # start_worker ID LOG
    "$bin/prunerzero-worker" serve --connect "$address" --bundle "$bundle" --id "$1" --threads 1 \
        --secret-file "$secret" --reply-timeout 5 >> "$2" 2>&1 &
    worker_pid[$1]=$!
    pids+=($!)
}
start_coordinator() {  # start_coordinator RUN_DIR ARGS...
    local dir=$1; shift
    "$bin/prunerzero-coordinator" search --run-dir "$dir" --secret-file "$secret" "$@" >> "$dir.log" 2>&1 &
    coordinator=$!
    pids+=($!)
}
evaluations() { local n; n=$(grep '"type":"result"' "$1" 2>/dev/null | grep -vc '"windows":"test"' || true); echo "${n:-0}"; }
duplicates() { grep '"type":"result"' "$1" | sed 's/.*"job":\([0-9]*\),.*/\1/' | sort | uniq -d | wc -l; }
finished() { grep -q '"type":"finished"' "$1" 2>/dev/null; }
wait_finished() {  # wait_finished JOURNAL: until the journal says finished and the coordinator exited
    for _ in $(seq 12000); do
        if finished "$1" && ! kill -0 "$coordinator" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    log "no finish within 20 minutes"; exit 1
}
stop_workers() { for id in "${!worker_pid[@]}"; do kill -9 "${worker_pid[$id]}" 2>/dev/null || true; done; sleep 0.5; }

run() {  # run NAME FAULTS(0|1) → prints seconds
    local dir=$work/$1 faults=$2
    rm -rf "$dir" "$dir.log"; config "$dir"
    local started; started=$(now)
    start_coordinator "$dir" --config "$dir.json"
    for k in $(seq "$workers"); do start_worker "w$k" "$dir.w$k.log"; done
    local journal=$dir/events.jsonl
    if [ "$faults" = 1 ]; then
        local step=$(( budget / (kills + 2) )); [ $step -ge 1 ] || step=1
        local killed=0 coordinator_killed=0 target=$step
        while ! finished "$journal"; do
            local done_; done_=$(evaluations "$journal")
            if [ "$done_" -ge "$target" ]; then
                if [ $coordinator_killed = 0 ] && [ $killed -ge $((kills / 2)) ]; then
                    kill -9 "$coordinator" 2>/dev/null || true; coordinator_killed=1
                    log "kill -9 coordinator at $done_ evaluations; resuming"
                    sleep 1
                    start_coordinator "$dir" --resume
                elif [ $killed -lt "$kills" ]; then
                    local victim=w$(( RANDOM % workers + 1 ))
                    kill -9 "${worker_pid[$victim]}" 2>/dev/null || true; killed=$((killed + 1))
                    log "kill -9 $victim at $done_ evaluations (kill $killed/$kills); restarting it"
                    sleep 0.5
                    start_worker "$victim" "$dir.$victim.log"
                fi
                target=$((target + step))
            fi
            kill -0 "$coordinator" 2>/dev/null || finished "$journal" || { log "the coordinator died"; exit 1; }
            sleep 0.1
        done
    fi
    wait_finished "$journal"
    stop_workers
    awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

clean=""
if [ "$baseline" = clean ]; then
    clean=$(run clean 0)
    log "clean run: $(evaluations "$work/clean/events.jsonl") evaluations in $clean s"
fi
faulty=$(run faulty 1)
journal=$work/faulty/events.jsonl
got=$(evaluations "$journal") dup=$(duplicates "$journal")
# Jobs handed out again because their worker died (work thrown away, not evaluations lost).
reissued=$(grep '"type":"dispatch"' "$journal" | grep -vc '"attempt":1,' || true)
lost=$((budget - got)); [ $lost -ge 0 ] || lost=0
extra=$((got > budget ? got - budget : 0))
overhead="not measured (noclean)"
[ -z "$clean" ] || overhead=$(awk -v a="$clean" -v b="$faulty" 'BEGIN { printf "%.1f s (%.0f%%)", b - a, 100 * (b - a) / a }')
echo "killtest: budget $budget, $workers workers, $kills worker kill -9s + 1 coordinator kill -9/--resume:" \
     "evaluations $got, lost $lost, duplicated $dup, over budget $extra, jobs re-issued $reissued;" \
     "wall ${clean:-?} s clean, $faulty s faulty," \
     "overhead $overhead"
[ "$lost" = 0 ] && [ "$dup" = 0 ] && [ "$extra" = 0 ]
