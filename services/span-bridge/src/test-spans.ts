// Test helper (imported by the unit tests only): real spans from the OpenTelemetry JS tracing
// SDK, serialized by the real OTLP protobuf encoder (@opentelemetry/otlp-transformer), so the
// decoder and converter are tested on what exporters actually send.
import { SpanStatusCode, ROOT_CONTEXT, trace, type Attributes, type HrTime, type SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

export interface SpanSpec {
  name: string;
  attributes?: Attributes;
  kind?: SpanKind;
  /** Start and end as [seconds, nanoseconds] or ms since the epoch. */
  start: HrTime | number;
  end: HrTime | number;
  status?: { code: SpanStatusCode; message?: string };
  events?: { name: string; attributes?: Attributes }[];
  /** Index into the specs of the span this one is a child of. */
  parent?: number;
}

/** Finished ReadableSpans for `specs`, all under one resource and one instrumentation scope. */
export async function makeSpans(
  resource: Attributes,
  specs: SpanSpec[],
  scope = { name: 'test-genai', version: '1.2.3' },
): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer(scope.name, scope.version);
  const created: ReturnType<typeof tracer.startSpan>[] = [];
  for (const spec of specs) {
    const parent = spec.parent === undefined ? undefined : created[spec.parent];
    const ctx = parent ? trace.setSpan(ROOT_CONTEXT, parent) : undefined;
    const span = tracer.startSpan(
      spec.name,
      { attributes: spec.attributes, kind: spec.kind, startTime: spec.start },
      ctx,
    );
    for (const e of spec.events ?? []) span.addEvent(e.name, e.attributes);
    if (spec.status) span.setStatus(spec.status);
    created.push(span);
  }
  created.forEach((span, i) => span.end(specs[i]!.end));
  await provider.forceFlush();
  const byId = new Map(exporter.getFinishedSpans().map((s) => [s.spanContext().spanId, s]));
  await provider.shutdown();
  // In spec order.
  return created.map((c) => {
    const s = byId.get(c.spanContext().spanId);
    if (!s) throw new Error('span not exported');
    return s;
  });
}

export function encodeSpans(spans: ReadableSpan[]): Buffer {
  const bytes = ProtobufTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('serializer returned nothing');
  return Buffer.from(bytes);
}

export function hrToNanos(t: HrTime): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}

export { SpanStatusCode };
