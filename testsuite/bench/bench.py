#!/usr/bin/env python3
"""Throughput harness (`make bench`): every program of the C corpus as N VMs on the OpenCL device
through vv-run, against the same .wasm with the same inputs on every CPU core with wasmtime (one
process per core, the module compiled once per process before the clock starts, a fresh instance
per run). A row counts
only when the CPU's stdout and exit code equal vv-run's for every run compared.

  python3 testsuite/bench/bench.py --bin target/release --stdin-dir STDIN [--vms 1024,4096,16384]
      [--programs json,nbody] [--cpu-runs 8192] [--procs P] [--device X] [--json out.json]

STDIN holds the per-VM inputs of the stdin programs (`STDIN/json/0..511`, `STDIN/wordfreq/...`,
written by `VV_PROGRAMS_WRITE_STDIN=STDIN cargo test -p vv-testsuite --test programs -- wordfreq
json`); VM i reads input i mod 512, argv programs get the arguments of tests/programs.rs.
For each program: one cold start (empty vv and CUDA caches: the device build; for a program vvc
split, on a GPU, the build of its partitions, then "whole" the whole program's), one cached start,
then one CPU run of the first min(largest N, --cpu-runs) inputs (its runs/s), then one GPU run per
VM count N, whose first min(N, CPU runs) VMs must match the CPU's outputs. An N that does not fit
in device memory is skipped, and the sweep adds the most VMs that fit (vv-run's count, rounded down
to a multiple of 1024). Each program is built
with its heap and its own vvc options from corpus.tsv (--vvc-args replaces the options). Prints a Markdown table per program, the best row of each and the
geometric mean of the best GPU/CPU ratios; --json writes everything measured.
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STDIN_INPUTS = 512
# wasmtime runs only in worker processes started fresh: forking a process that holds a wasmtime
# engine (and its threads) can deadlock the child.
SPAWN = mp.get_context("spawn")


def read_corpus():
    """Each program's vvc --heap-size, argv[1] (None: it reads stdin) and further vvc build
    options, from corpus.tsv."""
    heap, args, options = {}, {}, {}
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 4:
                sys.exit(f"corpus.tsv: `{line.strip()}`: expected 4 tab-separated fields (program, heap, input, options)")
            program, h, a, o = fields
            heap[program], args[program] = h, (None if a == "stdin" else a)
            options[program] = [] if o == "-" else o.split()
    return heap, args, options


HEAP, ARGS, OPTIONS = read_corpus()


def split_interleave(vvc_args):
    """The --interleave of vvc build options (1 without one) and the other options."""
    p = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    p.add_argument("--interleave", type=int, default=1)
    known, others = p.parse_known_args(vvc_args)
    return known.interleave, others


def args_of(program, vm):
    a = ARGS[program]
    return [] if a is None else [a.replace("{vm}", str(vm))]


def vv_run(binary, vvk, vms, extra, env=None):
    """Runs vv-run; returns the parsed summary (its stderr lines starting with `vv-run:`), or
    {"error": ...} when it did not run (e.g. the VMs do not fit in device memory)."""
    cmd = [binary, vvk, "--vms", str(vms)] + extra
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    text = "\n".join(l for l in p.stderr.splitlines() if l.startswith("vv-run:"))

    def num(pattern, cast=float):
        m = re.search(pattern, text)
        return cast(m.group(1)) if m else None

    out = {
        "built_s": num(r"device binary: built in ([0-9.]+) s"),
        # A split program's cold start runs on partitions while the whole program builds.
        "whole_s": num(r"the whole program built in ([0-9.]+) s") or num(r"whole program \(built in ([0-9.]+) s\) took over"),
        "loaded_s": num(r"loaded in ([0-9.]+) s"),
        "wall_s": num(r"wall ([0-9.]+) s"),
        "kernel_s": num(r"kernel ([0-9.]+) s"),
        "launches": num(r"(\d+) launches", int),
        "hypercalls": num(r"(\d+) hypercalls", int),
        "device": (re.search(r"device: (.*)", text) or [None, None])[1],
    }
    if out["wall_s"] is None:
        return {"error": f"vv-run failed ({' '.join(cmd)}):\n{p.stderr[-3000:]}"}
    return out


def load_module(wasm, config=None):
    """A wasmtime engine (with `config`), `wasm` compiled for it, and a linker with WASI."""
    import wasmtime

    engine = wasmtime.Engine(config)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    return engine, wasmtime.Module.from_file(engine, wasm), linker


# The worker process's engine, module and linker, set by its pool initializer (cpu_worker_ready)
# so that the timed runs do not include compiling.
_COMPILED = None


def cpu_worker(job):
    """Runs the given VM indices of one program in one process; returns {vm: (exit code, stdout)}."""
    wasm, program, indices, stdin_dir = job
    import wasmtime

    engine, module, linker = _COMPILED
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        so = os.path.join(tmp, "out")
        for vm in indices:
            cfg = wasmtime.WasiConfig()
            cfg.argv = [os.path.basename(wasm)] + args_of(program, vm)
            cfg.stdout_file = so
            if stdin_dir:
                cfg.stdin_file = os.path.join(stdin_dir, str(vm % STDIN_INPUTS))
            store = wasmtime.Store(engine)
            store.set_wasi(cfg)
            instance = linker.instantiate(store, module)
            code = 0
            try:
                instance.exports(store)["_start"](store)
            except wasmtime.ExitTrap as e:
                code = e.code
            with open(so, "rb") as f:
                out[vm] = (code, f.read())
    return out


def wasm_instructions(wasm, program, stdin_dir, samples=8):
    """Median Wasm instructions one run executes (wasmtime's fuel, one unit an instruction) over
    `samples` inputs spread over the 512; measured apart from the timed runs, since metering
    slows wasmtime down."""
    import statistics
    import wasmtime

    config = wasmtime.Config()
    config.consume_fuel = True
    engine, module, linker = load_module(wasm, config)
    budget = 10**15
    used = []
    for vm in range(0, STDIN_INPUTS, STDIN_INPUTS // samples):
        cfg = wasmtime.WasiConfig()
        cfg.argv = [os.path.basename(wasm)] + args_of(program, vm)
        if stdin_dir:
            cfg.stdin_file = os.path.join(stdin_dir, str(vm))
        store = wasmtime.Store(engine)
        store.set_wasi(cfg)
        store.set_fuel(budget)
        instance = linker.instantiate(store, module)
        try:
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap:
            pass
        used.append(budget - store.get_fuel())
    return int(statistics.median(used))


def cpu_worker_ready(wasm, ready):
    """Pool initializer: compile the module, then wait until every process has."""
    global _COMPILED
    _COMPILED = load_module(wasm)
    ready.wait()


def cpu_run(wasm, program, runs, procs, stdin_dir):
    jobs = [(wasm, program, list(range(p, runs, procs)), stdin_dir) for p in range(procs)]
    ready = SPAWN.Barrier(procs + 1)
    with SPAWN.Pool(procs, initializer=cpu_worker_ready, initargs=(wasm, ready)) as pool:
        ready.wait()  # every process has started and compiled the module: the clock starts here
        t = time.perf_counter()
        results = {}
        for r in pool.map(cpu_worker, jobs):
            results.update(r)
        wall = time.perf_counter() - t
    return results, wall


def check(results, out_dir):
    """VMs whose CPU stdout or exit code differs from vv-run's --out-dir."""
    with open(os.path.join(out_dir, "status.json")) as f:
        status = {e["vm"]: e for e in json.load(f)}
    bad = []
    for vm, (code, stdout) in results.items():
        with open(os.path.join(out_dir, f"{vm}.out"), "rb") as f:
            same_out = f.read() == stdout
        if not same_out or status[vm].get("exit") != code:
            bad.append(vm)
    return sorted(bad)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release"), help="directory with vvc and vv-run")
    ap.add_argument("--stdin-dir", required=True, help="per-VM inputs of the stdin programs")
    ap.add_argument("--vms", help="VM counts to sweep, comma-separated (default 1024,4096,16384,65536 on a GPU; 32,64 on a CPU device: a smoke run)")
    ap.add_argument("--programs", default="", help="comma-separated corpus programs (default: all)")
    ap.add_argument("--cpu-runs", type=int, default=8192, help="CPU runs, at most the largest N (default 8192)")
    ap.add_argument("--procs", type=int, default=os.cpu_count(), help="CPU processes (default: every core)")
    ap.add_argument("--device", help="vv-run --device")
    ap.add_argument(
        "--vvc-args",
        help="vvc build options for every program, space-separated, in place of each program's own from corpus.tsv "
        '(--vvc-args="" builds every program with the defaults)',
    )
    ap.add_argument("--vv-run-args", default="", help="more vv-run options, space-separated (e.g. --cl-options=-cl-nv-opt-level=2)")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()

    vvc, vvrun = os.path.join(a.bin, "vvc"), os.path.join(a.bin, "vv-run")
    prog_dir = os.path.join(ROOT, "testsuite/programs")
    programs = a.programs.split(",") if a.programs else sorted(f[:-5] for f in os.listdir(prog_dir) if f.endswith(".wasm"))
    for p in programs:
        if p not in HEAP:
            ap.error(f"no line for program `{p}` in testsuite/bench/corpus.tsv (its heap and input)")
    if a.vms is None:
        listing = subprocess.run([vvrun, "--list-devices"], capture_output=True, text=True).stdout
        default = next((l for l in listing.splitlines() if l.startswith("*")), "")
        gpu = bool(a.device) or " GPU " in default
        a.vms = "1024,4096,16384,65536" if gpu else "32,64"
    counts = [int(n) for n in a.vms.split(",")]
    device = (["--device", a.device] if a.device else []) + a.vv_run_args.split()
    work = tempfile.mkdtemp(prefix="vv-bench-")
    results = {"date": time.strftime("%Y-%m-%d"), "procs": a.procs, "vms": counts, "programs": {}}
    best_rows = []
    try:
        for program in programs:
            wasm = os.path.join(prog_dir, program + ".wasm")
            vvk = os.path.join(work, program + ".vvk")
            heap = HEAP[program]
            vvc_args = OPTIONS[program] if a.vvc_args is None else a.vvc_args.split()
            interleave, others = split_interleave(vvc_args)
            build = [vvc, "build", wasm, "-o", vvk, "--no-cache", "--heap-size", heap] + vvc_args
            subprocess.run(build, check=True, stderr=subprocess.DEVNULL)
            env = dict(
                os.environ,
                VV_CACHE_DIR=os.path.join(work, "vv-cache"),
                CUDA_CACHE_PATH=os.path.join(work, "cuda-cache"),
                POCL_CACHE_DIR=os.path.join(work, "pocl-cache"),
            )
            src_stdin = os.path.join(os.path.abspath(a.stdin_dir), program) if ARGS[program] is None else None
            first = ["--", ARGS[program]] if src_stdin is None else []
            stdin_flags = []
            if src_stdin:
                links = os.path.join(work, program + "-stdin")
                os.makedirs(links, exist_ok=True)
                for vm in range(max(counts)):
                    os.symlink(os.path.join(src_stdin, str(vm % STDIN_INPUTS)), os.path.join(links, str(vm)))
                stdin_flags = ["--stdin-dir", links]
            cold = vv_run(vvrun, vvk, 1, device + stdin_flags + first, env)
            if "error" in cold:
                sys.exit(cold["error"])
            cached = vv_run(vvrun, vvk, 1, device + stdin_flags + first, env)
            # The CPU's rate does not depend on N: one CPU run of the first `cpu_runs` inputs, against
            # which every VM count's first VMs are checked.
            runs_all = min(max(counts), a.cpu_runs)
            cpu_all, cpu_wall = cpu_run(wasm, program, runs_all, a.procs, src_stdin)
            with SPAWN.Pool(1) as pool:
                instructions = pool.apply(wasm_instructions, (wasm, program, src_stdin))
            print(
                f"{program}: device build cold {cold['built_s']} s (whole program {cold['whole_s']} s), cached {cached['loaded_s']} s; "
                f"CPU {runs_all / cpu_wall:.0f} runs/s; {instructions} Wasm instructions a run (median)",
                file=sys.stderr,
                flush=True,
            )
            rows = []
            sweep = list(counts)
            for n in sweep:
                out_dir = os.path.join(work, f"{program}-{n}")
                gpu = vv_run(vvrun, vvk, n, device + stdin_flags + ["--out-dir", out_dir] + first, env)
                if "error" in gpu:
                    last = gpu["error"].strip().splitlines()[-1]
                    print(f"{program} {n} VMs: not run: {last}", file=sys.stderr, flush=True)
                    results.setdefault("not_run", []).append({"program": program, "vms": n, "error": last})
                    shutil.rmtree(out_dir, ignore_errors=True)
                    fit = most_that_fit(last)
                    if fit and fit not in sweep:
                        print(f"{program}: also {fit} VMs, the most that fit", file=sys.stderr, flush=True)
                        sweep.append(fit)
                    continue
                runs = min(n, runs_all)
                bad = check({vm: r for vm, r in cpu_all.items() if vm < runs}, out_dir)
                shutil.rmtree(out_dir)
                row = {
                    "program": program,
                    "vms": n,
                    "heap": heap,
                    "interleave": interleave,
                    "vvc_options": " ".join(others),
                    "gpu_runs_per_s": n / gpu["wall_s"],
                    "cpu_runs_per_s": runs_all / cpu_wall,
                    "cpu_runs": runs_all,
                    "checked_vms": runs,
                    "build_cold_s": cold["built_s"],
                    "build_whole_s": cold["whole_s"],
                    "build_cached_s": cached["loaded_s"],
                    "launches": gpu["launches"],
                    "wasm_instructions": instructions,
                    "gpu_instructions_per_s": n / gpu["wall_s"] * instructions,
                    "hypercalls": gpu["hypercalls"],
                    "kernel_s": gpu["kernel_s"],
                    "wall_s": gpu["wall_s"],
                    "mismatches": len(bad),
                    "first_mismatch": bad[:5],
                    "device": gpu["device"],
                }
                row["ratio"] = row["gpu_runs_per_s"] / row["cpu_runs_per_s"]
                rows.append(row)
                print(
                    f"{program} {n} VMs: GPU {row['gpu_runs_per_s']:.0f} runs/s (wall {gpu['wall_s']:.3f} s, kernel {gpu['kernel_s']:.3f} s), "
                    f"CPU {row['cpu_runs_per_s']:.0f} runs/s ({runs_all} runs, {runs} compared), ratio {row['ratio']:.2f}, mismatches {len(bad)}",
                    file=sys.stderr,
                    flush=True,
                )
            results["programs"][program] = rows
            ok = [r for r in rows if r["mismatches"] == 0]
            if ok:
                best_rows.append(max(ok, key=lambda r: r["gpu_runs_per_s"]))
            if a.json:  # after every program, so an interrupted sweep keeps what it measured
                with open(a.json, "w") as f:
                    json.dump(results, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    header = (
        "| program | VMs | heap | interleave | other vvc options | GPU runs/s | CPU runs/s | GPU/CPU | build cold (s) | build cached (s) "
        "| launches/run | Wasm instr./run | GPU Wasm instr./s |"
    )
    print(f"device: {best_rows[0]['device'] if best_rows else '?'}; CPU: wasmtime on {a.procs} processes\n")
    print("All VM counts:\n")
    print(header)
    print("| --- " * 13 + "|")
    for program in programs:
        for r in results["programs"].get(program, []):
            print(row_text(r))
    print("\nBest VM count of each program:\n")
    print(header)
    print("| --- " * 13 + "|")
    for r in best_rows:
        print(row_text(r))
    if best_rows:
        geomean = math.exp(sum(math.log(r["ratio"]) for r in best_rows) / len(best_rows))
        results["geomean"] = geomean
        print(f"\ngeomean GPU/CPU: {geomean:.1f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    if any(r["mismatches"] for rows in results["programs"].values() for r in rows):
        sys.exit("outputs differ between the GPU and the CPU (rows marked MISMATCH do not count)")


def most_that_fit(error):
    """From vv-run's error for VMs that do not fit in device memory, the most that fit, rounded
    down to a multiple of 1024 (None for other errors or fewer than 1024)."""
    m = re.search(r"at most (\d+) VMs fit", error)
    fit = int(m.group(1)) // 1024 * 1024 if m else 0
    return fit or None


def row_text(r):
    mark = "" if r["mismatches"] == 0 else f" MISMATCH ({r['mismatches']} VMs, e.g. {r['first_mismatch']})"
    cold = "?" if r["build_cold_s"] is None else f"{r['build_cold_s']:.1f}"
    cached = "?" if r["build_cached_s"] is None else f"{r['build_cached_s']:.3f}"
    return (
        f"| {r['program']}{mark} | {r['vms']} | {r['heap']} | {r['interleave']} | {r['vvc_options'] or '-'} | {r['gpu_runs_per_s']:.0f} | "
        f"{r['cpu_runs_per_s']:.0f} | {r['ratio']:.2f} | {cold} | {cached} | {r['launches']} | "
        f"{r['wasm_instructions'] / 1e6:.2f} M | {r['gpu_instructions_per_s'] / 1e9:.1f} G |"
    )


if __name__ == "__main__":
    main()
