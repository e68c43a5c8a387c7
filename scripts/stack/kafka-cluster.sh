#!/usr/bin/env bash
# A local multi-node Kafka cluster (KRaft, combined broker+controller nodes on loopback), for tests
# and benchmarks that kill a broker. docs/stack.md ("Multi-node Kafka") describes it.
#
#   kafka-cluster.sh start              format (first time) and start every node, wait for readiness,
#                                       create the project's topics (replication min(3, nodes))
#   kafka-cluster.sh stop               stop every node (SIGTERM, deadline, SIGKILL)
#   kafka-cluster.sh status             one line per node; exit 1 if any node is down
#   kafka-cluster.sh brokers            the bootstrap list, host:port,host:port,…
#   kafka-cluster.sh kill <id>          SIGKILL one node (a crash: no controlled shutdown)
#   kafka-cluster.sh start-node <id>    start one node again (keeps its data)
#
# Env: KAFKA_NODES (3), KAFKA_PORT (9092; node i listens on KAFKA_PORT+i-1), KAFKA_CONTROLLER_PORT
# (KAFKA_PORT+100; node i on +i-1), KAFKA_CLUSTER_HEAP (512m per node), AUREA_RUN_DIR (data in
# kafka-cluster/, logs/kafka-<id>.log, pids/kafka-<id>.pid). Give each cluster its own run dir and ports.
controller_from_env="${KAFKA_CONTROLLER_PORT:-}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NODES="${KAFKA_NODES:-3}"
[[ "$NODES" =~ ^[1-9][0-9]*$ ]] || die "KAFKA_NODES must be a positive integer (got '$NODES')"
CONTROLLER_BASE="${controller_from_env:-$((KAFKA_PORT + 100))}"
check_ports() {
  if [ "$CONTROLLER_BASE" -lt $((KAFKA_PORT + NODES)) ] && [ $((CONTROLLER_BASE + NODES)) -gt "$KAFKA_PORT" ]; then
    die "client ports $KAFKA_PORT.. and controller ports $CONTROLLER_BASE.. overlap for $NODES nodes; set KAFKA_CONTROLLER_PORT"
  fi
}
REPLICATION=$((NODES < 3 ? NODES : 3))
MIN_ISR=$((REPLICATION > 1 ? REPLICATION - 1 : 1))
RUN="$AUREA_RUN_DIR"; DIR="$RUN/kafka-cluster"; LOGS="$RUN/logs"; PIDS="$RUN/pids"
mkdir -p "$DIR" "$LOGS" "$PIDS"

port_of() { echo $((KAFKA_PORT + $1 - 1)); }
controller_of() { echo $((CONTROLLER_BASE + $1 - 1)); }
pidfile_of() { echo "$PIDS/kafka-$1.pid"; }
brokers() {
  local out="" i
  for ((i = 1; i <= NODES; i++)); do out+="${out:+,}127.0.0.1:$(port_of "$i")"; done
  echo "$out"
}
check_node() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || die "node id must be 1..$NODES (got '$1')"; }

render_node() {
  local id="$1" nd="$DIR/node-$1" voters="" i
  for ((i = 1; i <= NODES; i++)); do voters+="${voters:+,}$i@127.0.0.1:$(controller_of "$i")"; done
  mkdir -p "$nd/data"
  sed -e "s|@NODE_ID@|$id|g" -e "s|@VOTERS@|$voters|g" -e "s|@KAFKA_PORT@|$(port_of "$id")|g" \
    -e "s|@KAFKA_CONTROLLER_PORT@|$(controller_of "$id")|g" -e "s|@KAFKA_DATA@|$nd/data|g" \
    -e "s|@REPLICATION@|$REPLICATION|g" -e "s|@MIN_ISR@|$MIN_ISR|g" \
    "$AUREA_ROOT/scripts/stack/templates/kafka-cluster-server.properties" >"$nd/server.properties"
  cp "$AUREA_ROOT/scripts/stack/templates/kafka-log4j2.properties" "$nd/log4j2.properties"
}

