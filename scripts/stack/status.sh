#!/usr/bin/env bash
# Shows which parts of the local stack are running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rc=0
parts="kafka otelcol prometheus"
# KAFKA_NODES > 1: the multi-node Kafka's nodes (scripts/stack/kafka-cluster.sh) instead of the single one.
if compgen -G "$AUREA_RUN_DIR/pids/kafka-*.pid" >/dev/null; then
  parts="$(cd "$AUREA_RUN_DIR/pids" && ls kafka-*.pid | sed 's/\.pid$//' | tr '\n' ' ') otelcol prometheus"
fi
for p in $parts; do
  if pid_alive "$AUREA_RUN_DIR/pids/$p.pid"; then echo "$p: running (pid $(cat "$AUREA_RUN_DIR/pids/$p.pid"))"; else echo "$p: stopped"; rc=1; fi
done
exit $rc
