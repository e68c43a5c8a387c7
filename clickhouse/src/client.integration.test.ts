// Foundation: a ClickHouse round trip through @clickhouse/client on the embedded engine
// (chdb) — DateTime64, LowCardinality, Decimal and query parameters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClickHouse, type AureaClickHouse } from './client.js';

const dir = mkdtempSync(join(tmpdir(), 'aurea-ch-'));
let ch: AureaClickHouse | undefined;

afterAll(async () => {
  await ch?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded ClickHouse round trip', () => {
  it('creates, inserts and reads back typed rows with query parameters', async () => {
    ch = await createClickHouse({ database: 'aurea_roundtrip', dataDir: dir });
    expect(ch.mode).toBe('embedded');
    await ch.client.command({
      query: `CREATE TABLE rt (ts DateTime64(3, 'UTC'), model LowCardinality(String), cost Decimal(18, 9), tokens UInt64)
              ENGINE = MergeTree ORDER BY (model, ts)`,
    });
    await ch.client.insert({
      table: 'rt',
      format: 'JSONEachRow',
      values: [
        { ts: '2026-11-23T10:00:00.123Z', model: 'gpt-4o', cost: '0.000012345', tokens: 100 },
        { ts: '2026-11-23T10:00:01.456Z', model: 'gpt-4o', cost: '0.1', tokens: 50 },
        { ts: '2026-11-23T10:00:02.789Z', model: 'claude-3-5-sonnet', cost: '1.5', tokens: 7 },
      ],
    });
    const rs = await ch.client.query({
      query: `SELECT model, toTypeName(model) AS t, count() AS n, sum(cost) AS cost, sum(tokens) AS tokens,
                     toString(max(ts)) AS last, toTypeName(max(ts)) AS ts_type
              FROM rt WHERE model = {model:String} AND ts >= {from:DateTime64(3)} GROUP BY model`,
      query_params: { model: 'gpt-4o', from: '2026-11-23 10:00:00.000' },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{
      model: string;
      t: string;
      n: string;
      cost: string;
      tokens: string;
      last: string;
      ts_type: string;
    }>();
    expect(rows).toEqual([
      {
        model: 'gpt-4o',
        t: 'LowCardinality(String)',
        n: '2',
        cost: '0.100012345',
        tokens: '150',
        last: '2026-11-23 10:00:01.456',
        ts_type: "DateTime64(3, 'UTC')",
      },
    ]);
    const db = await ch.client.query({ query: 'SELECT currentDatabase() AS d', format: 'JSONEachRow' });
    expect(await db.json()).toEqual([{ d: 'aurea_roundtrip' }]);
  });

  it('per-request settings last one statement: an insert without a token after one with a token is written', async () => {
    if (!ch) throw new Error('no client');
    await ch.client.command({
      query: `CREATE TABLE tok (id UInt32) ENGINE = MergeTree ORDER BY id
              SETTINGS non_replicated_deduplication_window = 100`,
    });
    const insert = (id: number, token?: string) =>
      ch!.client.insert({
        table: 'tok',
        format: 'JSONCompactEachRow',
        columns: ['id'],
        values: [[id]],
        ...(token === undefined ? {} : { clickhouse_settings: { insert_deduplication_token: token } }),
      });
    await insert(1, 'block-a');
    await insert(2); // with session-wide SETs this insert inherited block-a's token and was dropped
    await insert(3);
    await insert(1, 'block-a'); // a retry of the first block: deduplicated
    const rs = await ch.client.query({
      query: 'SELECT groupArray(id) AS ids FROM (SELECT id FROM tok ORDER BY id)',
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ ids: [1, 2, 3] }]);
    // A per-query setting does not leak into the session; the client-wide defaults hold for every query.
    const q = await ch.client.query({
      query: "SELECT getSetting('output_format_json_quote_64bit_integers') AS q, toUInt64(5) AS u",
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await q.json()).toEqual([{ q: false, u: 5 }]);
    const after = await ch.client.query({
      query: "SELECT getSetting('insert_deduplication_token') AS tok, toUInt64(5) AS u",
      format: 'JSONEachRow',
    });
    expect(await after.json()).toEqual([{ tok: '', u: '5' }]);
  });
});
