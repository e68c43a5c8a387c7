#!/usr/bin/env bash
# Stops the local Aurea stack in reverse order (Collector first so it can flush to
# Prometheus, then Prometheus, then Kafka). SIGTERM with a deadline, then SIGKILL.
# Safe to run when nothing is running. Data stays in $AUREA_RUN_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# One start/stop at a time (several terminals or test runs may call this).
mkdir -p "$AUREA_RUN_DIR"; exec 9>"$AUREA_RUN_DIR/.stack.lock"; flock 9
stop_pidfile "$AUREA_RUN_DIR/pids/otelcol.pid" collector 15
stop_pidfile "$AUREA_RUN_DIR/pids/prometheus.pid" prometheus 15
stop_pidfile "$AUREA_RUN_DIR/pids/kafka.pid" kafka 30
# The multi-node Kafka of KAFKA_NODES > 1 (scripts/stack/kafka-cluster.sh), if it runs here.
if compgen -G "$AUREA_RUN_DIR/pids/kafka-*.pid" >/dev/null; then bash "$AUREA_ROOT/scripts/stack/kafka-cluster.sh" stop; fi
log "stack stopped"
