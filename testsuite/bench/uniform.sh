#!/usr/bin/env bash
# How much of a program's GPU time is divergence: the kernel time of N VMs that each read their own
# input (corpus.tsv) against N VMs that all read one input, so that every lane of a warp takes the
# same path, with the same build (corpus.tsv's heap and options). Each PROGRAM:I names the input all
# VMs get in the second run (input I of the 512; pick one near the program's median length, as the
# two runs' work is compared per Wasm instruction: bench.py's wasm_instructions counts them).
#
#   VMS=65536 bash testsuite/bench/uniform.sh BIN STDIN json:448 sortbench:0
#
# BIN holds vvc and vv-run; STDIN the per-VM inputs of the stdin programs (see bench.py). Prints
# vv-run's summary of both runs and how many different stdouts the uniform run produced (1 when
# every VM did the same work).
set -u
[ $# -ge 3 ] || { sed -n '2,12p' "$0"; exit 2; }
B=$(cd "$1" && pwd); STDIN=$(cd "$2" && pwd); shift 2
VMS=${VMS:-65536}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# shellcheck source=corpus_inputs.sh
. "$(dirname "$0")/corpus_inputs.sh"
cache() { echo "VV_CACHE_DIR=$W/vv-$1 CUDA_CACHE_PATH=$W/cuda-$1 POCL_CACHE_DIR=$W/pocl-$1"; }
# The vv-run flags that give every VM input I of PROGRAM.
same_input() {
  local a; a=$(corpus_field "$1" 3) || return 1
  if [ "$a" = stdin ]; then echo "--stdin $STDIN/$1/$2"; else echo "-- ${a//\{vm\}/$2}"; fi
}

for pi in "$@"; do
  p=${pi%%:*}
  # shellcheck disable=SC2046
  "$B/vvc" build "$ROOT/testsuite/programs/$p.wasm" -o "$W/$p.vvk" --heap-size "$(heap "$p")" --no-cache \
    $(build_options "$p") 2>/dev/null || echo "$p: vvc failed"
  # The device builds (the whole program too) run side by side, before anything is timed.
  # shellcheck disable=SC2046
  ( env $(cache "$p") "$B/vv-run" "$W/$p.vvk" --vms 1 $(same_input "$p" 0) >/dev/null 2>&1 ) &
done
wait
for pi in "$@"; do
  p=${pi%%:*}; i=${pi#*:}
  for mode in own same; do
    if [ $mode = own ]; then in=$(input "$p" "$VMS" "$W" "$STDIN"); else in=$(same_input "$p" "$i"); fi
    # shellcheck disable=SC2046,SC2086
    env $(cache "$p") "$B/vv-run" "$W/$p.vvk" --vms "$VMS" --out-dir "$W/out" $in 2>&1 >/dev/null \
      | grep -E "^vv-run: .*launches|^vv-run: error" | sed "s/^vv-run: /$p $VMS $mode inputs: /"
    [ $mode = same ] && echo "$p $VMS same input $i: $(find "$W/out" -name "*.out" -exec md5sum {} + | cut -d' ' -f1 | sort -u | wc -l) different stdouts"
    rm -rf "$W/out"
  done
done