start_node() {
  local id="$1" nd="$DIR/node-$1" pidfile; pidfile="$(pidfile_of "$1")"
  if pid_alive "$pidfile"; then log "kafka node $id already running (pid $(cat "$pidfile"))"; return; fi
  require_port "$(port_of "$id")" "kafka node $id" KAFKA_PORT
  require_port "$(controller_of "$id")" "kafka node $id controller" KAFKA_CONTROLLER_PORT
  render_node "$id"
  local cp="$KAFKA_HOME/libs/*"
  if [ ! -f "$nd/data/meta.properties" ]; then
    [ -f "$DIR/cluster.id" ] || java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 >"$DIR/cluster.id"
    java -Dlog4j2.configurationFile="$nd/log4j2.properties" -cp "$cp" kafka.tools.StorageTool format \
      -t "$(cat "$DIR/cluster.id")" -c "$nd/server.properties" >>"$LOGS/kafka-$id.log" 2>&1 \
      || die "formatting storage of kafka node $id failed; see $LOGS/kafka-$id.log"
  fi
  log "starting kafka node $id on 127.0.0.1:$(port_of "$id") (controller :$(controller_of "$id"))"
  setsid nohup java -Xms256m -Xmx"${KAFKA_CLUSTER_HEAP:-512m}" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$nd/log4j2.properties" -Dkafka.logs.dir="$LOGS" \
    -cp "$cp" kafka.Kafka "$nd/server.properties" >>"$LOGS/kafka-$id.log" 2>&1 9>&- &
  echo $! >"$pidfile"
}

cluster_ready() {
  local i
  for ((i = 1; i <= NODES; i++)); do
    pid_alive "$(pidfile_of "$i")" || { tail -n 30 "$LOGS/kafka-$i.log" >&2; die "kafka node $i exited; see $LOGS/kafka-$i.log"; }
  done
  KAFKA_REPLICATION_FACTOR="$REPLICATION" KAFKA_MIN_INSYNC_REPLICAS="$MIN_ISR" KAFKA_EXPECT_BROKERS="$NODES" \
    "$AUREA_ROOT/node_modules/.bin/tsx" "$AUREA_ROOT/scripts/stack/kafka-ready.ts" "$(brokers)"
}

cmd="${1:-}"
case "$cmd" in
  start)
    check_ports
    exec 9>"$DIR/.lock"; flock 9
    KAFKA_HOME="$(bash "$AUREA_ROOT/scripts/stack/install-kafka.sh")"
    for ((i = 1; i <= NODES; i++)); do start_node "$i"; done
    wait_until "kafka cluster ($NODES nodes)" 120 cluster_ready
    echo "$(brokers)"
    ;;
  start-node)
    check_node "${2:-}"; check_ports
    exec 9>"$DIR/.lock"; flock 9
    KAFKA_HOME="$(bash "$AUREA_ROOT/scripts/stack/install-kafka.sh")"
    start_node "$2"
    ;;
  kill)
    check_node "${2:-}"
    pf="$(pidfile_of "$2")"
    pid_alive "$pf" || die "kafka node $2 is not running"
    kill -KILL "$(cat "$pf")"; log "kafka node $2 killed (SIGKILL)"
    ;;
  stop)
    exec 9>"$DIR/.lock"; flock 9
    # Every node that has a pid file, whatever KAFKA_NODES says now; in parallel: a node that
    # outlives the quorum would wait for it until its deadline.
    for pf in "$PIDS"/kafka-*.pid; do [ -e "$pf" ] && stop_pidfile "$pf" "kafka node $(basename "$pf" .pid)" 20 & done
    wait
    ;;
  status)
    rc=0
    for ((i = 1; i <= NODES; i++)); do
      if pid_alive "$(pidfile_of "$i")"; then echo "kafka-$i: running (pid $(cat "$(pidfile_of "$i")"), 127.0.0.1:$(port_of "$i"))"
      else echo "kafka-$i: stopped"; rc=1; fi
    done
    exit $rc
    ;;
  brokers) brokers ;;
  *) die "usage: kafka-cluster.sh start|stop|status|brokers|kill <id>|start-node <id>" ;;
esac
