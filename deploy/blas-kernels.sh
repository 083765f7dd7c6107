#!/usr/bin/env bash
# sgemm 1024³ GFLOP/s and the sgemm self-check under each OpenBLAS kernel family, side by side in one run:
# `blas-info --json` per family; "auto" = no OPENBLAS_CORETYPE (OpenBLAS or our start-up selection decides);
# "pretend-Prescott" = our re-exec path, as on a CPU that OpenBLAS 0.3.21 does not recognise.
#   swift build -c release --product prunerzero-worker && deploy/blas-kernels.sh [path-to-prunerzero-worker]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-.build/release/prunerzero-worker}
printf 'requested\tcorename\tchosen by\t1 thread\t2 threads\tself-check\n'
for ct in Prescott Haswell SkylakeX Cooperlake auto pretend-Prescott; do
  case $ct in
    auto) env=() ;;
    pretend-Prescott) env=(PRUNERZERO_BLAS_PRETEND_CORENAME=Prescott) ;;
    *) env=(OPENBLAS_CORETYPE=$ct) ;;
  esac
  env -u OPENBLAS_CORETYPE -u PRUNERZERO_BLAS_REEXEC "${env[@]}" "$B" blas-info --json 2>/dev/null | python3 -c "
import json, sys
r = json.load(sys.stdin)
check = ('pass' if r['selfCheckPassed'] else 'FAIL') + ' (%.3fx tol)' % r['selfCheckWorstRatio']
print('\t'.join(['$ct', r['corename'], r['chosenBy'], '%.1f' % r['sgemmGFLOPS']['1'], '%.1f' % r['sgemmGFLOPS']['2'], check]))"
done
