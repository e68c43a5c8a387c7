/* eslint-disable
  @typescript-eslint/no-unsafe-member-access,
  @typescript-eslint/no-unsafe-assignment,
  @typescript-eslint/no-unsafe-argument,
  @typescript-eslint/no-unsafe-return,
  @typescript-eslint/no-unsafe-call --
   HTTP response bodies are untyped JSON (inject().json() is any); the assertions below check their shape. */
// Hostile requests against the API over the embedded ClickHouse engine and a seeded dataset of
// several tenants (docs/api.md, "Failure classes"):
//  - each hostile input of the issue, by name;
//  - property-based (fast-check, fixed seed): any query string on every read route, any path
//    parameter, any tampering of a real cursor, any body on POST /v1/events (validateTaskEvent
//    through the route) — never a 5xx, every error in the documented shape, and what ingest
//    publishes is exactly what it accepted, priced by Aurea;
//  - tenant-scoped keys see their tenants' events only (404 / empty for the rest).
// Expected figures are computed here from the generated events (BigInt nano-dollars), never read
// back from the engine. Kafka is a recording publisher here (ingest.integration.test.ts has the broker).
// AUREA_FC_SEED / AUREA_FC_RUNS (a multiplier) explore beyond the fixed seed locally.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { LIMITS, validateTaskEvent, type TaskEventV1 } from '@aurea/events';
import { buildApp } from './app.js';
import type { Budget } from './budgets.js';
import { ERROR_CODES } from './errors.js';
import { KEYS, RecordingPublisher, TEST_PRICE, auth, silentLogger, testConfig, testPriceTable } from './testing/app.js';
import { insertEvents, openTestClickHouse, type TestClickHouse } from './testing/clickhouse.js';
import { formatNanos, makeDataset, wire, type SeededEvent } from './testing/dataset.js';

const SEED = Number(process.env.AUREA_FC_SEED ?? 20261028);
const RUNS = Number(process.env.AUREA_FC_RUNS ?? 1);
const runs = (n: number) => ({ seed: SEED, numRuns: Math.max(1, Math.round(n * RUNS)) });

// ---- dataset: jobs of acme, globex, "umbrella corp" and no tenant; one job shared by acme and globex

const FROM = '2026-01-01T00:00:00.000Z';
const base = makeDataset({ seed: 77, jobs: 12 });
const TENANT_OF = ['acme', 'globex', 'umbrella corp', null] as const;
const jobIds = [...new Set(base.map((e) => e.job_id))];
const all: SeededEvent[] = base.map((e) => {
  const j = jobIds.indexOf(e.job_id);
  // job 0 is shared: every other event of acme, the rest of globex
  const tenant = j === 0 ? (base.indexOf(e) % 2 === 0 ? 'acme' : 'globex') : TENANT_OF[j % TENANT_OF.length]!;
  return { ...e, tenant };
});
const SHARED_JOB = jobIds[0]!;
const byJob = (es: readonly SeededEvent[]) => {
  const m = new Map<string, SeededEvent[]>();
  for (const e of es) m.set(e.job_id, [...(m.get(e.job_id) ?? []), e]);
  return m;
};
const costOf = (es: readonly SeededEvent[]) => formatNanos(es.reduce((a, e) => a + (e.costNanos ?? 0n), 0n));

const budget = (name: string, scope: Budget['scope'], value: string | undefined, period: Budget['period']): Budget => ({
  name,
  scope,
  value,
  period,
  amount: 10n ** 10n,
  warnPercent: 80,
  alertPercent: 100,
});
const budgets = [
  budget('all-month', 'global', undefined, { type: 'calendar_month' }),
  budget('acme-month', 'tenant', 'acme', { type: 'calendar_month' }),
  budget('globex-week', 'tenant', 'globex', { type: 'rolling', days: 7 }),
];

let t: TestClickHouse;
let app: FastifyInstance;
const publisher = new RecordingPublisher();

