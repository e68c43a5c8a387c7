#!/usr/bin/env bash
# Installs every component the stack and the tests need into the cache (idempotent):
# Kafka jars, the Collector distributions (gateway/guard tier and routing tier), Prometheus +
# promtool, kustomize (renders k8s/ in the tests), aurea-k8s-check (built from k8s/admission-check:
# the k8s tests' schema and Pod Security checks), Alertmanager (the alert-routing test runs a
# private one).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$AUREA_ROOT/scripts/stack/install-kafka.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-collector.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-collector.sh" "$AUREA_ROOT/collector/routing/builder-config.yaml" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-prometheus.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-kustomize.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-k8s-check.sh" >/dev/null
bash "$AUREA_ROOT/scripts/stack/install-alertmanager.sh" >/dev/null
log "stack components installed under $AUREA_CACHE"
