#!/usr/bin/env bash
# Builds an Aurea OpenTelemetry Collector distribution with the Collector Builder from a builder
# manifest: collector/builder-config.yaml (the gateway/guard tier, otelcol-aurea) by default, or
# the manifest given as $1 (collector/routing/builder-config.yaml: the routing tier). The
# distribution's name and the Builder version come from the manifest's dist.name/dist.version.
# Components of our own (a `path:` entry, relative to the manifest's folder: collector/components/)
# are built from this clone. Idempotent: the binary is cached under $AUREA_CACHE/otelcol/<hash>/,
# the hash covering the manifest and those components' sources, and rebuilt only when one changes.
# Prints the binary's path.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

manifest="$(realpath "${1:-$AUREA_ROOT/collector/builder-config.yaml}")"
[ -f "$manifest" ] || die "no Collector Builder manifest at $manifest"
mdir="$(dirname "$manifest")"
dist_field() { sed -n "/^dist:/,/^[^ ]/s/^  $1: *//p" "$manifest" | head -n 1; }
name="$(dist_field name)"
version="$(dist_field version)"
[ -n "$name" ] && [ -n "$version" ] || die "$manifest: dist.name and dist.version are required"
# Sources of the local components the manifest names (path: ./components/<name>). The key hashes
# contents and names relative to the manifest's folder, so every clone shares the cached build.
mapfile -t own < <(cd "$mdir" && sed -n 's/^ *path: *//p' "$manifest" | while read -r p; do
  find "$p" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | sort; done)
key="$(cd "$mdir" && manifest_hash "$(basename "$manifest")" "${own[@]}")"
dest="$AUREA_CACHE/otelcol/$key"
if [ -x "$dest/$name" ]; then echo "$dest/$name"; exit 0; fi
# One build per manifest at a time (parallel test workers call paths.sh); the others wait for it.
mkdir -p "$AUREA_CACHE/otelcol"; exec 8>"$AUREA_CACHE/otelcol/.$key.lock"; flock 8
if [ -x "$dest/$name" ]; then echo "$dest/$name"; exit 0; fi
command -v go >/dev/null || die "go is required to build the Collector"

gobin="$AUREA_CACHE/gobin/builder-$version"
if [ ! -x "$gobin/builder" ]; then
  with_progress "installing Collector Builder v$version" "$AUREA_CACHE/logs/otelcol-builder-$version-install.log" \
    env GOBIN="$gobin" go install "go.opentelemetry.io/collector/cmd/builder@v$version"
fi

src="$AUREA_CACHE/otelcol/src-$key"
genlog="$AUREA_CACHE/logs/otelcol-generate-$key.log"
rm -rf "$src"; mkdir -p "$src" "$AUREA_CACHE/logs"
# The builder's own `go mod tidy` also fetches test-only modules that this machine's proxy
# does not serve (pkg/golden), so generate sources only; go.mod/go.sum are still written.
log "generating $name sources (builder v$version --skip-compilation)"
# From the manifest's folder: the builder resolves `path:` entries against the working directory.
if ! (cd "$mdir" && "$gobin/builder" --config "$manifest" --output-path "$src" --skip-compilation) >"$genlog" 2>&1; then
  if [ -f "$src/main.go" ] && [ -f "$src/go.mod" ] && grep -q "go mod tidy\|tidy" "$genlog"; then
    log "builder reported the known 'go mod tidy' failure on test-only modules; sources were generated, compiling with -mod=mod"
  else
    tail -n 30 "$genlog" >&2
    die "Collector Builder failed to generate sources"
  fi
fi
mkdir -p "$dest.tmp"
with_progress "compiling $name (about 3 min on a cold cache)" "$AUREA_CACHE/logs/otelcol-build-$key.log" \
  bash -c "cd '$src' && GOFLAGS=-mod=mod go build -trimpath -ldflags='-s -w' -o '$dest.tmp/$name' ."
rm -rf "$dest"; mv "$dest.tmp" "$dest"; rm -rf "$src"
echo "$dest/$name"
