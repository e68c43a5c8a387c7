// Benchmark 6: metric data points/s through the built Collector into Prometheus, and the
// Collector's CPU and memory at that rate. A private Collector (the built otelcol-aurea binary with
// the checked-in collector/config.yaml — memory limiter, the direct/guard split, the exact
// cardinality guard, OTLP push to Prometheus — with the span pipeline removed so nothing touches the
// shared Kafka) and a private Prometheus 3 run on free ports.
//
// Two loads, each on fresh Collectors, alternating:
//   sdk — what Aurea's SDK sends (OTLP/HTTP JSON, cumulative, no ids): the direct path;
//   ids — the same points with a job id and a user id on every point: the cardinality guard.
// Per load: BENCH_COLLECTOR_INSTANCES service instances, each export carrying, per (model, task)
// pair, the cost, token (input and output), task counters and the duration histogram — 5 data
// points per pair. One round = one export per instance (requests in flight:
// BENCH_COLLECTOR_CONCURRENCY); BENCH_COLLECTOR_ROUNDS rounds, each raising every cumulative value.
// Request bodies are built before the clock starts. A run ends when Prometheus answers with the
// exact expected cost total (up to 3 min: on this shared machine Prometheus can take tens of seconds
// to ingest the SDK load's 40k new series and their 4 samples each). Figures: data points/s (wall),
// data points per CPU-second of the Collector process (= per core), its peak RSS.
//
// BENCH_COLLECTOR_CONFIG=<file> measures another config; BENCH_COLLECTOR_COMPARE=<file> also
// measures a second config in the same run, alternating with the first (before/after side by side;
// its figures go to the notes). BENCH_COLLECTOR_PROFILE=<dir> writes a CPU profile of each
// (config, load)'s first run there (the pprof extension; `go tool pprof -top <file>`).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PrivateProcesses, REPO_ROOT, freePort, promInstant } from '../test/metrics-path/binaries.js';
import {
  histogramMetric,
  resourceMetrics,
  sumMetric,
  type Attrs,
  type MetricJson,
  type ResourceMetricsJson,
} from '../test/metrics-path/otlp-json.js';
import { median, report, round } from './harness.js';

const INSTANCES = Number(process.env.BENCH_COLLECTOR_INSTANCES ?? 200);
const ROUNDS = Number(process.env.BENCH_COLLECTOR_ROUNDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_COLLECTOR_CONCURRENCY ?? 8);
const RUNS = Number(process.env.BENCH_COLLECTOR_RUNS ?? 3);
const MODELS = [
  'gpt-4o',
  'gpt-4o-mini',
  'claude-sonnet-4',
  'claude-haiku-4',
  'gemini-2.5-pro',
  'gemini-2.5-flash',
  'o3',
  'o4-mini',
];
const TASKS = ['plan', 'search', 'summarize', 'code', 'review'];
const BOUNDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const POINTS_PER_PAIR = 5;
const PAIRS = MODELS.length * TASKS.length;

const CONFIG = process.env.BENCH_COLLECTOR_CONFIG ?? join(REPO_ROOT, 'collector/config.yaml');
const COMPARE = process.env.BENCH_COLLECTOR_COMPARE;
const PROFILE_DIR = process.env.BENCH_COLLECTOR_PROFILE;
const LOADS = ['sdk', 'ids'] as const;
type Load = (typeof LOADS)[number];

