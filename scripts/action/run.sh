#!/usr/bin/env bash
# The Action's scan step (action.yml): one scan, whose main report is GitHub annotations (or
# the text report) in the log and whose SARIF goes beside it, for the upload. Exits with the
# scan's exit code, so the job fails as `--fail-on` says.
#
# Inputs come through the environment, never pasted into the script: KM_BIN (the executable
# the install step put in place), KM_WORKING_DIRECTORY, KM_PATHS and KM_ARGS (split on
# whitespace), KM_ANNOTATIONS, KM_FAIL_ON, KM_BASELINE, KM_FAIL_ON_STALE, KM_SINCE, KM_SARIF.
# Paths (scanned paths, baseline, SARIF file) are relative to the working directory.
# Outputs: sarif-file (its absolute path, when a report was written) and exit-code.
set -euo pipefail

cd "${KM_WORKING_DIRECTORY:-.}"
sarif="${KM_SARIF:-keap-migrate.sarif}"
args=(scan --sarif-output "$sarif")
case "${KM_ANNOTATIONS:-true}" in
  true) args+=(--format github) ;;
  false) args+=(--format text) ;;
  *) echo "::error title=keap-migrate::annotations must be true or false, not '$KM_ANNOTATIONS'" >&2; exit 2 ;;
esac
if [ -n "${KM_FAIL_ON:-}" ]; then args+=(--fail-on "$KM_FAIL_ON"); fi
if [ -n "${KM_BASELINE:-}" ]; then args+=(--baseline "$KM_BASELINE"); fi
if [ "${KM_FAIL_ON_STALE:-false}" = true ]; then args+=(--fail-on-stale-baseline); fi
if [ -n "${KM_SINCE:-}" ]; then args+=(--since "$KM_SINCE"); fi
read -r -a extra <<<"${KM_ARGS:-}"
read -r -a paths <<<"${KM_PATHS:-.}"
((${#paths[@]})) || paths=(.)

# The `+` forms keep an empty list from tripping `set -u` in macOS's bash 3.2.
# A report left by an earlier run is not this scan's.
rm -f "$sarif"
code=0
"${KM_BIN:-keap-migrate}" "${args[@]}" ${extra[@]+"${extra[@]}"} -- "${paths[@]}" || code=$?

if [ -f "$sarif" ]; then
  case "$sarif" in
    /* | [A-Za-z]:[\\/]*) echo "sarif-file=$sarif" ;;
    # Git Bash on Windows: `pwd -W` gives the D:/… form the upload action reads.
    *) echo "sarif-file=$(pwd -W 2>/dev/null || pwd)/$sarif" ;;
  esac >>"$GITHUB_OUTPUT"
fi
echo "exit-code=$code" >>"$GITHUB_OUTPUT"
exit "$code"
