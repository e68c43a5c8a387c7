// The prod Collectors' Prometheus fan-out (k8s/generate.ts prometheusFanout, merged over
// collector/config.yaml by a second --config) run by the real Collector of the local stack: the
// merged config validates, and one metric sent to the Collector reaches every "replica" — here
// local HTTP servers standing in for the Prometheus OTLP receivers — not just one of them.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackPaths } from '../test/metrics-path/binaries.js';
import { REPO_ROOT, prometheusFanout, prometheusReplicas } from './generate.js';

const BASE = join(REPO_ROOT, 'collector', 'config.yaml');
const REPLICAS = 3;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let dir = '';
let collector: ChildProcess | undefined;
const receivers: { server: Server; paths: string[] }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aurea-fanout-'));
  for (let i = 0; i < REPLICAS; i++) {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        paths.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); // empty ExportMetricsServiceResponse
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    receivers.push({ server, paths });
  }
}, 30_000);

afterAll(async () => {
  collector?.kill('SIGTERM');
  for (const r of receivers) await new Promise<void>((res) => r.server.close(() => res()));
  rmSync(dir, { recursive: true, force: true });
});

describe('Collector fan-out to every Prometheus replica', () => {
  it('the generated fan-out for the prod replicas validates merged over collector/config.yaml', () => {
    const prod = prometheusReplicas(readFileSync(join(REPO_ROOT, 'k8s', 'components', 'prod', 'scale.yaml'), 'utf8'));
    const file = join(dir, 'prod-fanout.yaml');
    writeFileSync(file, prometheusFanout(readFileSync(BASE, 'utf8'), prod));
    const bin = stackPaths().OTELCOL_BIN;
    expect(() =>
      execFileSync(bin, ['validate', `--config=${BASE}`, `--config=${file}`], { stdio: 'pipe' }),
    ).not.toThrow();
    // The check is real: a pipeline naming an exporter the fan-out does not define is refused.
    const bad = join(dir, 'bad-fanout.yaml');
    writeFileSync(bad, readFileSync(file, 'utf8').replace(/- (otlp_http\/\S+-0)$/m, '- $1x'));
    expect(() => execFileSync(bin, ['validate', `--config=${BASE}`, `--config=${bad}`], { stdio: 'pipe' })).toThrow();
  });

  it('one metric sent to the Collector is pushed to every replica', async () => {
    const endpoint = (i: number): string =>
      `http://127.0.0.1:${(receivers[i]?.server.address() as AddressInfo).port}/api/v1/otlp`;
    const file = join(dir, 'local-fanout.yaml');
    writeFileSync(file, prometheusFanout(readFileSync(BASE, 'utf8'), { name: 'test', replicas: REPLICAS }, endpoint));
    const [grpc, http, health, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    collector = spawn(stackPaths().OTELCOL_BIN, [`--config=${BASE}`, `--config=${file}`], {
      env: {
        ...process.env,
        OTELCOL_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
        OTELCOL_HTTP_ENDPOINT: `127.0.0.1:${http}`,
        OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
        OTELCOL_METRICS_PORT: String(metrics),
      },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 60_000;
    while (
      !(await fetch(`http://127.0.0.1:${health}/`)
        .then((r) => r.ok)
        .catch(() => false))
    ) {
      if (Date.now() > deadline) throw new Error('Collector did not become healthy');
      await new Promise((r) => setTimeout(r, 250));
    }
    const now = `${Date.now()}000000`;
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fanout-test' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'aurea.fanout.test',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [{ asInt: '1', startTimeUnixNano: now, timeUnixNano: now }],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`http://127.0.0.1:${http}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    while (receivers.some((r) => r.paths.length === 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    for (const r of receivers) expect(r.paths).toContain('/api/v1/otlp/v1/metrics');
  }, 90_000);
});
