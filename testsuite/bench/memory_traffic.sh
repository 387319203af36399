#!/usr/bin/env bash
# How much linear memory each corpus program touches a run (any device, PoCL included: the counts
# do not depend on it): builds each program with its corpus.tsv options as one whole program, runs
# VMS VMs with `--cl-options=-DVV_COUNT_MEMORY` (every access to a VM's linear memory counts, with
# its bytes: Wasm loads and stores, bulk memory and WASI copies a byte an access; not the call
# stack) and prints, per program, the mean accesses and bytes a run, and bytes an access.
#
#   PROGRAMS="json wordfreq" VMS=64 bash testsuite/bench/memory_traffic.sh BIN STDIN
#
# BIN holds vvc and vv-run; STDIN the per-VM inputs of the stdin programs (see build_times.sh).
# VM i gets input i (i % 512 for stdin), as in the bench.
set -u
[ $# -ge 2 ] || { sed -n '2,11p' "$0"; exit 2; }
B=$(cd "$1" && pwd); STDIN=$(cd "$2" && pwd)
PROGRAMS=${PROGRAMS:-allocstress imgproc json lz77 mandelbrot nbody pbkdf2 regex scrypt sortbench wordfreq}; VMS=${VMS:-64}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
# shellcheck source=corpus_inputs.sh
. "$(dirname "$0")/corpus_inputs.sh"
export VV_CACHE_DIR=$W/cache
for p in $PROGRAMS; do
  # shellcheck disable=SC2046
  "$B/vvc" build "$ROOT/testsuite/programs/$p.wasm" -o "$W/$p.vvk" --heap-size "$(heap "$p")" --partition-lines 0 \
    $(build_options "$p") 2>/dev/null || { echo "$p: vvc failed"; continue; }
  # shellcheck disable=SC2046
  "$B/vv-run" "$W/$p.vvk" --vms "$VMS" --out-dir "$W/out" --cl-options=-DVV_COUNT_MEMORY $(input "$p" "$VMS" "$W" "$STDIN") 2>/dev/null |
    awk -v p="$p" -v n="$VMS" '/^vv-memory vm/ { a += $4; b += $6 }
      END { if (a > 0) printf "%s: %.0f accesses, %.0f bytes a run, %.2f bytes an access (%d VMs)\n", p, a / n, b / n, b / a, n; else print p ": no counts" }'
done
