// Exact money arithmetic for pricing (docs/pricing.md, "Exactness"). Prices are held as integers
// of nano-dollars per 1M tokens (9 decimals of USD per 1M tokens), so tokens × price is an integer
// of femto-dollars (1e-15 USD); a cost is that sum times an optional multiplier (service tier,
// discount), rounded once, half up, to nano-dollars: the 9 decimals of Decimal(18, 9).

/** Decimals of a price per 1M tokens, and of a cost in USD. */
export const PRICE_SCALE = 9;
export const MONEY_SCALE = 9;
/** femto-dollars per nano-dollar: tokens × (nano-$ per 1M tokens) / 1e6 = nano-$. */
const FEMTO_PER_NANO = 1_000_000;

/** A multiplier as an exact fraction num/den (both positive integers). */
export interface Ratio {
  num: bigint;
  den: bigint;
}
export const ONE: Ratio = Object.freeze({ num: 1n, den: 1n });

const DECIMAL_RE = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/**
 * A non-negative decimal (a JSON number or a decimal string) as an integer scaled by 10^scale,
 * rounded half up on its decimal digits (never through a float operation: a number is read in
 * its shortest round-trip form, which is what the file or the catalog wrote).
 */
export function toScaled(v: unknown, scale: number, what: string): bigint {
  const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v.trim() : '';
  const m = DECIMAL_RE.exec(text);
  if (!m) throw new Error(`${what} must be a non-negative decimal number, got ${JSON.stringify(v)}`);
  const digits = BigInt(`${m[1]}${m[2] ?? ''}`);
  const shift = Number(m[3] ?? 0) - (m[2]?.length ?? 0) + scale;
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  const div = 10n ** BigInt(-shift);
  const q = digits / div;
  return (digits % div) * 2n >= div ? q + 1n : q;
}

/** A ratio from a decimal (e.g. "0.5", 1.8). */
export function ratioOf(v: unknown, what: string): Ratio {
  const num = toScaled(v, PRICE_SCALE, what);
  return reduce({ num, den: 10n ** BigInt(PRICE_SCALE) });
}

/** (100 − percent) / 100, for a discount given in percent. */
export function discountRatio(percent: unknown, what: string): Ratio {
  const p = toScaled(percent, PRICE_SCALE, what);
  const hundred = 100n * 10n ** BigInt(PRICE_SCALE);
  if (p > hundred) throw new Error(`${what} must be between 0 and 100`);
  return reduce({ num: hundred - p, den: hundred });
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
function reduce(r: Ratio): Ratio {
  if (r.num === 0n) return { num: 0n, den: 1n };
  const g = gcd(r.num, r.den);
  return { num: r.num / g, den: r.den / g };
}
export function mulRatio(a: Ratio, b: Ratio): Ratio {
  if (a === ONE) return b;
  if (b === ONE) return a;
  return reduce({ num: a.num * b.num, den: a.den * b.den });
}
export const isOne = (r: Ratio): boolean => r.num === r.den;

/**
 * Nano-dollars of Σ tokens[i] × rates[i] (rates in nano-$ per 1M tokens) × ratio, rounded half up.
 * Returns -1 when a type with tokens has no price (rate < 0). Exact: integer arithmetic only,
 * in doubles while every partial sum is a safe integer, else in BigInt.
 */
export function costNanos(tokens: ArrayLike<number>, rates: ArrayLike<number>, ratio: Ratio): number | bigint {
  let sum = 0;
  let safe = true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === 0) continue;
    const r = rates[i]!;
    if (r < 0) return -1;
    sum += t * r;
    if (sum > Number.MAX_SAFE_INTEGER) safe = false;
  }
  if (safe && ratio.num === ratio.den) {
    const rem = sum % FEMTO_PER_NANO;
    return (sum - rem) / FEMTO_PER_NANO + (rem * 2 >= FEMTO_PER_NANO ? 1 : 0);
  }
  let big = 0n;
  if (safe) big = BigInt(sum);
  else for (let i = 0; i < tokens.length; i++) if (tokens[i]! !== 0) big += BigInt(tokens[i]!) * BigInt(rates[i]!);
  const den = ratio.den * BigInt(FEMTO_PER_NANO);
  const x = big * ratio.num;
  const q = x / den;
  const n = (x % den) * 2n >= den ? q + 1n : q;
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Nano-dollars as a decimal string with 9 decimals ("0.002250000"). */
export function formatNanos(n: number | bigint): string {
  if (typeof n === 'number' && n < 1e15) {
    const whole = Math.floor(n / 1e9);
    return `${whole}.${String(n - whole * 1e9).padStart(MONEY_SCALE, '0')}`;
  }
  const s = n.toString().padStart(MONEY_SCALE + 1, '0');
  return `${s.slice(0, -MONEY_SCALE)}.${s.slice(-MONEY_SCALE)}`;
}

/** A scaled price (nano-$ per 1M tokens) as a plain decimal string ("1.25"). */
export function formatPrice(p: number): string {
  const s = formatNanos(p);
  return s.replace(/\.?0+$/, '') || '0';
}
