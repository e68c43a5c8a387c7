// End to end on the running stack with the real Aurea SDK: known tasks recorded through
// monitorTask → OTLP/HTTP → the built Collector (cardinality guard) → Prometheus 3. The test
// reads Prometheus's HTTP API and finds the exact counts and sums under the Prometheus names
// documented in docs/metrics.md. Prices come from a table the test passes (USD per million tokens),
// so the expected cost is worked out here from the same two numbers.
import { init } from '@aurea/sdk';
import { describe, expect, it } from 'vitest';
import { STACK, eventually, promQuery, uniqueName } from '../stack/helpers.js';

const TASKS = 25;
const OK = 20; // the other 5 throw
const MODEL = 'gpt-4o-mini';
const PROVIDER = 'openai';

const PRICE = { input: 3, output: 12 }; // USD per 1M tokens

async function one(expr: string): Promise<number | undefined> {
  const r = await promQuery(expr);
  if (r.length > 1) throw new Error(`${expr}: ${r.length} series, expected one`);
  return r[0] ? Number(r[0].value[1]) : undefined;
}

describe('@aurea/sdk → Collector → Prometheus', () => {
  const service = uniqueName('metrics-path-sdk');

  it('records known tasks and shuts down cleanly', async () => {
    const aurea = await init({
      serviceName: service,
      kafka: false,
      otlp: { endpoint: STACK.otlpHttp, exportIntervalMs: 500 },
      priceTable: {
        version: 'metrics-path-sdk-test-1',
        extends: false,
        models: [{ provider: PROVIDER, model: MODEL, ...PRICE, effective_from: '2020-01-01' }],
      },
    });
    for (let i = 0; i < TASKS; i++) {
      const run = aurea.monitorTask(
        { jobId: `job-${i}`, taskName: 'summarize', model: MODEL, provider: PROVIDER },
        (ctx) => {
          ctx.recordUsage({ input: 10, output: 5 });
          if (i >= OK) throw new Error('boom');
          return Promise.resolve(i);
        },
      );
      if (i >= OK) await expect(run).rejects.toThrow('boom');
      else await expect(run).resolves.toBe(i);
    }
    await aurea.shutdown({ deadlineMs: 5000 });
  });

  it('Prometheus has the exact task counts, tokens, durations and cost under the documented names', async () => {
    const sel = `job="${service}"`;
    await eventually(
      'all tasks in Prometheus',
      async () => ((await one(`sum(aurea_tasks_total{${sel}})`)) === TASKS ? true : undefined),
      30_000,
    );
    expect(
      await one(
        `aurea_tasks_total{${sel},aurea_task_name="summarize",aurea_task_status="ok",gen_ai_provider_name="${PROVIDER}",gen_ai_request_model="${MODEL}"}`,
      ),
    ).toBe(OK);
    expect(await one(`aurea_tasks_total{${sel},aurea_task_status="error"}`)).toBe(TASKS - OK);
    expect(await one(`sum(aurea_task_duration_seconds_count{${sel}})`)).toBe(TASKS);
    expect(await one(`sum(aurea_task_duration_seconds_bucket{${sel},le="+Inf"})`)).toBe(TASKS);
    expect(await one(`aurea_llm_tokens_total{${sel},aurea_token_type="input",gen_ai_request_model="${MODEL}"}`)).toBe(
      10 * TASKS,
    );
    expect(await one(`aurea_llm_tokens_total{${sel},aurea_token_type="output",gen_ai_request_model="${MODEL}"}`)).toBe(
      5 * TASKS,
    );
    const p = PRICE;
    const cost = await one(
      `aurea_llm_cost_USD_total{${sel},gen_ai_provider_name="${PROVIDER}",gen_ai_request_model="${MODEL}",aurea_task_name="summarize"}`,
    );
    expect(cost).toBeCloseTo((TASKS * (10 * p.input + 5 * p.output)) / 1e6, 12);
    expect(await one(`sum(aurea_errors_total{${sel}})`)).toBe(TASKS - OK);
    // Nothing is left running and no id reached Prometheus.
    expect(await one(`sum(aurea_tasks_active{${sel}})`)).toBe(0);
    const labels = new Set((await promQuery(`{${sel}}`)).flatMap((s) => Object.keys(s.metric)));
    expect([...labels].filter((l) => /_id$/.test(l))).toEqual([]);
  });
});
