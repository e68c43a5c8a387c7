// /v1/jobs: list (filters, sort, keyset pagination), one job's summary, one job's events.
import type { FastifyPluginCallback } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CURRENCY,
  dimensionFilters,
  jobEvents,
  jobModelUsage,
  jobSummary,
  jobTaskBreakdown,
  listJobs,
  type JobSort,
  type JobStatus,
} from '@aurea/clickhouse/queries';
import { runQuery } from '../ch.js';
import { READ_SECURITY, type RouteContext } from '../context.js';
import { invalidCursor } from '../cursor.js';
import { errorResponses, sendError } from '../errors.js';
import { formatMoney, parseMoney } from '../money.js';
import { resolveOpenRange } from '../range.js';
import { apiEvent, latency, time, totals, type LatencyRow, type TotalsRow } from '../rows.js';
import { fromStoredRow } from '@aurea/clickhouse/rows';
import { timeMs } from '@aurea/events';
import {
  JobEventsQuery,
  JobEventsResponse,
  JobIdParams,
  JobsListQuery,
  JobListResponse,
  JobSummaryResponse,
} from '../schemas.js';

interface JobListRow extends TotalsRow {
  job_id: string;
  latency_avg_ms: number;
  first_seen: string;
  last_seen: string;
  job_status: JobStatus;
  services: string[];
  sort_value_s: string;
}

interface JobSummaryRow extends TotalsRow, LatencyRow {
  job_id: string;
  ok_tasks: number;
  error_tasks: number;
  timeout_tasks: number;
  cancelled_tasks: number;
  refused_tasks: number;
  first_seen: string;
  last_seen: string;
  job_status: JobStatus;
  services: string[];
  tenants: string[];
  users: string[];
  repositories: string[];
}

const UINT64_MAX = 2n ** 64n - 1n;
const uint64 = (v: string) => /^\d{1,20}$/.test(v) && BigInt(v) <= UINT64_MAX;
/** A sort value a cursor may hold: what the engine prints for the sort's type (cursors are signed; a second line). */
const SORT_VALUE_OK: Record<JobSort, (v: string) => boolean> = {
  cost: (v) => /^-?\d{1,29}(\.\d{1,9})?$/.test(v),
  tokens: uint64,
  tasks: uint64,
  latency: (v) => /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v) && Number.isFinite(Number(v)),
  time: (v) =>
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$/.test(v) && timeMs(`${v.replace(' ', 'T')}Z`) !== null,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a cursor is made for (part of its signature): the jobs list, or one job's events. */
const LIST_PURPOSE = 'jobs';
const eventsPurpose = (jobId: string) => `events\n${jobId}`;

