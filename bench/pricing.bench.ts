// Benchmark: pricing (docs/pricing.md).
//  1. priceUsageNs — one priceUsage() call of the pricing module (@aurea/sdk/pricing), the
//     catalog lookup of (provider, model) included, over the shared bench events' usages (six
//     models, context tiers, one model the catalog does not know); median of BENCH_PRICING_RUNS
//     passes, in CPU time of this process per call (the machine is shared: wall time also counts
//     the time the process waits for a core; it is reported next to it). Also measured: the same
//     calls under a price file with a tenant discount (the quote's slow path), and the first call
//     with a model name never priced before in the process (the catalog's matching, then cached).
//  2. repriceEventsPerSec — POST /v1/reprice (the analytics API's route, through fastify's inject)
//     over BENCH_REPRICE_EVENTS (1M) events of the shared bench generator stored in the embedded
//     engine: events scanned per second of the applying request (keys, rate rows, the preview
//     that makes the report, the INSERT … SELECT that writes the changed events). Every run uses a
//     price file with another discount, so every priced event changes every time; the table is
//     merged between runs (not timed). The rollups' refreshable views are stopped while a run is
//     timed, so the figure is the repricing alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKey, buildApp } from '@aurea/analytics-api';
import { createClickHouse, insertEvents, migrate } from '@aurea/clickhouse';
import { optimizeEvents } from '@aurea/clickhouse/queries';
import { repriceKeys } from '@aurea/clickhouse/reprice';
import { createLogger } from '@aurea/common';
import { normalizeEvent } from '@aurea/events';
import { createPriceTable, priceUsage, type PriceTable } from '@aurea/sdk/pricing';
import { benchEvent } from './events.js';
import { medianOf, report, round } from './harness.js';

const CALLS = Number(process.env.BENCH_PRICING_CALLS ?? 200_000);
const RUNS = Number(process.env.BENCH_PRICING_RUNS ?? 7);
const EVENTS = Number(process.env.BENCH_REPRICE_EVENTS ?? 1_000_000);
const REPRICE_RUNS = Number(process.env.BENCH_REPRICE_RUNS ?? 3);
const INSERT_BATCH = 50_000;
const TARGET_NS = 2000;

// ---- 1. priceUsage ------------------------------------------------------------------------------

const now = Date.now();
const calls = Array.from({ length: 10_000 }, (_, i) => {
  const e = benchEvent(i, 500, now);
  return {
    provider: e.provider,
    model: e.request_model,
    usage: e.usage,
    at: Date.parse(e.started_at),
    tenant: e.tenant,
  };
});
const discounted = createPriceTable({
  version: 'bench-discount',
  models: [
    { id: 'all-10', provider: '*', pattern: '.*', tenant: 'acme', effective_from: '2020-01-01', discount_percent: 10 },
  ],
});

/** CPU and wall ns per priceUsage call over CALLS calls cycling through `calls`. */
function pass(table: PriceTable | undefined): { ns: number; wallNs: number; priced: number } {
  const args = table === undefined ? calls : calls.map((c) => ({ ...c, table }));
  let priced = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) if (priceUsage(args[i % args.length]!).cost !== null) priced++;
  const wallNs = Number(process.hrtime.bigint() - t0) / CALLS;
  const cpu = process.cpuUsage(c0);
  return { ns: ((cpu.user + cpu.system) * 1000) / CALLS, wallNs, priced };
}
for (let i = 0; i < 3; i++) {
  pass(undefined);
  pass(discounted);
}
let pricedShare = 0;
const wall: number[] = [];
const catalogNs = await medianOf(RUNS, () => {
  const r = pass(undefined);
  pricedShare = r.priced / CALLS;
  wall.push(r.wallNs);
  return r.ns;
});
const wallNs = [...wall].sort((a, b) => a - b)[Math.floor(wall.length / 2)]!;
const fileNs = await medianOf(RUNS, () => pass(discounted).ns);
// The first call with a model name this process has not priced before: the catalog's own matching
// (patterns, dated snapshots, fallback providers) runs once, then the name is cached.
const pairs = [...new Map(calls.map((c) => [`${c.provider}/${c.model}`, c])).values()];
let fresh = 0;
const coldNs = await medianOf(RUNS, () => {
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < 100; k++) for (const c of pairs) priceUsage({ ...c, model: `${c.model}-${fresh++}` });
  return Number(process.hrtime.bigint() - t0) / (100 * pairs.length);
});
const load = loadavg()[0]!;
console.log(
  `priceUsage: ${catalogNs.median.toFixed(0)} ns/call CPU (${wallNs.toFixed(0)} wall, load ${load.toFixed(1)}) catalog, ` +
    `${fileNs.median.toFixed(0)} ns/call (price file), ` +
    `${coldNs.median.toFixed(0)} ns first call of a new model name; ${(pricedShare * 100).toFixed(0)} % priced`,
);

