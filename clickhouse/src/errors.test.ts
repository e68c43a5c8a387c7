// Classification of real errors: a refused connection from @clickhouse/client, and errors the
// embedded engine raises for bad data, a missing table and a bad query.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseError, createClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { createClickHouse } from './client.js';
import { classifyError } from './errors.js';

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

describe('classifyError', () => {
  it('a server that refuses connections is unavailable', async () => {
    const client = createClient({ url: 'http://127.0.0.1:1', request_timeout: 2000 });
    const err = await errorOf(client.insert({ table: 't', values: [{ a: 1 }], format: 'JSONEachRow' }));
    await client.close();
    expect(classifyError(err)).toMatchObject({ kind: 'unavailable', type: 'ECONNREFUSED' });
  });

  it('engine errors: bad values are data, a missing table is unavailable, a bad query is a query error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aurea-errors-'));
    const ch = await createClickHouse({ database: 'errs', dataDir: dir });
    try {
      await ch.client.command({ query: 'CREATE TABLE t (id UUID, n UInt8) ENGINE = MergeTree ORDER BY id' });
      const bad = await errorOf(
        ch.client.insert({ table: 't', values: [{ id: 'not-a-uuid', n: 1 }], format: 'JSONEachRow' }),
      );
      expect(classifyError(bad).kind).toBe('data');
      const missing = await errorOf(ch.client.insert({ table: 'nope', values: [{ id: 'x' }], format: 'JSONEachRow' }));
      expect(classifyError(missing)).toMatchObject({ kind: 'unavailable', code: 60 });
      const query = await errorOf(ch.client.query({ query: 'SELECT no_such_column FROM t' }));
      expect(classifyError(query)).toMatchObject({ kind: 'query', code: 47 });
    } finally {
      await ch.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('server errors by code; no answer at all is unavailable', () => {
    const server = (code: string, type: string) => new ClickHouseError({ message: type, code, type });
    expect(classifyError(server('202', 'TOO_MANY_SIMULTANEOUS_QUERIES')).kind).toBe('unavailable');
    expect(classifyError(server('62', 'SYNTAX_ERROR'))).toMatchObject({ kind: 'query', type: 'SYNTAX_ERROR' });
    expect(classifyError(server('407', 'DECIMAL_OVERFLOW')).kind).toBe('data');
    expect(classifyError(new Error('Timeout error.')).kind).toBe('unavailable');
    expect(classifyError('string').kind).toBe('unavailable');
  });
});