export const jobsRoutes: FastifyPluginCallback<RouteContext> = (fastify, ctx, done) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { ch, config, cursors } = ctx;

  app.get(
    '/jobs',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List jobs',
        description:
          'Jobs with task activity in the time range, with their totals over the range; without `from`, every job of all time. Dimension filters select jobs that involve the value. Keyset pagination: pass next_cursor back as cursor (with the same filters).',
        tags: ['jobs'],
        security: READ_SECURITY,
        querystring: JobsListQuery(config.maxPageSize),
        response: { 200: JobListResponse, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (req) => {
      const q = req.query;
      let after: { value: string; jobId: string } | undefined;
      let from = q.from;
      let to = q.to;
      if (q.cursor !== undefined) {
        const c = cursors.decode(LIST_PURPOSE, q.cursor);
        if (c.s !== q.sort || c.o !== q.order)
          throw invalidCursor(
            `cursor was made for sort=${String(c.s)} order=${String(c.o)}; pass the same sort and order`,
          );
        if (typeof c.v !== 'string' || typeof c.j !== 'string' || !SORT_VALUE_OK[q.sort](c.v) || c.j.length === 0)
          throw invalidCursor('malformed cursor');
        after = { value: c.v, jobId: c.j };
        if (from === undefined && typeof c.f === 'string') from = c.f;
        if (to === undefined && typeof c.t === 'string') to = c.t;
      }
      // No `from`: every job, all time (docs/api.md) — never a silent window.
      const range = resolveOpenRange(from, to);
      const rows = await runQuery<JobListRow>(
        ch,
        listJobs({
          filters: {
            from: range.from,
            to: range.to,
            ...dimensionFilters(q),
            status: q.status,
          },
          sort: q.sort,
          order: q.order,
          limit: q.limit + 1,
          after,
          tenants: req.tenants,
        }),
      );
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      return {
        currency: CURRENCY,
        from: range.from ?? null,
        to: range.to ?? null,
        sort: q.sort,
        order: q.order,
        jobs: page.map((r) => ({
          job_id: r.job_id,
          status: r.job_status,
          first_seen: time(r.first_seen),
          last_seen: time(r.last_seen),
          ...totals(r),
          latency_avg_ms: r.latency_avg_ms,
          services: r.services,
        })),
        next_cursor:
          rows.length > q.limit && last
            ? cursors.encode(LIST_PURPOSE, {
                s: q.sort,
                o: q.order,
                v: last.sort_value_s,
                j: last.job_id,
                ...(range.from === undefined ? {} : { f: range.from }),
                ...(range.to === undefined ? {} : { t: range.to }),
              })
            : null,
      };
    },
  );

  app.get(
    '/jobs/:job_id',
    {
      config: { access: 'read' },
      schema: {
        summary: 'One job: totals, cost, tokens by type, latency, task breakdown, model usage',
        tags: ['jobs'],
        security: READ_SECURITY,
        params: JobIdParams,
        response: { 200: JobSummaryResponse, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      const id = req.params.job_id;
      const tenants = req.tenants;
      const [summary, tasks, models] = await Promise.all([
        runQuery<JobSummaryRow>(ch, jobSummary(id, tenants)),
        runQuery<TotalsRow & LatencyRow & { task_name: string }>(ch, jobTaskBreakdown(id, tenants)),
        runQuery<TotalsRow & LatencyRow & { provider: string; model: string }>(ch, jobModelUsage(id, tenants)),
      ]);
      const s = summary[0];
      if (!s) return sendError(reply, 404, 'not_found', `no events for job ${JSON.stringify(id)}`);
      const t = totals(s);
      const priced = BigInt(t.tasks - t.unpriced_tasks);
      const first = time(s.first_seen);
      const last = time(s.last_seen);
      return {
        job_id: s.job_id,
        status: s.job_status,
        currency: CURRENCY,
        first_seen: first,
        last_seen: last,
        duration_ms: Math.max(Date.parse(last) - Date.parse(first), 0),
        ...t,
        tasks_by_status: {
          ok: Number(s.ok_tasks),
          error: Number(s.error_tasks),
          timeout: Number(s.timeout_tasks),
          cancelled: Number(s.cancelled_tasks),
          refused: Number(s.refused_tasks),
        },
        avg_cost_per_task_usd: formatMoney(priced > 0n ? parseMoney(t.cost_usd) / priced : 0n),
        latency_ms: latency(s),
        services: s.services,
        tenants: s.tenants,
        users: s.users,
        repositories: s.repositories,
        task_breakdown: tasks.map((r) => ({ task_name: r.task_name, ...totals(r), latency_ms: latency(r) })),
        model_usage: models.map((r) => ({
          provider: r.provider,
          model: r.model,
          ...totals(r),
          latency_ms: latency(r),
        })),
      };
    },
  );

  app.get(
    '/jobs/:job_id/events',
    {
      config: { access: 'read' },
      schema: {
        summary: "One job's task events, in time order (paginated)",
        tags: ['jobs'],
        security: READ_SECURITY,
        params: JobIdParams,
        querystring: JobEventsQuery(config.maxPageSize),
        response: { 200: JobEventsResponse, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      const id = req.params.job_id;
      let after: { startedAt: string; eventId: string } | undefined;
      if (req.query.cursor !== undefined) {
        const c = cursors.decode(eventsPurpose(id), req.query.cursor);
        if (typeof c.t !== 'string' || typeof c.e !== 'string' || timeMs(c.t) === null || !UUID.test(c.e))
          throw invalidCursor('malformed cursor');
        after = { startedAt: c.t, eventId: c.e };
      }
      const limit = req.query.limit;
      const rows = (
        await runQuery<Record<string, unknown>>(ch, jobEvents(id, limit + 1, after, undefined, req.tenants))
      ).map((r) => fromStoredRow(r));
      if (rows.length === 0 && after === undefined)
        return sendError(reply, 404, 'not_found', `no events for job ${JSON.stringify(id)}`);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        job_id: id,
        currency: CURRENCY,
        events: page.map(apiEvent),
        next_cursor:
          rows.length > limit && last
            ? cursors.encode(eventsPurpose(id), { t: last.started_at, e: last.event_id })
            : null,
      };
    },
  );
  done();
};
