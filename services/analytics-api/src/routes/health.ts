// Liveness, readiness and the Prometheus scrape endpoint.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ping } from '@aurea/clickhouse/queries';
import { runQuery } from '../ch.js';
import type { RouteContext } from '../context.js';
import { sendError } from '../errors.js';

/**
 * State of a part of the process that readiness reflects (the local runtime's consumer and span
 * bridge): `starting` until it runs, `unavailable` while its start failed and is retried,
 * `not_ready` when it runs but says it is not ready (with its reason).
 */
export type PartState = 'ok' | 'starting' | 'unavailable' | 'not_ready';
export interface PartReadiness {
  state: PartState;
  reason?: string | undefined;
}
/** More readiness checks, by name (answered in `checks`); each must be `ok` for the process to be ready. */
export type ReadinessChecks = Record<string, () => PartReadiness | Promise<PartReadiness>>;

export interface HealthOptions extends RouteContext {
  metricsHandler?: ((req: IncomingMessage, res: ServerResponse) => void | Promise<void>) | undefined;
  readyTimeoutMs?: number;
  readiness?: ReadinessChecks | undefined;
}

const Check = Type.Union(
  (['ok', 'starting', 'unavailable', 'not_ready', 'not_configured'] as const).map((s) => Type.Literal(s)),
);
const ReadyBody = Type.Object({
  status: Type.String(),
  checks: Type.Object(
    { clickhouse: Check, kafka: Check },
    { additionalProperties: Check, description: 'Also other parts of the process (the local runtime: consumer)' },
  ),
  reasons: Type.Optional(
    Type.Record(Type.String(), Type.String(), { description: 'Why a part that runs is not ready, by check name' }),
  ),
});

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginCallback<HealthOptions> = (app, ctx, done) => {
  const timeout = ctx.readyTimeoutMs ?? 2000;

  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness: the process serves HTTP',
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    (_req, reply) => reply.send({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: ClickHouse and Kafka reachable (and, in the local runtime, the consumer running)',
        tags: ['health'],
        response: { 200: ReadyBody, 503: ReadyBody },
      },
    },
    async (req, reply) => {
      const [clickhouse, kafka] = await Promise.all([
        withTimeout(runQuery(ctx.ch, ping), timeout).then(
          () => 'ok' as const,
          (err: unknown) => {
            req.log.warn({ err }, 'readiness: ClickHouse unavailable');
            return 'unavailable' as const;
          },
        ),
        ctx.publisher
          ? ctx.publisher.ready(timeout).then((ok) => (ok ? ('ok' as const) : ('unavailable' as const)))
          : Promise.resolve('not_configured' as const),
      ]);
      const parts = Object.entries(ctx.readiness ?? {});
      const states = await Promise.all(
        parts.map(([name, check]) =>
          withTimeout(Promise.resolve().then(check), timeout).then(
            (s): [string, PartReadiness] => [name, s],
            (err: unknown): [string, PartReadiness] => {
              req.log.warn({ err, part: name }, 'readiness check failed');
              return [name, { state: 'unavailable', reason: (err as Error).message }];
            },
          ),
        ),
      );
      const ready = clickhouse === 'ok' && kafka !== 'unavailable' && states.every(([, s]) => s.state === 'ok');
      const reasons = states.filter(([, s]) => s.reason !== undefined).map(([n, s]) => [n, s.reason!] as const);
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        checks: { ...Object.fromEntries(states.map(([n, s]) => [n, s.state])), clickhouse, kafka },
        ...(reasons.length > 0 ? { reasons: Object.fromEntries(reasons) } : {}),
      });
    },
  );

  app.get(
    '/metrics',
    {
      config: { access: ctx.config.metricsAuth === 'key' ? 'metrics' : 'public' },
      schema: {
        summary: 'Prometheus metrics of this process (budgets gauges included)',
        tags: ['health'],
        produces: ['text/plain'],
      },
    },
    async (req, reply) => {
      if (!ctx.metricsHandler) return sendError(reply, 404, 'not_found', 'metrics are not enabled on this instance');
      reply.hijack();
      await ctx.metricsHandler(req.raw, reply.raw);
    },
  );
  done();
};
