#!/usr/bin/env bash
# Builds kustomize (sigs.k8s.io/kustomize/kustomize/v5) from the Go module into the cache
# and prints the binary's path. Used by the k8s tests (k8s/*.test.ts) and by docs/deploy.md.
# Idempotent: cached under $AUREA_CACHE/kustomize/<version>/; ~25 s on a cold cache.
# Concurrent callers (parallel test files) are serialised by a lock so one build happens.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dest="$AUREA_CACHE/kustomize/$KUSTOMIZE_VERSION"
if [ -x "$dest/kustomize" ]; then echo "$dest/kustomize"; exit 0; fi
command -v go >/dev/null || die "go is required to build kustomize"
mkdir -p "$dest"
exec 9>"$dest.lock"
flock 9
if [ ! -x "$dest/kustomize" ]; then
  mkdir -p "$dest.tmp"
  with_progress "building kustomize $KUSTOMIZE_VERSION (about 25 s on a cold cache)" "$AUREA_CACHE/logs/kustomize-build.log" \
    env GOBIN="$dest.tmp" go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  mv "$dest.tmp/kustomize" "$dest/kustomize"; rm -rf "$dest.tmp"
fi
echo "$dest/kustomize"
