#!/usr/bin/env bash
# The Action's install steps (action.yml), in two modes:
#   install.sh download  the release binary for this runner, verified against the release's
#                        SHA256SUMS; when the release has none for this runner (or it cannot be
#                        downloaded), says so in its outputs and the build mode runs instead.
#   install.sh build     `cargo install --locked` into $RUNNER_TEMP/keap-migrate-cargo, the
#                        download mode's cache-path output, which actions/cache restored
#                        in between (a cached build is reused as it is).
# A checksum that does not match fails the step: a binary that is not the one released is
# never run, nor silently replaced by a build.
#
# From the runner: RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_PATH,
# GITHUB_ACTION_PATH (the action's checkout). From the action: KM_VERSION (the `version` input:
# vX.Y.Z, X.Y.Z, latest, or empty for the action's own tag), KM_ACTION_REF (github.action_ref).
# KEAP_MIGRATE_RELEASE_BASE replaces https://github.com/keap-migrate/keap-migrate/releases (a
# mirror; a file:// directory in the tests).
set -euo pipefail

repo=https://github.com/keap-migrate/keap-migrate
base="${KEAP_MIGRATE_RELEASE_BASE:-$repo/releases}"
action_ref="${KM_ACTION_REF:-}"
cache="${RUNNER_TEMP:?}/keap-migrate-cargo"

fail() {
  echo "::error title=keap-migrate install::$*" >&2
  exit 1
}

# The tag to install: the input, else the action's own when it was used at a tag, else latest.
version="${KM_VERSION:-}"
if [ -z "$version" ]; then
  case "$action_ref" in
    v[0-9]*) version="$action_ref" ;;
    *) version=latest ;;
  esac
fi
case "$version" in
  latest | v[0-9]*) ;;
  [0-9]*) version="v$version" ;;
  *) fail "version must be latest, vX.Y.Z or X.Y.Z, not '$version'" ;;
esac

exe=""
[ "${RUNNER_OS:-}" = Windows ] && exe=.exe

# The release workflow's matrix (.github/workflows/release.yml) builds these targets.
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) target="" ;;
esac

# `bin` (the executable) for the next steps, and its directory on PATH for the job's later ones.
installed() {
  echo "bin=$1/keap-migrate$exe" >>"$GITHUB_OUTPUT"
  echo "$1" >>"$GITHUB_PATH"
  "$1/keap-migrate$exe" --version
}

# A file's SHA-256, or standard input's. macOS has shasum, not sha256sum.
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi |
    cut -d' ' -f1
}

fetch() {
  local url
  if [ "$version" = latest ]; then
    url="$base/latest/download/$1"
  else
    url="$base/download/$version/$1"
  fi
  curl --fail --silent --show-error --location --retry 3 --output "$2" "$url"
}

# The build mode's inputs: what it builds and under which cache key. The action's own checkout
# when it is the version asked for (or latest), keyed by its sources, so a branch that moves
# rebuilds; another tag, from git.
fall_back() {
  echo "::notice title=keap-migrate install::$1; building keap-migrate $version with cargo install --locked (cached for the next runs)"
  local source
  if [ "$version" = latest ] || [ "$version" = "$action_ref" ]; then
    source="path-$(cd "$GITHUB_ACTION_PATH" &&
      find Cargo.toml Cargo.lock build.rs src rules -type f | LC_ALL=C sort |
      while read -r f; do sha256 "$f"; done | sha256 | cut -c1-16)"
  else
    source="$version"
  fi
  {
    echo "installed=false"
    echo "cache-path=$cache"
    echo "cache-key=keap-migrate-cargo-$RUNNER_OS-$RUNNER_ARCH-$version-$source"
  } >>"$GITHUB_OUTPUT"
  exit 0
}

download() {
  [ -n "$target" ] || fall_back "no release binary for $RUNNER_OS $RUNNER_ARCH"
  local asset="keap-migrate-$target.tar.gz"
  local tmp="$RUNNER_TEMP/keap-migrate-download"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # SHA256SUMS lists what the release holds: without it there is no release to trust.
  fetch SHA256SUMS "$tmp/SHA256SUMS" || fall_back "release $version not downloadable"
  local expected
  expected="$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/SHA256SUMS")"
  [ -n "$expected" ] || fall_back "release $version has no $asset"
  fetch "$asset" "$tmp/$asset" || fall_back "$asset of release $version not downloadable"
  local actual
  actual="$(sha256 "$tmp/$asset")"
  [ "$actual" = "$expected" ] ||
    fail "$asset of release $version has SHA-256 $actual, but its SHA256SUMS says $expected: not installed"
  local dir="$RUNNER_TEMP/keap-migrate-$version-$target"
  rm -rf "$dir"
  mkdir -p "$dir"
  # The archive by a relative name: GNU tar (Git Bash's) takes the `D:` of a Windows path for
  # a remote host.
  (cd "$tmp" && tar -xzf "$asset" -C "$dir")
  echo "installed=true" >>"$GITHUB_OUTPUT"
  installed "$dir"
}

build() {
  local root="$cache"
  if [ -x "$root/bin/keap-migrate$exe" ]; then
    echo "keap-migrate: the cached build"
  else
    command -v cargo >/dev/null 2>&1 ||
      fail "no release binary for this runner and no cargo to build one: install Rust first (e.g. dtolnay/rust-toolchain)"
    local source=(--path "$GITHUB_ACTION_PATH")
    if [ "$version" != latest ] && [ "$version" != "$action_ref" ]; then
      source=(--git "$repo" --tag "$version")
    fi
    # Into a fresh directory, moved in place once complete: a cut-short build is never cached.
    rm -rf "$root.partial"
    cargo install --locked --root "$root.partial" "${source[@]}"
    rm -rf "$root"
    mv "$root.partial" "$root"
  fi
  installed "$root/bin"
}

case "${1:-}" in
  download) download ;;
  build) build ;;
  *) fail "usage: install.sh download|build" ;;
esac
