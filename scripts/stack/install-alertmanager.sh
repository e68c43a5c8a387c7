#!/usr/bin/env bash
# Builds Alertmanager and amtool from their Go module into the cache (idempotent) and prints the
# alertmanager binary's path (amtool sits beside it). Built like Prometheus, so no root or
# apt-get is needed. The alert-routing test runs private instances on free ports with
# prometheus/alertmanager/alertmanager.yml; the local stack does not run one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ALERTMANAGER_VERSION="${ALERTMANAGER_VERSION:-v0.28.1}"
dest="$AUREA_CACHE/alertmanager/$ALERTMANAGER_VERSION"
if [ -x "$dest/alertmanager" ] && [ -x "$dest/amtool" ]; then echo "$dest/alertmanager"; exit 0; fi
command -v go >/dev/null || die "go is required to build Alertmanager"
mkdir -p "$dest"
ldflags="-s -w -X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION#v}"
for cmd in alertmanager amtool; do
  if [ ! -x "$dest/$cmd" ]; then
    with_progress "building $cmd $ALERTMANAGER_VERSION (about 1 min on a cold cache)" "$AUREA_CACHE/logs/$cmd-build.log" \
      env GOBIN="$dest" go install -trimpath -ldflags="$ldflags" "github.com/prometheus/alertmanager/cmd/$cmd@$ALERTMANAGER_VERSION"
  fi
done
echo "$dest/alertmanager"