/** A config with the span pipeline (and its Kafka exporter) removed and the pprof extension on. */
function benchConfig(source: string, dir: string, label: string): string {
  const cfg = parse(readFileSync(source, 'utf8')) as {
    exporters: Record<string, unknown>;
    processors: Record<string, unknown>;
    extensions: Record<string, unknown>;
    service: { extensions: string[]; pipelines: Record<string, unknown>; telemetry: { logs: { level: string } } };
  };
  delete cfg.service.pipelines['traces/genai'];
  delete cfg.exporters['kafka/genai_spans'];
  delete cfg.processors['filter/genai_spans'];
  delete cfg.processors['batch/spans'];
  cfg.service.telemetry.logs.level = 'warn';
  // Older configs (a BENCH_COLLECTOR_COMPARE baseline) may not declare it; the binary has it.
  cfg.extensions['pprof/profiling'] = { endpoint: '${env:OTELCOL_PPROF_ENDPOINT:-127.0.0.1:0}' };
  if (!cfg.service.extensions.includes('pprof/profiling')) cfg.service.extensions.push('pprof/profiling');
  const file = join(dir, `collector-bench-${label}.yaml`);
  writeFileSync(file, stringify(cfg));
  return file;
}

function procStats(pid: number): { cpuSec: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSec: ticks / 100, rssMb: rss ? Number(rss[1]) / 1024 : NaN };
}

/**
 * One round's request bodies: one export per instance, values = (round + 1) × the base. With the
 * `ids` load every point also carries a job id and a user id (one stream per job: the guard strips
 * both and re-aggregates, so Prometheus must show the same totals as for the `sdk` load).
 */
function buildRound(
  service: string,
  load: Load,
  r: number,
  startNs: bigint,
  timeNs: bigint,
): { bodies: string[]; points: number; cost: number } {
  const bodies: string[] = [];
  let points = 0;
  let cost = 0;
  for (let inst = 0; inst < INSTANCES; inst++) {
    const ids: Attrs = load === 'ids' ? { 'aurea.job.id': `job-${inst}`, 'enduser.id': `user-${inst % 7}` } : {};
    const metrics: MetricJson[] = [];
    const costPts = [];
    const tokenPts = [];
    const taskPts = [];
    const durPts = [];
    for (let m = 0; m < MODELS.length; m++) {
      for (let t = 0; t < TASKS.length; t++) {
        const base = {
          'gen_ai.provider.name': m < 2 || m > 5 ? 'openai' : m < 4 ? 'anthropic' : 'gcp.gemini',
          'gen_ai.request.model': MODELS[m]!,
          'aurea.task.name': TASKS[t]!,
          ...ids,
        };
        const k = r + 1;
        const c = ((inst % 7) + m + t + 1) * 0.001 * k;
        cost += r === ROUNDS - 1 ? c : 0;
        costPts.push({ attrs: base, value: c, startNs, timeNs });
        tokenPts.push({ attrs: { ...base, 'aurea.token.type': 'input' }, value: 1000 * k, startNs, timeNs });
        tokenPts.push({ attrs: { ...base, 'aurea.token.type': 'output' }, value: 200 * k, startNs, timeNs });
        taskPts.push({ attrs: { ...base, 'aurea.task.status': 'ok' }, value: 3 * k, startNs, timeNs });
        const buckets = BOUNDS.map(() => 0).concat(0);
        buckets[(inst + m + t) % buckets.length] = 3 * k;
        durPts.push({
          attrs: {
            'aurea.task.name': TASKS[t]!,
            'aurea.task.status': 'ok',
            'gen_ai.request.model': MODELS[m]!,
            ...ids,
          },
          bucketCounts: buckets,
          sum: 1.5 * k,
          startNs,
          timeNs,
        });
      }
    }
    metrics.push(
      sumMetric('aurea.llm.cost', 'USD', costPts),
      sumMetric('aurea.llm.tokens', '{token}', tokenPts),
      sumMetric('aurea.tasks', '{task}', taskPts),
      histogramMetric('aurea.task.duration', 's', BOUNDS, durPts),
    );
    points += costPts.length + tokenPts.length + taskPts.length + durPts.length;
    const rms: ResourceMetricsJson[] = [
      resourceMetrics({ 'service.name': service, 'service.instance.id': `inst-${inst}` }, metrics, '@aurea/sdk'),
    ];
    bodies.push(JSON.stringify({ resourceMetrics: rms }));
  }
  return { bodies, points, cost };
}

