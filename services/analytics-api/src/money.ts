// Fixed-point money: amounts as bigint nano-dollars (scale 9, the storage scale of cost columns),
// printed as decimal strings. No float ever touches a sum.
import { MONEY_SCALE } from '@aurea/clickhouse/queries';

const SCALE = 10n ** BigInt(MONEY_SCALE);

export function parseMoney(text: string): bigint {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new RangeError(`not a decimal amount: ${JSON.stringify(text)}`);
  const frac = (m[3] ?? '').padEnd(MONEY_SCALE, '0');
  if (frac.length > MONEY_SCALE && /[^0]/.test(frac.slice(MONEY_SCALE)))
    throw new RangeError(`more than ${MONEY_SCALE} decimals: ${text}`);
  const v = BigInt(m[2]!) * SCALE + BigInt(frac.slice(0, MONEY_SCALE));
  return m[1] ? -v : v;
}

/** Decimal string with exactly `decimals` places (rounded half away from zero when shortening). */
export function formatMoney(v: bigint, decimals = MONEY_SCALE): string {
  const neg = v < 0n;
  let a = neg ? -v : v;
  if (decimals < MONEY_SCALE) {
    const div = 10n ** BigInt(MONEY_SCALE - decimals);
    a = (a + div / 2n) / div;
  }
  const unit = 10n ** BigInt(decimals);
  const int = a / unit;
  const frac = decimals > 0 ? `.${(a % unit).toString().padStart(decimals, '0')}` : '';
  return `${neg && a !== 0n ? '-' : ''}${int.toString()}${frac}`;
}

/** Normalise an engine decimal string to the fixed scale ("0.15" → "0.150000000"). */
export const money = (text: string): string => formatMoney(parseMoney(text));

/** For gauges only (Prometheus values are floats). */
export const moneyToNumber = (v: bigint): number => Number(v) / Number(SCALE);
