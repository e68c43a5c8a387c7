#!/usr/bin/env bash
# `npm run bench`: set-up as for the tests, start the stack if needed, run bench/run.ts.
# Separate from the tests; writes bench/results.json and docs/benchmarks.md.
source "$(dirname "${BASH_SOURCE[0]}")/stack/lib.sh"
cd "$AUREA_ROOT"
bash scripts/setup.sh
we_started=0
if ! bash scripts/stack/status.sh >/dev/null 2>&1; then we_started=1; fi
cleanup() { if [ "$we_started" = 1 ]; then bash scripts/stack/stop.sh || true; fi; }
trap cleanup EXIT
bash scripts/stack/start.sh
KAFKA_VERSION="$KAFKA_VERSION" tsx bench/run.ts
