// A small protobuf wire-format decoder for the part of OTLP traces the span bridge reads:
// ExportTraceServiceRequest → ResourceSpans → (Resource, ScopeSpans → (InstrumentationScope,
// Span)). Field numbers follow opentelemetry-proto (trace/v1/trace.proto, common/v1,
// resource/v1); everything else (events, links, trace_state, dropped counts, schema urls…) is
// skipped by wire type, so newer producers that add fields still decode.
//
// Why hand-written: @opentelemetry/otlp-transformer no longer ships protobufjs decoders, and the
// subset is small. It decodes straight from the Kafka message Buffer without copies; ids become
// lowercase hex, times stay exact (bigint nanoseconds).
//
// Each span also records where its bytes (and its resource's and scope's) sit in the input, so
// one span can be re-wrapped into a standalone ExportTraceServiceRequest (spanToRequest) — the
// dead-letter topic gets exactly the bytes of the span that failed, not the whole batch.

/** An OTLP AnyValue. int64 values become numbers (exact up to 2^53, far above any token count). */
export type AnyValue = string | number | boolean | Uint8Array | AnyValue[] | { [key: string]: AnyValue } | null;
export type Attributes = Record<string, AnyValue>;

/** OTLP Status.StatusCode. */
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

export interface ByteRange {
  start: number;
  end: number;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  status: { code: number; message: string };
  /** Bytes of the Span message (without its tag/length) in the decoded buffer. */
  bytes: ByteRange;
}

export interface OtlpScopeSpans {
  scope: { name: string; version: string };
  spans: OtlpSpan[];
  /** Bytes of the InstrumentationScope message, when present. */
  scopeBytes: ByteRange | null;
}

export interface OtlpResourceSpans {
  resource: { attributes: Attributes };
  scopeSpans: OtlpScopeSpans[];
  /** Bytes of the Resource message, when present. */
  resourceBytes: ByteRange | null;
}

export interface OtlpTraceRequest {
  resourceSpans: OtlpResourceSpans[];
}

export class ProtobufDecodeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'ProtobufDecodeError';
  }
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
const TWO_32 = 4294967296;

/** Cursor over one buffer; sub-messages are read by narrowing `end`. */
class Reader {
  pos: number;
  end: number;
  readonly buf: Buffer;
  private readonly view: DataView;

  constructor(buf: Buffer, pos: number, end: number) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(message: string): never {
    throw new ProtobufDecodeError(message, this.pos);
  }

  /** Varint as an unsigned 32-bit number (tags, lengths, enums, bools). */
  uint32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift < 32) result |= (b & 0x7f) << shift;
      if (b < 0x80) return result >>> 0;
      shift += 7;
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** Varint int64 (two's complement) as a number. */
  int64(): number {
    let lo = 0;
    let hi = 0;
    let b: number;
    let i = 0;
    // Bytes 0..3 fill lo bits 0..27.
    for (; i < 4; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      b = this.buf[this.pos++]!;
      lo = (lo | ((b & 0x7f) << (i * 7))) >>> 0;
      if (b < 0x80) return lo;
    }
    // Byte 4: lo bits 28..31 and hi bits 0..2.
    if (this.pos >= this.end) this.fail('truncated varint');
    b = this.buf[this.pos++]!;
    lo = (lo | ((b & 0x0f) << 28)) >>> 0;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (i = 0; i < 5; i++) {
        if (this.pos >= this.end) this.fail('truncated varint');
        b = this.buf[this.pos++]!;
        hi = (hi | ((b & 0x7f) << (i * 7 + 3))) >>> 0;
        if (b < 0x80) break;
        if (i === 4) this.fail('varint longer than 10 bytes');
      }
    }
    if (hi & 0x80000000) {
      // Negative: -(~value + 1)
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      return -(nhi * TWO_32 + nlo);
    }
    return hi * TWO_32 + lo;
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) this.fail('truncated fixed64');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail('truncated double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Length of a length-delimited field; checks it fits. Returns the end offset. */
  lenEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.end) this.fail(`length ${len} overruns the enclosing message`);
    return end;
  }

  string(): string {
    const end = this.lenEnd();
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  hex(): string {
    const end = this.lenEnd();
    const s = this.buf.toString('hex', this.pos, end);
    this.pos = end;
    return s;
  }

  bytes(): Uint8Array {
    const end = this.lenEnd();
    const b = this.buf.subarray(this.pos, end);
    this.pos = end;
    return b;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.int64();
        return;
      case WIRE_I64:
        if (this.pos + 8 > this.end) this.fail('truncated fixed64');
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.lenEnd();
        return;
      case WIRE_I32:
        if (this.pos + 4 > this.end) this.fail('truncated fixed32');
        this.pos += 4;
        return;
      default:
        this.fail(`unsupported wire type ${wire}`);
    }
  }

  /** Run `field` for each field of the message that ends at `end`, then restore the outer end. */
  message(end: number, field: (no: number, wire: number) => void): void {
    const outer = this.end;
    this.end = end;
    while (this.pos < end) {
      const tag = this.uint32();
      const no = tag >>> 3;
      if (no === 0) this.fail('field number 0');
      field(no, tag & 7);
    }
    if (this.pos !== end) this.fail('sub-message overran its length');
    this.end = outer;
  }

  expect(wire: number, want: number, what: string): void {
    if (wire !== want) this.fail(`${what}: wire type ${wire}, expected ${want}`);
  }
}

