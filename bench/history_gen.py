#!/usr/bin/env python3
"""A git repository with a long history, for `scan --history` (standard library and git only).

    bench/history_gen.py DIR --commits 5000 [--files 300] [--branches 8] [--keys 20] [--seed 1]

Writes the history with `git fast-import` (seconds for thousands of commits): a tree of PHP, JS,
Python and Markdown files of a few kilobytes each, every commit editing 1-4 of them, spread over
--branches branches that fork from main and a tag every 500 commits. --keys made-up legacy keys
(random hex of the right shape) are each added in one commit, bound to a Keap name in a file
that talks to Keap, and removed in the next commit on the same branch: what the scan must find.
The key list is written to DIR.keys, one per line, for the benchmark to check the scan against.
"""
import argparse
import os
import random
import subprocess
import sys

WORDS = "contact order invoice product tag group email field value list record query table".split()


def filler(rng, ext, lines):
    out = []
    for i in range(lines):
        w = rng.choice(WORDS)
        n = rng.randrange(10**6)
        if ext == "php":
            out.append(f"    ${w}_{i} = get_{w}({n}); // {rng.choice(WORDS)} {n:x}")
        elif ext == "js":
            out.append(f"  const {w}{i} = load{w.title()}({n}); // {n:x}")
        elif ext == "py":
            out.append(f"    {w}_{i} = load_{w}({n})  # {n:x}")
        else:
            out.append(f"The {w} {i} keeps {rng.choice(WORDS)} number {n}.")
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--commits", type=int, default=5000)
    p.add_argument("--files", type=int, default=300)
    p.add_argument("--branches", type=int, default=8)
    p.add_argument("--keys", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    if os.path.exists(a.dir):
        sys.exit(f"history_gen.py: {a.dir} exists")
    subprocess.run(["git", "init", "-q", "-b", "main", a.dir], check=True)
    exts = ["php", "js", "py", "md"]
    files = {}
    for i in range(a.files):
        ext = exts[i % len(exts)]
        files[f"src/{ext}/m{i:04d}.{ext}"] = filler(rng, ext, rng.randrange(40, 200))
    paths = sorted(files)
    key_at = set(rng.sample(range(10, a.commits - 1), a.keys))
    keys = []
    fi = subprocess.Popen(["git", "-C", a.dir, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    w = fi.stdin.write
    mark = 0
    heads = {"main": None}
    state = {"main": dict(files)}
    planted = {}  # branch -> (path, key) to remove in that branch's next commit
    t = 1_600_000_000
    for c in range(a.commits):
        # Branches fork from main early on; each then lives its own life.
        if c < a.branches * 20 and c % 20 == 19:
            name = f"feature/{c // 20}"
            heads[name] = heads["main"]
            state[name] = dict(state["main"])
        branch = rng.choice(sorted(heads)) if c > 0 else "main"
        tree = state[branch]
        changes = {}
        if branch in planted:
            path, _ = planted.pop(branch)
            changes[path] = tree[path] = [l for l in tree[path] if "INFUSIONSOFT_API_KEY" not in l]
        for path in rng.sample(paths, rng.randrange(1, 5)):
            body = list(tree[path])
            i = rng.randrange(len(body))
            body[i:i + rng.randrange(1, 4)] = filler(rng, path.rsplit(".", 1)[1], rng.randrange(1, 6))
            changes[path] = tree[path] = body
        if c in key_at:
            key = "%032x" % rng.getrandbits(128)
            keys.append(key)
            path = f"src/php/keap{c}.php"
            body = ["<?php", "$app = new iSDK();", f"define('INFUSIONSOFT_API_KEY', '{key}');"]
            changes[path] = tree[path] = body
            planted[branch] = (path, key)
        mark += 1
        t += 60
        w(f"commit refs/heads/{branch}\nmark :{mark}\n".encode())
        w(f"committer Bench <bench@example.invalid> {t} +0000\n".encode())
        msg = f"commit {c}\n".encode()
        w(b"data %d\n%s" % (len(msg), msg))
        if heads[branch] is not None:
            w(f"from :{heads[branch]}\n".encode())
        if c == 0:
            changes = dict(tree)
        for path, body in sorted(changes.items()):
            data = ("\n".join(body) + "\n").encode()
            w(f"M 100644 inline {path}\n".encode())
            w(b"data %d\n%s\n" % (len(data), data))
        heads[branch] = mark
        if c % 500 == 499:
            w(f"reset refs/tags/v{c // 500}\nfrom :{mark}\n\n".encode())
    fi.stdin.close()
    if fi.wait() != 0:
        sys.exit("history_gen.py: git fast-import failed")
    subprocess.run(["git", "-C", a.dir, "checkout", "-q", "main"], check=True)
    with open(a.dir.rstrip("/") + ".keys", "w") as f:
        f.write("".join(k + "\n" for k in keys))
    print(f"{a.dir}: {a.commits} commits on {len(heads)} branches, {len(keys)} keys")


if __name__ == "__main__":
    main()
