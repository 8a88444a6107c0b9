#!/usr/bin/env python3
"""Generate one large log file dense with findings, for the cost of many findings in one file.

    bench/dense.py DIR [--size-mb 200] [--seed 1]

DIR/app.log gets about --size-mb MB (10^6 bytes) of request-log lines, each naming a per-app
legacy endpoint `https://APP.infusionsoft.com/api/xmlrpc`: one `legacy-endpoint` finding per line
(the same URL recurs, so fingerprints get `:1`, `:2`… counters). A scan's time and memory should
grow with the file, not with the square of its findings. DIR.manifest.json has the counts in the
form bench/measure.py reads, and `findings`, the number a scan must report. The same seed always
gives the same bytes; an existing file made with the same parameters is reused.
"""
import argparse
import hashlib
import json
import random
from pathlib import Path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--size-mb", type=float, default=200.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    manifest_path = a.dir.with_name(a.dir.name + ".manifest.json")
    gen_sha = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    params = {"size_mb": a.size_mb, "seed": a.seed, "gen_sha256": gen_sha}
    if manifest_path.is_file() and (a.dir / "app.log").is_file():
        old = json.loads(manifest_path.read_text())
        if old.get("params") == params:
            print(f"{a.dir}: reusing ({old['findings']} findings, {old['bytes'] / 1e6:.1f} MB)")
            return
    rng = random.Random(a.seed)
    apps = [f"{rng.choice('abcdefghijklmnopqrstuvwxyz')}{rng.randrange(10, 1000)}" for _ in range(500)]
    target = int(a.size_mb * 1_000_000)
    a.dir.mkdir(parents=True, exist_ok=True)
    lines = size = 0
    with open(a.dir / "app.log", "w") as out:
        while size < target:
            line = (f"2024-05-01T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z "
                    f"POST https://{rng.choice(apps)}.infusionsoft.com/api/xmlrpc {rng.choice((200, 200, 500))} "
                    f"{rng.randrange(1, 900)}ms\n")
            out.write(line)
            lines += 1
            size += len(line)
    manifest = {"params": params, "findings": lines, "bytes": size,
                "scannable_files": 1, "scannable_bytes": size}
    manifest_path.write_text(json.dumps(manifest) + "\n")
    print(f"{a.dir}: {lines} findings, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
