#!/usr/bin/env bash
# Starts, stops or reports a second, long-term Prometheus beside the stack's (start.sh): the store
# that prometheus/long-term/remote-write.yml sends to (docs/alerts.md, "Long-term storage").
# Usage: prometheus-long-term.sh start | stop | status
# It listens on 127.0.0.1:$LONG_TERM_PROMETHEUS_PORT (default 9095) with --web.enable-remote-write-receiver
# and prometheus/long-term/long-term.yml (retention 400 days or 50 GB); its data and log live under
# $AUREA_RUN_DIR/prometheus-long-term and $AUREA_RUN_DIR/logs. To fill it, append
# prometheus/long-term/remote-write.yml to the stack Prometheus' rendered config
# ($AUREA_RUN_DIR/prometheus/prometheus.yml, port 9095 → LONG_TERM_PROMETHEUS_PORT) and reload it
# (curl -X POST http://127.0.0.1:$PROMETHEUS_PORT/-/reload). Starting it when it runs is a no-op;
# a taken port stops the start with its variable.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
eval "$(bash "$AUREA_ROOT/scripts/stack/paths.sh")"

LONG_TERM_PROMETHEUS_PORT="${LONG_TERM_PROMETHEUS_PORT:-9095}"
RUN="$AUREA_RUN_DIR"; mkdir -p "$RUN/pids" "$RUN/logs"
dir="$RUN/prometheus-long-term"; pidfile="$RUN/pids/prometheus-long-term.pid"; logfile="$RUN/logs/prometheus-long-term.log"

case "${1:-}" in
  stop) stop_pidfile "$pidfile" "long-term prometheus" 20; exit 0 ;;
  status)
    if pid_alive "$pidfile"; then echo "prometheus-long-term: running (pid $(cat "$pidfile"))"; else echo "prometheus-long-term: stopped"; exit 1; fi
    exit 0 ;;
  start) ;;
  *) die "usage: $0 start | stop | status" ;;
esac

if pid_alive "$pidfile"; then log "long-term prometheus already running (pid $(cat "$pidfile"))"; exit 0; fi
require_port "$LONG_TERM_PROMETHEUS_PORT" "long-term prometheus" LONG_TERM_PROMETHEUS_PORT
mkdir -p "$dir/data"
sed -e "s|127.0.0.1:9095|127.0.0.1:$LONG_TERM_PROMETHEUS_PORT|g" \
  "$AUREA_ROOT/prometheus/long-term/long-term.yml" >"$dir/prometheus.yml"
log "starting long-term prometheus on 127.0.0.1:$LONG_TERM_PROMETHEUS_PORT"
setsid nohup "$PROMETHEUS_BIN" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
  --web.listen-address="127.0.0.1:$LONG_TERM_PROMETHEUS_PORT" --web.enable-remote-write-receiver \
  --web.enable-lifecycle >>"$logfile" 2>&1 &
echo $! >"$pidfile"
wait_started "long-term prometheus (http://127.0.0.1:$LONG_TERM_PROMETHEUS_PORT)" 60 "$pidfile" "$logfile" \
  curl -fsS "http://127.0.0.1:$LONG_TERM_PROMETHEUS_PORT/-/ready"
