#!/usr/bin/env bash
# One-time (idempotent) project setup for both README commands:
#  1. npm dependencies (npm install of the locked versions) when node_modules is missing or
#     package-lock.json changed —
#     this also brings the pinned Node 24 runtime (the `node` devDependency) that every npm
#     script then runs on;
#  2. the stack's components (scripts/stack/install.sh: Kafka jars, both Collector distributions,
#     Prometheus, kustomize, aurea-k8s-check, Alertmanager) into the cache under ~/.cache/aurea,
#     built or downloaded only when missing.
source "$(dirname "${BASH_SOURCE[0]}")/stack/lib.sh"
cd "$AUREA_ROOT"

command -v npm >/dev/null || die "npm is required (the machine's Node/npm bootstraps the pinned Node 24)"
lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
stamp="node_modules/.aurea-lock-$lock_hash"
if [ ! -f "$stamp" ]; then
  log "installing npm dependencies (first run downloads ~700 MB incl. the embedded ClickHouse engine)"
  # npm's cache (~/.npm) is outside the clone, so a fresh clone on the same machine is fast.
  # `npm install`, not `npm ci`: chdb lists its macOS/arm64 engine builds as optional
  # dependencies that this machine's registry does not serve, so they cannot be in the lock file
  # and `npm ci` refuses the lock as "out of sync". `npm install` installs exactly the locked
  # versions and skips the unavailable optional ones (checked: the lock file stays unchanged).
  npm install --no-audit --no-fund --loglevel=error
  rm -f node_modules/.aurea-lock-*; touch "$stamp"
fi
node_version="$(npm run -s node-version)"
case "$node_version" in v24.*) ;; *) die "expected the pinned Node 24 on the npm script PATH, got $node_version";; esac

bash scripts/stack/install.sh
