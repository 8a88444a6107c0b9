#!/usr/bin/env python3
"""Paired timing of `keap-migrate scan` against ripgrep on directories you name (stdlib only).

    bench/compare.py --bin BIN [--runs 7] [--threads 0] [--label NAME] DIR...

Each DIR is a row, and with several DIRs so is all of them in one run (`--label` names that
row, default `all`). Per row the commands are

    keap-migrate scan --format json DIR
    rg -c 'infusionsoft\\.com|[0-9a-f]{32}' DIR      (the issue's regex baseline)
    rg -c -F infusionsoft.com DIR                    (the literal baseline)

each run once untimed (warm cache), then RUNS rounds of one run each, the order rotated every
round, so that load from other work falls on every command alike. The medians of wall time,
CPU time (user + system) and peak RSS (from wait4) are printed, with MB/s and files/s over what
keap-migrate read (its summary's files_scanned and bytes_scanned: text files under the size
limit, the same files rg reads), and each command's time over the two rg times.

rg walks as keap-migrate does: hidden files in, .gitignore honoured outside git repositories
too, .git left out, the same 8M size limit; both skip binary files and do not follow links.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

MAX_FILE_SIZE = "8M"


def run(cmd, ok):
    """Wall s, CPU s and peak RSS (MiB) of one run, its standard output thrown away."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"compare.py: `{' '.join(cmd)}` exited {code}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--label", default="all")
    ap.add_argument("--results", help="append each row to this JSON-lines file")
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # An empty config: no keap-migrate.toml above a DIR may exclude paths or add rules.
        config = os.path.join(tmp, "empty.toml")
        open(config, "w").close()
        rows = [(os.path.basename(os.path.normpath(d)) or d, [d]) for d in a.dirs]
        if len(a.dirs) > 1:
            rows.append((a.label, a.dirs))
        print(f"{'tree':<22} {'tool':<40} {'median s':>8} {'MB/s':>6} {'files/s':>8} {'CPU s':>6} "
              f"{'RSS MiB':>7} {'x rg-re':>7} {'x rg-F':>6}")
        for name, dirs in rows:
            measure(a, config, name, dirs)


def measure(a, config, name, dirs):
    j = ["-j", str(a.threads)] if a.threads else []
    walk = ["--hidden", "--no-require-git", "-g", "!.git", "--max-filesize", MAX_FILE_SIZE, *j]
    km = [a.bin, "scan", "--format", "json", "--config", config, *j, *dirs]
    cmds = [
        ("keap-migrate scan --format json", km, {0, 1}),
        ("rg -c 'infusionsoft\\.com|[0-9a-f]{32}'", ["rg", "-c", *walk, "-e", r"infusionsoft\.com|[0-9a-f]{32}", *dirs], {0, 1}),
        ("rg -c -F infusionsoft.com", ["rg", "-c", "-F", *walk, "-e", "infusionsoft.com", *dirs], {0, 1}),
    ]
    summary = json.loads(subprocess.run(km, capture_output=True, check=False).stdout)["summary"]
    files, nbytes = summary["files_scanned"], summary["bytes_scanned"]
    for _, cmd, ok in cmds:
        run(cmd, ok)
    samples = [[] for _ in cmds]
    for r in range(a.runs):
        for k in range(len(cmds)):
            i = (k + r) % len(cmds)
            samples[i].append(run(cmds[i][1], cmds[i][2]))
    med = [tuple(statistics.median(s[f] for s in runs) for f in range(3)) for runs in samples]
    rg_re, rg_f = med[1][0], med[2][0]
    for (label, cmd, _), (wall, cpu, rss), runs in zip(cmds, med, samples):
        print(f"{name:<22} {label:<40} {wall:8.3f} {nbytes / 1e6 / wall:6.0f} {files / wall:8.0f} {cpu:6.2f} "
              f"{rss:7.1f} {wall / rg_re:7.2f} {wall / rg_f:6.2f}")
        if a.results:
            with open(a.results, "a") as f:
                f.write(json.dumps({"tree": name, "label": label, "cmd": cmd, "files": files, "bytes": nbytes,
                                    "median": wall, "cpu": cpu, "rss_mib": rss,
                                    "runs": [s[0] for s in runs]}) + "\n")
    print(f"{name:<22} ({files} files, {nbytes / 1e6:.1f} MB read; median of {a.runs} paired rounds)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
