// Two SDK processes share one budget (docs/sdk.md, "Budgets that refuse"). Each is a real Node
// process (test/e2e/budget-process.ts) making calls one after another with budgets enforced; their
// task events go to Kafka, the consumer stores them, and the analytics API (services/local: API +
// consumer on the embedded engine, in this process) serves GET /v1/budgets from them. Checked:
//  1. the API's spend is exactly the calls the processes made (events reached it);
//  2. refusals start only once the budget's spend (all processes) has reached the limit, every one
//     names the budget, and after the limit every call is refused within the documented window;
//  3. the overshoot stays within the documented bound: what every process spent in the
//     refresh interval + request timeout + ingest lag before the last allowed call, plus one
//     call per process in flight — computed here from the processes' own logs, the list price
//     and the ingest lag measured in ClickHouse (inserted_at − ended_at);
//  4. with the API stopped, calls run again once the figure is stale (policy allow), and none fails.
// Cost of one call (gpt-4o-mini, openai.com/api/pricing: $0.15 in, $0.60 out per 1M tokens):
// 10,000 × 0.15 + 1,000 × 0.60 = 2,100 micro-dollars.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocal, type LocalHandle } from '@aurea/local';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const RUN = `budget2p-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const TOPIC = `${RUN}.task-events`;
const DLQ = `${RUN}.dlq`;
const TENANT = `${RUN}-tenant`;
const KEY = 'budget-test-read-key-0123456789';
const NANO = 1_000_000_000n;
/** One call, in nano-dollars (see the header). */
const CALL = 2_100_000n;
// $0.30, reached after 143 calls: more than the processes spend in the bound's window (~3 s), so
// a process that did not see the other's spend through the API (~$0.30 over) would break the bound.
const LIMIT = 300_000_000n;
const REFRESH_MS = 1000;
const TIMEOUT_MS = 2000;
// A figure stays in use this long when refreshes fail (a slow answer on a loaded machine must not
// make the spend unknown mid-test); then, with the API stopped, the spend is unknown.
const STALE_MS = 6000;
const PACE_MS = 40;
const CALL_MS = 20;

interface Line {
  proc: number;
  n: number;
  t: number;
  end: number;
  ok: boolean;
  known: boolean;
  /** The guard's last refresh error when the call was checked (null: the last refresh succeeded). */
  lastError: string | null;
  budget?: string;
  scope?: string;
  spendUsd?: string | null;
  limitUsd?: string | null;
  error?: string;
}

const usd = (n: bigint) => `${n / NANO}.${(n % NANO).toString().padStart(9, '0')}`;
const nanos = (s: string) => BigInt(s.replace('.', ''));

let dataDir = '';
let local: LocalHandle | undefined;
const procs: { child: ChildProcess; lines: Line[]; exited: Promise<number | null>; stderr: () => string }[] = [];

