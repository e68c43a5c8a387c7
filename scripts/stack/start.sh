#!/usr/bin/env bash
# Starts the local Aurea stack: Kafka (KRaft, one node), the Aurea Collector, Prometheus.
# Installs what is missing first (cached), waits until each part is healthy, prints where
# each listens. Idempotent: parts already running are left alone. Stop with stop.sh.
# Data and logs: $AUREA_RUN_DIR (default .aurea/). Ports: see lib.sh (env overrides).
# Daemons run in their own session (setsid): a Ctrl-C in the terminal that started them reaches
# the foreground program only, and the stack stops in order through stop.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# One start/stop at a time (several terminals or test runs may call this).
mkdir -p "$AUREA_RUN_DIR"; exec 9>"$AUREA_RUN_DIR/.stack.lock"; flock 9
eval "$(bash "$AUREA_ROOT/scripts/stack/paths.sh")"

RUN="$AUREA_RUN_DIR"; LOGS="$RUN/logs"; mkdir -p "$LOGS" "$RUN/pids"

# ---- Kafka ------------------------------------------------------------------------
start_kafka() {
  # KAFKA_NODES > 1: a multi-node KRaft cluster instead (scripts/stack/kafka-cluster.sh, docs/stack.md).
  if [ "${KAFKA_NODES:-1}" -gt 1 ]; then bash "$AUREA_ROOT/scripts/stack/kafka-cluster.sh" start >/dev/null; return; fi
  local pidfile="$RUN/pids/kafka.pid"
  if pid_alive "$pidfile"; then log "kafka already running (pid $(cat "$pidfile"))"; return; fi
  require_port "$KAFKA_PORT" kafka KAFKA_PORT
  require_port "$KAFKA_CONTROLLER_PORT" "kafka controller" KAFKA_CONTROLLER_PORT
  local dir="$RUN/kafka"; mkdir -p "$dir/data"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" -e "s|@KAFKA_DATA@|$dir/data|g" \
    "$AUREA_ROOT/scripts/stack/templates/kafka-server.properties" >"$dir/server.properties"
  cp "$AUREA_ROOT/scripts/stack/templates/kafka-log4j2.properties" "$dir/log4j2.properties"
  local cp="$KAFKA_HOME/libs/*"
  if [ ! -f "$dir/data/meta.properties" ]; then
    local id; id="$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    log "formatting Kafka storage (cluster id $id)"
    java -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$cp" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" >>"$LOGS/kafka.log" 2>&1 \
      || die "formatting Kafka storage failed; see $LOGS/kafka.log"
  fi
  log "starting kafka on 127.0.0.1:$KAFKA_PORT"
  setsid nohup java -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -Dkafka.logs.dir="$LOGS" \
    -cp "$cp" kafka.Kafka "$dir/server.properties" >>"$LOGS/kafka.log" 2>&1 9>&- &
  echo $! >"$pidfile"
}

# ---- Collector --------------------------------------------------------------------
start_collector() {
  local pidfile="$RUN/pids/otelcol.pid"
  if pid_alive "$pidfile"; then log "collector already running (pid $(cat "$pidfile"))"; return; fi
  require_port "$OTELCOL_GRPC_PORT" "collector OTLP/gRPC" OTELCOL_GRPC_PORT
  require_port "$OTELCOL_HTTP_PORT" "collector OTLP/HTTP" OTELCOL_HTTP_PORT
  require_port "$OTELCOL_HEALTH_PORT" "collector health_check" OTELCOL_HEALTH_PORT
  require_port "$OTELCOL_METRICS_PORT" "collector self-metrics" OTELCOL_METRICS_PORT
  log "starting collector (OTLP gRPC :$OTELCOL_GRPC_PORT, HTTP :$OTELCOL_HTTP_PORT)"
  OTELCOL_GRPC_ENDPOINT="127.0.0.1:$OTELCOL_GRPC_PORT" OTELCOL_HTTP_ENDPOINT="127.0.0.1:$OTELCOL_HTTP_PORT" \
  OTELCOL_HEALTH_ENDPOINT="127.0.0.1:$OTELCOL_HEALTH_PORT" OTELCOL_METRICS_PORT="$OTELCOL_METRICS_PORT" \
  PROMETHEUS_OTLP_ENDPOINT="http://127.0.0.1:$PROMETHEUS_PORT/api/v1/otlp" KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" \
  AUREA_ENV="${AUREA_ENV:-local}" \
    setsid nohup "$OTELCOL_BIN" --config "$AUREA_ROOT/collector/config.yaml" >>"$LOGS/otelcol.log" 2>&1 9>&- &
  echo $! >"$pidfile"
}

