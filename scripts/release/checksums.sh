#!/usr/bin/env bash
# `checksums.sh DIR`: DIR/SHA256SUMS, one `HASH  NAME` line per archive (sha256sum's format,
# what `sha256sum -c` and scripts/action/install.sh read). Fails on a directory with none.
set -euo pipefail
cd "${1:?usage: checksums.sh DIR}"
shopt -s nullglob
archives=(keap-migrate-*.tar.gz)
((${#archives[@]})) || { echo "checksums.sh: no keap-migrate-*.tar.gz in $PWD" >&2; exit 1; }
sha256sum "${archives[@]}" >SHA256SUMS
cat SHA256SUMS
