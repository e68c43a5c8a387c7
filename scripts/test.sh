#!/usr/bin/env bash
# The README's test command: installs what is missing, starts the stack (if it is not
# already running), runs lint, typecheck, unit and integration tests, and stops the stack
# again if this script started it. CI (.ci/run) runs exactly this.
source "$(dirname "${BASH_SOURCE[0]}")/stack/lib.sh"
cd "$AUREA_ROOT"
started=$SECONDS

bash scripts/setup.sh

we_started=0
if ! bash scripts/stack/status.sh >/dev/null 2>&1; then we_started=1; fi
cleanup() { if [ "$we_started" = 1 ]; then bash scripts/stack/stop.sh || true; fi; }
trap cleanup EXIT
bash scripts/stack/start.sh

step() { log "── $1"; shift; "$@"; }
step "lint (prettier --check, eslint --max-warnings 0)" npm run -s lint
step "typecheck (tsc --noEmit)" npm run -s typecheck
step "unit tests" npm run -s test:unit
step "integration tests (real Kafka, Collector, Prometheus, ClickHouse engine)" npm run -s test:integration
log "all checks passed in $((SECONDS - started)) s"
