// POST /v1/reprice: apply the current price table to past events (docs/api.md, "Repricing";
// docs/pricing.md, "Repricing"). The price rules come from the pricing module (rate rows per price
// key and period); the SQL that applies them is @aurea/clickhouse/reprice. Idempotent: a second
// run finds nothing that differs and inserts nothing.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginCallback } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AureaClickHouse } from '@aurea/clickhouse';
import { repriceInsert, repriceKeys, repricePreview, type RateRow, type RepriceRange } from '@aurea/clickhouse/reprice';
import { SERVICE_TIERS, type ServiceTier } from '@aurea/events';
import { defaultPriceTable, type PriceTable } from '@aurea/sdk/pricing';
import { runQuery } from '../ch.js';
import { READ_SECURITY, type RouteContext } from '../context.js';
import { errorResponses, sendError } from '../errors.js';

interface KeyRow {
  provider: string;
  request_model: string;
  tenant: string;
  service_tier: string;
  min_started_ms: string | number;
  max_started_ms: string | number;
}

/** Rate rows for every price key of the range: one per period in which its price holds. */
export function rateRows(table: PriceTable, keys: readonly KeyRow[]): RateRow[] {
  const out: RateRow[] = [];
  for (const k of keys) {
    const r = table.resolve(k.provider, k.request_model);
    const tier = (SERVICE_TIERS as readonly string[]).includes(k.service_tier)
      ? (k.service_tier as ServiceTier)
      : 'standard';
    const terms = { tenant: k.tenant === '' ? null : k.tenant, serviceTier: tier };
    for (const at of table.changePoints(r, Number(k.min_started_ms), Number(k.max_started_ms) + 1)) {
      const q = table.quote(r, at, terms);
      out.push({
        provider: k.provider,
        request_model: k.request_model,
        tenant: k.tenant,
        service_tier: k.service_tier,
        fromMs: at,
        priced: q === null ? 0 : 1,
        tierStarts: q === null ? [0] : q.card.tierStarts,
        rates: q === null ? [[]] : q.card.rates,
        multNum: q?.ratio.num ?? 1n,
        multDen: q?.ratio.den ?? 1n,
        priceVersion: table.version,
        priceSource: q?.source ?? '',
      });
    }
  }
  return out;
}

export interface RepriceReport {
  events_scanned: number;
  events_changed: number;
  old_total_usd: string;
  new_total_usd: string;
  /** Changed events that have no price under the current table (cost now null). */
  unpriced_after: number;
  price_version: string;
  dry_run: boolean;
}

/** Reprice a range with a price table: report what changes and (unless dryRun) write it. */
export async function repriceRange(
  ch: AureaClickHouse,
  table: PriceTable,
  range: RepriceRange,
  opts: { dryRun?: boolean } = {},
): Promise<RepriceReport> {
  const keys = await runQuery<KeyRow>(ch, repriceKeys(range));
  const rates = rateRows(table, keys);
  const [p] = await runQuery<{
    events_scanned: string;
    events_changed: string;
    old_total_usd: string;
    new_total_usd: string;
    unpriced_after: string;
  }>(ch, repricePreview(range, rates));
  const report: RepriceReport = {
    events_scanned: Number(p?.events_scanned ?? 0),
    events_changed: Number(p?.events_changed ?? 0),
    old_total_usd: p?.old_total_usd ?? '0.000000000',
    new_total_usd: p?.new_total_usd ?? '0.000000000',
    unpriced_after: Number(p?.unpriced_after ?? 0),
    price_version: table.version,
    dry_run: opts.dryRun === true,
  };
  if (!opts.dryRun && report.events_changed > 0) {
    const q = repriceInsert(range, rates, `reprice:${randomUUID()}`);
    await ch.client.command({ query: q.sql, query_params: q.params });
  }
  return report;
}

const Money = (description: string) => Type.String({ pattern: '^-?\\d+\\.\\d{9}$', description });
const RepriceBody = Type.Object(
  {
    from: Type.String({ format: 'date-time', description: 'Events that ended at or after this time' }),
    to: Type.String({ format: 'date-time', description: 'Events that ended before this time' }),
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    provider: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    dry_run: Type.Optional(Type.Boolean({ description: 'Report what would change, write nothing' })),
  },
  { additionalProperties: false },
);
const RepriceResponse = Type.Object({
  currency: Type.Literal('USD'),
  events_scanned: Type.Integer(),
  events_changed: Type.Integer(),
  old_total_usd: Money('Stored cost of the changed events before'),
  new_total_usd: Money('Their cost under the current price table'),
  unpriced_after: Type.Integer(),
  price_version: Type.String(),
  dry_run: Type.Boolean(),
});

export const repriceRoutes: FastifyPluginCallback<RouteContext & { priceTable?: PriceTable | undefined }> = (
  fastify,
  ctx,
  done,
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/reprice',
    {
      config: { access: 'ingest' },
      schema: {
        summary: 'Reprice past events with the current price table',
        tags: ['pricing'],
        security: READ_SECURITY,
        body: RepriceBody,
        response: { 200: RepriceResponse, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (Date.parse(b.from) >= Date.parse(b.to))
        return sendError(reply, 400, 'validation_failed', '`from` must be before `to`');
      // A tenant-scoped key reprices its own tenant only.
      if (req.tenants !== undefined && (b.tenant === undefined || !req.tenants.includes(b.tenant)))
        return sendError(reply, 403, 'forbidden', 'this key may reprice only its tenants: name one in `tenant`');
      const table = ctx.priceTable ?? ctx.config.priceTable ?? defaultPriceTable;
      const report = await repriceRange(
        ctx.ch,
        table,
        { from: b.from, to: b.to, tenant: b.tenant, provider: b.provider, model: b.model },
        { dryRun: b.dry_run },
      );
      return { currency: 'USD' as const, ...report };
    },
  );
  done();
};
