#!/usr/bin/env bash
# Build knobs at many VMs on a GPU: register use (NVIDIA's -cl-nv-verbose report), register cap,
# interleave and work-group size; prints vv-run's summary line of each run (kernel seconds).
#
#   bash testsuite/bench/knobs.sh BIN_DIR STDIN_DIR
#
# BIN_DIR holds vvc, vv-run and clbuild (`cargo build --release --examples -p vv-loader`);
# STDIN_DIR the per-VM inputs of the stdin programs (see build_times.sh). Builds of all variants
# run in parallel processes first (their times are not comparable), then runs one at a time.
set -u
B=$(cd "$1" && pwd); STDIN=$(cd "$2" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
export VV_CACHE_DIR=$W/vv-cache CUDA_CACHE_PATH=$W/cuda-cache
VARIANTS=("i1:" "i1:-cl-nv-maxrregcount=64" "i4:" "i4:-cl-nv-maxrregcount=64")
# shellcheck source=corpus_inputs.sh
. "$(dirname "$0")/corpus_inputs.sh"
for p in pbkdf2 sortbench json; do for il in 1 4; do
  "$B/vvc" build "$ROOT/testsuite/programs/$p.wasm" -o "$W/$p-i$il.vvk" --heap-size 768KiB --interleave $il \
    --emit-cl "$W/$p-i$il.cl" --no-cache 2>/dev/null
done; done
for p in pbkdf2 sortbench json; do
  for v in "${VARIANTS[@]}"; do
    ( "$B/vv-run" "$W/$p-${v%%:*}.vvk" --vms 1 --cl-options="${v#*:} -DVV_KNOB" >/dev/null 2>&1 || true ) &
  done
done
for p in pbkdf2 json; do
  ( "$B/clbuild" --log --options "-cl-fp32-correctly-rounded-divide-sqrt -cl-nv-verbose" "$W/$p-i1.cl" > "$W/log-$p.txt" 2>&1 ) &
done
wait
for p in pbkdf2 json; do echo "$p: run kernel $(grep -A4 "entry function 'vv_run'" "$W/log-$p.txt" | grep -o 'Used [0-9]* registers')"; done
run() { # PROGRAM VARIANT OPTIONS VMS [vv-run flags]
  local p=$1 il=$2 o=$3 n=$4; shift 4
  local in; in=$(input "$p" "$n" "$W" "$STDIN")
  echo "$p $il [$o] $n $* :: $("$B/vv-run" "$W/$p-$il.vvk" --vms "$n" --cl-options="$o -DVV_KNOB" "$@" $in 2>&1 >/dev/null | grep -E '^vv-run: .*kernel')"
}
for v in "${VARIANTS[@]}"; do run pbkdf2 "${v%%:*}" "${v#*:}" 65536; done
for ls in 32 128 256; do run pbkdf2 i1 "" 65536 --local-size $ls; done
for v in "${VARIANTS[@]}"; do run sortbench "${v%%:*}" "${v#*:}" 32768; done
for v in "${VARIANTS[@]}"; do run json "${v%%:*}" "${v#*:}" 16384; done
