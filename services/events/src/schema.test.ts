import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSchema, SCHEMA_FILE } from './gen-schema.js';
import { decodeTaskEvent, validateTaskEvent } from './validate.js';
import { uuidv7, uuidv7Time, deterministicEventId } from './ids.js';

export function sampleEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: 1,
    event_id: uuidv7(),
    started_at: '2026-11-23T10:00:00.000Z',
    ended_at: '2026-11-23T10:00:01.250Z',
    job_id: 'job-1',
    task_id: 'task-1',
    service: 'orchestrator',
    task_name: 'summarize',
    operation: 'chat',
    provider: 'openai',
    request_model: 'gpt-4o',
    usage: { input_tokens: 100, output_tokens: 20 },
    latency_ms: 1250,
    status: 'ok',
    ...overrides,
  };
}

describe('task event schema v1', () => {
  it('checked-in JSON Schema matches the TypeBox definition', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(renderSchema());
  });

  it('accepts a minimal event and fills defaults', () => {
    const r = validateTaskEvent(sampleEvent());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.usage).toEqual({
      input_tokens: 100,
      output_tokens: 20,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      cache_write_1h_tokens: 0,
      input_audio_tokens: 0,
      output_audio_tokens: 0,
      input_image_tokens: 0,
      output_image_tokens: 0,
    });
    expect(r.event.tenant).toBeNull();
    expect(r.event.source).toBe('external'); // no source: another producer (priced by Aurea)
    expect(r.event.pricing_status).toBe('unknown_model');
  });

  it('names each invalid field', () => {
    const r = validateTaskEvent(sampleEvent({ job_id: '', usage: { input_tokens: -1 }, extra: 1 }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('schema_violation');
    const fields = r.errors.map((e) => e.field);
    expect(fields).toContain('/job_id');
    expect(fields).toContain('/usage/input_tokens');
    expect(fields).toContain('/extra');
  });

  it('rejects unknown schema versions, bad JSON and inconsistent times with distinct reasons', () => {
    expect(decodeTaskEvent(JSON.stringify(sampleEvent({ schema_version: 2 })))).toMatchObject({
      ok: false,
      reason: 'unknown_schema_version',
    });
    expect(decodeTaskEvent('{nope')).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(decodeTaskEvent('[1]')).toMatchObject({ ok: false, reason: 'not_an_object' });
    expect(decodeTaskEvent(null)).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(validateTaskEvent(sampleEvent({ ended_at: '2026-11-23T09:00:00.000Z' }))).toMatchObject({
      ok: false,
      reason: 'inconsistent',
    });
    expect(validateTaskEvent(sampleEvent({ started_at: 'yesterday' }))).toMatchObject({
      ok: false,
      reason: 'schema_violation',
    });
  });

  it('rejects times RFC 3339 allows but JavaScript cannot read or the store cannot hold', () => {
    // A leap second passes the date-time format, but Date.parse gives NaN; year 0 and 2300 lie outside DateTime64.
    const leap = validateTaskEvent(
      sampleEvent({ started_at: '2016-12-31T23:59:60Z', ended_at: '2016-12-31T23:59:60Z' }),
    );
    expect(leap).toMatchObject({ ok: false, reason: 'schema_violation' });
    expect(leap.ok ? [] : leap.errors.map((e) => e.field)).toEqual(['/started_at', '/ended_at']);
    for (const t of ['0000-01-01T00:00:00Z', '1899-12-31T23:59:59.999Z', '2300-01-01T00:00:00Z'])
      expect(validateTaskEvent(sampleEvent({ started_at: t, ended_at: t })).ok, t).toBe(false);
    for (const t of ['1900-01-01T00:00:00Z', '2299-12-31T23:59:59.999Z'])
      expect(validateTaskEvent(sampleEvent({ started_at: t, ended_at: t })).ok, t).toBe(true);
  });
});

describe('event ids', () => {
  it('uuidv7 ids are unique, time-ordered and carry their timestamp', () => {
    const t = Date.now() + 60_000; // ahead of any id made earlier in this process (ids never go back in time)
    const ids = Array.from({ length: 10_000 }, () => uuidv7(t));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(uuidv7Time(ids[0]!)).toBe(t);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('deterministic ids repeat for the same key and differ otherwise', () => {
    const a = deterministicEventId('trace:span', 1_700_000_000_000);
    expect(deterministicEventId('trace:span', 1_700_000_000_000)).toBe(a);
    expect(deterministicEventId('trace:span2', 1_700_000_000_000)).not.toBe(a);
    expect(uuidv7Time(a)).toBe(1_700_000_000_000);
    expect(validateTaskEvent(sampleEvent({ event_id: a })).ok).toBe(true);
  });
});

describe('text the store can hold', () => {
  it('refuses bytes that are not UTF-8, naming where they stop being UTF-8 (never replaced by U+FFFD)', () => {
    const json = Buffer.from(JSON.stringify(sampleEvent({ task_name: 'XX' })));
    const at = json.indexOf('XX');
    json[at] = 0xc3; // a 2-byte lead …
    json[at + 1] = 0x28; // … followed by "(" : invalid
    expect(decodeTaskEvent(json)).toMatchObject({ ok: false, reason: 'invalid_utf8' });
    const r = decodeTaskEvent(json);
    if (!r.ok) expect(r.errors[0]!.message).toBe(`not UTF-8 at byte ${at}`);
    const latin1 = Buffer.from(JSON.stringify(sampleEvent({ task_name: 'café' })), 'latin1');
    expect(decodeTaskEvent(latin1)).toMatchObject({ ok: false, reason: 'invalid_utf8' });
    const surrogateBytes = Buffer.from(JSON.stringify(sampleEvent({ task_name: 'ab' })));
    surrogateBytes.set([0xed, 0xa0], surrogateBytes.indexOf('ab')); // CESU-8 style surrogate: not UTF-8
    expect(decodeTaskEvent(surrogateBytes)).toMatchObject({ ok: false, reason: 'invalid_utf8' });
    expect(decodeTaskEvent(Buffer.from(JSON.stringify(sampleEvent({ task_name: 'café 😀' }))))).toMatchObject({
      ok: true,
    });
  });

  it('refuses unpaired UTF-16 surrogates in any string or key, naming the field', () => {
    const text = JSON.stringify(sampleEvent({ task_name: 'TASK', attributes: { KEY: 'ok', b: 'VAL' } }))
      .replace('TASK', 'x\\ud800y')
      .replace('KEY', 'k\\udc00')
      .replace('VAL', '\\udfff');
    const r = decodeTaskEvent(text);
    expect(r).toMatchObject({ ok: false, reason: 'schema_violation' });
    if (!r.ok)
      expect(r.errors.map((e) => e.field).sort()).toEqual(['/attributes/b', '/attributes/k\udc00', '/task_name']);
    // A pair (an emoji as escapes) is fine.
    expect(decodeTaskEvent(JSON.stringify(sampleEvent()).replace('summarize', '\\ud83d\\ude00'))).toMatchObject({
      ok: true,
    });
  });

  it('refuses costs the Decimal(18, 9) column cannot hold', () => {
    expect(validateTaskEvent(sampleEvent({ cost_usd: 1_000_000_000 }))).toMatchObject({ ok: false });
    expect(validateTaskEvent(sampleEvent({ cost_usd: 999_999_999.999999 }))).toMatchObject({ ok: true });
  });
});
