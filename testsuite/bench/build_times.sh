#!/usr/bin/env bash
# Device build time (cold, then from the binary cache), launches and hypercalls of every corpus
# program, 512 VMs each with the inputs of tests/programs.rs; prints a Markdown table.
#
#   bash testsuite/bench/build_times.sh BIN_DIR STDIN_DIR [VMS]
#
# PROGRAMS="json nbody" limits the run to those programs; VVC_ARGS passes options to vvc build
# (e.g. VVC_ARGS="--partition-lines 0" for one program per bundle, no partitions), VV_RUN_ARGS
# options to vv-run (e.g. VV_RUN_ARGS="--cl-options=-cl-nv-opt-level=2").
# BIN_DIR holds vvc and vv-run; STDIN_DIR the per-VM inputs of the stdin programs
# (`VV_PROGRAMS_WRITE_STDIN=DIR cargo test -p vv-testsuite --test programs -- wordfreq json`).
# "Cold" starts with empty vv and CUDA (NVIDIA driver) caches, so it is a first start on a fresh
# machine: for a program larger than vvc's --partition-lines, on a GPU, that is the build of its
# partitions (in parallel), after which the VMs start while the whole program builds (its time in
# the next column; "-" for a program not split). "Cached" is the next start, which loads the whole
# program's binary from vv's cache and the driver's machine code.
set -euo pipefail
BIN=$(cd "$1" && pwd)
STDIN=$(cd "$2" && pwd)
VMS=${3:-512}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=corpus_inputs.sh
. "$(dirname "$0")/corpus_inputs.sh"

echo "| program | OpenCL C lines | partitions (largest, lines) | build cold (s) | whole program (s) | build cached (s) | launches | hypercalls | kernel (s) | wall (s) | VMs/s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for wasm in "$ROOT"/testsuite/programs/*.wasm; do
  p=$(basename "$wasm" .wasm)
  if [ -n "${PROGRAMS:-}" ] && [[ " $PROGRAMS " != *" $p "* ]]; then continue; fi
  mkdir -p "$WORK/cl-$p"
  # shellcheck disable=SC2086
  "$BIN/vvc" build "$wasm" -o "$WORK/$p.vvk" --emit-cl "$WORK/cl-$p/$p.cl" --no-cache ${VVC_ARGS-$(build_options "$p")} >/dev/null 2>&1
  lines=$(wc -l < "$WORK/cl-$p/$p.cl")
  parts=$(find "$WORK/cl-$p" -name "$p.p*.cl" | wc -l)
  largest=$lines
  if [ "$parts" -gt 0 ]; then
    largest=$(wc -l "$WORK/cl-$p/$p".p*.cl | grep -v ' total$' | sort -n | tail -1 | awk '{print $1}')
  else
    parts=1
  fi
  in=$(input "$p" "$VMS" "$WORK" "$STDIN")
  export VV_CACHE_DIR="$WORK/vv-cache-$p" CUDA_CACHE_PATH="$WORK/cuda-cache-$p" POCL_CACHE_DIR="$WORK/pocl-cache-$p"
  # Some VMs of a program may exit non-zero on purpose (json's broken documents).
  run() { { "$BIN/vv-run" "$WORK/$p.vvk" --vms "$VMS" ${VV_RUN_ARGS:-} --out-dir "$WORK/out-$p" $in 2>&1 >/dev/null || true; } | grep '^vv-run:' || true; }
  cold=$(run)
  cached=$(run)
  num() { sed -n "s|.*$1.*|\\1|p" | head -1; }
  bcold=$(echo "$cold" | num 'built in \([0-9.]*\) s')
  bwhole=$(echo "$cold" | num 'the whole program built in \([0-9.]*\) s')
  bwhole=${bwhole:-$(echo "$cold" | num 'whole program (built in \([0-9.]*\) s) took over')}
  bcached=$(echo "$cached" | num 'loaded in \([0-9.]*\) s')
  launches=$(echo "$cached" | num '[^0-9]\([0-9][0-9]*\) launches')
  hcalls=$(echo "$cached" | num '[^0-9]\([0-9][0-9]*\) hypercalls')
  kernel=$(echo "$cached" | num 'kernel \([0-9.]*\) s')
  wall=$(echo "$cached" | num 'wall \([0-9.]*\) s')
  rate=$(echo "$cached" | num ', \([0-9]*\) VMs/s')
  echo "| $p | $lines | $parts ($largest) | ${bcold:-?} | ${bwhole:--} | ${bcached:-?} | $launches | $hcalls | $kernel | $wall | $rate |"
done
