#!/usr/bin/env bash
# Benchmark `keap-migrate scan` against ripgrep and a plain read of the same generated trees,
# or, given directories, against ripgrep's two searches on those (bench/compare.py).
#
#   bench/run.sh                      # 220 MB trees in /tmp/keap-migrate-bench, median of 5 runs
#   BENCH_DIR=/data/b SIZE_MB=500 RUNS=9 THREADS=1 bench/run.sh
#   RUNS=7 bench/run.sh ~/src/wordpress ~/src/laravel    # real trees, paired; fetches nothing
#
# Environment: BENCH_DIR (where the trees go; reused when generated with the same parameters),
# SIZE_MB (220), DENSE_MB (200: the one-file log case, 0 to leave it out), CALLS_MB (25: one PHP
# file of calls, scanned and diffed, 0 to leave it out), SEED (1), RUNS (5), THREADS (0: every
# tool picks, i.e. one thread per core; N: keap-migrate -jN, rg -jN, N parallel cats). Needs
# cargo, python3 and rg; /usr/bin/time (GNU) for the calls file's peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

BENCH_DIR=${BENCH_DIR:-/tmp/keap-migrate-bench}
SIZE_MB=${SIZE_MB:-220}
DENSE_MB=${DENSE_MB:-200}
SEED=${SEED:-1}
RUNS=${RUNS:-5}
THREADS=${THREADS:-0}
MAX_FILE_SIZE=8M # keap-migrate's default --max-file-size, given to rg as well

command -v rg >/dev/null || { echo "run.sh: needs ripgrep (rg)" >&2; exit 2; }
cargo build --release --locked --quiet
bin=$root/target/release/keap-migrate

