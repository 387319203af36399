#!/usr/bin/env bash
# Runs on the GPU machine from the repository root, with prebuilt binaries in .device-bin and the
# wasmtime wheel in .whl: the execution tests on the NVIDIA platform, then one C guest as 4096
# VMs on the GPU next to the same runs on all CPU cores with wasmtime.
set -u
B=.device-bin
OUT=${OUT:-/tmp/out}
export VV_TESTSUITE_DIR=$PWD/testsuite VV_CACHE_DIR=/tmp/vvcache
$B/vv-run --list-devices
for t in ${TESTS:-snapshots exec_wat exec_guests}; do
  echo "== $t"; $B/$t --test-threads 4 2>&1 | grep -E "^test |differ|test result|panicked"
done
echo "== first reading: sortrec, 4096 VMs"
$B/vvc build testsuite/guests/sortrec.wasm -o /tmp/sortrec.vvk
export VV_CACHE_DIR=/tmp/vvcache-reading  # cold device build first, then cached
for run in cold cached; do
  echo "-- $run"; $B/vv-run /tmp/sortrec.vvk --vms 4096 --out-dir /tmp/sr -- {vm} 2>&1 | grep -v "^vv-run: wrote"
done
python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && \
  PYTHONPATH=/tmp/site python3 testsuite/bench/cpu_wasmtime.py testsuite/guests/sortrec.wasm 4096 --check /tmp/sr
