#!/usr/bin/env python3
"""A model of how a warp runs its VMs' dispatcher rounds, to compare ways of picking lanes
without a GPU (testsuite/bench/warp_model.sh makes its input on PoCL).

Reads the `vv-round VM FUNC TICKS FP` lines that `vv-run --cl-options=-DVV_TRACE_ROUNDS` prints
(one per round a VM runs), puts VMs 32k..32k+31 in warp k, and replays each warp round by round:
the lanes that run one function together cost the most ticks any of them spends, and the
functions of one round run one after the other. Ways of picking (`vvc build --warp-gather`):
  off       every lane runs its own function each round
  majority  the function most lanes are in
  lowest    the function of lowest index any lane is in
  deepest   the function of the lane deepest in its call stack
Prints, per trace, the share of lanes doing work (ticks / (32 x warp cost)) with `off`, each
way's warp cost against off's, and the way of least cost: the `--warp-gather` to try first (on an
H100 the measured best for ten of the eleven corpus programs, testsuite/bench/RESULTS.md). Within-function divergence (lanes in one function whose loops run
different counts) shows as the cost of the longest lane; memory stalls are not modelled.

    python3 testsuite/bench/warp_model.py TRACE... [--ways off,majority,lowest,deepest]
"""
import argparse
import os
from collections import Counter, defaultdict

WAYS = ("off", "majority", "lowest", "deepest")


def load(path):
    """Each VM's rounds, in order: (function, ticks, frame pointer)."""
    rounds = defaultdict(list)
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 5 and p[0] == "vv-round":
                rounds[int(p[1])].append((int(p[2]), int(p[3]), int(p[4])))
    return rounds


def pick(way, at, live):
    """The function whose lanes run this round."""
    if way == "majority":
        count = Counter(at[i][0] for i in live)
        return at[max(live, key=lambda i: (count[at[i][0]], i))][0]
    if way == "lowest":
        return min(at[i][0] for i in live)
    if way == "deepest":
        return at[max(live, key=lambda i: (at[i][2], i))][0]
    raise ValueError(way)


def replay(lanes, way):
    """The warp's cost (ticks of the rounds it issues) for its lanes' rounds."""
    pos = [0] * len(lanes)
    cost = 0
    while True:
        live = [i for i in range(len(lanes)) if pos[i] < len(lanes[i])]
        if not live:
            return cost
        at = {i: lanes[i][pos[i]] for i in live}
        groups = defaultdict(list)
        for i in live:
            groups[at[i][0]].append(i)
        chosen = groups.items() if way == "off" else [(f, groups[f]) for f in [pick(way, at, live)]]
        for _, group in chosen:
            cost += max(at[i][1] for i in group)
            for i in group:
                pos[i] += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--ways", default=",".join(WAYS), help="comma-separated, from: " + ", ".join(WAYS))
    args = ap.parse_args()
    ways = [w for w in args.ways.split(",") if w]
    if "off" not in ways:
        ways.insert(0, "off")
    print("| trace | VMs | lanes doing work (off) | " + " | ".join(f"{w} against off" for w in ways[1:])
          + " | --warp-gather |")
    print("| --- | --- | --- |" + " --- |" * len(ways))
    for path in args.traces:
        rounds = load(path)
        vms = sorted(rounds)
        warps = [[rounds[v] for v in vms[k:k + 32]] for k in range(0, len(vms), 32)]
        work = sum(r[1] for lane in rounds.values() for r in lane)
        cost = {w: sum(replay(lanes, w) for lanes in warps) for w in ways}
        name = os.path.basename(path).removesuffix(".trace")
        ratios = " | ".join(f"{cost[w] / cost['off']:.3f}" for w in ways[1:])
        best = min(ways, key=lambda w: cost[w])
        print(f"| {name} | {len(vms)} | {work / (32 * cost['off']):.3f} | {ratios} | {best} |", flush=True)


if __name__ == "__main__":
    main()
