#!/usr/bin/env bash
# Compares memory interleave widths on the GPU: the same guest built with --interleave 1, 4 and 8,
# each run as 4096 VMs twice (the second run uses the cached device binary and is the one to read).
set -u
B=.device-bin
export VV_CACHE_DIR=/tmp/vvcache-interleave
G=${1:-testsuite/guests/sortrec.wasm}
for w in 1 4 8; do $B/vvc build $G --interleave $w -o /tmp/w$w.vvk --no-cache 2>&1 | tail -1; done
for w in 1 4 8; do $B/vv-run /tmp/w$w.vvk --vms 4096 --out-dir /tmp/w$w -- {vm} >/dev/null 2>&1 & done
wait
for w in 1 4 8; do echo "-- interleave $w"; for i in 1 2 3; do $B/vv-run /tmp/w$w.vvk --vms 4096 --out-dir /tmp/w$w -- {vm} 2>&1 | grep "launches"; done; done
