// Classification of real errors: a refused connection from @clickhouse/client, and errors the
// embedded engine raises for bad data and for a missing table.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { createClickHouse } from '@aurea/clickhouse';
import { describe, expect, it } from 'vitest';
import { backoffMs, classifyError } from './errors.js';

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

describe('classifyError', () => {
  it('a server that refuses connections is retryable', async () => {
    const client = createClient({ url: 'http://127.0.0.1:1', request_timeout: 2000 });
    const err = await errorOf(client.insert({ table: 't', values: [{ a: 1 }], format: 'JSONEachRow' }));
    await client.close();
    expect(classifyError(err)).toMatchObject({ kind: 'retryable', type: 'ECONNREFUSED' });
  });

  it('engine errors: bad values are data errors, a missing table is retryable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aurea-errors-'));
    const ch = await createClickHouse({ database: 'errs', dataDir: dir });
    try {
      await ch.client.command({ query: 'CREATE TABLE t (id UUID, n UInt8) ENGINE = MergeTree ORDER BY id' });
      const bad = await errorOf(
        ch.client.insert({ table: 't', values: [{ id: 'not-a-uuid', n: 1 }], format: 'JSONEachRow' }),
      );
      expect(classifyError(bad).kind).toBe('data');
      const missing = await errorOf(ch.client.insert({ table: 'nope', values: [{ id: 'x' }], format: 'JSONEachRow' }));
      expect(classifyError(missing)).toMatchObject({ kind: 'retryable', code: 60 });
    } finally {
      await ch.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('unknown errors are retryable (stall visibly rather than drop events)', () => {
    expect(classifyError(new Error('weird')).kind).toBe('retryable');
    expect(classifyError('string').kind).toBe('retryable');
  });
});

describe('backoffMs', () => {
  it('grows exponentially with jitter and is capped', () => {
    expect(backoffMs(0, 100, 5000, () => 0)).toBe(50);
    expect(backoffMs(0, 100, 5000, () => 1)).toBe(100);
    expect(backoffMs(3, 100, 5000, () => 1)).toBe(800);
    expect(backoffMs(50, 100, 5000, () => 1)).toBe(5000);
  });
});
