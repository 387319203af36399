#!/bin/bash
cd "$(dirname "$0")"
export VV_CACHE_DIR=/tmp/vvcache
./pocl-test --test-threads=1 2>&1 | tail -3
for a in "t.vvk 300000" "t64.vvk 8000"; do set -- $a; echo "== $a"; VV_TRACE=1 timeout 100 ./vv-run $1 --vms $2 --out-dir /tmp/r 2>&1 | grep -v "^vv-trace: launch"; echo "rc=${PIPESTATUS[0]}"; tail -c 100 /tmp/r/status.json; cat /tmp/r/$(( $2 - 1 )).out; done
echo "== t64 16384 ignoring max alloc"; VV_IGNORE_MAX_ALLOC=1 VV_TRACE=1 timeout 100 ./vv-run t64.vvk --vms 16384 --out-dir /tmp/r 2>&1 | grep -v "^vv-trace: launch"; echo "rc=${PIPESTATUS[0]}"; cat /tmp/r/16383.out
