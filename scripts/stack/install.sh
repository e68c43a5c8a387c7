#!/usr/bin/env bash
# Installs every third-party component of the local stack into the cache (idempotent):
# Kafka jars, the Collector distribution, Prometheus + promtool, kustomize (renders k8s/ in
# the tests), Alertmanager (Debian package; the alert-routing test runs a private one).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$AUREA_ROOT/scripts/stack/install-kafka.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-collector.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-prometheus.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-kustomize.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-alertmanager.sh" >/dev/null
log "stack components installed under $AUREA_CACHE"
