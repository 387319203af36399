#!/usr/bin/env bash
# Two vv-run binaries side by side on the same bundles, cached device binaries and inputs: each
# run's summary (kernel, transfer, host-call seconds), the rounds of the second one (VV_TRACE)
# and whether every VM's stdout, stderr and exit code agree between the two.
#
#   bash testsuite/bench/compare_runs.sh OLD_VV_RUN NEW_VV_RUN VVC STDIN_DIR [VMS] [PROGRAMS]
#
# STDIN_DIR holds the per-VM inputs of the stdin programs (STDIN_DIR/json/0..511, see
# build_times.sh); VM i reads input i % 512. VMS defaults to 65536, PROGRAMS to "wordfreq json".
set -u
OLD=$(realpath "$1"); NEW=$(realpath "$2"); VVC=$(realpath "$3"); STDIN=$(cd "$4" && pwd)
VMS=${5:-65536}; PROGRAMS=${6:-wordfreq json}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
export VV_CACHE_DIR=$W/vv-cache
# shellcheck source=corpus_inputs.sh
. "$(dirname "$0")/corpus_inputs.sh"
for p in $PROGRAMS; do
  "$VVC" build "$ROOT/testsuite/programs/$p.wasm" -o "$W/$p.vvk" --heap-size "$(heap "$p")" $(build_options "$p") 2>/dev/null
  in=$(input "$p" "$VMS" "$W" "$STDIN")
  "$OLD" "$W/$p.vvk" --vms 1 $in 2>&1 >/dev/null | grep "device binary" | sed "s/^/$p: /; s/, cached at.*//"
  for v in OLD NEW; do
    bin=$OLD; [ $v = NEW ] && bin=$NEW
    VV_TRACE=1 "$bin" "$W/$p.vvk" --vms "$VMS" --out-dir "$W/out-$v" $in 2>"$W/err" >/dev/null
    [ $v = NEW ] && grep "round of" "$W/err"
    grep -E "^vv-run: .*launches" "$W/err" | sed "s/^/$p $v: /"
  done
  if [ -f "$W/out-OLD/status.json" ] && [ -f "$W/out-NEW/status.json" ]; then
    echo "$p: $(diff -rq "$W/out-OLD" "$W/out-NEW" | wc -l) files differ"
  else
    echo "$p: a run wrote no outputs"; tail -3 "$W/err"
  fi
  rm -rf "$W/out-OLD" "$W/out-NEW"
done
