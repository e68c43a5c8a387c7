#!/usr/bin/env bash
# Starts or stops a two-tier Collector topology on this machine (docs/collector.md, "Scaling out:
# two tiers"): OTELCOL_TIER_GUARDS guard instances (collector/config.yaml) and one routing instance
# (collector/routing/config.yaml) that forwards every export to the guard its routing key maps to.
# Clients send to the routing instance, on the usual ports (OTELCOL_GRPC_PORT, OTELCOL_HTTP_PORT,
# OTELCOL_HEALTH_PORT, OTELCOL_METRICS_PORT). Guard i listens on OTELCOL_TIER_PORT_BASE + 10·i + 0..3
# (gRPC, HTTP, health, self-metrics). Instances are collector-instance.sh instances named guard-<i>
# and routing, in $AUREA_RUN_DIR (pids/, logs/); the guards push to the Prometheus at PROMETHEUS_PORT.
# Usage: collector-tier.sh start | stop
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OTELCOL_TIER_GUARDS="${OTELCOL_TIER_GUARDS:-2}"
OTELCOL_TIER_PORT_BASE="${OTELCOL_TIER_PORT_BASE:-24310}"
instance="$AUREA_ROOT/scripts/stack/collector-instance.sh"

case "${1:-}" in
  start)
    endpoints=()
    for ((i = 0; i < OTELCOL_TIER_GUARDS; i++)); do
      base=$((OTELCOL_TIER_PORT_BASE + 10 * i))
      OTELCOL_GRPC_PORT=$base OTELCOL_HTTP_PORT=$((base + 1)) OTELCOL_HEALTH_PORT=$((base + 2)) \
        OTELCOL_METRICS_PORT=$((base + 3)) bash "$instance" start guard "guard-$i"
      endpoints+=("127.0.0.1:$base")
    done
    OTELCOL_GUARD_ENDPOINTS="[$(IFS=,; echo "${endpoints[*]}")]" bash "$instance" start routing routing
    log "two-tier Collector up: routing OTLP HTTP http://127.0.0.1:$OTELCOL_HTTP_PORT -> guards ${endpoints[*]}"
    ;;
  stop)
    bash "$instance" stop routing
    for pidfile in "$AUREA_RUN_DIR"/pids/otelcol-guard-*.pid; do
      [ -e "$pidfile" ] || continue
      name="$(basename "$pidfile" .pid)"; bash "$instance" stop "${name#otelcol-}"
    done
    ;;
  *) die "usage: $0 start | stop" ;;
esac
