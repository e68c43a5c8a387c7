import type { AureaClickHouse } from '@aurea/clickhouse';
import type { ApiConfig } from './config.js';
import type { CursorCodec } from './cursor.js';
import type { IngestPublisher } from './publisher.js';

/** What every route plugin receives. */
export interface RouteContext {
  ch: AureaClickHouse;
  config: ApiConfig;
  publisher?: IngestPublisher | undefined;
  cursors: CursorCodec;
}

export const READ_SECURITY: { [scheme: string]: string[] }[] = [{ bearer: [] }, { apiKey: [] }];
