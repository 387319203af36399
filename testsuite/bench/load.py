#!/usr/bin/env python3
"""HTTP load for the serving run (serve_load.sh) where oha is not at hand: P processes share C
keep-alive HTTP/1.1 connections that POST the same body for D seconds, and the results are printed
as the part of oha's JSON that serve_load.sh reads (summary.requestsPerSec, summary.successRate,
latencyPercentiles.p50 / p99 in seconds, statusCodeDistribution).

    python3 testsuite/bench/load.py URL --body FILE [-c 256] [-z 15] [--procs P]
"""
import argparse
import asyncio
import json
import multiprocessing as mp
import os
import time
from urllib.parse import urlsplit


async def read_response(reader):
    """Status code of one response, its body read to the end; None when the connection closed."""
    status = await reader.readline()
    if not status:
        return None, True
    code = int(status.split()[1])
    length, chunked, close = 0, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(length)
    return code, close


async def one_connection(host, port, request, until, latencies, codes):
    errors = 0
    reader = writer = None
    while time.monotonic() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            start = time.monotonic()
            writer.write(request)
            await writer.drain()
            code, close = await read_response(reader)
            if code is None:
                raise ConnectionError("closed")
            latencies.append(time.monotonic() - start)
            codes[code] = codes.get(code, 0) + 1
            if close:
                writer.close()
                writer = None
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            errors += 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()
    return errors


def worker(job):
    url, body, conns, until = job
    parts = urlsplit(url)
    path = parts.path or "/"
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies, codes = [], {}

    async def run():
        return await asyncio.gather(
            *(one_connection(parts.hostname, parts.port or 80, request, until, latencies, codes) for _ in range(conns))
        )

    errors = sum(asyncio.run(run()))
    return latencies, codes, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url")
    ap.add_argument("--body", required=True, help="file whose bytes every request posts")
    ap.add_argument("-c", type=int, default=256, help="connections in all (default 256)")
    ap.add_argument("-z", type=float, default=15.0, help="seconds of load (default 15)")
    ap.add_argument("--procs", type=int, default=min(8, os.cpu_count() or 1), help="client processes (default: up to 8)")
    a = ap.parse_args()
    body = open(a.body, "rb").read()
    procs = max(1, min(a.procs, a.c))
    start = time.monotonic()
    until = start + a.z
    shares = [a.c // procs + (k < a.c % procs) for k in range(procs)]
    with mp.Pool(procs) as pool:
        results = pool.map(worker, [(a.url, body, n, until) for n in shares])
    elapsed = time.monotonic() - start
    latencies = sorted(x for r in results for x in r[0])
    codes, errors = {}, sum(r[2] for r in results)
    for r in results:
        for code, n in r[1].items():
            codes[str(code)] = codes.get(str(code), 0) + n
    ok = sum(n for code, n in codes.items() if code.startswith("2"))
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0  # noqa: E731
    print(json.dumps({
        "summary": {"requestsPerSec": len(latencies) / elapsed, "successRate": ok / max(1, len(latencies) + errors), "total": elapsed},
        "latencyPercentiles": {"p50": pct(0.50), "p99": pct(0.99)},
        "statusCodeDistribution": codes,
        "errors": errors,
    }))


if __name__ == "__main__":
    main()