function spawnProc(i: number, apiUrl: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'budget-process.ts')], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=@aurea/source`,
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: BROKERS.join(','),
      BUDGET_PROC_NAME: `${RUN}-p${i}`,
      BUDGET_PROC_TENANT: TENANT,
      BUDGET_PROC_TOPIC: TOPIC,
      BUDGET_PROC_API_URL: apiUrl,
      BUDGET_PROC_API_KEY: KEY,
      BUDGET_PROC_REFRESH_MS: String(REFRESH_MS),
      BUDGET_PROC_TIMEOUT_MS: String(TIMEOUT_MS),
      BUDGET_PROC_STALE_MS: String(STALE_MS),
      BUDGET_PROC_PACE_MS: String(PACE_MS),
      BUDGET_PROC_CALL_MS: String(CALL_MS),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((r) => (ready = r));
  createInterface({ input: child.stdout }).on('line', (l) => {
    const x = JSON.parse(l) as Partial<Line> & { ready?: boolean };
    if (x.ready) ready();
    else lines.push({ ...(x as Line), proc: i });
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  procs.push({ child, lines, exited, stderr: () => err });
  return isReady;
}

async function until(what: string, pred: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms)
      throw new Error(`timed out after ${ms} ms waiting for ${what}\n${procs.map((p) => p.stderr()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const admin = new Kafka({ clientId: RUN, brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: TOPIC, numPartitions: 2 },
      { topic: DLQ, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  dataDir = await mkdtemp(join(tmpdir(), 'aurea-budget-2p-'));
  const budgetsFile = join(dataDir, 'budgets.yaml');
  await writeFile(
    budgetsFile,
    `currency: USD\nbudgets:\n  - name: shared\n    scope: tenant\n    value: ${TENANT}\n` +
      `    period: { type: rolling, days: 1 }\n    amount_usd: "${usd(LIMIT)}"\n`,
  );
  local = await startLocal({
    ...process.env,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    API_KEYS: `budget-reader:${KEY}:read`,
    BUDGETS_FILE: budgetsFile,
    CLICKHOUSE_URL: undefined,
    CLICKHOUSE_DATA_DIR: join(dataDir, 'ch'),
    CONSUMER_TOPIC: TOPIC,
    CONSUMER_DLQ_TOPIC: DLQ,
    CONSUMER_GROUP_ID: RUN,
    AUREA_LOCAL_SERVICE_NAME: `${RUN}-local`,
    AUREA_LOCAL_OTLP: 'false',
    AUREA_LOCAL_SPAN_BRIDGE: 'false',
  });
  await local.consumer;
});

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await local?.stop();
  const admin = new Kafka({ clientId: RUN, brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [TOPIC, DLQ] }).catch(() => undefined);
  await admin.disconnect();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('two SDK processes sharing one budget', () => {
  it('refuse once the limit is reached, overshoot within the bound, and run on when the API is down', async () => {
    const api = local!.apiUrl;
    await Promise.all([spawnProc(0, api), spawnProc(1, api)]);
    const all = () => procs.flatMap((p) => p.lines);
    const spendOfApi = async () => {
      const r = await fetch(`${api}/v1/budgets/shared`, { headers: { authorization: `Bearer ${KEY}` } });
      return nanos(((await r.json()) as { spend_usd: string }).spend_usd);
    };

    // Phase 1: until the API's own figure is over the limit and both processes refuse steadily.
    const refusedLast = (k: number) => procs.every((p) => p.lines.length >= k && p.lines.slice(-k).every((l) => !l.ok));
    await until('both processes refusing', async () => refusedLast(10) && (await spendOfApi()) >= LIMIT, 60_000);
    const phase1End = Date.now();
    const phase1 = all().filter((l) => l.t < phase1End);
    const allowed = phase1.filter((l) => l.ok);
    // 1. Every allowed call reached the API through Kafka and the consumer, exactly.
    await until(
      'every allowed call stored',
      async () => (await spendOfApi()) === BigInt(allowed.length) * CALL,
      30_000,
    );
    expect(phase1.every((l) => l.known && l.error === undefined)).toBe(true);

    // The ingest lag L: from a call's end (its event's ended_at) until its row was stored.
    const rs = await local!.ch.client.query({
      query: `SELECT max(toUnixTimestamp64Milli(inserted_at) - toUnixTimestamp64Milli(ended_at)) AS lag
              FROM task_events WHERE tenant = {tenant:String}`,
      query_params: { tenant: TENANT },
      format: 'JSONEachRow',
    });
    const lagMs = Number((await rs.json<{ lag: string }>())[0]!.lag);

    // 2. Refusals only once the limit is reached. A process's known spend is the API's figure
    // plus its own spend since it asked; its own calls that ended between asking and the API's
    // answer count twice (at most its spend in the last REFRESH_MS + TIMEOUT_MS), so a refusal at
    // t needs: spend of every call ended by t + that own spend ≥ limit (the answer's age is at most
    // the refresh interval, or the stale age when a refresh failed, plus the request timeout).
    const spendIn = (from: number, to: number, proc?: number) =>
      BigInt(allowed.filter((l) => l.end > from && l.end <= to && (proc === undefined || l.proc === proc)).length) *
      CALL;
    const refusals = phase1.filter((l) => !l.ok);
    expect(refusals.length).toBeGreaterThan(20);
    for (const r of refusals) {
      expect([r.budget, r.scope, r.limitUsd]).toEqual(['shared', 'tenant', usd(LIMIT)]);
      expect(nanos(r.spendUsd!)).toBeGreaterThanOrEqual(LIMIT);
      const age = (r.lastError === null ? REFRESH_MS : STALE_MS) + TIMEOUT_MS;
      expect(spendIn(0, r.t) + spendIn(r.t - age, r.t, r.proc)).toBeGreaterThanOrEqual(LIMIT);
    }

    // 3. The overshoot and its bound (docs/sdk.md): W = refresh interval (the stale age when a
    // refresh failed) + request timeout + ingest lag.
    const total = BigInt(allowed.length) * CALL;
    const overshoot = total - LIMIT;
    const lastAllowed = Math.max(...allowed.map((l) => l.t));
    const refreshFailed = phase1.some((l) => l.lastError !== null);
    const windowMs = (refreshFailed ? STALE_MS : REFRESH_MS) + TIMEOUT_MS + lagMs;
    const bound = spendIn(lastAllowed - windowMs, lastAllowed) + BigInt(procs.length) * CALL;
    // when the call that brought the spend to the limit (the 143rd) ended
    const reached = allowed.map((l) => l.end).sort((a, b) => a - b)[Number((LIMIT + CALL - 1n) / CALL) - 1]!;
    console.log(
      `two-process budget: ${allowed.length} calls allowed (${usd(total)} USD) for a limit of ${usd(LIMIT)}; ` +
        `overshoot ${usd(overshoot)} USD ${overshoot <= bound ? '≤' : '>'} bound ${usd(bound)} USD (window ${windowMs} ms = ` +
        `${refreshFailed ? `${STALE_MS} stale age (a refresh failed)` : `${REFRESH_MS} refresh`} + ` +
        `${TIMEOUT_MS} timeout + ${lagMs} ingest lag); last call allowed ${lastAllowed - reached} ms after the limit ` +
        `was reached; ${refusals.length} refusals`,
    );
    expect(total).toBeGreaterThanOrEqual(LIMIT); // the limit was reached, not refused early
    expect(overshoot).toBeLessThanOrEqual(bound);
    // Once the limit is reached, calls are refused within the window (the last allowed call is no later).
    expect(lastAllowed - reached).toBeLessThanOrEqual(windowMs);

    // 4. The API stops: its last figure is kept until stale, then the spend is unknown and the
    // policy (allow) lets every call run; nothing fails.
    const stopped = Date.now();
    await local!.stop();
    local = undefined;
    console.log(`analytics API stopped in ${Date.now() - stopped} ms`);
    const okAfter = (p: (typeof procs)[number]) => p.lines.filter((l) => l.t > stopped && l.ok).length;
    await until('calls running with the API down', () => procs.every((p) => okAfter(p) >= 10), 30_000);
    for (const p of procs) p.child.stdin!.write('stop\n');
    expect(await Promise.all(procs.map((p) => p.exited))).toEqual([0, 0]);
    const after = all().filter((l) => l.t > stopped);
    expect(after.every((l) => l.error === undefined)).toBe(true);
    expect(after.filter((l) => l.ok).every((l) => !l.known)).toBe(true);
    // refused only while the last figure was fresh
    for (const l of after.filter((x) => !x.ok)) expect(l.t - stopped).toBeLessThanOrEqual(STALE_MS + REFRESH_MS);
  }, 240_000);
});
