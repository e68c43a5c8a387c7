// A Collector crash in the middle of a run, as an operator would see it: the Aurea SDK records LLM
// calls (monitorTask and recordLlmCall, prices from an in-test table) into a guard-tier Collector
// started by scripts/stack/collector-instance.sh on its own ports; the Collector is SIGKILLed, the SDK
// keeps working for a while with nowhere to export, the Collector is started again with the same
// script, more calls follow. Prometheus (a private instance run with the stack's flags) must then
// hold exactly the totals of the calls made — cost to the cent and to 1e-9, tasks and tokens exactly
// — both as the counters' final values and through the exact spend query (docs/metrics.md); and so
// must the task events the SDK emitted. The expected figures are computed here from the calls,
// independently of the SDK's pricing code.
//
// Second part: a client that puts ids on its points (the cardinality guard's streams), through the
// same kind of crash. What a guard restart loses is documented in docs/collector.md ("What a restart
// loses"): for each id-carrying cumulative stream, exactly its increase between the last point the
// old process pushed and the first point the new one sees; delta streams lose nothing. Both are
// checked to the exact value, with post-restart values larger than pre-crash ones, so that only a
// reset that Prometheus detects (the 0 sample at the series' start time) gives the right total.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { init, type EventPublisher, type PublishableEvent } from '@aurea/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueName } from '../stack/helpers.js';
import { PrivateProcesses, REPO_ROOT, freePort, promInstant } from './binaries.js';
import { TEMPORALITY, exportMetrics, nowNs, resourceMetrics, sumMetric } from './otlp-json.js';

const run = promisify(execFile);

