// /v1/latency: exact task-latency percentiles (p50, p95, p99) and time-to-first-token percentiles
// per agent (task), repository, user or any other dimension, over a time range — the figures
// metrics cannot give, since repository and user are ids, never labels (docs/api.md, "Latency").
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { dimensionFilters, latencyPercentiles, type Bucket, type GroupByDimension } from '@aurea/clickhouse/queries';
import type { TaskStatus } from '@aurea/events';
import { runQuery } from '../ch.js';
import { READ_SECURITY, type RouteContext } from '../context.js';
import { errorResponses } from '../errors.js';
import { orNull, time } from '../rows.js';
import { resolveRange } from '../range.js';
import { LatencyQuery, LatencyResponse } from '../schemas.js';

interface LatencyRowOut extends Record<string, unknown> {
  bucket?: string;
  tasks: number | string;
  latency_avg_ms: number;
  latency_quantiles_ms: [number, number, number];
  latency_max_ms: number;
  streamed_tasks: number | string;
  ttft_quantiles_ms: [number | null, number | null, number | null];
}

/** `a=x,y` and `a=x&a=y` mean the same for the list parameters. */
export function splitLists(...names: string[]) {
  return (req: FastifyRequest, _reply: unknown, next: () => void) => {
    const q = req.query as Record<string, unknown>;
    for (const name of names) {
      const v: unknown = q[name];
      if (typeof v !== 'string' && !Array.isArray(v)) continue;
      q[name] = (Array.isArray(v) ? (v as unknown[]) : [v]).flatMap((x) =>
        typeof x === 'string'
          ? x
              .split(',')
              .map((p) => p.trim())
              .filter(Boolean)
          : [x],
      );
    }
    next();
  };
}

export const latencyRoutes: FastifyPluginCallback<RouteContext> = (fastify, ctx, done) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/latency',
    {
      config: { access: 'read' },
      preValidation: splitLists('group_by', 'status'),
      schema: {
        summary: 'Exact latency percentiles per agent, repository, user, …',
        description:
          'p50, p95 and p99 of task latency (and of time to first token, over streamed tasks) for the tasks that ended in [from, to) and match the filters, grouped by bucket and the group_by dimensions (default: task, the agent). Exact: linear interpolation between closest ranks.',
        tags: ['latency'],
        security: READ_SECURITY,
        querystring: LatencyQuery,
        response: { 200: LatencyResponse, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (req) => {
      const q = req.query;
      const now = Date.now();
      const nowText = new Date(now).toISOString();
      const range = resolveRange(q.from, q.to ?? nowText, now);
      const to = range.to ?? nowText;
      const groupBy: GroupByDimension[] = q.group_by;
      const statuses: TaskStatus[] = q.status;
      const bucket = q.bucket === 'none' ? undefined : (q.bucket as Bucket);
      const rows = await runQuery<LatencyRowOut>(
        ctx.ch,
        latencyPercentiles({
          groupBy,
          bucket,
          statuses,
          filters: {
            from: range.from,
            to,
            ...dimensionFilters(q),
          },
          limit: q.limit + 1,
          tenants: req.tenants,
        }),
      );
      return {
        from: range.from,
        to,
        bucket: q.bucket,
        group_by: groupBy,
        status: statuses,
        rows: rows.slice(0, q.limit).map((r) => {
          const [p50, p95, p99] = r.latency_quantiles_ms;
          const streamed = Number(r.streamed_tasks);
          const [t50, t95, t99] = r.ttft_quantiles_ms;
          return {
            bucket: typeof r.bucket === 'string' ? time(r.bucket) : null,
            group: Object.fromEntries(groupBy.map((g) => [g, orNull(r[g] as string)])),
            tasks: Number(r.tasks),
            latency_ms: { avg: r.latency_avg_ms, p50, p95, p99, max: r.latency_max_ms },
            streamed_tasks: streamed,
            time_to_first_token_ms: streamed > 0 ? { p50: t50!, p95: t95!, p99: t99! } : null,
          };
        }),
        truncated: rows.length > q.limit,
      };
    },
  );
  done();
};