beforeAll(async () => {
  t = await openTestClickHouse('api-hostile');
  await insertEvents(t.ch, all);
  app = await buildApp({
    ch: t.ch,
    config: testConfig(
      { priceTable: testPriceTable(), cursorSecrets: ['hostile-suite-secret-0123456789abcdef'] },
      budgets,
    ),
    logger: silentLogger(),
    publisher,
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.cleanup();
});

// ---- the documented error shape ------------------------------------------------------------------

const CODES = new Set([...Object.values(ERROR_CODES), 'validation_failed']);
const WHERE = new Set(['body', 'querystring', 'params', 'headers']);

/** Not a 5xx; a non-2xx answer is `{ error, message, errors?, dependency? }` with a known code. */
function expectSound(r: { statusCode: number; body: string }, what: string): void {
  expect(r.statusCode, `${what} → ${r.statusCode} ${r.body.slice(0, 300)}`).toBeLessThan(500);
  if (r.statusCode < 400) return;
  const b = JSON.parse(r.body) as Record<string, unknown>;
  expect(
    Object.keys(b).every((k) => ['error', 'message', 'errors', 'dependency'].includes(k)),
    what,
  ).toBe(true);
  expect(CODES.has(b.error as string), `${what}: code ${String(b.error)}`).toBe(true);
  expect(typeof b.message, what).toBe('string');
  if (b.error === 'validation_failed') expect(Array.isArray(b.errors), what).toBe(true);
  for (const e of (b.errors ?? []) as Record<string, unknown>[]) {
    expect(WHERE.has(e.in as string), what).toBe(true);
    expect(typeof e.field === 'string' && e.field.startsWith('/'), what).toBe(true);
    expect(typeof e.message, what).toBe('string');
  }
}

const get = (url: string, key: string = KEYS.read) => app.inject({ url, headers: auth(key) });

// ---- the issue's hostile inputs, one by one --------------------------------------------------------

describe('hostile inputs of the issue: a 4xx in the documented shape, never a 500', () => {
  const LONG_ID = 'x'.repeat(LIMITS.id);
  it.each([
    ['/v1/jobs?limit=Infinity', 400, '/limit'],
    ['/v1/jobs?limit=1e309', 400, '/limit'],
    ['/v1/jobs?limit=-Infinity', 400, '/limit'],
    ['/v1/attribution?limit=Infinity', 400, '/limit'],
    [`/v1/jobs/${SHARED_JOB}/events?limit=1e309`, 400, '/limit'],
    ['/v1/jobs?from=2016-12-31T23:59:60Z', 400, '/from'],
    ['/v1/attribution?to=2016-12-31T23:59:60Z', 400, '/to'],
    ['/v1/jobs?to=0000-01-01T00:00:00Z', 400, '/to'],
    ['/v1/attribution?from=0000-01-01T00:00:00Z', 400, '/from'],
    ['/v1/jobs?from=2300-01-01T00:00:00Z', 400, '/from'],
    [`/v1/jobs/${SHARED_JOB}/events?cursor=${'-'.repeat(36)}`, 400, '/cursor'],
    [
      `/v1/jobs?cursor=${Buffer.from(JSON.stringify({ s: 'cost', o: 'desc', v: '1', j: 'a', f: 'x' })).toString('base64url')}`,
      400,
      '/cursor',
    ],
  ])('%s → %i naming %s', async (url, status, field) => {
    const r = await get(url);
    expectSound(r, url);
    expect(r.statusCode).toBe(status);
    expect(r.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('forged next_cursors with bad f / t / e fields → 400 naming cursor', async () => {
    const real = (await get(`/v1/jobs?from=${FROM}&sort=tokens&limit=1`)).json().next_cursor as string;
    const [payload] = real.split('.');
    const position = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    for (const forged of [
      { ...position, f: 'not a time' },
      { ...position, t: '2016-12-31T23:59:60Z' },
      { ...position, f: '0000-01-01T00:00:00Z' },
    ]) {
      // the original signature over a forged payload
      const cursor = `${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${real.split('.')[1]}`;
      const r = await get(`/v1/jobs?from=${FROM}&sort=tokens&cursor=${cursor}`);
      expectSound(r, cursor);
      expect(r.statusCode).toBe(400);
      expect(r.json().errors[0].field).toBe('/cursor');
    }
    const ev = (await get(`/v1/jobs/${SHARED_JOB}/events?limit=1`)).json().next_cursor as string;
    const forgedEv = `${Buffer.from(JSON.stringify({ t: '2026-10-03T00:00:00.000Z', e: '-'.repeat(36) })).toString('base64url')}.${ev.split('.')[1]}`;
    const r = await get(`/v1/jobs/${SHARED_JOB}/events?cursor=${forgedEv}`);
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0].field).toBe('/cursor');
  });

  it('job ids of 101–256 characters (allowed by the schema) reach the route: 404 in shape, not 414', async () => {
    for (const n of [101, 200, LIMITS.id]) {
      for (const url of [`/v1/jobs/${'x'.repeat(n)}`, `/v1/jobs/${'x'.repeat(n)}/events`]) {
        const r = await get(url);
        expectSound(r, url);
        expect(r.statusCode, url).toBe(404);
        expect(r.json().error).toBe('not_found');
      }
    }
    const long = await get(`/v1/jobs/${LONG_ID}x`);
    expectSound(long, 'id of 257');
    expect(long.statusCode).toBe(414);
    expect(long.json().error).toBe('uri_too_long');
  });
});

// ---- properties ----------------------------------------------------------------------------------

/** Values a careless or hostile client sends. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 300 }),
  fc.constantFrom(
    'Infinity',
    '-Infinity',
    '1e309',
    'NaN',
    '-1',
    '0',
    '1',
    '1000',
    '1001',
    '10000',
    '0x10',
    ' 5',
    '1.5',
    '',
    '2016-12-31T23:59:60Z',
    '0000-01-01T00:00:00Z',
    '1899-12-31T23:59:59Z',
    '1900-01-01T00:00:00Z',
    '2299-12-31T23:59:59.999Z',
    '2300-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '+275760-09-13T00:00:00.000Z',
    '2026-10-10T00:00:00+14:00',
    'acme',
    'globex',
    'cost',
    'tokens',
    'time',
    'asc',
    'desc',
    'model,tenant',
    'hour',
    'none',
    "'; DROP TABLE task_events --",
    '\u0000',
    '\uD800',
    '%',
    '%E0%A4%A',
    '-'.repeat(36),
    'x'.repeat(257),
    '€'.repeat(257),
    '__proto__',
    'constructor',
  ),
  fc.integer().map(String),
  fc.double().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

const PARAMS = [
  'from',
  'to',
  'tenant',
  'user',
  'repository',
  'service',
  'model',
  'provider',
  'task',
  'status',
  'sort',
  'order',
  'limit',
  'cursor',
  'group_by',
  'bucket',
];
const queryArb = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PARAMS), fc.string({ maxLength: 12 })), hostileText), {
  maxLength: 6,
});

/** A query string: encoded pairs, sometimes with a raw (unencoded, possibly broken) tail. */
const queryString = fc
  .tuple(queryArb, fc.option(fc.stringMatching(/^[A-Za-z0-9%&=+;,._~-]{0,40}$/), { nil: undefined }))
  .map(([pairs, raw]) => {
    const encoded = pairs.map(
      ([k, v]) => `${encodeURIComponent(toWellFormed(k))}=${encodeURIComponent(toWellFormed(v))}`,
    );
    return [...encoded, ...(raw === undefined ? [] : [raw])].join('&');
  });

/** encodeURIComponent refuses lone surrogates; a client sends them as U+FFFD or as raw bytes (pathBytes). */
function toWellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** A path segment: an encoded string of any length around the limit, or raw percent-encoded bytes. */
const pathSegment = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }).map((s) => encodeURIComponent(toWellFormed(s))),
  fc.integer({ min: LIMITS.id - 3, max: LIMITS.id + 3 }).map((n) => 'j'.repeat(n)),
  fc
    .uint8Array({ minLength: 1, maxLength: 40 })
    .map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')),
  fc.constantFrom(SHARED_JOB, jobIds[1]!, 'acme-month', 'all-month', '%2F', '..', '%00'),
);

