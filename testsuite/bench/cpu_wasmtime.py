#!/usr/bin/env python3
"""CPU baseline: runs a WASI command N times with wasmtime across all host cores (one instance
per core at a time, the module compiled once per worker before the clock starts, a fresh
instance per run), with
argv = [name, str(i)] for run i. Prints runs/s; with --check DIR compares run i's stdout with
DIR/<i>.out as written by `vv-run --out-dir DIR`.

Usage: cpu_wasmtime.py PROG.wasm N [--procs P] [--check DIR]
"""
import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time


COMPILED = None


def ready(path, barrier):
    """Pool initializer: compile the module once in this process, then wait for the others."""
    import wasmtime

    global COMPILED
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    COMPILED = (engine, wasmtime.Module.from_file(engine, path), linker)
    barrier.wait()


def worker(args):
    path, indices = args
    import wasmtime

    engine, module, linker = COMPILED
    name = os.path.basename(path)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in indices:
            cfg = wasmtime.WasiConfig()
            cfg.argv = [name, str(i)]
            so = os.path.join(tmp, "out")
            cfg.stdout_file = so
            store = wasmtime.Store(engine)
            store.set_wasi(cfg)
            inst = linker.instantiate(store, module)
            code = 0
            try:
                inst.exports(store)["_start"](store)
            except wasmtime.ExitTrap as e:
                code = e.code
            with open(so, "rb") as f:
                out[i] = (code, f.read())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wasm")
    ap.add_argument("n", type=int)
    ap.add_argument("--procs", type=int, default=os.cpu_count())
    ap.add_argument("--check")
    a = ap.parse_args()
    chunks = [(a.wasm, list(range(p, a.n, a.procs))) for p in range(a.procs)]
    barrier = mp.Barrier(a.procs + 1)
    with mp.Pool(a.procs, initializer=ready, initargs=(a.wasm, barrier)) as pool:
        barrier.wait()  # every worker has compiled the module: the clock starts here
        t = time.perf_counter()
        results = {}
        for r in pool.map(worker, chunks):
            results.update(r)
        wall = time.perf_counter() - t
    print(f"cpu wasmtime: {a.n} runs on {a.procs} processes in {wall:.3f} s: {a.n / wall:.1f} runs/s")
    if a.check:
        bad = [i for i in range(a.n) if open(os.path.join(a.check, f"{i}.out"), "rb").read() != results[i][1]]
        print(f"check against {a.check}: {a.n - len(bad)} of {a.n} outputs identical")
        if bad:
            print("first differing runs:", bad[:10])
            sys.exit(1)


if __name__ == "__main__":
    main()
