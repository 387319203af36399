#!/usr/bin/env bash
# Runs vv-spec as N processes in parallel (shards 0/N .. N-1/N), each with its own device
# compiler: the NVIDIA OpenCL driver builds one program at a time per process. Writes each
# shard's report to OUT_DIR/shard-K.txt and prints the per-suite and overall totals.
#
#   bash testsuite/spec/sharded.sh VV_SPEC_BINARY N OUT_DIR [vv-spec options...]
#
# Keep N x jobs modest (e.g. 8 shards with -j 2): every module gets its own OpenCL context, and
# on an H100 12 shards of 16 jobs ran out of host memory creating them.
set -uo pipefail
BIN=$1 N=$2 OUT=$3
shift 3
mkdir -p "$OUT"
start=$(date +%s)
for ((k = 0; k < N; k++)); do
  "$BIN" --shard "$k/$N" "$@" > "$OUT/shard-$k.txt" 2> "$OUT/shard-$k.err" &
done
status=0
for job in $(jobs -p); do
  wait "$job" || status=1
done
for suite in wasm-v1 wasm-v2; do
  grep -h "^$suite: " "$OUT"/shard-*.txt | awk -v s="$suite" '
    { p += $2; f += $4; k += $6 } END { if (NR) printf "%s: %d passed, %d failed, %d skipped\n", s, p, f, k }'
done
grep -h "^spec: " "$OUT"/shard-*.txt | awk '
  { p += $2; f += $4; k += $6 } END { printf "spec: %d passed, %d failed, %d skipped\n", p, f, k }'
echo "time: $(( $(date +%s) - start )) s, $N processes; exit status of the shards: $status"
exit $status
