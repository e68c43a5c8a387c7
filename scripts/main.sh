#!/usr/bin/env bash
# The main job (`npm start`): the whole Aurea pipeline on this machine, with demo traffic.
#   1. setup (npm deps, Kafka/Collector/Prometheus installed into the cache on first run);
#   2. the stack (Kafka, Collector, Prometheus) from scripts/stack/start.sh;
#   3. services/local: migrations, the Kafka consumer and the analytics API in ONE process on
#      the embedded ClickHouse engine (data in .aurea/data/clickhouse);
#   4. the reference orchestrator (services/orchestrator), instrumented with @aurea/sdk;
#   5. the demo workload (several tenants, repositories, models; some failures);
#   6. where to look, then a live summary refreshed in place (aurea watch).
# Ctrl-C: stops, in order, the demo, the orchestrator (drains jobs, flushes events and
# metrics), then local (consumer commits, ClickHouse closes). Stack parts (Kafka, Collector,
# Prometheus) are stopped too when this run started them; parts that were already running
# (tests, another terminal) are left alone; AUREA_KEEP_STACK=1 always leaves them running. Data stays in .aurea/ and the next
# start continues from it (ClickHouse tables, Kafka offsets, Prometheus TSDB).
# Logs of every process: .aurea/logs/*.log. Ports: ORCH_PORT (8787), AUREA_API_PORT (8080),
# plus the stack's (scripts/stack/lib.sh).
source "$(dirname "${BASH_SOURCE[0]}")/stack/lib.sh"
cd "$AUREA_ROOT"

ORCH_PORT="${ORCH_PORT:-8787}"
API_PORT="${AUREA_API_PORT:-8080}"
RUN="$AUREA_RUN_DIR"; LOGS="$RUN/logs"; PIDS="$RUN/main-pids"
mkdir -p "$LOGS" "$PIDS" "$RUN/data"
START=$SECONDS

# One main job per checkout.
exec 8>"$RUN/.main.lock"
flock -n 8 || die "another 'npm start' is already running in this checkout (lock $RUN/.main.lock)"

