#!/usr/bin/env bash
# `npm run bench`: set-up as for the tests, start the stack if needed, run bench/run.ts.
# Separate from the tests; writes bench/results.json and docs/benchmarks.md.
source "$(dirname "${BASH_SOURCE[0]}")/stack/lib.sh"
cd "$AUREA_ROOT"
bash scripts/setup.sh
# kcat (librdkafka) is the producer benchmark's native reference, from Debian's packages.
if ! command -v kcat >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq kcat >/dev/null 2>&1 || log "kcat could not be installed; the producer benchmark runs without its native reference"
  else log "kcat missing (sudo apt-get install kcat); the producer benchmark runs without its native reference"; fi
fi
we_started=0
if ! bash scripts/stack/status.sh >/dev/null 2>&1; then we_started=1; fi
cleanup() { if [ "$we_started" = 1 ]; then bash scripts/stack/stop.sh || true; fi; }
trap cleanup EXIT
bash scripts/stack/start.sh
KAFKA_VERSION="$KAFKA_VERSION" tsx bench/run.ts