# ---- Prometheus -------------------------------------------------------------------
start_prometheus() {
  local pidfile="$RUN/pids/prometheus.pid"
  if pid_alive "$pidfile"; then log "prometheus already running (pid $(cat "$pidfile"))"; return; fi
  require_port "$PROMETHEUS_PORT" prometheus PROMETHEUS_PORT
  local dir="$RUN/prometheus"; mkdir -p "$dir/data"
  # The checked-in config uses the default ports; render a copy with the configured ones (and the
  # retention time, storage.tsdb.retention in the file, from PROMETHEUS_RETENTION when set).
  rm -rf "$dir/rules"; cp -r "$AUREA_ROOT/prometheus/rules" "$dir/rules" 2>/dev/null || mkdir -p "$dir/rules"
  sed -e "s|127.0.0.1:8888|127.0.0.1:$OTELCOL_METRICS_PORT|g" -e "s|127.0.0.1:9090|127.0.0.1:$PROMETHEUS_PORT|g" \
    -e "s|^      time: 7d\$|      time: ${PROMETHEUS_RETENTION:-7d}|" \
    "$AUREA_ROOT/prometheus/prometheus.yml" >"$dir/prometheus.yml"
  log "starting prometheus on 127.0.0.1:$PROMETHEUS_PORT"
  setsid nohup "$PROMETHEUS_BIN" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-otlp-receiver --web.enable-lifecycle \
    --enable-feature="$PROMETHEUS_FEATURES" >>"$LOGS/prometheus.log" 2>&1 9>&- &
  echo $! >"$pidfile"
}

alive_or_die() { pid_alive "$RUN/pids/$1.pid" || { tail -n 30 "$LOGS/$1.log" >&2; die "$1 exited during start; see $LOGS/$1.log"; }; }
kafka_ready() {
  if [ "${KAFKA_NODES:-1}" -gt 1 ]; then bash "$AUREA_ROOT/scripts/stack/kafka-cluster.sh" status; return; fi
  alive_or_die kafka; "$AUREA_ROOT/node_modules/.bin/tsx" "$AUREA_ROOT/scripts/stack/kafka-ready.ts" "127.0.0.1:$KAFKA_PORT"
}
collector_ready() { alive_or_die otelcol; curl -fsS "http://127.0.0.1:$OTELCOL_HEALTH_PORT/" >/dev/null; }
prometheus_ready() { alive_or_die prometheus; curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" >/dev/null; }

start_kafka
start_prometheus
wait_until prometheus 60 prometheus_ready
start_collector
wait_until collector 60 collector_ready
wait_until kafka 90 kafka_ready

cat <<INFO
Aurea stack is up (logs in $LOGS):
  Kafka       127.0.0.1:$KAFKA_PORT (KRaft, topics created)
  Collector   OTLP gRPC 127.0.0.1:$OTELCOL_GRPC_PORT, OTLP HTTP http://127.0.0.1:$OTELCOL_HTTP_PORT, health http://127.0.0.1:$OTELCOL_HEALTH_PORT/, self-metrics http://127.0.0.1:$OTELCOL_METRICS_PORT/metrics
  Prometheus  http://127.0.0.1:$PROMETHEUS_PORT (OTLP receiver at /api/v1/otlp/v1/metrics)
Stop with: npm run stack:stop
INFO
