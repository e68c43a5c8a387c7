#!/usr/bin/env bash
# Starts, stops or kills one extra Aurea Collector instance, beside the stack's own (start.sh):
#   guard   — otelcol-aurea with collector/config.yaml (the same file as the stack's Collector);
#   routing — otelcol-aurea-routing with collector/routing/config.yaml (the two-tier topology's
#             first tier, forwarding to the guard instances listed in OTELCOL_GUARD_ENDPOINTS).
# Usage: collector-instance.sh start guard|routing NAME
#        collector-instance.sh stop NAME     (SIGTERM with a deadline, then SIGKILL)
#        collector-instance.sh kill NAME     (SIGKILL at once: a crash, for failure tests)
#        collector-instance.sh status NAME
# Ports come from the usual variables (OTELCOL_GRPC_PORT, OTELCOL_HTTP_PORT, OTELCOL_HEALTH_PORT,
# OTELCOL_METRICS_PORT; lib.sh); a guard pushes to the Prometheus at PROMETHEUS_PORT and sends GenAI
# spans to the Kafka at KAFKA_PORT. Pid file and log: $AUREA_RUN_DIR/pids|logs/otelcol-NAME.*.
# OTELCOL_CONFIG runs another config file instead (experiments: a baseline to compare with).
# Starting an instance that is running is a no-op; a taken port stops the start with its variable.
# docs/stack.md ("Extra Collector instances") and docs/collector.md ("Scaling out: two tiers").
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { die "usage: $0 start guard|routing NAME | stop NAME | kill NAME | status NAME"; }
cmd="${1:-}"
case "$cmd" in
  start) tier="${2:-}"; name="${3:-}"; [ -n "$name" ] || usage ;;
  stop | kill | status) name="${2:-}"; [ -n "$name" ] || usage ;;
  *) usage ;;
esac
[[ "$name" =~ ^[a-z0-9-]+$ ]] || die "instance name must be [a-z0-9-]+: $name"
RUN="$AUREA_RUN_DIR"; mkdir -p "$RUN/pids" "$RUN/logs"
pidfile="$RUN/pids/otelcol-$name.pid"; logfile="$RUN/logs/otelcol-$name.log"

case "$cmd" in
  stop) stop_pidfile "$pidfile" "collector $name" 15; exit 0 ;;
  kill)
    if pid_alive "$pidfile"; then
      pid="$(cat "$pidfile")"; log "SIGKILL collector $name (pid $pid)"; kill -KILL "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    rm -f "$pidfile"; exit 0 ;;
  status)
    if pid_alive "$pidfile"; then echo "otelcol-$name: running (pid $(cat "$pidfile"))"; else echo "otelcol-$name: stopped"; exit 1; fi
    exit 0 ;;
esac

case "$tier" in
  guard) bin="$(bash "$AUREA_ROOT/scripts/stack/install-collector.sh")"; config="$AUREA_ROOT/collector/config.yaml" ;;
  routing)
    bin="$(bash "$AUREA_ROOT/scripts/stack/install-collector.sh" "$AUREA_ROOT/collector/routing/builder-config.yaml")"
    config="$AUREA_ROOT/collector/routing/config.yaml"
    [ -n "${OTELCOL_GUARD_ENDPOINTS:-}" ] || die "a routing instance needs OTELCOL_GUARD_ENDPOINTS, e.g. [127.0.0.1:24317,127.0.0.1:24327]" ;;
  *) usage ;;
esac
if pid_alive "$pidfile"; then log "collector $name already running (pid $(cat "$pidfile"))"; exit 0; fi
require_port "$OTELCOL_GRPC_PORT" "collector $name OTLP/gRPC" OTELCOL_GRPC_PORT
require_port "$OTELCOL_HTTP_PORT" "collector $name OTLP/HTTP" OTELCOL_HTTP_PORT
require_port "$OTELCOL_HEALTH_PORT" "collector $name health_check" OTELCOL_HEALTH_PORT
require_port "$OTELCOL_METRICS_PORT" "collector $name self-metrics" OTELCOL_METRICS_PORT
log "starting $tier collector $name (OTLP gRPC :$OTELCOL_GRPC_PORT, HTTP :$OTELCOL_HTTP_PORT)"
OTELCOL_GRPC_ENDPOINT="127.0.0.1:$OTELCOL_GRPC_PORT" OTELCOL_HTTP_ENDPOINT="127.0.0.1:$OTELCOL_HTTP_PORT" \
OTELCOL_HEALTH_ENDPOINT="127.0.0.1:$OTELCOL_HEALTH_PORT" OTELCOL_METRICS_PORT="$OTELCOL_METRICS_PORT" \
PROMETHEUS_OTLP_ENDPOINT="http://127.0.0.1:$PROMETHEUS_PORT/api/v1/otlp" KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" \
AUREA_ENV="${AUREA_ENV:-local}" \
  setsid nohup "$bin" --config "${OTELCOL_CONFIG:-$config}" >>"$logfile" 2>&1 &
echo $! >"$pidfile"
wait_started "collector $name" 60 "$pidfile" "$logfile" curl -fsS "http://127.0.0.1:$OTELCOL_HEALTH_PORT/"
