#!/usr/bin/env python3
"""Check `keap-migrate scan --format json TREE` output against gen.py's manifest.

    bench/check.py MANIFEST FINDINGS.json

A cheap sanity check for the benchmark, not a test suite: every planted (path, rule, line) must be
found, no finding may land on a decoy's line, the too-large and binary files must be listed as
skipped, and findings outside the manifest are listed. Exits 1 on a miss or a flagged decoy.
"""
import json
import sys


def main():
    manifest = json.load(open(sys.argv[1]))
    doc = json.load(open(sys.argv[2]))
    found = {(f["relative_path"], f["rule"], f["line"]) for f in doc["findings"]}
    by_line = {}
    for f in doc["findings"]:
        by_line.setdefault((f["relative_path"], f["line"]), []).append(f)

    expected = [(p["path"], e["rule"], e["line"], p["plant"]) for p in manifest["plants"] for e in p["expect"]]
    misses = [e for e in expected if e[:3] not in found]
    decoy_hits = [(d["path"], d["line"], f["rule"]) for d in manifest["decoys"]
                  for f in by_line.get((d["path"], d["line"]), [])]
    expected_set = {e[:3] for e in expected}
    extra = sorted(k for k in found if k not in expected_set)

    skipped = doc["summary"].get("skipped", {})
    # The summary's paths are as the walk saw them (scanned root + relative path).
    known = set(manifest["too_large"]) | set(manifest["binary"]) | set(manifest["not_utf8"])

    def rel(p):
        return next((k for k in known if p == k or p.endswith("/" + k)), p)

    too_large = sorted(rel(p) for p in skipped.get("too_large", []))
    binary = sorted(rel(p) for p in skipped.get("binary", []))
    not_utf8 = {rel(p) for p in doc["summary"].get("not_utf8", [])}

    name = "clean" if manifest["params"]["clean"] else "findings"
    print(f"check ({name} tree): {len(expected)} planted findings in {len(manifest['plants'])} files, "
          f"{len(manifest['decoys'])} decoys, {len(doc['findings'])} findings reported")
    ok = True
    if misses:
        ok = False
        print(f"  MISSED {len(misses)}:")
        for path, rule, line, plant in misses:
            print(f"    {path}:{line} {rule} ({plant})")
    else:
        print(f"  planted: OK ({len(expected)}/{len(expected)} found)")
    if decoy_hits:
        ok = False
        print(f"  DECOYS FLAGGED {len(decoy_hits)}:")
        for path, line, rule in decoy_hits:
            print(f"    {path}:{line} {rule}")
    else:
        print(f"  decoys: OK (none of {len(manifest['decoys'])} flagged)")
    if extra:
        print(f"  findings outside the manifest: {len(extra)}")
        for path, rule, line in extra[:20]:
            print(f"    {path}:{line} {rule}")
    else:
        print("  findings outside the manifest: none")
    for label, got, want in (("too large", too_large, manifest["too_large"]), ("binary", binary, manifest["binary"])):
        if got != sorted(want):
            ok = False
            print(f"  skipped {label}: MISMATCH: reported {got}, expected {sorted(want)}")
    print(f"  skipped: {len(too_large)} too large, {len(binary)} binary (as generated); "
          f"{len(not_utf8)} of {len(manifest['not_utf8'])} Latin-1 files parsed (only those passing the prefilter are decoded)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
