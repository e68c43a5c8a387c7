// /v1/attribution: cost, tokens and task counts per time bucket × any of model, provider,
// service, task, tenant, user, repository — for charts and chargeback.
import type { FastifyPluginCallback } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CURRENCY, attribution, dimensionFilters, type Bucket, type GroupByDimension } from '@aurea/clickhouse/queries';
import { runQuery } from '../ch.js';
import { READ_SECURITY, type RouteContext } from '../context.js';
import { errorResponses } from '../errors.js';
import { orNull, time, totals, type TotalsRow } from '../rows.js';
import { resolveRange } from '../range.js';
import { AttributionQuery, AttributionResponse } from '../schemas.js';

export const attributionRoutes: FastifyPluginCallback<RouteContext> = (fastify, ctx, done) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/attribution',
    {
      config: { access: 'read' },
      // `group_by=model,tenant` and `group_by=model&group_by=tenant` mean the same.
      preValidation: (req, _reply, next) => {
        const q = req.query as Record<string, unknown>;
        const g: unknown = q.group_by;
        const split = (v: unknown): unknown[] =>
          typeof v === 'string'
            ? v
                .split(',')
                .map((x) => x.trim())
                .filter(Boolean)
            : [v];
        if (typeof g === 'string' || Array.isArray(g))
          q.group_by = (Array.isArray(g) ? (g as unknown[]) : [g]).flatMap(split);
        next();
      },
      schema: {
        summary: 'Cost attribution over time by any dimensions',
        description:
          'Totals of the events that ended in [from, to) and match the filters, grouped by bucket and the group_by dimensions. A null group value means none was recorded.',
        tags: ['attribution'],
        security: READ_SECURITY,
        querystring: AttributionQuery,
        response: { 200: AttributionResponse, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (req) => {
      const q = req.query;
      const now = Date.now();
      const nowText = new Date(now).toISOString();
      const range = resolveRange(q.from, q.to ?? nowText, now);
      const from = range.from;
      const to = range.to ?? nowText;
      const groupBy: GroupByDimension[] = q.group_by;
      const bucket = q.bucket === 'none' ? undefined : (q.bucket as Bucket);
      const rows = await runQuery<
        TotalsRow & Record<string, unknown> & { bucket?: string; jobs: number; latency_avg_ms: number }
      >(
        ctx.ch,
        attribution({
          groupBy,
          bucket,
          filters: {
            from,
            to,
            ...dimensionFilters(q),
          },
          limit: q.limit + 1,
          tenants: req.tenants,
        }),
      );
      return {
        currency: CURRENCY,
        from,
        to,
        bucket: q.bucket,
        group_by: groupBy,
        rows: rows.slice(0, q.limit).map((r) => ({
          bucket: typeof r.bucket === 'string' ? time(r.bucket) : null,
          group: Object.fromEntries(groupBy.map((g) => [g, orNull(r[g] as string)])),
          ...totals(r),
          jobs: Number(r.jobs),
          latency_avg_ms: r.latency_avg_ms,
        })),
        truncated: rows.length > q.limit,
      };
    },
  );
  done();
};
