#!/usr/bin/env bash
# Multi-device scaling on a host with several GPUs: each program on 1 GPU and on all GPUs, the
# same VMs and seed (outputs must be identical), then all GPUs with twice the VMs.
set -u
B=${B:-.device-bin}
export VV_CACHE_DIR=/tmp/vvcache-multi
$B/vv-run --list-devices
PROGS=${PROGS:-sortrec mathlib}
N=${N:-32768}
for p in $PROGS; do $B/vvc build testsuite/guests/$p.wasm -o /tmp/$p.vvk --heap-size 1MiB 2>&1 | tail -1; done
# cold builds of all programs at once (each builds once and shares the binary across devices)
for p in $PROGS; do $B/vv-run /tmp/$p.vvk --vms 64 --devices all -- {vm} 2>&1 | grep -E "binary|FAIL" & done; wait
for p in $PROGS; do
  echo "== $p"
  for run in 1 2; do
    echo "-- 1 GPU, $N VMs"; $B/vv-run /tmp/$p.vvk --vms $N --device nvidia --seed 1 --out-dir /tmp/one-$p -- {vm} 2>&1 | grep -E "VMs:|launches|device #"
    echo "-- all GPUs, $N VMs"; $B/vv-run /tmp/$p.vvk --vms $N --devices all --seed 1 --out-dir /tmp/all-$p -- {vm} 2>&1 | grep -E "VMs:|launches|device #|share"
  done
  diff -rq /tmp/one-$p /tmp/all-$p >/dev/null && echo "outputs: identical ($N VMs)" || echo "outputs: DIFFER"
  echo "-- all GPUs, $((2 * N)) VMs"; $B/vv-run /tmp/$p.vvk --vms $((2 * N)) --devices all --seed 1 -- {vm} 2>&1 | grep -E "VMs:|launches|share"
done
