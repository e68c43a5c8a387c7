// End to end on the running stack, with a client that is NOT the Aurea SDK: raw OTLP/HTTP
// JSON carrying counters (cumulative and delta) and a histogram on 60 job, user and request
// ids, in 3 exports of 2 HTTP requests each, some ids on the resource, half of the streams
// appearing only from the second export. Through the built Collector's cardinality guard
// into Prometheus: no id label anywhere, one series per bounded label set, and the exact
// totals (counter values, histogram counts, sums and every bucket).
import { describe, expect, it } from 'vitest';
import { STACK, eventually, promQuery, uniqueName } from '../stack/helpers.js';
import { BOUNDS, leLabel, sendRawScenario, type Expected } from './scenario.js';

const ID_LABEL =
  /(^|_)(job|task|tenant|user|repository|request|session|conversation)_id$|^enduser_id$|^gen_ai_(request|response|conversation)_id$/;
const keyOf = (m: Record<string, string>) => `${m.gen_ai_provider_name}|${m.gen_ai_request_model}`;

async function valuesOf(expr: string, withLe = false): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of await promQuery(expr))
    out.set(withLe ? `${keyOf(s.metric)}|${s.metric.le}` : keyOf(s.metric), Number(s.value[1]));
  return out;
}

describe('raw OTLP client with ids → Collector → Prometheus', () => {
  const service = uniqueName('metrics-path-raw');
  let expected: Expected;

  it('the Collector accepts every export', async () => {
    expected = await sendRawScenario(STACK.otlpHttp, service);
    expect(expected.requests).toBe(6);
    expect(expected.cost.size).toBe(4);
  });

  it('Prometheus shows the exact counter totals, one series per bounded label set', async () => {
    const sel = `{job="${service}"}`;
    const got = await eventually(
      'exact totals',
      async () => {
        const cost = await valuesOf(`aurea_llm_cost_USD_total${sel}`);
        const tokens = await valuesOf(`aurea_llm_tokens_total${sel}`);
        const same = (a: Map<string, number>, b: Map<string, number>) =>
          a.size === b.size && [...b].every(([k, v]) => a.get(k) === v);
        return same(cost, expected.cost) && same(tokens, expected.tokens) ? { cost, tokens } : undefined;
      },
      30_000,
    ).catch(async (err: unknown) => {
      // Show what Prometheus has next to what was sent.
      const cost = await valuesOf(`aurea_llm_cost_USD_total${sel}`);
      const tokens = await valuesOf(`aurea_llm_tokens_total${sel}`);
      expect({ cost: Object.fromEntries(cost), tokens: Object.fromEntries(tokens) }).toEqual({
        cost: Object.fromEntries(expected.cost),
        tokens: Object.fromEntries(expected.tokens),
      });
      throw err;
    });
    expect(Object.fromEntries(got.cost)).toEqual(Object.fromEntries(expected.cost));
    expect(Object.fromEntries(got.tokens)).toEqual(Object.fromEntries(expected.tokens));
  });

  it('histogram counts, sums and every bucket are exact', async () => {
    const sel = `{job="${service}"}`;
    await eventually('histogram totals', async () => {
      const c = await valuesOf(`gen_ai_client_operation_duration_seconds_count${sel}`);
      return [...expected.histCount].every(([k, v]) => c.get(k) === v) ? true : undefined;
    });
    expect(Object.fromEntries(await valuesOf(`gen_ai_client_operation_duration_seconds_count${sel}`))).toEqual(
      Object.fromEntries(expected.histCount),
    );
    expect(Object.fromEntries(await valuesOf(`gen_ai_client_operation_duration_seconds_sum${sel}`))).toEqual(
      Object.fromEntries(expected.histSum),
    );
    const buckets = await valuesOf(`gen_ai_client_operation_duration_seconds_bucket${sel}`, true);
    expect(buckets.size).toBe(4 * (BOUNDS.length + 1));
    expect(Object.fromEntries(buckets)).toEqual(Object.fromEntries(expected.histBucket));
    expect([...buckets.keys()].some((k) => k.endsWith(`|${leLabel(undefined)}`))).toBe(true);
  });

  it('no series of the service carries an id label, and each metric has exactly one series per bounded label set', async () => {
    const all = await promQuery(`{job="${service}"}`);
    const names = new Set(all.flatMap((s) => Object.keys(s.metric)));
    expect([...names].filter((n) => ID_LABEL.test(n))).toEqual([]);
    const perMetric = new Map<string, Set<string>>();
    for (const s of all) {
      const { __name__: name = '', ...labels } = s.metric;
      const set = perMetric.get(name) ?? new Set<string>();
      const key = JSON.stringify(Object.entries(labels).sort());
      expect(set.has(key), `duplicate series for ${name}`).toBe(false);
      set.add(key);
      perMetric.set(name, set);
    }
    expect(perMetric.get('aurea_llm_cost_USD_total')?.size).toBe(4);
    expect(perMetric.get('aurea_llm_tokens_total')?.size).toBe(4);
    expect(perMetric.get('gen_ai_client_operation_duration_seconds_count')?.size).toBe(4);
    // 60 jobs × 7 users × 60 request ids collapsed; resource-level ids too (one instance).
    expect(new Set(all.map((s) => s.metric.instance))).toEqual(new Set(['raw-1']));
  });
});
