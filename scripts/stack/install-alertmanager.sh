#!/usr/bin/env bash
# Installs Alertmanager from Debian's prometheus-alertmanager package (idempotent: does
# nothing when /usr/bin/prometheus-alertmanager exists) and prints the binary's path.
# The package's own service is not used: tests run private instances on free ports with
# prometheus/alertmanager/alertmanager.yml. Needs root (apt-get).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin=/usr/bin/prometheus-alertmanager
if [ ! -x "$bin" ]; then
  command -v apt-get >/dev/null || die "apt-get is required to install prometheus-alertmanager"
  with_progress "installing prometheus-alertmanager (Debian package)" "$AUREA_CACHE/logs/alertmanager-install.log" \
    env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus-alertmanager
fi
[ -x "$bin" ] || die "prometheus-alertmanager did not install"
echo "$bin"
