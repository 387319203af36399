#!/usr/bin/env bash
# VMs in slots (`vv-run --resident`) against all VMs at once: for each program (corpus.tsv
# options, whole program), runs 65536 VMs at once, then RUNS VMs through 65536 slots, then the
# same with the bundle built with `--fuel FUEL` (shorter launches), and prints vv-run's summaries.
#
#   PROGRAMS="mandelbrot regex" RUNS=262144 FUEL=65536 bash testsuite/bench/slots.sh BIN STDIN
#
# BIN holds vvc and vv-run; STDIN the per-VM inputs of the stdin programs (see build_times.sh).
# SLOTS changes the 65536.
set -u
[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 2; }
B=$(cd "$1" && pwd); STDIN=$(cd "$2" && pwd)
PROGRAMS=${PROGRAMS:-mandelbrot regex}; RUNS=${RUNS:-262144}; FUEL=${FUEL:-65536}; SLOTS=${SLOTS:-65536}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
# shellcheck source=corpus_inputs.sh
. "$(dirname "$0")/corpus_inputs.sh"
export VV_CACHE_DIR=$W/cache CUDA_CACHE_PATH=$W/cuda
for p in $PROGRAMS; do
  for v in all:"" fuel:"--fuel $FUEL"; do
    # shellcheck disable=SC2046,SC2086
    "$B/vvc" build "$ROOT/testsuite/programs/$p.wasm" -o "$W/$p-${v%%:*}.vvk" --heap-size "$(heap "$p")" \
      --partition-lines 0 $(build_options "$p") ${v#*:} 2>/dev/null || echo "$p ${v%%:*}: vvc failed"
  done
  input "$p" "$RUNS" "$W" "$STDIN" >/dev/null
done
for f in "$W"/*.vvk; do   # device builds, all at once
  p=$(basename "$f" .vvk); p=${p%-*}
  # shellcheck disable=SC2046
  "$B/vv-run" "$f" --vms 1 $(input "$p" 1 "$W" "$STDIN") >/dev/null 2>&1 &
done
wait
for p in $PROGRAMS; do
  in=$(input "$p" "$RUNS" "$W" "$STDIN")
  for run in "all $SLOTS" "all $RUNS --resident $SLOTS" "fuel $RUNS --resident $SLOTS"; do
    # shellcheck disable=SC2086
    set -- $run
    b=$1; shift
    # shellcheck disable=SC2086
    "$B/vv-run" "$W/$p-$b.vvk" --vms "$@" $in 2>&1 >/dev/null | grep -E "VMs:|launches|error" | sed "s/^vv-run: /$p $b $* : /"
  done
done
