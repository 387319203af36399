#!/usr/bin/env bash
# The warp model (warp_model.py) for corpus programs, on any OpenCL device (PoCL is enough): builds
# each program with its corpus.tsv options as one whole program (without --stdout-on-host, whose
# launch ends the model does not see, and with --fuel 16384, so that a launch's lines fit the
# device's printf buffer), runs VMS VMs with `--cl-options=-DVV_TRACE_ROUNDS`, and prints the
# model's table: the share of lanes doing work without picking, and each way of picking lanes
# against that.
#
#   PROGRAMS="json sortbench" VMS=64 bash testsuite/bench/warp_model.sh BIN STDIN
#
# BIN holds vvc and vv-run; STDIN the per-VM inputs of the stdin programs (see build_times.sh).
# PROGRAMS defaults to every corpus program, VMS to 64 (two warps; a few million lines a program).
# TRACES=DIR keeps the traces there.
set -u
[ $# -ge 2 ] || { sed -n '2,14p' "$0"; exit 2; }
B=$(cd "$1" && pwd); STDIN=$(cd "$2" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
PROGRAMS=${PROGRAMS:-$(cut -f1 "$HERE/corpus.tsv" | grep -v '^#')}; VMS=${VMS:-64}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
T=${TRACES:-$W/traces}; mkdir -p "$T"
# shellcheck source=corpus_inputs.sh
. "$HERE/corpus_inputs.sh"
export VV_CACHE_DIR=$W/cache
for p in $PROGRAMS; do
  opts=$(build_options "$p" | sed 's/--stdout-on-host//; s/--warp-gather [a-z]*//')
  # shellcheck disable=SC2086
  "$B/vvc" build "$ROOT/testsuite/programs/$p.wasm" -o "$W/$p.vvk" --heap-size "$(heap "$p")" --partition-lines 0 \
    --fuel 16384 $opts >/dev/null 2> "$W/$p.err" || { echo "$p: vvc failed: $(tail -1 "$W/$p.err")" >&2; continue; }
  # vv-run's exit status says whether every VM exited with 0 (some corpus inputs do not); the trace
  # is what counts.
  # shellcheck disable=SC2046
  "$B/vv-run" "$W/$p.vvk" --vms "$VMS" --cl-options=-DVV_TRACE_ROUNDS --out-dir "$W/out" $(input "$p" "$VMS" "$W" "$STDIN") \
    > "$T/$p.trace" 2> "$W/$p.err"
  [ -s "$T/$p.trace" ] || echo "$p: no trace: $(tail -1 "$W/$p.err")" >&2
done
traces=(); for p in $PROGRAMS; do [ -s "$T/$p.trace" ] && traces+=("$T/$p.trace"); done
[ ${#traces[@]} -gt 0 ] && python3 "$HERE/warp_model.py" "${traces[@]}"
