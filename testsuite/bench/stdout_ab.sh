#!/usr/bin/env bash
# Stdout written on the device against every write a hypercall (`vvc build --stdout-on-host`, here
# through `VV_HOST_STDOUT=1` on one bundle): for each program (corpus.tsv options without
# --stdout-on-host, whole program), runs VMS VMs both ways ROUNDS times, alternating, prints
# vv-run's summaries and whether the two ways wrote the same outputs.
#
#   PROGRAMS="imgproc json wordfreq allocstress" VMS=65536 bash testsuite/bench/stdout_ab.sh BIN STDIN
#
# BIN holds vvc and vv-run; STDIN the per-VM inputs of the stdin programs (see build_times.sh).
# PROGRAMS defaults to all of corpus.tsv, VMS to 65536, ROUNDS to 2.
set -u
[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 2; }
B=$(cd "$1" && pwd); STDIN=$(cd "$2" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=corpus_inputs.sh
. "$(dirname "$0")/corpus_inputs.sh"
PROGRAMS=${PROGRAMS:-$(grep -v '^#' "$CORPUS_TSV" | cut -f1)}; VMS=${VMS:-65536}; ROUNDS=${ROUNDS:-2}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
export VV_CACHE_DIR=$W/cache CUDA_CACHE_PATH=$W/cuda
for p in $PROGRAMS; do
  opts=$(build_options "$p" | sed 's/--stdout-on-host//')
  # shellcheck disable=SC2086
  "$B/vvc" build "$ROOT/testsuite/programs/$p.wasm" -o "$W/$p.vvk" --heap-size "$(heap "$p")" --partition-lines 0 \
    $opts 2>/dev/null || echo "$p: vvc failed"
  input "$p" "$VMS" "$W" "$STDIN" >/dev/null
done
for p in $PROGRAMS; do   # device builds, all at once
  # shellcheck disable=SC2046
  "$B/vv-run" "$W/$p.vvk" --vms 1 $(input "$p" 1 "$W" "$STDIN") >/dev/null 2>&1 &
done
wait
for p in $PROGRAMS; do
  in=$(input "$p" "$VMS" "$W" "$STDIN")
  for round in $(seq "$ROUNDS"); do
    for way in device host; do
      out=$W/out-$way
      rm -rf "$out"
      # shellcheck disable=SC2086
      env $([ $way = host ] && echo VV_HOST_STDOUT=1) "$B/vv-run" "$W/$p.vvk" --vms "$VMS" --out-dir "$out" $in 2>&1 >/dev/null \
        | grep -E "launches|error" | sed "s/^vv-run: /$p $VMS $way: /"
    done
    echo "$p $VMS round $round: $(diff -rq "$W/out-device" "$W/out-host" | wc -l) files differ between the two ways"
  done
done