function anyValue(r: Reader, end: number): AnyValue {
  let v: AnyValue = null;
  r.message(end, (no, wire) => {
    switch (no) {
      case 1: // string_value
        r.expect(wire, WIRE_LEN, 'AnyValue.string_value');
        v = r.string();
        break;
      case 2: // bool_value
        r.expect(wire, WIRE_VARINT, 'AnyValue.bool_value');
        v = r.int64() !== 0;
        break;
      case 3: // int_value
        r.expect(wire, WIRE_VARINT, 'AnyValue.int_value');
        v = r.int64();
        break;
      case 4: // double_value
        r.expect(wire, WIRE_I64, 'AnyValue.double_value');
        v = r.double();
        break;
      case 5: {
        // array_value: ArrayValue { repeated AnyValue values = 1; }
        r.expect(wire, WIRE_LEN, 'AnyValue.array_value');
        const arr: AnyValue[] = [];
        r.message(r.lenEnd(), (n, w) => {
          if (n === 1 && w === WIRE_LEN) arr.push(anyValue(r, r.lenEnd()));
          else r.skip(w);
        });
        v = arr;
        break;
      }
      case 6: {
        // kvlist_value: KeyValueList { repeated KeyValue values = 1; }
        r.expect(wire, WIRE_LEN, 'AnyValue.kvlist_value');
        const obj: Attributes = {};
        r.message(r.lenEnd(), (n, w) => {
          if (n === 1 && w === WIRE_LEN) keyValue(r, r.lenEnd(), obj);
          else r.skip(w);
        });
        v = obj;
        break;
      }
      case 7: // bytes_value
        r.expect(wire, WIRE_LEN, 'AnyValue.bytes_value');
        v = r.bytes();
        break;
      default:
        r.skip(wire);
    }
  });
  return v;
}

/** KeyValue { string key = 1; AnyValue value = 2; } into `into`. */
function keyValue(r: Reader, end: number, into: Attributes): void {
  let key = '';
  let value: AnyValue = null;
  r.message(end, (no, wire) => {
    if (no === 1 && wire === WIRE_LEN) key = r.string();
    else if (no === 2 && wire === WIRE_LEN) value = anyValue(r, r.lenEnd());
    else r.skip(wire);
  });
  into[key] = value;
}

function span(r: Reader, end: number): OtlpSpan {
  const s: OtlpSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: null,
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    status: { code: 0, message: '' },
    bytes: { start: r.pos, end },
  };
  r.message(end, (no, wire) => {
    switch (no) {
      case 1:
        r.expect(wire, WIRE_LEN, 'Span.trace_id');
        s.traceId = r.hex();
        break;
      case 2:
        r.expect(wire, WIRE_LEN, 'Span.span_id');
        s.spanId = r.hex();
        break;
      case 4: {
        r.expect(wire, WIRE_LEN, 'Span.parent_span_id');
        const p = r.hex();
        s.parentSpanId = p === '' ? null : p;
        break;
      }
      case 5:
        r.expect(wire, WIRE_LEN, 'Span.name');
        s.name = r.string();
        break;
      case 6:
        r.expect(wire, WIRE_VARINT, 'Span.kind');
        s.kind = r.uint32();
        break;
      case 7:
        r.expect(wire, WIRE_I64, 'Span.start_time_unix_nano');
        s.startTimeUnixNano = r.fixed64();
        break;
      case 8:
        r.expect(wire, WIRE_I64, 'Span.end_time_unix_nano');
        s.endTimeUnixNano = r.fixed64();
        break;
      case 9:
        r.expect(wire, WIRE_LEN, 'Span.attributes');
        keyValue(r, r.lenEnd(), s.attributes);
        break;
      case 15:
        // Status { string message = 2; StatusCode code = 3; }
        r.expect(wire, WIRE_LEN, 'Span.status');
        r.message(r.lenEnd(), (n, w) => {
          if (n === 2 && w === WIRE_LEN) s.status.message = r.string();
          else if (n === 3 && w === WIRE_VARINT) s.status.code = r.uint32();
          else r.skip(w);
        });
        break;
      default:
        r.skip(wire);
    }
  });
  return s;
}

