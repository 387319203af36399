#!/usr/bin/env bash
# The serving load run: each program served by `vv-run serve` on the GPU and by wasmtime on every
# CPU core (cpu_serve.py), one after the other on the same machine, under the same load from oha,
# or from load.py where BIN_DIR has no oha (POST /run with the same body, C connections, D
# seconds). The GPU is loaded once the server runs the program's whole program (not its
# partitions). Prints one line per run and writes the load's JSON to OUT/.
#
#   bash testsuite/bench/serve_load.sh BIN_DIR OUT_DIR [VMS] [DURATION] [CONNECTIONS...]
#
# BIN_DIR holds vvc, vv-run and optionally oha; wasmtime must be importable by python3.
set -euo pipefail
BIN=$1 OUT=$2 VMS=${3:-4096} DUR=${4:-15s}
shift $(( $# < 4 ? $# : 4 ))
CONNS=${*:-256 2048}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
ulimit -n 65536 2>/dev/null || true

load() {  # url conns body: the load's JSON on stdout
    if [ -x "$BIN/oha" ]; then
        "$BIN/oha" -z "$DUR" -c "$2" -m POST -D "$3" --no-tui --output-format json "$1"
    else
        python3 "$ROOT/testsuite/bench/load.py" "$1" --body "$3" -c "$2" -z "${DUR%s}"
    fi
}

wait_for() { for _ in $(seq 1 600); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no server at $1" >&2; return 1; }

# A split program serves on its partitions (a launch per cross-partition call) until its whole
# program is built in the background: load it only once the server runs the whole program.
wait_whole() {
    for _ in $(seq 1 900); do curl -s "$1/metrics" | grep -qx 'vv_programs 1' && return 0; sleep 0.2; done
    echo "still on partitions after 180 s: measuring them" >&2
}

report() {  # name side conns json
    python3 - "$@" <<'PY'
import json, sys
name, side, conns, path = sys.argv[1:]
d = json.load(open(path))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
print(f"| {name} | {side} | {conns} | {s['requestsPerSec']:.0f} | {p['p50']*1000:.1f} | {p['p99']*1000:.1f} | {s['successRate']*100:.1f}% | {codes} |")
PY
}

echo "| program | server | connections | requests/s | p50 ms | p99 ms | success | status codes |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for spec in "wordfreq:programs/README.md" "json:bench/body.json"; do
    name=${spec%%:*} body=$ROOT/testsuite/${spec#*:}
    if [ "$name" = json ]; then
        python3 -c "import json; print(json.dumps({'items': [{'id': i, 'name': 'item %d' % i, 'tags': ['a', 'b\"c', 'd\\\\e'], 'score': i * 0.25, 'ok': i % 3 == 0} for i in range(40)]}))" > "$OUT/body.json"
        body=$OUT/body.json
    fi
    "$BIN/vvc" build "$ROOT/testsuite/programs/$name.wasm" -o "$OUT/$name.vvk" 2>/dev/null
    "$BIN/vv-run" serve "$OUT/$name.vvk" --vms "$VMS" --listen 127.0.0.1:8100 --queue $((VMS * 8)) 2> "$OUT/$name.gpu.log" &
    gpu=$!
    wait_for http://127.0.0.1:8100/healthz
    wait_whole http://127.0.0.1:8100
    for c in $CONNS; do
        load http://127.0.0.1:8100/run "$c" "$body" > "$OUT/$name.gpu.$c.json"
        report "$name" "GPU (vv-run serve, $VMS VMs)" "$c" "$OUT/$name.gpu.$c.json"
    done
    curl -s http://127.0.0.1:8100/metrics > "$OUT/$name.gpu.metrics"
    curl -s --data-binary @"$body" http://127.0.0.1:8100/run > "$OUT/$name.gpu.answer"
    kill -TERM $gpu; wait $gpu || true
    python3 "$ROOT/testsuite/bench/cpu_serve.py" "$ROOT/testsuite/programs/$name.wasm" --port 8101 2> "$OUT/$name.cpu.log" &
    cpu=$!
    wait_for http://127.0.0.1:8101/
    for c in $CONNS; do
        load http://127.0.0.1:8101/run "$c" "$body" > "$OUT/$name.cpu.$c.json"
        report "$name" "CPU (wasmtime, $(nproc) processes)" "$c" "$OUT/$name.cpu.$c.json"
    done
    curl -s --data-binary @"$body" http://127.0.0.1:8101/run > "$OUT/$name.cpu.answer"
    kill $cpu; wait $cpu 2>/dev/null || true
    # Both sides must give the same stdout and exit code for the body.
    python3 - "$OUT/$name.gpu.answer" "$OUT/$name.cpu.answer" "$name" <<'PY'
import json, sys
g, c = (json.load(open(p)) for p in sys.argv[1:3])
same = (g["stdout"], g["exit_code"]) == (c["stdout"], c["exit_code"])
print(f"{sys.argv[3]}: GPU and CPU answers {'match' if same else 'DIFFER'} ({len(g['stdout'])} bytes of stdout, exit {g['exit_code']})")
sys.exit(0 if same else 1)
PY
done
