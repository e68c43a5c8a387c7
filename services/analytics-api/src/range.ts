// The time range of a read ([from, to) on task end time). The schema checks RFC 3339; this checks
// what RFC 3339 allows but cannot be answered — a leap second (JavaScript cannot read it) or a time
// outside what the store holds — with the task-event contract's own rule (TIME_RANGE, timeMs), and
// that the range is not empty. Each failure is a 400 naming the field.
import { TIME_RANGE, TIME_RANGE_MESSAGE, timeMs } from '@aurea/events';
import { BadRequestError } from './errors.js';

export const DEFAULT_RANGE_MS = 30 * 86_400_000;
const EARLIEST = Date.parse(TIME_RANGE.from);

function ms(field: 'from' | 'to', text: string): number {
  const t = timeMs(text);
  if (t === null) throw new BadRequestError([{ in: 'querystring', field: `/${field}`, message: TIME_RANGE_MESSAGE }]);
  return t;
}

export interface Range {
  from: string;
  /** undefined: no upper bound. */
  to: string | undefined;
}

/**
 * The effective range as RFC 3339 UTC: `from` defaults to 30 days before `to` (or `now` when `to`
 * is open), never before the earliest storable time; `to` must be later than `from`.
 */
export function resolveRange(from: string | undefined, to: string | undefined, now = Date.now()): Range {
  const toMs = to === undefined ? undefined : ms('to', to);
  const fromMs = from === undefined ? Math.max((toMs ?? now) - DEFAULT_RANGE_MS, EARLIEST) : ms('from', from);
  if (toMs !== undefined && toMs <= fromMs)
    throw new BadRequestError([{ in: 'querystring', field: '/to', message: 'must be later than from' }]);
  return {
    from: new Date(fromMs).toISOString(),
    to: toMs === undefined ? undefined : new Date(toMs).toISOString(),
  };
}

/**
 * The range of a read that may cover all time (the jobs list, docs/api.md): no `from` means no
 * lower bound, never a silent default; `to` must be later than `from` when both are given.
 */
export function resolveOpenRange(
  from: string | undefined,
  to: string | undefined,
): { from: string | undefined; to: string | undefined } {
  const fromMs = from === undefined ? undefined : ms('from', from);
  const toMs = to === undefined ? undefined : ms('to', to);
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs)
    throw new BadRequestError([{ in: 'querystring', field: '/to', message: 'must be later than from' }]);
  return {
    from: fromMs === undefined ? undefined : new Date(fromMs).toISOString(),
    to: toMs === undefined ? undefined : new Date(toMs).toISOString(),
  };
}
