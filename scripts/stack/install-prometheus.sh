#!/usr/bin/env bash
# Builds Prometheus 3.x and promtool from the Go module into the cache.
# `-tags remove_all_sd` leaves out the cloud service-discovery plugins, whose modules this
# machine's proxy does not serve; static and file SD remain. Idempotent.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dest="$AUREA_CACHE/prometheus/$PROMETHEUS_MODULE_VERSION"
if [ -x "$dest/prometheus" ] && [ -x "$dest/promtool" ]; then echo "$dest"; exit 0; fi
command -v go >/dev/null || die "go is required to build Prometheus"
mkdir -p "$dest"
ldflags="-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION_LABEL -X github.com/prometheus/common/version.Branch=aurea"
for cmd in prometheus promtool; do
  if [ ! -x "$dest/$cmd" ]; then
    with_progress "building $cmd $PROMETHEUS_MODULE_VERSION (1-2 min on a cold cache)" "$AUREA_CACHE/logs/$cmd-build.log" \
      env GOBIN="$dest" go install -tags remove_all_sd -trimpath -ldflags="$ldflags" \
      "github.com/prometheus/prometheus/cmd/$cmd@$PROMETHEUS_MODULE_VERSION"
  fi
done
echo "$dest"
