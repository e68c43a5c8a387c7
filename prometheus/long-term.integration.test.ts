// Long-term storage and federation (prometheus/long-term/, docs/alerts.md "Long-term storage"), and
// the retention settings of the config files, on private Prometheus servers (free ports, temporary
// run dirs; the shared stack is not touched):
//  - a long-term Prometheus started by scripts/stack/prometheus-long-term.sh (long-term.yml, a
//    remote-write receiver);
//  - a "project" Prometheus from the repository's prometheus.yml and rules with remote-write.yml
//    appended, fed over its OTLP receiver: the long-term store gets the SDK's series and the
//    recorded ones, with the external labels, and nothing else;
//  - a global Prometheus with federate.yml's job: it gets the recorded series only.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { METRICS } from '@aurea/sdk';
import { eventually } from '../test/stack/helpers.js';
import { PrivateProcesses, freePort, promInstant, stackPaths } from '../test/metrics-path/binaries.js';
import { exportMetrics, nowNs, resourceMetrics, sumMetric } from '../test/metrics-path/otlp-json.js';

const DIR = import.meta.dirname;
const SCRIPT = join(DIR, '../scripts/stack/prometheus-long-term.sh');
const pp = new PrivateProcesses();
const runDir = mkdtempSync(join(tmpdir(), 'aurea-long-term-'));
let ltPort = 0;
const script = (cmd: string) =>
  execFileSync('bash', [SCRIPT, cmd], {
    encoding: 'utf8',
    env: { ...process.env, AUREA_RUN_DIR: runDir, LONG_TERM_PROMETHEUS_PORT: String(ltPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

interface PromConfig {
  global?: { external_labels?: Record<string, string> };
  storage: { tsdb: { retention: { time: string; size: string } } };
  scrape_configs: Record<string, unknown>[];
  remote_write?: { write_relabel_configs: { regex: string }[] }[];
}
const config = (file: string) => parse(readFileSync(join(DIR, file), 'utf8')) as PromConfig;

/** Prometheus' own rendering of a retention (web.go: model.Duration, units.Base2Bytes, " or "). */
function retentionText(r: { time: string; size: string }): string {
  const units: [string, number][] = [
    ['y', 365 * 86_400],
    ['w', 7 * 86_400],
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const m = /^(\d+)([ywdhms])$/.exec(r.time);
  if (!m) throw new Error(`retention time ${r.time}`);
  let s = Number(m[1]) * units.find(([u]) => u === m[2])![1];
  let time = '';
  for (const [u, secs] of units) {
    // years and weeks only when they divide the rest exactly (90d, not 12w6d)
    if ((u === 'y' || u === 'w') && s % secs !== 0) continue;
    if (s >= secs) time += `${Math.floor(s / secs)}${u}`;
    s %= secs;
  }
  const b = /^(\d+)([KMGT])B$/.exec(r.size);
  if (!b) throw new Error(`retention size ${r.size}`);
  return `${time} or ${b[1]}${b[2]}iB`;
}

async function runtimeRetention(url: string): Promise<string> {
  const body = (await (await fetch(`${url}/api/v1/status/runtimeinfo`)).json()) as {
    data: { storageRetention: string };
  };
  return body.data.storageRetention;
}

const service = `long-term-test-${Date.now().toString(36)}`;
const cost = METRICS.cost;
const attrs = { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-lt', 'aurea.task.name': 'summarize' };
let lt = '';
let source = { url: '', port: 0 };
let global = '';

beforeAll(async () => {
  ltPort = await freePort();
  expect(script('start')).toBe('');
  lt = `http://127.0.0.1:${ltPort}`;
  expect(script('status')).toMatch(/prometheus-long-term: running/);
  const remoteWrite = readFileSync(join(DIR, 'long-term/remote-write.yml'), 'utf8').replaceAll(
    '127.0.0.1:9095',
    `127.0.0.1:${ltPort}`,
  );
  source = await pp.startPrometheus({ extraConfig: remoteWrite });
  // The global Prometheus: long-term.yml's settings plus federate.yml's job against the source
  // (scraped every 5 s here instead of every minute, so the test does not wait for it).
  const globalPort = await freePort();
  const g = config('long-term/long-term.yml');
  const job = config('long-term/federate.yml').scrape_configs[0]!;
  job.static_configs = [{ targets: [`127.0.0.1:${source.port}`] }];
  job.scrape_interval = '5s';
  g.scrape_configs = [job];
  const gdir = join(pp.dir, 'global');
  mkdirSync(join(gdir, 'data'), { recursive: true });
  writeFileSync(join(gdir, 'prometheus.yml'), stringify(g));
  pp.spawnLogged('prometheus-global', stackPaths().PROMETHEUS_BIN, [
    `--config.file=${join(gdir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(gdir, 'data')}`,
    `--web.listen-address=127.0.0.1:${globalPort}`,
  ]);
  global = `http://127.0.0.1:${globalPort}`;
  await eventually('global prometheus ready', async () => ((await fetch(`${global}/-/ready`)).ok ? true : undefined));
}, 90_000);

afterAll(async () => {
  if (ltPort) script('stop');
  await pp.stop();
  rmSync(runDir, { recursive: true, force: true });
});

describe('long-term storage', () => {
  it('remote write: the SDK series and the recorded ones reach the long-term store with the external labels, nothing else does', async () => {
    const start = nowNs() - 60_000_000_000n;
    const values = [0.5, 1.25, 2.75];
    for (const value of values) {
      await exportMetrics(`${source.url}/api/v1/otlp`, [
        resourceMetrics({ 'service.name': service, 'service.instance.id': 'lt-1' }, [
          sumMetric(cost.name, cost.unit, [{ attrs, value, startNs: start, timeNs: nowNs() }]),
        ]),
      ]);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const external = config('prometheus.yml').global!.external_labels!;
    const stored = await eventually(
      'the counter in the long-term store',
      async () => {
        const s = await promInstant(lt, `${cost.prometheus}{job="${service}"}`);
        return s.length && Number(s[0]!.value[1]) === values.at(-1) ? s : undefined;
      },
      60_000,
      1_000,
    );
    expect(stored[0]!.metric).toMatchObject({ ...external, gen_ai_request_model: 'gpt-lt', instance: 'lt-1' });
    // a recorded series (prometheus/rules, every 30 s) with the source's value
    const rec = `aurea:llm_cost_usd:increase1h{gen_ai_request_model="gpt-lt"}`;
    const [ltRec, srcRec] = await eventually(
      'the recorded hourly spend in the long-term store',
      async () => {
        // the exact hourly spend of a series born in the hour is its last value (docs/metrics.md)
        const [a, b] = [await promInstant(lt, rec), await promInstant(source.url, rec)];
        const last = String(values.at(-1));
        return a[0]?.value[1] === last && b[0]?.value[1] === last ? [a, b] : undefined;
      },
      90_000,
      1_000,
    );
    expect(Number(ltRec[0]!.value[1])).toBe(Number(srcRec[0]!.value[1]));
    expect(Number(ltRec[0]!.value[1])).toBe(values.at(-1));
    // the source's own series (prometheus_*, up, scrape_*) are not sent
    const keep = config('long-term/remote-write.yml').remote_write![0]!.write_relabel_configs[0]!.regex;
    await eventually(
      'the source scraping itself',
      async () => ((await promInstant(source.url, `up{job="prometheus"} == 1`)).length ? true : undefined),
      30_000,
      1_000,
    );
    await new Promise((r) => setTimeout(r, 6_000)); // a remote-write batch deadline (5 s) later
    const others = await promInstant(
      lt,
      `count by (__name__) ({aurea_stack="${external.aurea_stack}", __name__!~"${keep}"})`,
    );
    expect(others).toEqual([]);
  }, 180_000);

  it('federation: a global Prometheus collects the recorded series with their labels, not the raw ones', async () => {
    const rec = `aurea:llm_cost_usd:increase1h{gen_ai_request_model="gpt-lt"}`;
    const fed = await eventually(
      'the recorded hourly spend federated',
      async () => {
        const s = await promInstant(global, rec);
        return s.length ? s : undefined;
      },
      90_000,
      1_000,
    );
    expect(fed[0]!.metric).toMatchObject({ aurea_stack: 'local', gen_ai_provider_name: 'openai' });
    expect(await promInstant(global, `${cost.prometheus}{job="${service}"}`)).toEqual([]);
  }, 120_000);

  it('retention: each Prometheus applies its config file’s time and size limits', async () => {
    expect(await runtimeRetention(source.url)).toBe(retentionText(config('prometheus.yml').storage.tsdb.retention));
    expect(await runtimeRetention(lt)).toBe(retentionText(config('long-term/long-term.yml').storage.tsdb.retention));
    expect([retentionText({ time: '7d', size: '10GB' }), retentionText({ time: '400d', size: '1TB' })]).toEqual([
      '1w or 10GiB',
      '400d or 1TiB',
    ]);
  });

  it('the script stops the long-term Prometheus', () => {
    script('stop');
    expect(() => script('status')).toThrow();
    ltPort = 0;
  });
});
