#!/usr/bin/env bash
# Prints KEY=VALUE lines with the installed binaries' paths (for tests and other scripts).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
echo "KAFKA_HOME=$(bash "$AUREA_ROOT/scripts/stack/install-kafka.sh")"
echo "OTELCOL_BIN=$(bash "$AUREA_ROOT/scripts/stack/install-collector.sh")"
echo "OTELCOL_ROUTING_BIN=$(bash "$AUREA_ROOT/scripts/stack/install-collector.sh" "$AUREA_ROOT/collector/routing/builder-config.yaml")"
prom="$(bash "$AUREA_ROOT/scripts/stack/install-prometheus.sh")"
echo "PROMETHEUS_BIN=$prom/prometheus"
echo "PROMTOOL_BIN=$prom/promtool"
echo "PROMETHEUS_FEATURES=$PROMETHEUS_FEATURES"
