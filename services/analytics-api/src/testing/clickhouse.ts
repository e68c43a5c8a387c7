// Test support: an embedded ClickHouse in a temp data dir with the schema migrated; events are
// inserted with @aurea/clickhouse's insertEvents (the consumer's own row mapping).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse, migrate, type AureaClickHouse } from '@aurea/clickhouse';

export { insertEvents } from '@aurea/clickhouse';

export interface TestClickHouse {
  ch: AureaClickHouse;
  dir: string;
  cleanup(): Promise<void>;
}

export async function openTestClickHouse(name = 'api'): Promise<TestClickHouse> {
  const dir = mkdtempSync(join(tmpdir(), `aurea-${name}-`));
  const ch = await createClickHouse({ database: 'aurea_test', dataDir: dir });
  await migrate(ch, {});
  return {
    ch,
    dir,
    async cleanup() {
      await ch.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