// ---- 2. repricing 1M stored events --------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'aurea-bench-pricing-'));
const ch = await createClickHouse({ database: 'bench_pricing', dataDir: dir });
await migrate(ch, {});
const jobs = Math.max(1, Math.floor(EVENTS / 20));
let t0 = performance.now();
for (let off = 0; off < EVENTS; off += INSERT_BATCH) {
  const batch = Array.from({ length: Math.min(INSERT_BATCH, EVENTS - off) }, (_, i) =>
    normalizeEvent(benchEvent(off + i, jobs, now)),
  );
  await insertEvents(ch, batch, (i) => ({ partition: 0, offset: off + i }));
}
await ch.client.command({ query: optimizeEvents().sql });
console.log(`stored ${EVENTS} bench events in ${round((performance.now() - t0) / 1000)} s`);

const KEY = 'bench-ingest-key-0123456789';
const range = { from: new Date(now - 2 * 3_600_000).toISOString(), to: new Date(now + 60_000).toISOString() };
const keysQuery = repriceKeys(range);
const keyCount = (
  await (await ch.client.query({ query: keysQuery.sql, query_params: keysQuery.params, format: 'JSONEachRow' })).json()
).length;

interface Answer {
  events_scanned: number;
  events_changed: number;
  old_total_usd: string;
  new_total_usd: string;
}
async function reprice(table: PriceTable, dryRun: boolean): Promise<{ ms: number; cpuMs: number; answer: Answer }> {
  const app = await buildApp({
    ch,
    config: {
      auth: { mode: 'required', keys: [apiKey('bench', KEY, ['ingest'])] },
      metricsAuth: 'open',
      ingest: { topic: 'unused', maxEventsPerRequest: 1, bodyLimitBytes: 1 << 20 },
      budgets: [],
      docs: false,
      maxPageSize: 100,
      priceTable: table,
    },
    logger: createLogger('bench-pricing', 'silent'),
    budgetRefreshMs: 0,
  });
  await app.ready();
  await ch.client.command({ query: 'SYSTEM STOP VIEWS' });
  const c0 = process.cpuUsage();
  const t = performance.now();
  const res = await app.inject({
    method: 'POST',
    url: '/v1/reprice',
    headers: { authorization: `Bearer ${KEY}` },
    payload: { ...range, dry_run: dryRun },
  });
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(c0);
  await ch.client.command({ query: 'SYSTEM START VIEWS' });
  await app.close();
  if (res.statusCode !== 200) throw new Error(`POST /v1/reprice: ${res.statusCode} ${res.body}`);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, answer: res.json<Answer>() };
}
const tableWith = (percent: number) =>
  createPriceTable({
    version: `bench-${percent}`,
    models: [
      { id: `all-${percent}`, provider: '*', pattern: '.*', effective_from: '2020-01-01', discount_percent: percent },
    ],
  });

