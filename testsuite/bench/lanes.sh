#!/usr/bin/env bash
# How many lanes of each warp do work (NVIDIA only): builds each program with its corpus.tsv
# options as one whole program, runs VMS VMs with `--cl-options=-DVV_COUNT_LANES` (every loop back
# edge and dispatcher entry counts 1 / the active lanes of its warp) and prints, per program, the
# fuel ticks, the warp issues of them and ticks / (32 x issues): the share of a warp's lanes that
# run a tick, over the whole run. With HOST_STDIN=1 also a row with stdin served by the host
# (VV_HOST_STDIN=1) for the programs that read it. CL_OPTIONS adds device compiler options.
#
#   PROGRAMS="json wordfreq scrypt" VMS=4096 bash testsuite/bench/lanes.sh BIN STDIN
#
# BIN holds vvc and vv-run; STDIN the per-VM inputs of the stdin programs (see build_times.sh).
# Kernel printf output is bounded per launch, so keep VMS at a few thousand.
set -u
[ $# -ge 2 ] || { sed -n '2,12p' "$0"; exit 2; }
B=$(cd "$1" && pwd); STDIN=$(cd "$2" && pwd)
PROGRAMS=${PROGRAMS:-json sortbench wordfreq scrypt}; VMS=${VMS:-4096}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
# shellcheck source=corpus_inputs.sh
. "$(dirname "$0")/corpus_inputs.sh"
export VV_CACHE_DIR=$W/cache CUDA_CACHE_PATH=$W/cuda
for p in $PROGRAMS; do
  # shellcheck disable=SC2046
  "$B/vvc" build "$ROOT/testsuite/programs/$p.wasm" -o "$W/$p.vvk" --heap-size "$(heap "$p")" --partition-lines 0 \
    $(build_options "$p") 2>/dev/null || echo "$p: vvc failed"
done
for p in $PROGRAMS; do   # device builds, all at once
  # shellcheck disable=SC2046,SC2086
  "$B/vv-run" "$W/$p.vvk" --vms 1 --cl-options="-DVV_COUNT_LANES ${CL_OPTIONS:-}" $(input "$p" 1 "$W" "$STDIN") >/dev/null 2>&1 &
done
wait
share() {  # stdin: vv-lanes lines -> "ticks issues share"
  awk '/^vv-lanes vm/ { t += $4; i += $6 } END { if (i > 0) printf "%d ticks, %.0f warp issues, lanes doing work %.3f\n", t, i, t / (32 * i); else print "no counts" }'
}
for p in $PROGRAMS; do
  in=$(input "$p" "$VMS" "$W" "$STDIN")
  # shellcheck disable=SC2086
  echo "$p $VMS: $("$B/vv-run" "$W/$p.vvk" --vms "$VMS" --out-dir "$W/out" --cl-options="-DVV_COUNT_LANES ${CL_OPTIONS:-}" $in 2>/dev/null | share)"
  if [ "${HOST_STDIN:-0}" = 1 ] && [ "${in#--stdin-dir}" != "$in" ]; then
    # shellcheck disable=SC2086
    echo "$p $VMS, stdin by the host: $(VV_HOST_STDIN=1 "$B/vv-run" "$W/$p.vvk" --vms "$VMS" --out-dir "$W/out" \
      --cl-options="-DVV_COUNT_LANES ${CL_OPTIONS:-}" $in 2>/dev/null | share)"
  fi
done
