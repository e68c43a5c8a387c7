// Unit tests of the row derived from the model: decimal text without a float step, column
// order and types from the model, months in UTC, and the read-back of a stored row.
import { describe, expect, it } from 'vitest';
import { normalizeEvent, type TaskEventV1 } from '@aurea/events';
import { EVENT_COLUMNS, ROW_COLUMNS, fromStoredRow, moneyText, monthOfRow, rowObject, toRow } from './rows.js';

const event: TaskEventV1 = {
  schema_version: 1,
  event_id: '0190a0b0-0000-7000-8000-000000000001',
  started_at: '2026-01-31T23:59:59.000Z',
  ended_at: '2026-02-01T00:30:00.000+01:00',
  job_id: 'job-1',
  task_id: 'task-1',
  service: 'svc',
  task_name: 'summarize',
  operation: 'chat',
  provider: 'openai',
  request_model: 'gpt-4o',
  usage: { input_tokens: 100, reasoning_tokens: 7 },
  latency_ms: 1250.5,
  status: 'ok',
  cost_usd: 999999999.999999,
  attributes: { a: 1, b: true, c: 'x' },
};

describe('moneyText', () => {
  it('writes the shortest decimal form, rounded half-up at 9 decimals on the digits', () => {
    expect(moneyText(0.1)).toBe('0.1');
    expect(moneyText(1.23e-7)).toBe('0.000000123');
    expect(moneyText(5e-10)).toBe('0.000000001'); // half-up at the 10th decimal
    expect(moneyText(4e-10)).toBe('0');
    expect(moneyText(0)).toBe('0');
    expect(moneyText(12)).toBe('12');
    expect(moneyText(999999999.999999)).toBe('999999999.999999'); // toFixed(9) gives …999046
    expect(moneyText(0.1234567894)).toBe('0.123456789');
    expect(moneyText(0.1234567895)).toBe('0.12345679');
    expect(moneyText(1e21 / 1e13)).toBe('100000000');
    expect(moneyText(null)).toBeNull();
  });

  it('refuses what Decimal(18, 9) cannot hold', () => {
    expect(() => moneyText(1_000_000_000)).toThrow(RangeError);
    expect(() => moneyText(-1)).toThrow(RangeError);
    expect(() => moneyText(Number.NaN)).toThrow(RangeError);
  });
});

describe('the task_events row', () => {
  it('has one column per model field (one per token type for usage) plus the Kafka coordinates, in model order', () => {
    expect(ROW_COLUMNS.slice(0, 3)).toEqual(['schema_version', 'event_id', 'source']);
    expect(ROW_COLUMNS.slice(-2)).toEqual(['kafka_partition', 'kafka_offset']);
    const tokenCols = [
      'input_tokens',
      'output_tokens',
      'cache_read_tokens',
      'cache_write_tokens',
      'reasoning_tokens',
      'cache_write_1h_tokens',
      'input_audio_tokens',
      'output_audio_tokens',
      'input_image_tokens',
      'output_image_tokens',
    ];
    expect(ROW_COLUMNS.filter((c) => c.endsWith('_tokens'))).toEqual(tokenCols);
    const types = Object.fromEntries(EVENT_COLUMNS.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      event_id: 'UUID',
      cost_usd: 'Nullable(Decimal(18, 9))',
      time_to_first_token_ms: 'Nullable(Float64)',
      parent_task_id: 'String',
      tenant: 'LowCardinality(String)',
      user: 'String',
      attributes: 'Map(String, String)',
    });
  });

  it('maps a normalized event: none as "" for strings and NULL for numbers, attributes as strings', () => {
    const row = toRow(normalizeEvent(event), 3, 42);
    expect(row).toHaveLength(ROW_COLUMNS.length);
    expect(rowObject(row)).toMatchObject({
      source: 'external',
      parent_task_id: '',
      response_model: '',
      input_tokens: 100,
      output_tokens: 0,
      reasoning_tokens: 7,
      time_to_first_token_ms: null,
      cost_usd: '999999999.999999',
      provided_cost_usd: null,
      pricing_status: 'priced',
      attributes: { a: '1', b: 'true', c: 'x' },
      kafka_partition: 3,
      kafka_offset: 42,
    });
    expect(monthOfRow(row)).toBe(202601); // 00:30 at +01:00 is still January in UTC
  });

  it('reads a stored row back into the stored event ("" → null, times RFC 3339)', () => {
    const stored = fromStoredRow({
      ...Object.fromEntries(EVENT_COLUMNS.map((c) => [c.name, ''])),
      schema_version: 1,
      event_id_s: event.event_id,
      started_at_s: '2026-01-31 23:59:59.000',
      ended_at_s: '2026-01-31 23:30:00',
      job_id: 'job-1',
      input_tokens: '100',
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 7,
      latency_ms: 1250.5,
      time_to_first_token_ms: null,
      cost_usd_s: '999999999.999999000',
      provided_cost_usd_s: null,
      attributes: { a: '1' },
    });
    expect(stored).toMatchObject({
      event_id: event.event_id,
      started_at: '2026-01-31T23:59:59.000Z',
      ended_at: '2026-01-31T23:30:00.000Z',
      usage: { input_tokens: 100, output_tokens: 0, reasoning_tokens: 7 },
      parent_task_id: null,
      tenant: null,
      cost_usd: '999999999.999999000',
      provided_cost_usd: null,
      time_to_first_token_ms: null,
    });
  });
});
