// Real-time metrics for services that send only OTLP GenAI spans (docs/otlp-spans.md, "Real-time
// metrics"): for every span-derived task event, the span bridge records the metrics the Aurea SDK
// records for a task — the same aurea.* instruments, names, units and bounded labels — under the
// originating service's own resource (service.name, deployment.environment.name), through one SDK
// instance per (service, environment), exported over OTLP to the Collector like any service's.
// Cost is the event's (the bridge priced it); nothing is priced twice. A span sent again (a client's
// retry) converts to the same event id: the last `dedupeWindow` event ids are remembered and
// counted once.
import { createAurea, type Aurea } from '@aurea/sdk';
import type { NormalizedTaskEvent } from '@aurea/events';
import type { Logger } from 'pino';

export interface SpanMetricsOptions {
  /** OTLP/HTTP endpoint of the Collector (e.g. http://127.0.0.1:4318). */
  endpoint: string;
  exportIntervalMs?: number;
  /** Most originating (service, environment) pairs with their own metrics; the rest share one. */
  maxServices?: number;
  /** How many recent event ids are remembered to count a resent span once (default 100,000). */
  dedupeWindow?: number;
  /**
   * Also record gen_ai.client.* (operation duration, token usage, time to first chunk). Off by
   * default: GenAI instrumentations that emit the spans usually export these metrics themselves,
   * and Prometheus would add both.
   */
  genAiClient?: boolean;
  logger: Logger;
}

/** The service name the pairs beyond maxServices are recorded under. */
export const OVERFLOW_SERVICE = 'aurea-span-bridge-overflow';

export class SpanMetrics {
  private readonly instances = new Map<string, Aurea>();
  /** Recent event ids, oldest first (a Set keeps insertion order). */
  private readonly seen = new Set<string>();
  private overflowWarned = false;

  constructor(private readonly o: SpanMetricsOptions) {}

  /** Record one task event's metrics under its service (after the event was produced). */
  record(e: NormalizedTaskEvent): void {
    if (this.seen.has(e.event_id)) return;
    this.seen.add(e.event_id);
    if (this.seen.size > (this.o.dedupeWindow ?? 100_000)) this.seen.delete(this.seen.values().next().value!);
    this.instance(e.service, e.environment).recordTaskEvent(e, { genAiClient: this.o.genAiClient ?? false });
  }

  private instance(service: string, environment: string | null): Aurea {
    let key = `${service}\u0000${environment ?? ''}`;
    let serviceName = service;
    if (!this.instances.has(key) && this.instances.size >= (this.o.maxServices ?? 200)) {
      if (!this.overflowWarned) {
        this.overflowWarned = true;
        this.o.logger.warn(
          { maxServices: this.o.maxServices ?? 200 },
          `more services than the span bridge keeps metrics for: further ones are recorded as ${OVERFLOW_SERVICE}`,
        );
      }
      key = OVERFLOW_SERVICE;
      serviceName = OVERFLOW_SERVICE;
      environment = null;
    }
    let a = this.instances.get(key);
    if (!a) {
      a = createAurea({
        serviceName,
        ...(environment === null ? {} : { environment }),
        kafka: false,
        otlp: { endpoint: this.o.endpoint, exportIntervalMs: this.o.exportIntervalMs ?? 10_000 },
        // Marks the series as span-derived (docs/otlp-spans.md: which path is authoritative).
        resourceAttributes: { 'aurea.telemetry.source': 'span-bridge' },
        seriesLimit: 2000,
      });
      this.instances.set(key, a);
    }
    return a;
  }

  /** Export what is recorded and stop every instance (within the deadline). */
  async shutdown(deadlineMs = 5_000): Promise<void> {
    await Promise.allSettled([...this.instances.values()].map((a) => a.shutdown({ deadlineMs })));
  }
}