function scopeSpans(r: Reader, end: number): OtlpScopeSpans {
  const ss: OtlpScopeSpans = {
    scope: { name: '', version: '' },
    spans: [],
    scopeBytes: null,
  };
  r.message(end, (no, wire) => {
    if (no === 1 && wire === WIRE_LEN) {
      // InstrumentationScope { string name = 1; string version = 2; ... }
      const e = r.lenEnd();
      ss.scopeBytes = { start: r.pos, end: e };
      r.message(e, (n, w) => {
        if (n === 1 && w === WIRE_LEN) ss.scope.name = r.string();
        else if (n === 2 && w === WIRE_LEN) ss.scope.version = r.string();
        else r.skip(w);
      });
    } else if (no === 2 && wire === WIRE_LEN) {
      ss.spans.push(span(r, r.lenEnd()));
    } else r.skip(wire);
  });
  return ss;
}

function resourceSpans(r: Reader, end: number): OtlpResourceSpans {
  const rs: OtlpResourceSpans = {
    resource: { attributes: {} },
    scopeSpans: [],
    resourceBytes: null,
  };
  r.message(end, (no, wire) => {
    if (no === 1 && wire === WIRE_LEN) {
      // Resource { repeated KeyValue attributes = 1; ... }
      const e = r.lenEnd();
      rs.resourceBytes = { start: r.pos, end: e };
      r.message(e, (n, w) => {
        if (n === 1 && w === WIRE_LEN) keyValue(r, r.lenEnd(), rs.resource.attributes);
        else r.skip(w);
      });
    } else if (no === 2 && wire === WIRE_LEN) {
      rs.scopeSpans.push(scopeSpans(r, r.lenEnd()));
    } else r.skip(wire);
  });
  return rs;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decode an OTLP ExportTraceServiceRequest (protobuf). Throws ProtobufDecodeError on malformed
 * input. The returned spans' byte ranges refer to `bytes`.
 */
export function decodeTraceRequest(bytes: Uint8Array): OtlpTraceRequest {
  const buf = asBuffer(bytes);
  const r = new Reader(buf, 0, buf.length);
  const req: OtlpTraceRequest = { resourceSpans: [] };
  r.message(buf.length, (no, wire) => {
    if (no === 1 && wire === WIRE_LEN) req.resourceSpans.push(resourceSpans(r, r.lenEnd()));
    else r.skip(wire);
  });
  return req;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Tag + length prefix of a length-delimited field. */
function lenPrefix(fieldNo: number, len: number): Buffer {
  return Buffer.from([...varint((fieldNo << 3) | WIRE_LEN), ...varint(len)]);
}

function field(fieldNo: number, parts: Buffer[]): Buffer {
  const len = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([lenPrefix(fieldNo, len), ...parts]);
}

/**
 * A standalone ExportTraceServiceRequest holding one span with its resource and scope, built
 * from the original bytes (nothing re-encoded): what a dead-lettered span carries.
 */
export function spanToRequest(source: Uint8Array, rs: OtlpResourceSpans, ss: OtlpScopeSpans, s: OtlpSpan): Buffer {
  const buf = asBuffer(source);
  const slice = (r: ByteRange) => buf.subarray(r.start, r.end);
  const scopeParts = [...(ss.scopeBytes ? [field(1, [slice(ss.scopeBytes)])] : []), field(2, [slice(s.bytes)])];
  const rsParts = [...(rs.resourceBytes ? [field(1, [slice(rs.resourceBytes)])] : []), field(2, scopeParts)];
  return field(1, rsParts);
}

/** Nanoseconds since the epoch → milliseconds (fractional; a double resolves ~0.24 µs at current epoch times). */
export function nanosToMs(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}
