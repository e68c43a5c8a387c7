// Server-side truth on ingest (docs/api.md, "Ingest: whose figures count"). The rule in one
// place, for every path an event enters by: POST /v1/events and the consumer (events produced
// straight to Kafka) call it through `@aurea/sdk/pricing/ingest`.
//  - Trusted: events whose producer priced them with Aurea's own pricing module before publishing —
//    the SDK (`sdk`) and the span bridge (`otlp`). Their figures are kept.
//  - Anything else is priced by Aurea: cost_usd, pricing_status, price_version and price_source
//    come from the pricing module (the price in force at started_at, for the event's tenant and
//    service tier); an unknown model is `unknown_model` with no cost, whatever the producer claimed;
//    the producer's own figure is kept in provided_cost_usd only (its provided_cost_usd, else its
//    cost_usd).
// The pricing module is called in exactly one place below (aureaPrice), so replacing the catalog
// behind it is one edit.
import { loadPriceTable, priceUsage, type PriceTable } from './index.js';
import type { EventSource, NormalizedTaskEvent } from '@aurea/events';

/** Producers that price with Aurea's pricing module before they publish. */
export const TRUSTED_SOURCES: ReadonlySet<EventSource> = new Set<EventSource>(['sdk', 'otlp']);

export const isTrustedSource = (source: EventSource): boolean => TRUSTED_SOURCES.has(source);

/** The price table of pricing on ingest: a JSON file layered over the built-in one (AUREA_PRICE_TABLE), or that one. */
export type IngestPriceTable = PriceTable;
export const loadIngestPriceTable = (path?: string): IngestPriceTable => loadPriceTable(path);

type Figures = Pick<NormalizedTaskEvent, 'cost_usd' | 'pricing_status' | 'price_version' | 'price_source'>;
const FIGURES = ['cost_usd', 'pricing_status', 'price_version', 'price_source'] as const satisfies (keyof Figures)[];

/** Aurea's figures for the event's usage, at the price in force when the task started (as the SDK prices). */
function aureaPrice(e: NormalizedTaskEvent, table: IngestPriceTable | undefined): Figures {
  const r = priceUsage({
    provider: e.provider,
    model: e.request_model,
    usage: e.usage,
    at: e.started_at,
    tenant: e.tenant,
    serviceTier: e.service_tier,
    ...(table ? { table } : {}),
  });
  return { cost_usd: r.costUsd, pricing_status: r.status, price_version: r.priceVersion, price_source: r.source };
}

/**
 * An event whose figures Aurea did not compute, with Aurea's figures (the rule above). Idempotent:
 * an event that already carries exactly Aurea's figures is returned unchanged, so pricing an
 * event twice (the API, then the consumer) changes nothing. `started_at` must be a valid time
 * (validateTaskEvent checks it).
 */
export function priceUntrusted(e: NormalizedTaskEvent, table?: IngestPriceTable): NormalizedTaskEvent {
  const ours = aureaPrice(e, table);
  if (FIGURES.every((k) => e[k] === ours[k])) return e;
  return { ...e, ...ours, provided_cost_usd: e.provided_cost_usd ?? e.cost_usd };
}

/** The event as Aurea counts it: a trusted source's as produced, anything else priced by Aurea. */
export function priceOnIngest(e: NormalizedTaskEvent, table?: IngestPriceTable): NormalizedTaskEvent {
  return isTrustedSource(e.source) ? e : priceUntrusted(e, table);
}
