#!/usr/bin/env bash
# Node binaries for the Node lines the published SDK supports (docs/sdk.md, "Install"), for the
# packaging test (test/packaging/). Prints one line per tested Node: "<version> <path to node>".
# Node 24 is the repository's own pinned Node (the `node` devDependency); the other lines come from
# the npm registry's `node` package (which installs the platform's binary package), cached under
# $AUREA_CACHE/node/<version>/ outside the clone. Idempotent: ~15 s and ~40 MB per version on a
# cold cache, instant afterwards; concurrent callers are serialised by a lock per version.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The other Node lines tested, newest patch releases served when pinned.
NODE_OTHER_LINES="${NODE_OTHER_LINES:-22.23.3 26.10.0}"

install_node() {
  local version="$1" dest="$AUREA_CACHE/node/$1"
  local bin="$dest/node_modules/node/bin/node"
  if [ ! -x "$bin" ]; then
    command -v npm >/dev/null || die "npm is required to install Node $version"
    mkdir -p "$AUREA_CACHE/node"
    exec 9>"$dest.lock"
    flock 9
    if [ ! -x "$bin" ]; then
      rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
      with_progress "installing Node $version from the npm registry" "$AUREA_CACHE/logs/node-$version.log" \
        npm install --prefix "$dest.tmp" --no-save --no-package-lock --no-audit --no-fund "node@$version"
      rm -rf "$dest"; mv "$dest.tmp" "$dest"
    fi
    exec 9>&-
  fi
  local got; got="$("$bin" -v)"
  [ "$got" = "v$version" ] || die "Node $version: $bin reports $got"
  echo "$version $bin"
}

own="$(command -v node)"
case "$own" in "$AUREA_ROOT"/node_modules/*) ;; *) die "the repository's pinned Node is not installed (npm install)";; esac
echo "$("$own" -v | cut -c2-) $own"
for v in $NODE_OTHER_LINES; do install_node "$v"; done
