#!/usr/bin/env bash
# The release archive of one target: `package.sh TARGET DIR [BINARY]` writes
# DIR/keap-migrate-TARGET.tar.gz holding the executable alone (keap-migrate, keap-migrate.exe
# on Windows), as scripts/action/install.sh unpacks it. BINARY defaults to cargo's
# target/TARGET/release build. One format on every platform: the Action unpacks it with the
# tar every runner has (Windows too).
set -euo pipefail
target="${1:?usage: package.sh TARGET DIR [BINARY]}"
dir="${2:?usage: package.sh TARGET DIR [BINARY]}"
exe=""
case "$target" in *-windows-*) exe=.exe ;; esac
binary="${3:-target/$target/release/keap-migrate$exe}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$binary" "$stage/keap-migrate$exe"
chmod 755 "$stage/keap-migrate$exe"
mkdir -p "$dir"
tar -czf "$dir/keap-migrate-$target.tar.gz" -C "$stage" "keap-migrate$exe"
