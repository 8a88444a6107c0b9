#!/usr/bin/env bash
# Benchmark `keap-migrate scan --history` on generated repositories of growing length, and on a
# real one if given: wall time, the tool's own peak memory, git's (which includes the pack it
# maps), and the time of `git log -p -U0 --full-history --all`: the stream gitleaks parses, so a
# floor under its time.
#
#   bench/history.sh                          # 1,000, 5,000 and 20,000 commits in /tmp/keap-migrate-history
#   COMMITS="2000 10000" bench/history.sh /path/to/repo.git ...
#
# Needs cargo, python3 and git. gitleaks is timed too when it is on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/tmp/keap-migrate-history}
COMMITS=${COMMITS:-1000 5000 20000}
cargo build --release --locked --quiet
bin=$PWD/target/release/keap-migrate
mkdir -p "$BENCH_DIR"
repos=()
for n in $COMMITS; do
  r=$BENCH_DIR/gen$n
  [ -d "$r" ] || python3 bench/history_gen.py "$r" --commits "$n" --keys $((n / 250 + 4)) >/dev/null
  repos+=("$r")
done
repos+=("$@")

printf '%-44s %8s %9s %8s %8s %9s %10s %9s %s\n' repo commits blobs wall own-MB git-MB 'log -p' found keys
for r in "${repos[@]}"; do
  commits=$(git -C "$r" rev-list --all --count)
  python3 - "$bin" "$r" "$commits" <<'EOF'
import json, os, resource, subprocess, sys, time
bin, repo, commits = sys.argv[1:]

def run(cmd, out):
    """Wall time, this process's own peak RSS (VmHWM, polled) in MB, its children's in MB."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
    own = 0
    while p.poll() is None:
        try:
            with open(f"/proc/{p.pid}/status") as s:
                for line in s:
                    if line.startswith("VmHWM:"):
                        own = max(own, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, own / 1024, kids / 1024

with open("/tmp/keap-migrate-history.json", "wb") as out:
    wall, own, kids = run([bin, "scan", "--history", repo, "--format", "json", "-q"], out)
doc = json.load(open("/tmp/keap-migrate-history.json"))
found = len(doc["findings"])
keys = repo + ".keys"
expected = len(open(keys).read().split()) if os.path.exists(keys) else "-"
with open(os.devnull, "wb") as null:
    t0 = time.perf_counter()
    subprocess.run(["git", "-C", repo, "log", "-p", "-U0", "--full-history", "--all", "--no-color"], stdout=null, check=True)
    logp = time.perf_counter() - t0
print(f"{os.path.basename(repo.rstrip('/')):<44} {commits:>8} {doc['summary']['files_scanned']:>9} "
      f"{wall:>7.2f}s {own:>8.0f} {kids:>9.0f} {logp:>9.2f}s {found:>9} {expected}")
EOF
  if command -v gitleaks >/dev/null; then
    /usr/bin/time -f "  gitleaks detect: %e s, %M KB" gitleaks detect --source "$r" --no-banner --redact >/dev/null 2>&1 || true
  fi
done
