#!/usr/bin/env bash
# Build and run variants side by side: each VARIANT is "NAME|VVC_ARGS|CL_OPTIONS[|VVC]" (vvc build
# options, options for the device compiler through vv-run --cl-options, and optionally another
# vvc binary, e.g. one built before a compiler change). Every program is
# built with every variant at once, each in its own process with empty caches (cold build times,
# comparable within one run only), then run at every VM count one run at a time; prints vv-run's
# summary of each run and whether each variant's outputs (stdout, stderr, exit codes of every VM)
# equal the first variant's. Each variant's vvc options are all it gets (corpus.tsv's per-program
# options are not added), so this is how to find which options suit a program.
#
#   PROGRAMS="json sortbench" VMS="16384 65536" bash testsuite/bench/variants.sh BIN STDIN \
#       "default||" "direct|--direct-calls|" "cap64||-cl-nv-maxrregcount=64"
#
# BIN holds vvc and vv-run; STDIN the per-VM inputs of the stdin programs (STDIN/json/0..511, see
# build_times.sh); VM i reads input i % 512. PROGRAMS defaults to "json sortbench nbody", VMS to
# "16384 65536". KEEP=DIR keeps each variant's device binaries (PTX on NVIDIA, from vv's cache) in
# DIR/PROGRAM-VARIANT/ to compare.
set -u
[ $# -ge 3 ] || { sed -n '2,17p' "$0"; exit 2; }
B=$(cd "$1" && pwd); STDIN=$(cd "$2" && pwd); shift 2
VARIANTS=("$@")
PROGRAMS=${PROGRAMS:-json sortbench nbody}; VMS=${VMS:-16384 65536}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d)
keep() {
  [ -n "${KEEP:-}" ] || return 0
  for d in "$W"/vv-*; do
    [ -d "$d/programs" ] || continue
    mkdir -p "$KEEP/${d#"$W"/vv-}" && cp "$d"/programs/* "$KEEP/${d#"$W"/vv-}/"
  done
}
trap 'keep; rm -rf "$W"' EXIT
# shellcheck source=corpus_inputs.sh
. "$(dirname "$0")/corpus_inputs.sh"
largest=0; for n in $VMS; do [ "$n" -gt "$largest" ] && largest=$n; done
field() { local IFS='|'; read -r -a f <<< "$1"; echo "${f[$2]:-}"; }
name() { field "$1" 0; }
vvc_args() { field "$1" 1; }
cl_options() { field "$1" 2; }
vvc_bin() { local b; b=$(field "$1" 3); echo "${b:-$B/vvc}"; }
# Each variant and program has its own caches, so a run loads the binary its cold start built.
cache() { echo "VV_CACHE_DIR=$W/vv-$1-$2 CUDA_CACHE_PATH=$W/cuda-$1-$2 POCL_CACHE_DIR=$W/pocl-$1-$2"; }

for p in $PROGRAMS; do
  for v in "${VARIANTS[@]}"; do
    # shellcheck disable=SC2046
    "$(vvc_bin "$v")" build "$ROOT/testsuite/programs/$p.wasm" -o "$W/$p-$(name "$v").vvk" --heap-size "$(heap "$p")" \
      --no-cache $(vvc_args "$v") 2>/dev/null || echo "$p $(name "$v"): vvc failed"
  done
done
for p in $PROGRAMS; do
  in=$(input "$p" "$largest" "$W" "$STDIN")
  for v in "${VARIANTS[@]}"; do
    # shellcheck disable=SC2046,SC2086
    ( env $(cache "$p" "$(name "$v")") "$B/vv-run" "$W/$p-$(name "$v").vvk" --vms 1 --cl-options="$(cl_options "$v")" $in \
        2>&1 >/dev/null | grep "device binary" | sed "s/^vv-run: /$p $(name "$v"): /; s/, cached at.*//" ) &
  done
done
wait
first=$(name "${VARIANTS[0]}")
for p in $PROGRAMS; do
  in=$(input "$p" "$largest" "$W" "$STDIN")
  for n in $VMS; do
    for v in "${VARIANTS[@]}"; do
      # shellcheck disable=SC2046,SC2086
      env $(cache "$p" "$(name "$v")") "$B/vv-run" "$W/$p-$(name "$v").vvk" --vms "$n" --cl-options="$(cl_options "$v")" \
        --out-dir "$W/out-$(name "$v")" $in 2>&1 >/dev/null | grep -E "^vv-run: .*launches|^vv-run: error" \
        | sed "s/^vv-run: /$p $n $(name "$v"): /"
    done
    for v in "${VARIANTS[@]:1}"; do
      if [ -f "$W/out-$first/status.json" ] && [ -f "$W/out-$(name "$v")/status.json" ]; then
        echo "$p $n $(name "$v"): $(diff -rq "$W/out-$first" "$W/out-$(name "$v")" | wc -l) files differ from $first"
      else
        echo "$p $n $(name "$v"): a run wrote no outputs"
      fi
    done
    rm -rf "$W"/out-*
  done
done
