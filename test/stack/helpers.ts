// Shared helpers for tests that use the local stack started by scripts/stack/start.sh.
// Endpoints follow the same env overrides as scripts/stack/lib.sh.
import { randomBytes } from 'node:crypto';

export const STACK = {
  kafkaBrokers: [`127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`],
  otlpHttp: `http://127.0.0.1:${process.env.OTELCOL_HTTP_PORT ?? '4318'}`,
  prometheus: `http://127.0.0.1:${process.env.PROMETHEUS_PORT ?? '9090'}`,
  collectorHealth: `http://127.0.0.1:${process.env.OTELCOL_HEALTH_PORT ?? '13133'}`,
};

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Instant query against Prometheus's HTTP API. */
export async function promQuery(expr: string): Promise<PromSample[]> {
  const res = await fetch(`${STACK.prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: PromSample[] };
  };
  if (body.status !== 'success' || !body.data)
    throw new Error(`Prometheus query failed: ${body.error ?? res.status} (${expr})`);
  return body.data.result;
}

/** Poll until `check` returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
