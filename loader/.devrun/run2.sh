#!/bin/bash
cd "$(dirname "$0")"
export VV_CACHE_DIR=/tmp/vvcache VV_TRACE=1
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv
for n in 1000 4096 8000; do echo "== t64 $n"; timeout 60 ./vv-run t64.vvk --vms $n --out-dir /tmp/r 2>&1 | grep -v "^vv-trace: launch"; echo "rc=$?"; done
echo "== t64 16384 ignoring max alloc"; VV_IGNORE_MAX_ALLOC=1 timeout 90 ./vv-run t64.vvk --vms 16384 --out-dir /tmp/r 2>&1 | grep -v "^vv-trace: launch"; echo "rc=${PIPESTATUS[0]}"
