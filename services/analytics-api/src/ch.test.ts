// Which ClickHouse failures are "unavailable" (503) and which are bugs (500).
import { describe, expect, it } from 'vitest';
import { ClickHouseError } from '@clickhouse/client';
import { isUnavailable } from './ch.js';

describe('isUnavailable', () => {
  it('network failures and overload/timeout/missing-schema codes are unavailable', () => {
    expect(isUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isUnavailable(new Error('Timeout error.'))).toBe(true);
    expect(
      isUnavailable(new ClickHouseError({ message: 'too many', code: '202', type: 'TOO_MANY_SIMULTANEOUS_QUERIES' })),
    ).toBe(true);
    expect(isUnavailable(Object.assign(new Error('Unknown table'), { code: '60', type: 'UNKNOWN_TABLE' }))).toBe(true);
  });
  it('a query the engine rejects is not (it is our bug: 500)', () => {
    expect(isUnavailable(new ClickHouseError({ message: 'syntax', code: '62', type: 'SYNTAX_ERROR' }))).toBe(false);
    expect(
      isUnavailable(Object.assign(new Error('Unknown identifier'), { code: '47', type: 'UNKNOWN_IDENTIFIER' })),
    ).toBe(false);
  });
});
