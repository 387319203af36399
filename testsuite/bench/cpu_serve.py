#!/usr/bin/env python3
"""The CPU side of the serving load run: one .wasm served over HTTP by wasmtime on every core, the
way `vv-run serve` serves it on the GPU, for the same load generator in the same run.

  python3 testsuite/bench/cpu_serve.py PROG.wasm --port 8001 [--procs 16]

One process per core, all listening on the port (SO_REUSEPORT spreads connections over them),
a thread per connection (wasmtime runs without the GIL); each process compiles the module once
and runs every request in a fresh instance. A WASI command gets the
body as stdin and answers `{"stdout", "stderr", "exit_code"}` as JSON, like `vv-run serve`; a
resident guest (imports env.serverless_invoke) gets the body from its first serverless_invoke and
answers with what it passes to serverless_response. Needs the wasmtime Python package.
"""
import argparse
import http.server
import json
import multiprocessing as mp
import os
import signal
import socket
import sys
import tempfile


class Runner:
    def __init__(self, wasm):
        import wasmtime

        self.wt = wasmtime
        self.engine = wasmtime.Engine()
        self.module = wasmtime.Module.from_file(self.engine, wasm)
        self.name = os.path.basename(wasm)
        self.resident = any(i.module == "env" and i.name == "serverless_invoke" for i in self.module.imports)
        self.tmp = tempfile.mkdtemp()

    def run(self, body, args):
        import threading

        wt = self.wt
        linker = wt.Linker(self.engine)
        linker.define_wasi()
        store = wt.Store(self.engine)
        cfg = wt.WasiConfig()
        cfg.argv = [self.name] + args
        tag = threading.get_ident()
        paths = {k: os.path.join(self.tmp, f"{k}.{tag}") for k in ("in", "out", "err")}
        with open(paths["in"], "wb") as f:
            f.write(b"" if self.resident else body)
        cfg.stdin_file, cfg.stdout_file, cfg.stderr_file = paths["in"], paths["out"], paths["err"]
        store.set_wasi(cfg)
        response = bytearray()
        if self.resident:
            state = {"invoked": False}
            i32 = wt.ValType.i32()

            def invoke(caller, buf, cap):
                if state["invoked"]:
                    raise Done()
                state["invoked"] = True
                n = min(len(body), cap)
                caller["memory"].write(caller, body[:n], buf)
                return n

            def respond(caller, ptr, length):
                response.extend(caller["memory"].read(caller, ptr, ptr + length))
                raise Done()

            linker.define_func("env", "serverless_invoke", wt.FuncType([i32, i32], [i32]), invoke, access_caller=True)
            linker.define_func("env", "serverless_response", wt.FuncType([i32, i32], []), respond, access_caller=True)
        instance = linker.instantiate(store, self.module)
        code = 0
        try:
            instance.exports(store)["_start"](store)
        except wt.ExitTrap as e:
            code = e.code
        except wt.Trap as e:
            if self.resident and response:
                return 200, bytes(response), None
            return 500, json.dumps({"error": str(e).splitlines()[0], "kind": "trap"}).encode(), "application/json"
        except Exception as e:  # Done raised inside a host call arrives wrapped
            if self.resident and response:
                return 200, bytes(response), None
            return 500, json.dumps({"error": str(e).splitlines()[0]}).encode(), "application/json"
        out = open(paths["out"], "rb").read().decode("utf-8", "replace")
        err = open(paths["err"], "rb").read().decode("utf-8", "replace")
        return 200, json.dumps({"stdout": out, "stderr": err, "exit_code": code}).encode(), "application/json"


class Done(Exception):
    """Raised by serverless_response: the request is answered, the run ends."""


def serve(wasm, port):
    runner = Runner(wasm)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, payload, ctype = runner.run(body, [])
            self.send_response(status)
            self.send_header("Content-Type", ctype or "application/octet-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # a client that hangs up (the load generator at its end) is not an error

        def server_bind(self):
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            super().server_bind()

    Server(("127.0.0.1", port), Handler).serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wasm")
    ap.add_argument("--port", type=int, default=8001)
    ap.add_argument("--procs", type=int, default=os.cpu_count())
    a = ap.parse_args()
    # SIGTERM ends this process normally, which ends the daemonic workers with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    procs = [mp.Process(target=serve, args=(a.wasm, a.port), daemon=True) for _ in range(a.procs)]
    for p in procs:
        p.start()
    print(f"cpu_serve: {a.procs} processes serving {a.wasm} on http://127.0.0.1:{a.port}", file=sys.stderr, flush=True)
    try:
        for p in procs:
            p.join()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
