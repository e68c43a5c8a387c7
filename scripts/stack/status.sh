#!/usr/bin/env bash
# Shows which parts of the local stack are running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rc=0
for p in kafka otelcol prometheus; do
  if pid_alive "$AUREA_RUN_DIR/pids/$p.pid"; then echo "$p: running (pid $(cat "$AUREA_RUN_DIR/pids/$p.pid"))"; else echo "$p: stopped"; rc=1; fi
done
exit $rc
