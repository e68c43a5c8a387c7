// The k8s routing tier's settings, checked by the real routing distribution of the local stack
// (otelcol-aurea-routing): collector/routing/config.yaml validates with the environment the
// gateway and the agent get in the rendered manifests — the guard list k8s/generate.ts derives
// from the guard StatefulSet's replicas (dev and prod) and the agent's one entry, the gateway —
// and an empty list is refused, so the check is real.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stackPaths } from '../test/metrics-path/binaries.js';
import { GUARD, REPO_ROOT, guardEndpoints, replicasOf } from './generate.js';

const CONFIG = join(REPO_ROOT, 'collector', 'routing', 'config.yaml');

const validate = (endpoints: string): void => {
  execFileSync(stackPaths().OTELCOL_ROUTING_BIN, ['validate', `--config=${CONFIG}`], {
    env: {
      ...process.env,
      // The bind addresses of aurea-collector-routing-env (k8s/base/kustomization.yaml).
      OTELCOL_GRPC_ENDPOINT: '0.0.0.0:4317',
      OTELCOL_HTTP_ENDPOINT: '0.0.0.0:4318',
      OTELCOL_HEALTH_ENDPOINT: '0.0.0.0:13133',
      OTELCOL_METRICS_HOST: '0.0.0.0',
      OTELCOL_GUARD_ENDPOINTS: endpoints,
    },
    stdio: 'pipe',
  });
};

describe('k8s routing tier settings, validated by the routing Collector', () => {
  it('the generated guard lists (dev and prod) and the agent’s gateway entry validate', () => {
    for (const manifest of ['k8s/base/collector/guard.yaml', 'k8s/components/prod/scale.yaml']) {
      const { replicas } = replicasOf(
        readFileSync(join(REPO_ROOT, manifest), 'utf8'),
        'StatefulSet',
        GUARD.statefulSet,
      );
      expect(() => validate(guardEndpoints(replicas)), manifest).not.toThrow();
    }
    expect(() => validate('[aurea-otel-gateway:4317]')).not.toThrow();
  });

  it('a guard list without guards (no replicas) is refused', () => {
    expect(() => validate(guardEndpoints(0))).toThrow();
  });
});