/** SIGTERM one of our own children (a Collector started above) and wait for it to exit. */
async function stopPid(pid: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + 10_000;
  while (existsSync(`/proc/${pid}/stat`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')) {
    if (Date.now() > until) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function post(url: string, bodies: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      for (;;) {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await res.text();
        // 429/503: the memory limiter refused — an SDK retries, and so do we (counted in the time).
        if (res.status === 429 || res.status === 503) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        if (res.status !== 200 || text.includes('rejectedDataPoints'))
          throw new Error(`collector refused an export: ${res.status} ${text}`);
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

interface Figures {
  rate: number[];
  perCore: number[];
  rss: number[];
  cores: number[];
}
const procs = new PrivateProcesses();
const configs: { label: string; file: string }[] = [];
const figures = new Map<string, Figures>();
const key = (label: string, load: Load) => `${label}/${load}`;
let pointsPerRun = 0;

async function measure(prometheusUrl: string, label: string, file: string, load: Load, run: number): Promise<void> {
  const profile = PROFILE_DIR !== undefined && run === 0;
  const pprofPort = await freePort();
  const col = await procs.startCollector(prometheusUrl, file, undefined, {
    OTELCOL_PPROF_ENDPOINT: `127.0.0.1:${pprofPort}`,
  });
  const service = `bench-collector-${Date.now().toString(36)}-${label}-${load}-${run}`;
  const startNs = BigInt(Date.now()) * 1_000_000n;
  await new Promise((r) => setTimeout(r, 50));
  // Rounds 1 ms apart: every cumulative point is newer than the last (Prometheus stores ms).
  const rounds = Array.from({ length: ROUNDS }, (_, r) =>
    buildRound(service, load, r, startNs, startNs + BigInt(r + 1) * 1_000_000n),
  );
  pointsPerRun = rounds.reduce((n, r) => n + r.points, 0);
  const expectedCost = rounds.at(-1)!.cost;
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, procStats(col.pid).rssMb);
  }, 100);
  const profiling = profile
    ? fetch(`http://127.0.0.1:${pprofPort}/debug/pprof/profile?seconds=6`).then(async (r) => {
        mkdirSync(PROFILE_DIR, { recursive: true });
        writeFileSync(join(PROFILE_DIR, `${label}-${load}.pprof`), Buffer.from(await r.arrayBuffer()));
      })
    : Promise.resolve();
  const cpu0 = procStats(col.pid).cpuSec;
  const t0 = performance.now();
  // Rounds in order (a stream's cumulative points must arrive in time order); requests of one
  // round in parallel.
  for (const r of rounds) await post(`${col.otlpHttp}/v1/metrics`, r.bodies);
  const sent = performance.now();
  const expr = `sum(aurea_llm_cost_USD_total{job="${service}"})`;
  let got = NaN;
  for (;;) {
    const res = await promInstant(prometheusUrl, expr);
    got = Number(res[0]?.value[1] ?? NaN);
    if (Math.abs(got - expectedCost) < 1e-6 * expectedCost) break;
    if (performance.now() - sent > 180_000)
      throw new Error(
        `Prometheus shows ${got}, expected ${expectedCost}: points lost or still queued; Collector log:\n` +
          readFileSync(join(procs.dir, 'otelcol.log'), 'utf8').slice(-4000),
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const cpu = procStats(col.pid).cpuSec - cpu0;
  peakRss = Math.max(peakRss, procStats(col.pid).rssMb);
  await profiling;
  const f = figures.get(key(label, load)) ?? { rate: [], perCore: [], rss: [], cores: [] };
  f.rate.push(pointsPerRun / seconds);
  f.perCore.push(pointsPerRun / cpu);
  f.rss.push(peakRss);
  f.cores.push(cpu / seconds);
  figures.set(key(label, load), f);
  console.log(
    `${label}/${load} run ${run}: ${pointsPerRun} points in ${seconds.toFixed(2)} s (sent in ${((sent - t0) / 1000).toFixed(2)} s) = ${Math.round(pointsPerRun / seconds)} points/s; ` +
      `Collector ${cpu.toFixed(2)} CPU-s (${Math.round(pointsPerRun / cpu)} points per CPU-s), peak RSS ${peakRss.toFixed(0)} MB; Prometheus total exact (${got.toFixed(3)})`,
  );
  await stopPid(col.pid);
}

try {
  const prom = await procs.startPrometheus();
  configs.push({ label: 'main', file: benchConfig(CONFIG, procs.dir, 'main') });
  if (COMPARE) configs.push({ label: 'compare', file: benchConfig(COMPARE, procs.dir, 'compare') });
  for (let run = 0; run < RUNS; run++)
    for (const load of LOADS) for (const c of configs) await measure(prom.url, c.label, c.file, load, run);
} finally {
  await procs.stop();
}

const med = (label: string, load: Load, k: keyof Figures) => median(figures.get(key(label, load))?.[k] ?? []);
const core = med('main', 'sdk', 'perCore');
const coreIds = med('main', 'ids', 'perCore');
const notes = [
  `${pointsPerRun} data points per run (${ROUNDS} rounds × ${INSTANCES} instances × ${PAIRS * POINTS_PER_PAIR} points, OTLP/HTTP JSON as the SDK sends, ${CONCURRENCY} requests in flight), median of ${RUNS} fresh Collectors per load; ` +
    `config ${basename(CONFIG)}; sdk load: wall rates ${(figures.get(key('main', 'sdk'))?.rate ?? []).map((x) => round(x, 0)).join(', ')}, ` +
    `the Collector used ${round(med('main', 'sdk', 'cores'), 2)} cores on average while the load generator and Prometheus shared the machine. ` +
    `ids load (job and user id on every point, through the cardinality guard): ${round(coreIds, 0)} points per CPU-s, ${round(med('main', 'ids', 'rate'), 0)} points/s wall. ` +
    'Every run ends only when Prometheus shows the exact cost total.',
];
if (COMPARE) {
  const before = med('compare', 'sdk', 'perCore');
  const beforeIds = med('compare', 'ids', 'perCore');
  notes.push(
    `side by side in this run, ${COMPARE}: sdk load ${round(before, 0)} points per CPU-s (main ${round(core / before, 2)}×), ` +
      `ids load ${round(beforeIds, 0)} (main ${round(coreIds / beforeIds, 2)}×); peak RSS ${round(med('compare', 'sdk', 'rss'), 0)} / ${round(med('compare', 'ids', 'rss'), 0)} MB.`,
  );
}
report({
  results: {
    collector: {
      dataPointsPerSec: round(med('main', 'sdk', 'rate'), 0),
      dataPointsPerCpuSec: round(core, 0),
      dataPointsPerCpuSecWithIds: round(coreIds, 0),
      rssMb: round(med('main', 'sdk', 'rss'), 0),
      rssMbWithIds: round(med('main', 'ids', 'rss'), 0),
      collectorCores: round(med('main', 'sdk', 'cores'), 2),
    },
  },
  rows: [
    {
      benchmark: 'collector',
      figure: 'data points/s into Prometheus (wall, SDK load)',
      value: med('main', 'sdk', 'rate'),
      unit: 'points/s',
    },
    {
      benchmark: 'collector',
      figure: 'data points per Collector CPU-second (SDK load, guard on)',
      value: core,
      unit: 'points/core·s',
      target: '≥ 100k',
      met: core >= 100_000,
    },
    {
      benchmark: 'collector',
      figure: 'data points per Collector CPU-second (ids on every point: all through the guard)',
      value: coreIds,
      unit: 'points/core·s',
    },
    { benchmark: 'collector', figure: 'Collector peak RSS at that rate', value: med('main', 'sdk', 'rss'), unit: 'MB' },
  ],
  notes,
});