if [ $# -gt 0 ]; then
  j=()
  [ "$THREADS" != 0 ] && j=(--threads "$THREADS")
  exec python3 bench/compare.py --bin "$bin" --runs "$RUNS" "${j[@]}" "$@"
fi

mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
for tree in findings clean; do
  flag=""
  [ "$tree" = clean ] && flag=--clean
  python3 bench/gen.py "$BENCH_DIR/$tree" --size-mb "$SIZE_MB" --seed "$SEED" --reuse $flag
done
[ "$DENSE_MB" != 0 ] && python3 bench/dense.py "$BENCH_DIR/dense" --size-mb "$DENSE_MB" --seed "$SEED"
CALLS_MB=${CALLS_MB:-25}
[ "$CALLS_MB" != 0 ] && python3 bench/calls.py "$BENCH_DIR/calls" --size-mb "$CALLS_MB" --seed "$SEED"

# The rules' prefilter keywords, straight from rules/*.toml, so rg searches for the same strings
# (the exact ones too, folded like the rest: a slight overcount on rg's side).
mapfile -t keywords < <(python3 -c '
import glob, tomllib
for f in sorted(glob.glob("rules/*.toml")):
    rule = tomllib.load(open(f, "rb"))
    for k in rule.get("keywords", []) + rule.get("exact-keywords", []):
        print(k)')
kw_args=()
for k in "${keywords[@]}"; do kw_args+=(-e "$k"); done

j_km=() j_rg=() par=$(nproc)
if [ "$THREADS" != 0 ]; then j_km=(-j "$THREADS"); j_rg=(-j "$THREADS"); par=$THREADS; fi
# rg walks like keap-migrate: hidden files in, no ignore files (the trees have none, and
# keap-migrate honours .gitignore), same size limit; binary files are skipped by both.
rg_walk=(--no-ignore --hidden --max-filesize "$MAX_FILE_SIZE" "${j_rg[@]}")

# Wall times mean little on a busy machine: say so rather than print confident numbers.
read -r load _ </proc/loadavg
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "run.sh: warning: load average $load on $(nproc) cores: other work will skew wall times (CPU s is steadier)" >&2
fi

# An empty config: no keap-migrate.toml above BENCH_DIR (say, bench/out in a repository that has
# one) may exclude paths or add rules behind the benchmark's back.
config=$BENCH_DIR/empty-config.toml
: >"$config"

results=$BENCH_DIR/results.jsonl
: >"$results"
echo "keap-migrate $(git -C "$root" rev-parse --short HEAD), $(rg --version | head -1), $(nproc) cores," \
  "${#keywords[@]} keywords, median of $RUNS runs after one warm-up run" >&2
for tree in findings clean; do
  t=$BENCH_DIR/$tree
  m=$BENCH_DIR/$tree.manifest.json
  time_it() { python3 bench/measure.py time --results "$results" --tree "$tree" --manifest "$m" --runs "$RUNS" "$@"; }
  time_it --label "keap-migrate scan --format json" --ok 0,1 --keep-output "$BENCH_DIR/$tree.scan.json" \
    -- "$bin" scan --format json --config "$config" "${j_km[@]}" "$t"
  time_it --label "rg -l -i -F keywords" --ok 0,1 --keep-output "$BENCH_DIR/$tree.rg-files.txt" \
    -- rg -l -i -F "${rg_walk[@]}" "${kw_args[@]}" "$t"
  time_it --label "rg -c -i -F keywords" --ok 0,1 \
    -- rg -c -i -F "${rg_walk[@]}" "${kw_args[@]}" "$t"
  time_it --label "read: rg -c -F never-matching" --ok 0,1 \
    -- rg -c -F "${rg_walk[@]}" -e 'zzzzqqqq-never' "$t"
  time_it --label "read: find | xargs -P$par cat" \
    -- bash -c 'find "$1" -type f -size -8388609c -print0 | xargs -0 -P"$2" -n 200 cat >/dev/null' _ "$t" "$par"
done

# One file with a finding on every line: the scan must stay linear in its findings. The size
# limit is raised for it; rg reads it as the baseline.
if [ "$DENSE_MB" != 0 ]; then
  t=$BENCH_DIR/dense m=$BENCH_DIR/dense.manifest.json
  python3 bench/measure.py time --results "$results" --tree dense --manifest "$m" --runs "$RUNS" \
    --label "keap-migrate scan --format json" --ok 1 --keep-output "$BENCH_DIR/dense.scan.json" \
    -- "$bin" scan --format json --config "$config" --max-file-size 1G "${j_km[@]}" "$t"
  python3 bench/measure.py time --results "$results" --tree dense --manifest "$m" --runs "$RUNS" \
    --label "read: rg -c -F never-matching" --ok 0,1 \
    -- rg -c -F --no-ignore --hidden "${j_rg[@]}" -e 'zzzzqqqq-never' "$t"
fi

# One parsed file with a finding on every few lines: scan and diff must stay linear in its
# findings. Wall, CPU and peak RSS of one run each (these take seconds; a median would take long).
calls_report=""
if [ "$CALLS_MB" != 0 ]; then
  for what in scan diff; do
    args=(scan --format json)
    [ $what = diff ] && args=(diff)
    /usr/bin/time -f "%e %U %S %M" -o "$BENCH_DIR/calls.$what.time" \
      "$bin" "${args[@]}" --config "$config" --max-file-size 1G "${j_km[@]}" "$BENCH_DIR/calls" \
      >"$BENCH_DIR/calls.$what.out" 2>/dev/null || true
    read -r wall user sys rss <"$BENCH_DIR/calls.$what.time"
    calls_report+=$(printf '%-9s keap-migrate %-4s %8.2f s wall %7.2f s CPU %7.0f MiB peak RSS' \
      calls "$what" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc)")$'\n'
  done
fi

echo
python3 bench/measure.py table --results "$results"
if [ -n "$calls_report" ]; then
  echo
  echo "calls: $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["calls"], "calls,", m["findings"], "findings,", round(m["bytes"]/1e6, 1), "MB")' "$BENCH_DIR/calls.manifest.json")"
  printf '%s' "$calls_report"
fi
echo
for tree in findings clean; do
  echo "$tree: $(wc -l <"$BENCH_DIR/$tree.rg-files.txt") files hold a keyword (rg -l), so keap-migrate parses or matches those"
done
echo
status=0
for tree in findings clean; do
  python3 bench/check.py "$BENCH_DIR/$tree.manifest.json" "$BENCH_DIR/$tree.scan.json" || status=1
done
if [ "$DENSE_MB" != 0 ]; then
  python3 -c '
import json, sys
want = json.load(open(sys.argv[1]))["findings"]
got = len(json.load(open(sys.argv[2]))["findings"])
print(f"check (dense file): {got} of {want} findings reported")
sys.exit(got != want)' "$BENCH_DIR/dense.manifest.json" "$BENCH_DIR/dense.scan.json" || status=1
fi
if [ "$CALLS_MB" != 0 ]; then
  python3 -c '
import json, sys
want = json.load(open(sys.argv[1]))["findings"]
got = len(json.load(open(sys.argv[2]))["findings"])
print(f"check (calls file): {got} of {want} findings reported")
sys.exit(got != want)' "$BENCH_DIR/calls.manifest.json" "$BENCH_DIR/calls.scan.out" || status=1
fi
exit $status
