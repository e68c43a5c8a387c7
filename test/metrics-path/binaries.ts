// Locates the stack's built binaries (the same ones scripts/stack/start.sh runs) and runs
// short-lived private instances of them on free ports for tests that must not disturb the
// shared stack (rule reloads, Alertmanager, experiments). Every process started here is
// stopped by its own pid in stop().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface StackPaths {
  OTELCOL_BIN: string;
  /** The routing-tier Collector (collector/routing/builder-config.yaml). */
  OTELCOL_ROUTING_BIN: string;
  PROMETHEUS_BIN: string;
  PROMTOOL_BIN: string;
  /** Prometheus --enable-feature list the stack runs with (scripts/stack/lib.sh). */
  PROMETHEUS_FEATURES: string;
}

let cachedPaths: StackPaths | undefined;
/** The binary paths printed by scripts/stack/paths.sh (Collector keyed by the manifest hash). */
export function stackPaths(): StackPaths {
  if (cachedPaths) return cachedPaths;
  const out = execFileSync('bash', [join(REPO_ROOT, 'scripts/stack/paths.sh')], { encoding: 'utf8' });
  const vars = Object.fromEntries(
    out
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  for (const k of ['OTELCOL_BIN', 'OTELCOL_ROUTING_BIN', 'PROMETHEUS_BIN', 'PROMTOOL_BIN', 'PROMETHEUS_FEATURES'])
    if (!vars[k]) throw new Error(`paths.sh printed no ${k}`);
  cachedPaths = vars as unknown as StackPaths;
  return cachedPaths;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return rej(new Error('no port'));
      srv.close(() => res(addr.port));
    });
  });
}

async function waitHttp(url: string, proc: ChildProcess, logFile: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(`${url}: process exited (${proc.exitCode}); log:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${url}; log:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export class PrivateProcesses {
  readonly dir = mkdtempSync(join(tmpdir(), 'aurea-metrics-path-'));
  private readonly procs: ChildProcess[] = [];

  spawnLogged(
    name: string,
    bin: string,
    args: string[],
    env: Record<string, string> = {},
  ): { proc: ChildProcess; log: string } {
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    const proc = spawn(bin, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env }, cwd: this.dir });
    this.procs.push(proc);
    return { proc, log };
  }

  /** Prometheus with the repository's config and rules (ports rewritten as start.sh does). */
  async startPrometheus(
    opts: { otelcolMetricsPort?: number; extraConfig?: string; rulesDir?: string } = {},
  ): Promise<{ url: string; port: number }> {
    const port = await freePort();
    const pdir = join(this.dir, 'prometheus');
    mkdirSync(join(pdir, 'data'), { recursive: true });
    cpSync(opts.rulesDir ?? join(REPO_ROOT, 'prometheus/rules'), join(pdir, 'rules'), { recursive: true });
    let cfg = readFileSync(join(REPO_ROOT, 'prometheus/prometheus.yml'), 'utf8')
      .replaceAll('127.0.0.1:8888', `127.0.0.1:${opts.otelcolMetricsPort ?? 1}`)
      .replaceAll('127.0.0.1:9090', `127.0.0.1:${port}`);
    if (opts.extraConfig) cfg += `\n${opts.extraConfig}\n`;
    writeFileSync(join(pdir, 'prometheus.yml'), cfg);
    const { proc, log } = this.spawnLogged('prometheus', stackPaths().PROMETHEUS_BIN, [
      `--config.file=${join(pdir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(pdir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-otlp-receiver',
      '--web.enable-lifecycle',
      `--enable-feature=${stackPaths().PROMETHEUS_FEATURES}`,
    ]);
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(`${url}/-/ready`, proc, log);
    return { url, port };
  }

  /** The built Collector with collector/config.yaml (or another config file) on free ports. */
  async startCollector(
    prometheusUrl: string,
    configFile = join(REPO_ROOT, 'collector/config.yaml'),
    bin = stackPaths().OTELCOL_BIN,
    env: Record<string, string> = {},
  ): Promise<{ otlpHttp: string; health: string; metricsPort: number; pid: number }> {
    const [grpc, http, health, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const { proc, log } = this.spawnLogged('otelcol', bin, ['--config', configFile], {
      ...env,
      OTELCOL_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
      OTELCOL_HTTP_ENDPOINT: `127.0.0.1:${http}`,
      OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
      OTELCOL_METRICS_PORT: String(metrics),
      PROMETHEUS_OTLP_ENDPOINT: `${prometheusUrl}/api/v1/otlp`,
      KAFKA_BROKERS: `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`,
    });
    await waitHttp(`http://127.0.0.1:${health}/`, proc, log);
    if (proc.pid === undefined) throw new Error('collector has no pid');
    return {
      otlpHttp: `http://127.0.0.1:${http}`,
      health: `http://127.0.0.1:${health}`,
      metricsPort: metrics,
      pid: proc.pid,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((res) => {
            if (p.exitCode !== null || p.signalCode !== null) return res();
            const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
            p.once('exit', () => {
              clearTimeout(t);
              res();
            });
            p.kill('SIGTERM');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export async function promInstant(base: string, expr: string): Promise<PromSeries[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: PromSeries[] } };
  if (body.status !== 'success' || !body.data) throw new Error(`query failed: ${body.error ?? res.status} (${expr})`);
  return body.data.result;
}
