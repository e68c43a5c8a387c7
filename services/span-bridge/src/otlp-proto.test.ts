import { beforeAll, describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { SpanKind } from '@opentelemetry/api';
import {
  decodeTraceRequest,
  nanosToMs,
  ProtobufDecodeError,
  spanToRequest,
  STATUS_CODE,
  type OtlpTraceRequest,
} from './otlp-proto.js';
import { encodeSpans, hrToNanos, makeSpans, SpanStatusCode } from './test-spans.js';

const T0 = 1_750_000_000_123; // ms

describe('decodeTraceRequest (bytes from the real OTLP protobuf serializer)', () => {
  const resource = {
    'service.name': 'py-orchestrator',
    'aurea.job.id': 'job-42',
    'host.cores': 8,
    'x.ratio': 0.25,
    'x.flag': true,
    'x.tags': ['a', 'b'],
  };
  let spans: ReadableSpan[];
  let bytes: Buffer;
  let req: OtlpTraceRequest;
  beforeAll(async () => {
    spans = await makeSpans(resource, [
      {
        name: 'task summarize',
        start: T0,
        end: T0 + 2_000,
        kind: SpanKind.INTERNAL,
      },
      {
        name: 'chat gpt-4o',
        parent: 0,
        kind: SpanKind.CLIENT,
        start: [1_750_000_000, 123_456_789],
        end: [1_750_000_001, 987_654_321],
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.usage.input_tokens': 1234,
          'gen_ai.usage.output_tokens': 0,
          'x.negative': -5,
          'x.big': 2 ** 40,
          'x.bignegative': -(2 ** 40),
          'x.maxsafe': Number.MAX_SAFE_INTEGER,
          'x.double': 3.5,
          'x.bool': false,
          'x.unicode': 'héllo ✓ 𝄞',
          'x.empty': '',
          'x.ints': [1, 2, 3],
          'x.doubles': [1.5, -2.25],
          'x.bools': [true, false],
          'x.strs': ['stop', 'length'],
        },
        events: [{ name: 'gen_ai.content.prompt', attributes: { 'x.skipped': 'yes' } }],
        status: { code: SpanStatusCode.ERROR, message: 'rate limited' },
      },
    ]);
    bytes = encodeSpans(spans);
    req = decodeTraceRequest(bytes);
  });

  it('reads the resource attributes of every value type', () => {
    expect(req.resourceSpans).toHaveLength(1);
    const attrs = req.resourceSpans[0]!.resource.attributes;
    expect(attrs).toMatchObject(resource);
  });

  it('reads scope, ids, parent, name, kind, exact times, attributes and status; skips events', () => {
    const ss = req.resourceSpans[0]!.scopeSpans;
    expect(ss).toHaveLength(1);
    expect(ss[0]!.scope).toEqual({ name: 'test-genai', version: '1.2.3' });
    const [parent, child] = ss[0]!.spans;
    const [rParent, rChild] = spans;
    expect(parent!.traceId).toBe(rParent!.spanContext().traceId);
    expect(parent!.spanId).toBe(rParent!.spanContext().spanId);
    expect(parent!.parentSpanId).toBeNull();
    expect(parent!.kind).toBe(SpanKind.INTERNAL + 1); // OTLP enum is the API's + 1
    expect(parent!.status).toEqual({ code: STATUS_CODE.unset, message: '' });
    expect(parent!.startTimeUnixNano).toBe(BigInt(T0) * 1_000_000n);

    expect(child!.traceId).toBe(parent!.traceId);
    expect(child!.spanId).toBe(rChild!.spanContext().spanId);
    expect(child!.parentSpanId).toBe(parent!.spanId);
    expect(child!.name).toBe('chat gpt-4o');
    expect(child!.kind).toBe(SpanKind.CLIENT + 1);
    expect(child!.startTimeUnixNano).toBe(hrToNanos(rChild!.startTime));
    expect(child!.startTimeUnixNano).toBe(1_750_000_000_123_456_789n);
    expect(child!.endTimeUnixNano).toBe(1_750_000_001_987_654_321n);
    expect(child!.status).toEqual({
      code: STATUS_CODE.error,
      message: 'rate limited',
    });
    expect(child!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 1234,
      'gen_ai.usage.output_tokens': 0,
      'x.negative': -5,
      'x.big': 2 ** 40,
      'x.bignegative': -(2 ** 40),
      'x.maxsafe': Number.MAX_SAFE_INTEGER,
      'x.double': 3.5,
      'x.bool': false,
      'x.unicode': 'héllo ✓ 𝄞',
      'x.empty': '',
      'x.ints': [1, 2, 3],
      'x.doubles': [1.5, -2.25],
      'x.bools': [true, false],
      'x.strs': ['stop', 'length'],
    });
  });

  it('decodes spans of several resources in one request', async () => {
    const a = await makeSpans({ 'service.name': 'svc-a' }, [
      {
        name: 'a',
        start: T0,
        end: T0 + 1,
        attributes: { 'gen_ai.operation.name': 'chat' },
      },
    ]);
    const b = await makeSpans({ 'service.name': 'svc-b' }, [
      { name: 'b1', start: T0, end: T0 + 1 },
      { name: 'b2', start: T0, end: T0 + 1 },
    ]);
    const r = decodeTraceRequest(encodeSpans([...a, ...b]));
    const byService = Object.fromEntries(
      r.resourceSpans.map((rs): [string, string[]] => [
        rs.resource.attributes['service.name'] as string,
        rs.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)),
      ]),
    );
    expect(byService).toEqual({ 'svc-a': ['a'], 'svc-b': ['b1', 'b2'] });
  });

  it('re-wraps one span with its resource and scope from the original bytes', () => {
    const rs = req.resourceSpans[0]!;
    const ss = rs.scopeSpans[0]!;
    const child = ss.spans[1]!;
    const single = decodeTraceRequest(spanToRequest(bytes, rs, ss, child));
    expect(single.resourceSpans).toHaveLength(1);
    expect(single.resourceSpans[0]!.resource.attributes).toEqual(rs.resource.attributes);
    expect(single.resourceSpans[0]!.scopeSpans[0]!.scope).toEqual(ss.scope);
    const [only] = single.resourceSpans[0]!.scopeSpans[0]!.spans;
    expect({ ...only, bytes: null }).toEqual({ ...child, bytes: null });
    expect(single.resourceSpans[0]!.scopeSpans[0]!.spans).toHaveLength(1);
  });

  it('decodes from a subarray of a larger buffer (Kafka hands out slices)', () => {
    const big = Buffer.concat([Buffer.from([9, 9, 9]), bytes, Buffer.from([7])]);
    const r = decodeTraceRequest(big.subarray(3, 3 + bytes.length));
    expect(r.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.attributes['x.unicode']).toBe('héllo ✓ 𝄞');
  });

  it('fails with ProtobufDecodeError on every truncation that breaks a field, never anything else', () => {
    let failures = 0;
    for (let n = 1; n < bytes.length; n++) {
      try {
        decodeTraceRequest(bytes.subarray(0, n));
      } catch (err) {
        expect(err).toBeInstanceOf(ProtobufDecodeError);
        failures++;
      }
    }
    // The request is one top-level field: every proper prefix cuts it.
    expect(failures).toBe(bytes.length - 1);
  });

  it('rejects garbage and unsupported wire types', () => {
    expect(() => decodeTraceRequest(Buffer.from('{"resourceSpans":[]}'))).toThrow(ProtobufDecodeError);
    expect(() => decodeTraceRequest(Buffer.from([0x0b]))).toThrow(/wire type 3/); // field 1, start group
    expect(() => decodeTraceRequest(Buffer.from([0x0a, 0x05, 0x01]))).toThrow(/overruns/);
    expect(decodeTraceRequest(Buffer.alloc(0))).toEqual({ resourceSpans: [] });
  });

  it('reads kvlist and bytes values (hand-encoded: the JS SDK cannot produce them)', () => {
    // KeyValue{ key:"m", value: AnyValue{ kvlist_value: { values:[ KeyValue{key:"k", value:{int_value:7}} ] } } }
    const inner = Buffer.from([0x0a, 0x01, 0x6b, 0x12, 0x02, 0x18, 0x07]); // KeyValue k=7
    const kvlist = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]); // KeyValueList.values
    const anyKv = Buffer.concat([Buffer.from([0x32, kvlist.length]), kvlist]); // AnyValue.kvlist_value (6)
    const kv1 = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6d, 0x12, anyKv.length]), anyKv]);
    const anyBytes = Buffer.from([0x3a, 0x02, 0xde, 0xad]); // AnyValue.bytes_value (7)
    const kv2 = Buffer.concat([Buffer.from([0x0a, 0x01, 0x62, 0x12, anyBytes.length]), anyBytes]);
    const spanMsg = Buffer.concat([Buffer.from([0x4a, kv1.length]), kv1, Buffer.from([0x4a, kv2.length]), kv2]);
    const scope = Buffer.concat([Buffer.from([0x12, spanMsg.length]), spanMsg]);
    const rs = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
    const req2 = Buffer.concat([Buffer.from([0x0a, rs.length]), rs]);
    const s = decodeTraceRequest(req2).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(s.attributes.m).toEqual({ k: 7 });
    expect(Buffer.from(s.attributes.b as Uint8Array)).toEqual(Buffer.from([0xde, 0xad]));
  });

  it('converts nanoseconds to milliseconds exactly', () => {
    // A double near 1.75e12 resolves ~0.24 µs: the sub-millisecond part survives to 3 decimals.
    expect(nanosToMs(1_750_000_000_123_456_789n) - 1_750_000_000_123).toBeCloseTo(0.456789, 3);
    expect(nanosToMs(5_000_001n)).toBe(5.000001);
    expect(nanosToMs(0n)).toBe(0);
  });
});
