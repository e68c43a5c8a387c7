// Foundation: an OTLP metric sent to the built Collector comes out of Prometheus's HTTP API
// with its value (OTLP/HTTP JSON in → Collector → Prometheus OTLP receiver).
import { describe, expect, it } from 'vitest';
import { STACK, eventually, promQuery, uniqueName } from './helpers.js';

describe('OTLP → Collector → Prometheus', () => {
  it('the Collector is healthy', async () => {
    const res = await fetch(`${STACK.collectorHealth}/`);
    expect(res.status).toBe(200);
  });

  it('a counter sent over OTLP/HTTP is queryable in Prometheus with its value', async () => {
    const service = uniqueName('foundation');
    const now = BigInt(Date.now()) * 1_000_000n;
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeMetrics: [
            {
              scope: { name: 'foundation-test' },
              metrics: [
                {
                  name: 'aurea.foundation.probe',
                  unit: '{probe}',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [
                      {
                        startTimeUnixNano: String(now - 1_000_000_000n),
                        timeUnixNano: String(now),
                        asDouble: 42.5,
                        attributes: [{ key: 'probe.kind', value: { stringValue: 'foundation' } }],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`${STACK.otlpHttp}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);

    const sample = await eventually('the probe in Prometheus', async () => {
      const r = await promQuery(`aurea_foundation_probe_total{job="${service}"}`);
      return r[0];
    });
    expect(Number(sample.value[1])).toBe(42.5);
    expect(sample.metric.probe_kind).toBe('foundation');
    expect(sample.metric.deployment_environment_name).toBeDefined();
  });
});
