#!/usr/bin/env bash
# How long a launch waits for its slowest VM, on any OpenCL device (PoCL is fine): runs each
# program (corpus.tsv options, whole program) with `--cl-options=-DVV_COUNT_DISPATCH`, which
# prints every VM's fuel per launch, and prints per program the average fuel of a VM, the sum over
# launches of the largest fuel of the launch, and their ratio: the share of the launches' time in
# which VMs have work, if time followed fuel.
#
#   PROGRAMS="mandelbrot json" VMS=512 bash testsuite/bench/tails.sh BIN STDIN
#
# BIN holds vvc and vv-run; STDIN the per-VM inputs of the stdin programs (see build_times.sh).
# VMS defaults to 512 (each corpus input once).
set -u
[ $# -ge 2 ] || { sed -n '2,11p' "$0"; exit 2; }
B=$(cd "$1" && pwd); STDIN=$(cd "$2" && pwd)
PROGRAMS=${PROGRAMS:-mandelbrot json sortbench wordfreq regex nbody lz77}; VMS=${VMS:-512}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
# shellcheck source=corpus_inputs.sh
. "$(dirname "$0")/corpus_inputs.sh"
export VV_CACHE_DIR=$W/cache POCL_CACHE_DIR=$W/pocl CUDA_CACHE_PATH=$W/cuda
share() {  # stdin: vv-dispatch lines (one per VM and launch, in launch order per VM)
  python3 -c '
import sys, collections
per = collections.defaultdict(list)
for line in sys.stdin:
    if line.startswith("vv-dispatch vm"):
        f = line.split()
        per[int(f[2].rstrip(":"))].append(int(f[5]))
if not per:
    sys.exit("no counts")
mean = sum(map(sum, per.values())) / len(per)
launches = max(map(len, per.values()))
longest = sum(max(v[k] for v in per.values() if len(v) > k) for k in range(launches))
print(f"{len(per)} VMs, {launches} launches, average fuel {mean:.0f}, sum of each launch largest {longest}, share {mean / longest:.3f}")'
}
for p in $PROGRAMS; do
  # shellcheck disable=SC2046
  "$B/vvc" build "$ROOT/testsuite/programs/$p.wasm" -o "$W/$p.vvk" --heap-size "$(heap "$p")" --partition-lines 0 \
    $(build_options "$p") 2>/dev/null || { echo "$p: vvc failed"; continue; }
  # shellcheck disable=SC2046
  echo "$p: $("$B/vv-run" "$W/$p.vvk" --vms "$VMS" --cl-options=-DVV_COUNT_DISPATCH $(input "$p" "$VMS" "$W" "$STDIN") 2>/dev/null | share)"
done
