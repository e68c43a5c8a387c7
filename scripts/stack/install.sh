#!/usr/bin/env bash
# Installs every third-party component of the local stack into the cache (idempotent):
# Kafka jars, the Collector distribution, Prometheus + promtool, kustomize.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$AUREA_ROOT/scripts/stack/install-kafka.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-collector.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-prometheus.sh" >/dev/null
if [ -f "$AUREA_ROOT/scripts/stack/install-kustomize.sh" ]; then bash "$AUREA_ROOT/scripts/stack/install-kustomize.sh" >/dev/null; fi
log "stack components installed under $AUREA_CACHE"