await reprice(tableWith(1), true); // warm-up
const applied: number[] = [];
const appliedCpu: number[] = [];
const dry: number[] = [];
const answers: Answer[] = [];
for (let run = 0; run < REPRICE_RUNS; run++) {
  const table = tableWith(10 + run);
  dry.push((await reprice(table, true)).ms);
  const r = await reprice(table, false);
  applied.push(r.ms);
  appliedCpu.push(r.cpuMs);
  answers.push(r.answer);
  if (r.answer.events_scanned !== EVENTS) throw new Error(`scanned ${r.answer.events_scanned} of ${EVENTS} events`);
  const again = await reprice(table, true);
  if (again.answer.events_changed !== 0) throw new Error(`a second run would change ${again.answer.events_changed}`);
  t0 = performance.now();
  await ch.client.command({ query: optimizeEvents().sql });
  console.log(
    `run ${run + 1}: applied in ${round(r.ms)} ms (${round(r.cpuMs)} ms CPU; dry run ${round(dry.at(-1)!)} ms), ` +
      `${r.answer.events_changed} changed, ${r.answer.old_total_usd} → ${r.answer.new_total_usd} USD; ` +
      `merge ${round(performance.now() - t0)} ms (not timed)`,
  );
}
const appliedMs = [...applied].sort((a, b) => a - b)[Math.floor(applied.length / 2)]!;
const appliedCpuMs = [...appliedCpu].sort((a, b) => a - b)[Math.floor(appliedCpu.length / 2)]!;
const dryMs = [...dry].sort((a, b) => a - b)[Math.floor(dry.length / 2)]!;
const perSec = EVENTS / (appliedMs / 1000);
await ch.close();
rmSync(dir, { recursive: true, force: true });

report({
  results: {
    pricing: {
      priceUsageNs: round(catalogNs.median, 0),
      priceUsageWallNs: round(wallNs, 0),
      priceUsageNsPriceFile: round(fileNs.median, 0),
      priceUsageFirstCallNs: round(coldNs.median, 0),
      repriceEventsPerSec: round(perSec, 0),
      repriceAppliedMs: round(appliedMs, 0),
      repriceAppliedCpuMs: round(appliedCpuMs, 0),
      repriceDryRunMs: round(dryMs, 0),
      repriceEvents: EVENTS,
      repriceRateRowKeys: keyCount,
    },
  },
  rows: [
    {
      benchmark: 'pricing',
      figure: 'priceUsage per call, catalog lookup included (CPU)',
      value: catalogNs.median,
      unit: 'ns/call',
      target: `< ${TARGET_NS} ns`,
      met: catalogNs.median < TARGET_NS,
    },
    { benchmark: 'pricing', figure: 'same, wall time on the shared machine', value: wallNs, unit: 'ns/call' },
    {
      benchmark: 'pricing',
      figure: 'priceUsage per call under a price file (tenant discount, CPU)',
      value: fileNs.median,
      unit: 'ns/call',
      target: `< ${TARGET_NS} ns`,
      met: fileNs.median < TARGET_NS,
    },
    {
      benchmark: 'pricing',
      figure: 'first call with a model name not seen before (catalog matching, wall)',
      value: coldNs.median,
      unit: 'ns/call',
    },
    {
      benchmark: 'pricing',
      figure: `POST /v1/reprice, ${EVENTS / 1e6}M stored events, applied`,
      value: perSec,
      unit: 'events/s',
    },
    { benchmark: 'pricing', figure: 'same, dry run (report only)', value: EVENTS / (dryMs / 1000), unit: 'events/s' },
  ],
  notes: [
    `priceUsage: ${CALLS} calls per pass over ${calls.length} bench-event usages (${pairs.length} models, ` +
      `${round(pricedShare * 100, 0)} % priced; the rest unknown to the catalog), median of ${RUNS}; CPU passes: ` +
      `${catalogNs.runs.map((x) => x.toFixed(0)).join(', ')} ns; wall passes ${wall.map((x) => x.toFixed(0)).join(', ')} ns ` +
      `(1-minute load average ${load.toFixed(1)} on ${cpus().length} cores).`,
    `repricing: ${EVENTS} events of the shared bench generator (${keyCount} price keys → rate rows built in JS once ` +
      `per key and period, never per event), every event changed each run (${answers[0]?.events_changed ?? 0}); ` +
      `applied runs ${applied.map((x) => round(x, 0)).join(', ')} ms, dry runs ${dry.map((x) => round(x, 0)).join(', ')} ms; ` +
      `median of ${REPRICE_RUNS}; CPU of the applying request ${round(appliedCpuMs / 1000, 1)} s (all cores); ` +
      `rollup views stopped while timed; 1-minute load average ${loadavg()[0]!.toFixed(1)} at the end.`,
  ],
});