describe('properties: any request gets an answer, never a 5xx; errors in the documented shape', () => {
  it('any query string on every read route, with any method', async () => {
    const routes = [
      '/v1/jobs',
      `/v1/jobs/${SHARED_JOB}`,
      `/v1/jobs/${SHARED_JOB}/events`,
      '/v1/attribution',
      '/v1/latency',
      '/v1/budgets',
      '/v1/budgets/acme-month',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        queryString,
        fc.constantFrom(KEYS.read, KEYS.acme),
        fc.constantFrom(...(['GET', 'GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'DELETE', 'PUT', 'POST'] as const)),
        async (route, q, key, method) => {
          const url = `${route}?${q}`;
          const r = await app.inject({ method, url, headers: auth(key) });
          if (method === 'HEAD') expect(r.statusCode, url).toBeLessThan(500);
          else expectSound(r, `${method} ${url}`);
          if (r.statusCode === 200 && method === 'GET') expect(() => JSON.parse(r.body) as unknown).not.toThrow();
          if (method !== 'GET' && method !== 'HEAD') expect(r.statusCode, `${method} ${url}`).toBe(404);
        },
      ),
      runs(250),
    );
  });

  it('any path parameter', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/jobs/%s', '/v1/jobs/%s/events', '/v1/budgets/%s'),
        pathSegment,
        async (route, seg) => {
          const url = route.replace('%s', seg);
          const r = await get(url);
          expectSound(r, url);
          expect([200, 400, 404, 414]).toContain(r.statusCode);
          let decoded: string | undefined;
          try {
            decoded = decodeURIComponent(seg);
          } catch {
            decoded = undefined;
          }
          // A parameter the contract allows never meets the router's length limit.
          if (decoded !== undefined && decoded.length <= LIMITS.id) expect(r.statusCode, url).not.toBe(414);
        },
      ),
      runs(200),
    );
  });

  it('a tampered cursor is a 400 naming cursor; only the untouched one pages', async () => {
    const list = (await get(`/v1/jobs?from=${FROM}&sort=tokens&limit=2`)).json().next_cursor as string;
    const events = (await get(`/v1/jobs/${SHARED_JOB}/events?limit=2`)).json().next_cursor as string;
    const other = jobIds.find((j) => j !== SHARED_JOB)!;
    const tamper = fc.oneof(
      fc.tuple(fc.nat(), fc.constantFrom(...'ABCDEFabcdef0123456789-_.')).map(([i, c]) => (s: string) => {
        const at = i % s.length;
        return s.slice(0, at) + c + s.slice(at + 1);
      }),
      fc.nat().map((n) => (s: string) => s.slice(0, n % s.length)),
      fc.string({ maxLength: 8 }).map((x) => (s: string) => s + x),
      fc.constant((s: string) => s.split('.').reverse().join('.')),
      fc.constant((s: string) => `${(s === list ? events : list).split('.')[0]!}.${s.split('.')[1]!}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          { cursor: list, url: `/v1/jobs?from=${FROM}&sort=tokens&limit=2&cursor=` },
          { cursor: events, url: `/v1/jobs/${SHARED_JOB}/events?limit=2&cursor=` },
          { cursor: events, url: `/v1/jobs/${other}/events?limit=2&cursor=`, foreign: true },
        ),
        tamper,
        async (c, f) => {
          const cursor = f(c.cursor);
          const r = await get(`${c.url}${encodeURIComponent(toWellFormed(cursor))}`);
          expectSound(r, cursor);
          if (cursor === c.cursor && !('foreign' in c)) expect(r.statusCode).toBe(200);
          else {
            expect(r.statusCode, cursor).toBe(400);
            expect(r.json().errors.map((e: { field: string }) => e.field)).toContain('/cursor');
          }
        },
      ),
      runs(200),
    );
  });

  it('any body on POST /v1/events: 202 publishes exactly the accepted events, priced by Aurea; else nothing', async () => {
    const valid = base.slice(0, 40).map((e) => wire(e) as TaskEventV1);
    const anyValue = fc.oneof(
      hostileText,
      fc.jsonValue({ maxDepth: 2 }),
      fc.double(),
      fc.integer({ min: -5, max: 2 ** 53 }),
    );
    const fieldNames = Object.keys(valid[0]!);
    const mutate = fc.oneof(
      fc
        .tuple(fc.constantFrom(...fieldNames), anyValue)
        .map(([k, v]) => (e: Record<string, unknown>) => ({ ...e, [k]: v })),
      fc.constantFrom(...fieldNames).map((k) => (e: Record<string, unknown>) => {
        const { [k]: _gone, ...rest } = e;
        return rest;
      }),
      fc
        .tuple(fc.string({ maxLength: 10 }), anyValue)
        .map(([k, v]) => (e: Record<string, unknown>) => ({ ...e, [k]: v })),
      fc
        .record({
          input_tokens: fc.oneof(fc.integer({ min: -1, max: 10_000_000 }), anyValue),
          output_tokens: fc.integer({ min: 0, max: 10_000_000 }),
          cache_read_tokens: fc.integer({ min: 0, max: 1_000_000 }),
          reasoning_tokens: fc.integer({ min: 0, max: 1_000_000 }),
        })
        .map((usage) => (e: Record<string, unknown>) => ({ ...e, usage })),
      fc
        .tuple(hostileText, hostileText)
        .map(([a, b]) => (e: Record<string, unknown>) => ({ ...e, started_at: a, ended_at: b })),
      // what a client claims about cost, for a model the table knows or not
      fc
        .record({
          request_model: fc.constantFrom(TEST_PRICE.model, 'mystery-llm', 'gpt-4o'),
          provider: fc.constantFrom(TEST_PRICE.provider, 'anthropic'),
          cost_usd: fc.option(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1000, noNaN: true })), { nil: null }),
          provided_cost_usd: fc.option(fc.double({ min: 0, max: 1000, noNaN: true }), { nil: null }),
          pricing_status: fc.constantFrom('priced', 'custom', 'unknown_model', 'not_applicable'),
          price_version: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: null }),
          source: fc.constantFrom('sdk', 'otlp', 'api'),
          tenant: fc.constantFrom('acme', 'globex', null),
        })
        .map((claims) => (e: Record<string, unknown>) => ({ ...e, ...claims })),
    );
    const event = fc
      .tuple(fc.constantFrom(...valid), fc.array(mutate, { maxLength: 3 }))
      .map(([e, ms]) => ms.reduce<Record<string, unknown>>((acc, m) => m(acc), { ...e }));
    const body = fc.oneof(
      { weight: 6, arbitrary: event },
      { weight: 3, arbitrary: fc.array(event, { minLength: 1, maxLength: 5 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json',
      'application/json',
      'text/plain',
      'application/json; charset=utf-16',
      '',
    );

    await fc.assert(
      fc.asyncProperty(body, contentType, fc.constantFrom(KEYS.ingest, KEYS.acme), async (payload, type, key) => {
        publisher.batches = [];
        const r = await app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: { ...auth(key), ...(type ? { 'content-type': type } : {}) },
          payload: JSON.stringify(payload),
        });
        expectSound(r, JSON.stringify(payload).slice(0, 300));
        const published = publisher.batches.flat() as unknown as Record<string, unknown>[];
        if (r.statusCode !== 202) {
          expect([400, 403, 415]).toContain(r.statusCode);
          expect(published).toHaveLength(0);
          return;
        }
        const items = (Array.isArray(payload) ? payload : [payload]) as Record<string, unknown>[];
        expect(publisher.batches).toHaveLength(1);
        expect(published.map((e) => e.event_id)).toEqual(items.map((e) => e.event_id));
        expect(r.json()).toMatchObject({ accepted: items.length });
        published.forEach((e, i) => {
          const sent = items[i]!;
          expect(validateTaskEvent(e).ok).toBe(true);
          expect(e.source).toBe('api');
          if (key === KEYS.acme) expect(e.tenant).toBe('acme');
          // Aurea's price, worked out here from the price file's figures: only test-model/openai is known
          const u = e.usage as Record<string, number>;
          const known = e.provider === TEST_PRICE.provider && e.request_model === TEST_PRICE.model;
          if (!known) expect(e).toMatchObject({ cost_usd: null, pricing_status: 'unknown_model' });
          else {
            const nanos =
              BigInt(u.input_tokens! + u.cache_read_tokens! + u.cache_write_tokens!) * TEST_PRICE.inputNanos +
              BigInt(u.output_tokens! + u.reasoning_tokens!) * TEST_PRICE.outputNanos;
            expect(e.pricing_status).toBe('priced');
            expect(Math.abs((e.cost_usd as number) - Number(nanos) / 1e9)).toBeLessThanOrEqual(
              Math.max(1e-9, Number(nanos) * 1e-21),
            );
          }
          // the client's figure survives as provided only (unless it was exactly Aurea's own figures)
          const sentCost = (sent.cost_usd ?? null) as number | null;
          const sentStatus = sent.pricing_status ?? (sentCost === null ? 'unknown_model' : 'priced');
          const clientsOwn =
            sentCost === e.cost_usd &&
            sentStatus === e.pricing_status &&
            (sent.price_version ?? null) === e.price_version &&
            (sent.price_source ?? null) === e.price_source;
          const provided = (sent.provided_cost_usd ?? null) as number | null;
          expect(e.provided_cost_usd).toBe(clientsOwn ? provided : (provided ?? sentCost));
        });
      }),
      runs(300),
    );
  });
});

// ---- tenant-scoped keys --------------------------------------------------------------------------

describe('a tenant-scoped key sees its tenants and nothing else', () => {
  const of = (tenants: readonly (string | null)[]) => all.filter((e) => tenants.includes(e.tenant));
  const pageAll = async (key: string, query: string) => {
    const out: { job_id: string; cost_usd: string; tasks: number }[] = [];
    let cursor: string | null = null;
    do {
      const r = await get(`/v1/jobs?from=${FROM}&limit=3${query}${cursor ? `&cursor=${cursor}` : ''}`, key);
      expect(r.statusCode).toBe(200);
      const page = r.json();
      out.push(...page.jobs);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  };

  it('the dataset has several tenants and a job shared by two', () => {
    expect(new Set(all.map((e) => e.tenant))).toEqual(new Set(['acme', 'globex', 'umbrella corp', null]));
    expect(new Set(all.filter((e) => e.job_id === SHARED_JOB).map((e) => e.tenant))).toEqual(
      new Set(['acme', 'globex']),
    );
  });

  it.each([
    ['acme', KEYS.acme, ['acme']],
    ['globex + umbrella corp', KEYS.globex, ['globex', 'umbrella corp']],
  ] as const)('%s: jobs list, totals, job, events, attribution', async (_name, key, tenants) => {
    const mine = byJob(of(tenants));
    // the list: jobs with an event of the key's tenants, totals of those events only
    const listed = await pageAll(key, '');
    expect(listed.map((j) => j.job_id).sort()).toEqual([...mine.keys()].sort());
    for (const j of listed)
      expect(j).toMatchObject({ cost_usd: costOf(mine.get(j.job_id)!), tasks: mine.get(j.job_id)!.length });
    // another tenant as a filter finds nothing
    expect(await pageAll(key, '&tenant=nobody-else')).toEqual([]);
    const outsider = (tenants as readonly string[]).includes('globex') ? 'acme' : 'globex';
    expect((await pageAll(key, `&tenant=${outsider}`)).map((j) => j.job_id)).toEqual([]);

    for (const jobId of jobIds) {
      const es = mine.get(jobId);
      const summary = await get(`/v1/jobs/${encodeURIComponent(jobId)}`, key);
      const events = await get(`/v1/jobs/${encodeURIComponent(jobId)}/events?limit=1000`, key);
      if (!es) {
        expect(summary.statusCode, jobId).toBe(404);
        expect(events.statusCode, jobId).toBe(404);
        continue;
      }
      expect(summary.json()).toMatchObject({ tasks: es.length, cost_usd: costOf(es) });
      expect(summary.json().tenants).toEqual([...new Set(es.map((e) => e.tenant))].sort());
      expect(
        events
          .json()
          .events.map((e: { event_id: string }) => e.event_id)
          .sort(),
      ).toEqual(es.map((e) => e.event_id).sort());
      expect(new Set(events.json().events.map((e: { tenant: string }) => e.tenant))).toEqual(
        new Set(es.map((e) => e.tenant)),
      );
    }

    const attr = (await get(`/v1/attribution?from=${FROM}&group_by=tenant&bucket=none`, key)).json();
    expect(attr.rows.map((r: { group: { tenant: string } }) => r.group.tenant).sort()).toEqual(
      [...new Set(of(tenants).map((e) => e.tenant))].sort(),
    );
    for (const row of attr.rows) expect(row.cost_usd).toBe(costOf(of([row.group.tenant])));
    expect((await get(`/v1/attribution?from=${FROM}&tenant=${outsider}`, key)).json().rows).toEqual([]);
  });

  it('the shared job: each key sees its own part of it', async () => {
    const shared = all.filter((e) => e.job_id === SHARED_JOB);
    const acme = (await get(`/v1/jobs/${SHARED_JOB}`, KEYS.acme)).json();
    const globex = (await get(`/v1/jobs/${SHARED_JOB}`, KEYS.globex)).json();
    const everyone = (await get(`/v1/jobs/${SHARED_JOB}`, KEYS.read)).json();
    expect(acme).toMatchObject({ tenants: ['acme'], tasks: shared.filter((e) => e.tenant === 'acme').length });
    expect(globex).toMatchObject({ tenants: ['globex'], tasks: shared.filter((e) => e.tenant === 'globex').length });
    expect(everyone).toMatchObject({ tenants: ['acme', 'globex'], tasks: shared.length, cost_usd: costOf(shared) });
  });

  it('budgets: only the tenant budgets of the key (a global budget sums every tenant)', async () => {
    const names = async (key: string) =>
      (await get('/v1/budgets', key)).json().budgets.map((b: { name: string }) => b.name);
    expect(await names(KEYS.read)).toEqual(['all-month', 'acme-month', 'globex-week']);
    expect(await names(KEYS.acme)).toEqual(['acme-month']);
    expect(await names(KEYS.globex)).toEqual(['globex-week']);
    expect((await get('/v1/budgets/acme-month', KEYS.acme)).statusCode).toBe(200);
    for (const name of ['all-month', 'globex-week']) {
      const r = await get(`/v1/budgets/${name}`, KEYS.acme);
      expect(r.statusCode, name).toBe(404);
      expectSound(r, name);
    }
  });
});
