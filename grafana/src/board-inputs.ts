// The Grafana rendering of a named query's inputs (clickhouse/src/inputs.ts): what the API binds
// as typed parameters, a board leaves to Grafana and the ClickHouse plugin, which fill it in at
// query time (the tests fill it in the same way: interpolate.ts):
//  - range [from, to)        → ended_at >= $__fromTime_ms AND ended_at < $__toTime_ms
//                              (the dashboard's time range, milliseconds, half-open like the API);
//  - a multi-value filter    → $__conditionalAll(<column> IN (${var:singlequote}), $var): the
//                              condition disappears when All is selected;
//  - a single-value filter   → <column> = ${var:singlequote} (the per-job board's job);
//  - a calendar bucket       → the same expression as the API's; 'interval' → $__timeInterval(col);
//  - money                   → the Decimal(38, 9) sum itself: the plugin turns Decimal columns into
//                              numbers for display, the sum is never a float inside the engine;
//  - constants (limits)      → integer literals written by the board's code, never a user's value.
import { BUCKETS, ZERO_MONEY, type FilterKey, type Inputs } from '@aurea/clickhouse/queries';

/** The board variables a query is filtered by; a key's variable has the key's name. */
export type BoardFilters = Partial<Record<FilterKey, 'single' | 'multi'>>;

export function boardInputs(filters: BoardFilters): Inputs {
  return {
    params: {},
    filtered: Object.keys(filters).length > 0,
    range: () => ({ from: '$__fromTime_ms', to: '$__toTime_ms' }),
    filter(key, column, wrap = (c) => c) {
      const mode = filters[key];
      if (mode === undefined) return undefined;
      if (mode === 'single') return wrap(`${column} = \${${key}:singlequote}`);
      return `$__conditionalAll(${wrap(`${column} IN (\${${key}:singlequote})`)}, $${key})`;
    },
    value(name, _type, v) {
      if (typeof v !== 'number' || !Number.isInteger(v))
        throw new RangeError(`a board query takes only integer constants, not ${name}=${JSON.stringify(v)}`);
      return String(v);
    },
    bucket: (b, column) => (b === 'interval' ? `$__timeInterval(${column})` : BUCKETS[b](column)),
    money: (expr) => `ifNull(${expr}, ${ZERO_MONEY})`,
    moneyOrNull: (expr) => expr,
    time: (expr) => expr,
  };
}
