// @aurea/sdk/fastify with a real fastify instance and the real SDK: what reaches the exporter
// (InMemoryMetricExporter) for routed, unrouted, failing and aborted requests.
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { AggregationTemporality, InMemoryMetricExporter, type MetricData } from '@opentelemetry/sdk-metrics';
import { aureaFastify } from './fastify.js';
import { HTTP_BUCKETS, init, type Aurea } from './index.js';

let aurea: Aurea | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  await aurea?.shutdown({ deadlineMs: 1000 });
  app = undefined;
  aurea = undefined;
});

async function setup(withOption: boolean) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  aurea = await init({ serviceName: 'fastify-unit', otlp: false, kafka: false, metricExporters: [{ exporter }] });
  app = Fastify();
  await app.register(aureaFastify, withOption ? { aurea } : {});
  // Routes in an encapsulated child with a prefix: the plugin still sees them (not encapsulated).
  await app.register(
    (child, _o, done) => {
      child.get('/items/:id', (req) => ({ id: (req.params as { id: string }).id }));
      child.post('/items', (_req, reply) => reply.code(201).send({ ok: true }));
      child.get('/boom', () => {
        throw new Error('boom');
      });
      child.get('/slow', async () => {
        await new Promise((r) => setTimeout(r, 400));
        return { late: true };
      });
      done();
    },
    { prefix: '/v1' },
  );
  const points = async () => {
    exporter.reset();
    await aurea!.flushMetrics();
    const m: MetricData | undefined = exporter
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.flatMap((s) => s.metrics))
      .find((x) => x.descriptor.name === 'http.server.request.duration');
    return (m?.dataPoints ?? []).map((p) => ({
      attributes: p.attributes,
      value: p.value as { count: number; buckets: { boundaries: number[] } },
    }));
  };
  return { app, points };
}

describe('@aurea/sdk/fastify', () => {
  it('records every request by route template, method, status and scheme; 5xx carry error.type', async () => {
    const { app, points } = await setup(true);
    await app.inject({ method: 'GET', url: '/v1/items/17' });
    await app.inject({ method: 'GET', url: '/v1/items/18' });
    await app.inject({ method: 'POST', url: '/v1/items', payload: {} });
    await app.inject({ method: 'GET', url: '/v1/boom' });
    await app.inject({ method: 'GET', url: '/v1/items/19/nothing-here' });
    const p = await points();
    const find = (a: Record<string, unknown>) => p.filter((x) => JSON.stringify(x.attributes) === JSON.stringify(a));
    const get = find({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': '/v1/items/:id',
      'http.response.status_code': 200,
    });
    expect(get.map((x) => x.value.count)).toEqual([2]);
    expect(get[0]!.value.buckets.boundaries).toEqual([...HTTP_BUCKETS]);
    expect(
      find({
        'http.request.method': 'POST',
        'url.scheme': 'http',
        'http.route': '/v1/items',
        'http.response.status_code': 201,
      }).map((x) => x.value.count),
    ).toEqual([1]);
    expect(
      find({
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'http.route': '/v1/boom',
        'http.response.status_code': 500,
        'error.type': '500',
      }).map((x) => x.value.count),
    ).toEqual([1]);
    // No route matched: no http.route (never the raw path).
    expect(
      find({ 'http.request.method': 'GET', 'url.scheme': 'http', 'http.response.status_code': 404 }).map(
        (x) => x.value.count,
      ),
    ).toEqual([1]);
    expect(JSON.stringify(p)).not.toContain('/17');
    expect(p.reduce((n, x) => n + x.value.count, 0)).toBe(5);
  });

  it('without options records through the last init(); an aborted request counts once, as aborted', async () => {
    const { app, points } = await setup(false);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    // A client that sends a request and goes away before the 400 ms answer.
    await new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(`GET /v1/slow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 100);
      });
      s.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 600)); // the handler finishes after the abort
    await app.inject({ method: 'GET', url: '/v1/items/1' });
    const p = await points();
    const aborted = p.filter((x) => x.attributes['error.type'] === 'aborted');
    expect(aborted).toHaveLength(1);
    expect(aborted[0]!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': '/v1/slow',
      'error.type': 'aborted',
    });
    expect(aborted[0]!.value.count).toBe(1);
    expect(p.filter((x) => x.attributes['http.route'] === '/v1/slow').reduce((n, x) => n + x.value.count, 0)).toBe(1);
    expect(p.find((x) => x.attributes['http.route'] === '/v1/items/:id')?.value.count).toBe(1);
  });
});
