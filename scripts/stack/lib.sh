#!/usr/bin/env bash
# Shared helpers for the Aurea stack scripts (sourced, never run directly).
# Cache: downloads and builds live under $AUREA_CACHE (default ~/.cache/aurea), keyed
# by version or manifest hash, so a fresh clone on the same machine reuses them.
# Runtime: data, logs and pid files of a running stack live under $AUREA_RUN_DIR
# (default <repo>/.aurea, git-ignored).
set -euo pipefail

AUREA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AUREA_CACHE="${AUREA_CACHE:-$HOME/.cache/aurea}"
AUREA_RUN_DIR="${AUREA_RUN_DIR:-$AUREA_ROOT/.aurea}"
# Every entry point runs on the project's pinned Node (the `node` devDependency), also when a
# script is called directly rather than through npm.
if [ -d "$AUREA_ROOT/node_modules/.bin" ]; then PATH="$AUREA_ROOT/node_modules/.bin:$PATH"; export PATH; fi
# Workspace packages resolve to their TypeScript sources under the "@aurea/source" export condition
# (docs/sdk.md, "Install"); npm run / npx set it from .npmrc, this covers scripts called directly.
case " ${NODE_OPTIONS:-} " in *" --conditions=@aurea/source "*) ;;
  *) NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--conditions=@aurea/source"; export NODE_OPTIONS ;; esac

# Pinned versions (docs/stack.md says why each one).
KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
LOG4J_VERSION="${LOG4J_VERSION:-2.24.3}"
OTELCOL_VERSION="${OTELCOL_VERSION:-0.155.0}"
PROMETHEUS_MODULE_VERSION="${PROMETHEUS_MODULE_VERSION:-v0.316.0}"
PROMETHEUS_VERSION_LABEL="${PROMETHEUS_VERSION_LABEL:-3.16.0}"
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.1}"
# Prometheus --enable-feature list: counters' OTLP start times become 0 samples, so a counter that
# restarts (a guard Collector restart) is always seen as a reset (docs/collector.md).
PROMETHEUS_FEATURES="${PROMETHEUS_FEATURES:-created-timestamp-zero-ingestion}"

# Ports (override with env).
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
OTELCOL_GRPC_PORT="${OTELCOL_GRPC_PORT:-4317}"
OTELCOL_HTTP_PORT="${OTELCOL_HTTP_PORT:-4318}"
OTELCOL_HEALTH_PORT="${OTELCOL_HEALTH_PORT:-13133}"
OTELCOL_METRICS_PORT="${OTELCOL_METRICS_PORT:-8888}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"

log() { printf '[aurea %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Run a long command with its output in a log file and a heartbeat line every 15 s,
# so a first install shows progress without flooding the terminal.
with_progress() {
  local what="$1" logfile="$2"; shift 2
  log "$what (log: $logfile)"
  mkdir -p "$(dirname "$logfile")"
  "$@" >"$logfile" 2>&1 &
  local pid=$! start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null && log "  … $what still running ($((SECONDS - start)) s): $(tail -n 1 "$logfile" | cut -c1-120)"
  done
  if ! wait "$pid"; then
    tail -n 40 "$logfile" >&2
    die "$what failed; full log in $logfile"
  fi
  log "$what done in $((SECONDS - start)) s"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_port() {
  local port="$1" name="$2" var="$3"
  if ! port_free "$port"; then
    die "port $port for $name is already taken by another process; stop it or set $var to a free port"
  fi
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stop a process from its pid file: SIGTERM, wait up to $3 s, then SIGKILL.
stop_pidfile() {
  local pidfile="$1" name="$2" deadline="${3:-20}"
  if ! pid_alive "$pidfile"; then rm -f "$pidfile"; return 0; fi
  local pid; pid="$(cat "$pidfile")"
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$((deadline * 5))" ]; do sleep 0.2; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name ignored SIGTERM for ${deadline}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
}

wait_until() {
  local what="$1" timeout="$2"; shift 2
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [ $((SECONDS - start)) -ge "$timeout" ]; then die "$what not healthy after ${timeout}s"; fi
    sleep 0.5
  done
  log "$what healthy after $((SECONDS - start)) s"
}

# wait_started NAME TIMEOUT_S PIDFILE LOGFILE CMD...: until CMD succeeds; dies with the log's tail
# when the process exits first, or when TIMEOUT_S passes.
wait_started() {
  local what="$1" timeout="$2" pidfile="$3" logfile="$4"; shift 4
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    pid_alive "$pidfile" || { tail -n 30 "$logfile" >&2; die "$what exited during start; see $logfile"; }
    [ $((SECONDS - start)) -lt "$timeout" ] || die "$what not ready after ${timeout} s; see $logfile"
    sleep 0.2
  done
  log "$what ready after $((SECONDS - start)) s"
}

manifest_hash() { sha256sum "$@" | sha256sum | cut -c1-16; }
