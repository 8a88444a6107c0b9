#!/usr/bin/env python3
"""Timing and the results table for bench/run.sh (standard library only).

    bench/measure.py time --results FILE --tree NAME --manifest M --label L [--runs 5]
                          [--ok 0,1] [--keep-output FILE] -- CMD ARG...
    bench/measure.py table --results FILE

`time` runs CMD once untimed (warm page cache; its standard output goes to --keep-output if
given), then --runs times with standard output to /dev/null, and appends the median wall time and
the median user+system CPU time to FILE as one JSON line. `table` prints every row with MB/s and
files/s over the tree's files under the size limit (every tool reads those; MB = 10^6 bytes).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def run_once(cmd, ok, stdout):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in ok:
        sys.stderr.write(p.stderr.decode(errors="replace"))
        raise SystemExit(f"measure.py: `{' '.join(cmd)}` exited {p.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def cmd_time(a):
    ok = {int(c) for c in a.ok.split(",")}
    if a.keep_output:
        with open(a.keep_output, "wb") as out:
            run_once(a.cmd, ok, out)
    else:
        run_once(a.cmd, ok, subprocess.DEVNULL)
    walls, cpus = [], []
    for _ in range(a.runs):
        w, c = run_once(a.cmd, ok, subprocess.DEVNULL)
        walls.append(w)
        cpus.append(c)
    m = json.load(open(a.manifest))
    row = {"tree": a.tree, "label": a.label, "cmd": a.cmd, "runs": walls,
           "median": statistics.median(walls), "cpu": statistics.median(cpus),
           "files": m["scannable_files"], "bytes": m["scannable_bytes"]}
    with open(a.results, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(f"  {a.tree:<9} {a.label:<34} {row['median']:7.3f} s  (runs: {' '.join(f'{w:.3f}' for w in walls)})",
          file=sys.stderr)


def cmd_table(a):
    rows = [json.loads(l) for l in open(a.results) if l.strip()]
    head = f"{'tree':<9} {'tool':<34} {'median s':>9} {'MB/s':>7} {'files/s':>8} {'CPU s':>6} {'x rg-read':>9}"
    print(head)
    print("-" * len(head))
    base = {}
    for r in rows:
        if r["label"].startswith("read: rg"):
            base.setdefault(r["tree"], r["median"])
    for r in rows:
        s = r["median"]
        rel = s / base[r["tree"]] if r["tree"] in base else float("nan")
        print(f"{r['tree']:<9} {r['label']:<34} {s:9.3f} {r['bytes'] / 1e6 / s:7.0f} {r['files'] / s:8.0f} "
              f"{r['cpu']:6.2f} {rel:9.2f}")
    if rows:
        r = rows[0]
        print(f"(per tree: {r['files']} files, {r['bytes'] / 1e6:.1f} MB under the size limit; "
              "'x rg-read': time over the same tree's `read: rg` time)")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    t = sub.add_parser("time")
    t.add_argument("--results", required=True)
    t.add_argument("--tree", required=True)
    t.add_argument("--manifest", required=True)
    t.add_argument("--label", required=True)
    t.add_argument("--runs", type=int, default=5)
    t.add_argument("--ok", default="0")
    t.add_argument("--keep-output")
    t.add_argument("cmd", nargs=argparse.REMAINDER)
    tb = sub.add_parser("table")
    tb.add_argument("--results", required=True)
    a = ap.parse_args()
    if a.what == "time":
        if a.cmd and a.cmd[0] == "--":
            a.cmd = a.cmd[1:]
        if not a.cmd:
            ap.error("no command")
        cmd_time(a)
    else:
        cmd_table(a)


if __name__ == "__main__":
    main()
