#!/usr/bin/env bash
# Builds aurea-k8s-check (k8s/admission-check: schema validation with the API server's
# apiextensions code and Pod Security admission with k8s.io/pod-security-admission) into the
# cache and prints the binary's path. Used by the k8s tests (k8s/admission.ts).
# Idempotent: cached under $AUREA_CACHE/k8s-check/<hash of the program's sources>/; about
# 1 min on a cold cache (module downloads included). Concurrent callers share one build (lock).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$AUREA_ROOT/k8s/admission-check"
hash="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)"
dest="$AUREA_CACHE/k8s-check/$hash"
if [ -x "$dest/aurea-k8s-check" ]; then echo "$dest/aurea-k8s-check"; exit 0; fi
command -v go >/dev/null || die "go is required to build aurea-k8s-check"
mkdir -p "$dest"
exec 9>"$dest.lock"
flock 9
if [ ! -x "$dest/aurea-k8s-check" ]; then
  with_progress "building aurea-k8s-check (about 1 min on a cold cache)" "$AUREA_CACHE/logs/k8s-check-build.log" \
    env -C "$src" go build -buildvcs=false -trimpath -ldflags="-s -w" -o "$dest/aurea-k8s-check.tmp" .
  mv "$dest/aurea-k8s-check.tmp" "$dest/aurea-k8s-check"
fi
echo "$dest/aurea-k8s-check"