# AUREA_SKIP_SETUP=1 skips it (dependencies known to be installed, e.g. a development checkout).
[ "${AUREA_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
# setup.sh may just have installed the pinned Node; make sure tools resolve to it.
PATH="$AUREA_ROOT/node_modules/.bin:$PATH"; export PATH
TSX="$AUREA_ROOT/node_modules/.bin/tsx"
# Services run as `node --import tsx`: one process, so SIGTERM reaches the service itself. The tsx
# CLI wraps the program in a second process that relays signals and SIGKILLs a child that does
# not acknowledge one within ~30 ms (a busy event loop on a loaded machine), cutting the
# ordered shutdown short.
RUN_TS=(node --import tsx)

# Remember which stack parts were already up: on exit we stop only those this run started.
stack_started=()
for part in kafka prometheus otelcol; do
  pid_alive "$RUN/pids/$part.pid" || stack_started+=("$part")
done
# In its own session: daemons it starts must not get the terminal's Ctrl-C (Go programs such as
# the Collector and Prometheus re-enable SIGINT); cleanup below stops them in order instead.
setsid --wait bash scripts/stack/start.sh </dev/null

# Every process talks to the stack on its configured ports (lib.sh defaults or overrides).
export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$OTELCOL_HTTP_PORT"
export KAFKAJS_NO_PARTITIONER_WARNING=1

started=()   # names, in start order
stopping=0

# start_bg NAME CMD...: own session (a terminal Ctrl-C reaches only this script, which then
# stops the children in order), output to .aurea/logs/NAME.log.
start_bg() {
  local name="$1"; shift
  local pidfile="$PIDS/$name.pid"
  if pid_alive "$pidfile"; then die "$name from an earlier run is still running (pid $(cat "$pidfile")); stop it first"; fi
  printf '\n===== %s start %s =====\n' "$name" "$(date -u +%FT%TZ)" >>"$LOGS/$name.log"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 9>&- 8>&- </dev/null &
  echo $! >"$pidfile"
  started+=("$name")
}

# stop_one NAME DEADLINE_S: SIGTERM, wait, then SIGKILL (lib.sh's stop_pidfile).
stop_one() { stop_pidfile "$PIDS/$1.pid" "$1" "$2"; }

cleanup() {
  local rc=$?
  # Runs under set -e: every command here must not fail.
  set +e
  if [ "$stopping" = 1 ]; then return; fi
  stopping=1
  trap '' INT TERM
  printf '\n'
  log "stopping the main job (data is kept in $RUN)"
  if [ -n "${watch_pid:-}" ]; then kill -TERM "$watch_pid" 2>/dev/null; fi
  stop_one demo 10
  stop_one orchestrator 25
  stop_one local 35
  if [ "${AUREA_KEEP_STACK:-0}" = 1 ]; then
    log "AUREA_KEEP_STACK=1: leaving the stack running (npm run stack:stop stops it)"
  elif [ "${#stack_started[@]}" -eq 0 ]; then
    log "the stack was already running before npm start; leaving it up (npm run stack:stop stops it)"
  else
    # Same order and lock as stop.sh, but only the parts this run started (others may be in use).
    (
      exec 9>"$RUN/.stack.lock"; flock 9
      for part in otelcol prometheus kafka; do
        case " ${stack_started[*]} " in *" $part "*) stop_pidfile "$RUN/pids/$part.pid" "$part" 30 ;; esac
      done
    )
  fi
  log "stopped; npm start continues from the same data"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_http NAME URL TIMEOUT_S: until URL answers 2xx, or the process died, or the deadline.
wait_http() {
  local name="$1" url="$2" timeout="$3" t=0
  while ! curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if ! pid_alive "$PIDS/$name.pid"; then
      tail -n 40 "$LOGS/$name.log" >&2
      die "$name exited during start; full log: $LOGS/$name.log"
    fi
    [ "$t" -ge "$((timeout * 2))" ] && { tail -n 20 "$LOGS/$name.log" >&2; die "$name not ready after ${timeout}s ($url); log: $LOGS/$name.log"; }
    sleep 0.5; t=$((t + 1))
  done
}

log "starting consumer + analytics API (embedded ClickHouse in $RUN/data/clickhouse)"
start_bg local env HOST=127.0.0.1 PORT="$API_PORT" API_AUTH="${API_AUTH:-disabled}" \
  CLICKHOUSE_DATA_DIR="${CLICKHOUSE_DATA_DIR:-$RUN/data/clickhouse}" \
  "${RUN_TS[@]}" services/local/src/main.ts
wait_http local "http://127.0.0.1:$API_PORT/ready" 180

log "starting the orchestrator on 127.0.0.1:$ORCH_PORT"
start_bg orchestrator env ORCH_PORT="$ORCH_PORT" AUREA_METRICS_EXPORT_INTERVAL_MS="${AUREA_METRICS_EXPORT_INTERVAL_MS:-2000}" \
  SIM_LATENCY_SCALE="${SIM_LATENCY_SCALE:-0.5}" ORCH_TASK_TIMEOUT_MS="${ORCH_TASK_TIMEOUT_MS:-8000}" \
  "${RUN_TS[@]}" services/orchestrator/src/main.ts
wait_http orchestrator "http://127.0.0.1:$ORCH_PORT/health" 60

log "starting the demo workload (${DEMO_JOBS_PER_SECOND:-3} jobs/s)"
start_bg demo env DEMO_ORCHESTRATOR_URL="http://127.0.0.1:$ORCH_PORT" DEMO_JOBS_PER_SECOND="${DEMO_JOBS_PER_SECOND:-3}" \
  "${RUN_TS[@]}" services/orchestrator/src/demo-main.ts

# A job to point at: the first one the orchestrator has finished.
job=""
for _ in $(seq 1 60); do
  job="$(curl -fsS "http://127.0.0.1:$ORCH_PORT/v1/jobs?limit=50" 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
      const j = JSON.parse(s).jobs.find((x) => x.status !== "running");
      process.stdout.write(j ? j.id : "");
    });' 2>/dev/null || true)"
  [ -n "$job" ] && break
  sleep 0.5
done

cat <<INFO

Aurea is running ($((SECONDS - START)) s to start). Where to look:
  Analytics API docs   http://127.0.0.1:$API_PORT/docs
  A job's cost         http://127.0.0.1:$API_PORT/v1/jobs/${job:-<job-id>}
  Jobs by cost         http://127.0.0.1:$API_PORT/v1/jobs?sort=cost
  Cost by model        http://127.0.0.1:$API_PORT/v1/attribution?group_by=model&bucket=none
  Orchestrator         http://127.0.0.1:$ORCH_PORT/v1/jobs   (POST a job: docs/orchestrator.md)
  Orchestrator metrics http://127.0.0.1:$ORCH_PORT/metrics
  Prometheus           http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query?query=sum%20by%20(gen_ai_request_model)%20(aurea_llm_cost_USD_total)
  CLI                  npx aurea jobs · npx aurea job ${job:-<job-id>} · npx aurea costs --by model
  Logs                 $LOGS/{local,orchestrator,demo}.log

INFO

"$TSX" services/cli/src/main.ts watch --api "http://127.0.0.1:$API_PORT" --orchestrator "http://127.0.0.1:$ORCH_PORT" \
  --prometheus "http://127.0.0.1:$PROMETHEUS_PORT" &
watch_pid=$!
# Wait on the summary; if a service dies meanwhile, say so and stop everything.
while kill -0 "$watch_pid" 2>/dev/null; do
  for name in local orchestrator demo; do
    if ! pid_alive "$PIDS/$name.pid"; then
      printf '\n'; tail -n 20 "$LOGS/$name.log" >&2
      die "$name exited unexpectedly; log: $LOGS/$name.log"
    fi
  done
  sleep 1
done