/** One guard Collector instance managed by the stack script, on free ports, in its own run dir. */
class ScriptedCollector {
  readonly runDir = mkdtempSync(join(tmpdir(), 'aurea-restart-'));
  env: Record<string, string> = {};
  constructor(
    readonly name: string,
    private readonly prometheusPort: number,
  ) {}
  async ports(): Promise<void> {
    this.env = {
      AUREA_RUN_DIR: this.runDir,
      PROMETHEUS_PORT: String(this.prometheusPort),
      OTELCOL_GRPC_PORT: String(await freePort()),
      OTELCOL_HTTP_PORT: String(await freePort()),
      OTELCOL_HEALTH_PORT: String(await freePort()),
      OTELCOL_METRICS_PORT: String(await freePort()),
    };
  }
  get otlpHttp(): string {
    return `http://127.0.0.1:${this.env.OTELCOL_HTTP_PORT}`;
  }
  async script(...args: string[]): Promise<void> {
    await run('bash', [join(REPO_ROOT, 'scripts/stack/collector-instance.sh'), ...args], {
      env: { ...process.env, ...this.env },
    });
  }
  start = () => this.script('start', 'guard', this.name);
  crash = () => this.script('kill', this.name);
  async stop(): Promise<void> {
    await this.script('stop', this.name).catch(() => undefined);
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

/** The exact spend query of docs/metrics.md over window `w`, summed by `by`. */
function exactSpend(metric: string, sel: string, w: string, by: string): string {
  const x = `${metric}{${sel}}`;
  return (
    `sum by (${by}) (increase(${x}[${w}] anchored) + (first_over_time(${x}[${w}]) unless ${x} offset ${w}) ` +
    `or increase(${x}[${w}] anchored))`
  );
}

async function byLabel(url: string, expr: string, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of await promInstant(url, expr)) out[s.metric[label] ?? ''] = Number(s.value[1]);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const procs = new PrivateProcesses();
let prom: { url: string; port: number };
beforeAll(async () => {
  prom = await procs.startPrometheus();
});
afterAll(async () => {
  await procs.stop();
});

// Prices in USD per 1M tokens, integers: a call's cost in micro-USD is tokens × price, exactly.
const MODELS = [
  { provider: 'anthropic', model: 'claude-3-7-sonnet', input: 3, output: 15 },
  { provider: 'openai', model: 'gpt-4o-mini', input: 1, output: 4 },
] as const;

describe('Aurea SDK traffic, the Collector SIGKILLed and restarted mid-run', () => {
  const service = uniqueName('restart-sdk');
  const events: PublishableEvent[] = [];
  const publisher: EventPublisher = {
    publish: (e) => (events.push(e), true),
    flush: () => Promise.resolve({ pending: 0 }),
    close: () => Promise.resolve({ pending: 0 }),
    stats: () => ({ published: events.length, buffered: 0, dropped: new Map() }),
  };
  // Independent totals of the calls made, per model: cost in micro-USD, tasks by status, tokens.
  interface Totals {
    microUsd: number;
    ok: number;
    error: number;
    input: number;
    output: number;
  }
  const want = new Map<string, Totals>(
    MODELS.map((m) => [m.model, { microUsd: 0, ok: 0, error: 0, input: 0, output: 0 }]),
  );
  let collector: ScriptedCollector;

  afterAll(async () => {
    await collector.stop();
  });

  it('records calls before, during and after a Collector crash', async () => {
    collector = new ScriptedCollector('restart-sdk', prom.port);
    await collector.ports();
    await collector.start();
    const aurea = await init({
      serviceName: service,
      otlp: { endpoint: collector.otlpHttp, exportIntervalMs: 500, timeoutMs: 2000 },
      publisher,
      priceTable: {
        version: 'restart-test-1',
        extends: false,
        models: MODELS.map((m) => ({
          provider: m.provider,
          model: m.model,
          input: m.input,
          output: m.output,
          effective_from: '2020-01-01',
        })),
      },
      logger: { warn: () => undefined, error: () => undefined },
    });
    let n = 0;
    const calls = async (count: number) => {
      for (let i = 0; i < count; i++, n++) {
        const m = MODELS[n % MODELS.length]!;
        const input = 100 + (n % 13) * 37;
        const output = 20 + (n % 7) * 11;
        const w = want.get(m.model)!;
        w.microUsd += input * m.input + output * m.output;
        w.input += input;
        w.output += output;
        if (n % 5 === 4) {
          // recordLlmCall: a call timed by the caller.
          aurea.recordLlmCall({
            jobId: `job-${n}`,
            taskName: 'summarize',
            provider: m.provider,
            model: m.model,
            durationMs: 40,
            usage: { input, output },
          });
          w.ok++;
          continue;
        }
        const fail = n % 7 === 3;
        const task = aurea.monitorTask(
          { jobId: `job-${n}`, taskName: 'summarize', provider: m.provider, model: m.model },
          (ctx) => {
            ctx.recordUsage({ input, output });
            return fail ? Promise.reject(new Error('provider said no')) : Promise.resolve(n);
          },
        );
        if (fail) {
          await expect(task).rejects.toThrow('provider said no');
          w.error++;
        } else {
          await task;
          w.ok++;
        }
      }
    };
    await calls(60);
    await sleep(1500); // exported at least twice
    await collector.crash();
    // The outage: the SDK keeps recording; its exports fail.
    for (let k = 0; k < 6; k++) {
      await calls(15);
      await sleep(500);
    }
    await collector.start();
    await calls(60);
    await aurea.shutdown({ deadlineMs: 5000 });
    expect(n).toBe(210);
  });

  it("Prometheus's cost, task and token counters equal the calls made (final values and the exact query)", async () => {
    const sel = `job="${service}"`;
    const usd = Object.fromEntries([...want].map(([m, w]) => [m, w.microUsd / 1e6]));
    const cost = await eventually('final cost in Prometheus', async () => {
      const got = await byLabel(
        prom.url,
        `sum by (gen_ai_request_model) (aurea_llm_cost_USD_total{${sel}})`,
        'gen_ai_request_model',
      );
      return Object.keys(usd).every((m) => Math.abs((got[m] ?? NaN) - (usd[m] ?? 0)) < 1e-9) ? got : undefined;
    }).catch(async (e: unknown) => {
      const got = await byLabel(
        prom.url,
        `sum by (gen_ai_request_model) (aurea_llm_cost_USD_total{${sel}})`,
        'gen_ai_request_model',
      );
      expect(got).toEqual(usd);
      throw e;
    });
    for (const [m, w] of want) {
      expect(Math.round((cost[m] ?? NaN) * 100), `${m} to the cent`).toBe(Math.round(w.microUsd / 1e4));
      expect(cost[m]).toBeCloseTo(w.microUsd / 1e6, 9);
    }
    const spend = await byLabel(
      prom.url,
      exactSpend('aurea_llm_cost_USD_total', sel, '15m', 'gen_ai_request_model'),
      'gen_ai_request_model',
    );
    for (const [m, w] of want) expect(spend[m], `exact spend query, ${m}`).toBeCloseTo(w.microUsd / 1e6, 9);

    for (const status of ['ok', 'error'] as const) {
      const final = await byLabel(
        prom.url,
        `sum by (gen_ai_request_model) (aurea_tasks_total{${sel},aurea_task_status="${status}"})`,
        'gen_ai_request_model',
      );
      const exact = await byLabel(
        prom.url,
        exactSpend('aurea_tasks_total', `${sel},aurea_task_status="${status}"`, '15m', 'gen_ai_request_model'),
        'gen_ai_request_model',
      );
      const expected = Object.fromEntries([...want].map(([m, w]) => [m, w[status]]));
      expect(final, `tasks ${status}`).toEqual(expected);
      expect(exact, `tasks ${status}, exact query`).toEqual(expected);
    }
    for (const type of ['input', 'output'] as const) {
      const final = await byLabel(
        prom.url,
        `sum by (gen_ai_request_model) (aurea_llm_tokens_total{${sel},aurea_token_type="${type}"})`,
        'gen_ai_request_model',
      );
      expect(final, `tokens ${type}`).toEqual(Object.fromEntries([...want].map(([m, w]) => [m, w[type]])));
    }
  });

  it('the task events the SDK emitted hold the same totals, to the exact decimal', () => {
    expect(events.length).toBe(210);
    const micro = new Map<string, bigint>();
    for (const p of events) {
      const e = 'toEvent' in p ? p.toEvent() : p;
      // cost_usd is a decimal string; to integer micro-USD without a float step.
      const [whole = '0', frac = ''] = String(e.cost_usd).split('.');
      const v = BigInt(whole) * 1_000_000n + BigInt((frac + '000000').slice(0, 6));
      expect(frac.slice(6).replace(/0/g, ''), 'no cost below a micro-dollar').toBe('');
      micro.set(e.request_model, (micro.get(e.request_model) ?? 0n) + v);
    }
    expect(Object.fromEntries(micro)).toEqual(Object.fromEntries([...want].map(([m, w]) => [m, BigInt(w.microUsd)])));
  });
});

describe('a client with ids on its points (the guard), the guard Collector SIGKILLed and restarted', () => {
  const service = uniqueName('restart-ids');
  const JOBS = 8;
  const costOf = (j: number) => (j + 1) * 0.25; // per round, cumulative streams
  const tokensOf = (j: number, round: number) => (round <= 3 ? 10 : 100) * (j + 1); // deltas, larger after
  let collector: ScriptedCollector;
  afterAll(async () => {
    await collector.stop();
  });

  async function send(round: number, startNs: bigint): Promise<void> {
    const timeNs = nowNs();
    const pts = Array.from({ length: JOBS }, (_, j) => ({
      attrs: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'm', 'aurea.job.id': `job-${j}` },
      j,
    }));
    await exportMetrics(collector.otlpHttp, [
      resourceMetrics({ 'service.name': service, 'service.instance.id': 'raw-1' }, [
        sumMetric(
          'aurea.llm.cost',
          'USD',
          pts.map((p) => ({ attrs: p.attrs, value: costOf(p.j) * round, startNs, timeNs })),
        ),
        sumMetric(
          'aurea.llm.tokens',
          '{token}',
          pts.map((p) => ({
            attrs: { ...p.attrs, 'aurea.token.type': 'input' },
            value: tokensOf(p.j, round),
            startNs: timeNs - 1_000_000n,
            timeNs,
          })),
          TEMPORALITY.delta,
        ),
      ]),
    ]);
  }

  it('loses exactly the documented bound: one increment per cumulative id stream, nothing of delta streams', async () => {
    collector = new ScriptedCollector('restart-ids', prom.port);
    await collector.ports();
    await collector.start();
    const sel = `job="${service}"`;
    // The streams start after this Collector did (so their first points count) and each point is
    // later than its start (a point at its own start time is a restart marker, not a count).
    const startNs = nowNs();
    await sleep(20);
    const sumCost = (rounds: number) =>
      Array.from({ length: JOBS }, (_, j) => costOf(j) * rounds).reduce((a, b) => a + b);
    const sumTokens = (from: number, to: number) => {
      let t = 0;
      for (let r = from; r <= to; r++) for (let j = 0; j < JOBS; j++) t += tokensOf(j, r);
      return t;
    };
    const value = async (expr: string) => Number((await promInstant(prom.url, expr))[0]?.value[1] ?? NaN);
    for (let round = 1; round <= 3; round++) {
      await send(round, startNs);
      await sleep(1200); // one batch per round (batch timeout 1 s)
    }
    // Everything the old process received has reached Prometheus before the crash.
    const selfMetrics = async () =>
      (await (await fetch(`http://127.0.0.1:${collector.env.OTELCOL_METRICS_PORT}/metrics`)).text())
        .split('\n')
        .filter((l) => /^otelcol_(cumulativetodelta|deltatocumulative)/.test(l))
        .join('\n');
    await eventually('pre-crash totals', async () =>
      (await value(`sum(aurea_llm_cost_USD_total{${sel}})`)) === sumCost(3) &&
      (await value(`sum(aurea_llm_tokens_total{${sel}})`)) === sumTokens(1, 3)
        ? true
        : undefined,
    ).catch(async (e: unknown) => {
      throw new Error(
        `${String(e)}: cost ${await value(`sum(aurea_llm_cost_USD_total{${sel}})`)} of ${sumCost(3)}, ` +
          `tokens ${await value(`sum(aurea_llm_tokens_total{${sel}})`)} of ${sumTokens(1, 3)}\n${await selfMetrics()}`,
      );
    });
    await collector.crash();
    await collector.start();
    for (let round = 4; round <= 6; round++) {
      await send(round, startNs);
      await sleep(1200);
    }
    // Round 4's cumulative points only become references in the new process: the increment from
    // round 3 to round 4 of every stream is what the restart loses. Delta points all count.
    const expectedCost = sumCost(6) - sumCost(1);
    const expectedTokens = sumTokens(1, 6);
    await eventually('post-restart totals through the exact query', async () =>
      (await value(exactSpend('aurea_llm_cost_USD_total', sel, '10m', 'job'))) === expectedCost &&
      (await value(exactSpend('aurea_llm_tokens_total', sel, '10m', 'job'))) === expectedTokens
        ? true
        : undefined,
    ).catch(async (e: unknown) => {
      expect({
        cost: await value(exactSpend('aurea_llm_cost_USD_total', sel, '10m', 'job')),
        tokens: await value(exactSpend('aurea_llm_tokens_total', sel, '10m', 'job')),
      }).toEqual({ cost: expectedCost, tokens: expectedTokens });
      throw e;
    });
    // The new process's series started again at 0: its final values are only what it added.
    expect(await value(`sum(aurea_llm_cost_USD_total{${sel}})`)).toBe(sumCost(6) - sumCost(4));
    expect(await value(`sum(aurea_llm_tokens_total{${sel}})`)).toBe(sumTokens(4, 6));
    // One series per bounded label set, no id label.
    const series = await promInstant(prom.url, `{${sel},__name__=~"aurea_llm_(cost_USD|tokens)_total"}`);
    expect(series.length).toBe(2);
    expect(series.flatMap((s) => Object.keys(s.metric)).filter((k) => /_id$/.test(k))).toEqual([]);
  });
});
